"""Secrets never in text: every installed vendor's streams against a sandbox that echoes them.

Each vendor's sandbox is wrapped in :class:`socialtap.testing.EchoSecrets`, which answers
400/401/403/422/500 with bodies quoting the Authorization header it received (and Basic's
decoded ``key:secret``, JSON-escaped, placed across the 300-character cut), or passes the
sandbox's answer on with the echo added to its body, its next-page links and its headers.
The sandbox's test credentials are the canary. Every stream runs (params from the
vendor's own contract suite); then every text a user or an orchestrator could see is
scanned: the CLI's stdout/stderr at every log level, with and without ``--debug`` (the traceback too),
``socialtap serve`` responses, ``socialtap n8n`` output, log records at DEBUG, output and
state files (their bytes, SQLite WAL included), and each RunReport as JSON; each secret is
looked for as it is, URL- and JSON-escaped, and base64-encoded.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import logging
import os
import traceback
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
import requests
from click.testing import CliRunner
from werkzeug.test import Client

from socialtap.cli import main
from socialtap.declarations import RateLimit
from socialtap.errors import QuotaError, SecurityError, SocialtapError
from socialtap.logs import LEVELS
from socialtap.plugins import get_plugin_manager, get_registry
from socialtap.runner import Options, RunReport, Task, run_to_output
from socialtap.serve import ServeApp
from socialtap.testing import EchoSecrets, serve_sandbox
from socialtap.testing.contract import ContractSuite
from socialtap.testing.echo import base64_forms, echo_values

ROOT = Path(__file__).parents[1]
ERRORS = (400, 401, 403, 422, 500)
MODES = (*ERRORS, None)  # None: the sandbox answers, with the echo in body, links and headers
SURFACES = {  # 500 is retried with backoff by every surface: the library runs above cover it
    "cli": (400, 401, 403, 422, None),
    "cli --debug": (401, 422),
    # Every log level (a group option: before `run`); DEBUG logs each request and response,
    # so it meets an error and a success. Few runs: each costs a request at the vendor's limit.
    **{f"cli --log-level {level}": (401, None) if level == "DEBUG" else (None,) for level in LEVELS},
    "cli -vv --debug": (403,),
    "n8n": (403, None),
    "serve": (400, 401, None),
    "serve ndjson": (None,),
    "serve credentials": (401, None),  # per request, as the n8n node sends them
}
FAST = {"rate_limit": RateLimit(10_000, 1.0), "max_attempts": 1}  # the canary is about text, not pacing


_MODULES: list[object] = []  # keeps the loaded suites alive (__subclasses__ holds weak references)


def contract_suites() -> dict[str, type[ContractSuite]]:
    """Each vendor's contract suite (its sample params), from the plugins' own test files."""
    for path in [*sorted(ROOT.glob("plugins/*/tests/test_contract.py")), *sorted(ROOT.glob("tests/test_contract_*.py"))]:
        name = f"_canary_{path.parent.parent.name}_{path.stem}"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _MODULES.append(module)
    return {suite.vendor: suite for suite in _subclasses(ContractSuite) if getattr(suite, "vendor", "")}


def _subclasses(cls: type) -> list[type]:
    return [sub for direct in cls.__subclasses__() for sub in (direct, *_subclasses(direct))]


SUITES = contract_suites()
VENDORS = sorted(v.name for v in get_registry().vendors())


def canary_values(vendor_name: str, credentials: dict[str, str]) -> list[str]:
    """The credentials, the Authorization header built from them and its parts, as echoed."""
    pm = get_plugin_manager()
    vendor = get_registry().get(vendor_name)
    auth = pm.hook.socialtap_auth(vendor=vendor, credentials=dict(credentials))
    prepared = auth(requests.Request("GET", "https://canary.invalid/").prepare())
    values = [v for v in credentials.values() if v]
    for value in prepared.headers.values():
        if any(secret in value for secret in values) or value.startswith(("Basic ", "Bearer ", "Token ", "Apikey ")):
            values += echo_values(value)
    # The base64 forms too (standard and URL-safe, padded or not): a credential encoded is still the credential.
    values += [form for v in values for form in base64_forms(v)]
    spelled = {s for v in values for s in (v, quote(v, safe=""), quote_plus(v), json.dumps(v)[1:-1].replace("/", "\\/"))}
    return sorted(spelled, key=len, reverse=True)


def scan(where: str, text: str | bytes, secrets: list[str]) -> None:
    if isinstance(text, bytes):
        found = [s for s in secrets if s.encode() in text]
    else:
        found = [s for s in secrets if s in text]
    assert not found, f"a secret ({found[0][:4]}…) appears in {where}"


def run_surface(surface, vendor, stream, params, base_url, tmp_path, cli):
    """Run one surface once; yield (what, its text, whether it succeeded)."""
    if surface.startswith("cli"):
        args = ["run", vendor, stream, "--params", json.dumps(params), "--base-url", base_url, "--max-pages", "1"]
        state = os.environ.get("SOCIALTAP_STATE") or str(tmp_path / "cli-state.sqlite")
        args += ["--state", state, "-o", str(tmp_path / "cli-out.jsonl")]
        extra = surface.split()[1:]
        group = [a for a in extra if a.startswith("-v")] + (
            extra[extra.index("--log-level") :][:2] if "--log-level" in extra else []
        )
        extra = [a for a in extra if a not in group]
        result = cli.invoke(main, [*group, *args, *extra], catch_exceptions=True)
        ok = result.exit_code == 0
        yield "stdout", result.stdout, ok
        yield "stderr", result.stderr, ok
        if result.exc_info is not None and not isinstance(result.exception, SystemExit):
            # What the interpreter prints for --debug: the traceback with its chained exceptions.
            yield "traceback", "".join(traceback.format_exception(*result.exc_info)), ok
    elif surface == "n8n":
        items = json.dumps([{"json": {"vendor": vendor, "stream": stream, "params": params}}])
        result = cli.invoke(main, ["n8n", "--max-pages", "1"], input=items)
        yield "stdout", result.stdout, result.exit_code == 0
        yield "stderr", result.stderr, result.exit_code == 0
    else:
        body = {"vendor": vendor, "stream": stream, "params": params, "max_pages": 1}
        if surface.endswith("credentials"):
            declared = get_registry().get(vendor)
            fields = {name for group in declared.auth.fields() for name in group}
            body["credentials"] = {n: os.environ[declared.env_var(n)] for n in fields if declared.env_var(n) in os.environ}
        answer = Client(ServeApp()).post(
            "/run?format=ndjson" if surface.endswith("ndjson") else "/run",
            json=body,
            environ_base={"REMOTE_ADDR": "127.0.0.1"},  # per-request credentials come from this machine
        )
        text = answer.get_data(as_text=True)
        yield "response", text, answer.status_code == 200 and '"error"' not in text


def sandbox_options(vendor: str, suite: type[ContractSuite]) -> dict:
    """The suite's sandbox options, with the sandbox's own rate limit off where it has one:
    the library runs below are unthrottled (the canary is about text, not pacing)."""
    sandbox = get_plugin_manager().hook.socialtap_sandbox(vendor=get_registry().get(vendor))
    options = dict(suite.sandbox_options)
    if "rate_limit" in inspect.signature(sandbox.app).parameters:
        options.setdefault("rate_limit", None)
    return options


def signed_streams(suite: type[ContractSuite]) -> dict[str, dict]:
    """The suite's sample params of the streams that send credentials: a public stream
    (``Stream(public=True)``) sends none, so there is nothing for the sandbox to echo."""
    vendor = get_registry().get(suite.vendor)
    return {name: params for name, params in suite.sample_params.items() if not vendor.stream(name).public}


def smallest_stream(suite: type[ContractSuite]) -> str:
    """The stream with the fewest params: one chain, few requests (surfaces run it per mode)."""
    streams = signed_streams(suite)
    return min(streams, key=lambda name: len(json.dumps(streams[name])))


@pytest.mark.parametrize("vendor", VENDORS)
def test_no_secret_in_any_output(vendor, tmp_path, caplog, monkeypatch):
    assert vendor in SUITES, f"{vendor} has no contract suite (sample params) for the canary"
    suite = SUITES[vendor]
    caplog.set_level(logging.DEBUG)
    echoes: list[EchoSecrets] = []

    def wrap(app):
        echoes.append(EchoSecrets(app, status=None))
        return echoes[0]

    texts: list[tuple[str, str]] = []
    with serve_sandbox(vendor, wrap=wrap, **sandbox_options(vendor, suite)) as sandbox:
        echo = echoes[0]
        secrets = canary_values(vendor, sandbox.credentials)
        b64 = [s for s in secrets if s.startswith("Basic ")]
        secrets += [s.split(" ", 1)[1][:8] for s in b64]  # a base64 value cut mid-string
        run_dir = tmp_path / "runs"
        run_dir.mkdir()

        # 1. The library: every stream, errors spread over the streams, echoes on every stream.
        succeeded = 0
        for index, (stream, params) in enumerate(signed_streams(suite).items()):
            # An error answer (into JSON Lines, with a state file); the echo in a 200 body, its
            # headers and next links, which are followed (into SQLite); once, with a state file
            # that must refuse the echoed link.
            runs = [(ERRORS[index % len(ERRORS)], "jsonl", True, 1), (None, "sqlite", False, 2)]
            for mode, fmt, state, pages in runs + ([(None, "jsonl", True, 2)] if index == 0 else []):
                echo.status = mode
                report = RunReport(vendor, stream, "")
                out = run_dir / f"{stream}-{mode}-{fmt}.{fmt}"
                options = Options(
                    base_url=sandbox.base_url,
                    max_pages=pages,
                    state=str(run_dir / "state.sqlite") if state else None,
                    **FAST,
                )
                try:
                    run_to_output(Task(vendor, stream, params, sandbox.credentials, options), fmt, str(out), report=report)
                except SocialtapError as exc:
                    texts.append((f"{stream} {mode} error", str(exc)))
                    texts.append((f"{stream} {mode} traceback", "".join(traceback.format_exception(exc))))
                    # The state file refuses an echoed next link (SecurityError); a sandbox that
                    # keeps a rate limit may answer 429. Either way the text is scanned below.
                    assert mode is not None or isinstance(exc, (QuotaError, SecurityError)), str(exc)
                else:
                    assert mode is None, f"{stream}: HTTP {mode} did not fail the run"
                    succeeded += 1
                texts.append((f"{stream} {mode} report", json.dumps(report.as_dict())))

        assert succeeded >= len(signed_streams(suite)) // 2, "too few echoing runs got through for the canary to prove anything"

        # 2. The surfaces, on one small stream. They run at the vendor's own rate limit, so
        # each surface meets the modes that take a different path through it.
        stream = smallest_stream(suite)
        params = suite.sample_params[stream]
        declared = get_registry().get(vendor)
        for name, value in sandbox.credentials.items():
            monkeypatch.setenv(declared.env_var(name), value)
        monkeypatch.setenv(declared.env_var("base_url"), sandbox.base_url)
        cli = CliRunner()
        for surface, modes in SURFACES.items():
            for mode in modes:
                echo.status = mode
                # A state file per run: a write stream's ledger would otherwise answer a rerun
                # of the same task itself, and the server (with its echo) would not be asked.
                monkeypatch.setenv("SOCIALTAP_STATE", str(tmp_path / f"state-{surface}-{mode}.sqlite".replace(" ", "-")))
                for where, text, ok in run_surface(surface, vendor, stream, params, sandbox.base_url, tmp_path, cli):
                    texts.append((f"{surface} {mode} {where}", text))
                    assert ok == (mode is None), (surface, mode, text[-500:])
        assert echo.echoed >= len(signed_streams(suite)), "the sandbox echoed too little for the canary to prove anything"

    for where, text in texts:
        scan(where, text, secrets)
    for record in caplog.records:
        scan(f"log record {record.name}", record.getMessage(), secrets)
    scan("the log", caplog.text, secrets)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name.startswith("state.sqlite") for p in files) and any(p.suffix == ".jsonl" for p in files)
    for path in files:
        scan(f"file {path.name}", path.read_bytes(), secrets)
