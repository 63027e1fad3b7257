"""DRF pages across many pages, empty searches, and the declared search -> analytics chain."""

from __future__ import annotations

import math
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialtap import Account, Observation, Post
from socialtap.credits import BudgetExceeded
from socialtap.errors import ConfigError
from socialtap.runner import Options, RunReport, Task, iter_records
from socialtap.testing import serve_sandbox
from socialtap_influencerdb.examples import CHANNEL_ID

PRICE = 5


def fetch(sandbox, stream: str, params: dict, **options) -> tuple[list, RunReport]:
    report = RunReport("influencerdb", stream, "")
    task = Task("influencerdb", stream, params, sandbox.credentials, Options(base_url=sandbox.base_url, **options))
    return list(iter_records(task, report=report)), report


def pages_asked(app, fragment: str) -> list[int]:
    return [
        int(parse_qs(urlsplit(path).query).get("page", ["1"])[0])
        for method, path in app.log
        if method == "GET" and fragment in path
    ]


def test_content_follows_next_across_many_pages_on_its_own_origin():
    with serve_sandbox("influencerdb", posts=95, page_size=3) as sandbox:
        records, report = fetch(sandbox, "content", {"id": [CHANNEL_ID]})
        assert pages_asked(sandbox.app, "/content") == list(range(1, 33))
        assert report.credits == sandbox.app.spent == 32 * PRICE
    assert report.pages == 32 and len(records) == 95
    assert len({r.post_id for r in records}) == 95 and all(isinstance(r, Post) for r in records)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(posts=st.integers(min_value=0, max_value=30), page_size=st.integers(min_value=1, max_value=7))
def test_every_post_once_whatever_the_page_size(posts, page_size):
    with serve_sandbox("influencerdb", posts=posts, page_size=page_size) as sandbox:
        records, report = fetch(sandbox, "content", {"id": [CHANNEL_ID]})
    assert len({r.post_id for r in records}) == len(records) == posts
    assert report.pages == max(1, math.ceil(posts / page_size))


def test_a_first_page_may_be_given():
    with serve_sandbox("influencerdb", posts=25) as sandbox:
        records, _ = fetch(sandbox, "content", {"id": [CHANNEL_ID], "page": 2})
        assert pages_asked(sandbox.app, "/content") == [2, 3]
    assert len(records) == 15


def test_an_empty_search_is_count_zero_and_no_records():
    with serve_sandbox("influencerdb") as sandbox:
        records, report = fetch(sandbox, "channel_search", {"username": ["nobody_at_all"]})
    assert records == [] and report.pages == 1 and report.credits == PRICE


# -- parent -> child --------------------------------------------------------------------------


def test_usernames_resolve_through_search_into_the_analytics_stream():
    # Three channels per search, two a page: each search takes two pages.
    with serve_sandbox("influencerdb", search_results=3, page_size=2) as sandbox:
        records, report = fetch(sandbox, "audience", {"username": ["dior", "chanel"], "media": "instagram"})
        app = sandbox.app
        assert sorted(pages_asked(app, "/search")) == [1, 1, 2, 2]  # two chains, fetched at once
        audience_calls = [path for method, path in app.log if method == "GET" and "/audience" in path]
        assert report.credits == app.spent == 6 * PRICE
    accounts = [r for r in records if isinstance(r, Account)]
    assert sorted(a.username for a in accounts) == ["chanel", "chanel.2", "chanel.3", "dior", "dior.2", "dior.3"]
    wanted = {a.account_id for a in accounts if a.username in ("dior", "chanel")}
    # Only the channels whose username was asked for are fanned out into; look-alikes are not.
    assert {path.split("/")[3] for path in audience_calls} == wanted and len(audience_calls) == 2
    shares = [r for r in records if isinstance(r, Observation) and r.metric == "audience_share"]
    assert {o.entity_id for o in shares} == wanted
    assert [c.chain for c in report.chains][:2] == ["username=dior", "username=chanel"]


def test_a_username_nobody_has_is_a_warning_and_costs_only_its_search():
    with serve_sandbox("influencerdb") as sandbox:
        records, report = fetch(sandbox, "content", {"username": ["nobody_here"]})
        assert sandbox.app.spent == PRICE
    assert records == [] and any("found no username nobody_here" in w for w in report.warnings)


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"username": ["dior"], "id": [CHANNEL_ID]}, "either id or username"),
        ({"username": ["dior"], "media": "tiktok"}, "media"),
        ({"username": ["dior"], "period": 30}, "period"),
    ],
)
def test_a_chained_task_is_checked_whole_before_any_request(params, says):
    with serve_sandbox("influencerdb") as sandbox:
        with pytest.raises(ConfigError, match=says):
            fetch(sandbox, "follower_changes", params)
        assert sandbox.app.log == []


def test_the_budget_covers_parent_and_children_together():
    with serve_sandbox("influencerdb") as sandbox:
        with pytest.raises(BudgetExceeded):
            fetch(sandbox, "audience", {"username": ["dior", "chanel"]}, max_credits=3 * PRICE)
        assert sandbox.app.spent == 3 * PRICE  # two searches and one audience, not the second


def test_a_chained_run_keeps_the_users_params_in_the_state_file(tmp_path):
    import sqlite3

    state = tmp_path / "state.sqlite"
    with serve_sandbox("influencerdb") as sandbox:
        fetch(sandbox, "audience", {"username": ["dior"]}, state=str(state))
    (params,) = sqlite3.connect(state).execute("SELECT params FROM tasks").fetchone()
    assert "dior" in params and "from channel_search" not in params


def test_one_search_feeds_several_analytics_streams_in_one_run():
    with serve_sandbox("influencerdb") as sandbox:
        records, report = fetch(
            sandbox, "audience,audience_quality,follower_changes", {"username": ["dior", "chanel"], "period": 180}
        )
        app = sandbox.app
        assert len([p for m, p in app.log if m == "GET" and "/search" in p]) == 2  # searched once, not per stream
        assert report.credits == app.spent == (2 + 2 * 3) * PRICE
    assert report.stream == "audience,audience_quality,follower_changes"
    metrics = {r.metric for r in records if isinstance(r, Observation)}
    assert {"audience_share", "quality_grade", "follower_change"} <= metrics
    changes = [r for r in records if isinstance(r, Observation) and r.metric == "follower_change"]
    assert len(changes) == 2 * 6  # period=180 reached follower_changes alone: 6 entries per channel


@pytest.mark.parametrize(
    ("stream", "params", "says"),
    [
        ("audience,balance", {"username": ["dior"]}, "children of one parent"),
        ("audience,content", {"id": [CHANNEL_ID]}, "children of one parent"),
        ("audience,content", {"username": ["dior"], "colour": "red"}, "no stream of the run takes colour"),
    ],
)
def test_several_streams_are_checked_before_any_request(stream, params, says):
    with serve_sandbox("influencerdb") as sandbox:
        with pytest.raises(ConfigError, match=says):
            fetch(sandbox, stream, params)
        assert sandbox.app.log == []
