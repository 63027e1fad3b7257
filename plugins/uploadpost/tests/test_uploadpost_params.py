"""Every documented param combination goes out as the docs write it; every refusal comes
before any request, with a message that says what to do."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialtap import clock
from socialtap.errors import ConfigError
from socialtap.params import validate_params
from socialtap.runner import Options, Task, iter_records
from socialtap.testing import CountingApp, serve_sandbox
from socialtap_uploadpost.params import (
    METRICS,
    PLATFORMS,
    ProfileAnalyticsParams,
    TotalImpressionsParams,
    parse_platforms,
)

TODAY = clock.today().isoformat()

# (stream, params, the path and query the sandbox must see)
ACCEPTED = [
    (
        "profile_analytics",
        {"profile_username": "test", "platforms": "instagram,youtube,threads,pinterest,reddit"},
        ("/api/analytics/test", {"platforms": "instagram,youtube,threads,pinterest,reddit"}),
    ),
    (
        "profile_analytics",
        {
            "profile_username": "profile1",
            "platforms": ["Instagram", "LinkedIn", "twitter", "X"],
            "page_urn": "urn:li:organization:7",
        },
        ("/api/analytics/profile1", {"platforms": "instagram,linkedin,x", "page_urn": "urn:li:organization:7"}),
    ),
    (
        "profile_analytics",
        {"profile_username": "profile1", "platforms": "facebook", "page_id": "1122"},
        ("/api/analytics/profile1", {"platforms": "facebook", "page_id": "1122"}),
    ),
    (
        "total_impressions",
        {"profile_username": "myprofile", "start_date": "2026-01-01", "end_date": "2026-01-31", "breakdown": True},
        (
            "/api/uploadposts/total-impressions/myprofile",
            {"start_date": "2026-01-01", "end_date": "2026-01-31", "breakdown": "true"},
        ),
    ),
    (
        "total_impressions",
        {"profile_username": "myprofile", "period": "last_week"},
        ("/api/uploadposts/total-impressions/myprofile", {"period": "last_week"}),
    ),
    (
        "total_impressions",
        {"profile_username": "myprofile", "period": "last_month", "metrics": "likes,comments,shares", "breakdown": True},
        (
            "/api/uploadposts/total-impressions/myprofile",
            {"period": "last_month", "metrics": "likes,comments,shares", "breakdown": "true"},
        ),
    ),
    (
        "total_impressions",
        {"profile_username": "myprofile", "date": "2026-02-15"},
        ("/api/uploadposts/total-impressions/myprofile", {"date": "2026-02-15"}),
    ),
    (
        "total_impressions",
        {"profile_username": "myprofile", "platform": "youtube,tiktok", "breakdown": True},
        ("/api/uploadposts/total-impressions/myprofile", {"platform": "youtube,tiktok", "breakdown": "true"}),
    ),
    (
        "total_impressions",
        {"profile_username": "profile1", "start_date": "2026-01-01"},
        ("/api/uploadposts/total-impressions/profile1", {"start_date": "2026-01-01"}),
    ),
    (
        "total_impressions",
        {"profile_username": "profile1", "end_date": TODAY, "metrics": ["profileviews", "video_count"]},
        ("/api/uploadposts/total-impressions/profile1", {"end_date": TODAY, "metrics": "profileViews,video_count"}),
    ),
    (
        "post_analytics",
        {"request_id": "abc123-def456"},
        ("/api/uploadposts/post-analytics/abc123-def456", {}),
    ),
    (
        "post_analytics",
        {"request_id": "abc123-def456", "platform": "YouTube"},
        ("/api/uploadposts/post-analytics/abc123-def456", {"platform": "youtube"}),
    ),
    ("platform_metrics", {}, ("/api/uploadposts/platform-metrics", {})),
]


@pytest.mark.parametrize(("stream", "params", "expected"), ACCEPTED, ids=[f"{s}-{i}" for i, (s, _, _) in enumerate(ACCEPTED)])
def test_documented_params_are_sent_as_the_docs_write_them(run_stream, stream, params, expected):
    records, report, requests = run_stream(stream, params)
    assert requests == [expected]
    assert records and report.requests == 1


# (stream, params, words the ConfigError must carry)
REFUSED = [
    ("profile_analytics", {"profile_username": "p", "platforms": "instagram,facebook"}, ["page_id", "facebook"]),
    ("profile_analytics", {"profile_username": ["a", "b"], "platforms": "facebook", "page_id": "1"}, ["one task per profile"]),
    ("profile_analytics", {"profile_username": "p", "platforms": "instagram", "page_id": "1"}, ["only for facebook"]),
    ("profile_analytics", {"profile_username": "p", "platforms": "instagram", "page_urn": "me"}, ["only for linkedin"]),
    ("profile_analytics", {"profile_username": "p", "platforms": "myspace"}, ["unknown platform 'myspace'", "bluesky"]),
    ("profile_analytics", {"profile_username": "p", "platforms": ""}, ["platform"]),
    ("profile_analytics", {"profile_username": "p"}, ["missing required param 'platforms'"]),
    ("profile_analytics", {"platforms": "x"}, ["missing required param 'profile_username'"]),
    ("profile_analytics", {"profile_username": [], "platforms": "x"}, ["at least one profile_username"]),
    ("total_impressions", {"profile_username": "p", "period": "last_week", "start_date": "2026-01-01"}, ["period", "start_date"]),
    ("total_impressions", {"profile_username": "p", "period": "last_day", "date": "2026-01-01"}, ["period", "date"]),
    ("total_impressions", {"profile_username": "p", "date": "2026-01-01", "end_date": "2026-01-02"}, ["date alone"]),
    ("total_impressions", {"profile_username": "p", "start_date": "2026-02-01", "end_date": "2026-01-01"}, ["after"]),
    ("total_impressions", {"profile_username": "p", "end_date": "2020-01-01"}, ["give start_date too"]),
    ("total_impressions", {"profile_username": "p", "start_date": "2026-1-1"}, ["YYYY-MM-DD"]),
    ("total_impressions", {"profile_username": "p", "date": "2026-02-30"}, ["YYYY-MM-DD"]),
    ("total_impressions", {"profile_username": "p", "period": "last_decade"}, ["period", "last_3months"]),
    ("total_impressions", {"profile_username": "p", "metrics": "likes,views"}, ["unknown metric 'views'", "video_count"]),
    ("total_impressions", {"profile_username": "p", "platform": "youtube,vine"}, ["unknown platform 'vine'"]),
    ("total_impressions", {"profile_username": "p", "breakdown": "maybe"}, ["true or false"]),
    ("total_impressions", {"profile_username": "p", "platforms": "x"}, ["unknown param 'platforms'"]),
    ("post_analytics", {"request_id": "r", "platform": "youtube,tiktok"}, ["unknown platform"]),
    ("post_analytics", {"request_id": ""}, ["request_id must not be empty"]),
    ("post_analytics", {"request_id": "r\n"}, ["control character"]),
    ("platform_metrics", {"platform": "x"}, ["unknown param 'platform'"]),
]


@pytest.mark.parametrize(("stream", "params", "words"), REFUSED, ids=[f"{s}-{i}" for i, (s, _, _) in enumerate(REFUSED)])
def test_bad_params_are_refused_before_any_request(stream, params, words):
    with serve_sandbox("uploadpost", wrap=CountingApp) as running:
        task = Task("uploadpost", stream, params, running.credentials, Options(base_url=running.base_url))
        with pytest.raises(ConfigError) as caught:
            list(iter_records(task))
        assert running.served.app.requests == 0
    text = str(caught.value)
    missing = [w for w in words if w not in text]
    assert not missing, f"{missing} not in: {text}"
    assert "@ $." in text  # each problem names the param it is about


def test_the_window_of_an_incremental_run_is_refused_with_period():
    with serve_sandbox("uploadpost") as running:
        task = Task(
            "uploadpost",
            "total_impressions",
            {"profile_username": "profile1", "period": "last_week"},
            running.credentials,
            Options(base_url=running.base_url, incremental=True, sandbox=True),
        )
        with pytest.raises(ConfigError, match="period"):
            list(iter_records(task))
        assert running.app.requests_seen == 0


SPELLINGS = st.sampled_from([*PLATFORMS, "twitter"]).flatmap(
    lambda code: st.tuples(st.just(code), st.text(alphabet=" ", max_size=2), st.booleans())
)


@given(st.lists(SPELLINGS, min_size=1, max_size=12), st.booleans())
@settings(max_examples=200, deadline=None)
def test_any_spelling_of_documented_platforms_is_sent_lower_case_once_in_order(items, as_one_string):
    written = [f"{pad}{code.upper() if upper else code}{pad}" for code, pad, upper in items]
    value = ",".join(written) if as_one_string else written
    codes = parse_platforms(value)
    expected = list(dict.fromkeys("x" if code == "twitter" else code for code, _, _ in items))
    assert codes == expected
    assert all(code in PLATFORMS for code in codes)


@given(st.text(min_size=1, max_size=12).filter(lambda t: t.strip().lower() not in (*PLATFORMS, "twitter") and "," not in t))
@settings(max_examples=200, deadline=None)
def test_anything_else_is_not_a_platform(word):
    with pytest.raises(ConfigError):
        validate_params(ProfileAnalyticsParams, {"profile_username": "p", "platforms": word})


@given(st.sets(st.sampled_from(["date", "start_date", "end_date", "period"]), min_size=1))
@settings(max_examples=50, deadline=None)
def test_one_way_of_giving_the_range(given_names):
    today = clock.today()
    days = {
        name: (today - dt.timedelta(days=back)).isoformat() for name, back in (("date", 5), ("start_date", 9), ("end_date", 1))
    }
    values = {**days, "period": "last_week"}
    raw = {"profile_username": "p", **{name: values[name] for name in given_names}}
    ways = ("date" in given_names) + bool({"start_date", "end_date"} & given_names) + ("period" in given_names)
    if ways == 1:
        assert validate_params(TotalImpressionsParams, raw)
    else:
        with pytest.raises(ConfigError):
            validate_params(TotalImpressionsParams, raw)


def test_metric_names_are_the_documented_ones():
    assert len(METRICS) == 10 and "profileViews" in METRICS
    params = validate_params(TotalImpressionsParams, {"profile_username": "p", "metrics": "LIKES,likes,saves"})
    assert params.metrics == ["likes", "saves"]
