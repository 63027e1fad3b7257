"""What every hand-off to a loading engine shares: table names, the key column, rows, windows.

socialtap writes no warehouse loaders: :mod:`socialtap.dlt` hands records to dlt and
:mod:`socialtap.singer` writes Singer messages for any Singer target. Both load the same
tables, described here once:

- **one table per record type, named with the vendor**: ``<vendor>_<type>``
  (``shareablee_observation``); every stream of a vendor that yields observations loads
  into the same table, as in a SQLite output.
- **the key column** ``_key``: the record's natural key (:attr:`Observation.natural_key`
  and the others) as one text, the JSON list of its values exactly as the SQLite output
  keys its rows (:func:`socialtap.records.key_of`). A warehouse primary key cannot be the
  natural-key columns themselves: a snapshot's ``date`` is null and ``dimensions`` is an
  object, and primary-key columns must be non-null scalars in DuckDB, Postgres and
  BigQuery alike. ``_key`` is what dlt merges on and what Singer's ``key_properties`` name.
- **a window of days per run**: a stream that declares a date window
  (:class:`~socialtap.declarations.Window`) is loaded incrementally from a bookmark the
  loading engine keeps (dlt's state, a Singer STATE), not socialtap's state file, so the
  engine's state and its tables never disagree. :func:`windowed_task` turns such a
  bookmark into a task with a fixed window, computed as ``--incremental`` computes it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import attrs

from socialtap import clock
from socialtap.records import TYPE_NAMES, Record, key_of, to_dict

KEY = "_key"
# The field a windowed stream's records are bookmarked by: the day a record is as of.
CURSOR = "as_of"


def table_name(vendor: str, record_type: str) -> str:
    """The table (Singer stream, dlt table) of ``vendor``'s records of one type: ``<vendor>_<type>``."""
    return f"{vendor}_{record_type}"


def key_text(cls: type, data: Mapping[str, Any]) -> str:
    """The natural key of a record of ``cls`` (its :func:`~socialtap.records.to_dict` form) as one text."""
    return json.dumps(list(key_of(cls, data)), ensure_ascii=False)


def row(record: Record) -> dict[str, Any]:
    """The record as a table row: its JSON-safe fields and ``_key`` (no ``type``: the table says it)."""
    data = to_dict(record)
    return {KEY: key_text(type(record), data), **data}


def has_cursor(cls: type) -> bool:
    """Whether records of ``cls`` carry the bookmark field (every type but ``Account``)."""
    return any(field.name == CURSOR for field in attrs.fields(cls))


def record_types(stream: Any) -> list[tuple[str, type]]:
    """``(type name, class)`` of each record type a declared stream yields, in declaration order."""
    return [(TYPE_NAMES[cls], cls) for cls in stream.records if cls in TYPE_NAMES]


def split_params(streams: list[str], params: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Params per stream from one dict for every stream, or a dict of ``{stream: params}``.

    The second form is recognised when every key names one of ``streams`` and holds a dict.
    """
    given = dict(params or {})
    if given and all(name in streams and isinstance(value, Mapping) for name, value in given.items()):
        return {name: dict(given.get(name, {})) for name in streams}
    return {name: dict(given) for name in streams}


def windowed_task(
    task: Any, bookmark: dt.date | None, *, lookback_days: int | None = None
) -> tuple[Any, tuple[dt.date, dt.date]]:
    """``task`` with its stream's window params set from a bookmark kept outside socialtap.

    The window is the one an ``--incremental`` run would fetch
    (:func:`socialtap.incremental.plan_window`): from ``bookmark`` minus the lookback to
    today, or on a first run from ``Options.start``, else the stream's default window.
    ``lookback_days`` overrides ``Options.lookback_days`` (dlt's ``lag`` has applied it
    already). The task that comes back is not ``incremental``: its window is fixed, and
    the caller moves its own bookmark to the window's end when the run succeeds.
    ConfigError when the stream has no window or the window params were given.
    """
    from socialtap.incremental import check_options, plan_window, window_params
    from socialtap.plugins import get_registry

    vendor = get_registry().get(task.vendor)
    stream = vendor.stream(task.stream)
    options = task.options
    check_options(stream.window, vendor.name, stream.name, task.params, attrs.evolve(options, incremental=True))
    assert stream.window is not None  # check_options refused a stream without one
    lookback = options.lookback_days if lookback_days is None else lookback_days
    start, end = plan_window(stream.window, today=clock.today(), bookmark=bookmark, lookback_days=lookback, start=options.start)
    params = {**task.params, **window_params(stream, start, end)}
    plain = attrs.evolve(options, incremental=False, start=None, lookback_days=None)
    return attrs.evolve(task, params=params, options=plain), (start, end)


def wants_window(task: Any) -> bool:
    """Whether ``task``'s stream declares a window and the task leaves it to be computed."""
    from socialtap.plugins import get_registry

    window = get_registry().get(task.vendor).stream(task.stream).window
    if window is None:
        return False
    return not any(task.params.get(name) is not None for name in (window.start, window.end))
