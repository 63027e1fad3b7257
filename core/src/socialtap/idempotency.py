"""Writes that are never duplicated: idempotency keys and the ledger of what was created.

A stream that creates something at the vendor declares it (``Stream(write=Write(...))``).
The core then, for every request of that stream:

- **keys it**: the ``Idempotency-Key`` header (or the header the vendor names) holds a
  key derived from the task and the item (:func:`derive_key`: vendor, stream, the
  server's identity and the item's request), so the same logical request always
  carries the same key: a retry, ``--resume`` and an orchestrator re-running the task
  all send it again under the key the vendor saw first. A user may give the key
  instead, in the param the declaration names (``key_param``);
- **retries only keyed requests**, on connection errors, timeouts, resets and 5xx (the
  vendor answers a repeated key with the original object); a write without a key is
  never retried;
- **remembers every success** in the state file (:class:`Ledger`, table ``created``), by
  key, with the vendor's answer, before a record of it is handed out. An item whose key
  is in the ledger is not sent again, whatever the vendor's own deduplication window:
  its records are rebuilt from the stored answer.

What remains possible, and why: an answer lost on the way back *and* a vendor that
forgets the key within the same retry (its dedup is best-effort, in one process, over a
window) creates the item twice; the ledger cannot help, as no answer ever arrived.

This module knows nothing of hooks: the runner calls :class:`WriteSender` for each
request of a write stream.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from socialtap.errors import ConfigError, PayloadError
from socialtap.http import Request, Response
from socialtap.retry import RetrySafety
from socialtap.secrets import Redactor

if TYPE_CHECKING:
    from socialtap.engine import Engine

DEFAULT_HEADER = "Idempotency-Key"
KEY_PREFIX = "socialtap-"
_LEDGER_SCHEMA = """
    CREATE TABLE IF NOT EXISTS created (
        key TEXT PRIMARY KEY,
        vendor TEXT NOT NULL,
        stream TEXT NOT NULL,
        base TEXT NOT NULL,
        task_id TEXT NOT NULL,
        chain TEXT NOT NULL,
        status INTEGER NOT NULL,
        payload TEXT,
        created_at REAL NOT NULL
    )
"""


def request_identity(request: Request) -> Any:
    """The default identity of an item: what its request says (method, path, query, body)."""
    return [request.method.upper(), request.url, [list(pair) for pair in request.query], request.json]


@attrs.frozen
class Write:
    """Declares a stream as a write: each request creates something at the vendor.

    - ``idempotency_header``: the header the vendor deduplicates on (``Idempotency-Key``).
    - ``key_param``: a param holding a key of the user's own, sent as it is instead of the
      derived one (None: keys are always derived). Keep it out of the request body.
    - ``existing``: statuses that mean "it exists already" and carry the original object
      (a vendor's 409): a success, normalized like a 2xx.
    - ``identity``: a function of a request giving what makes it the same item (JSON-safe);
      by default its method, path, query and body (:func:`request_identity`). A vendor
      whose API takes one item in several spellings gives a canonical identity.
    """

    idempotency_header: str = DEFAULT_HEADER
    key_param: str | None = None
    existing: frozenset[int] = attrs.field(factory=frozenset, converter=frozenset)
    identity: Callable[[Request], Any] | None = None

    def key_of(self, request: Request, vendor: str, stream: str, base: str) -> str:
        """The key of ``request``: the user's own (``key_param``) or :func:`derive_key`."""
        own = getattr(request.params, self.key_param, None) if self.key_param else None
        if own:
            return str(own)
        identity = (self.identity or request_identity)(request)
        return derive_key(vendor, stream, base, identity)


def derive_key(vendor: str, stream: str, base: str, identity: Any) -> str:
    """A key stable for one logical request: a hash of the task's vendor, stream and
    server identity (the base URL, or ``sandbox:<vendor>``) and the item's identity.

    Never credentials, never the time: a retry, ``--resume`` and a rerun of the task by an
    orchestrator derive the same key, so the vendor (and the ledger) see one request.
    """
    blob = json.dumps([vendor, stream, base, identity], sort_keys=True, default=str, separators=(",", ":"))
    return KEY_PREFIX + hashlib.sha256(blob.encode()).hexdigest()[:40]


def keyed(request: Request, header: str, key: str) -> Request:
    """``request`` carrying ``key`` in ``header`` (a key already there is replaced)."""
    headers = {k: v for k, v in request.headers.items() if k.lower() != header.lower()}
    return attrs.evolve(request, headers={**headers, header: key})


@attrs.frozen
class Created:
    """A ledger entry: an item the vendor confirmed, and its answer (None if it held a secret)."""

    key: str
    task_id: str
    chain: str
    status: int
    payload: Any
    created_at: float


class Ledger:
    """What was created, by key, in the task's state file (table ``created``).

    It has its own connection to the state file (SQLite serializes writers), so the
    checkpoint code is untouched by it. An entry is written in its own transaction as
    soon as the vendor confirms the item, before any record of it is handed out.
    """

    def __init__(self, path: str | Path, *, secrets: Iterable[str] = ()):
        self.path = Path(path).expanduser()
        self.redactor = Redactor(secrets)
        self._lock = threading.Lock()
        import sqlite3  # here: plugins import this module for Write, and start-up stays lean

        try:
            self.db = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
            self.db.execute(_LEDGER_SCHEMA)
        except sqlite3.Error as exc:
            raise ConfigError(
                f"cannot keep the ledger of created items in the state file {self.path}: {exc}; "
                f"pass --state PATH or set SOCIALTAP_STATE to a writable file"
            ) from None

    def get(self, key: str) -> Created | None:
        """The entry of ``key``, or None if this state file never saw it succeed."""
        with self._lock:
            row = self.db.execute(
                "SELECT key, task_id, chain, status, payload, created_at FROM created WHERE key = ?", (key,)
            ).fetchone()
        if row is None:
            return None
        key, task, chain, status, payload, created_at = row
        return Created(key, task, chain, status, json.loads(payload) if payload is not None else None, created_at)

    def remember(self, key: str, *, vendor: str, stream: str, base: str, task_id: str, chain: str, response: Response) -> None:
        """Record that the vendor confirmed ``key`` (first confirmation wins).

        The answer is kept with any credential a server echoed in it replaced by ``***``;
        if one would still show, the answer is not kept at all (the key still is).
        """
        payload: str | None = json.dumps(self.redactor.payload(response.payload))
        if self.redactor.leaks(payload):  # type: ignore[arg-type]
            payload = None
        with self._lock:
            self.db.execute(
                "INSERT OR IGNORE INTO created (key, vendor, stream, base, task_id, chain, status, payload, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (key, vendor, stream, base, task_id, chain, response.status, payload, time.time()),
            )

    def entries(self, vendor: str | None = None) -> list[Created]:
        """Every entry (of one vendor), oldest first."""
        where, args = ("WHERE vendor = ?", (vendor,)) if vendor else ("", ())
        with self._lock:
            rows = self.db.execute(
                f"SELECT key, task_id, chain, status, payload, created_at FROM created {where} ORDER BY created_at", args
            ).fetchall()
        return [Created(k, t, c, s, json.loads(p) if p is not None else None, at) for k, t, c, s, p, at in rows]

    def close(self) -> None:
        """Close the ledger's connection."""
        with self._lock:
            self.db.close()


class WriteSender:
    """Sends the requests of one write stream: keyed, retried by key, remembered in the ledger.

    ``replayed`` counts items answered from the ledger (sent by an earlier run) and
    ``keys`` maps each chain to the key its item went out with.
    """

    def __init__(
        self,
        engine: Engine,
        write: Write,
        *,
        vendor: str,
        stream: str,
        base: str,
        task_id: str,
        ledger: Ledger | None,
    ):
        self.engine = engine
        self.write = write
        self.vendor, self.stream, self.base, self.task_id = vendor, stream, base, task_id
        self.ledger = ledger
        self.replayed = 0
        self.keys: dict[str, str] = {}
        self._lock = threading.Lock()

    def send(self, request: Request) -> Response:
        """The vendor's answer for ``request``: from the ledger if it was created before, else sent."""
        key = self.write.key_of(request, self.vendor, self.stream, self.base)
        with self._lock:
            self.keys[request.chain] = key
        seen = self.ledger.get(key) if self.ledger is not None else None
        if seen is not None:
            with self._lock:
                self.replayed += 1
            if seen.payload is None:
                raise PayloadError(
                    f"{self.vendor} {self.stream}: {request.chain or 'the item'} was created by an earlier run "
                    f"({self.write.idempotency_header} {key}), so it is not sent again; its answer could not be kept "
                    f"(it held a credential), so there are no records for it. Check it at the vendor.",
                    vendor=self.vendor,
                )
            return Response(status=seen.status, url=self.engine.url_of(request), payload=seen.payload)
        # Keyed, so safe to send again on any failure waiting can fix: the vendor answers
        # a repeated key with the object it created the first time.
        response = self.engine.fetch(
            keyed(request, self.write.idempotency_header, key), retry=RetrySafety.ALWAYS, accept=self.write.existing
        )
        if self.ledger is not None:
            self.ledger.remember(
                key,
                vendor=self.vendor,
                stream=self.stream,
                base=self.base,
                task_id=self.task_id,
                chain=request.chain,
                response=response,
            )
        return response

    def warning(self) -> str | None:
        """The run report's line about items not sent again, or None."""
        if not self.replayed:
            return None
        return (
            f"{self.replayed} item(s) were created by an earlier run (same {self.write.idempotency_header}, "
            f"remembered in the state file) and were not sent again; their records are the vendor's stored answer"
        )
