"""Where records go: JSON Lines, CSV (a file per record type) or an embedded SQLite file.

Files are written under a temporary name and renamed when the run ends, so a reader
never sees half a file; a failed run still renames what it wrote (nothing fetched is
lost) unless the writer is aborted. SQLite upserts by each record's natural key in one
transaction, so running the same task twice leaves no duplicate rows.
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import IO, Any

import attrs

from socialtap.errors import ConfigError
from socialtap.records import RECORD_TYPES, TYPE_NAMES, Record, natural_key, to_dict, to_item

FORMATS = ("jsonl", "csv", "sqlite")


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


def _temp_beside(path: Path) -> tuple[IO[str], Path]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
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
        self.file.write(json.dumps(to_item(record), ensure_ascii=False) + "\n")

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
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
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


class SqliteWriter(Writer):
    """One table per record type, keyed by the record's natural key (``_key``)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("BEGIN")
        for name, cls in RECORD_TYPES.items():
            columns = ", ".join(f'"{f.name}"' for f in attrs.fields(cls))
            self.db.execute(f'CREATE TABLE IF NOT EXISTS "{name}" (_key TEXT PRIMARY KEY, {columns})')
        self.written = 0

    def write(self, record: Record) -> None:
        name = TYPE_NAMES[type(record)]
        data = to_dict(record)
        columns = ", ".join(f'"{c}"' for c in data)
        marks = ", ".join("?" for _ in range(len(data) + 1))
        updates = ", ".join(f'"{c}" = excluded."{c}"' for c in data)
        key = json.dumps(natural_key(record))
        values = [key] + [json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else v for v in data.values()]
        self.db.execute(
            f'INSERT INTO "{name}" (_key, {columns}) VALUES ({marks}) ON CONFLICT(_key) DO UPDATE SET {updates}',
            values,
        )
        self.written += 1

    def close(self) -> None:
        if self.db is not None:
            self.db.commit()
            self.db.close()
            self.db = None  # type: ignore[assignment]

    def abort(self) -> None:
        if self.db is not None:
            self.db.rollback()
            self.db.close()
            self.db = None  # type: ignore[assignment]


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


def sqlite_summary(path: str | Path) -> dict[str, int]:
    """Rows per table of a SQLite output."""
    with sqlite3.connect(path) as db:
        return {name: db.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in RECORD_TYPES}
