"""Metrika's documented errors over real HTTP: what the sandbox answers, what the user gets."""

from __future__ import annotations

import pytest
import requests

from socialtap import AuthError, ConfigError, NotFoundError, QuotaError, Request, Task, VendorError, clock, iter_records
from socialtap.engine import Engine, EngineOptions
from socialtap.plugins import get_registry, make_plugin_manager
from socialtap.retry import RetryPolicy, RetrySafety
from socialtap.testing import sandbox_task_options, serve_sandbox
from socialtap.testing.emulator import json_response
from socialtap_metrika.sandbox import TEST_TOKEN

WRONG = "not-the-metrika-token-1234"
ITEM = {"platform": "instagram", "type": "account", "identifier": "natgeo"}


def search(sandbox, body, token=TEST_TOKEN):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(f"{sandbox.base_url}/resources/search", json=body, headers=headers, timeout=10)


def engine_for(sandbox, token=TEST_TOKEN, base_url=None, **engine_options):
    pm = make_plugin_manager()
    vendor = get_registry(pm).get("metrika")
    auth = pm.hook.socialtap_auth(vendor=vendor, credentials={"token": token})
    return Engine(
        vendor,
        base_url or sandbox.base_url,
        auth,
        pm.hook,
        secrets=[token],
        env_hint="SOCIALTAP_METRIKA_TOKEN",
        **engine_options,
    )


def run(sandbox, resources, token=TEST_TOKEN):
    task = Task("metrika", "accounts", {"resources": resources}, {"token": token}, sandbox_task_options(sandbox))
    return list(iter_records(task, plugin_manager=make_plugin_manager()))


# -- the sandbox answers as documented ------------------------------------------------


@pytest.mark.parametrize("token", [None, WRONG])
def test_sandbox_refuses_a_missing_or_wrong_token_with_401(token):
    with serve_sandbox("metrika") as sandbox:
        answer = search(sandbox, {"resources": [ITEM]}, token=token)
        assert sandbox.app.stats["search"] == 0
    assert answer.status_code == 401
    assert "Authorization: Bearer" in answer.json()["errors"][0]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({}, "'resources' field is required"),
        ({"resources": [ITEM] * 11}, "'resources' may contain at most 10 resources per request, got 11"),
        ({"resources": [{**ITEM, "platform": "myspace"}]}, "'resources[0].platform' must be one of: facebook"),
        ({"resources": [{"platform": "x", "identifier": "a"}]}, "'resources[0].type' field is required"),
    ],
)
def test_sandbox_validation_errors_are_422_with_an_errors_list(body, error):
    with serve_sandbox("metrika") as sandbox:
        answer = search(sandbox, body)
    assert answer.status_code == 422
    assert any(message.startswith(error) for message in answer.json()["errors"])


def test_sandbox_removes_duplicates_and_keeps_request_order():
    nasa = {**ITEM, "identifier": "nasa"}
    with serve_sandbox("metrika") as sandbox:
        answer = search(sandbox, {"resources": [nasa, ITEM, nasa, ITEM]})
    assert answer.status_code == 200
    assert [entry["identifier"] for entry in answer.json()["data"]] == ["nasa", "natgeo"]


# -- and the client maps each onto a typed error --------------------------------------


def test_401_is_an_auth_error_naming_the_env_var_not_the_token():
    with serve_sandbox("metrika") as sandbox, pytest.raises(AuthError) as caught:
        run(sandbox, ["instagram:natgeo"], token=WRONG)
    assert caught.value.status == 401
    assert "SOCIALTAP_METRIKA_TOKEN" in str(caught.value)
    assert WRONG not in str(caught.value)


def test_422_is_a_config_error_carrying_the_servers_errors():
    # The plugin never sends more than 10 resources; send 11 by hand to see the mapping.
    with serve_sandbox("metrika") as sandbox, pytest.raises(ConfigError) as caught:
        engine_for(sandbox).send(Request("POST", "/resources/search", json={"resources": [ITEM] * 11}))
    assert caught.value.status == 422
    assert caught.value.problems == ["'resources' may contain at most 10 resources per request, got 11"]


def test_429_on_a_paid_subscription_says_the_window_resets_every_minute():
    with serve_sandbox("metrika", requests_per_minute=1) as sandbox:
        engine = engine_for(sandbox)
        engine.send(Request("POST", "/resources/search", json={"resources": [ITEM]}))
        raw = engine.send_raw(Request("POST", "/resources/search", json={"resources": [ITEM]}))
        with pytest.raises(QuotaError) as caught:
            engine.send(Request("POST", "/resources/search", json={"resources": [ITEM]}))
        assert sandbox.app.stats["rate_limited"] == 2
    assert raw.status == 429 and "Retry-After" not in raw.headers  # Metrika documents none
    assert "paid subscription" in str(caught.value) and "resets every minute" in str(caught.value)
    assert TEST_TOKEN not in str(caught.value)


def test_429_on_the_free_tier_is_a_quota_error_saying_30_days():
    # Eleven resources are two requests; the free quota here allows one. The 429 has no
    # Retry-After, so the engine would wait for the next minute (30 s at :30), past the
    # 0.5 s budget here: the run ends at once with a QuotaError.
    with (
        clock.frozen("2026-11-30T12:00:30Z"),
        serve_sandbox("metrika", tier="free", free_quota=1) as sandbox,
        pytest.raises(QuotaError) as caught,
    ):
        run_with(sandbox, [f"x:user{i}" for i in range(11)], max_retry_wait=0.5, concurrency=1)
        assert sandbox.app.stats["rate_limited"] == 1
    assert caught.value.status == 429
    assert "free-tier" in str(caught.value) and "30 days" in str(caught.value)


def test_500_is_a_vendor_error():
    def broken(_app):
        def app(environ, start_response):
            return json_response({"errors": ["Internal server error"]}, 500)(environ, start_response)

        return app

    with serve_sandbox("metrika", wrap=broken) as sandbox, pytest.raises(VendorError) as caught:
        engine_for(sandbox).send(Request("POST", "/resources/search", json={"resources": [ITEM]}))
    assert caught.value.status == 500
    assert "retry later" in str(caught.value)


# -- through a whole run, with the engine's retries ----------------------------------


def run_with(sandbox, resources, **options):
    task = Task("metrika", "accounts", {"resources": resources}, sandbox.credentials, sandbox_task_options(sandbox, **options))
    return list(iter_records(task, plugin_manager=make_plugin_manager()))


def test_500_is_retried_then_a_vendor_error():
    hits = []

    def broken(_app):
        def app(environ, start_response):
            hits.append(environ["PATH_INFO"])
            return json_response({"errors": ["Internal server error"]}, 500)(environ, start_response)

        return app

    with serve_sandbox("metrika", wrap=broken) as sandbox, pytest.raises(VendorError) as caught:
        run_with(sandbox, ["instagram:natgeo"], max_attempts=3, backoff_initial=0.01)
    assert len(hits) == 3  # the search is read-only, so it is retried
    assert "retry later" in str(caught.value)


def test_429_that_waiting_cannot_fix_in_the_run_says_the_paid_window():
    # The next minute starts in 15 s; the run may wait 0.5 s at most.
    with (
        clock.frozen("2026-11-30T12:00:45Z"),
        serve_sandbox("metrika", requests_per_minute=1) as sandbox,
        pytest.raises(QuotaError) as caught,
    ):
        run_with(sandbox, [f"x:user{i}" for i in range(11)], max_retry_wait=0.5, concurrency=1)
    assert sandbox.app.stats["rate_limited"] == 1  # not retried: the wait is past the budget
    assert "resets every minute" in str(caught.value)
    assert "every 30 days on the free tier" in str(caught.value)


# -- a 429 without Retry-After (Metrika documents none) waits for the paid window ------


class FakeTime:
    """The sandbox's monotonic clock, moved on only by the engine's (fake) sleeps."""

    def __init__(self):
        self.now = 1000.0
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


SEARCH = Request("POST", "/resources/search", json={"resources": [ITEM]})


def test_429_without_retry_after_waits_until_the_next_minute_then_succeeds():
    time = FakeTime()
    with clock.frozen("2026-11-30T12:00:00Z"), serve_sandbox("metrika", requests_per_minute=1, clock=time) as sandbox:
        engine = engine_for(sandbox, sleep=time.sleep)
        engine.fetch(SEARCH, retry=RetrySafety.ALWAYS)
        response = engine.fetch(SEARCH, retry=RetrySafety.ALWAYS)
        assert sandbox.app.stats["rate_limited"] == 1
    assert response.status == 200 and response.payload["data"][0]["identifier"] == "natgeo"
    assert time.slept == [60.0]  # from 12:00:00 to the start of 12:01, not a short backoff
    assert engine.retries == 1


def test_429_that_outlasts_the_minute_is_a_quota_error_naming_both_windows():
    # At 12:00:30 each wait is 30 s to the next minute; the sandbox's clock never moves, so
    # every attempt is refused. Four waits of 30 s fill the default 120 s budget exactly.
    time, slept = FakeTime(), []
    with clock.frozen("2026-11-30T12:00:30Z"), serve_sandbox("metrika", requests_per_minute=1, clock=time) as sandbox:
        engine = engine_for(sandbox, sleep=slept.append)
        assert engine.options.retry.max_total_wait >= 60  # the default budget reaches the paid window
        engine.fetch(SEARCH, retry=RetrySafety.ALWAYS)
        with pytest.raises(QuotaError) as caught:
            engine.fetch(SEARCH, retry=RetrySafety.ALWAYS)
        assert sandbox.app.stats["rate_limited"] == 5
    assert slept == [30.0, 30.0, 30.0, 30.0]
    message = str(caught.value)
    assert caught.value.status == 429
    assert "every minute on paid subscriptions" in message and "every 30 days on the free tier" in message
    assert "gave up after 5 attempt(s)" in message
    assert TEST_TOKEN not in message


def test_a_smaller_budget_stops_before_a_wait_that_would_pass_it():
    time, slept = FakeTime(), []
    options = EngineOptions(retry=RetryPolicy(max_total_wait=50.0))
    with clock.frozen("2026-11-30T12:00:40Z"), serve_sandbox("metrika", requests_per_minute=1, clock=time) as sandbox:
        engine = engine_for(sandbox, sleep=slept.append, options=options)
        engine.fetch(SEARCH, retry=RetrySafety.ALWAYS)
        with pytest.raises(QuotaError) as caught:
            engine.fetch(SEARCH, retry=RetrySafety.ALWAYS)
    assert slept == [20.0, 20.0]  # a third 20 s wait would make 60 s > 50 s
    assert "past the 50s retry budget" in str(caught.value)


# -- a 404 is the wrong base URL, not an unknown account -----------------------------


def test_404_on_the_search_says_to_check_the_base_url():
    with serve_sandbox("metrika") as sandbox, pytest.raises(NotFoundError) as caught:
        # a base URL missing the documented /api/v1 prefix: the sandbox has no such route
        wrong = sandbox.base_url.removesuffix("/api/v1")
        assert wrong != sandbox.base_url
        engine_for(sandbox, base_url=wrong).fetch(SEARCH, retry=RetrySafety.ALWAYS)
    message = str(caught.value)
    assert caught.value.status == 404
    assert "check the base URL" in message and "SOCIALTAP_METRIKA_BASE_URL" in message
    assert "https://metrika.run/api/v1" in message
    assert "Check the ids" not in message
