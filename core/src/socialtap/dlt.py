"""A dlt source of socialtap streams (``pip install 'socialtap[dlt]'``): load into any warehouse dlt loads.

::

    import dlt
    from socialtap.dlt import socialtap_source

    source = socialtap_source("shareablee", ["user_time_series"], {"entity_id": "995122", "service": "facebook"})
    dlt.pipeline("social", destination="duckdb", dataset_name="social").run(source)

Each stream is a dlt resource (named for the stream); its records load into one table
per record type, named with the vendor (``shareablee_observation``: see
:mod:`socialtap.warehouse`), merged on ``_key``, the record's natural key as one text
(``write_disposition="merge"``: running a task again updates rows, never duplicates
them). Column types come from the record classes: text, bigint, double, bool, date,
timestamp; dicts and lists (``dimensions``, ``metrics``, ``ids``, ``attributes``,
``categories``) are JSON columns, never child tables; a value that may be a number or text
(``Observation.value``) is a double, and a text value goes to dlt's variant column
(``value__v_text``).

Incremental: a stream that declares a date window gets ``dlt.sources.incremental`` on
``as_of`` (the day a record is as of; a time series' day), kept in dlt's own pipeline
state, with ``lag`` = the stream's lookback days. Each ``pipeline.run`` fetches from the
last run's latest day (minus the lookback) to today, as ``socialtap run --incremental``
does, so a second run fetches only the new days; the first run fetches ``options.start``
onwards, else the stream's default window. Window params given in ``params`` fix the
window instead (no incremental). socialtap's own state file keeps no bookmark for these runs.

Credentials: the ``credentials`` argument, else dlt's config and secrets (``secrets.toml``
``[sources.socialtap.<vendor>]`` with the vendor's credential fields, or the env
``SOURCES__SOCIALTAP__<VENDOR>__<FIELD>``), else socialtap's own
``SOCIALTAP_<VENDOR>_<FIELD>``. ``base_url`` is read the same way. The vendor's rate
limits, retries and data terms (personal fields left out, retention) apply as in any run.

Importing ``socialtap`` never imports dlt; this module does, so import it only where dlt
is installed.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs
import dlt

from socialtap import clock
from socialtap.records import TYPE_NAMES
from socialtap.warehouse import CURSOR, KEY, record_types, row, split_params, table_name, wants_window, windowed_task

log = logging.getLogger("socialtap.dlt")

_FROM_JSON = {"string": "text", "integer": "bigint", "number": "double", "boolean": "bool", "object": "json", "array": "json"}
_FORMATS = {"date": "date", "date-time": "timestamp"}


def data_type(schema: Mapping[str, Any]) -> str:
    """dlt's data type for a field's JSON Schema (:func:`socialtap.schema.type_schema`, what Singer gets too).

    Objects and arrays are JSON; a value that may be a number or text (``Value``) is a double.
    """
    declared = schema.get("type", "string")
    kinds = [declared] if isinstance(declared, str) else [k for k in declared if k != "null"]
    if len(kinds) == 1:
        return _FORMATS.get(schema.get("format", ""), _FROM_JSON.get(kinds[0], "text"))
    return "double" if set(kinds) <= {"integer", "number", "string"} else "json"


def columns(cls: type) -> dict[str, dict[str, Any]]:
    """dlt column hints for a record class: ``_key`` first (the primary key), then each field in order.

    Types come from the fields' JSON Schema; a field is nullable when it has a default or
    may be null (``as_of`` too: an ``Account`` has none).
    """
    from socialtap.schema import object_schema

    schema = object_schema(cls)
    required = set(schema.get("required", []))
    found: dict[str, dict[str, Any]] = {KEY: {"data_type": "text", "nullable": False, "primary_key": True}}
    for name, field in schema["properties"].items():
        found[name] = {"data_type": data_type(field), "nullable": name not in required or name == CURSOR}
    return found


def _from_dlt_config(vendor: Any) -> tuple[dict[str, str], str | None]:
    """Credential fields and base URL from dlt's config/secrets (``sources.socialtap.<vendor>.<field>``)."""
    names = {c.name for c in vendor.credentials} | {f for group in vendor.auth.fields() for f in group}
    found = {}
    for name in sorted(names):
        value = dlt.secrets.get(f"sources.socialtap.{vendor.name}.{name}")
        if value:
            found[name] = str(value)
    base_url = dlt.config.get(f"sources.socialtap.{vendor.name}.base_url")
    return found, str(base_url) if base_url else None


def _day(value: Any) -> dt.date | None:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    return dt.date.fromisoformat(str(value)[:10])


def _records(task: Any, windowed: bool, cursor: Any = None) -> Iterator[Any]:
    """The rows of one run of ``task``, each marked with its table."""
    from socialtap.runner import RunReport, iter_records

    if windowed:
        # dlt has applied the lag (the lookback) to last_value already.
        task, window = windowed_task(task, _day(cursor.last_value), lookback_days=0)
        log.info("socialtap %s.%s: window %s..%s", task.vendor, task.stream, window[0], window[1])
    report = RunReport(task.vendor, task.stream, "")
    for record in iter_records(task, report=report):
        yield dlt.mark.with_table_name(row(record), table_name(task.vendor, TYPE_NAMES[type(record)]))
    from socialtap.plugins import get_registry
    from socialtap.terms import file_retention_warning

    # socialtap cannot prune a warehouse: the vendor's retention is said, as for a file output.
    retention = file_retention_warning(get_registry().get(task.vendor), "dlt", None, clock.today())
    for warning in [*report.warnings, *([retention] if retention else [])]:
        log.warning("socialtap %s.%s: %s", task.vendor, task.stream, warning)


def _resource(task: Any, stream: Any, windowed: bool) -> Any:
    if windowed:
        lag = stream.window.lookback_days if task.options.lookback_days is None else task.options.lookback_days

        def windowed_records(
            as_of: Any = dlt.sources.incremental(  # dlt binds its state through this default
                CURSOR, initial_value=None, on_cursor_value_missing="include", primary_key=(), lag=lag
            ),
        ) -> Iterator[Any]:
            yield from _records(task, True, as_of)

        function: Any = windowed_records
    else:

        def records() -> Iterator[Any]:
            yield from _records(task, False)

        function = records
    resource = dlt.resource(function, name=stream.name, write_disposition="merge", primary_key=KEY)
    for type_name, cls in record_types(stream):
        resource.apply_hints(
            table_name=table_name(task.vendor, type_name),
            write_disposition="merge",
            primary_key=KEY,
            columns=columns(cls),
            create_table_variant=True,
        )
    return resource


def socialtap_source(
    vendor: str,
    streams: str | Sequence[str],
    params: Mapping[str, Any] | None = None,
    credentials: Mapping[str, str] | None = None,
    options: Any = None,
) -> Any:
    """A ``dlt.source`` of ``vendor``'s ``streams``; see the module docs.

    ``params``: one dict for every stream, or ``{stream: params}``. ``options``: a
    :class:`socialtap.Options` (base URL, rate-limit buckets, ``start`` and
    ``lookback_days`` of the first incremental window, ``keep_personal_data``...).
    Every task is validated here, before any request: a bad vendor, stream, param or
    missing credential is a :class:`~socialtap.errors.ConfigError` from this call.
    """
    from socialtap.plugins import get_registry
    from socialtap.runner import Options, Task, prepare

    declared = get_registry().get(vendor)
    names = [streams] if isinstance(streams, str) else list(streams)
    options = options if options is not None else Options()
    from_config, base_url = _from_dlt_config(declared)
    given = {**from_config, **dict(credentials or {})}
    if base_url and options.base_url is None:
        options = attrs.evolve(options, base_url=base_url)
    per_stream = split_params(names, params)
    resources = []
    for name in names:
        stream = declared.stream(name)
        task = Task(vendor, name, per_stream[name], given or None, attrs.evolve(options, incremental=False))
        windowed = wants_window(task)
        if not windowed:  # start and lookback_days are for the first and later windows only
            task = attrs.evolve(task, options=attrs.evolve(task.options, start=None, lookback_days=None))
        # Validated now (a placeholder window for a windowed one), so mistakes surface before dlt runs.
        prepare(windowed_task(task, None)[0] if windowed else task)
        resources.append(_resource(task, stream, windowed))

    def source() -> Any:
        return resources

    return dlt.source(source, name=f"socialtap_{vendor}", max_table_nesting=0)()


__all__ = ["columns", "data_type", "socialtap_source"]
