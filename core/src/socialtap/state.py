"""Checkpoints for resume, in an embedded SQLite file.

A checkpoint is kept per (task id, output, chain): the next request of the chain (or
"done"), written when the records of the page before it have been handed to the output.
The task id comes from vendor, stream, params and base URL (``runner.task_id``), never
from credentials, so an orchestrator retrying a task lands on the same checkpoints. The
output (:class:`OutputKey`) is the destination's absolute path (``-`` for stdout), the
format and ``--max-pages``: a checkpoint only ever resumes the output it was taken for.

- ``--resume`` with no checkpoint for this output, but one for another output of the
  same task, warns (``RunReport.warnings``) and starts over; ``--resume`` of a task whose
  every chain is done fetches nothing and warns "already complete".
- A run that starts over on a file forgets every checkpoint taken for that file (by any
  task, format or ``--max-pages``) and removes their part files: it is about to
  overwrite what they point into.

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

What ``socialtap state`` shows (see :mod:`socialtap.state_cli`), written when a run starts
and when it ends, never credentials: ``tasks`` (vendor, stream, params, base identity,
bookmark id), ``runs`` (the latest run of a task into an output: running, succeeded,
failed, stopped; window, records, error) and ``bookmarks`` (incremental runs: the window
end of the last successful run, see :mod:`socialtap.incremental`).

- A run that succeeds prunes its page checkpoints (its ``runs`` row remembers that the
  output is complete, so ``--resume`` of it says "already complete", fetches nothing and
  leaves the output untouched, not even opened), moves its bookmark, and forgets the
  other tasks of the same bookmark (earlier windows, now covered).
- A failed, stopped or killed run moves nothing: its checkpoints stay for ``--resume``.

The file's schema version is ``PRAGMA user_version``; a file of an earlier version is
migrated in place when opened: version 0's checkpoints, which did not record their
output, are kept but never resume an output (``--resume`` warns and starts over);
version 1 only gains the tables above (its checkpoints keep resuming).

Problems with the state file itself (not a database, read-only, a directory that cannot
be created) are a :class:`~socialtap.errors.ConfigError` naming the path, raised before
any request.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import attrs

from socialtap import clock
from socialtap.errors import ConfigError, SecurityError
from socialtap.http import Request
from socialtap.outputs import JsonLinesWriter, SqliteWriter, Writer, open_writer

ENV_STATE = "SOCIALTAP_STATE"
SCHEMA_VERSION = 2
# Version 0 keyed checkpoints by task id alone; version 1 adds the output to the key;
# version 2 adds what `socialtap state` shows (tasks, runs) and incremental bookmarks.
SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS checkpoints (
        task_id TEXT NOT NULL,
        output TEXT NOT NULL DEFAULT '',
        chain TEXT NOT NULL,
        next_request TEXT,
        done INTEGER NOT NULL DEFAULT 0,
        pages INTEGER NOT NULL DEFAULT 0,
        updated_at REAL NOT NULL,
        PRIMARY KEY (task_id, output, chain)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS outputs (
        task_id TEXT NOT NULL,
        output TEXT NOT NULL DEFAULT '',
        destination TEXT NOT NULL DEFAULT '',
        position TEXT,
        updated_at REAL NOT NULL,
        PRIMARY KEY (task_id, output)
    )
    """,
    # What a task is, written when a run starts (params are credential-free; ``base`` is
    # the base URL or ``sandbox:<vendor>``), so `socialtap state list` can say it.
    """
    CREATE TABLE IF NOT EXISTS tasks (
        task_id TEXT PRIMARY KEY,
        vendor TEXT NOT NULL,
        stream TEXT NOT NULL,
        params TEXT NOT NULL,
        base TEXT NOT NULL,
        bookmark_id TEXT,
        window_params TEXT,
        created_at REAL NOT NULL
    )
    """,
    # The latest run of a task into an output: running, succeeded, failed or stopped.
    """
    CREATE TABLE IF NOT EXISTS runs (
        task_id TEXT NOT NULL,
        output TEXT NOT NULL,
        status TEXT NOT NULL,
        window_start TEXT,
        window_end TEXT,
        records INTEGER,
        error TEXT,
        started_at REAL NOT NULL,
        finished_at REAL,
        PRIMARY KEY (task_id, output)
    )
    """,
    # Incremental bookmarks: the window end of the last successful run, per bookmark id.
    """
    CREATE TABLE IF NOT EXISTS bookmarks (
        bookmark_id TEXT PRIMARY KEY,
        vendor TEXT NOT NULL,
        stream TEXT NOT NULL,
        params TEXT NOT NULL,
        base TEXT NOT NULL,
        window_start TEXT,
        window_end TEXT NOT NULL,
        task_id TEXT,
        updated_at REAL NOT NULL
    )
    """,
)
HINT = f"pass --state PATH or set {ENV_STATE} to a writable file"


@attrs.frozen
class OutputKey:
    """What a checkpoint was taken for: where records went, in which format, how many pages.

    ``destination`` is an absolute path, ``-`` for stdout, or ``""`` for records handed
    to a caller (``iter_records``). Two runs with different keys never share checkpoints.
    """

    destination: str
    format: str
    max_pages: int | None = None

    @property
    def key(self) -> str:
        """The key stored in the state file (JSON, so it parses back)."""
        return json.dumps([self.destination, self.format, self.max_pages])

    @classmethod
    def parse(cls, key: str) -> OutputKey | None:
        """Inverse of :attr:`key`; None for a checkpoint of schema 0 (no output recorded)."""
        try:
            destination, fmt, max_pages = json.loads(key)
        except (ValueError, TypeError):
            return None
        return cls(destination, fmt, max_pages)

    def describe(self) -> str:
        """For messages: ``/path/out.jsonl (jsonl, --max-pages 2)``."""
        where = {"-": "stdout", "": "records handed to the caller"}.get(self.destination, self.destination)
        pages = f", --max-pages {self.max_pages}" if self.max_pages is not None else ""
        return f"{where} ({self.format}{pages})"

    @property
    def is_file(self) -> bool:
        """Whether records go to a file (not stdout, not a caller)."""
        return self.destination not in ("", "-")


def part_path(destination: str | Path, task_id: str) -> Path:
    """The part file a resumable JSON Lines output of ``task_id`` writes beside ``destination``."""
    path = Path(destination)
    return path.parent / f".{path.name}.{task_id}.part"


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


def request_from_json(data: dict[str, Any], params: Any, *, sandbox_base: str | None = None) -> Request:
    """The request saved by :func:`request_to_json`, its params object given again.

    ``sandbox_base``: the run is against a sandbox served on this machine, which gets
    another port each time it is served; a saved absolute link (a vendor's next page) to
    the sandbox of the interrupted run is moved onto this one, or the resumed run would
    refuse to send credentials to the old port (another origin).
    """
    url = data["url"]
    if sandbox_base is not None:
        saved, now = urlsplit(url), urlsplit(sandbox_base)
        if saved.scheme in ("http", "https") and saved.hostname in ("127.0.0.1", "localhost", "::1") and saved.netloc != now.netloc:
            url = saved._replace(scheme=now.scheme, netloc=now.netloc).geturl()
    return Request(
        method=data["method"],
        url=url,
        query=[tuple(pair) for pair in data["query"]],
        json=data["json"],
        headers=data["headers"],
        params=params,
        chain=data["chain"],
        page=data["page"],
        items_seen=data["items_seen"],
    )


@attrs.frozen
class TaskInfo:
    """What `socialtap state` shows of a task; never credentials (``base`` is the base URL
    or ``sandbox:<vendor>``; base URLs with user info are refused before this)."""

    task_id: str
    vendor: str
    stream: str
    params: Any
    base: str
    bookmark_id: str | None = None
    # The names of the stream's window params (shown as the window, not among the params).
    window_params: tuple[str, ...] = ()


@attrs.frozen
class Bookmark:
    """Where an incremental task's next window starts from: the end of its last successful run."""

    bookmark_id: str
    params: Any
    window_start: str
    window_end: str


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@attrs.frozen
class Checkpoint:
    """A chain's saved point: its next request (None when done) and pages fetched so far."""

    chain: str
    next_request: dict[str, Any] | None
    done: bool
    pages: int


@attrs.frozen
class Start:
    """Where a run starts: the checkpoints to resume from (empty: from scratch), the output
    position they were taken at, and warnings for the report."""

    checkpoints: dict[str, Checkpoint] = attrs.field(factory=dict)
    position: Any = None
    warnings: tuple[str, ...] = ()
    # ``--resume`` of a run that succeeded into this very output: nothing to do, and the
    # output must be left exactly as it is (its checkpoints were pruned when it finished).
    complete: bool = False

    @property
    def resuming(self) -> bool:
        return bool(self.checkpoints)


class StateStore:
    """The checkpoints of every task, in one SQLite file (WAL, so readers don't block)."""

    def __init__(self, path: str | Path, *, secrets: Iterable[str] = ()):
        self.path = Path(path).expanduser()
        self.secrets = [s for s in secrets if s and len(s) >= 4]
        self._lock = threading.Lock()
        self._check_writable()
        try:
            self.db = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
        except sqlite3.Error as exc:
            self.db.close()
            raise self._error(exc) from None

    def _error(self, reason: object) -> ConfigError:
        return ConfigError(f"cannot use the state file {self.path}: {reason}; {HINT}")

    def _check_writable(self) -> None:
        # Found now, not at the first checkpoint after requests were spent (and credits paid).
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self._error(f"cannot create its directory {self.path.parent} ({exc.strerror or exc})") from None
        if self.path.is_dir():
            raise self._error("it is a directory")
        if self.path.exists() and not os.access(self.path, os.R_OK | os.W_OK):
            raise self._error("it is not writable")
        if not os.access(self.path.parent, os.W_OK | os.X_OK):
            # SQLite's WAL keeps -wal and -shm files beside the database.
            raise self._error(f"its directory {self.path.parent} is not writable")

    def _migrate(self) -> None:
        """Bring the file to :data:`SCHEMA_VERSION` in one write transaction (also a write probe)."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise ConfigError(
                    f"the state file {self.path} has schema version {version}, newer than this socialtap knows "
                    f"({SCHEMA_VERSION}); upgrade socialtap, or {HINT}"
                )
            if version < 1:
                tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                for name in ("checkpoints", "outputs"):
                    if name in tables:
                        db.execute(f"ALTER TABLE {name} RENAME TO {name}_v0")
                for statement in SCHEMA:
                    db.execute(statement)
                if "checkpoints" in tables:
                    db.execute(
                        "INSERT INTO checkpoints (task_id, output, chain, next_request, done, pages, updated_at) "
                        "SELECT task_id, '', chain, next_request, done, pages, updated_at FROM checkpoints_v0"
                    )
                    db.execute("DROP TABLE checkpoints_v0")
                if "outputs" in tables:
                    db.execute(
                        "INSERT INTO outputs (task_id, output, position, updated_at) "
                        "SELECT task_id, '', position, updated_at FROM outputs_v0"
                    )
                    db.execute("DROP TABLE outputs_v0")
            # Version 1 -> 2 only adds tables: its checkpoints keep resuming their outputs.
            for statement in SCHEMA:
                db.execute(statement)
            # Always written, even unchanged: a read-only file fails here, before any request.
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    def load(self, task_id: str, output: OutputKey) -> dict[str, Checkpoint]:
        """The checkpoints of a task's run into ``output``, by chain."""
        with self._lock:
            rows = self.db.execute(
                "SELECT chain, next_request, done, pages FROM checkpoints WHERE task_id = ? AND output = ?",
                (task_id, output.key),
            ).fetchall()
        return {
            chain: Checkpoint(chain, json.loads(next_request) if next_request else None, bool(done), pages)
            for chain, next_request, done, pages in rows
        }

    def output_position(self, task_id: str, output: OutputKey) -> Any:
        """The output position stored with the task's latest checkpoint into ``output``."""
        with self._lock:
            row = self.db.execute(
                "SELECT position FROM outputs WHERE task_id = ? AND output = ?", (task_id, output.key)
            ).fetchone()
        return json.loads(row[0]) if row and row[0] is not None else None

    def outputs_of(self, task_id: str) -> list[str]:
        """The output keys a task has checkpoints for, or a finished run into."""
        with self._lock:
            rows = self.db.execute(
                "SELECT output FROM checkpoints WHERE task_id = ? UNION "
                "SELECT output FROM runs WHERE task_id = ? AND status = 'succeeded'",
                (task_id, task_id),
            ).fetchall()
        return sorted(row[0] for row in rows)

    def succeeded(self, task_id: str, output: OutputKey) -> bool:
        """Whether the latest run of the task into ``output`` succeeded."""
        with self._lock:
            row = self.db.execute("SELECT status FROM runs WHERE task_id = ? AND output = ?", (task_id, output.key)).fetchone()
        return bool(row) and row[0] == "succeeded"

    def start(self, task_id: str, output: OutputKey, *, resume: bool) -> Start:
        """Decide where a run of ``task_id`` into ``output`` starts, and clear what it invalidates.

        With ``resume`` and checkpoints for exactly this output: resume from them.
        Otherwise start over: warn when ``resume`` found only other outputs' checkpoints,
        and forget every checkpoint into this output file (they point into a file about
        to be rewritten), removing their part files.
        """
        if resume:
            checkpoints = self.load(task_id, output)
            if checkpoints:
                return Start(checkpoints, self.output_position(task_id, output))
            if self.succeeded(task_id, output):
                return Start(
                    warnings=(
                        f"already complete: an earlier run of this task wrote {output.describe()} to the end, so "
                        f"nothing was fetched and the output was left as it is; run without --resume to fetch it again",
                    ),
                    complete=True,
                )
        warnings = []
        others = [key for key in self.outputs_of(task_id) if key != output.key] if resume else []
        if others:
            described = [
                parsed.describe() if (parsed := OutputKey.parse(key)) else "an output an earlier socialtap did not record"
                for key in others
            ]
            warnings.append(
                f"--resume: this task's checkpoints are for {'; '.join(described)}, not {output.describe()}; "
                f"starting over (a checkpoint only resumes the output, format and --max-pages it was taken with)"
            )
        self.reset(task_id, output)
        return Start(warnings=tuple(warnings))

    def reset(self, task_id: str, output: OutputKey) -> None:
        """Forget the task's checkpoints into ``output``, and every checkpoint into the same file.

        Part files of forgotten JSON Lines checkpoints are removed: nothing can resume them.
        """
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                targets = [(task_id, output.key)]
                if output.is_file:
                    targets += self.db.execute(
                        "SELECT task_id, output FROM outputs WHERE destination = ?", (output.destination,)
                    ).fetchall()
                for target in set(targets):
                    self.db.execute("DELETE FROM checkpoints WHERE task_id = ? AND output = ?", target)
                    self.db.execute("DELETE FROM outputs WHERE task_id = ? AND output = ?", target)
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
        if output.is_file:
            for other_task in {t for t, _ in targets}:
                if other_task != task_id:  # this run's own part file is rewritten from scratch
                    part_path(output.destination, other_task).unlink(missing_ok=True)

    def save(
        self, task_id: str, output: OutputKey, chain: str, next_request: Request | None, pages: int, position: Any = None
    ) -> None:
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
                "INSERT INTO checkpoints (task_id, output, chain, next_request, done, pages, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(task_id, output, chain) DO UPDATE SET next_request = excluded.next_request, "
                "done = excluded.done, pages = excluded.pages, updated_at = excluded.updated_at",
                (task_id, output.key, chain, blob, int(next_request is None), pages, now),
            )
            self.db.execute(
                "INSERT INTO outputs (task_id, output, destination, position, updated_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(task_id, output) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at",
                (task_id, output.key, output.destination, json.dumps(position), now),
            )
            self.db.execute("COMMIT")

    # -- tasks, runs and bookmarks (what `socialtap state` shows) -------------------------

    def _clean(self, text: str | None) -> str | None:
        # Errors are redacted by the engine already; this is the state file's own guard.
        if text is None:
            return None
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def begin_run(self, info: TaskInfo, output: OutputKey, window: tuple[str, str] | None = None) -> None:
        """Record that a run of the task into ``output`` started (status ``running``)."""
        now = clock.now().timestamp()
        params = json.dumps(info.params, default=str)  # in declaration order, as a user reads them
        if any(secret in params for secret in self.secrets):
            raise SecurityError("the task's params carry a credential value; they are not written to the state file")
        start, end = window or (None, None)
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(
                "INSERT INTO tasks (task_id, vendor, stream, params, base, bookmark_id, window_params, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(task_id) DO UPDATE SET bookmark_id = excluded.bookmark_id",
                (
                    info.task_id,
                    info.vendor,
                    info.stream,
                    params,
                    info.base,
                    info.bookmark_id,
                    json.dumps(list(info.window_params)),
                    now,
                ),
            )
            self.db.execute(
                "INSERT OR REPLACE INTO runs (task_id, output, status, window_start, window_end, records, error, started_at, "
                "finished_at) VALUES (?, ?, 'running', ?, ?, NULL, NULL, ?, NULL)",
                (info.task_id, output.key, start, end, now),
            )
            self.db.execute("COMMIT")

    def finish_run(
        self,
        info: TaskInfo,
        output: OutputKey,
        status: str,
        *,
        records: int = 0,
        error: str | None = None,
        bookmark: Bookmark | None = None,
    ) -> None:
        """Record how the run ended, in one transaction.

        ``succeeded``: the run's page checkpoints are pruned (the runs row remembers that
        the output is complete), and ``bookmark``, if given, is moved to the run's window
        end; older runs of the same bookmark are superseded (their windows are covered)
        and forgotten. Any other status leaves checkpoints and bookmark as they are.
        """
        now = clock.now().timestamp()
        stale_parts: list[Path] = []
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.execute(
                    "UPDATE runs SET status = ?, records = ?, error = ?, finished_at = ? WHERE task_id = ? AND output = ?",
                    (status, records, self._clean(error), now, info.task_id, output.key),
                )
                if status == "succeeded":
                    self.db.execute("DELETE FROM checkpoints WHERE task_id = ? AND output = ?", (info.task_id, output.key))
                    self.db.execute("DELETE FROM outputs WHERE task_id = ? AND output = ?", (info.task_id, output.key))
                    if bookmark is not None:
                        self.db.execute(
                            "INSERT OR REPLACE INTO bookmarks (bookmark_id, vendor, stream, params, base, window_start, "
                            "window_end, task_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            (
                                bookmark.bookmark_id,
                                info.vendor,
                                info.stream,
                                json.dumps(bookmark.params, sort_keys=True, default=str),
                                info.base,
                                bookmark.window_start,
                                bookmark.window_end,
                                info.task_id,
                                now,
                            ),
                        )
                        stale_parts = self._supersede(bookmark.bookmark_id, info.task_id)
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
        for part in stale_parts:
            part.unlink(missing_ok=True)

    def _supersede(self, bookmark_id: str, keep: str) -> list[Path]:
        """Forget the other tasks of a bookmark that just moved; return their part files.

        Their windows lie inside what the bookmark now covers, so their rows would only
        grow `state list` by a line a day. Tasks with a run still marked running are kept
        (it may be alive; a run killed outright stays listed until cleared).
        """
        others = [
            row[0]
            for row in self.db.execute(
                "SELECT task_id FROM tasks WHERE bookmark_id = ? AND task_id != ? AND task_id NOT IN "
                "(SELECT task_id FROM runs WHERE status = 'running')",
                (bookmark_id, keep),
            )
        ]
        return self._forget(others)

    def _forget(self, task_ids: Iterable[str]) -> list[Path]:
        parts: list[Path] = []
        for task in task_ids:
            for (key,) in self.db.execute("SELECT output FROM outputs WHERE task_id = ?", (task,)).fetchall():
                parsed = OutputKey.parse(key)
                if parsed is not None and parsed.is_file:
                    parts.append(part_path(parsed.destination, task))
            for table in ("checkpoints", "outputs", "runs", "tasks"):
                self.db.execute(f"DELETE FROM {table} WHERE task_id = ?", (task,))
        return parts

    def bookmark(self, bookmark_id: str) -> dt.date | None:
        """The window end of the last successful run of a bookmark, or None."""
        with self._lock:
            row = self.db.execute("SELECT window_end FROM bookmarks WHERE bookmark_id = ?", (bookmark_id,)).fetchone()
        return dt.date.fromisoformat(row[0]) if row else None

    def tasks(self) -> list[dict[str, Any]]:
        """Every task with its latest run and its bookmark, most recent run first."""
        with self._lock:
            rows = self.db.execute(
                "SELECT t.task_id, t.vendor, t.stream, t.params, t.base, t.bookmark_id, t.created_at, t.window_params, "
                "r.output, r.status, r.window_start, r.window_end, r.records, r.error, r.started_at, r.finished_at, "
                "b.window_end, "
                "(SELECT COUNT(*) FROM checkpoints c WHERE c.task_id = t.task_id) "
                "FROM tasks t LEFT JOIN runs r ON r.task_id = t.task_id AND r.started_at = "
                "(SELECT MAX(started_at) FROM runs WHERE task_id = t.task_id) "
                "LEFT JOIN bookmarks b ON b.bookmark_id = t.bookmark_id "
                "ORDER BY COALESCE(r.started_at, t.created_at) DESC, t.task_id"
            ).fetchall()
        tasks: dict[str, dict[str, Any]] = {}
        for row in rows:
            (
                task,
                vendor,
                stream,
                params,
                base,
                bookmark_id,
                created,
                names,
                output,
                status,
                w_start,
                w_end,
                records,
                error,
                started,
                finished,
                bookmark,
                checkpoints,
            ) = row
            if task in tasks:  # two runs started in the same instant: keep one
                continue
            parsed = OutputKey.parse(output) if output is not None else None
            tasks[task] = {
                "task_id": task,
                "vendor": vendor,
                "stream": stream,
                "params": json.loads(params),
                "window_params": json.loads(names or "[]"),
                "base": base,
                "output": parsed.describe() if parsed is not None else output,
                "status": status,
                "window": {"start": w_start, "end": w_end} if w_end else None,
                "records": records,
                "error": error,
                "created_at": _iso(created),
                "started_at": _iso(started),
                "finished_at": _iso(finished),
                "bookmark_id": bookmark_id,
                "bookmark": bookmark,
                "checkpoints": checkpoints,
            }
        return list(tasks.values())

    def bookmarks(self) -> list[dict[str, Any]]:
        """Every bookmark: vendor, stream, params without the window, base, window end."""
        with self._lock:
            rows = self.db.execute(
                "SELECT bookmark_id, vendor, stream, params, base, window_start, window_end, task_id, updated_at "
                "FROM bookmarks ORDER BY updated_at DESC, bookmark_id"
            ).fetchall()
        return [
            {
                "bookmark_id": b,
                "vendor": v,
                "stream": s,
                "params": json.loads(p),
                "base": base,
                "window": {"start": ws, "end": we},
                "task_id": t,
                "updated_at": _iso(u),
            }
            for b, v, s, p, base, ws, we, t, u in rows
        ]

    def clear(self, task_ids: Iterable[str], *, bookmarks: bool = True) -> list[str]:
        """Forget tasks: their checkpoints (and part files), runs, and bookmarks (unless
        another remaining task shares it). Returns the task ids forgotten."""
        task_ids = list(task_ids)
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                marks = {
                    row[0]
                    for task in task_ids
                    for row in self.db.execute("SELECT bookmark_id FROM tasks WHERE task_id = ?", (task,))
                    if row[0]
                }
                parts = self._forget(task_ids)
                if bookmarks:
                    for mark in marks:
                        self.db.execute("DELETE FROM bookmarks WHERE bookmark_id = ?", (mark,))
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
        for part in parts:
            part.unlink(missing_ok=True)
        return task_ids

    def clear_all(self) -> int:
        """Forget everything: checkpoints (and part files), runs, tasks, bookmarks. Returns tasks forgotten."""
        with self._lock:
            ids = [row[0] for row in self.db.execute("SELECT task_id FROM tasks UNION SELECT task_id FROM checkpoints")]
        self.clear(ids)
        with self._lock:
            self.db.execute("DELETE FROM bookmarks")
        return len(ids)

    def close(self) -> None:
        """Close the state file."""
        with self._lock:
            self.db.close()


# -- outputs that can be rewound to a checkpoint ---------------------------------------


class ResumableJsonLines(JsonLinesWriter):
    """JSON Lines to a part file named after the task, so a later run can find and rewind it."""

    def __init__(self, path: str | Path, task_id: str, position: int | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.temp = part_path(self.path, task_id)
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
        self.flush()
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
