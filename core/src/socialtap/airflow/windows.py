"""Airflow's data interval -> a stream's date window, and the window-free destination id.

No Airflow import here: the operator calls these, and the fast suite tests them.

The rules (docs/airflow.md, "Scheduled pulls"):

- A stream that declares a :class:`~socialtap.declarations.Window` and whose
  ``stream_params`` name neither window param gets the DAG run's data interval as its
  window: ``start`` is the UTC day of ``data_interval_start``, ``end`` the UTC day of the
  last instant *inside* the interval (``data_interval_end`` is exclusive), so a daily
  interval 2026-01-01T00:00 -> 2026-01-02T00:00 fetches the single day 2026-01-01.
- Window params given in ``stream_params`` (literal or templated, ``{{ ds }}``) always win.
- A window from the params or the data interval wins over ``incremental=True``: such a run
  fetches exactly that window (backfills and catchup fetch their own days) and neither
  reads nor moves the bookmark. ``incremental`` applies to runs with no other window:
  manual triggers of unscheduled DAGs, and trigger timetables (Airflow 3's default for a
  cron string or a timedelta), whose interval is a point in time (``start == end``).
- ``{socialtap_id}`` in a destination is the task's stable id *without* the window params,
  so every run of one task appends to one file (history in one SQLite file), whatever days
  it fetched.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs

from socialtap.declarations import Window
from socialtap.incremental import without_window
from socialtap.params import unstructure
from socialtap.runner import Prepared, task_id

_TICK = dt.timedelta(microseconds=1)  # datetime's resolution: end - _TICK is the last instant inside [start, end)

DATA_INTERVAL = "data_interval"
PARAMS = "params"
INCREMENTAL = "incremental"
NONE = "none"


def _utc(value: dt.datetime) -> dt.datetime:
    """An aware datetime in UTC; a naive one is taken as UTC (Airflow's are always aware)."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def interval_days(start: dt.datetime | None, end: dt.datetime | None) -> tuple[dt.date, dt.date] | None:
    """The UTC days a data interval ``[start, end)`` touches, as ``(first, last)``, both inclusive.

    None when there is no interval: either bound missing (a run without a logical date),
    or ``end <= start`` (a trigger timetable's point in time). An interval that does not
    start or end at UTC midnight (hourly runs, a DAG in another timezone) covers every UTC
    day it touches, so neighbouring runs share a day and refetch it; the SQLite output
    upserts, so that day is kept once.
    """
    if start is None or end is None:
        return None
    first, stop = _utc(start), _utc(end)
    if stop <= first:
        return None
    return first.date(), (stop - _TICK).date()


def has_window_params(window: Window, params: Mapping[str, Any] | None) -> bool:
    """True when ``params`` name either of the window's params (a value of None or "" does not count)."""
    params = params or {}
    return any(params.get(name) not in (None, "") for name in (window.start, window.end))


@attrs.frozen
class WindowPlan:
    """What the operator runs: the params, whether incrementally, and where the window came from.

    ``source`` is ``data_interval`` (filled from the DAG run), ``params`` (the user's own),
    ``incremental`` (left to the bookmark) or ``none`` (no window: the stream declares
    none, or nothing filled it). ``declared``: the stream declares a window.
    """

    params: dict[str, Any]
    incremental: bool
    source: str
    window: tuple[dt.date, dt.date] | None = None
    declared: bool = True

    @property
    def window_dict(self) -> dict[str, str] | None:
        if self.window is None:
            return None
        return {"start": self.window[0].isoformat(), "end": self.window[1].isoformat()}


def plan_window(
    window: Window | None,
    params: Mapping[str, Any] | None,
    *,
    data_interval_start: dt.datetime | None = None,
    data_interval_end: dt.datetime | None = None,
    incremental: bool = False,
) -> WindowPlan:
    """Decide the params and mode of one run (see the module docstring for the rules)."""
    params = dict(params or {})
    if window is None:
        return WindowPlan(params, incremental, NONE, declared=False)
    if has_window_params(window, params):
        first, last = _day(params.get(window.start)), _day(params.get(window.end))
        return WindowPlan(params, False, PARAMS, (first, last) if first and last else None)
    days = interval_days(data_interval_start, data_interval_end)
    if days is not None:
        params[window.start], params[window.end] = days[0].isoformat(), days[1].isoformat()
        return WindowPlan(params, False, DATA_INTERVAL, days)
    return WindowPlan(params, incremental, INCREMENTAL if incremental else NONE)


def _day(value: Any) -> dt.date | None:
    """A window param as a day, if it is one (validation reports it otherwise)."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def destination_id(prepared: Prepared) -> str:
    """The id ``{socialtap_id}`` stands for: the task's stable id without its window params.

    Vendor, stream, params and base URL hashed, like the runner's task id, but the date
    window left out: every run of a windowed task (each data interval) writes to the same
    place. For a stream without a window it is the runner's task id.
    """
    window = prepared.stream.window
    if window is None:
        return prepared.task_id
    params = without_window(unstructure(prepared.params), window)  # as bookmarks are keyed
    return task_id(prepared.vendor.name, prepared.stream.name, params, prepared.base_url)


def coerce_day(value: dt.date | dt.datetime | str | None) -> dt.date | None:
    """``start=`` as given to the operator (a date, a datetime, or ``YYYY-MM-DD`` text, maybe templated)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return _utc(value).date()
    if isinstance(value, dt.date):
        return value
    from socialtap.clock import parse_instant

    return parse_instant(str(value)).date()


__all__ = [
    "WindowPlan",
    "coerce_day",
    "destination_id",
    "has_window_params",
    "interval_days",
    "plan_window",
]
