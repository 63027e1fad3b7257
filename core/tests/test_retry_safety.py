"""Retry safety per stream (issue 13): ``Stream(retry="unsent-only")`` for billed calls.

A billed POST is sent again only when it cannot have reached the vendor (a refused
connection) or when the vendor refused it (429); never after a 5xx, a read timeout or
a response broken off mid-way. Counted at loopback servers, through the runner.
"""

from __future__ import annotations

import socket
import threading
import time

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.wrappers import Request as WsgiRequest
from werkzeug.wrappers import Response as WsgiResponse

from socialtap import Options, Relation, Stream, Task, Vendor, hookimpl, iter_records
from socialtap.auth import Bearer
from socialtap.declarations import Credential
from socialtap.engine import NotSentError, TransientError
from socialtap.errors import QuotaError, VendorError
from socialtap.plugins import make_plugin_manager
from socialtap.retry import RETRY_STATUSES, RetryPolicy, RetrySafety
from socialtap.testing import serve_app

TOKEN = "billed-token-0123456789"


# -- the decision ----------------------------------------------------------------------------


# Statuses the policy retries are drawn often: among 500 codes hypothesis would rarely meet them.
statuses = st.one_of(st.sampled_from(sorted(RETRY_STATUSES)), st.integers(100, 599))


@given(st.sampled_from(RetrySafety), st.booleans(), statuses, st.booleans())
def test_the_decision_for_every_safety_failure_and_status(safety, maybe_sent, status, remapped):
    policy = RetryPolicy()
    status_errors = {status: QuotaError} if remapped else {}
    retried_failure = policy.retries_failure(safety, maybe_sent=maybe_sent)
    retried_status = policy.retries_response(safety, status, status_errors)
    if safety is RetrySafety.NEVER:
        assert not retried_failure and not retried_status
    elif safety is RetrySafety.ALWAYS:
        assert retried_failure and retried_status is (status in RETRY_STATUSES and not remapped)
    else:
        # Only what cannot have been carried out: never sent, or refused with a 429.
        assert retried_failure is (not maybe_sent)
        assert retried_status is (status == 429 and not remapped)


@given(
    st.sampled_from(["GET", "HEAD", "OPTIONS", "POST", "PUT", "DELETE"]),
    st.one_of(st.none(), st.sampled_from(RetrySafety)),
    st.booleans(),
)
def test_an_idempotency_key_makes_any_request_safe_to_repeat_else_the_declaration_else_the_method(method, declared, key):
    headers = {"Idempotency-Key": "k1"} if key else {}
    safety = RetryPolicy().safety(method, headers, declared)
    if key:
        assert safety is RetrySafety.ALWAYS
    elif declared is not None:
        assert safety is declared
    else:
        assert safety is (RetrySafety.ALWAYS if method in ("GET", "HEAD", "OPTIONS") else RetrySafety.NEVER)


@attrs.frozen
class SearchParams:
    q: str = "cats"


def normalize(payload, request):
    for item in payload["data"]:
        yield Relation("billed", "web", "root", "has", item)


def stream(**kwargs) -> Stream:
    return Stream("search", "/search", SearchParams, normalize, (Relation,), method="POST", **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, RetrySafety.NEVER),
        ({"idempotent": True}, RetrySafety.ALWAYS),
        ({"idempotent": False}, RetrySafety.NEVER),
        ({"retry": "unsent-only"}, RetrySafety.UNSENT_ONLY),
        ({"retry": RetrySafety.ALWAYS}, RetrySafety.ALWAYS),
        ({"retry": "always", "idempotent": True}, RetrySafety.ALWAYS),
        ({"retry": "never", "idempotent": False}, RetrySafety.NEVER),
    ],
)
def test_a_stream_declares_its_retry_safety_by_retry_or_by_idempotent(kwargs, expected):
    declared = stream(**kwargs)
    assert declared.retry_safety is expected
    assert declared.is_idempotent is (expected is RetrySafety.ALWAYS)


@pytest.mark.parametrize(
    "kwargs",
    [{"retry": "sometimes"}, {"retry": "unsent-only", "idempotent": True}, {"retry": "always", "idempotent": False}],
)
def test_a_contradictory_retry_declaration_fails_when_the_stream_is_built(kwargs):
    with pytest.raises(ValueError):
        stream(**kwargs)


# -- against loopback servers, through the runner ------------------------------------------------


class Billed:
    """``POST /api/search``: answers by script (status or a behaviour), counting every hit."""

    def __init__(self, *steps):
        self.steps = list(steps)
        self.hits = 0
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        WsgiRequest(environ).get_data()
        with self._lock:
            self.hits += 1
            step = self.steps[min(self.hits, len(self.steps)) - 1]
        if step == "ok":
            return WsgiResponse('{"data": ["a", "b"]}', 200, content_type="application/json")(environ, start_response)
        if step == "cut":
            # Headers promise 100 bytes, 10 arrive, then the connection closes: the vendor was reached.
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "100")])
            return [b'{"data": [']
        if step == "slow":
            time.sleep(0.6)
            return WsgiResponse('{"data": []}', 200, content_type="application/json")(environ, start_response)
        status, _, retry_after = step.partition(":")
        headers = {"Retry-After": retry_after} if retry_after else {}
        return WsgiResponse('{"detail": "busy"}', int(status), headers=headers, content_type="application/json")(
            environ, start_response
        )


class Attempts:
    """Sees each attempt; ``on_attempt`` runs before it is sent (to bring a server up)."""

    def __init__(self, on_attempt=None):
        self.attempts: list[int] = []
        self.on_attempt = on_attempt

    @hookimpl
    def socialtap_before_request(self, vendor, request, attempt):
        self.attempts.append(attempt)
        if self.on_attempt is not None:
            self.on_attempt(attempt)


def vendor(retry) -> Vendor:
    return Vendor(
        name="billed",
        title="Billed API",
        base_url="https://billed.example/api",
        auth=Bearer("token"),
        credentials=(Credential("token"),),
        streams=(stream(retry=retry, body=lambda params: {"q": params.q}),),
    )


class VendorPlugin:
    def __init__(self, declared: Vendor):
        self.declared = declared

    @hookimpl
    def socialtap_register_vendors(self, register):
        register(self.declared)


def run_billed(base_url, retry="unsent-only", attempts=None, read_timeout=5.0):
    extra = [VendorPlugin(vendor(retry))] + ([attempts] if attempts is not None else [])
    options = Options(base_url=base_url, max_attempts=3, backoff_initial=0.01, read_timeout=read_timeout, max_retry_wait=5)
    task = Task("billed", "search", {}, {"token": TOKEN}, options)
    return [r.other_id for r in iter_records(task, plugin_manager=make_plugin_manager(extra=tuple(extra)))]


@pytest.mark.parametrize("first", ["429", "429:0", "429:1"])
def test_unsent_only_retries_a_429_with_or_without_retry_after(first):
    app = Billed(first, "ok")
    with serve_app(app) as served:
        started = time.monotonic()
        assert run_billed(served.url + "/api") == ["a", "b"]
    assert app.hits == 2
    if first == "429:1":
        assert time.monotonic() - started >= 0.9  # Retry-After honoured


@pytest.mark.parametrize(
    ("first", "error", "match"),
    [
        ("500", VendorError, "HTTP 500"),
        ("503:0", VendorError, "HTTP 503"),
        ("cut", TransientError, "broke the connection"),
        ("slow", TransientError, "could not reach"),
    ],
)
def test_unsent_only_never_retries_what_may_have_been_carried_out(first, error, match):
    app = Billed(first, "ok")
    attempts = Attempts()
    with serve_app(app) as served:
        with pytest.raises(error, match=match) as caught:
            run_billed(served.url + "/api", attempts=attempts, read_timeout=0.3)
    time.sleep(0.4 if first == "slow" else 0)  # the slow handler's hit is counted on arrival anyway
    assert app.hits == 1 and attempts.attempts == [1]
    assert not isinstance(caught.value, NotSentError)


@pytest.mark.parametrize("first", ["500", "cut"])
def test_the_same_failures_are_retried_when_the_stream_says_always(first):
    app = Billed(first, "ok")
    with serve_app(app) as served:
        assert run_billed(served.url + "/api", retry="always") == ["a", "b"]
    assert app.hits == 2


def _closed_port() -> tuple[socket.socket, int]:
    """A port bound but not listening: a connection to it is refused, and no one else takes it."""
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    return holder, holder.getsockname()[1]


@pytest.mark.parametrize(("retry", "expected_attempts"), [("unsent-only", [1, 2]), ("always", [1, 2]), ("never", [1])])
def test_a_refused_connection_is_retried_unless_the_stream_says_never(retry, expected_attempts):
    holder, port = _closed_port()
    app = Billed("ok")
    servers = []

    def bring_up(attempt):
        # The first attempt meets a closed port; the server listens there before the second.
        if attempt == 2:
            holder.close()
            servers.append(serve_app(app, port=port))
            servers[-1].__enter__()

    attempts = Attempts(bring_up)
    try:
        if retry == "never":
            with pytest.raises(NotSentError, match="could not reach"):
                run_billed(f"http://127.0.0.1:{port}/api", retry=retry, attempts=attempts)
        else:
            assert run_billed(f"http://127.0.0.1:{port}/api", retry=retry, attempts=attempts) == ["a", "b"]
    finally:
        holder.close()
        for server in servers:
            server.__exit__(None, None, None)
    assert attempts.attempts == expected_attempts
    assert app.hits == (1 if retry != "never" else 0)
