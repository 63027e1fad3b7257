"""The accounts stream over real HTTP against the sandbox: batching, order, statuses."""

from __future__ import annotations

import logging

import pytest

from socialtap import Account, Observation, PayloadError, Request, Task, iter_records
from socialtap.normalize import structure_payload
from socialtap.plugins import make_plugin_manager
from socialtap.runner import RunReport
from socialtap.testing import sandbox_task_options, serve_sandbox
from socialtap.testing.emulator import json_response
from socialtap_metrika.models import SearchResponse
from socialtap_metrika.normalize import normalize_accounts
from socialtap_metrika.params import Resource
from socialtap_metrika.sandbox import TEST_TOKEN


def fetch(resources, seed=0, **sandbox_options):
    """(records, report, sandbox app) of one accounts run."""
    with serve_sandbox("metrika", seed=seed, plugin_manager=make_plugin_manager(), **sandbox_options) as sandbox:
        task = Task("metrika", "accounts", {"resources": resources}, sandbox.credentials, sandbox_task_options(sandbox))
        report = RunReport("metrika", "accounts", "")
        records = list(iter_records(task, report=report, plugin_manager=make_plugin_manager()))
    return records, report, sandbox.app


def accounts(records):
    return [(r.platform, r.account_id) for r in records if isinstance(r, Account)]


PLATFORMS = ["instagram", "tiktok", "x", "youtube", "facebook", "linkedin", "threads"]
# 21 distinct resources in a mixed order, then 4 repeats written both ways: 25 in all.
UNIQUE = [f"{PLATFORMS[i % 7]}:acct{(i * 7) % 23}" for i in range(21)]
REPEATS = [UNIQUE[3], {"platform": UNIQUE[0].split(":")[0], "identifier": UNIQUE[0].split(":")[1]}, UNIQUE[20], UNIQUE[3]]
TWENTY_FIVE = UNIQUE[:10] + REPEATS[:2] + UNIQUE[10:] + REPEATS[2:]


def test_25_resources_with_duplicates_take_3_requests_and_keep_the_users_order():
    assert len(TWENTY_FIVE) == 25 and len(set(UNIQUE)) == 21
    records, report, app = fetch(TWENTY_FIVE)
    assert app.stats["search"] == 3 == app.requests_seen == report.requests
    assert sorted(len(batch) for batch in app.batches) == [1, 10, 10]  # sent concurrently: any order
    assert app.stats.get("rate_limited", 0) == 0
    assert accounts(records) == [tuple(item.split(":")) for item in UNIQUE]
    # each account is followed by its own observations, before the next account
    owner = None
    for record in records:
        if isinstance(record, Account):
            owner = (record.platform, record.account_id)
        else:
            assert (record.platform, record.entity_id) == owner


def test_duplicates_in_one_batch_are_sent_once():
    records, _, app = fetch(["instagram:natgeo", {"platform": "Instagram", "identifier": "natgeo"}, "instagram:nasa"])
    assert app.batches == [[("instagram", "account", "natgeo"), ("instagram", "account", "nasa")]]
    assert accounts(records) == [("instagram", "natgeo"), ("instagram", "nasa")]


def test_documented_example_accounts_answer_as_documented():
    records, _, _ = fetch(["instagram:natgeo", "instagram:nasa"])
    followers = {r.entity_id: r.value for r in records if isinstance(r, Observation) and r.metric == "followers"}
    assert followers == {"natgeo": 284_000_000, "nasa": 96_800_000}


def test_not_found_pending_and_unavailable_survive_normalization():
    records, _, _ = fetch(["youtube:unknown_channel", "tiktok:new_creator", "threads:private_person", "youtube:nasa"])
    status = {r.account_id: r.status for r in records if isinstance(r, Account)}
    assert status == {
        "unknown_channel": "not_found",
        "new_creator": "pending",
        "private_person": "unavailable",
        "nasa": "available",
    }
    observations = {(r.entity_id, r.metric): r for r in records if isinstance(r, Observation)}
    # only the documented metric, null (never 0) where the account has no number
    assert {metric for _, metric in observations} == {"followers"}
    for entity, status in (("unknown_channel", "unavailable"), ("new_creator", "pending"), ("private_person", "unavailable")):
        assert observations[(entity, "followers")].value is None
        assert observations[(entity, "followers")].status == status
    assert isinstance(observations[("nasa", "followers")].value, int)
    assert observations[("nasa", "followers")].status == "available"
    assert all(r.canonical and r.entity_type == "account" and r.vendor == "metrika" for r in observations.values())


def test_values_are_deterministic_for_a_seed():
    resources = ["x:someone", "tiktok:creator"]
    first, _, _ = fetch(resources, seed=1)
    again, _, _ = fetch(resources, seed=1)
    other, _, _ = fetch(resources, seed=2)

    def values(records):
        return [(r.entity_id, r.metric, r.value) for r in records if isinstance(r, Observation)]

    assert values(first) == values(again)
    assert values(first) != values(other)


def test_records_follow_the_request_even_if_the_response_is_reordered():
    payload = {
        "data": [
            {
                "platform": "x",
                "identifier": "b",
                "status": "available",
                "metrics": {"followers": {"value": 2, "status": "available"}},
            },
            {
                "platform": "x",
                "identifier": "a",
                "status": "not_found",
                "metrics": {"followers": {"value": None, "status": "unavailable"}},
            },
            {"platform": "x", "identifier": "b", "status": "available", "metrics": {}},
        ]
    }
    request = Request(
        "POST", "/resources/search", params=type("P", (), {"resources": [Resource("x", "a"), Resource("x", "b")]})()
    )
    records = list(normalize_accounts(structure_payload(payload, SearchResponse), request))
    assert accounts(records) == [("x", "a"), ("x", "b")]
    assert [(r.entity_id, r.value) for r in records if isinstance(r, Observation)] == [("a", None), ("b", 2)]


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        (
            {
                "platform": "x",
                "identifier": "a",
                "status": "available",
                "metrics": {"followers": {"value": "many", "status": "available"}},
            },
            "followers",
        ),
        ({"platform": "x", "identifier": "a", "metrics": {}}, "$.data[0].status"),
    ],
)
def test_an_undocumented_payload_is_a_payload_error_naming_the_field(entry, field):
    with pytest.raises(PayloadError) as caught:
        structure_payload({"data": [entry]}, SearchResponse, vendor="metrika", where="accounts")
    assert field in str(caught.value)


def answering(payload):
    """A sandbox wrapper answering every search with ``payload`` (after the sandbox's auth check)."""

    def wrap(app):
        def wrapped(environ, start_response):
            if environ.get("HTTP_AUTHORIZATION") != f"Bearer {TEST_TOKEN}":
                return app(environ, start_response)
            return json_response(payload, 200)(environ, start_response)

        return wrapped

    return wrap


def test_an_undocumented_status_keeps_the_batch_with_a_warning(caplog):
    payload = {
        "data": [
            {
                "platform": "x",
                "identifier": "a",
                "status": "suspended",
                "metrics": {"followers": {"value": 7, "status": "stale"}},
            },
            {
                "platform": "x",
                "identifier": "b",
                "status": "available",
                "metrics": {"followers": {"value": None, "status": "below_threshold"}},
            },
            {
                "platform": "x",
                "identifier": "c",
                "status": "available",
                "metrics": {"followers": {"value": 3, "status": "available"}},
            },
        ]
    }
    with caplog.at_level(logging.WARNING, logger="socialtap.metrika"):
        records, report, _ = fetch(["x:a", "x:b", "x:c"], wrap=answering(payload))
    assert report.requests == 1
    status = {r.account_id: r.status for r in records if isinstance(r, Account)}
    assert status == {"a": "unavailable", "b": "available", "c": "available"}
    observed = {r.entity_id: (r.value, r.status) for r in records if isinstance(r, Observation)}
    # the value Metrika sent is kept; an unknown word becomes unavailable, a socialtap one stays
    assert observed == {"a": (7, "unavailable"), "b": (None, "below_threshold"), "c": (3, "available")}
    warnings = [r.getMessage() for r in caplog.records if r.name == "socialtap.metrika" and r.levelno == logging.WARNING]
    assert len(warnings) == 3
    assert any("x:a has status 'suspended'" in w and "recorded as 'unavailable'" in w for w in warnings)
    assert any("x:a metric 'followers' has status 'stale'" in w for w in warnings)
    assert any("x:b metric 'followers' has status 'below_threshold'" in w for w in warnings)
    assert all("report it" in w for w in warnings)


def test_documented_statuses_raise_no_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="socialtap.metrika"):
        records, _, _ = fetch(["youtube:unknown_channel", "tiktok:new_creator", "threads:private_person", "youtube:nasa"])
    assert len(records) == 8
    assert [r for r in caplog.records if r.name == "socialtap.metrika"] == []


def test_token_from_the_environment(monkeypatch):
    monkeypatch.setenv("SOCIALTAP_METRIKA_TOKEN", TEST_TOKEN)
    with serve_sandbox("metrika") as sandbox:
        task = Task("metrika", "accounts", {"resources": ["x:nasa"]}, None, sandbox_task_options(sandbox))
        assert accounts(iter_records(task)) == [("x", "nasa")]


def test_identifiers_differing_only_in_case_stay_two_resources():
    records, _, app = fetch(["x:NASA", "x:nasa", "x:NASA"])
    assert app.batches == [[("x", "account", "NASA"), ("x", "account", "nasa")]]
    assert accounts(records) == [("x", "NASA"), ("x", "nasa")]
