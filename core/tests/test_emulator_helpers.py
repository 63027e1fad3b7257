"""Emulator helpers over loopback: header auth, 429 answers and budget headers that the
engine's own parsers read back the way they were meant."""

from __future__ import annotations

import pytest
import requests

from socialtap.ratelimit import parse_budget
from socialtap.retry import parse_retry_after
from socialtap.testing.emulator import (
    RateWindow,
    Request,
    Rule,
    SandboxApp,
    json_response,
    rate_limit_headers,
    require_header,
    throttle,
    too_many_requests,
)
from socialtap.testing.server import serve_app

KEY = "k-123"


class FakeClock:
    """A clock the test moves, so window arithmetic is exact."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class KeyedApp(SandboxApp):
    """An API key in ``X-API-Key``, 2 requests per 10 seconds per key, budget headers in ``style``."""

    def __init__(self, clock: FakeClock, style: str | None = "ietf"):
        self.window = RateWindow(2, 10.0, clock=clock)
        self.style = style
        super().__init__()

    def routes(self):
        return [Rule("/things", endpoint="things", methods=["GET"])]

    def dispatch(self, request: Request):
        refused = require_header(request, "X-API-Key", KEY, headers={"WWW-Authenticate": "ApiKey"})
        if refused is not None:
            return refused
        limited = throttle(self.window, KEY, style=self.style)
        return limited or super().dispatch(request)

    def things(self, request):
        headers = rate_limit_headers(self.window, KEY, style=self.style) if self.style else None
        return json_response({"things": [1, 2]}, headers=headers)


def test_require_header_refuses_missing_and_wrong_keys_with_the_vendor_answer():
    with serve_app(KeyedApp(FakeClock())) as served:
        missing = requests.get(f"{served.url}/things", timeout=5)
        wrong = requests.get(f"{served.url}/things", headers={"X-API-Key": "k-124"}, timeout=5)
        right = requests.get(f"{served.url}/things", headers={"X-API-Key": KEY}, timeout=5)
    assert (missing.status_code, missing.json()) == (401, {"detail": "X-API-Key header missing"})
    assert (wrong.status_code, wrong.json()) == (401, {"detail": "X-API-Key header invalid"})
    assert missing.headers["WWW-Authenticate"] == "ApiKey"
    assert right.status_code == 200 and right.json() == {"things": [1, 2]}


def test_require_header_takes_a_wsgi_environ_and_a_custom_refusal():
    def app(environ, start_response):
        refused = require_header(environ, "Authorization", "Token abc", status=403, body={"error": "forbidden"})
        return (refused or json_response({"ok": True}))(environ, start_response)

    with serve_app(app) as served:
        refused = requests.get(served.url, headers={"Authorization": "Token abd"}, timeout=5)
        allowed = requests.get(served.url, headers={"Authorization": "Token abc"}, timeout=5)
    assert (refused.status_code, refused.json()) == (403, {"error": "forbidden"})
    assert allowed.json() == {"ok": True}


@pytest.mark.parametrize("style", ["ietf", "x", "combined"])
def test_throttle_answers_429_with_retry_after_and_a_budget_the_engine_reads(style):
    clock = FakeClock()
    with serve_app(KeyedApp(clock, style)) as served:

        def get():
            return requests.get(f"{served.url}/things", headers={"X-API-Key": KEY}, timeout=5)

        first = get()
        clock.now += 4
        second = get()
        limited = get()
        clock.now += 6.5  # the first hit has left the window
        again = get()
    assert parse_budget(first.headers, now=0) == (2, 1, 10.0)
    assert parse_budget(second.headers, now=0) == (2, 0, 6.0)
    assert limited.status_code == 429 and limited.json() == {"detail": "Rate limit exceeded. Retry in 6 seconds."}
    assert parse_retry_after(limited.headers["Retry-After"]) == 6.0
    assert parse_budget(limited.headers, now=0) == (2, 0, 6.0)
    assert again.status_code == 200


def test_too_many_requests_never_says_retry_after_zero_and_can_omit_it():
    assert too_many_requests(0.0001).headers["Retry-After"] == "1"
    bare = too_many_requests(2.5, retry_after=False, body={"errors": ["slow down"]}, headers={"X-RateLimit-Remaining": "0"})
    assert "Retry-After" not in bare.headers and bare.headers["X-RateLimit-Remaining"] == "0"
    assert bare.status_code == 429 and bare.get_json() == {"errors": ["slow down"]}
    with pytest.raises(ValueError, match="style"):
        rate_limit_headers(RateWindow(1), "k", style="github")
