"""Retries: the policy (hypothesis), Retry-After parsing, and the engine against real servers."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import os
import socket
import sys
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.wrappers import Request as WsgiRequest
from werkzeug.wrappers import Response as WsgiResponse

sys.path.insert(0, os.path.dirname(__file__))
from engine_support import TOKEN, make_vendor

from socialtap import hookimpl
from socialtap.auth import Bearer
from socialtap.engine import Engine, EngineOptions, TransientError
from socialtap.errors import NotFoundError, PayloadError, QuotaError, SecurityError, VendorError
from socialtap.http import Request
from socialtap.plugins import make_plugin_manager
from socialtap.retry import RETRY_STATUSES, RetryPolicy, parse_retry_after
from socialtap.testing import serve_app

NOW = dt.datetime(2026, 3, 1, 12, 0, 0, tzinfo=dt.UTC)


# -- Retry-After parsing ---------------------------------------------------------------


@given(st.integers(min_value=0, max_value=10**9))
def test_retry_after_delta_seconds(seconds):
    assert parse_retry_after(str(seconds)) == seconds
    assert parse_retry_after(f"  {seconds} ") == seconds


@given(st.integers(min_value=-86400, max_value=86400 * 30))
def test_retry_after_http_date(offset):
    when = NOW + dt.timedelta(seconds=offset)
    value = email.utils.format_datetime(when, usegmt=True)
    assert parse_retry_after(value, now=NOW) == max(0.0, float(offset))


@given(st.text(max_size=40))
def test_retry_after_never_fails_and_is_never_negative(text):
    result = parse_retry_after(text, now=NOW)
    assert result is None or result >= 0


def test_retry_after_absent_or_garbage_leaves_it_to_the_backoff():
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("-5") is None
    assert parse_retry_after("nan") is None


# -- the policy ------------------------------------------------------------------------


policies = st.builds(
    RetryPolicy,
    max_attempts=st.integers(1, 10),
    max_total_wait=st.floats(0, 600),
    initial=st.floats(0.01, 5),
    maximum=st.floats(0.1, 60),
    jitter=st.floats(0, 2),
)


@given(policies, st.integers(1, 30), st.one_of(st.none(), st.floats(0, 10_000)))
def test_a_wait_is_the_backoff_or_what_the_server_asked_whichever_is_longer(policy, attempt, retry_after):
    from tenacity import RetryCallState

    state = RetryCallState(None, None, (), {})
    state.attempt_number = attempt
    backoff = policy.backoff()(state)
    assert 0 <= backoff <= policy.maximum
    assert backoff >= min(policy.initial * 2 ** (attempt - 1), policy.maximum)
    wait = policy.delay(attempt, retry_after, backoff)
    assert wait >= backoff
    if retry_after is not None:
        assert wait >= retry_after
        assert wait == max(backoff, retry_after)


@given(
    st.sampled_from(["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"]),
    st.booleans(),
    st.one_of(st.none(), st.booleans()),
)
def test_only_requests_safe_to_repeat_are_retried(method, with_key, idempotent):
    headers = {"idempotency-key": "k-1"} if with_key else {}
    allowed = RetryPolicy().allows(method, headers, idempotent)
    if with_key:
        assert allowed
    elif idempotent is not None:
        assert allowed is idempotent
    else:
        assert allowed is (method in ("GET", "HEAD", "OPTIONS"))


@given(st.integers(100, 599))
def test_only_transient_statuses_are_retried_and_never_a_remapped_one(status):
    policy = RetryPolicy()
    assert policy.retries_status(status) is (status in {429, 500, 502, 503, 504})
    assert not policy.retries_status(status, {status: QuotaError})


# -- the engine against real servers -----------------------------------------------------


class Attempts:
    """A third-party plugin that sees every attempt through the cross-cutting hooks."""

    def __init__(self):
        self.before: list[int] = []
        self.after: list[tuple[int, int]] = []

    @hookimpl
    def socialtap_before_request(self, vendor, request, attempt):
        self.before.append(attempt)

    @hookimpl
    def socialtap_after_response(self, vendor, request, response, attempt):
        self.after.append((attempt, response.status))


class Script:
    """Answers the n-th request with the n-th (status, headers, body); the last repeats."""

    def __init__(self, *steps):
        self.steps = list(steps)
        self.seen: list[WsgiRequest] = []

    def __call__(self, environ, start_response):
        request = WsgiRequest(environ)
        request.get_data()
        self.seen.append(request)
        status, headers, body = self.steps[min(len(self.seen) - 1, len(self.steps) - 1)]
        if callable(body):
            return body(environ, start_response)
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return WsgiResponse(data, status=status, headers=headers, content_type="application/json")(environ, start_response)


def make_engine(url, *, vendor=None, attempts=None, sleeps=None, **policy):
    vendor = vendor or make_vendor()
    pm = make_plugin_manager(extra=(attempts,) if attempts else ())
    options = EngineOptions(connect_timeout=2, read_timeout=policy.pop("read_timeout", 5), retry=RetryPolicy(**policy))
    return Engine(
        vendor,
        url + "/api",
        Bearer("token").build({"token": TOKEN}),
        pm.hook,
        options=options,
        secrets=[TOKEN],
        sleep=(sleeps.append if sleeps is not None else time.sleep),
    )


OK = (200, {}, {"data": []})


def test_transient_statuses_are_retried_and_every_attempt_is_seen_by_the_hooks():
    attempts = Attempts()
    sleeps: list[float] = []
    app = Script((503, {}, {"detail": "busy"}), (502, {}, {}), OK)
    with serve_app(app) as served:
        engine = make_engine(served.url, attempts=attempts, sleeps=sleeps, initial=0.01)
        response = engine.fetch(Request("GET", "/items/a"))
    assert response.status == 200
    assert attempts.before == [1, 2, 3]
    assert attempts.after == [(1, 503), (2, 502), (3, 200)]
    assert engine.retries == 2 and len(sleeps) == 2 and len(app.seen) == 3


def test_retry_after_is_honoured_in_seconds_and_as_a_date():
    sleeps: list[float] = []
    later = email.utils.format_datetime(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30), usegmt=True)
    app = Script((429, {"Retry-After": "7"}, {}), (503, {"Retry-After": later}, {}), OK)
    with serve_app(app) as served:
        engine = make_engine(served.url, sleeps=sleeps, initial=0.01, jitter=0)
        engine.fetch(Request("GET", "/items/a"))
    assert sleeps[0] >= 7
    assert 25 <= sleeps[1] <= 31


def test_the_last_error_says_how_many_attempts_and_what_failed():
    sleeps: list[float] = []
    with serve_app(Script((503, {}, {"detail": "down for maintenance"}))) as served:
        engine = make_engine(served.url, sleeps=sleeps, max_attempts=3, initial=0.01)
        with pytest.raises(VendorError) as caught:
            engine.fetch(Request("GET", "/items/a"))
    message = str(caught.value)
    assert "after 3 attempt(s)" in message and "HTTP 503" in message and "down for maintenance" in message
    assert caught.value.status == 503 and len(sleeps) == 2


def test_a_retry_after_past_the_budget_stops_at_once():
    sleeps: list[float] = []
    with serve_app(Script((429, {"Retry-After": "3600"}, {}))) as served:
        engine = make_engine(served.url, sleeps=sleeps, max_total_wait=60)
        with pytest.raises(QuotaError, match=r"after 1 attempt\(s\).*asked to wait 3600s"):
            engine.fetch(Request("GET", "/items/a"))
    assert sleeps == []


def test_a_vendor_default_wait_applies_only_to_a_429_without_retry_after():
    sleeps: list[float] = []
    vendor = make_vendor(retry_after_default=lambda: 42.0)
    app = Script((429, {}, {}), (429, {"Retry-After": "7"}, {}), (503, {}, {}), OK)
    with serve_app(app) as served:
        engine = make_engine(served.url, vendor=vendor, sleeps=sleeps, initial=0.01, jitter=0)
        assert engine.fetch(Request("GET", "/items/a")).status == 200
    assert sleeps == [42.0, 7.0, 0.04]  # the vendor's wait; the server's word wins; a 503 backs off


def test_vendor_status_advice_replaces_the_generic_advice():
    vendor = make_vendor(status_advice={404: "check the base URL."})
    with serve_app(Script((404, {}, {"detail": "no route"}))) as served:
        with pytest.raises(NotFoundError) as caught:
            make_engine(served.url, vendor=vendor).fetch(Request("GET", "/items/a"))
    message = str(caught.value)
    assert "no route" in message and message.endswith("check the base URL.") and "Check the ids" not in message


def test_the_total_wait_is_capped():
    sleeps: list[float] = []
    with serve_app(Script((500, {}, {}))) as served:
        engine = make_engine(served.url, sleeps=sleeps, max_attempts=50, initial=1, jitter=0, max_total_wait=10)
        with pytest.raises(VendorError):
            engine.fetch(Request("GET", "/items/a"))
    assert sum(sleeps) <= 10 and sleeps == [1, 2, 4]


def test_a_post_is_retried_only_with_an_idempotency_key_or_when_the_stream_says_so():
    for headers, idempotent, expected in (({}, None, 1), ({"Idempotency-Key": "abc"}, None, 2), ({}, True, 2)):
        app = Script((503, {}, {}), OK)
        with serve_app(app) as served:
            engine = make_engine(served.url, sleeps=[], initial=0.01)
            request = Request("POST", "/items/a", json={"x": 1}, headers=headers)
            if expected == 1:
                with pytest.raises(VendorError):
                    engine.fetch(request, idempotent=idempotent)
            else:
                engine.fetch(request, idempotent=idempotent)
        assert len(app.seen) == expected, (headers, idempotent)


def test_a_status_the_vendor_remapped_is_never_retried():
    vendor = make_vendor(status_errors={429: QuotaError})
    app = Script((429, {"Retry-After": "1"}, {"detail": "out of credits"}), OK)
    with serve_app(app) as served:
        engine = make_engine(served.url, vendor=vendor, sleeps=[])
        with pytest.raises(QuotaError, match="out of credits"):
            engine.fetch(Request("GET", "/items/a"))
    assert len(app.seen) == 1 and engine.retries == 0


def test_client_errors_are_not_retried():
    app = Script((404, {}, {"detail": "no such thing"}), OK)
    with serve_app(app) as served:
        engine = make_engine(served.url, sleeps=[])
        with pytest.raises(VendorError, match="not found"):
            engine.fetch(Request("GET", "/items/a"))
    assert len(app.seen) == 1


def test_connection_errors_are_retried_then_named():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps: list[float] = []
    engine = make_engine(f"http://127.0.0.1:{port}", sleeps=sleeps, max_attempts=3, initial=0.01)
    with pytest.raises(TransientError, match=r"after 3 attempt\(s\).*could not reach"):
        engine.fetch(Request("GET", "/items/a"))
    assert len(sleeps) == 2


def test_a_read_timeout_is_retried():
    def slow(environ, start_response):
        time.sleep(0.5)
        return WsgiResponse("{}", content_type="application/json")(environ, start_response)

    app = Script((200, {}, slow), OK)
    with serve_app(app) as served:
        engine = make_engine(served.url, sleeps=[], initial=0.01, read_timeout=0.2)
        assert engine.fetch(Request("GET", "/items/a")).status == 200
    assert engine.retries == 1


def test_a_truncated_body_is_retried():
    def cut(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "100")])
        return [b'{"data": [']

    app = Script((200, {}, cut), OK)
    with serve_app(app) as served:
        engine = make_engine(served.url, sleeps=[], initial=0.01)
        assert engine.fetch(Request("GET", "/items/a")).payload == {"data": []}
    assert engine.retries == 1


# -- what the engine already did, kept ---------------------------------------------------


def test_user_agent_names_socialtap_and_a_timeout_is_always_set():
    app = Script(OK)
    with serve_app(app) as served:
        engine = make_engine(served.url, sleeps=[])
        engine.fetch(Request("GET", "/items/a"))
    assert app.seen[0].headers["User-Agent"].startswith("socialtap/")
    assert engine.options.connect_timeout > 0 and engine.options.read_timeout > 0


def test_a_body_over_the_cap_is_a_payload_error():
    app = Script((200, {}, b'{"data": "' + b"x" * 5000 + b'"}'))
    with serve_app(app) as served:
        engine = make_engine(served.url, sleeps=[])
        engine.options = EngineOptions(max_response_bytes=1000)
        with pytest.raises(PayloadError, match="more than 1000 bytes"):
            engine.fetch(Request("GET", "/items/a"))


def test_a_cross_origin_redirect_is_not_followed():
    app = Script((302, {"Location": "http://127.0.0.2:9/steal"}, {}))
    with serve_app(app) as served:
        engine = make_engine(served.url, sleeps=[])
        with pytest.raises(SecurityError, match=r"127\.0\.0\.2"):
            engine.fetch(Request("GET", "/items/a"))
    assert len(app.seen) == 1


def test_each_worker_thread_has_its_own_session():
    import threading

    with serve_app(Script(OK)) as served:
        engine = make_engine(served.url, sleeps=[])
        sessions = []
        threads = [threading.Thread(target=lambda: sessions.append(engine.session)) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        sessions.append(engine.session)
        sessions.append(engine.session)
        engine.close()
    assert len({id(s) for s in sessions}) == 4


def test_retry_statuses_are_the_documented_ones():
    assert frozenset({429, 500, 502, 503, 504}) == RETRY_STATUSES


@pytest.mark.parametrize("cut", [b'{"data": [{"id": "a', b'{"data": [{"id": "a"}, ', b"[1, 2", b"{"])
def test_a_2xx_body_cut_off_on_the_way_is_retried(cut):
    """A proxy that rewrote the length, or a connection dropped with the length header
    honest: the JSON ends before it is complete. Retried, not a PayloadError."""
    sleeps: list[float] = []
    app = Script((200, {}, cut), OK)
    with serve_app(app) as served:
        engine = make_engine(served.url, sleeps=sleeps, initial=0.01)
        response = engine.fetch(Request("GET", "/items/a"))
    assert response.payload == {"data": []} and engine.retries == 1 and len(app.seen) == 2


@pytest.mark.parametrize("whole", [b'{"data": [{"id": oops}]}', b"<html>busy</html>", b"not json"])
def test_a_2xx_body_that_is_whole_but_not_json_is_a_payload_error_at_once(whole):
    app = Script((200, {}, whole), OK)
    with serve_app(app) as served:
        engine = make_engine(served.url, initial=0.01)
        with pytest.raises(PayloadError, match="not JSON"):
            engine.fetch(Request("GET", "/items/a"))
    assert len(app.seen) == 1
