"""Fault injection for sandboxes: the failures real vendor APIs have, on demand.

Wrap any WSGI app in :class:`FaultInjector` with a :class:`Faults` plan (from Python or
from a spec string as the CLI takes it)::

    faults = Faults.parse("latency=50ms,error_rate=0.1,reset_rate=0.05,throttle=5/s,seed=7")
    with serve_sandbox("metrika", wrap=FaultInjector.wrapping(faults)) as sandbox: ...

Every injected fault is counted in ``injector.counts`` so a test can assert the client
met N faults and still returned every record once. Draws come from one seeded generator,
so a plan with a seed injects the same faults for the same sequence of requests.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import attrs

from socialtap.errors import ConfigError
from socialtap.testing.emulator import RateWindow

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s)?$")
_RATE = re.compile(r"^(\d+(?:\.\d+)?)/(s|m|min)$")


def _seconds(text: str) -> float:
    match = _DURATION.match(text.strip())
    if not match:
        raise ConfigError(f"fault duration {text!r} must look like 50ms or 2s")
    value = float(match.group(1))
    return value / 1000 if match.group(2) == "ms" else value


def _rate(value: float, name: str) -> float:
    if not 0 <= value <= 1:
        raise ConfigError(f"fault {name}={value} must be a fraction between 0 and 1")
    return value


@attrs.frozen
class Faults:
    """A fault plan. Rates are fractions of requests (0..1); ``first_errors`` fails the first N requests with 503;
    ``outage_after`` answers 503 to every request after the N-th (an outage no retry budget outlasts)."""

    latency: float = 0.0
    error_rate: float = attrs.field(default=0.0, converter=float)
    reset_rate: float = attrs.field(default=0.0, converter=float)
    malformed_rate: float = attrs.field(default=0.0, converter=float)
    slow_rate: float = attrs.field(default=0.0, converter=float)
    slow_body: float = 2.0
    throttle: float | None = None
    retry_after: int = 1
    first_errors: int = 0
    outage_after: int | None = None
    seed: int = 0

    KEYS = (
        "latency",
        "error_rate",
        "reset_rate",
        "malformed_rate",
        "slow_rate",
        "slow_body",
        "throttle",
        "retry_after",
        "first_errors",
        "outage_after",
        "seed",
    )

    @classmethod
    def parse(cls, spec: str) -> Faults:
        """From ``latency=50ms,error_rate=0.1,reset_rate=0.05,throttle=5/s,malformed_rate=0.01,seed=7``."""
        values: dict[str, Any] = {}
        for part in filter(None, (p.strip() for p in spec.split(","))):
            key, sep, text = part.partition("=")
            if not sep or key not in cls.KEYS:
                raise ConfigError(f"unknown fault {part!r}; use key=value with keys: {', '.join(cls.KEYS)}")
            try:
                if key in ("latency", "slow_body"):
                    values[key] = _seconds(text)
                elif key == "throttle":
                    match = _RATE.match(text)
                    if not match:
                        raise ConfigError(f"throttle={text!r} must look like 5/s or 100/min")
                    values[key] = float(match.group(1)) / (1 if match.group(2) == "s" else 60)
                elif key in ("seed", "retry_after", "first_errors", "outage_after"):
                    values[key] = int(text)
                else:
                    values[key] = _rate(float(text), key)
            except ValueError:
                raise ConfigError(f"fault {part!r} has a value that is not a number") from None
        return cls(**values)


class FaultInjector:
    """WSGI middleware injecting the faults of a plan in front of ``app``."""

    def __init__(self, app: Callable[..., Any], faults: Faults):
        self.app = app
        self.faults = faults
        self.counts: Counter[str] = Counter()
        self._rng = random.Random(faults.seed)
        self._lock = threading.Lock()
        self._window = RateWindow(max(1, round(faults.throttle)), 1.0) if faults.throttle else None

    @classmethod
    def wrapping(cls, faults: Faults) -> Callable[[Callable[..., Any]], FaultInjector]:
        """A ``wrap=`` argument for :func:`socialtap.testing.serve_sandbox`."""
        return lambda app: cls(app, faults)

    def __getattr__(self, name: str) -> Any:  # the wrapped sandbox's stats stay reachable
        return getattr(self.app, name)

    @property
    def total(self) -> int:
        return sum(v for k, v in self.counts.items() if k != "requests")

    def _draw(self) -> float:
        with self._lock:
            return self._rng.random()

    def _count(self, kind: str) -> int:
        with self._lock:
            self.counts[kind] += 1
            return self.counts[kind]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        faults = self.faults
        number = self._count("requests")
        if number <= faults.first_errors:
            # A guaranteed failure up front, so even a one-request run meets a fault.
            self._count("error_503")
            return self._json(start_response, "503 Service Unavailable", {"detail": "injected server error"})
        if faults.outage_after is not None and number > faults.outage_after:
            self._count("outage")
            return self._json(start_response, "503 Service Unavailable", {"detail": "injected outage"})
        if faults.latency:
            time.sleep(faults.latency)
        if self._window is not None:
            wait = self._window.hit("all")
            if wait is not None:
                self._count("throttled")
                return self._json(
                    start_response,
                    "429 Too Many Requests",
                    {"detail": "throttled by fault injection"},
                    [("Retry-After", str(faults.retry_after))],
                )
        if faults.error_rate and self._draw() < faults.error_rate:
            status = ("500 Internal Server Error", "502 Bad Gateway", "503 Service Unavailable")[int(self._draw() * 3)]
            self._count(f"error_{status[:3]}")
            return self._json(start_response, status, {"detail": "injected server error"})
        reset = bool(faults.reset_rate) and self._draw() < faults.reset_rate
        malformed = not reset and bool(faults.malformed_rate) and self._draw() < faults.malformed_rate
        slow = not (reset or malformed) and bool(faults.slow_rate) and self._draw() < faults.slow_rate
        if not (reset or malformed or slow):
            return self.app(environ, start_response)
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        body = b"".join(self.app(environ, capture))
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        if reset:
            # Promise the whole body, send half, and let the server close the connection:
            # the client sees a response cut off mid-way.
            self._count("reset")
            start_response(captured["status"], [*headers, ("Content-Length", str(len(body)))])
            return [body[: len(body) // 2]]
        if malformed:
            self._count("malformed")
            broken = body[: max(1, len(body) // 2)] if body else b"{"
            start_response(captured["status"], [*headers, ("Content-Length", str(len(broken)))])
            return [broken]
        self._count("slow_body")
        start_response(captured["status"], [*headers, ("Content-Length", str(len(body)))])
        return self._slowly(body, faults.slow_body)

    @staticmethod
    def _slowly(body: bytes, delay: float) -> Iterable[bytes]:
        yield body[: len(body) // 2]
        time.sleep(delay)
        yield body[len(body) // 2 :]

    @staticmethod
    def _json(
        start_response: Callable[..., Any], status: str, data: Any, extra: list[tuple[str, str]] | None = None
    ) -> list[bytes]:
        body = json.dumps(data).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body))), *(extra or [])])
        return [body]
