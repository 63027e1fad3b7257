"""The runner: ``Task`` -> validated inputs -> request chains -> records + ``RunReport``.

This API, not the CLI, is what the CLI, Airflow and n8n wrappers call. Everything a user
can get wrong (vendor, stream, params, credentials, base URL) is checked in
:func:`prepare`, before any request is sent.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import attrs
import pluggy

from socialtap.declarations import Stream, Vendor
from socialtap.engine import Engine, EngineOptions, user_agent
from socialtap.errors import ConfigError, PayloadError, SocialtapError
from socialtap.http import Request, resolve_url
from socialtap.pagination import END
from socialtap.params import unstructure, validate_params
from socialtap.plugins import distribution_of, get_plugin_manager, get_registry
from socialtap.records import TYPE_NAMES, Record


@attrs.frozen
class Options:
    """How to run a task (not what to fetch)."""

    base_url: str | None = None
    max_pages: int | None = None
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_response_bytes: int = 32 * 1024 * 1024


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
    chain: str
    status: str = "pending"
    pages: int = 0
    records: int = 0
    error: str | None = None


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
    bytes: int = 0
    duration: float = 0.0
    warnings: list[str] = attrs.field(factory=list)
    chains: list[ChainReport] = attrs.field(factory=list)
    error: str | None = None

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
    base_url = override or os.environ.get(vendor.env_var("base_url")) or vendor.base_url
    if not base_url.startswith(("http://", "https://")):
        raise ConfigError(f"base URL {base_url!r} for {vendor.name} must start with http:// or https://")
    return base_url.rstrip("/")


def task_id(vendor: str, stream: str, params: Any, base_url: str) -> str:
    """Stable id from vendor, stream, params and base URL (never credentials)."""
    blob = json.dumps([vendor, stream, unstructure(params), base_url], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def prepare(task: Task, *, plugin_manager: pluggy.PluginManager | None = None) -> Prepared:
    """Resolve and validate everything about a task; raise ConfigError on any problem."""
    pm = plugin_manager or get_plugin_manager()
    registry = get_registry(plugin_manager)
    vendor = registry.get(task.vendor)
    stream = vendor.stream(task.stream)
    params = validate_params(stream.params, task.params)
    credentials = resolve_credentials(vendor, task.credentials)
    base_url = resolve_base_url(vendor, task.options.base_url)
    return Prepared(task, vendor, stream, params, credentials, base_url, task_id(vendor.name, stream.name, params, base_url), pm)


def make_engine(prepared: Prepared) -> Engine:
    pm = prepared.plugin_manager
    vendor = prepared.vendor
    auth = pm.hook.socialtap_auth(vendor=vendor, credentials=dict(prepared.credentials))
    if auth is None:
        raise ConfigError(f"no plugin builds auth for {vendor.name}; is its plugin installed?")
    env_hint = " / ".join(vendor.env_var(name) for group in vendor.auth.fields() for name in group)
    entry = get_registry(prepared.plugin_manager).entries[vendor.name]
    secrets = list(prepared.credentials.values())
    # The header value derived from the credentials (e.g. base64 of key:secret) is a secret too.
    header_value = getattr(auth, "_value", None)
    if header_value:
        secrets += [header_value, header_value.split(" ", 1)[-1]]
    options = prepared.task.options
    return Engine(
        vendor,
        prepared.base_url,
        auth,
        pm.hook,
        options=EngineOptions(options.connect_timeout, options.read_timeout, options.max_response_bytes),
        secrets=secrets,
        env_hint=env_hint,
        user_agent=user_agent(distribution_of(pm, pm.get_plugin(entry.plugin_name))),
    )


def first_requests(prepared: Prepared) -> list[Request]:
    requests = prepared.plugin_manager.hook.socialtap_requests(
        vendor=prepared.vendor, stream=prepared.stream, params=prepared.params
    )
    if requests is None:
        raise ConfigError(f"no plugin builds requests for {prepared.vendor.name}.{prepared.stream.name}")
    return list(requests)


def iter_chain(prepared: Prepared, engine: Engine, request: Request, report: RunReport, chain: ChainReport) -> Iterator[Record]:
    """Records of one chain, page after page; memory holds one page at a time."""
    hook = prepared.plugin_manager.hook
    vendor, stream = prepared.vendor, prepared.stream
    max_pages = prepared.task.options.max_pages
    fetched: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    current: Request | None = request
    while current is not None:
        if max_pages is not None and chain.pages >= max_pages:
            report.warnings.append(f"chain {chain.chain or 'main'}: stopped after --max-pages {max_pages}")
            break
        key = (resolve_url(prepared.base_url, current.url), current.query)
        if key in fetched:
            raise PayloadError(
                f"{vendor.title} pointed the next page of {stream.name} back at {current.url}, already fetched; "
                f"stopping instead of looping. Report it to the vendor.",
                vendor=vendor.name,
            )
        fetched.add(key)
        response = engine.send(current)
        report.requests, report.bytes = engine.requests_sent, engine.bytes_received
        chain.pages += 1
        report.pages += 1
        records = hook.socialtap_normalize(vendor=vendor, stream=stream, request=current, payload=response.payload)
        for record in records or ():
            chain.records += 1
            report.count(record)
            yield record
        following = hook.socialtap_next_request(vendor=vendor, stream=stream, request=current, response=response)
        current = None if following is END else following


def iter_records(
    task: Task,
    *,
    report: RunReport | None = None,
    plugin_manager: pluggy.PluginManager | None = None,
) -> Iterator[Record]:
    """Records of a task as they arrive. Pass a ``RunReport`` to have it filled in.

    Validation happens on the first ``next()``; no request is sent before it passes.
    """
    prepared = prepare(task, plugin_manager=plugin_manager)
    if report is None:
        report = RunReport(prepared.vendor.name, prepared.stream.name, prepared.task_id)
    else:
        report.vendor, report.stream, report.task_id = prepared.vendor.name, prepared.stream.name, prepared.task_id
    yield from _run_prepared(prepared, report)


def _run_prepared(prepared: Prepared, report: RunReport) -> Iterator[Record]:
    started = time.monotonic()
    engine = make_engine(prepared)
    try:
        for request in first_requests(prepared):
            chain = ChainReport(request.chain)
            report.chains.append(chain)
            try:
                yield from iter_chain(prepared, engine, request, report, chain)
            except SocialtapError as exc:
                chain.status, chain.error = "failed", str(exc)
                raise
            chain.status = "done"
    finally:
        report.requests, report.bytes = engine.requests_sent, engine.bytes_received
        report.duration += time.monotonic() - started
        engine.close()


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
