"""The runner: ``Task`` -> validated inputs -> request chains -> records + ``RunReport``.

This API, not the CLI, is what the CLI, Airflow and n8n wrappers call. Everything a user
can get wrong (vendor, stream, params, credentials, base URL) is checked in
:func:`prepare`, before any request is sent.

Chains (one per fan-out value or batch) run concurrently on ``Options.concurrency``
worker threads under the vendor's rate limit; pages within a chain stay sequential.
Records come out chain by chain in the order the chains were given, each chain's in page
order: later chains are fetched ahead into small bounded buffers while the first is
streamed, so memory stays bounded by ``concurrency`` x a few pages. A failing chain does
not lose the others: they finish, then :class:`~socialtap.errors.ChainsFailedError` names
the failed ones (``fail_fast`` stops at once). Errors that every chain would meet
(credentials, configuration, quota, security) stop the run at once.

With a state file (``Options.state``), every page's records are checkpointed once the
caller has taken them, so ``Options.resume`` continues after the last page written.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
import operator
import os
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import attrs
import pluggy

from socialtap import clock
from socialtap.chains import Parent
from socialtap.credits import BudgetExceeded, CreditLedger
from socialtap.declarations import RateLimit, Stream, Vendor
from socialtap.engine import DEFAULT_RESPONSE_TIMEOUT, Engine, EngineOptions, user_agent
from socialtap.errors import (
    AuthError,
    ChainsFailedError,
    ConfigError,
    PayloadError,
    QuotaError,
    SecurityError,
    SocialtapError,
)
from socialtap.http import Request, page_key, resolve_url, unsafe_reason
from socialtap.idempotency import Ledger, WriteSender
from socialtap.incremental import bookmark_id, plan_window, without_window
from socialtap.incremental import check_options as check_window_options
from socialtap.outputs import apply_retention, check_output, log_run, open_writer, output_lock
from socialtap.pagination import END
from socialtap.params import unstructure, validate_params
from socialtap.plugins import distribution_of, get_plugin_manager, get_registry
from socialtap.progress import Progress
from socialtap.public import auth_for, credentials_for
from socialtap.ratelimit import DEFAULT_MAX_TOTAL_PAUSE, Backend, Throttle
from socialtap.records import TYPE_NAMES, Record, converter, to_dict
from socialtap.retry import RetryPolicy
from socialtap.secrets import secret_values
from socialtap.state import (
    Bookmark,
    Checkpoint,
    LazyOutput,
    OutputKey,
    Start,
    StateStore,
    TaskInfo,
    default_state_path,
    open_output,
    request_from_json,
)
from socialtap.terms import DataTerms, dropped_warning, keep_personal_data


@attrs.frozen
class Options:
    """How to run a task (not what to fetch)."""

    base_url: str | None = None
    max_pages: int | None = None
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_response_bytes: int = 32 * 1024 * 1024
    # The whole of one response must arrive within this (a body dripped byte by byte
    # passes every read_timeout); past it the attempt fails and is retried.
    response_timeout: float = DEFAULT_RESPONSE_TIMEOUT
    # Fan-out: chains fetched at once (pages within a chain stay sequential).
    concurrency: int = attrs.field(default=4, validator=attrs.validators.ge(1))
    # Stop at the first failing chain instead of finishing the others.
    fail_fast: bool = False
    # Retries (see socialtap.retry): attempts per request, and the cap on waiting between them.
    max_attempts: int = attrs.field(default=5, validator=attrs.validators.ge(1))
    max_retry_wait: float = 120.0
    backoff_initial: float = 0.5
    # Announced limits (RateLimit/X-RateLimit headers, Retry-After): the run may be held by
    # them this long in all; one wait longer than max_retry_wait is refused (socialtap.ratelimit).
    max_rate_limit_wait: float = DEFAULT_MAX_TOTAL_PAUSE
    # Rate limit: override the vendor's declared limit (a smaller plan); where buckets live.
    rate_limit: RateLimit | None = None
    rate_limit_db: str | None = None
    rate_limit_url: str | None = attrs.field(default=None, repr=False)
    # Checkpoints: the state file (None: $SOCIALTAP_STATE, else none unless resuming), and resume.
    state: str | None = None
    resume: bool = False
    # A progress bar on stderr (shown only on a terminal, after a second).
    progress: bool = False
    # Incremental date windows (streams that declare a ``Window``): start where the last
    # successful run of the same task ended, minus ``lookback_days`` (None: the stream's
    # declared overlap); ``start`` is the first run's start (None: the stream's default window).
    incremental: bool = False
    lookback_days: int | None = attrs.field(default=None, validator=attrs.validators.optional(attrs.validators.ge(0)))
    start: dt.date | None = None
    # base_url is a sandbox of the task's vendor served on a random local port (the CLI's
    # --sandbox, ServeApp(sandbox=True)): the task's identity is then ``sandbox:<vendor>``,
    # not the port's URL, so a sandbox run can be resumed and keeps its bookmark.
    sandbox: bool = False
    # The user has an agreement with the vendor to store the personal data its terms
    # forbid (socialtap.terms): keep those fields instead of leaving them out. The env
    # setting SOCIALTAP_<VENDOR>_KEEP_PERSONAL_DATA=1 says the same.
    keep_personal_data: bool = False
    # The most credits the run may spend, for a vendor that prices its calls
    # (socialtap.credits): refused before the start when the first pages cost more, stopped
    # before the call that would pass it. None: no limit (what was spent is still reported).
    max_credits: float | None = attrs.field(default=None, validator=attrs.validators.optional(attrs.validators.ge(0)))


@attrs.frozen
class Task:
    """What to fetch: a vendor's stream with params. Credentials default to the env."""

    vendor: str
    stream: str
    params: Mapping[str, Any] = attrs.field(factory=dict)
    credentials: Mapping[str, str] | None = attrs.field(default=None, repr=False)
    options: Options = attrs.field(factory=Options)


@attrs.define
class ChainReport:
    """One chain's outcome: pending, done, skipped (done in an earlier run), failed or stopped."""

    chain: str
    status: str = "pending"
    pages: int = 0
    records: int = 0
    error: str | None = None
    resumed_from_page: int | None = None


@attrs.define
class RunReport:
    """What a run did. Small and JSON-safe (it goes into XCom and n8n output)."""

    vendor: str
    stream: str
    task_id: str
    records: dict[str, int] = attrs.field(factory=dict)
    requests: int = 0
    pages: int = 0
    retries: int = 0
    rate_limit_waits: int = 0
    rate_limit_wait_seconds: float = 0.0
    bytes: int = 0
    duration: float = 0.0
    warnings: list[str] = attrs.field(factory=list)
    chains: list[ChainReport] = attrs.field(factory=list)
    error: str | None = None
    # The date window fetched, {"start": "YYYY-MM-DD", "end": "YYYY-MM-DD"}, for a stream with one.
    window: dict[str, str] | None = None
    # Credits spent, retries included, for a vendor that prices its calls (None: it does not).
    credits: float | None = None

    @property
    def total_records(self) -> int:
        return sum(self.records.values())

    def count(self, record: Record) -> None:
        name = TYPE_NAMES[type(record)]
        self.records[name] = self.records.get(name, 0) + 1

    def as_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.frozen
class Prepared:
    """A task with everything resolved and validated; ready to send requests."""

    task: Task
    vendor: Vendor
    stream: Stream
    params: Any
    credentials: Mapping[str, str] = attrs.field(repr=False)
    base_url: str
    task_id: str
    plugin_manager: Any = attrs.field(repr=False)
    # What identifies the server in task and bookmark ids: the base URL or ``sandbox:<vendor>``.
    base: str = ""
    # Incremental runs: the bookmark this run reads and, when it succeeds, moves.
    bookmark_id: str | None = None
    # The date window this run fetches (inclusive ISO days), for a stream that declares one.
    window: tuple[str, str] | None = None
    # The vendor's terms to apply to every record (None: no personal fields to leave out,
    # or the user keeps them: Options.keep_personal_data or the env setting).
    redact: DataTerms | None = None
    # A chained task (socialtap.chains): the parent stream's task, run first for the
    # child's ``into`` values; ``params`` holds a stand-in for them until then.
    parent: Prepared | None = None
    # More child streams of the same parent in one run (``Task.stream`` "audience,content"):
    # run after this one, over the same values, so the parent is fetched (and paid) once.
    siblings: tuple[Prepared, ...] = ()

    def task_info(self) -> TaskInfo:
        """What the state file keeps of this task (never credentials)."""
        window = self.stream.window
        names = (window.start, window.end) if window is not None else ()
        params = unstructure(self.params)
        if self.parent is not None and self.stream.parent is not None:
            # A chained task is kept with the params the user gave, not the stand-in for its ids.
            params = {**{k: v for k, v in params.items() if k != self.stream.parent.into}, **unstructure(self.parent.params)}
        return TaskInfo(self.task_id, self.vendor.name, self.stream.name, params, self.base, self.bookmark_id, names)

    def bookmark(self) -> Bookmark | None:
        """The bookmark a successful incremental run leaves: its window end."""
        if self.bookmark_id is None or self.window is None:
            return None
        params = without_window(unstructure(self.params), self.stream.window)
        return Bookmark(self.bookmark_id, params, self.window[0], self.window[1])


def resolve_credentials(vendor: Vendor, explicit: Mapping[str, str] | None) -> dict[str, str]:
    """Credential fields from ``explicit`` or ``SOCIALTAP_<VENDOR>_<FIELD>``; ConfigError naming what to set."""
    explicit = dict(explicit or {})
    names = {c.name for c in vendor.credentials} | {f for group in vendor.auth.fields() for f in group}
    unknown = sorted(set(explicit) - names)
    if unknown:
        raise ConfigError(
            f"unknown credential field(s) for {vendor.name}: {', '.join(unknown)}; expected: {', '.join(sorted(names))}"
        )
    resolved = {name: explicit.get(name) or os.environ.get(vendor.env_var(name), "") for name in names}
    resolved = {k: v for k, v in resolved.items() if v}
    for group in vendor.auth.fields():
        if all(resolved.get(name) for name in group):
            return resolved
    options = " or ".join(" and ".join(vendor.env_var(n) for n in group) for group in vendor.auth.fields())
    raise ConfigError(
        f"missing credentials for {vendor.name}: set {options} (or pass them in the task's credentials), "
        f"or add --sandbox to run against the offline emulator"
    )


def resolve_base_url(vendor: Vendor, override: str | None) -> str:
    """The base URL a task talks to: ``override``, else ``SOCIALTAP_<VENDOR>_BASE_URL``, else the vendor's.

    Checked here, before any request, so every surface (CLI, serve, n8n, Airflow) refuses
    a malformed one with the same ConfigError instead of a traceback from deep in the HTTP stack.
    """
    base_url = override or os.environ.get(vendor.env_var("base_url")) or vendor.base_url
    problem = base_url_problem(base_url)
    # What urllib.parse and urllib3 might read differently (a percent-encoded host, say).
    reason = f"it {problem}" if problem else unsafe_reason(base_url)
    if reason is not None:
        env_var = vendor.env_var("base_url")
        source = "the override" if override else env_var if os.environ.get(env_var) else "the vendor's declaration"
        # The URL itself is not echoed: one with user info may hold a password.
        raise ConfigError(f"base URL for {vendor.name} is refused: {reason} (set by {source})")
    return base_url.rstrip("/")


def base_url_problem(base_url: str) -> str | None:
    """What is wrong with a base URL (the rest of a sentence), or None when it is usable."""
    from urllib.parse import urlsplit

    from urllib3.util import parse_url

    if not base_url.startswith(("http://", "https://")):
        return "must start with http:// or https://"
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in base_url):
        return "contains whitespace or a control character; remove it"
    authority = re.split(r"[/?#]", base_url.split("://", 1)[1], maxsplit=1)[0]
    if "@" in authority:
        return "must not contain a user name or password; put credentials in SOCIALTAP_<VENDOR>_<FIELD> instead"
    if "\\" in base_url:
        # Browsers and some parsers read a backslash as '/', others as part of the host:
        # two readings of one URL is how a request ends up on a host nobody meant.
        return "contains a backslash; use '/' in URLs"
    # Both parsers must accept it: urllib (what socialtap checks origins with) and
    # urllib3 (what requests sends with) disagree on some malformed URLs.
    try:
        parts = urlsplit(base_url)
        port = parts.port  # raises on a port that is not a number in 0-65535
        parse_url(base_url)
    except ValueError as exc:  # urllib3's LocationParseError is a ValueError too
        return f"is malformed ({_short(exc)}); write it as http(s)://host[:port][/path]"
    if not parts.hostname:
        return "has no host; write it as http(s)://host[:port][/path]"
    if port == 0:
        return "has port 0; give the port the API listens on"
    return None


def _short(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text.removeprefix("Failed to parse: ")


def task_id(vendor: str, stream: str, params: Any, base_url: str) -> str:
    """Stable id from vendor, stream, params and base URL (never credentials)."""
    blob = json.dumps([vendor, stream, unstructure(params), base_url], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def base_identity(vendor: Vendor, base_url: str, options: Options) -> str:
    """What task and bookmark ids hash for the server: ``sandbox:<vendor>`` for a sandbox
    run (its port changes every time), else the base URL. A sandbox is served on loopback:
    ``Options.sandbox`` with any other URL is refused, so it cannot pass for a vendor's sandbox."""
    if not options.sandbox:
        return base_url
    host = (urlsplit(base_url).hostname or "").lower()
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ConfigError(
            f"Options.sandbox is for a sandbox served on this machine, but the base URL's host is {host!r}; "
            f"drop sandbox=True, or use `socialtap run --sandbox`"
        )
    return f"sandbox:{vendor.name}"


def prepare(task: Task, *, plugin_manager: pluggy.PluginManager | None = None) -> Prepared:
    """Resolve and validate everything about a task; raise ConfigError on any problem.

    An incremental task (``Options.incremental``) gets its window here (see
    :mod:`socialtap.incremental`): the bookmark is read from the state file, so the
    task id (which hashes the window) is known before any request.
    """
    pm = plugin_manager or get_plugin_manager()
    registry = get_registry(plugin_manager)
    vendor = registry.get(task.vendor)
    if "," in task.stream:
        return _prepare_siblings(task, pm)
    stream = vendor.stream(task.stream)
    if stream.parent is not None and stream.parent.applies(task.params):
        return _prepare_chained(task, stream.parent, pm)
    options = task.options
    check_window_options(stream.window, vendor.name, stream.name, task.params, options)
    raw = dict(task.params)
    window = stream.window if options.incremental else None
    today = clock.today()
    if window is not None:
        # Validate with a placeholder window first (the day before today to today, which a
        # strict start-before-end check accepts too): the bookmark is keyed by the other
        # params as validated, defaults filled in, and a required window would block that.
        placeholder = {window.start: (today - dt.timedelta(days=1)).isoformat(), window.end: today.isoformat()}
        params = validate_params(stream.params, {**raw, **placeholder})
    else:
        params = validate_params(stream.params, raw)
    credentials = credentials_for(vendor, stream, task.credentials, resolve_credentials)
    base_url = resolve_base_url(vendor, options.base_url)
    Backend.resolve(options.rate_limit_db, options.rate_limit_url)  # a bad bucket location fails here, not mid-run
    base = base_identity(vendor, base_url, options)
    terms = vendor.terms
    redact = None
    if terms is not None and terms.personal_fields and not keep_personal_data(vendor, options.keep_personal_data):
        redact = terms
    bookmark = None
    if window is not None:
        bookmark = bookmark_id(vendor.name, stream.name, without_window(unstructure(params), window), base)
        with contextlib.closing(StateStore(state_path(options))) as store:
            last = store.bookmark(bookmark)
        start, end = plan_window(window, today=today, bookmark=last, lookback_days=options.lookback_days, start=options.start)
        params = validate_params(stream.params, {**raw, window.start: start.isoformat(), window.end: end.isoformat()})
    fetched = None
    if stream.window is not None:
        values = unstructure(params)
        first, last_day = values.get(stream.window.start), values.get(stream.window.end)
        if first is not None and last_day is not None:
            fetched = (str(first), str(last_day))
    return Prepared(
        task,
        vendor,
        stream,
        params,
        credentials,
        base_url,
        task_id(vendor.name, stream.name, params, base),
        pm,
        base=base,
        bookmark_id=bookmark,
        window=fetched,
        redact=redact,
    )


def _prepare_chained(task: Task, parent: Parent, pm: pluggy.PluginManager) -> Prepared:
    """A task whose ``parent.into`` comes from the parent stream: both halves validated now."""
    parent_params, rest = parent.split(task.params, task.stream)
    first = prepare(attrs.evolve(task, stream=parent.stream, params=parent_params), plugin_manager=pm)
    # The child's own params are checked with a stand-in for the values the parent will give.
    child = prepare(attrs.evolve(task, params={**rest, parent.into: [f"(from {parent.stream})"]}), plugin_manager=pm)
    own = {k: v for k, v in unstructure(child.params).items() if k != parent.into}
    identity = {"parent": [parent.stream, unstructure(first.params)], **own}
    return attrs.evolve(
        child, task=task, parent=first, task_id=task_id(child.vendor.name, child.stream.name, identity, child.base)
    )


def _prepare_siblings(task: Task, pm: pluggy.PluginManager) -> Prepared:
    """Several child streams of one parent in one run: each validated as a chained task of its own."""
    vendor = get_registry(pm).get(task.vendor)
    streams = [vendor.stream(name.strip()) for name in task.stream.split(",")]
    parents = {stream.parent for stream in streams}
    parent = streams[0].parent
    if len(parents) != 1 or parent is None or not parent.applies(task.params):
        raise ConfigError(
            f"{task.stream}: several streams run together only as children of one parent stream, given its params "
            f"(e.g. the usernames a search resolves); run them one by one otherwise"
        )
    shared, rest = parent.split(task.params, task.stream)
    own = {stream.name: {field.name for field in attrs.fields(stream.params)} for stream in streams}
    unknown = sorted(name for name in rest if not any(name in fields for fields in own.values()))
    if unknown:
        raise ConfigError(f"{task.stream}: no stream of the run takes {', '.join(unknown)}", problems=unknown)
    children = [
        _prepare_chained(
            attrs.evolve(task, stream=stream.name, params={**shared, **{k: v for k, v in rest.items() if k in own[stream.name]}}),
            parent,
            pm,
        )
        for stream in streams
    ]
    first, *others = children
    identity = [child.task_id for child in children]
    return attrs.evolve(first, task=task, siblings=tuple(others), task_id=task_id(vendor.name, task.stream, identity, first.base))


def _resolved(prepared: Prepared, values: list[str]) -> Prepared:
    """A chained task's child with its ``into`` param holding ``values``."""
    assert prepared.stream.parent is not None
    params = validate_params(prepared.stream.params, {**unstructure(prepared.params), prepared.stream.parent.into: values})
    return attrs.evolve(prepared, params=params, parent=None, siblings=())


def _run_parent(prepared: Prepared, engine: Engine, report: RunReport, dropped: set[str]) -> Iterator[Record]:
    """Yield the parent stream's records; return the values they give the child (empty: nothing found)."""
    assert prepared.parent is not None and prepared.stream.parent is not None
    parent = prepared.stream.parent
    runner = _ChainRunner(prepared.parent, engine, report, None, None)
    candidates = []
    try:
        for record in runner.records():
            if isinstance(record, parent.record):
                candidates.append(record)
            yield record
    finally:
        runner.shutdown()
        dropped |= runner.dropped
    given = unstructure(prepared.parent.params)
    values = parent.values(candidates, given)
    warning = parent.unresolved(given, values, candidates)
    if warning:
        report.warnings.append(warning)
    return values


def run_secrets(prepared: Prepared, auth: Any = None) -> frozenset[str]:
    """Every string that would reveal the task's credentials: their values plus what the
    vendor's auth derives from them (the header, Basic's base64 and key:secret); see
    :func:`socialtap.secrets.secret_values`. The engine and the state file use the same set."""
    if auth is None:
        auth = auth_for(prepared.plugin_manager, prepared.vendor, prepared.stream, prepared.credentials)
    return secret_values(prepared.credentials, scheme=prepared.vendor.auth, auth=auth)


def make_engine(prepared: Prepared) -> Engine:
    pm = prepared.plugin_manager
    vendor = prepared.vendor
    auth = auth_for(pm, vendor, prepared.stream, prepared.credentials)
    if auth is None:
        raise ConfigError(f"no plugin builds auth for {vendor.name}; is its plugin installed?")
    env_hint = " / ".join(vendor.env_var(name) for group in vendor.auth.fields() for name in group)
    entry = get_registry(prepared.plugin_manager).entries[vendor.name]
    secrets = run_secrets(prepared, auth)
    options = prepared.task.options
    retry = RetryPolicy(max_attempts=options.max_attempts, max_total_wait=options.max_retry_wait, initial=options.backoff_initial)
    throttle = Throttle(
        vendor.name,
        options.rate_limit or vendor.rate_limit,
        prepared.credentials,
        Backend.resolve(options.rate_limit_db, options.rate_limit_url),
        max_pause=options.max_retry_wait,
        max_total_pause=options.max_rate_limit_wait,
    )
    engine = Engine(
        vendor,
        prepared.base_url,
        auth,
        pm.hook,
        options=EngineOptions(
            options.connect_timeout,
            options.read_timeout,
            options.max_response_bytes,
            retry,
            response_timeout=options.response_timeout,
        ),
        secrets=secrets,
        env_hint=env_hint,
        user_agent=user_agent(distribution_of(pm, pm.get_plugin(entry.plugin_name))),
        throttle=throttle,
    )
    if vendor.pricing is not None:
        engine.ledger = CreditLedger(
            vendor.pricing, lambda probe: engine.fetch(probe), budget=options.max_credits, vendor=vendor.name
        )
    return engine


def state_path(options: Options) -> str | None:
    """``Options.state``, else ``$SOCIALTAP_STATE``, else the default path when resuming or
    incremental (both need a state file), else None (no checkpoints)."""
    path = options.state or os.environ.get("SOCIALTAP_STATE")
    if path:
        return path
    return str(default_state_path()) if options.resume or options.incremental else None


def open_state(prepared: Prepared) -> StateStore | None:
    """The task's state file (:func:`state_path`; for a write stream always one, as its
    ledger of created items lives there), or None."""
    path = state_path(prepared.task.options)
    if path is None and prepared.stream.write is not None:
        path = str(default_state_path())
    if path is None:
        return None
    return StateStore(path, secrets=run_secrets(prepared))


def first_requests(prepared: Prepared) -> list[Request]:
    requests = prepared.plugin_manager.hook.socialtap_requests(
        vendor=prepared.vendor, stream=prepared.stream, params=prepared.params
    )
    if requests is None:
        raise ConfigError(f"no plugin builds requests for {prepared.vendor.name}.{prepared.stream.name}")
    return list(requests)


# Errors every chain would meet: stop the run at once rather than fail chain after chain.
RUN_LEVEL_ERRORS = (AuthError, ConfigError, QuotaError, SecurityError)
PAGES_BUFFERED = 8  # pages a chain may fetch ahead of the output


@attrs.frozen
class _Page:
    records: list[Record]
    next_request: Request | None
    pages: int
    warning: str | None = None


@attrs.frozen
class _Failed:
    error: BaseException


class _Stopped(Exception):
    """Internal: the run is stopping; a worker leaves quietly."""


_FETCH_TIME_FIELDS = ("fetched_at", "as_of")


@functools.cache
def _identity_of(cls: type) -> Callable[[Any], tuple[Any, ...]]:
    """A getter of the fields of ``cls`` that say what a record is, not when it was fetched."""
    return operator.attrgetter(*(f.name for f in attrs.fields(cls) if f.name not in _FETCH_TIME_FIELDS))


def records_digest(records: list[Record]) -> str:
    """A digest of a page's records, blind to when they were fetched (``fetched_at``, ``as_of``).

    It runs on every page, so it reads only what tells a repeated page apart: how many
    records, and the first and the last one, field by field (``repr``, not JSON). Two pages
    of an honest chain never start and end with the same records.
    """
    sample = records if len(records) <= 2 else (records[0], records[-1])
    rows = [len(records), *((type(record).__name__, _identity_of(type(record))(record)) for record in sample)]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def redacted_record(record: Record, redactor: Any) -> Record:
    """``record`` with every secret in its text fields (nested ones too) replaced by ``***``."""
    data = to_dict(record)
    clean = redactor.payload(data)
    return record if clean == data else converter.structure(clean, type(record))


def write_sender(prepared: Prepared, engine: Engine, store: StateStore | None) -> WriteSender | None:
    """The sender of a write stream's requests (keys, keyed retries, the ledger in the
    state file: see :mod:`socialtap.idempotency`), or None for a stream that only reads."""
    write = prepared.stream.write
    if write is None:
        return None
    ledger = Ledger(store.path, secrets=run_secrets(prepared)) if store is not None else None
    return WriteSender(
        engine,
        write,
        vendor=prepared.vendor.name,
        stream=prepared.stream.name,
        base=prepared.base,
        task_id=prepared.task_id,
        ledger=ledger,
    )


def iter_chain_pages(
    prepared: Prepared,
    engine: Engine,
    request: Request,
    *,
    pages_before: int = 0,
    stop: threading.Event | None = None,
    writes: WriteSender | None = None,
) -> Iterator[_Page]:
    """One chain, page after page: each page's records and the request of the next (None at the end).

    A chain always ends: a page whose URL (fragment dropped, query pairs sorted, see
    :func:`socialtap.http.page_key`) was already fetched, or whose records repeat an
    earlier page's (a server handing out ``?junk=1``, ``?junk=2``... with the same
    items), ends it with a PayloadError. Empty pages are not compared.
    """
    hook = prepared.plugin_manager.hook
    vendor, stream = prepared.vendor, prepared.stream
    max_pages = prepared.task.options.max_pages
    fetched: set[str] = set()
    digests: set[str] = set()
    current: Request | None = request
    pages = pages_before
    while current is not None:
        if stop is not None and stop.is_set():
            raise _Stopped
        key = page_key(resolve_url(prepared.base_url, current.url), current.query, current.json)
        if key in fetched:
            raise PayloadError(
                f"{vendor.title} pointed the next page of {stream.name} back at {current.url}, already fetched; "
                f"stopping instead of looping. Report it to the vendor.",
                vendor=vendor.name,
            )
        fetched.add(key)
        response = writes.send(current) if writes is not None else engine.fetch(current, retry=stream.retry_safety)
        pages += 1
        with clock.pinned():  # the page's records share the moment its response came back
            records = list(
                hook.socialtap_normalize(vendor=vendor, stream=stream, request=current, payload=response.payload) or ()
            )
        if response.echoes_secret:
            records = [redacted_record(record, engine.redactor) for record in records]
        if records:
            digest = records_digest(records)
            if digest in digests:
                raise PayloadError(
                    f"{vendor.title} answered page {pages} of {stream.name} ({current.url}) with the same items as an "
                    f"earlier page of the chain {current.chain or 'main'}; stopping instead of looping. The records "
                    f"before it were kept. Report it to the vendor, or set max_pages.",
                    vendor=vendor.name,
                )
            digests.add(digest)
        try:
            following = hook.socialtap_next_request(vendor=vendor, stream=stream, request=current, response=response)
        except SecurityError as exc:
            if exc.vendor is not None:
                raise
            # A paginator refused an unsafe link (socialtap.http.resolve_link): name the vendor.
            raise SecurityError(f"{vendor.title} ({vendor.name}), stream {stream.name}: {exc}", vendor=vendor.name) from None
        following = None if following is END else following
        warning = None
        if following is not None and max_pages is not None and pages >= max_pages:
            warning = f"chain {current.chain or 'main'}: stopped after --max-pages {max_pages}"
            following = None
        yield _Page(records, following, pages, warning)
        current = following


def iter_records(
    task: Task,
    *,
    report: RunReport | None = None,
    plugin_manager: pluggy.PluginManager | None = None,
    checkpoint: Callable[[], Any] | None = None,
) -> Iterator[Record]:
    """Records of a task as they arrive. Pass a ``RunReport`` to have it filled in.

    Validation happens on the first ``next()``; no request is sent before it passes.
    With a state file, ``checkpoint()`` is called before each checkpoint is written: it
    must make the records handed out so far durable (flush the output) and may return
    a JSON-safe output position, stored with the checkpoint (see :mod:`socialtap.state`).
    """
    prepared = prepare(task, plugin_manager=plugin_manager)
    if report is None:
        report = RunReport(prepared.vendor.name, prepared.stream.name, prepared.task_id)
    else:
        report.vendor, report.stream, report.task_id = prepared.vendor.name, prepared.task.stream, prepared.task_id
    report.window = _window_dict(prepared)
    store = open_state(prepared)
    try:
        saved: dict[str, Checkpoint] = {}
        output = OutputKey("", "records", task.options.max_pages)
        if store is not None:
            start = store.start(prepared.task_id, output, resume=task.options.resume)
            report.warnings.extend(start.warnings)
            if start.complete:
                return
            saved = start.checkpoints
        with _recorded(prepared, report, store, output):
            yield from _run_prepared(prepared, report, store=store, checkpoint=checkpoint, output=output, saved=saved)
    finally:
        if store is not None:
            store.close()


def _window_dict(prepared: Prepared) -> dict[str, str] | None:
    return {"start": prepared.window[0], "end": prepared.window[1]} if prepared.window else None


@contextlib.contextmanager
def _recorded(prepared: Prepared, report: RunReport, store: StateStore | None, output: OutputKey) -> Iterator[None]:
    """Record the run in the state file: running, then how it ended.

    Only a run that got to its end (every chain done, output closed by the caller's block)
    succeeds, and only then does an incremental bookmark move. A failed or partially
    failed run (ChainsFailedError) is ``failed``; one interrupted (Ctrl-C, a consumer
    that stopped reading) is ``stopped``; one killed outright stays ``running``. Each
    leaves the bookmark where it was, so the next run fetches that window again.
    """
    if store is None:
        yield
        return
    info = prepared.task_info()
    store.begin_run(info, output, prepared.window)
    try:
        yield
    except BaseException as exc:
        failed = isinstance(exc, Exception) and not isinstance(exc, GeneratorExit)
        error = f"{type(exc).__name__}: {exc}" if failed else None
        store.finish_run(info, output, "failed" if failed else "stopped", records=report.total_records, error=error)
        raise
    bookmark = prepared.bookmark()
    if bookmark is not None and any("--max-pages" in w for w in report.warnings):
        # The window was not fetched to its end: the next run must start where this one did.
        report.warnings.append("the bookmark was not moved: --max-pages cut a chain short, so the window is incomplete")
        bookmark = None
    store.finish_run(info, output, "succeeded", records=report.total_records, bookmark=bookmark)


def _run_prepared(
    prepared: Prepared,
    report: RunReport,
    *,
    store: StateStore | None = None,
    checkpoint: Callable[[], Any] | None = None,
    output: OutputKey | None = None,
    saved: Mapping[str, Checkpoint] | None = None,
) -> Iterator[Record]:
    started = time.monotonic()
    engine = make_engine(prepared)
    writes = write_sender(prepared, engine, store)
    runner = _ChainRunner(prepared, engine, report, store, checkpoint, output, saved or {}, writes)
    try:
        if engine.ledger is not None and engine.ledger.budget is not None:
            engine.ledger.check_start(first_requests(prepared.parent or prepared))  # before any billed call
        values: list[str] = []
        if prepared.parent is not None:
            values = yield from _run_parent(prepared, engine, report, runner.dropped)
            if not values:
                return
            runner.prepared = _resolved(prepared, values)
        yield from runner.records()
        for sibling in prepared.siblings:
            # Checkpoints cover the first child stream; the others run whole.
            other = _ChainRunner(_resolved(sibling, values), engine, report, None, None)
            try:
                yield from other.records()
            finally:
                other.shutdown()
                runner.dropped |= other.dropped
    except Exception as exc:
        # The choke point: every error of a run leaves through here, redacted by the engine
        # that knows the secrets, before any surface (CLI, serve, n8n, Airflow) shows it.
        engine.redact_error(exc)
        raise
    finally:
        runner.shutdown()
        if runner.dropped:
            report.warnings.append(dropped_warning(prepared.vendor, runner.dropped))
        if writes is not None:
            report.warnings.extend(filter(None, [writes.warning()]))
            if writes.ledger is not None:
                writes.ledger.close()
        report.requests, report.bytes = engine.requests_sent, engine.bytes_received
        report.retries, report.rate_limit_waits = engine.retries, engine.rate_limit_waits
        report.rate_limit_wait_seconds = round(engine.rate_limit_wait_seconds, 3)
        if engine.ledger is not None:
            report.credits = engine.ledger.spent
        report.duration += time.monotonic() - started
        engine.close()


class _ChainRunner:
    """Runs the chains of one task on worker threads and hands out their records in order."""

    def __init__(
        self,
        prepared: Prepared,
        engine: Engine,
        report: RunReport,
        store: StateStore | None,
        checkpoint: Callable[[], Any] | None,
        output: OutputKey | None = None,
        saved: Mapping[str, Checkpoint] | None = None,
        writes: WriteSender | None = None,
    ):
        self.prepared = prepared
        self.writes = writes
        self.output = output
        self.saved = dict(saved or {})
        self.engine = engine
        self.report = report
        self.store = store
        self.checkpoint = checkpoint
        self.options = prepared.task.options
        self.stop = threading.Event()
        self.fatal: list[BaseException] = []
        self.pool: ThreadPoolExecutor | None = None
        self.progress: Progress | None = None
        self._done = 0  # chains finished (done, failed or skipped), for the progress bar
        # ``type.field`` of the personal fields left out so far (one warning at the end).
        self.dropped: set[str] = set()
        engine.sleep = self._sleep

    def _sleep(self, seconds: float) -> None:
        if self.stop.wait(seconds):
            raise _Stopped

    # -- planning ---------------------------------------------------------------------

    def _plan(self) -> list[tuple[ChainReport, Request | None]]:
        """Each chain with the request to start from (None: done in an earlier run).

        ``self.saved`` holds the checkpoints to resume from, chosen (and the stale ones
        cleared) by :meth:`StateStore.start` before the output was opened.
        """
        saved = self.saved
        plan = []
        for request in first_requests(self.prepared):
            chain = ChainReport(request.chain)
            point = saved.get(request.chain)
            start: Request | None = request
            if point is not None and point.done:
                chain.status, chain.pages, start = "skipped", point.pages, None
            elif point is not None and point.next_request is not None:
                sandbox = self.prepared.base_url if self.prepared.task.options.sandbox else None
                start = request_from_json(point.next_request, request.params, sandbox_base=sandbox)
                chain.pages = chain.resumed_from_page = point.pages
            plan.append((chain, start))
        if saved and plan and all(chain.status == "skipped" for chain, _ in plan):
            # Without this, a --resume of a finished task looks like a run that found nothing.
            self.report.warnings.append(
                f"already complete: all {len(plan)} chain(s) of this task were written by an earlier run, "
                f"so nothing was fetched; run without --resume to fetch them again"
            )
        return plan

    # -- workers ----------------------------------------------------------------------

    def _put(self, box: queue.Queue, item: Any) -> bool:
        while not self.stop.is_set():
            try:
                box.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _work(self, box: queue.Queue, chain: ChainReport, request: Request) -> None:
        try:
            for page in self._pages(chain, request):
                if not self._put(box, page):
                    return
        except _Stopped:
            return
        except BaseException as exc:  # handed to the consumer thread, which decides
            # Redacted here, so chain.error and ChainsFailedError are built from clean text.
            self.engine.redact_error(exc)
            if self._ends_the_run(exc):
                self.fatal.append(exc)
                self.stop.set()
            else:
                self._put(box, _Failed(exc))

    # -- the consumer -----------------------------------------------------------------

    def _next(self, box: queue.Queue) -> Any:
        while True:
            if self.fatal:
                raise self.fatal[0]
            try:
                return box.get(timeout=0.05)
            except queue.Empty:
                continue

    def records(self) -> Iterator[Record]:
        plan = self._plan()
        report = self.report
        report.chains.extend(chain for chain, _ in plan)
        label = f"{self.prepared.vendor.name}.{self.prepared.stream.name}"
        self.progress = Progress(len(plan), label=label, enabled=None if self.options.progress else False)
        workers = min(self.options.concurrency, max(1, len(plan)))
        # One chain at a time runs in this thread: a worker thread would only add a hand-off
        # per page (and GIL switches), with nothing to overlap it with.
        inline = workers == 1
        if not inline:
            self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="socialtap-chain")
        window = max(2 * workers, 2)  # chains started ahead of the one being written
        boxes: list[queue.Queue | None] = [None] * len(plan)
        started = 0
        failures: list[tuple[str, SocialtapError]] = []
        self._done = sum(1 for chain, _ in plan if chain.status == "skipped")
        for index, (chain, first) in enumerate(plan):
            if inline:
                if first is not None:
                    yield from self._drain(chain, self._inline_pages(chain, first), failures)
                continue
            while started < len(plan) and started < index + window:
                later_chain, start = plan[started]
                if start is not None:
                    box: queue.Queue = queue.Queue(maxsize=PAGES_BUFFERED)
                    boxes[started] = box
                    self.pool.submit(self._work, box, later_chain, start)
                started += 1
            box_now = boxes[index]
            if box_now is None:
                continue
            boxes[index] = None
            yield from self._drain(chain, self._boxed(box_now), failures)
        self._show(self._done)
        if failures:
            if len(plan) == 1:
                raise failures[0][1]
            over_budget = [error for _, error in failures if isinstance(error, BudgetExceeded)]
            if len(over_budget) == len(failures):
                raise over_budget[-1]  # the last says what was spent in all
            raise ChainsFailedError(failures)

    def _boxed(self, box: queue.Queue) -> Iterator[Any]:
        while True:
            yield self._next(box)

    def _inline_pages(self, chain: ChainReport, request: Request) -> Iterator[Any]:
        """A chain's pages fetched in this thread, a failure handed on as :meth:`_work` does."""
        try:
            yield from self._pages(chain, request)
        except _Stopped:
            return
        except BaseException as exc:
            self.engine.redact_error(exc)
            if self._ends_the_run(exc):
                raise
            yield _Failed(exc)

    def _pages(self, chain: ChainReport, request: Request) -> Iterator[_Page]:
        return iter_chain_pages(self.prepared, self.engine, request, pages_before=chain.pages, stop=self.stop, writes=self.writes)

    def _ends_the_run(self, exc: BaseException) -> bool:
        """Whether a chain's error stops every chain, or only its own (then the others' records are kept)."""
        # A chain at the credit budget stops alone: pages the others already paid for are still written.
        run_level = isinstance(exc, RUN_LEVEL_ERRORS) and not isinstance(exc, BudgetExceeded)
        return self.options.fail_fast or run_level or not isinstance(exc, SocialtapError)

    def _drain(self, chain: ChainReport, pages: Iterator[Any], failures: list[tuple[str, SocialtapError]]) -> Iterator[Record]:
        """The records of one chain's pages, in order; its report and checkpoints kept up to date."""
        report = self.report
        for item in pages:
            if isinstance(item, _Failed):
                error = item.error
                # A chain at the credit budget did not fail: it was stopped before spending more.
                chain.status = "stopped" if isinstance(error, BudgetExceeded) else "failed"
                chain.error = f"{type(error).__name__}: {error}"
                failures.append((chain.chain or "main", error))  # type: ignore[arg-type]
                self._done += 1
                return
            for record in item.records:
                if self.prepared.redact is not None:
                    # The one place the vendor's terms apply: after normalize, before any output.
                    record = self.prepared.redact.redact(record, self.dropped)
                chain.records += 1
                report.count(record)
                yield record
            chain.pages = item.pages
            report.pages += 1
            if item.warning:
                report.warnings.append(item.warning)
            if item.next_request is None:
                chain.status = "done"
                self._done += 1
            self._save(chain, item)
            self._show(self._done)
            if item.next_request is None:
                return

    def _save(self, chain: ChainReport, page: _Page) -> None:
        if self.store is None:
            return
        position = self.checkpoint() if self.checkpoint is not None else None
        output = self.output or OutputKey("", "records", self.options.max_pages)
        self.store.save(self.prepared.task_id, output, chain.chain, page.next_request, chain.pages, position)

    def _show(self, done: int) -> None:
        report, engine = self.report, self.engine
        report.requests, report.bytes = engine.requests_sent, engine.bytes_received
        report.retries, report.rate_limit_waits = engine.retries, engine.rate_limit_waits
        if self.progress is not None:
            self.progress.update(
                chains_done=done,
                pages=report.pages,
                records=report.total_records,
                requests=report.requests,
                retries=report.retries,
                waits=report.rate_limit_waits,
            )

    def shutdown(self) -> None:
        self.stop.set()
        for chain in self.report.chains:
            if chain.status == "pending":
                chain.status = "stopped"
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        if self.progress is not None:
            self.progress.close()


def run(
    task: Task,
    *,
    sink: Callable[[Record], None] | None = None,
    plugin_manager: pluggy.PluginManager | None = None,
) -> RunReport:
    """Run a task to the end, handing each record to ``sink``; return the report.

    On error the report is attached to the exception as ``exc.report``: what was
    already handed to ``sink`` stays handed.
    """
    report = RunReport(task.vendor, task.stream, "")
    try:
        for record in iter_records(task, report=report, plugin_manager=plugin_manager):
            if sink is not None:
                sink(record)
    except SocialtapError as exc:
        report.error = f"{type(exc).__name__}: {exc}"
        exc.report = report  # type: ignore[attr-defined]
        raise
    return report


def run_to_output(
    task: Task,
    fmt: str = "jsonl",
    output: str | None = None,
    *,
    report: RunReport | None = None,
    plugin_manager: pluggy.PluginManager | None = None,
) -> RunReport:
    """Run a task into an output (``jsonl``, ``csv``, ``sqlite``), checkpointing as it goes.

    Before any request: the task is validated, the output is checked
    (:func:`~socialtap.outputs.check_output`), locked against other runs
    (:func:`~socialtap.outputs.output_lock`, :class:`~socialtap.errors.OutputBusyError`)
    and the state file opened; each problem is a ConfigError (exit 2).

    With a state file (``Options.state``) the output is checkpointed with every page, so
    ``Options.resume`` continues an interrupted run into the same output (same path,
    format and ``max_pages``) and the output holds every record once (see
    :mod:`socialtap.state`). A resume whose checkpoints are for another output warns in
    ``report.warnings`` and starts over. Nothing is created before the first page
    arrives. On error the report is attached as ``exc.report`` and what was written is kept.
    """
    report = report if report is not None else RunReport(task.vendor, task.stream, "")
    try:
        prepared = prepare(task, plugin_manager=plugin_manager)
        options = task.options
        destination = check_output(fmt, output, resume=options.resume)
        key = OutputKey(str(destination) if destination is not None else "-", fmt, options.max_pages)
        with contextlib.ExitStack() as stack:
            if destination is not None:  # stdout: no file to interleave into
                stack.enter_context(output_lock(destination))
            store = open_state(prepared)
            start = Start()
            if store is not None:
                stack.callback(store.close)
                start = store.start(prepared.task_id, key, resume=options.resume)
            # Set only now: a caller (the CLI) reads a task id as "the run started", so an
            # output or state problem found above is reported alone, without a summary.
            report.vendor, report.stream, report.task_id = prepared.vendor.name, prepared.task.stream, prepared.task_id
            report.window = _window_dict(prepared)
            report.warnings.extend(start.warnings)
            if start.complete:
                return report  # the output is left untouched: not even opened
            if store is not None:
                out = LazyOutput(
                    lambda: open_output(fmt, destination, prepared.task_id, resume=start.resuming, position=start.position)
                )
                if start.resuming:
                    out.position()  # rewind the output now: records of pages after the checkpoint are dropped
            else:
                out = LazyOutput(lambda: open_writer(fmt, destination))
            started = clock.now()
            with _recorded(prepared, report, store, key):
                try:
                    for record in _run_prepared(
                        prepared, report, store=store, checkpoint=out.position, output=key, saved=start.checkpoints
                    ):
                        out.write(record)
                except BaseException as exc:
                    # Set here too (as below), so the SQLite output's run row records the outcome.
                    report.error = f"{type(exc).__name__}: {exc}"
                    raise
                finally:
                    # The vendor's retention: a SQLite output drops rows stored too long ago, files warn.
                    apply_retention(out.writer, fmt, destination, prepared.vendor, report)
                    # A SQLite output keeps a row per run (socialtap_runs), written as it is closed.
                    log_run(out.writer, fmt, destination, report, params=unstructure(prepared.params), started=started)
                    out.close()
    except SocialtapError as exc:
        report.error = f"{type(exc).__name__}: {exc}"
        exc.report = report  # type: ignore[attr-defined]
        raise
    return report
