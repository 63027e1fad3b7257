"""Where records go: JSON Lines, CSV (a file per record type) or an embedded SQLite file.

Files are written under a temporary name and renamed when the run ends, so a reader
never sees half a file; a failed run still renames what it wrote (nothing fetched is
lost) unless the writer is aborted. SQLite upserts by each record's natural key in one
transaction, so running the same task twice leaves no duplicate rows.

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
import os
import sqlite3
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import attrs

from socialtap.errors import ConfigError, OutputBusyError
from socialtap.records import RECORD_TYPES, TYPE_NAMES, Record, dumps, natural_key, to_dict, to_item

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


def _sql_value(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return dumps(value, sort_keys=True)
    if isinstance(value, int) and not isinstance(value, bool) and not SQLITE_INT_MIN <= value <= SQLITE_INT_MAX:
        return str(value)  # exact decimal TEXT: SQLite's REAL would round it, its INTEGER overflows
    return value


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
        key = dumps(natural_key(record), ensure_ascii=True)
        values = [key] + [_sql_value(v) for v in data.values()]
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
