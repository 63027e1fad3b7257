"""Kill a run at a chosen page, and read what its outputs hold: the crash check's tools.

:class:`KillAfter` wraps a sandbox (WSGI middleware): once a run has had ``after``
answers, the next request it sends SIGKILLs the run's process group instead of being
answered. The run has then received exactly ``after`` pages and is waiting for the next
one: the kill lands mid-run, at a point the test chose. :func:`output_rows` reads a
JSON Lines or SQLite output back as comparable rows (clock fields dropped), checking on
the way that no line is half-written and the database is intact.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from socialtap.records import RECORD_TYPES

__all__ = ["KillAfter", "output_rows", "CLOCK_FIELDS"]

# Fields that depend on when the run happened, not on what the vendor sent.
CLOCK_FIELDS = frozenset({"fetched_at", "as_of", "_stored_on", "_key"})


class KillAfter:
    """WSGI middleware: SIGKILL the process group ``pgid`` at request ``after + 1``, answering it 503."""

    def __init__(self, app: Callable[..., Any], after: int | None = None):
        self.app = app
        self.after = after
        self.pgid: int | None = None
        self.answered = 0
        self.killed = False
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:  # the wrapped sandbox's stats stay reachable
        return getattr(self.app, name)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with self._lock:
            kill = self.after is not None and self.pgid is not None and (self.killed or self.answered >= self.after)
            if kill and not self.killed:
                self.killed = True
                try:
                    os.killpg(self.pgid, signal.SIGKILL)  # type: ignore[arg-type]
                except ProcessLookupError:
                    pass  # it ended on its own
            if not kill:
                self.answered += 1
        if kill:
            start_response("503 Service Unavailable", [("Content-Type", "application/json")])
            return [b'{"detail": "the client was killed"}']
        return self.app(environ, start_response)


def output_rows(path: Path, fmt: str) -> list[str]:
    """The records of an output as sorted JSON texts without :data:`CLOCK_FIELDS`.

    Raises AssertionError for a JSON Lines file whose last line is cut off or any line
    that does not parse, and for a SQLite file that fails ``PRAGMA integrity_check``.
    """
    rows: list[dict[str, Any]] = []
    if fmt == "jsonl":
        text = path.read_text()
        assert not text or text.endswith("\n"), f"{path.name} ends in a half line"
        rows = [json.loads(line) for line in text.splitlines()]
    else:
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",), f"{path.name} is damaged"
            db.row_factory = sqlite3.Row
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            for name in sorted(tables & set(RECORD_TYPES)):
                rows += [{"type": name, **dict(row)} for row in db.execute(f'SELECT * FROM "{name}"')]
        db.close()
    return sorted(json.dumps({k: v for k, v in row.items() if k not in CLOCK_FIELDS}, sort_keys=True) for row in rows)
