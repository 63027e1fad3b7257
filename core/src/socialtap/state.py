"""Checkpoints for resume, in an embedded SQLite file.

A checkpoint is kept per (task id, chain): the next request of the chain (or "done"),
written when the records of the page before it have been handed to the output. The
task id comes from vendor, stream, params and base URL (``runner.task_id``), never from
credentials, so an orchestrator retrying a task lands on the same checkpoints.

What is stored is a :class:`~socialtap.http.Request` without its ``params`` object (that
is rebuilt from the chain's first request) and without credentials: auth is applied by
the engine at send time, and a request whose serialized form contains a credential
value is refused (SecurityError) rather than written.

Output on resume, so that it holds every record once:

- JSON Lines to a file: the run writes to ``.<name>.<task id>.part`` beside the output
  and renames it into place at the end (readers never see half a file). Every checkpoint
  stores the byte length the part file had when it was taken. ``--resume`` truncates the
  part file (or the renamed output of a failed run) back to that length and appends: the
  records of a page fetched but not checkpointed are dropped and fetched again.
- SQLite: every checkpoint commits the output's transaction; rows are upserted by natural
  key, so a page written twice is still one row.
- JSON Lines to stdout and CSV cannot be rewound: resume them at your own risk (CSV is
  refused with --resume).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import attrs

from socialtap.errors import ConfigError, SecurityError
from socialtap.http import Request
from socialtap.outputs import JsonLinesWriter, SqliteWriter, Writer, open_writer

ENV_STATE = "SOCIALTAP_STATE"
SCHEMA = """
CREATE TABLE IF NOT EXISTS checkpoints (
    task_id TEXT NOT NULL,
    chain TEXT NOT NULL,
    next_request TEXT,
    done INTEGER NOT NULL DEFAULT 0,
    pages INTEGER NOT NULL DEFAULT 0,
    updated_at REAL NOT NULL,
    PRIMARY KEY (task_id, chain)
);
CREATE TABLE IF NOT EXISTS outputs (
    task_id TEXT PRIMARY KEY,
    position TEXT,
    updated_at REAL NOT NULL
);
"""


def default_state_path() -> Path:
    """``$SOCIALTAP_STATE``, else ``state.sqlite`` in the user's state dir (platformdirs)."""
    if os.environ.get(ENV_STATE):
        return Path(os.environ[ENV_STATE]).expanduser()
    import platformdirs

    return Path(platformdirs.user_state_dir("socialtap", appauthor=False)) / "state.sqlite"


def request_to_json(request: Request) -> dict[str, Any]:
    """A request as JSON, without its params object (rebuilt on load)."""
    return {
        "method": request.method,
        "url": request.url,
        "query": [list(pair) for pair in request.query],
        "json": request.json,
        "headers": dict(request.headers),
        "chain": request.chain,
        "page": request.page,
        "items_seen": request.items_seen,
    }


def request_from_json(data: dict[str, Any], params: Any) -> Request:
    return Request(
        method=data["method"],
        url=data["url"],
        query=[tuple(pair) for pair in data["query"]],
        json=data["json"],
        headers=data["headers"],
        params=params,
        chain=data["chain"],
        page=data["page"],
        items_seen=data["items_seen"],
    )


@attrs.frozen
class Checkpoint:
    chain: str
    next_request: dict[str, Any] | None
    done: bool
    pages: int


class StateStore:
    """The checkpoints of every task, in one SQLite file (WAL, so readers don't block)."""

    def __init__(self, path: str | Path, *, secrets: Iterable[str] = ()):
        self.path = Path(path).expanduser()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.secrets = [s for s in secrets if s and len(s) >= 4]
        self._lock = threading.Lock()
        try:
            self.db = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(SCHEMA)
        except sqlite3.Error as exc:
            raise ConfigError(f"cannot open the state file {self.path}: {exc}; pass --state PATH or set {ENV_STATE}") from None

    def load(self, task_id: str) -> dict[str, Checkpoint]:
        with self._lock:
            rows = self.db.execute(
                "SELECT chain, next_request, done, pages FROM checkpoints WHERE task_id = ?", (task_id,)
            ).fetchall()
        return {
            chain: Checkpoint(chain, json.loads(next_request) if next_request else None, bool(done), pages)
            for chain, next_request, done, pages in rows
        }

    def output_position(self, task_id: str) -> Any:
        with self._lock:
            row = self.db.execute("SELECT position FROM outputs WHERE task_id = ?", (task_id,)).fetchone()
        return json.loads(row[0]) if row and row[0] is not None else None

    def reset(self, task_id: str) -> None:
        """Forget a task's checkpoints (a run without --resume starts over)."""
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("DELETE FROM checkpoints WHERE task_id = ?", (task_id,))
            self.db.execute("DELETE FROM outputs WHERE task_id = ?", (task_id,))
            self.db.execute("COMMIT")

    def save(self, task_id: str, chain: str, next_request: Request | None, pages: int, position: Any = None) -> None:
        """One transaction: the chain's next request (None: done) and the output's position."""
        blob = json.dumps(request_to_json(next_request), sort_keys=True) if next_request is not None else None
        if blob is not None and any(secret in blob for secret in self.secrets):
            raise SecurityError(
                f"the next request of chain {chain or 'main'} carries a credential value; it is not written to the "
                f"state file. A plugin must not put credentials in a Request: the engine's auth adds them at send time."
            )
        now = time.time()
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(
                "INSERT INTO checkpoints (task_id, chain, next_request, done, pages, updated_at) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(task_id, chain) DO UPDATE SET next_request = excluded.next_request, done = excluded.done, "
                "pages = excluded.pages, updated_at = excluded.updated_at",
                (task_id, chain, blob, int(next_request is None), pages, now),
            )
            self.db.execute(
                "INSERT INTO outputs (task_id, position, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(task_id) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at",
                (task_id, json.dumps(position), now),
            )
            self.db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self.db.close()


# -- outputs that can be rewound to a checkpoint ---------------------------------------


class ResumableJsonLines(JsonLinesWriter):
    """JSON Lines to a part file named after the task, so a later run can find and rewind it."""

    def __init__(self, path: str | Path, task_id: str, position: int | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.temp = self.path.parent / f".{self.path.name}.{task_id}.part"
        if position is None:
            self.file: IO[str] = open(self.temp, "w", encoding="utf-8", newline="")
            return
        if not self.temp.exists():
            if self.path.exists():
                os.replace(self.path, self.temp)  # a failed or finished run renamed it into place
            elif position:
                raise ConfigError(
                    f"cannot resume into {self.path}: neither it nor {self.temp.name} exists any more; run without --resume"
                )
            else:
                self.temp.touch()
        size = self.temp.stat().st_size
        if size < position:
            raise ConfigError(
                f"cannot resume into {self.path}: it holds {size} bytes but the checkpoint wrote {position}; "
                f"it was changed since. Run without --resume."
            )
        self.file = open(self.temp, "r+", encoding="utf-8", newline="")
        self.file.truncate(position)
        self.file.seek(position)

    def position(self) -> int:
        self.file.flush()
        return self.file.tell()


class ResumableSqlite(SqliteWriter):
    """SQLite output that commits at every checkpoint; upserts make a repeated page harmless."""

    def position(self) -> None:
        self.db.commit()
        self.db.execute("BEGIN")


class StdoutJsonLines(JsonLinesWriter):
    def position(self) -> None:
        self.file.flush()


def open_output(fmt: str, path: str | Path | None, task_id: str, *, resume: bool, position: Any) -> Writer:
    """The writer for a run with checkpoints: it has ``position()`` for each checkpoint."""
    if fmt == "jsonl" and path not in (None, "-"):
        return ResumableJsonLines(path, task_id, position if resume else None)  # type: ignore[arg-type]
    if fmt == "jsonl":
        return StdoutJsonLines(None)
    if fmt == "sqlite" and path not in (None, "-"):
        return ResumableSqlite(path)  # type: ignore[arg-type]
    if resume:
        raise ConfigError(f"--resume works with --format jsonl or sqlite, not {fmt}: a {fmt} output cannot be rewound")
    return open_writer(fmt, path)


class LazyOutput:
    """Opens the real writer on first use, so a run that fails before its first page leaves no file."""

    def __init__(self, opener: Any):
        self.opener = opener
        self.writer: Writer | None = None

    def _open(self) -> Writer:
        if self.writer is None:
            self.writer = self.opener()
        return self.writer

    def write(self, record: Any) -> None:
        self._open().write(record)

    def position(self) -> Any:
        writer = self._open()
        position = getattr(writer, "position", None)
        return position() if position is not None else None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
