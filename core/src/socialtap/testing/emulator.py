"""Building blocks for vendor sandboxes, so a sandbox is its routes and data, not plumbing.

A sandbox subclasses :class:`SandboxApp`, lists its routes (werkzeug ``Rule``\\ s whose
endpoint names a method), and answers with :func:`json_response`. Auth checks, seeded
data, page slicing and a rate-limit window are here.
"""

from __future__ import annotations

import base64
import json
import random
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

T = TypeVar("T")

__all__ = [
    "Map",
    "RateWindow",
    "Request",
    "Response",
    "Rule",
    "SandboxApp",
    "basic_credentials",
    "bearer_token",
    "busiest_window",
    "json_response",
    "page_of",
    "rng_for",
]


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response (``application/json``)."""
    return Response(json.dumps(data), status=status, headers=headers, content_type="application/json")


def bearer_token(request: Request, prefix: str = "Bearer") -> str | None:
    """The token of an ``Authorization: <prefix> <token>`` header, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == prefix.lower() and token.strip() else None


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """``(user, password)`` of an HTTP Basic header, or None when absent or malformed."""
    token = bearer_token(request, "Basic")
    if token is None:
        return None
    try:
        user, sep, password = base64.b64decode(token, validate=True).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


def rng_for(seed: int, *keys: object) -> random.Random:
    """A random generator determined by the seed and keys only (not by call order)."""
    return random.Random(":".join([str(seed), *map(str, keys)]))


def page_of(items: Sequence[T], page: int, size: int, *, base: int = 0) -> list[T]:
    """Items of page ``page`` (numbered from ``base``) of ``size`` items."""
    start = (page - base) * size
    return list(items[start : start + size]) if start >= 0 else []


class RateWindow:
    """A sliding window: at most ``limit`` hits per ``per`` seconds for each key."""

    def __init__(self, limit: int, per: float = 1.0, clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self.per = per
        self.clock = clock
        self._hits: dict[Any, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: Any) -> float | None:
        """Count a hit; None when allowed, else the seconds until one would be."""
        now = self.clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.per:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(hits[0] + self.per - now, 0.001)
            hits.append(now)
            return None


def busiest_window(times: Iterable[float], per: float = 1.0) -> int:
    """The most of ``times`` within any ``per`` seconds: what a sliding-window limiter
    counting at arrival sees. Tests of a client-side rate limit assert it stays at or
    under the vendor's limit, measured where the vendor measures (at the server)."""
    ordered = sorted(times)
    best = start = 0
    for end, moment in enumerate(ordered):
        while ordered[start] <= moment - per:
            start += 1
        best = max(best, end - start + 1)
    return best


class SandboxApp:
    """Base WSGI app for a vendor sandbox.

    Subclasses set ``base_path`` (the path of the vendor's base URL, e.g. ``/api/v1``)
    and return their routes from :meth:`routes`; each rule's endpoint is the name of a
    method taking ``(request, **url_values)`` and returning a werkzeug Response.
    ``stats`` counts requests by endpoint so tests can assert what the server saw.
    """

    base_path = ""

    def __init__(self, seed: int = 0):
        self.seed = seed
        self.lock = threading.RLock()
        self.stats: Counter[str] = Counter()
        self.log: list[tuple[str, str]] = []
        self.url_map = Map(
            [Rule(self.base_path + rule.rule, endpoint=rule.endpoint, methods=rule.methods) for rule in self.routes()],
            strict_slashes=False,
        )

    def routes(self) -> Iterable[Rule]:
        return ()

    def rng(self, *keys: object) -> random.Random:
        return rng_for(self.seed, *keys)

    @property
    def requests_seen(self) -> int:
        return self.stats["requests"]

    def not_found(self, request: Request) -> Response:
        return json_response({"detail": "Not found."}, 404)

    def method_not_allowed(self, request: Request) -> Response:
        return json_response({"detail": f'Method "{request.method}" not allowed.'}, 405)

    def dispatch(self, request: Request) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, values = adapter.match()
        except NotFound:
            return self.not_found(request)
        except MethodNotAllowed:
            return self.method_not_allowed(request)
        except HTTPException as exc:  # e.g. a redirect for a missing slash
            return exc.get_response(request.environ)  # type: ignore[return-value]
        with self.lock:
            self.stats["requests"] += 1
            self.stats[endpoint] += 1
            self.log.append((request.method, request.full_path))
        return getattr(self, endpoint)(request, **values)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return self.dispatch(Request(environ))(environ, start_response)
