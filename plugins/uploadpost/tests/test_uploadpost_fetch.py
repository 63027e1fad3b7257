"""End to end against the sandbox over HTTP: what each stream's records say, the docs'
examples reproduced, warnings instead of crashes, the documented errors, the public stream."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
import requests

from socialtap import clock
from socialtap.errors import AuthError, ConfigError, NotFoundError, PayloadError, VendorError
from socialtap.records import Account, Observation, Post, Relation, natural_key
from socialtap.runner import Options, Task, iter_records
from socialtap.testing import serve_app, serve_sandbox
from socialtap_uploadpost import examples
from socialtap_uploadpost.params import PLATFORMS
from socialtap_uploadpost.sandbox import TEST_API_KEY

ENV = "SOCIALTAP_UPLOADPOST_API_KEY"


def observations(records, **match):
    return [r for r in records if isinstance(r, Observation) and all(getattr(r, k) == v for k, v in match.items())]


# -- profile analytics ---------------------------------------------------------------


def test_analytics_records_per_platform_with_meanings_kept_apart(run_stream):
    records, _, _ = run_stream(
        "profile_analytics", {"profile_username": "profile2", "platforms": "instagram,youtube,x,reddit,facebook", "page_id": "77"}
    )
    accounts = {r.platform: r for r in records if isinstance(r, Account)}
    assert list(accounts) == ["instagram", "youtube", "x", "reddit", "facebook"]
    assert accounts["facebook"].ids == {"page_id": "77"}
    assert accounts["instagram"].attributes["primary_impressions_field"] == "reach"
    assert accounts["youtube"].attributes["metric_labels"] == {"impressions": "Video Views", "followers": "Subscribers"}
    snapshot = {(o.platform, o.metric): o for o in observations(records, date=None)}
    # impressions are views on YouTube; profileViews are "accounts engaged" on Instagram
    assert ("youtube", "views") in snapshot and ("youtube", "impressions") not in snapshot
    assert snapshot["instagram", "profileViews"].canonical is False
    assert snapshot["instagram", "profileViews"].attributes["metric_label"] == "Accounts Engaged"
    assert snapshot["facebook", "profile_views"].canonical is True
    assert snapshot["facebook", "followers"].dimensions == {"page_id": "77"}
    # reach_timeseries is named by metric_type: reach, views, impressions, score
    series = {(o.platform, o.metric) for o in records if isinstance(o, Observation) and o.date is not None}
    assert series == {
        ("instagram", "reach"),
        ("youtube", "views"),
        ("x", "impressions"),
        ("reddit", "score"),
        ("facebook", "reach"),
    }
    for platform in accounts:
        days = [o for o in records if isinstance(o, Observation) and o.platform == platform and o.date is not None]
        assert len(days) == 30 and days[-1].date == clock.today()
        assert {o.attributes["metric_type"] for o in days} == {accounts[platform].attributes["metric_type"]}


def test_the_docs_analytics_example_is_reproduced(run_stream):
    records, _, requests_sent = run_stream("profile_analytics", {"profile_username": "test", **examples.ANALYTICS_QUERY})
    assert requests_sent == [("/api/analytics/test", examples.ANALYTICS_QUERY)]
    instagram = observations(records, platform="instagram")
    documented = examples.ANALYTICS["instagram"]
    assert {(o.metric, o.value) for o in instagram if o.date is None} == {
        ("followers", 47),
        ("impressions", 0),
        ("profileViews", 0),
        ("reach", 0),
    }
    assert [(o.date.isoformat(), o.value) for o in instagram if o.date] == [
        (p["date"], p["value"]) for p in documented["reach_timeseries"]
    ]


def test_an_unsupported_or_unconnected_platform_is_a_warning_not_a_crash(run_stream, caplog):
    caplog.set_level(logging.WARNING, logger="socialtap.uploadpost")
    records, _, _ = run_stream(
        "profile_analytics", {"profile_username": "myprofile", "platforms": "instagram,bluesky,x"}, unsupported="bluesky"
    )
    accounts = {r.platform: r for r in records if isinstance(r, Account)}
    assert accounts["instagram"].status == "available" and observations(records, platform="instagram")
    for platform in ("bluesky", "x"):
        assert accounts[platform].status == "unavailable"
        assert platform in accounts[platform].attributes["message"]
        assert not observations(records, platform=platform)
        assert any(platform in m and "not available" in m for m in caplog.messages)


# -- total impressions ----------------------------------------------------------------


@pytest.mark.parametrize(("query", "body"), examples.TOTAL_EXAMPLES, ids=["range", "period", "metrics", "date", "filter"])
def test_the_docs_total_impressions_examples_are_reproduced(run_stream, query, body):
    day = "2026-02-19" if "platform" in query else "2026-02-20"
    params = {"profile_username": "myprofile", **query}
    params = {k: (True if v == "true" else v) for k, v in params.items()}
    with clock.frozen(f"{day}T12:00:00Z"):
        records, _, requests_sent = run_stream("total_impressions", params)
    assert requests_sent == [("/api/uploadposts/total-impressions/myprofile", query)]
    window = {"start_date": body["start_date"], "end_date": body["end_date"]}
    totals = observations(records, platform="all", date=None)
    if "metrics" in body:
        assert {(o.metric, o.value) for o in totals} == set(body["metrics"].items())
        parts = {(o.metric, o.platform, o.value) for o in records if o.platform != "all"}
        assert parts == {(m, p, v) for m, by in body["per_platform"].items() for p, v in by.items()}
    else:
        assert [(o.metric, o.value) for o in totals] == [("total_impressions", body["total_impressions"])]
        parts = {(o.platform, o.value) for o in records if o.platform != "all"}
        assert parts == set(body.get("per_platform", {}).items())
        days = {(o.date.isoformat(), o.value) for o in records if o.date is not None}
        assert days == set(body.get("per_day", {}).items())
    assert all(o.dimensions["start_date"] == window["start_date"] for o in totals)
    if "platforms_filter" in body:
        assert totals[0].dimensions["platforms_filter"] == "tiktok,youtube"
        assert totals[0].attributes["platforms_filter"] == ["youtube", "tiktok"]


@pytest.mark.parametrize(
    ("today", "period", "start"),
    [
        ("2026-02-20", "last_day", "2026-02-19"),
        ("2026-02-20", "last_week", "2026-02-13"),
        ("2026-02-20", "last_month", "2026-01-21"),
        ("2026-02-20", "last_3months", "2025-11-22"),
        ("2026-02-20", "last_year", "2025-02-20"),
    ],
)
def test_period_ranges_are_inclusive_and_end_today(run_stream, today, period, start):
    with clock.frozen(f"{today}T08:00:00Z"):
        records, _, _ = run_stream("total_impressions", {"profile_username": "profile1", "period": period})
    (total,) = records
    assert (total.dimensions["start_date"], total.dimensions["end_date"]) == (start, today)


def test_platform_filter_totals_do_not_overwrite_the_unfiltered_ones(run_stream):
    both = []
    for extra in ({}, {"platform": "youtube,tiktok"}):
        records, _, _ = run_stream("total_impressions", {"profile_username": "profile1", "breakdown": True, **extra})
        both.append({natural_key(r) for r in records if r.platform == "all"})
    assert both[0] and both[1] and not both[0] & both[1]


# -- post analytics -------------------------------------------------------------------


def test_the_docs_post_example_one_platform_failing(run_stream, caplog):
    caplog.set_level(logging.WARNING, logger="socialtap.uploadpost")
    records, _, _ = run_stream("post_analytics", {"request_id": examples.POST_REQUEST_ID})
    posts = {p.platform: p for p in records if isinstance(p, Post)}
    youtube, tiktok = posts["youtube"], posts["tiktok"]
    assert youtube.post_id == tiktok.post_id == "abc123-def456"
    assert youtube.ids == {"platform_post_id": "dQw4w9WgXcQ"} and youtube.account_id == "myprofile"
    assert youtube.created_at == dt.datetime(2026, 2, 10, 14, 30, tzinfo=dt.UTC)  # no zone in the docs: UTC
    assert youtube.metrics == {"views": 5200, "likes": 120, "comments": 8, "favorites": 3}
    assert (youtube.text, youtube.media_type, youtube.attributes["post_title"]) == ("Check this out!", "video", "My Video")
    assert tiktok.metrics == {} and "not found" in tiktok.attributes["post_metrics_error"]
    (status,) = observations(records, entity_type="post")
    assert (status.platform, status.metric, status.value, status.status) == ("tiktok", "post_metrics", None, "unavailable")
    assert any("tiktok" in m and "abc123-def456" in m for m in caplog.messages)
    # the other platform's data and both snapshots of each platform are still there
    for platform, documented in examples.POST["platforms"].items():
        at_post = observations(records, platform=platform, entity_type="profile", date=dt.date(2026, 2, 10))
        latest = observations(records, platform=platform, entity_type="profile", date=dt.date(2026, 2, 20))
        assert sorted(o.value for o in at_post) == sorted(documented["profile_snapshot_at_post_date"].values())
        assert sorted(o.value for o in latest) == sorted(documented["profile_snapshot_latest"].values())
        assert {o.metric for o in at_post} >= {"views", "followers"}  # impressions are views on YouTube and TikTok


def test_one_platform_only(run_stream):
    records, _, requests_sent = run_stream("post_analytics", {"request_id": examples.POST_REQUEST_ID, "platform": "youtube"})
    assert requests_sent[0][1] == {"platform": "youtube"}
    assert {r.platform for r in records} == {"youtube"}


def test_seeded_posts_fan_out_and_each_first_post_has_one_failing_platform(run_stream):
    ids = ["profile1-post1", "profile1-post2", "profile3-post1"]
    records, report, _ = run_stream("post_analytics", {"request_id": ids})
    assert report.requests == 3
    posts = [r for r in records if isinstance(r, Post)]
    assert list(dict.fromkeys(p.post_id for p in posts)) == ids  # chain by chain, in the order given
    failing = {(o.entity_id, o.platform) for o in observations(records, entity_type="post")}
    assert {post_id for post_id, _ in failing} == {"profile1-post1", "profile3-post1"}
    assert all(any(p.post_id == post_id and p.metrics for p in posts) for post_id, _ in failing)


# -- errors ---------------------------------------------------------------------------


def test_unknown_profile_and_request_id_are_not_found_naming_them():
    with serve_sandbox("uploadpost") as running:
        for stream, params, name in (
            ("profile_analytics", {"profile_username": "nobody", "platforms": "x"}, "nobody"),
            ("total_impressions", {"profile_username": "nobody"}, "nobody"),
            ("post_analytics", {"request_id": "no-such-request"}, "no-such-request"),
        ):
            task = Task("uploadpost", stream, params, running.credentials, Options(base_url=running.base_url, fail_fast=True))
            with pytest.raises(NotFoundError) as caught:
                list(iter_records(task))
            assert name in str(caught.value) and "check the profile_username or request_id" in str(caught.value)


def test_a_bad_key_is_an_auth_error_naming_the_env_var():
    with serve_sandbox("uploadpost") as running:
        task = Task("uploadpost", "post_analytics", {"request_id": "x"}, {"api_key": "wrong"}, Options(base_url=running.base_url))
        with pytest.raises(AuthError, match=ENV) as caught:
            list(iter_records(task))
    assert "wrong" not in str(caught.value) and "JWT is missing, invalid, or expired" in str(caught.value)


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/analytics/test", "platforms query parameter is missing or invalid"),
        ("/analytics/test?platforms=Instagram", "platforms query parameter is missing or invalid"),
        ("/analytics/test?platforms=facebook", "page_id is required"),
        ("/uploadposts/total-impressions/profile1?date=2026-2-1", "must be YYYY-MM-DD"),
        ("/uploadposts/total-impressions/profile1?metrics=likes,views", "invalid metric name 'views'"),
        ("/uploadposts/total-impressions/profile1?period=last_decade", "invalid period"),
    ],
)
def test_the_sandbox_400s_become_config_errors_quoting_the_server(path, words):
    # The plugin refuses these before sending; a server that still answers 400 is quoted.
    with serve_sandbox("uploadpost") as running:
        answer = requests.get(running.base_url + path, headers={"Authorization": f"Apikey {TEST_API_KEY}"}, timeout=10)
        assert answer.status_code == 400 and words in answer.json()["message"]

        def replay(environ, start_response):
            start_response("400 Bad Request", [("Content-Type", "application/json")])
            return [answer.content]

        with serve_app(replay) as served:
            task = Task("uploadpost", "platform_metrics", {}, None, Options(base_url=served.url + "/api"))
            with pytest.raises(ConfigError) as caught:
                list(iter_records(task))
    assert words in str(caught.value) and "fix the params" in str(caught.value)


def test_a_500_is_retried_then_a_vendor_error():
    with serve_sandbox("uploadpost", faults="first_errors=2") as running:
        records = list(
            iter_records(
                Task("uploadpost", "platform_metrics", {}, None, Options(base_url=running.base_url, backoff_initial=0.01))
            )
        )
        assert records and running.faults_seen["requests"] == 3
    with serve_sandbox("uploadpost", faults="error_rate=1") as running:
        task = Task(
            "uploadpost", "platform_metrics", {}, None, Options(base_url=running.base_url, backoff_initial=0.01, max_attempts=3)
        )
        with pytest.raises(VendorError):
            list(iter_records(task))


# -- the public stream ---------------------------------------------------------------


def test_platform_metrics_runs_without_credentials_and_never_sends_them(monkeypatch):
    seen = []

    def recording(app):
        def wsgi(environ, start_response):
            seen.append(environ.get("HTTP_AUTHORIZATION"))
            return app(environ, start_response)

        return wsgi

    monkeypatch.delenv(ENV, raising=False)
    with serve_sandbox("uploadpost", wrap=recording) as running:
        without = list(iter_records(Task("uploadpost", "platform_metrics", {}, None, Options(base_url=running.base_url))))
        monkeypatch.setenv(ENV, TEST_API_KEY)
        with_key = list(iter_records(Task("uploadpost", "platform_metrics", {}, None, Options(base_url=running.base_url))))
        # a stream that needs the key still asks for it when none is set
        monkeypatch.delenv(ENV)
        with pytest.raises(ConfigError, match=ENV):
            list(
                iter_records(Task("uploadpost", "post_analytics", {"request_id": "x"}, None, Options(base_url=running.base_url)))
            )
    assert without == with_key and seen == [None, None]
    relations = {(r.platform, r.relation, r.other_id, r.other_name) for r in without if isinstance(r, Relation)}
    assert ("instagram", "primary_impressions_field", "reach", None) in relations
    assert ("instagram", "available_metric", "profileViews", "Accounts Engaged") in relations
    assert ("youtube", "available_metric", "followers", "Subscribers") in relations
    assert {r.platform for r in without} == set(PLATFORMS)


# -- trust nothing a server sends ----------------------------------------------------


def answering(body):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(body).encode()]

    return app


@pytest.mark.parametrize(
    ("stream", "params", "body", "named"),
    [
        ("total_impressions", {"profile_username": "mine"}, examples.PERIOD, "myprofile"),
        ("post_analytics", {"request_id": "other-request"}, examples.POST, "abc123-def456"),
    ],
)
def test_an_answer_about_another_profile_or_post_is_refused(stream, params, body, named):
    with serve_app(answering(body)) as served:
        task = Task("uploadpost", stream, params, {"api_key": "k"}, Options(base_url=served.url + "/api"))
        with pytest.raises(PayloadError, match=named):
            list(iter_records(task))


def test_analytics_keys_that_were_not_requested_are_skipped_with_a_warning(caplog):
    caplog.set_level(logging.WARNING, logger="socialtap.uploadpost")
    body = {**examples.ANALYTICS, "youtube": {"followers": 5}, "echo": {"authorization": "x"}}
    with serve_app(answering(body)) as served:
        params = {"profile_username": "test", "platforms": "instagram"}
        task = Task("uploadpost", "profile_analytics", params, {"api_key": "k"}, Options(base_url=served.url + "/api"))
        records = list(iter_records(task))
    assert {r.platform for r in records} == {"instagram"}
    assert sum("not requested" in m for m in caplog.messages) == 2
