"""Vendor fidelity: every field of the docs' example response reaches a record, or the
README says why not ("Fields not carried"), and nothing in the records is invented.

The docs' example repeats ``"<string>"`` and ``123`` for many fields, so a walk of it
alone would find a dropped string field "carried" by another one. The walk therefore
also runs on a copy where every leaf has a value of its own (same types).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import attrs
import pytest

from socialtap import Account, Post, Request
from socialtap.params import validate_params
from socialtap.testing import fidelity
from socialtap_creatoraudit import examples
from socialtap_creatoraudit.normalize import normalize_video
from socialtap_creatoraudit.params import TrackVideoParams

DOCS = Path("/work/shared/vendor-docs/creatoraudit.md")
PLUGIN_README = Path(__file__).resolve().parents[1] / "README.md"
ROOT = Path(__file__).resolve().parents[3]
OPEN_MAPS = ("metadata", "platform_data")  # objects keyed by names the docs leave open


def test_the_examples_are_the_docs_examples_verbatim():
    if not DOCS.exists():
        pytest.skip("the vendor docs file is not at hand")
    text = DOCS.read_text()
    curl = re.search(r"--data '\n(\{.*?\})\n'", text, re.DOTALL)
    assert curl is not None and json.loads(curl.group(1)) == examples.EXAMPLE_REQUEST
    response = re.search(r"^\{\n  \"data\".*?^\}$", text, re.DOTALL | re.MULTILINE)
    assert response is not None and json.loads(response.group(0)) == examples.VIDEO_RESPONSE
    assert "platform" not in examples.EXAMPLE_REQUEST and "platform\nenum<string>\nrequired" in text


def not_carried() -> dict[str, str]:
    """The root README's CreatorAudit section's table when there is one (a checkout), else the plugin's."""
    readme = ROOT / "README.md"
    text = readme.read_text() if readme.exists() else ""
    start = text.find("### CreatorAudit")
    ends = [i for i in (text.find("\n### ", start + 1), text.find("\n## ", start + 1)) if i > 0]
    section = text[start : min(ends, default=len(text))] if start >= 0 else ""
    return fidelity.not_carried(section if "Fields not carried" in section else PLUGIN_README)


def distinct(payload: Any) -> Any:
    """``payload`` with every leaf given a value of its own, of the same JSON type."""
    counter = iter(range(1, 10_000))

    def change(value: Any, path: str) -> Any:
        if isinstance(value, dict):
            filled = value or ({"tag": "x"} if path.rsplit(".", 1)[-1] in OPEN_MAPS else {})
            return {k: change(v, f"{path}.{k}") for k, v in filled.items()}
        n = next(counter)
        if isinstance(value, bool):
            return not value if n % 2 else value
        if isinstance(value, int):
            return 1000 + n
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", value):
            return f"2024-0{1 + n % 9}-{10 + n % 18}T0{n % 10}:{10 + n % 50}:00Z"
        if isinstance(value, str):
            return f"{path.rsplit('.', 1)[-1]}-value-{n}"
        return value

    return change(copy.deepcopy(payload), "")


def records_of(payload: Any, platform: str = "tiktok") -> list[Any]:
    task_params = validate_params(TrackVideoParams, {"platform": platform, "identifier": ["7301"]})
    chain = attrs.evolve(task_params, identifier=task_params.identifier[0])
    return list(normalize_video(payload, Request("POST", "/videos", params=chain)))


def as_carried(payload: Any) -> Any:
    """The example as the records carry it: ``create_time`` is ``Post.created_at``, a datetime."""
    part = copy.deepcopy(payload)
    part["data"]["create_time"] = dt.datetime.fromisoformat(part["data"]["create_time"])
    return part


def walk(payload: Any) -> fidelity.FieldWalk:
    records = records_of(payload)
    return fidelity.walk([(as_carried(payload), "", records)], not_carried=not_carried(), maps=OPEN_MAPS)


@pytest.mark.parametrize("variant", ["docs", "distinct"])
def test_every_documented_field_reaches_a_record(variant):
    payload = examples.VIDEO_RESPONSE if variant == "docs" else distinct(examples.VIDEO_RESPONSE)
    result = walk(payload)
    assert result.problems == ()
    assert result.carried == result.documented
    # The docs' empty `metadata` and `platform_data` have no leaves; the distinct copy fills each with a tag.
    assert len(result.documented) == (30 if variant == "docs" else 32), result.summary


def test_every_not_carried_entry_is_documented_and_the_readmes_agree():
    listed = not_carried()
    documented = set(fidelity.documented_paths(distinct(examples.VIDEO_RESPONSE), maps=OPEN_MAPS))
    for path, reason in listed.items():
        assert path in documented, f"{path!r} is listed as not carried but the docs' example has no such field"
        assert len(reason.split()) >= 4, f"{path!r}: say why it is not carried"
    plugin = PLUGIN_README.read_text()
    for path in listed:
        assert f"`{path}`" in plugin[plugin.index("Fields not carried") :]


def test_the_walk_catches_a_field_that_is_dropped(monkeypatch):
    import socialtap_creatoraudit.normalize as normalize

    monkeypatch.setattr(normalize, "ATTRIBUTES", tuple(a for a in normalize.ATTRIBUTES if a != "video_url_original"))
    result = walk(distinct(examples.VIDEO_RESPONSE))
    assert "data.video_url_original" not in result.carried
    assert any(p.startswith("data.video_url_original:") for p in result.problems)


def test_the_records_say_where_each_field_went():
    payload = distinct(examples.VIDEO_RESPONSE)
    data = payload["data"]
    post, account = records_of(payload)
    assert isinstance(post, Post) and isinstance(account, Account)
    assert (post.vendor, post.platform, post.post_id, post.account_id) == (
        "creatoraudit",
        "tiktok",
        data["id"],
        data["account_id"],
    )
    assert (post.url, post.text, post.media_type) == (data["video_url"], data["description"], data["media_type"])
    assert post.created_at == dt.datetime.fromisoformat(data["create_time"])
    assert post.ids == {"external_id": data["external_id"], "shortcode": data["shortcode"]}
    assert post.metrics == {
        "views": data["view_count"],
        "plays": data["play_count"],
        "likes": data["like_count"],
        "comments": data["comment_count"],
        "shares": data["share_count"],
        "saves": data["saved_count"],
        "total_views": data["total_views"],
        "total_plays": data["total_plays"],
    }
    for name in "is_active scrape_interval_hours metadata added_at updated_at first_scrape_time last_scrape_time".split():
        assert post.attributes[name] == data[name], name  # the tracking settings, where a user finds them
    assert (account.account_id, account.username, account.ids) == (
        data["account_id"],
        data["account_username"],
        {"platform_account_id": data["platform_account_id"]},
    )


def test_nulls_stay_null_and_no_owner_means_no_account():
    post, *rest = records_of({"data": {"id": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "view_count": None}})
    assert rest == [] and post.account_id is None
    assert post.metrics["views"] is None and post.ids == {} and post.attributes == {}


def test_nothing_is_invented():
    payload = distinct(examples.VIDEO_RESPONSE)
    values = {
        json.dumps(v, sort_keys=True)
        for _, v in fidelity.leaves(as_carried(payload), maps=OPEN_MAPS)
        if not isinstance(v, dt.datetime)
    }
    values |= {json.dumps(v) for v in payload["data"].values() if isinstance(v, dict)}
    for record in records_of(payload):
        for field in attrs.fields(type(record)):
            value = getattr(record, field.name)
            if field.name in ("vendor", "platform", "as_of", "created_at") or value == field.default:
                continue
            if isinstance(field.default, attrs.Factory) and value == field.default.factory():
                continue
            inner = value.values() if isinstance(value, dict) else [value]
            for item in inner:
                assert json.dumps(item, sort_keys=True) in values, (
                    f"{type(record).__name__}.{field.name}={item!r} is not in the answer"
                )
