"""The servers ``make bench`` measures against, each run in a process of its own.

An in-process server shares the client's GIL and garbage collector: a pause in the
client bunches the server's arrivals and the client's CPU time includes the server's.
``socialtap.testing.server.serve_app_in_subprocess("servers:PagesApp", ...)`` serves
these from a child process; ``ChildServer.state(...)`` reads their counters back.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from typing import Any


def _item(n: int) -> dict[str, Any]:
    return {
        "id": n,
        "username": f"creator_{n}",
        "platform": "instagram",
        "country": "US",
        "followers": 1000 + n,
        "following": n % 500,
        "posts": n % 97,
        "engagement_rate": round((n % 1000) / 1000, 3),
    }


def _respond(start_response: Any, status: str, body: bytes) -> list[bytes]:
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


class PagesApp:
    """``GET /api/items?page=N``: DRF pages (``count/next/previous/results``) of ``items`` items each.

    ``next`` is an absolute URL on the server's own origin, as DRF writes it. Page bodies
    are rendered once, so the server's own cost stays small and constant.
    """

    def __init__(self, pages: int = 500, items: int = 100):
        self.pages = pages
        self.items = items
        self.served = 0
        self.lock = threading.Lock()
        self._results = [json.dumps([_item(p * items + i) for i in range(items)]) for p in range(pages)]
        self._bodies: dict[tuple[str, int], bytes] = {}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        query = environ.get("QUERY_STRING", "")
        page = int(query.split("page=")[1].split("&")[0]) if "page=" in query else 1
        if not 1 <= page <= self.pages:
            return _respond(start_response, "404 Not Found", b'{"detail": "Invalid page."}')
        host = environ.get("HTTP_HOST", "127.0.0.1")
        body = self._bodies.get((host, page))
        if body is None:
            base = f"http://{host}/api/items"
            next_url = json.dumps(f"{base}?page={page + 1}") if page < self.pages else "null"
            previous = json.dumps(f"{base}?page={page - 1}") if page > 1 else "null"
            body = (
                f'{{"count": {self.pages * self.items}, "next": {next_url}, "previous": {previous}, '
                f'"results": {self._results[page - 1]}}}'
            ).encode()
            self._bodies[(host, page)] = body
        with self.lock:
            self.served += 1
        return _respond(start_response, "200 OK", body)


class RateApp:
    """``GET /api/items/<key>``: answers 429 to a request past ``limit`` in any sliding ``per`` seconds.

    Counts arrivals as the vendor would: the moment the request reaches the server.
    """

    def __init__(self, limit: int = 5, per: float = 1.0):
        self.limit = limit
        self.per = per
        self.lock = threading.Lock()
        self.window: deque[float] = deque()
        self.arrivals: list[float] = []
        self.throttled = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        with self.lock:
            now = time.monotonic()
            while self.window and self.window[0] <= now - self.per:
                self.window.popleft()
            if len(self.window) >= self.limit:
                self.throttled += 1
                return _respond(start_response, "429 Too Many Requests", b'{"detail": "rate limited"}')
            self.window.append(now)
            self.arrivals.append(now)
        key = environ.get("PATH_INFO", "").rsplit("/", 1)[-1]
        return _respond(start_response, "200 OK", json.dumps({"results": [{"id": key}], "next": None}).encode())


class LatencyApp:
    """``GET /api/items/<key>``: one small page after ``latency`` seconds; counts the peak in flight."""

    def __init__(self, latency: float = 0.05):
        self.latency = latency
        self.lock = threading.Lock()
        self.in_flight = 0
        self.peak_in_flight = 0
        self.served = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        with self.lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        time.sleep(self.latency)
        with self.lock:
            self.in_flight -= 1
            self.served += 1
        key = environ.get("PATH_INFO", "").rsplit("/", 1)[-1]
        return _respond(start_response, "200 OK", json.dumps({"results": [{"id": key}], "next": None}).encode())
