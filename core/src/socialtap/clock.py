"""The one clock socialtap reads: what "now" and "today" (UTC) are.

Scheduled pulls are about days: a snapshot is kept per UTC day it was fetched, and an
incremental window ends today. Tests (and a user re-running a past day by hand) need to
say which day it is without sleeping, in this process and in the ones it starts (the CLI,
an Airflow worker), so the clock can be set two ways:

- :func:`frozen` in Python: ``with clock.frozen("2026-01-02T09:00:00Z"): ...`` holds for
  every thread of the process while the block runs (worker threads included);
- ``SOCIALTAP_NOW=2026-01-02T09:00:00Z`` in the environment, read at every call, for a
  subprocess. Meant for tests and replays; never set it on a production scheduler.

Everything else calls :func:`now` or :func:`today`, never ``datetime.now()``.

The runner also *pins* the clock while a page is normalized (:func:`pinned`): every record
of a page is as of the moment its response came back, and a page of 100 records reads the
clock once instead of 100 times (reading ``$SOCIALTAP_NOW`` is the costly part).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import threading
from collections.abc import Iterator

from socialtap.errors import ConfigError

ENV_NOW = "SOCIALTAP_NOW"

_lock = threading.Lock()
_frozen: list[dt.datetime] = []
_pinned = threading.local()


def parse_instant(text: str) -> dt.datetime:
    """An ISO 8601 date or datetime as an aware UTC datetime (a naive one is taken as UTC)."""
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"{text!r} is not an ISO 8601 date or time, e.g. 2026-01-02 or 2026-01-02T09:00:00Z") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def now() -> dt.datetime:
    """The current time, timezone-aware UTC (pinned, frozen or ``$SOCIALTAP_NOW`` when set)."""
    instant = getattr(_pinned, "at", None)
    if instant is not None:
        return instant
    with _lock:
        if _frozen:
            return _frozen[-1]
    text = os.environ.get(ENV_NOW)
    if text:
        return parse_instant(text)
    return dt.datetime.now(dt.UTC)


def today() -> dt.date:
    """The current UTC day."""
    return now().date()


@contextlib.contextmanager
def frozen(at: dt.datetime | dt.date | str) -> Iterator[dt.datetime]:
    """Hold the clock at ``at`` (UTC) for every thread while the block runs."""
    if isinstance(at, str):
        instant = parse_instant(at)
    elif isinstance(at, dt.datetime):
        instant = at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)
    else:
        instant = dt.datetime(at.year, at.month, at.day, tzinfo=dt.UTC)
    with _lock:
        _frozen.append(instant)
    try:
        yield instant
    finally:
        with _lock:
            _frozen.remove(instant)


@contextlib.contextmanager
def pinned(at: dt.datetime | None = None) -> Iterator[dt.datetime]:
    """Hold :func:`now` at one instant in this thread only (default: now, read once).

    For the runner's normalization of one page: its records share one fetch time. Other
    threads, and :func:`frozen` blocks entered before it, are untouched.
    """
    instant = at if at is not None else now()
    previous = getattr(_pinned, "at", None)
    _pinned.at = instant
    try:
        yield instant
    finally:
        _pinned.at = previous
