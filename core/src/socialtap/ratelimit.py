"""Client-side rate limits per (vendor, credential), shared across threads, processes and machines.

A vendor declares its limit (``Vendor.rate_limit = RateLimit(5, 1.0)``); every attempt
the engine sends first takes a slot from a pyrate-limiter bucket. Where the bucket lives
decides who shares the limit:

- in memory (default): every thread and every task of this process;
- a SQLite file (``--rate-limit-db PATH`` / ``SOCIALTAP_RATE_LIMIT_DB``): every process on
  this machine (a file lock makes count-then-insert atomic across processes);
- Redis (``--rate-limit-url redis://host:6379/0`` / ``SOCIALTAP_RATE_LIMIT_URL``): every
  Airflow worker on every machine (an atomic Lua script; clocks must be NTP-synced).

The bucket key is ``<vendor>-<hash of the credentials>``: two API keys get two budgets,
and no credential value is ever stored in a bucket.

When a slot is stamped decides whether the server ever answers 429. The server counts a
request when it *arrives*, some time after the client took its slot. The in-memory bucket
(:class:`SlidingWindow`) therefore counts a request as in the window from the moment it
takes its slot until one window after its response came back (``Throttle.release``): the
server's arrival lies between those two instants, so N requests in any window at the
server is impossible, with no padding and the full declared rate. The SQLite and Redis
buckets (pyrate-limiter, shared between processes) cannot restamp an item they admitted:
they stamp it with the time it was actually admitted (not the time the limiter planned
to wake up, which lags up to a slice behind) and pad the window by ``max(100 ms, 2 %)``
for the time between admission and arrival.

Servers that announce their budget (``RateLimit-Remaining``/``-Reset``, the IETF draft's
``RateLimit: remaining=…, reset=…``, and the ``X-RateLimit-*`` forms) are listened to: an
exhausted budget pauses every worker until the reset, a nearly exhausted one spreads the
remaining requests over the time left, before the server has to answer 429.

No announced wait is unbounded. A server may ask for any pause (``X-RateLimit-Reset:
900``, an epoch a day ahead, ``Retry-After: 86400``), so:

- one wait longer than the run's retry budget (``max_pause``, from
  ``Options.max_retry_wait``, 120 s by default) is not slept: the next request ends the
  run with a QuotaError saying how long the server asked to wait and how to go on;
- the time a run spends held by announced limits (wall clock, pauses and spreading
  alike) is capped at ``max_total_pause`` (``Options.max_rate_limit_wait``, 15 minutes
  by default); past it the run ends with a QuotaError too;
- every wait sleeps in slices of at most a second through the caller's ``sleep``, so a
  run that stops (Ctrl-C, a failed chain) wakes its workers at once; so does the wait
  for a slot of the declared limit.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from socialtap.declarations import RateLimit
from socialtap.errors import ConfigError, QuotaError
from socialtap.retry import header

if TYPE_CHECKING:  # pyrate-limiter loads only for the shared buckets (SQLite, Redis)
    from pyrate_limiter import Limiter, Rate

ENV_DB = "SOCIALTAP_RATE_LIMIT_DB"
ENV_URL = "SOCIALTAP_RATE_LIMIT_URL"
DEFAULT_MAX_PAUSE = 120.0  # one announced wait: the default retry budget (RetryPolicy.max_total_wait)
DEFAULT_MAX_TOTAL_PAUSE = 900.0  # announced waits of a whole run: never stall for more than 15 minutes
SLICE = 1.0  # longest single sleep, so a stopping run is noticed within a second
LOW_BUDGET_FRACTION = 0.1


def credentials_key(vendor: str, credentials: Mapping[str, str]) -> str:
    """``<vendor>-<16 hex chars>``: the bucket key; a one-way hash, never the credential."""
    blob = "\0".join(f"{k}={v}" for k, v in sorted(credentials.items()))
    digest = hashlib.sha256(f"socialtap-rate-limit\0{vendor}\0{blob}".encode()).hexdigest()[:16]
    safe_vendor = re.sub(r"[^A-Za-z0-9_]", "_", vendor)
    return f"{safe_vendor}-{digest}"


def padded_rate(limit: RateLimit) -> Rate:
    """The pyrate-limiter rate for a declared limit, its window padded for the time from admission to arrival.

    Only the shared buckets (SQLite, Redis) use it; the in-memory window needs no padding.
    """
    from pyrate_limiter import Rate

    window_ms = limit.per * 1000.0
    return Rate(limit.requests, math.ceil(window_ms + max(100.0, window_ms * 0.02)))


@attrs.frozen
class Backend:
    """Where buckets live: ``memory``, ``sqlite`` (``location`` = file) or ``redis`` (URL)."""

    kind: str = "memory"
    location: str = ""

    @classmethod
    def resolve(cls, db: str | None = None, url: str | None = None) -> Backend:
        """From options, else ``SOCIALTAP_RATE_LIMIT_URL`` / ``SOCIALTAP_RATE_LIMIT_DB``, else memory."""
        url = url or os.environ.get(ENV_URL) or None
        db = db or os.environ.get(ENV_DB) or None
        if url:
            if url.startswith(("redis://", "rediss://", "unix://")):
                return cls("redis", url)
            if url.startswith("sqlite:///"):
                return cls("sqlite", str(_sqlite_path(Path(url.removeprefix("sqlite://")).resolve())))
            if url == "memory://":
                return cls()
            raise ConfigError(
                f"unsupported rate-limit URL scheme in {url.split('://')[0]}://…: use redis://host:port/db, "
                f"rediss://…, sqlite:///path or memory://"
            )
        if db:
            return cls("sqlite", str(_sqlite_path(Path(db).expanduser().resolve())))
        return cls()

    def describe(self) -> str:
        if self.kind == "redis":
            return "redis"  # the URL may hold a password
        return self.kind if self.kind == "memory" else f"sqlite:{self.location}"


def _sqlite_path(path: Path) -> Path:
    """``path`` if a SQLite bucket file can live there; else a ConfigError (checked before any request)."""
    if path.is_dir():
        raise ConfigError(
            f"rate-limit DB {str(path)!r} is a directory; give a file path such as {str(path / 'ratelimit.sqlite')!r}"
        )
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ConfigError(f"rate-limit DB {str(path)!r} cannot be created: {str(parent)!r} is not a directory")
            break
    return path


class SlidingWindow:
    """At most ``limit`` requests in any ``per`` seconds, counted from slot to response.

    A slot taken by :meth:`take` counts as in the window while its request is in flight
    and for ``per`` seconds after :meth:`release` stamps it with the time its response
    came back. Whatever the network delay, the server's arrival times then also hold at
    most ``limit`` in any ``per`` seconds. One instance is shared by every thread and task
    of a process for one (vendor, credential).
    """

    def __init__(self, limit: int, per: float):
        self.limit = limit
        self.per = per
        self._done: list[float] = []  # response times of released slots, still in a window
        self._in_flight = 0
        self._changed = threading.Condition()

    def wait_time(self, now: float) -> float:
        """Seconds until a slot frees up (0: one is free now); ``per`` when all are in flight. Lock held."""
        horizon = now - self.per
        self._done = [stamp for stamp in self._done if stamp > horizon]
        if self._in_flight + len(self._done) < self.limit:
            return 0.0
        if not self._done:
            return self.per  # woken early by a release
        return min(self._done) - horizon

    def take(self, sleep: Callable[[float], object]) -> bool:
        """Block until a slot is free and take it; whether the limit made it wait.

        ``sleep(0)`` between waits may raise to abandon.
        """
        if self.limit < 1:
            raise ConfigError("a rate limit must admit at least one request per window; check its RateLimit declaration")
        waited = False
        with self._changed:
            while True:
                wait = self.wait_time(time.monotonic())
                if wait <= 0:
                    self._in_flight += 1
                    return waited
                waited = True
                self._changed.wait(min(wait, SLICE))
                self._changed.release()
                try:
                    sleep(0)  # the run's sleep raises once the run stops
                finally:
                    self._changed.acquire()

    def release(self) -> None:
        """The response of a slot's request came back (or it failed): stamp it now."""
        with self._changed:
            self._in_flight -= 1
            self._done.append(time.monotonic())
            self._changed.notify_all()


# Every bucket of this process (SlidingWindows and pyrate-limiter Limiters), by what
# identifies it, so all tasks of a process share one per (backend, key, limit).
_SHARED: dict[tuple[Any, ...], Any] = {}
_LIMITERS_LOCK = threading.Lock()


def reset_limiters() -> None:
    """Forget this process's buckets, so the next task starts with a full budget.

    Buckets are shared by every task of a process on purpose (a vendor's limit is per
    credential, not per task). A test suite that runs many tasks with one sandbox
    credential wants the opposite between tests: one test's requests must not make the
    next one wait. SQLite and Redis buckets keep their counts: those live outside.
    """
    with _LIMITERS_LOCK:
        _SHARED.clear()


def _shared(cache_key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    """The process's bucket for ``cache_key``, built by ``build`` on first use."""
    with _LIMITERS_LOCK:
        found = _SHARED.get(cache_key)
        if found is None:
            found = _SHARED[cache_key] = build()
        return found


def _window(key: str, limit: RateLimit) -> SlidingWindow:
    """The in-memory window of (key, limit), shared by every task of the process."""
    return _shared(("memory", key, limit.requests, limit.per), lambda: SlidingWindow(limit.requests, limit.per))  # type: ignore[no-any-return]


def _limiter(backend: Backend, key: str, rate: Rate) -> Limiter:
    """The pyrate-limiter Limiter of (backend, key, rate), shared by every task of the process."""

    def build() -> Limiter:
        from pyrate_limiter import Limiter

        return Limiter(_bucket(backend, key, rate), buffer_ms=5)

    return _shared((backend, key, rate.limit, rate.interval), build)  # type: ignore[no-any-return]


def _bucket(backend: Backend, key: str, rate: Rate):  # type: ignore[no-untyped-def]
    if backend.kind == "sqlite":
        import sqlite3

        from pyrate_limiter import SQLiteBucket

        try:
            Path(backend.location).parent.mkdir(parents=True, exist_ok=True)
            bucket = SQLiteBucket.init_from_file(
                [rate], table=f"rl_{key}", db_path=backend.location, create_new_table=True, use_file_lock=True
            )
            return _stamped_when_admitted(bucket)
        except (OSError, sqlite3.Error) as exc:  # unwritable, not a database, ...: the user's path to fix
            raise ConfigError(
                f"cannot open the rate-limit DB {backend.location!r} ({type(exc).__name__}: {exc}); "
                f"give a writable file path with --rate-limit-db or {ENV_DB}"
            ) from None
    if backend.kind == "redis":
        try:
            import redis
        except ImportError:
            raise ConfigError("the Redis rate-limit backend needs the redis package: pip install 'socialtap[redis]'") from None
        from pyrate_limiter import RedisBucket
        from pyrate_limiter.buckets.redis_bucket import LuaScript

        # pyrate-limiter's script counts the items stamped up to the caller's own "now".
        # Another process stamps its "now" before its script runs, so an item it admitted a
        # moment ago can carry a later stamp and be missed: one request too many. Counting
        # every item from the window's start, later stamps included, closes that race.
        upto_now = "redis.call('ZCOUNT', bucket, window_start, now)"
        if upto_now not in LuaScript.PUT_ITEM:
            raise ConfigError("this pyrate-limiter version's Redis script is unknown to socialtap; pin pyrate-limiter 4.x")
        script = LuaScript.PUT_ITEM.replace(upto_now, "redis.call('ZCOUNT', bucket, window_start, '+inf')")

        class FreshRedisBucket(RedisBucket):
            """Counts items stamped later than the caller's now too (see above)."""

            @classmethod
            def init(cls, rates, redis, bucket_key, algorithm=None):  # type: ignore[no-untyped-def, override]
                return cls(rates, redis, bucket_key, redis.script_load(script), algorithm)

        try:
            client = redis.Redis.from_url(backend.location)
            return _stamped_when_admitted(FreshRedisBucket.init([rate], client, f"socialtap:ratelimit:{key}"))
        except redis.RedisError as exc:
            raise ConfigError(
                f"cannot reach the Redis rate-limit backend ({type(exc).__name__}); check --rate-limit-url / {ENV_URL}"
            ) from None
    raise ConfigError(f"unknown rate-limit backend {backend.kind!r}")


def _stamped_when_admitted(bucket):  # type: ignore[no-untyped-def]
    """``bucket`` stamping each item with the time it is admitted.

    After a wait pyrate-limiter's Limiter stamps an item with the time it *planned* to
    wake up, which can be a whole slice behind the real time: the item then leaves the
    window early, and one request too many reaches the server.
    """
    put = bucket.put

    def put_now(item):  # type: ignore[no-untyped-def]
        item.timestamp = bucket.now()
        return put(item)

    bucket.put = put_now
    return bucket


def parse_budget(headers: Mapping[str, str], *, now: float | None = None) -> tuple[int | None, int | None, float | None]:
    """``(limit, remaining, seconds until reset)`` announced by a response, each None when absent."""
    limit = remaining = None
    reset: float | None = None
    combined = header(headers, "RateLimit")
    if combined:  # draft-ietf-httpapi-ratelimit-headers: "limit=100, remaining=50, reset=5" or '"p";r=50;t=5'
        for name, value in re.findall(r"\b(limit|remaining|reset|r|t)\s*=\s*(\d+(?:\.\d+)?)", combined):
            if name == "limit":
                limit = int(float(value))
            elif name in ("remaining", "r"):
                remaining = int(float(value))
            else:
                reset = float(value)
    for prefix in ("RateLimit-", "X-RateLimit-", "X-Rate-Limit-"):
        if limit is None:
            limit = _int(header(headers, prefix + "Limit"))
        if remaining is None:
            remaining = _int(header(headers, prefix + "Remaining"))
        if reset is None:
            reset = _float(header(headers, prefix + "Reset"))
    if reset is not None and reset > 1_000_000_000:  # an epoch timestamp (GitHub, Twitter style)
        reset = reset - (now if now is not None else time.time())
    if reset is not None:
        reset = max(reset, 0.0)  # not capped here: the Throttle refuses what is too long
    return limit, remaining, reset


def _int(value: str | None) -> int | None:
    try:
        return int(float(value.split(",")[0])) if value is not None else None
    except ValueError:
        return None


def _float(value: str | None) -> float | None:
    try:
        return float(value.split(",")[0]) if value is not None else None
    except ValueError:
        return None


class Throttle:
    """The rate limit of one (vendor, credential): a shared bucket plus what servers announced.

    ``acquire()`` blocks until an attempt may be sent and returns how long it waited;
    it raises QuotaError instead of waiting past ``max_pause`` at once or
    ``max_total_pause`` in all (see the module docstring).
    """

    def __init__(
        self,
        vendor: str,
        rate_limit: RateLimit | None,
        credentials: Mapping[str, str],
        backend: Backend | None = None,
        *,
        max_pause: float = DEFAULT_MAX_PAUSE,
        max_total_pause: float = DEFAULT_MAX_TOTAL_PAUSE,
    ):
        self.vendor = vendor
        self.backend = backend or Backend()
        self.key = credentials_key(vendor, credentials)
        shared = rate_limit is not None and self.backend.kind != "memory"
        self.window = _window(self.key, rate_limit) if rate_limit is not None and not shared else None
        self.rate = padded_rate(rate_limit) if shared else None
        self.limiter = _limiter(self.backend, self.key, self.rate) if self.rate is not None else None
        self._slots = threading.local()
        self.max_pause = max_pause
        self.max_total_pause = max_total_pause
        self._lock = threading.Lock()
        self._pause_until = 0.0
        self._pause_source = ""
        self._spacing = 0.0
        self._spacing_until = 0.0
        self._next_slot = 0.0
        # Wall-clock time some worker spent held by announced limits: an interval is
        # counted once however many workers wait in it.
        self._waiters = 0
        self._held_since = 0.0
        self._held = 0.0

    def held(self) -> float:
        """Seconds (wall clock) this run has spent held by limits the server announced."""
        with self._lock:
            return self._held_now(time.monotonic())

    def _held_now(self, now: float) -> float:
        return self._held + (now - self._held_since if self._waiters else 0.0)

    def acquire(self, sleep: Callable[[float], object] = time.sleep) -> float:
        """Wait for a slot (announced pauses first, then the bucket); the seconds the limits held it (0: none).

        ``sleep`` is called with at most a second at a time (and with 0 while waiting
        for the bucket) and may raise to abandon the wait.
        """
        started = time.monotonic()
        waiting = False  # held by an announced pause or spreading
        try:
            while True:
                with self._lock:
                    now = time.monotonic()
                    pausing = self._pause_until > now
                    ready = max(self._pause_until, self._next_slot if now < self._spacing_until else 0.0)
                    if ready <= now:
                        if now < self._spacing_until:
                            self._next_slot = now + self._spacing
                        break
                    self._refuse_long_wait(ready - now, now, pausing)
                    if not waiting:
                        waiting = True
                        if self._waiters == 0:
                            self._held_since = now
                        self._waiters += 1
                sleep(min(ready - now, SLICE))
        finally:
            if waiting:
                with self._lock:
                    self._waiters -= 1
                    if self._waiters == 0:
                        self._held += time.monotonic() - self._held_since
        held_by_bucket = self._take_from_bucket(sleep)
        # Only a wait the limit imposed counts: a busy machine's lock or scheduling delay is not one.
        return time.monotonic() - started if waiting or held_by_bucket else 0.0

    def _refuse_long_wait(self, wait: float, now: float, pausing: bool) -> None:
        """QuotaError when a wait passes the one-wait or the whole-run bound (lock held)."""
        source = self._pause_source if pausing else "the remaining budget it announced"
        asked = f"{self.vendor} asked to wait {wait:.0f}s before the next request ({source})"
        resume_at = time.strftime("%H:%M:%S UTC", time.gmtime(time.time() + wait))
        if wait > self.max_pause:
            raise QuotaError(
                f"{asked}, longer than this run may wait at once ({self.max_pause:.0f}s, the retry budget "
                f"Options.max_retry_wait). Nothing more was sent: run again after {resume_at}, or set "
                f"max_retry_wait to at least {math.ceil(wait)} to wait inside the run.",
                vendor=self.vendor,
            )
        held = self._held_now(now)
        if held + wait > self.max_total_pause:
            raise QuotaError(
                f"{asked}, but this run has already been held {held:.1f}s by the vendor's announced limits and may "
                f"be held {self.max_total_pause:.0f}s in all (Options.max_rate_limit_wait). Nothing more was sent: "
                f"run again after {resume_at} (with --resume and a state file to continue), or raise max_rate_limit_wait.",
                vendor=self.vendor,
            )

    def release(self) -> None:
        """The response to this thread's last acquired slot came back (or its attempt failed).

        The in-memory window keeps the slot until one window after this moment (see the
        module docstring); the other buckets stamped it when it was admitted. Call it
        once after every :meth:`acquire`, whatever happened to the request.
        """
        if self.window is not None and getattr(self._slots, "held", 0):
            self._slots.held -= 1
            self.window.release()

    def _take_from_bucket(self, sleep: Callable[[float], object]) -> bool:
        """Take a slot of the declared limit; whether the limit made this attempt wait."""
        if self.window is not None:
            waited = self.window.take(sleep)
            self._slots.held = getattr(self._slots, "held", 0) + 1
            return waited
        if self.limiter is None:
            return False
        began = time.monotonic()
        while True:
            asked = time.monotonic()
            # In slices, so a stopping run is noticed between them.
            if self.limiter.try_acquire(self.key, timeout=SLICE):
                # pyrate-limiter does not say whether it slept: a wait of its buffer (5 ms) or more did.
                return time.monotonic() - began >= 0.005
            if time.monotonic() - asked < SLICE / 2:  # refused at once: the limit can never admit one
                raise ConfigError(f"the rate limit of {self.vendor} admits no request at all; check its RateLimit declaration")
            sleep(0)

    def observe(self, headers: Mapping[str, str]) -> None:
        """Slow down as the server's announced budget runs out."""
        limit, remaining, reset = parse_budget(headers)
        if remaining is None:
            return
        now = time.monotonic()
        with self._lock:
            if remaining <= 0:
                until = now + (reset if reset is not None else 1.0)
                if until > self._pause_until:
                    self._pause_until = until
                    self._pause_source = "its rate-limit headers announced 0 requests left until the reset"
                return
            low = max(1, int(limit * LOW_BUDGET_FRACTION)) if limit else 5
            if reset and remaining <= low:
                self._spacing = reset / remaining
                self._spacing_until = now + reset
            elif now >= self._spacing_until:
                self._spacing = 0.0

    def pause(self, seconds: float) -> None:
        """Hold every worker of this (vendor, credential) for ``seconds`` (a 429's Retry-After)."""
        with self._lock:
            until = time.monotonic() + seconds
            if until > self._pause_until:
                self._pause_until = until
                self._pause_source = "Retry-After on HTTP 429"
