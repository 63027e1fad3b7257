"""track_video's params: every documented bound refused or accepted before any request,
and identifier parsing held to the documented forms (hypothesis)."""

from __future__ import annotations

import string

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialtap.errors import ConfigError
from socialtap.params import validate_params
from socialtap.plugins import make_plugin_manager
from socialtap.runner import Options, Task, iter_records
from socialtap.testing import serve_sandbox
from socialtap_creatoraudit.params import TrackVideoParams, VideoRef, parse_identifier
from socialtap_creatoraudit.plugin import track_body

SHORTCODE_CHARS = string.ascii_letters + string.digits + "_-"


def params(**changes):
    return validate_params(TrackVideoParams, {"platform": "instagram", "identifier": ["Cx1AbC2dEfG"], **changes})


def refused(**changes) -> str:
    with pytest.raises(ConfigError) as caught:
        params(**changes)
    return "\n".join(caught.value.problems)


# -- every bound, on both sides, before any request ----------------------------------

BOUNDS = [
    ("scrape_interval_hours", 5, False),
    ("scrape_interval_hours", 6, True),
    ("scrape_interval_hours", 720, True),
    ("scrape_interval_hours", 721, False),
    ("identifier", ["a" * 512], True),
    ("identifier", ["a" * 513], False),
    ("metadata", {f"k{i}": "v" for i in range(20)}, True),
    ("metadata", {f"k{i}": "v" for i in range(21)}, False),
    ("metadata", {"k": "v" * 255}, True),
    ("metadata", {"k": "v" * 256}, False),
    ("metadata", {"k" * 255: "v"}, True),
    ("metadata", {"k" * 256: "v"}, False),
]


@pytest.mark.parametrize(
    ("name", "value", "ok"), BOUNDS, ids=[f"{n}-{len(v) if not isinstance(v, int) else v}-{ok}" for n, v, ok in BOUNDS]
)
def test_each_bound_is_held_before_any_request(name, value, ok, tmp_path):
    """Through the runner against a counting sandbox: refused ones send nothing, accepted ones are created."""
    with serve_sandbox("creatoraudit") as running:
        task = Task(
            "creatoraudit",
            "track_video",
            {"platform": "instagram", "identifier": ["Cx1AbC2dEfG"], name: value},
            running.credentials,
            Options(base_url=running.base_url, state=str(tmp_path / "state.sqlite")),
        )
        if ok:
            records = list(iter_records(task, plugin_manager=make_plugin_manager()))
            assert [type(r).__name__ for r in records] == ["Post", "Account"]
            assert running.app.stats["created"] == 1
        else:
            with pytest.raises(ConfigError) as caught:
                list(iter_records(task, plugin_manager=make_plugin_manager()))
            assert running.app.stats["videos"] == 0 and running.app.requests_seen == 0
            assert any(f"$.{name}" in p for p in caught.value.problems), caught.value.problems


def test_the_sandbox_holds_the_same_bounds():
    """The sandbox is no more lenient than the docs: a client that skipped validation meets a 422."""
    from socialtap_creatoraudit.sandbox import CreatorAuditSandbox

    good = {"platform": "instagram", "identifier": "Cx1AbC2dEfG", "metadata": {}, "is_active": True, "scrape_interval_hours": 24}
    assert CreatorAuditSandbox.validate(good) == []
    for change in [
        {"scrape_interval_hours": 5},
        {"scrape_interval_hours": 721},
        {"scrape_interval_hours": True},
        {"identifier": "a" * 513},
        {"identifier": ""},
        {"metadata": {f"k{i}": "v" for i in range(21)}},
        {"metadata": {"k": "v" * 256}},
        {"metadata": {"k": 1}},
        {"is_active": "yes"},
        {"platform": "youtube"},
        {"platform": "tiktok"},  # a bare shortcode is for Instagram only
        {"extra": 1},
    ]:
        assert CreatorAuditSandbox.validate({**good, **change}), change
    missing_platform = {k: v for k, v in good.items() if k != "platform"}  # the docs' curl example's shape
    assert [p["loc"] for p in CreatorAuditSandbox.validate(missing_platform)] == [["body", "platform"]]
    for change in [{"scrape_interval_hours": 6}, {"scrape_interval_hours": 720}, {"identifier": "a" * 512}]:
        assert CreatorAuditSandbox.validate({**good, **change}) == [], change


def test_platform_is_required_though_the_docs_curl_omits_it():
    with pytest.raises(ConfigError) as caught:
        validate_params(TrackVideoParams, {"identifier": ["Cx1AbC2dEfG"]})
    assert any("missing required param 'platform'" in p for p in caught.value.problems)
    assert "unknown platform 'youtube'" in refused(platform="youtube")


def test_other_bad_input_says_what_to_do():
    assert "Instagram only" in refused(platform="tiktok")
    assert "is a tiktok URL" in refused(identifier=["tiktok.com/@a/video/123"])
    assert "give at least one identifier" in refused(identifier=[])
    assert "not a form CreatorAudit accepts" in refused(identifier=["youtube.com/watch?v=x"])
    assert "expected true or false" in refused(is_active="maybe")
    assert "expected an integer" in refused(scrape_interval_hours=12.5)
    assert "names one request" in refused(identifier=["a1", "b2"], idempotency_key="mine")
    assert "visible ASCII" in refused(idempotency_key="has space")
    assert "visible ASCII" in refused(idempotency_key="k" * 256)
    assert params(idempotency_key="k" * 255).idempotency_key == "k" * 255
    assert "not a form" in refused(identifier=["abc\n"])
    assert "not a form" in refused(identifier=[" abc"])


def test_the_body_is_exactly_the_documented_fields():
    task_params = validate_params(
        TrackVideoParams, {"platform": "tiktok", "identifier": "https://www.tiktok.com/@nasa/video/7301"}
    )
    body = track_body(attrs.evolve(task_params, identifier=task_params.identifier[0]))  # one chain's params
    assert body == {
        "platform": "tiktok",
        "identifier": "https://www.tiktok.com/@nasa/video/7301",
        "metadata": {},
        "is_active": True,
        "scrape_interval_hours": 24,
    }


# -- identifier parsing ----------------------------------------------------------------

shortcodes = st.text(SHORTCODE_CHARS, min_size=1, max_size=40).filter(lambda s: not s.isdigit())
numeric_ids = st.integers(min_value=0, max_value=10**25).map(str)
prefixes = st.sampled_from(["", "http://", "https://"])
www = st.sampled_from(["", "www."])
tails = st.sampled_from(["", "/", "?igsh=abc", "/?utm_source=x#frag"])
users = st.text(string.ascii_lowercase + string.digits + "._", min_size=1, max_size=24)


@given(prefixes, www, shortcodes, tails)
def test_instagram_urls_name_their_shortcode(prefix, host, code, tail):
    text = f"{prefix}{host}instagram.com/p/{code}{tail}"
    ref = parse_identifier(text)
    assert (ref.kind, ref.video, ref.platform, ref.given) == ("url", code, "instagram", text)
    assert ref.dedupe_key == parse_identifier(code).dedupe_key  # the URL and its bare shortcode: one video


@given(prefixes, www, users, numeric_ids, tails)
def test_tiktok_urls_name_their_video_id(prefix, host, user, video, tail):
    ref = parse_identifier(f"{prefix}{host}tiktok.com/@{user}/video/{video}{tail}")
    assert (ref.kind, ref.video, ref.platform) == ("url", video, "tiktok")
    assert ref.dedupe_key == parse_identifier(video).dedupe_key


@given(numeric_ids)
def test_numbers_are_numeric_ids_as_text_or_json_numbers(video):
    assert parse_identifier(video) == VideoRef(video, "numeric", video)
    assert parse_identifier(int(video)).video == str(int(video))


@given(st.one_of(st.text(max_size=600), st.integers(), st.none(), st.booleans(), st.floats()))
@settings(max_examples=300)
def test_anything_else_is_a_clear_value_error_or_a_documented_form(value):
    try:
        ref = parse_identifier(value)
    except ValueError as exc:
        assert str(exc)  # said, never a crash of another kind
        return
    assert 1 <= len(ref.given) <= 512
    assert ref.kind in ("url", "numeric", "shortcode")
    if ref.kind == "shortcode":
        assert set(ref.given) <= set(SHORTCODE_CHARS)
    assert ref == parse_identifier(ref.given)  # parsing what was parsed changes nothing


@given(st.text(SHORTCODE_CHARS, min_size=513, max_size=700))
@settings(max_examples=20)
def test_longer_than_512_is_refused_in_any_form(text):
    with pytest.raises(ValueError, match="1 to 512"):
        parse_identifier(text)
