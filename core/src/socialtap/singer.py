"""Singer output: ``socialtap run ... --format singer`` for any Singer target (Meltano too).

Messages follow the Singer spec (one JSON object a line on stdout, or ``-o FILE``):

- **SCHEMA** first, one per record type the stream yields, whether or not a record of it
  comes: ``stream`` is the table (``<vendor>_<type>``, :mod:`socialtap.warehouse`),
  ``schema`` the record class's JSON Schema (the one ``socialtap catalog`` prints, without
  the ``type`` field, with ``_key``), ``key_properties`` ``["_key"]`` (the natural key as
  one text: see :mod:`socialtap.warehouse` for why not the natural-key columns), and
  ``bookmark_properties`` ``["as_of"]`` when the stream has a date window;
- **RECORD** per record: the row of :func:`socialtap.warehouse.row`;
- **STATE** once, last, when the run succeeded: the input state with this task's bookmark
  moved to the window's end. A failed run emits none, so a target keeps the last good one.

State: ``--incremental`` with ``--format singer`` keeps its bookmark in Singer state, not in
socialtap's state file. ``--state FILE`` takes the last STATE a target emitted (its
``value``, a whole STATE message, or a file of messages whose last line is one), as
Meltano passes it; the window starts at that bookmark minus the lookback, as an
``--incremental`` run's does. The state's shape::

    {"bookmarks": {"<vendor>.<stream>": {"<bookmark id>": {"window_start": "YYYY-MM-DD",
     "window_end": "YYYY-MM-DD", "params": {...}}}}}

The bookmark id is the one ``socialtap state list`` shows (params without the window, and
the server; never credentials), so several tasks of one stream share a state file. Other
entries of the input state are passed on unchanged.

``socialtap catalog VENDOR --format singer`` prints a Singer catalog (``--discover``) and
``socialtap spec VENDOR --format singer`` a tap's ``--about``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from socialtap.errors import ConfigError
from socialtap.outputs import JsonLinesWriter
from socialtap.records import TYPE_NAMES, Record, dumps
from socialtap.warehouse import CURSOR, KEY, has_cursor, record_types, row, table_name, wants_window, windowed_task


def singer_schema(cls: type) -> dict[str, Any]:
    """A record class's JSON Schema as a Singer SCHEMA carries it: ``_key`` first, no ``type`` field."""
    from socialtap.schema import record_schema

    schema = record_schema(cls)
    properties = {KEY: {"type": "string", "description": "The natural key's values as one JSON text."}}
    properties.update((name, spec) for name, spec in schema["properties"].items() if name != "type")
    required = [KEY, *(name for name in schema.get("required", []) if name != "type")]
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


def schema_messages(vendor: str, stream: Any, *, incremental: bool) -> list[dict[str, Any]]:
    """The SCHEMA message of each record type ``stream`` yields."""
    messages = []
    for name, cls in record_types(stream):
        message: dict[str, Any] = {
            "type": "SCHEMA",
            "stream": table_name(vendor, name),
            "schema": singer_schema(cls),
            "key_properties": [KEY],
        }
        if incremental and has_cursor(cls):
            message["bookmark_properties"] = [CURSOR]
        messages.append(message)
    return messages


class SingerWriter(JsonLinesWriter):
    """Singer messages into a file (renamed into place on close) or stdout."""

    def __init__(
        self, path: str | Path | None, *, vendor: str, streams: list[Any], incremental: bool, stream: IO[str] | None = None
    ):
        super().__init__(path, stream=stream)
        self.vendor = vendor
        seen: set[str] = set()
        for declared in streams:
            for message in schema_messages(vendor, declared, incremental=incremental):
                if message["stream"] not in seen:
                    seen.add(message["stream"])
                    self.message(message)

    def message(self, message: Mapping[str, Any]) -> None:
        """Write one Singer message."""
        self.file.write(dumps(message) + "\n")

    def write(self, record: Record) -> None:
        self.message({"type": "RECORD", "stream": table_name(self.vendor, TYPE_NAMES[type(record)]), "record": row(record)})

    def state(self, value: Mapping[str, Any]) -> None:
        """Write the STATE message (last: a target emits it once the records before it are loaded)."""
        self.message({"type": "STATE", "value": value})


# -- state -----------------------------------------------------------------------------


def read_state(path: str | Path) -> dict[str, Any]:
    """The Singer state in ``path``: a state value, a STATE message, or messages whose last line is one.

    ConfigError naming the file when it cannot be read or holds no JSON object.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the Singer state {path}: {exc.strerror or exc}") from None
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        try:
            value = json.loads(lines[-1])
        except ValueError:
            raise ConfigError(
                f"the Singer state {path} is not JSON: give the last STATE a target emitted (its value, or the message)"
            ) from None
    if isinstance(value, dict) and value.get("type") == "STATE":
        value = value.get("value")
    if not isinstance(value, dict):
        raise ConfigError(f"the Singer state {path} must hold a JSON object, the value of a STATE message")
    return value


def given_state(path: str | None, *, incremental: bool) -> tuple[dict[str, Any] | None, str | None]:
    """``run --format singer --state FILE``: (the Singer state to start from, socialtap's checkpoint file).

    Only a ``--state`` given on the command line is a target's STATE; ``$SOCIALTAP_STATE``
    stays socialtap's own checkpoint file, as it is for every other format.
    """
    import click

    context = click.get_current_context(silent=True)
    source = context.get_parameter_source("state_path") if context is not None else None
    if path is None or source is not click.core.ParameterSource.COMMANDLINE:
        return None, path
    if not incremental:
        raise ConfigError(
            "--state with --format singer is the last STATE a target emitted, which only --incremental reads: add --incremental"
        )
    return read_state(path), None


def state_key(vendor: str, stream: str) -> str:
    """Where a stream's bookmarks live in the state's ``bookmarks``: ``<vendor>.<stream>``."""
    return f"{vendor}.{stream}"


def bookmark_in(state: Mapping[str, Any], key: str, bookmark_id: str) -> dt.date | None:
    """The window end a state holds for one task's bookmark, or None (a first run)."""
    entry = ((state.get("bookmarks") or {}).get(key) or {}).get(bookmark_id) or {}
    end = entry.get("window_end") if isinstance(entry, Mapping) else None
    if end is None:
        return None
    try:
        return dt.date.fromisoformat(str(end))
    except ValueError:
        raise ConfigError(f"the Singer state's bookmark {key} {bookmark_id} has window_end {end!r}, not YYYY-MM-DD") from None


def with_bookmark(state: Mapping[str, Any], key: str, bookmark_id: str, entry: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``state`` with one bookmark set; everything else kept."""
    bookmarks = dict(state.get("bookmarks") or {})
    bookmarks[key] = {**dict(bookmarks.get(key) or {}), bookmark_id: dict(entry)}
    return {**state, "bookmarks": bookmarks}


# -- the run ---------------------------------------------------------------------------


def _bookmark_id(task: Any) -> str:
    """The bookmark id of a windowed task (validated as socialtap's own incremental run keys it)."""
    from socialtap.incremental import bookmark_id, without_window
    from socialtap.params import unstructure
    from socialtap.runner import prepare

    probe, _ = windowed_task(task, None)
    prepared = prepare(probe)
    assert prepared.stream.window is not None

    params = without_window(unstructure(prepared.params), prepared.stream.window)
    return bookmark_id(prepared.vendor.name, prepared.stream.name, params, prepared.base)


def run_singer(
    task: Any, output: str | None, *, state: Mapping[str, Any] | None, report: Any, stdout: IO[str] | None = None
) -> Any:
    """Run ``task`` into Singer messages at ``output`` (None or ``-``: stdout), filling ``report``.

    ``task.options.incremental``: the window comes from ``state`` (see the module docs) and
    the STATE emitted moves the bookmark. The vendor's rate limits, retries and terms apply
    as in any run; an interrupted or failed run keeps its messages but emits no STATE.
    """
    from socialtap.errors import SocialtapError
    from socialtap.outputs import apply_retention, check_output, output_lock
    from socialtap.plugins import get_registry
    from socialtap.runner import iter_records, prepare

    state = dict(state or {})
    if task.options.resume:
        raise ConfigError("--resume does not apply to --format singer: the target's STATE is where a Singer run resumes from")
    vendor = get_registry().get(task.vendor)
    streams = [vendor.stream(name.strip()) for name in task.stream.split(",")]
    incremental = bool(task.options.incremental)
    key = bookmark = window = None
    if incremental:
        if "," in task.stream or not wants_window(task):
            windowed_task(task, None)  # raises the --incremental error that fits (no window, window given)
        key, bookmark = state_key(vendor.name, task.stream), _bookmark_id(task)
        task, window = windowed_task(task, bookmark_in(state, key, bookmark))
    prepare(task)  # every mistake in the task is said before the first message
    destination = check_output("jsonl", output)
    with contextlib.ExitStack() as stack:
        if destination is not None:
            stack.enter_context(output_lock(destination))
        writer = SingerWriter(destination, vendor=vendor.name, streams=streams, incremental=incremental, stream=stdout)
        try:
            for record in iter_records(task, report=report):
                writer.write(record)
            if window is not None and not any("--max-pages" in w for w in report.warnings):
                entry = {"window_start": window[0].isoformat(), "window_end": window[1].isoformat(), "params": _plain(task)}
                state = with_bookmark(state, key, bookmark, entry)  # type: ignore[arg-type]
            writer.state(state)
        except SocialtapError as exc:
            report.error = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            apply_retention(writer, "singer", output, vendor, report)
            writer.close()
    return report


def _plain(task: Any) -> dict[str, Any]:
    """The task's params as JSON values (dates as text), for the bookmark entry a reader can match by eye."""
    return json.loads(dumps(dict(task.params), default=str))


# -- discovery -------------------------------------------------------------------------


def catalog(vendor: Any) -> dict[str, Any]:
    """A Singer catalog (``--discover``): one entry per stream and record type it yields.

    ``tap_stream_id`` is ``<vendor>.<stream>.<type>``; ``stream`` the table the records
    load into (shared by the streams that yield that type); metadata names the socialtap
    stream and, for a stream with a date window, the ``INCREMENTAL`` replication on ``as_of``.
    """
    entries = []
    for declared in vendor.streams:
        incremental = declared.window is not None
        for message in schema_messages(vendor.name, declared, incremental=incremental):
            type_name = message["stream"].removeprefix(f"{vendor.name}_")
            top: dict[str, Any] = {
                "inclusion": "available",
                "selected": True,
                "table-key-properties": [KEY],
                "forced-replication-method": "INCREMENTAL" if "bookmark_properties" in message else "FULL_TABLE",
                "socialtap-stream": declared.name,
                "socialtap-record-type": type_name,
            }
            if "bookmark_properties" in message:
                top["valid-replication-keys"] = [CURSOR]
            metadata = [{"breadcrumb": [], "metadata": top}]
            metadata += [
                {"breadcrumb": ["properties", name], "metadata": {"inclusion": "automatic" if name == KEY else "available"}}
                for name in message["schema"]["properties"]
            ]
            entries.append(
                {
                    "tap_stream_id": f"{vendor.name}.{declared.name}.{type_name}",
                    "stream": message["stream"],
                    "schema": message["schema"],
                    "key_properties": message["key_properties"],
                    "metadata": metadata,
                }
            )
    return {"streams": entries}


def _version() -> str:
    from importlib.metadata import version

    return version("socialtap")


def about(vendor: Any) -> dict[str, Any]:
    """A Singer tap's ``--about``: name, capabilities and the settings (credentials, base URL) schema."""
    from socialtap.schema import credentials_schema

    settings = credentials_schema(vendor)
    settings.pop("$schema", None)
    return {
        "name": f"socialtap-{vendor.name}",
        "description": f"{vendor.title} through socialtap ({vendor.docs_url or vendor.base_url})",
        "version": _version(),
        "capabilities": ["discover", "catalog", "state"],
        "settings": settings,
        "streams": [s.name for s in vendor.streams],
    }
