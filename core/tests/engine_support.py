"""Shared by the engine tests: a small paged, fanned-out vendor and the WSGI app serving it.

The app can enforce a sliding-window rate limit exactly (answering 429 past it), add
latency, fail given keys, and records what it saw (arrival times, 429s, peak requests
in flight) so tests measure at the server, not at the client.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import attrs
from werkzeug.wrappers import Request as WsgiRequest
from werkzeug.wrappers import Response as WsgiResponse

from socialtap import Relation, Stream, Vendor, hookimpl
from socialtap.auth import Bearer
from socialtap.declarations import Credential, RateLimit
from socialtap.pagination import PageNumber
from socialtap.testing.emulator import RateWindow

TOKEN = "engine-test-token-1234"
PER_PAGE = 3


@attrs.frozen
class KeysParams:
    key: list[str]


def normalize(payload: Any, request: Any):
    for item in payload["data"]:
        yield Relation("paged", "web", request.params.key, "has", item)


def make_vendor(name: str = "paged", rate_limit: RateLimit | None = None, **extra: Any) -> Vendor:
    return Vendor(
        name=name,
        title=f"{name.title()} API",
        base_url="https://paged.example/api",
        auth=Bearer("token"),
        credentials=(Credential("token"),),
        streams=(
            Stream(
                "items",
                "/items/{key}",
                KeysParams,
                normalize,
                (Relation,),
                fan_out="key",
                pagination=PageNumber(param="page", base=1, items="data", total="total"),
            ),
        ),
        rate_limit=rate_limit,
        **extra,
    )


class VendorPlugin:
    """A plugin object registering one vendor (for ``make_plugin_manager(extra=...)``)."""

    def __init__(self, vendor: Vendor):
        self.vendor = vendor

    @hookimpl
    def socialtap_register_vendors(self, register):
        register(self.vendor)


class ItemsApp:
    """``GET /api/items/<key>?page=N``: ``pages[key]`` pages (default ``default_pages``) of 3 items."""

    def __init__(
        self,
        *,
        default_pages: int = 1,
        pages: dict[str, int] | None = None,
        latency: float | dict[str, float] = 0.0,
        limit: tuple[int, float] | None = None,
        fail: dict[str, int] | None = None,
        announce: tuple[int, float] | None = None,
    ):
        self.default_pages = default_pages
        self.pages = pages or {}
        self.latency = latency
        self.window = RateWindow(limit[0], limit[1]) if limit else None
        self.fail = fail or {}
        self.announce = announce  # (budget, window seconds): fixed windows announced in RateLimit-* headers
        self.lock = threading.Lock()
        self.arrivals: list[float] = []
        self.throttled = 0
        self.in_flight = 0
        self.peak_in_flight = 0
        self.requests: list[tuple[str, int]] = []
        self._announce_window = (0.0, 0)

    def __call__(self, environ: dict[str, Any], start_response: Any):
        request = WsgiRequest(environ)
        with self.lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            return self.respond(request)(environ, start_response)
        finally:
            with self.lock:
                self.in_flight -= 1

    def respond(self, request: WsgiRequest) -> WsgiResponse:
        now = time.monotonic()
        with self.lock:
            self.arrivals.append(now)
        headers: dict[str, str] = {}
        if self.window is not None and self.window.hit("all") is not None:
            with self.lock:
                self.throttled += 1
            return _json({"detail": "too many requests"}, 429, {"Retry-After": "1"})
        if self.announce is not None:
            budget, per = self.announce
            with self.lock:
                start, used = self._announce_window
                if now - start >= per:
                    start, used = now, 0
                if used >= budget:
                    self.throttled += 1
                    return _json({"detail": "budget spent"}, 429, {"Retry-After": f"{per - (now - start):.0f}"})
                used += 1
                self._announce_window = (start, used)
                headers = {
                    "RateLimit-Limit": str(budget),
                    "RateLimit-Remaining": str(budget - used),
                    "RateLimit-Reset": f"{max(per - (now - start), 0.0):.3f}",
                }
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return _json({"detail": "bad token"}, 401)
        key = request.path.rsplit("/", 1)[-1]
        page = int(request.args.get("page", 1))
        with self.lock:
            self.requests.append((key, page))
        latency = self.latency.get(key, 0.0) if isinstance(self.latency, dict) else self.latency
        if latency:
            time.sleep(latency)
        if key in self.fail:
            return _json({"detail": f"{key} failed"}, self.fail[key])
        pages = self.pages.get(key, self.default_pages)
        data = [f"{key}-{page}-{i}" for i in range(PER_PAGE)] if page <= pages else []
        return _json({"data": data, "total": pages * PER_PAGE}, 200, headers)

    def max_in_window(self, per: float) -> int:
        """The most requests that arrived within any ``per`` seconds."""
        times = sorted(self.arrivals)
        best, lo = 0, 0
        for hi, t in enumerate(times):
            while t - times[lo] >= per:
                lo += 1
            best = max(best, hi - lo + 1)
        return best


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> WsgiResponse:
    return WsgiResponse(json.dumps(data), status=status, headers=headers or {}, content_type="application/json")
