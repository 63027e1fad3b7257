"""Where records go: JSON Lines, CSV (a file per record type) or an embedded SQLite file.

Files are written under a temporary name and renamed when the run ends, so a reader
never sees half a file; a failed run still renames what it wrote (nothing fetched is
lost) unless the writer is aborted. SQLite upserts by each record's natural key in one
transaction, so running the same task twice leaves no duplicate rows.

Every output carries ``as_of`` (see "History" in :mod:`socialtap.records`), and SQLite keys
on it: a daily task keeps one row per snapshot metric, post and relation per UTC day, and
one row per vendor day of a time series. The SQLite file also has a ``socialtap_runs``
table, one row per run (:meth:`SqliteWriter.log_run`), and typed columns; a file from an
older socialtap is migrated when opened (see :class:`SqliteWriter`).

Why hand-written SQL rather than sqlite-utils: its typed ``create``/``add_column``/``transform``
would replace about thirty lines, but its ``insert``/``upsert`` commit each call
(``with conn:``), while this writer keeps one transaction per run, committed only at
checkpoints (resume) and at the end; and its upsert keys on columns, where a compound key
of the natural-key columns would not hold (SQLite treats NULLs, such as a snapshot's
``date``, as distinct in a key), hence the ``_key`` column computed from the natural key.

Every JSON text (a JSON Lines line, a CSV cell holding a dict, a SQLite column holding a
dict) is written with :func:`socialtap.records.dumps`, so it is always valid JSON, and
integers of any size stay exact (SQLite keeps those outside 64 bits as decimal TEXT; see
:mod:`socialtap.records`).

:func:`check_output` finds what would make an output fail before any request is sent,
and :func:`output_lock` keeps two runs from writing the same output at once.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
import os
import sqlite3
import sys
import tempfile
import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import attrs

from socialtap import clock
from socialtap.errors import ConfigError, OutputBusyError, PayloadError
from socialtap.records import RECORD_TYPES, TYPE_NAMES, Record, dumps, fetch_day, key_of, to_dict, to_item

FORMATS = ("jsonl", "csv", "sqlite")
SQLITE_HEADER = b"SQLite format 3\x00"
# SQLite's INTEGER is a signed 64-bit number; a Python int outside it raises OverflowError.
SQLITE_INT_MIN, SQLITE_INT_MAX = -(2**63), 2**63 - 1


class Writer:
    """Receives records one at a time; ``close()`` makes the output visible."""

    def write(self, record: Record) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Finish: rename temporary files into place."""

    def abort(self) -> None:
        """Discard what was written (used only when the caller asks for all-or-nothing)."""

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _umask() -> int:
    # Linux shows the umask without changing it; elsewhere set-and-restore is the only way.
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    current = os.umask(0o022)
    os.umask(current)
    return current


def _temp_beside(path: Path) -> tuple[IO[str], Path]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    # mkstemp makes 0600; the finished output gets the mode any new file would (umask), as the
    # resumable JSON Lines and SQLite outputs do, so every format is readable alike.
    os.chmod(fd, 0o666 & ~_umask())
    return os.fdopen(fd, "w", encoding="utf-8", newline=""), Path(name)


class JsonLinesWriter(Writer):
    """One JSON object per line, each with a ``type`` field. ``None`` path: stdout."""

    def __init__(self, path: str | Path | None = None, stream: IO[str] | None = None):
        self.path = Path(path) if path not in (None, "-") else None
        if self.path is None:
            self.file, self.temp = stream or sys.stdout, None
        else:
            self.file, self.temp = _temp_beside(self.path)

    def write(self, record: Record) -> None:
        self.file.write(dumps(to_item(record)) + "\n")

    def close(self) -> None:
        if self.temp is None:
            self.file.flush()
            return
        if not self.file.closed:
            self.file.close()
            os.replace(self.temp, self.path)  # type: ignore[arg-type]

    def abort(self) -> None:
        if self.temp is not None and not self.file.closed:
            self.file.close()
            self.temp.unlink(missing_ok=True)


def _cell(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return dumps(value, sort_keys=True)
    return "" if value is None else value


class CsvWriter(Writer):
    """A directory with one ``<type>.csv`` per record type seen."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        self.files: dict[str, tuple[IO[str], Path, Any]] = {}

    def write(self, record: Record) -> None:
        name = TYPE_NAMES[type(record)]
        if name not in self.files:
            file, temp = _temp_beside(self.directory / f"{name}.csv")
            writer = csv.writer(file)
            writer.writerow([f.name for f in attrs.fields(type(record))])
            self.files[name] = (file, temp, writer)
        file, _, writer = self.files[name]
        writer.writerow([_cell(v) for v in to_dict(record).values()])

    def close(self) -> None:
        for name, (file, temp, _) in self.files.items():
            if not file.closed:
                file.close()
                os.replace(temp, self.directory / f"{name}.csv")

    def abort(self) -> None:
        for file, temp, _ in self.files.values():
            if not file.closed:
                file.close()
                temp.unlink(missing_ok=True)


# A natural key is a list of strings (socialtap.records.key_of): nothing to check for NaN.
_encode_key = json.JSONEncoder(ensure_ascii=True).encode


def _sql_value(value: Any) -> Any:
    # Runs for every column of every row: the common exact types first, without isinstance.
    kind = value.__class__
    if value is None or kind is str or kind is float or kind is bool:
        return value
    if kind is int and SQLITE_INT_MIN <= value <= SQLITE_INT_MAX:
        return value
    if kind is dict and not value:
        return "{}"
    if kind is list and not value:
        return "[]"
    if isinstance(value, (dict, list)):
        return dumps(value, sort_keys=True)
    if isinstance(value, int) and not isinstance(value, bool) and not SQLITE_INT_MIN <= value <= SQLITE_INT_MAX:
        return str(value)  # exact decimal TEXT: SQLite's REAL would round it, its INTEGER overflows
    return value


# The output file's schema version (PRAGMA user_version). 0: written before history, its
# natural keys had no ``as_of`` and its columns no types. A file of an older version is
# rebuilt when opened (see SqliteWriter); adding a field only needs ALTER TABLE ADD COLUMN.
SQLITE_SCHEMA_VERSION = 1
RUNS_TABLE = "socialtap_runs"
# The column holding the UTC day a row was last written, what vendors' retention counts from.
STORED_ON = "_stored_on"
_RUNS_COLUMNS = (
    ("id", "INTEGER PRIMARY KEY"),
    ("task_id", "TEXT"),
    ("vendor", "TEXT"),
    ("stream", "TEXT"),
    ("params", "TEXT"),
    ("window", "TEXT"),
    ("started", "TEXT"),
    ("finished", "TEXT"),
    ("records", "TEXT"),
    ("outcome", "TEXT"),
    # Credits the run spent, for a vendor that prices its calls (socialtap.credits); else NULL.
    ("credits", "REAL"),
)
_SCALAR_TYPES = {str: "TEXT", bool: "INTEGER", int: "INTEGER", float: "REAL", dt.date: "TEXT", dt.datetime: "TEXT"}


def sql_type(annotation: Any) -> str:
    """The SQLite column type for a record field's type.

    ``str``, dates and datetimes (ISO text) are TEXT; ``bool`` and ``int`` INTEGER;
    ``float`` REAL; dicts, lists and tuples TEXT holding JSON. A field that may hold
    numbers or text (``Value``: int, float or str) gets no declared type: any affinity
    would rewrite what is stored (NUMERIC turns the exact decimal TEXT of a huge integer
    into a rounded REAL; TEXT turns numbers into text), so each value keeps its own type.
    For the same reason the writer refuses (PayloadError) an integer past 64 bits in an
    ``int`` field's INTEGER column.
    """
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        found = {sql_type(a) for a in args}
        return found.pop() if len(found) == 1 else ""
    origin = typing.get_origin(annotation) or annotation
    if origin in (dict, list, tuple) or (
        isinstance(origin, type) and issubclass(origin, (Mapping, Sequence)) and origin is not str
    ):
        return "TEXT"
    return _SCALAR_TYPES.get(origin, "")


def sql_columns(cls: type) -> dict[str, str]:
    """Column name -> SQLite type for a record class, in field order."""
    hints = typing.get_type_hints(cls)
    return {f.name: sql_type(hints[f.name]) for f in attrs.fields(cls)}


def _ddl_columns(columns: Mapping[str, str]) -> str:
    return ", ".join(f'"{name}" {kind}'.rstrip() for name, kind in columns.items())


class SqliteWriter(Writer):
    """One table per record type, keyed by the record's natural key (``_key``), plus ``socialtap_runs``.

    Columns are typed from the record classes (:func:`sql_type`). On open, in the run's
    transaction, the file is brought up to date without losing a row:

    - a field a record class gained becomes a column (``ALTER TABLE ADD COLUMN``; older
      rows hold NULL there);
    - a file written before ``as_of`` existed (``PRAGMA user_version`` 0) has each table
      rebuilt: typed columns, ``as_of`` filled the way a record fills it (an observation's
      ``date``, else the UTC day of its ``fetched_at``; posts and relations, which never
      stored when they were fetched, keep ``as_of`` NULL: their day is unknown, so no new
      run overwrites them) and ``_key`` recomputed. Rows are copied in ``fetched_at``
      order, then in the order they were written, so if two old rows fall on one new key
      the later one is kept. (A file the previous writer wrote cannot have such a pair:
      the new key holds every field of the old one; only rows edited by hand can.) Columns
      the record classes no longer know are copied as they are.

    :meth:`log_run` adds a row to ``socialtap_runs``; :func:`socialtap.runner.run_to_output`
    calls it as the run ends, failed or not.

    Every row carries ``_stored_on``, the UTC day it was last written; :meth:`prune`
    deletes a vendor's rows stored longer ago than its data terms allow
    (:mod:`socialtap.terms`), which every run does for its vendor as it ends.
    """

    def __init__(self, path: str | Path, *, record_types: Mapping[str, type] | None = None):
        self.path = Path(path)
        self.record_types = dict(record_types if record_types is not None else RECORD_TYPES)
        self.type_names = {cls: name for name, cls in self.record_types.items()}
        self.integer_fields = {cls: {c for c, kind in sql_columns(cls).items() if kind == "INTEGER"} for cls in self.type_names}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("BEGIN")
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        for name, cls in self.record_types.items():
            self._prepare_table(name, cls, rebuild=version < SQLITE_SCHEMA_VERSION)
            self._ensure_stored_on(name)
        self.db.execute(f'CREATE TABLE IF NOT EXISTS "{RUNS_TABLE}" ({_ddl_columns(dict(_RUNS_COLUMNS))})')
        have = self._existing_columns(RUNS_TABLE)
        for column, kind in _RUNS_COLUMNS:
            if column not in have:  # a file written before the column was added
                self.db.execute(f'ALTER TABLE "{RUNS_TABLE}" ADD COLUMN "{column}" {kind}')
        if version < SQLITE_SCHEMA_VERSION:
            self.db.execute(f"PRAGMA user_version = {SQLITE_SCHEMA_VERSION}")
        self.written = 0
        self._statements: dict[type, tuple[str, tuple[str, ...]]] = {}
        self._pending: dict[str, list[list[Any]]] = {}
        self._pending_rows = 0
        # The day rows are stored on: one run writes on the day it opened its output.
        self._today = clock.today().isoformat()

    def _existing_columns(self, name: str) -> dict[str, str]:
        return {row[1]: row[2] for row in self.db.execute(f'PRAGMA table_info("{name}")')}

    def _prepare_table(self, name: str, cls: type, *, rebuild: bool) -> None:
        columns = sql_columns(cls)
        existing = self._existing_columns(name)
        if not existing:
            self.db.execute(f'CREATE TABLE "{name}" (_key TEXT PRIMARY KEY, {_ddl_columns(columns)})')
        elif rebuild:
            self._rebuild(name, cls, columns, existing)
        else:
            for column, kind in columns.items():
                if column not in existing:
                    self.db.execute(f'ALTER TABLE "{name}" ADD COLUMN "{column}" {kind}'.rstrip())

    def _ensure_stored_on(self, name: str) -> None:
        # The UTC day each row was last written, what a vendor's retention counts from
        # (see prune). Rows written before the column existed get their as_of (the day
        # they were fetched, for snapshots, posts and relations), else today: an account
        # has no day of its own, so its retention starts when this socialtap first saw the file.
        if STORED_ON in self._existing_columns(name):
            return
        self.db.execute(f'ALTER TABLE "{name}" ADD COLUMN "{STORED_ON}" TEXT')
        today = clock.today().isoformat()
        if "as_of" in self._existing_columns(name):
            self.db.execute(f'UPDATE "{name}" SET "{STORED_ON}" = COALESCE("as_of", ?)', (today,))
        else:
            self.db.execute(f'UPDATE "{name}" SET "{STORED_ON}" = ?', (today,))

    def prune(self, retention: Mapping[str, int], *, dry_run: bool = False) -> dict[str, dict[str, int]]:
        """Delete each vendor's rows stored more than its retention ago; vendor -> table -> rows.

        ``retention`` maps a vendor name to days (a vendor's ``DataTerms.retention_days``).
        A row's day is ``_stored_on``, the UTC day it was last written: the terms limit how
        long data is *stored* (Shareablee: "more than 60 days"), so a backfilled time series
        is kept 60 days from its fetch, not deleted at once for describing old days. A row
        rewritten by a later run (the same natural key) counts from that run. Rows stored
        ``days`` days ago are kept; one day more and they go. With ``dry_run`` nothing is
        deleted and the counts are what would be. In the writer's transaction.
        """
        self.flush()
        today = clock.today()
        found: dict[str, dict[str, int]] = {}
        for vendor, days in sorted(retention.items()):
            cutoff = (today - dt.timedelta(days=days)).isoformat()
            for name in self.record_types:
                where = f'WHERE "vendor" = ? AND "{STORED_ON}" < ?'
                count = self.db.execute(f'SELECT COUNT(*) FROM "{name}" {where}', (vendor, cutoff)).fetchone()[0]
                if count:
                    found.setdefault(vendor, {})[name] = count
                    if not dry_run:
                        self.db.execute(f'DELETE FROM "{name}" {where}', (vendor, cutoff))
        return found

    def _rebuild(self, name: str, cls: type, columns: dict[str, str], existing: dict[str, str]) -> None:
        # Unknown columns (a field since removed, a column the user added) travel along untouched.
        extra = {c: kind for c, kind in existing.items() if c != "_key" and c not in columns}
        everything = {**columns, **extra}
        temp = f"{name}__socialtap_migrating"
        self.db.execute(f'DROP TABLE IF EXISTS "{temp}"')
        self.db.execute(f'CREATE TABLE "{temp}" (_key TEXT PRIMARY KEY, {_ddl_columns(everything)})')
        kept = [c for c in everything if c in existing]
        json_columns = {c for c, kind in columns.items() if kind == "TEXT" and _is_json_field(cls, c)}
        order = '"fetched_at", rowid' if "fetched_at" in existing else "rowid"
        select = ", ".join(f'"{c}"' for c in kept)
        names = ", ".join(f'"{c}"' for c in ["_key", *everything])
        marks = ", ".join("?" for _ in range(len(everything) + 1))
        insert = f'INSERT OR REPLACE INTO "{temp}" ({names}) VALUES ({marks})'
        # Streamed: one connection may read one table while it writes another.
        for row in self.db.execute(f'SELECT {select} FROM "{name}" ORDER BY {order}'):
            data = dict(zip(kept, row, strict=True))
            if "as_of" in columns and data.get("as_of") is None:
                data["as_of"] = _migrated_as_of(cls, data)
            parsed = {c: (_loads_or_text(v) if c in json_columns else v) for c, v in data.items()}
            key = dumps(list(key_of(cls, parsed)), ensure_ascii=True)
            self.db.execute(insert, [key, *(data.get(c) for c in everything)])
        self.db.execute(f'DROP TABLE "{name}"')
        self.db.execute(f'ALTER TABLE "{temp}" RENAME TO "{name}"')

    # Rows wait in memory until the next checkpoint (or 1,000 of them), then go in with one
    # executemany per table: a statement per record cost four times fetching the record.
    FLUSH_ROWS = 1000

    def _upsert_sql(self, cls: type) -> tuple[str, tuple[str, ...]]:
        """The upsert statement of ``cls``'s table and its fields in column order (cached)."""
        cached = self._statements.get(cls)
        if cached is None:
            fields = tuple(f.name for f in attrs.fields(cls))
            columns = [*fields, STORED_ON]
            names = ", ".join(f'"{c}"' for c in columns)
            marks = ", ".join("?" for _ in range(len(columns) + 1))
            updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns)
            sql = (
                f'INSERT INTO "{self.type_names[cls]}" (_key, {names}) VALUES ({marks}) ON CONFLICT(_key) DO UPDATE SET {updates}'
            )
            cached = self._statements[cls] = (sql, fields)
        return cached

    def write(self, record: Record) -> None:
        cls = type(record)
        sql, fields = self._upsert_sql(cls)
        data = to_dict(record)
        integers = self.integer_fields[cls]
        values: list[Any] = [_encode_key(list(key_of(cls, data)))]
        for name in fields:
            value = _sql_value(data[name])
            if name in integers and isinstance(value, str):
                self._refuse_big_integer(cls, name, value)
            values.append(value)
        values.append(self._today)
        self._pending.setdefault(sql, []).append(values)
        self._pending_rows += 1
        self.written += 1
        if self._pending_rows >= self.FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        """Write the rows waiting in memory (inside the open transaction; nothing is committed)."""
        for sql, rows in self._pending.items():
            self.db.executemany(sql, rows)
        self._pending.clear()
        self._pending_rows = 0

    @staticmethod
    def _refuse_big_integer(cls: type, column: str, value: str) -> None:
        # An INTEGER column would turn the exact TEXT of an integer past 64 bits into a rounded
        # REAL; only untyped (Value) columns keep it. Refuse rather than store a wrong number.
        raise PayloadError(
            f"field {column} of {cls.__name__} holds {value}, past SQLite's 64-bit INTEGER; "
            f"declare the field as socialtap.records.Value (an untyped column keeps it exact), or use another format"
        )

    def log_run(
        self,
        report: Any,
        *,
        params: Mapping[str, Any] | None = None,
        started: dt.datetime,
        finished: dt.datetime,
    ) -> None:
        """Add one row to ``socialtap_runs`` for a run described by ``report`` (a RunReport).

        ``outcome`` is ``ok``, or the report's error text (already redacted by the runner).
        """
        self.flush()
        self.db.execute(
            f'INSERT INTO "{RUNS_TABLE}" ("task_id", "vendor", "stream", "params", "window", "started", "finished", "records", "outcome", "credits") '
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                report.task_id,
                report.vendor,
                report.stream,
                dumps(dict(params or {}), sort_keys=True, default=str),
                None if report.window is None else dumps(report.window, sort_keys=True),
                started.astimezone(dt.UTC).isoformat(),
                finished.astimezone(dt.UTC).isoformat(),
                dumps(report.records, sort_keys=True),
                "ok" if report.error is None else report.error,
                getattr(report, "credits", None),
            ),
        )

    def close(self) -> None:
        if self.db is not None:
            self.flush()
            self.db.commit()
            self.db.close()
            self.db = None  # type: ignore[assignment]

    def abort(self) -> None:
        if self.db is not None:
            self._pending.clear()
            self.db.rollback()
            self.db.close()
            self.db = None  # type: ignore[assignment]


def log_run(
    writer: Writer | None,
    fmt: str,
    path: str | Path | None,
    report: Any,
    *,
    params: Mapping[str, Any] | None = None,
    started: dt.datetime,
) -> None:
    """Record a finished run (``report``, a RunReport) in a SQLite output's ``socialtap_runs``.

    Into ``writer``'s transaction when the run opened one; else, when the run wrote nothing
    (it failed before its first page) but the file exists, through a writer of its own, so
    a scheduled run that failed still shows in the file's history. A run that wrote
    nothing into a file that does not exist creates none. Other formats: nothing.
    """
    if isinstance(writer, SqliteWriter) and writer.db is not None:
        writer.log_run(report, params=params, started=started, finished=clock.now())
    elif writer is None and fmt == "sqlite" and path not in (None, "-") and Path(path).is_file():  # type: ignore[arg-type]
        with SqliteWriter(path) as own:  # type: ignore[arg-type]
            own.log_run(report, params=params, started=started, finished=clock.now())


def apply_retention(writer: Writer | None, fmt: str, path: str | Path | None, vendor: Any, report: Any) -> None:
    """Honour ``vendor``'s retention (its ``DataTerms.retention_days``) in a run's output, as the run ends.

    A SQLite output the run wrote to has the vendor's rows stored longer ago deleted (the
    report counts them); a JSON Lines or CSV output, which socialtap cannot prune, gets a
    warning naming the day its rows must be deleted by. A run that wrote nothing: nothing.
    """
    from socialtap.terms import file_retention_warning

    terms = getattr(vendor, "terms", None)
    if writer is None or terms is None or terms.retention_days is None:
        return
    if isinstance(writer, SqliteWriter):
        if writer.db is None:
            return
        deleted = writer.prune({vendor.name: terms.retention_days}).get(vendor.name, {})
        if deleted:
            counts = ", ".join(f"{rows} {table}" for table, rows in sorted(deleted.items()))
            report.warnings.append(
                f"{vendor.name}'s terms allow keeping its data {terms.retention_days} days: deleted its rows stored "
                f"longer ago from {path} ({counts})"
            )
        return
    warning = file_retention_warning(vendor, fmt, path, clock.today())
    if warning is not None:
        report.warnings.append(warning)


def _is_json_field(cls: type, name: str) -> bool:
    hint = typing.get_type_hints(cls)[name]
    args = [a for a in typing.get_args(hint) if a is not type(None)] if isinstance(hint, types.UnionType) else [hint]
    return any((typing.get_origin(a) or a) in (dict, list, tuple) for a in args)


def _loads_or_text(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _migrated_as_of(cls: type, row: Mapping[str, Any]) -> str | None:
    """``as_of`` for a row written before it existed: as the record would set it, where the row says."""
    if row.get("date"):
        return str(row["date"])
    fetched = row.get("fetched_at")
    if isinstance(fetched, str) and fetched:
        try:
            return fetch_day(dt.datetime.fromisoformat(fetched.replace("Z", "+00:00"))).isoformat()
        except ValueError:
            return None
    return None  # posts, relations, snapshots without fetched_at: the day is unknown


def infer_format(destination: str) -> str:
    """Output format from a destination's suffix: ``.sqlite``/``.sqlite3``/``.db`` -> sqlite,
    ``.jsonl``/``.ndjson``/``.json`` -> jsonl, no suffix (a directory) -> csv.

    ``.csv`` is refused with what to do: a run writes one CSV per record type, into a directory.
    The CLI's ``-o`` and the Airflow operator's destination share this reading.
    """
    name = destination.rstrip("/").rsplit("/", 1)[-1].lower()
    if name.endswith((".sqlite", ".sqlite3", ".db")):
        return "sqlite"
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if "." not in name:
        return "csv"
    if name.endswith(".csv"):
        raise ConfigError(
            f"csv output is a directory with one <type>.csv per record type (account.csv, observation.csv...), "
            f"not one file: pass a directory such as {destination[: -len('.csv')]!r} instead of {destination!r}"
        )
    raise ConfigError(
        f"cannot tell the output format of {destination!r}: end it in .jsonl or .sqlite, "
        f"use a directory for csv, or give the format ({', '.join(FORMATS)})"
    )


def open_writer(fmt: str, path: str | Path | None, *, stdout: IO[str] | None = None) -> Writer:
    """The writer for ``fmt`` (jsonl, csv, sqlite) at ``path``."""
    if fmt == "jsonl":
        return JsonLinesWriter(path, stream=stdout)
    if path in (None, "-"):
        raise ConfigError(f"--format {fmt} needs --output PATH ({'a directory' if fmt == 'csv' else 'a .sqlite file'})")
    if fmt == "csv":
        return CsvWriter(path)  # type: ignore[arg-type]
    if fmt == "sqlite":
        return SqliteWriter(path)  # type: ignore[arg-type]
    raise ConfigError(f"unknown output format {fmt!r}; choose one of: {', '.join(FORMATS)}")


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _writable(directory: Path) -> bool:
    return os.access(directory, os.W_OK | os.X_OK)


def check_output(fmt: str, path: str | Path | None, *, resume: bool = False) -> Path | None:
    """Check an output before any request is sent; return its absolute path (None: stdout).

    Raises :class:`~socialtap.errors.ConfigError` (exit 2) naming the path and what to
    do, for: an unknown format; CSV or SQLite without a path; CSV to an existing file (CSV
    writes a directory); JSON Lines or SQLite to a directory; an existing file that is not
    a SQLite database; a path under a regular file; a path socialtap may not write; and
    ``--resume`` with CSV (a CSV output cannot be rewound). Nothing is created.
    """
    if fmt not in FORMATS:
        raise ConfigError(f"unknown output format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    if path in (None, "-"):
        if fmt != "jsonl":
            raise ConfigError(f"--format {fmt} needs --output PATH ({'a directory' if fmt == 'csv' else 'a .sqlite file'})")
        return None
    if resume and fmt == "csv":
        raise ConfigError("--resume works with --format jsonl or sqlite, not csv: a csv output cannot be rewound")
    # resolve(): two spellings of one file (a symlink, "..") are one output for locks and checkpoints.
    target = Path(path).expanduser().resolve()
    existing = _nearest_existing(target)
    if existing != target and not existing.is_dir():
        raise ConfigError(f"cannot write {fmt} output {target}: {existing} is a file, not a directory; pass another --output")
    if fmt == "csv":
        if target.exists() and not target.is_dir():
            raise ConfigError(
                f"--format csv writes a directory of <type>.csv files, but {target} is a file; pass a directory as --output"
            )
        if not _writable(existing):
            raise ConfigError(f"cannot write csv output {target}: {existing} is not writable; pass another --output")
        return target
    if target.is_dir():
        raise ConfigError(
            f"--format {fmt} writes one file, but {target} is a directory; pass a file path as --output "
            f"(--format csv writes a directory)"
        )
    directory = target.parent if target.exists() else existing
    if not _writable(directory):
        raise ConfigError(f"cannot write {fmt} output {target}: {directory} is not writable; pass another --output")
    if target.exists() and fmt == "sqlite":
        if not os.access(target, os.R_OK | os.W_OK):
            raise ConfigError(f"cannot write sqlite output {target}: the file is not writable; pass another --output")
        with open(target, "rb") as file:
            header = file.read(len(SQLITE_HEADER))
        if header and header != SQLITE_HEADER:
            raise ConfigError(
                f"{target} exists and is not a SQLite database; --format sqlite would not overwrite it: "
                f"pass another --output or remove the file"
            )
    return target


def lock_path(path: Path) -> Path:
    """The lock file of an output: ``.<name>.lock`` beside it."""
    return path.parent / f".{path.name}.lock"


@contextlib.contextmanager
def output_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on the output ``path`` (absolute) while a run writes it.

    A second run on the same output fails at once with
    :class:`~socialtap.errors.OutputBusyError` rather than interleaving its records.
    The lock is ``flock`` on ``.<name>.lock`` beside the output: the kernel releases it
    when the process dies, even by SIGKILL, so a crash never leaves the output locked.
    The lock file is removed on release. (No-op where ``fcntl`` does not exist: Windows.)
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows has no flock
        yield
        return
    lock = lock_path(path)
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(fd, 32).decode(errors="replace").strip()
                os.close(fd)
                raise OutputBusyError(
                    f"output {path} is busy: another socialtap run{f' (pid {holder})' if holder else ''} holds it; "
                    f"wait for that run to finish, or pass another --output"
                ) from None
            # The holder removes the lock file as it releases it: if that happened between our
            # open and flock, we hold a lock on a file nobody else will see. Try again.
            try:
                current = os.stat(lock)
            except FileNotFoundError:
                current = None
            mine = os.fstat(fd)
            if current is not None and (current.st_ino, current.st_dev) == (mine.st_ino, mine.st_dev):
                break
            os.close(fd)
    except OSError as exc:
        raise ConfigError(f"cannot lock output {path} ({lock}: {exc.strerror or exc}); pass another --output") from None
    try:
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield
    finally:
        with contextlib.suppress(OSError):
            lock.unlink()  # while still holding it, so no one locks the file being removed
        os.close(fd)


def sqlite_summary(path: str | Path) -> dict[str, int]:
    """Rows per table of a SQLite output."""
    with sqlite3.connect(path) as db:
        return {name: db.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in RECORD_TYPES}
