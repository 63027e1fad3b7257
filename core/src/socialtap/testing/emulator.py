"""Building blocks for vendor sandboxes, so a sandbox is its routes and data, not plumbing.

A sandbox subclasses :class:`SandboxApp`, lists its routes (werkzeug ``Rule``\\ s whose
endpoint names a method), and answers with :func:`json_response`. Auth checks
(:func:`bearer_token`, :func:`basic_credentials`, :func:`require_header`), seeded data,
page slicing, a rate-limit window and its 429 answers (:func:`throttle`,
:func:`too_many_requests`, :func:`rate_limit_headers`) are here.
"""

from __future__ import annotations

import base64
import hmac
import json
import math
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
    "rate_limit_headers",
    "require_header",
    "rng_for",
    "throttle",
    "too_many_requests",
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


def require_header(
    request: Request | dict[str, Any],
    name: str,
    expected: str,
    *,
    status: int = 401,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> Response | None:
    """None when header ``name`` (any header: ``X-API-Key``, ``Authorization``) equals
    ``expected``; else the vendor's refusal: ``status`` with ``body`` (default
    ``{"detail": "<name> header missing"}`` or ``"... invalid"``) and ``headers``.

    ``request`` is a werkzeug Request or a WSGI environ. Use it first thing in ``dispatch``::

        refused = require_header(request, "X-API-Key", TEST_KEY)
        return refused or super().dispatch(request)
    """
    if isinstance(request, dict):
        request = Request(request)
    given = request.headers.get(name)
    # compare_digest: a sandbox is also where authors copy patterns from.
    if given is not None and hmac.compare_digest(given.encode(), expected.encode()):
        return None
    if body is None:
        body = {"detail": f"{name} header {'missing' if given is None else 'invalid'}"}
    return json_response(body, status, headers=headers)


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

    def remaining(self, key: Any) -> int:
        """Hits ``key`` may still make in the current window."""
        now = self.clock()
        with self._lock:
            hits = self._hits.get(key, ())
            return max(self.limit - sum(1 for t in hits if t > now - self.per), 0)

    def reset_after(self, key: Any) -> float:
        """Seconds until the oldest counted hit of ``key`` leaves the window (0 when none counts)."""
        now = self.clock()
        with self._lock:
            live = [t for t in self._hits.get(key, ()) if t > now - self.per]
            return max(live[0] + self.per - now, 0.0) if live else 0.0


def rate_limit_headers(window: RateWindow, key: Any, *, style: str = "ietf") -> dict[str, str]:
    """The budget of ``key`` in ``window`` as response headers, whole seconds rounded up.

    ``style``: ``"ietf"`` (``RateLimit-Limit``/``-Remaining``/``-Reset``, the IETF draft's
    separate fields), ``"x"`` (the common ``X-RateLimit-*``), or ``"combined"`` (one
    ``RateLimit: limit=…, remaining=…, reset=…`` field, the draft's later form). Send them
    on successful answers too when the vendor does, so a client can slow down before a 429.
    """
    limit, remaining, reset = window.limit, window.remaining(key), math.ceil(window.reset_after(key))
    if style == "combined":
        return {"RateLimit": f"limit={limit}, remaining={remaining}, reset={reset}"}
    prefixes = {"ietf": "RateLimit-", "x": "X-RateLimit-"}
    if style not in prefixes:
        raise ValueError(f"style must be 'ietf', 'x' or 'combined', not {style!r}")
    prefix = prefixes[style]
    return {f"{prefix}Limit": str(limit), f"{prefix}Remaining": str(remaining), f"{prefix}Reset": str(reset)}


def too_many_requests(
    wait: float,
    *,
    body: Any = None,
    retry_after: bool = True,
    headers: dict[str, str] | None = None,
) -> Response:
    """A 429 answer: ``Retry-After`` in whole seconds, at least 1 (a ``Retry-After: 0``
    invites a client to hammer), plus any ``headers`` (e.g. :func:`rate_limit_headers`).
    ``body`` defaults to ``{"detail": "Rate limit exceeded. Retry in N seconds."}``."""
    seconds = max(1, math.ceil(wait))
    all_headers = {"Retry-After": str(seconds)} if retry_after else {}
    all_headers.update(headers or {})
    if body is None:
        body = {"detail": f"Rate limit exceeded. Retry in {seconds} seconds."}
    return json_response(body, 429, headers=all_headers)


def throttle(
    window: RateWindow,
    key: Any,
    *,
    body: Any = None,
    retry_after: bool = True,
    style: str | None = None,
) -> Response | None:
    """Count a hit of ``key`` in ``window``: None when allowed, else the 429 to send, with
    ``Retry-After`` (unless ``retry_after=False``) and, when ``style`` is given, the
    :func:`rate_limit_headers` of that style. ``body`` as in :func:`too_many_requests`::

        limited = throttle(self.window, token, style="x")
        if limited is not None:
            return limited
    """
    wait = window.hit(key)
    if wait is None:
        return None
    extra = rate_limit_headers(window, key, style=style) if style is not None else None
    return too_many_requests(wait, body=body, retry_after=retry_after, headers=extra)


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
