"""Incremental date windows: where a scheduled run starts and ends, and its bookmark.

A stream that declares a :class:`~socialtap.declarations.Window` names the two params of
its date window (inclusive days). ``Options(incremental=True)`` (``--incremental``)
fills them so that daily runs build history without gaps:

- the **end** is today (UTC, :func:`socialtap.clock.today`), *included*. A vendor's data
  for today is partial, but the bookmark day is always fetched again by the next run
  (below), so today's partial values are replaced by complete ones the next day; leaving
  today out would instead delay every record by a day and make a run on the first day
  of a task fetch nothing new;
- the **start** is the bookmark (the window end of the last *successful* run of the same
  task) minus ``lookback_days`` (``--lookback``, else the stream's declared overlap), so
  the bookmark day itself is always fetched again. Without a bookmark (the first run) it
  is ``Options.start`` (``--start``), else the stream's default window: the last
  ``default_days`` days, today included. A computed start is never before the vendor's
  ``earliest`` (an explicit ``--start`` before it is refused by the params' own checks);
- window params given explicitly together with ``incremental`` are refused: an
  incremental run's window is computed, so that its bookmark means one thing.

The task id hashes the window, so each day's run is its own task: with ``--resume``, a run
that failed or was killed resumes on the same day (same bookmark, same window), while the
run after a successful one has a new window and simply fetches it.

The bookmark is keyed by :func:`bookmark_id`: vendor, stream, the params *without* the
window params, and the task's base identity (the base URL, or ``sandbox:<vendor>``),
never credentials. It moves only when a run succeeds (see :mod:`socialtap.state`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from socialtap.declarations import Stream, Window
from socialtap.errors import ConfigError


def plan_window(
    window: Window,
    *,
    today: dt.date,
    bookmark: dt.date | None = None,
    lookback_days: int | None = None,
    start: dt.date | None = None,
) -> tuple[dt.date, dt.date]:
    """The ``(start, end)`` days (inclusive) of an incremental run; see the module docs.

    Raises ConfigError when the bookmark is so far after today that the window would be
    empty (the clock went back, e.g. ``SOCIALTAP_NOW`` set to a past day).
    """
    end = today
    if bookmark is not None:
        lookback = window.lookback_days if lookback_days is None else lookback_days
        first = bookmark - dt.timedelta(days=lookback)
        if first > end:
            raise ConfigError(
                f"the bookmark of this task is {bookmark.isoformat()}, after today ({today.isoformat()}); "
                f"the clock went back? Pass a larger --lookback, or forget the bookmark with "
                f"`socialtap state clear TASK`"
            )
    elif start is not None:
        if start > end:
            raise ConfigError(f"--start {start.isoformat()} is after today ({today.isoformat()}); give a day up to today")
        return start, end  # an explicit start is checked against earliest by the stream's params
    else:
        first = today - dt.timedelta(days=window.default_days - 1)
    if window.earliest is not None and first < window.earliest:
        first = window.earliest
    return min(first, end), end


def without_window(params: Mapping[str, Any], window: Window | None) -> dict[str, Any]:
    """Unstructured params minus the window's two params (what a bookmark is keyed by)."""
    if window is None:
        return dict(params)
    return {k: v for k, v in params.items() if k not in (window.start, window.end)}


def bookmark_id(vendor: str, stream: str, params_without_window: Mapping[str, Any], base: str) -> str:
    """Stable id of a bookmark: vendor, stream, params without the window, base identity."""
    blob = json.dumps(["bookmark", vendor, stream, dict(params_without_window), base], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def check_options(window: Window | None, vendor: str, stream: str, raw: Mapping[str, Any], options: Any) -> None:
    """ConfigError for option combinations an incremental run refuses (before any request)."""
    if not options.incremental:
        flags = [name for name, value in (("--start", options.start), ("--lookback", options.lookback_days)) if value is not None]
        if flags:
            raise ConfigError(f"{' and '.join(flags)} only apply with --incremental (Options.incremental=True)")
        return
    if window is None:
        raise ConfigError(
            f"{vendor}.{stream} has no date window, so --incremental cannot apply: it is a snapshot. "
            f"Run it on a schedule without --incremental; each run keeps that day's values"
        )
    given = [name for name in (window.start, window.end) if raw.get(name) is not None]
    if given:
        raise ConfigError(
            f"--incremental computes {window.start} and {window.end} itself; do not pass {' or '.join(given)}. "
            f"Use --start DATE for the first window of an incremental run, or drop --incremental for a fixed window"
        )


def window_params(stream: Stream, start: dt.date, end: dt.date) -> dict[str, str]:
    """The params that ask ``stream`` for the days ``start`` to ``end``, both included.

    For a caller that fixes the window itself instead of ``incremental`` (an Airflow data
    interval: its end is exclusive, so pass the day before it). ConfigError when the stream
    declares no window or ``start`` is after ``end``.
    """
    if stream.window is None:
        raise ConfigError(f"stream {stream.name} declares no date window; it takes no start and end days")
    if start > end:
        raise ConfigError(f"the window starts {start.isoformat()}, after its end {end.isoformat()}")
    return {stream.window.start: start.isoformat(), stream.window.end: end.isoformat()}
