"""The ``socialtap`` command line."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import signal
import sys
import threading
import traceback
import typing
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import attrs
import click

from socialtap.config import config_options
from socialtap.errors import ConfigError, SocialtapError
from socialtap.logs import LEVELS, level_from
from socialtap.logs import configure as configure_logging
from socialtap.outputs import FORMATS
from socialtap.plugins import get_plugin_manager, get_registry, plugin_info
from socialtap.runner import Options, RunReport, Task, run_to_output


def parse_param_pairs(pairs: Iterable[str], flag: str = "-p") -> dict[str, Any]:
    """``-p key=value`` pairs: values parse as JSON when they can, else as strings;
    a repeated key makes a list. A value with surrounding whitespace stays a string.
    ``flag`` names the option in the error for a pair without ``=``."""
    params: dict[str, Any] = {}
    repeated: set[str] = set()
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"{flag} expects key=value, got {pair!r}")
        try:
            # JSON ignores surrounding whitespace: "123\n" would silently become 123. Keep
            # such text a string, so params validation names the stray character.
            value = json.loads(text) if text == text.strip() else text
        except ValueError:
            value = text
        if key in params:
            if key not in repeated:
                params[key] = [params[key]]
                repeated.add(key)
            params[key].append(value)
        else:
            params[key] = value
    return params


def task_params(params_json: str | None, pairs: Iterable[str]) -> dict[str, Any]:
    """A task's params from ``--params`` (JSON, ``@file.json`` or ``@-``) and ``-p key=value`` pairs (the pairs win)."""
    params: dict[str, Any] = read_params_json(params_json) if params_json else {}
    params.update(parse_param_pairs(pairs))
    return params


def json_kind(value: Any) -> str:
    """How JSON names a parsed value's type, for messages (``null``, ``an array``, ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    kinds = {str: "a string", int: "a number", float: "a number", list: "an array", dict: "an object"}
    return kinds.get(type(value), type(value).__name__)


def fail(exc: SocialtapError, debug: bool) -> typing.NoReturn:
    """Print ``error: <Type>: <message>`` on stderr and exit with the error's code.

    ``--debug`` prints the traceback first, but keeps the documented exit code: scripts
    that branch on 2 (config) or 3 (auth) must not see click's generic 1 instead.
    """
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    click.echo(f"error: {type(exc).__name__}: {one_line(str(exc))}", err=True)
    sys.exit(exc.exit_code)


def one_line(message: str) -> str:
    """A multi-line message (a ConfigError's list of problems) as one line, items joined by ``; ``.

    One line per error lets scripts and log collectors take stderr's last line as the error.
    """
    first, *rest = [line.strip() for line in message.splitlines() if line.strip()] or [""]
    items = [line.removeprefix("- ") for line in rest]
    return f"{first.rstrip(':')}: {'; '.join(items)}" if items else first


@contextlib.contextmanager
def handled(debug: bool = False) -> Iterator[None]:
    try:
        yield
    except SocialtapError as exc:
        fail(exc, debug)


@contextlib.contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C (a ``KeyboardInterrupt``) for the block.

    Long-running commands (``sandbox``, ``serve``) must stop cleanly when a supervisor,
    a test or ``kill`` sends SIGTERM, and when started as a background job from a script,
    where the shell ignores SIGINT for them and Ctrl-C cannot reach them at all.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be installed from the main thread
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def check_can_listen(host: str, port: int) -> None:
    """ConfigError unless ``host``:``port`` can be bound (taken, or not an address of this machine).

    Checked with a probe socket first because werkzeug's server prints its own message and
    exits 1 on a taken port, which would bypass the documented exit code.
    """
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the real server does
            probe.bind((host, port))
    except OSError as exc:
        raise ConfigError(
            f"cannot listen on {host} port {port} ({exc.strerror or exc}); pick another --port (0: any free port)"
        ) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="socialtap")
@click.option(
    "--log-level",
    type=click.Choice(LEVELS, case_sensitive=False),
    envvar="SOCIALTAP_LOG_LEVEL",
    help="Log to stderr from this level (INFO: one line per request) [default: WARNING].",
)
@click.option("-v", "--verbose", count=True, help="-v logs at INFO, -vv at DEBUG.")
def main(log_level: str | None, verbose: int) -> None:
    """Pull social-media analytics from vendor APIs into files, SQLite, Airflow and n8n."""
    configure_logging(level_from(log_level, verbose))


@main.command()
@click.option("--all", "include_internal", is_flag=True, help="Include the core's internal default plugins.")
def plugins(include_internal: bool) -> None:
    """List installed plugins as JSON: name, version, hooks, vendors."""
    with handled():
        click.echo(json.dumps(plugin_info(get_plugin_manager(), include_internal=include_internal), indent=2))


@main.command()
def vendors() -> None:
    """List the vendors of the installed plugins."""
    with handled():
        for vendor in get_registry().vendors():
            streams = ", ".join(s.name for s in vendor.streams)
            click.echo(f"{vendor.name}\t{vendor.title}\t{vendor.base_url}\tstreams: {streams}")


def describe_params(params_class: type) -> list[dict[str, Any]]:
    """Each param of a stream for ``socialtap streams`` and serve: name, type, required,
    default, doc, and the allowed values and bounds its JSON Schema (``socialtap spec``) holds."""
    from socialtap.schema import field_schema, limits

    attrs.resolve_types(params_class)
    rows = []
    for field in attrs.fields(params_class):
        default = field.default
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            default = default.factory()
        rows.append(
            {
                "name": field.alias or field.name,
                "type": _type_name(field.type),
                "required": field.default is attrs.NOTHING,
                "default": None if default is attrs.NOTHING else _jsonable(default),
                "doc": field.metadata.get("doc", ""),
                **limits(field_schema(field)),
            }
        )
    return rows


def _type_name(tp: Any) -> str:
    """A type as a user reads it: ``list[Resource]``, ``date (YYYY-MM-DD) | None``."""
    text = tp.__name__ if isinstance(tp, type) and not typing.get_args(tp) else str(tp)
    text = re.sub(r"\b(?:[A-Za-z_]\w*\.)+(\w+)", r"\1", text)  # drop module paths
    return re.sub(r"\bdate\b", "date (YYYY-MM-DD)", text)


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except TypeError:
        return str(value)


@main.command()
@click.argument("vendor")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def streams(vendor: str, as_json: bool) -> None:
    """List a vendor's streams and their params (type, default, doc)."""
    with handled():
        declared = get_registry().get(vendor)
        rows = [
            {
                "name": s.name,
                "description": s.description,
                "method": s.method,
                "path": s.path,
                "records": [r.__name__ for r in s.records],
                "params": describe_params(s.params),
            }
            for s in declared.streams
        ]
        if as_json:
            click.echo(json.dumps(rows, indent=2))
            return
        click.echo(f"credentials: {credential_env_vars(declared)}")
        for row in rows:
            click.echo(f"{row['name']}: {row['description']} [{row['method']} {row['path']}] -> {', '.join(row['records'])}")
            for p in row["params"]:
                need = "required" if p["required"] else f"default {json.dumps(p['default'])}"
                allowed = f"; one of: {', '.join(map(str, p['allowed']))}" if p.get("allowed") else ""
                bounds = "".join(
                    f"; {word} {p[key]}" for key, word in (("minimum", "at least"), ("maximum", "at most")) if key in p
                )
                click.echo(f"    {p['name']} ({p['type']}, {need}{allowed}{bounds}){': ' + p['doc'] if p['doc'] else ''}")


def credential_env_vars(vendor: Any) -> str:
    """``SOCIALTAP_X_KEY + SOCIALTAP_X_SECRET, or SOCIALTAP_X_TOKEN``: what to set, alternatives joined by "or"."""
    return ", or ".join(" + ".join(vendor.env_var(n) for n in group) for group in vendor.auth.fields())


@main.command()
@click.argument("vendor")
@click.argument("stream")
@click.option("-p", "--param", "pairs", multiple=True, metavar="KEY=VALUE", help="A param; repeat a key for a list.")
@click.option(
    "--params",
    "params_json",
    metavar="JSON|@FILE",
    help="Params as one JSON object, @file.json or @- for stdin (merged under -p).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice([*FORMATS, "singer"]),
    help="Output format [default: from -o's extension, else jsonl]; singer: Singer messages for a target.",
)
@click.option(
    "--output",
    "-o",
    metavar="PATH",
    help="File (.jsonl, .sqlite) or directory (csv); the format follows the extension. Default: stdout.",
)
@click.option("--base-url", metavar="URL", help="Override the vendor's base URL.")
@click.option("--sandbox", is_flag=True, help="Run against the vendor's offline sandbox with its test credentials.")
@click.option(
    "--sandbox-option",
    "sandbox_pairs",
    multiple=True,
    metavar="KEY=VALUE",
    help="An option of the sandbox's app factory (with --sandbox), e.g. rate_limit=2; JSON values parse.",
)
@click.option("--max-pages", type=click.IntRange(min=1), help="Stop each chain after N pages.")
@click.option(
    "--max-credits",
    type=click.FloatRange(min=0),
    help="Spend at most N credits (vendors that price calls): refuse to start or stop before passing it.",
)
@click.option("--concurrency", type=click.IntRange(min=1), default=4, show_default=True, help="Chains fetched at once.")
@click.option("--fail-fast", is_flag=True, help="Stop at the first failing chain instead of finishing the others.")
@click.option(
    "--state",
    "state_path",
    metavar="PATH",
    envvar="SOCIALTAP_STATE",
    help="Checkpoint file [default: user state dir]; with --format singer, the last STATE a target emitted.",
)
@click.option("--resume", is_flag=True, help="Continue an interrupted run of the same task after its last written page.")
@click.option(
    "--incremental", is_flag=True, help="Fetch the date window from the last successful run's end (minus --lookback) to today."
)
@click.option("--start", "start", type=click.DateTime(["%Y-%m-%d"]), help="First day of the first --incremental window.")
@click.option(
    "--lookback",
    "lookback",
    type=click.IntRange(min=0),
    metavar="DAYS",
    help="Days an --incremental run refetches before its bookmark.",
)
@click.option(
    "--rate-limit-db", metavar="PATH", envvar="SOCIALTAP_RATE_LIMIT_DB", help="SQLite rate-limit bucket shared by processes."
)
@click.option("--rate-limit-url", metavar="URL", envvar="SOCIALTAP_RATE_LIMIT_URL", help="redis://… bucket shared by machines.")
@click.option(
    "--keep-personal-data",
    is_flag=True,
    help="Keep the fields the vendor's terms call personal data (only with an agreement with the vendor).",
)
@config_options
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def run(
    vendor: str,
    stream: str,
    pairs: tuple[str, ...],
    params_json: str | None,
    fmt: str | None,
    output: str | None,
    base_url: str | None,
    sandbox: bool,
    sandbox_pairs: tuple[str, ...],
    max_pages: int | None,
    max_credits: float | None,
    concurrency: int,
    fail_fast: bool,
    state_path: str | None,
    resume: bool,
    incremental: bool,
    start: Any,
    lookback: int | None,
    rate_limit_db: str | None,
    rate_limit_url: str | None,
    keep_personal_data: bool,
    config_path: str | None,
    profile: str | None,
    debug: bool,
) -> None:
    """Fetch VENDOR's STREAM and write normalized records.

    Credentials, base URL and default params may come from the config file (see
    `socialtap config show`); the command line and the environment override it.
    """
    from socialtap.config import resolve

    with handled(debug):
        settings, warnings = resolve(vendor, config_path, profile)
        for warning in warnings:
            click.echo(f"socialtap: warning: {warning}", err=True)
        params: dict[str, Any] = settings.params_for(get_registry().get(vendor).stream(stream))
        params.update(task_params(params_json, pairs))
        if sandbox_pairs and not sandbox:
            raise ConfigError("--sandbox-option only applies with --sandbox")
        sandbox_options = parse_param_pairs(sandbox_pairs, "--sandbox-option")
        from socialtap.outputs import check_output, infer_format
        from socialtap.state import default_state_path

        if fmt is None:
            fmt = infer_format(output) if output not in (None, "-") else "jsonl"
        singer_state = None
        if fmt == "singer":  # Singer messages (socialtap.singer); --state given here is the target's STATE
            from socialtap.singer import given_state

            singer_state, state_path = given_state(state_path, incremental=incremental)
        check_output("jsonl" if fmt == "singer" else fmt, output, resume=resume)  # before the sandbox: a bad output first

        options = Options(
            base_url=base_url or settings.base_url,
            max_pages=max_pages,
            max_credits=max_credits,
            concurrency=concurrency,
            fail_fast=fail_fast,
            state=state_path or str(default_state_path()),
            resume=resume,
            incremental=incremental,
            start=start.date() if start is not None else None,
            lookback_days=lookback,
            rate_limit_db=rate_limit_db,
            rate_limit_url=rate_limit_url,
            # With -v each request is a log line already, and a bar would be torn by them.
            progress=not logging.getLogger("socialtap").isEnabledFor(logging.INFO),
            keep_personal_data=keep_personal_data,
        )
        with contextlib.ExitStack() as stack:
            credentials = settings.credentials or None
            if sandbox:
                from socialtap.testing import check_sandbox_options, serve_sandbox

                check_sandbox_options(vendor, sandbox_options)
                running = stack.enter_context(serve_sandbox(vendor, **sandbox_options))
                options = attrs.evolve(options, base_url=running.base_url, sandbox=True)
                credentials = running.credentials
            task = Task(vendor, stream, params, credentials, options)
            report = RunReport(vendor, stream, "")
            try:  # validates before any request; the output is created with the first page
                if fmt == "singer":
                    from socialtap.singer import run_singer

                    run_singer(task, output, state=singer_state, report=report)
                else:
                    run_to_output(task, fmt, output, report=report)
            finally:
                # The summary only for a run that ended well: after a failure, the error is the
                # last line (scripts and log collectors read stderr's last line as the outcome).
                if report.task_id and report.error is None:
                    click.echo(summary(report, output), err=True)
                for warning in report.warnings:
                    click.echo(f"socialtap: warning: {warning}", err=True)


def read_params_json(text: str) -> dict[str, Any]:
    """``--params``: a JSON object given inline, as ``@file.json``, or as ``@-`` (stdin)."""
    where = "--params"
    if text.startswith("@"):
        name = text[1:]
        where = "--params @-" if name == "-" else f"--params @{name}"
        try:
            text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read {where}: {exc.strerror or exc}") from None
    try:
        given = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"{where} is not valid JSON: {exc}") from None
    if not isinstance(given, dict):
        raise ConfigError(
            f'{where} must be a JSON object like \'{{"profile_id": "123"}}\', got {json_kind(given)}'
            " (use -p key=value for single params)"
        )
    return given


def summary(report: RunReport, output: str | None) -> str:
    counts = ", ".join(f"{n} {t}" for t, n in sorted(report.records.items())) or "no records"
    where = f" -> {output}" if output else ""
    extra = "".join(
        f", {n} {label}"
        for n, label in (
            (report.retries, "retries"),
            (report.rate_limit_waits, "rate-limit waits"),
            (sum(c.status == "skipped" for c in report.chains), "chains done earlier"),
            (sum(c.status == "failed" for c in report.chains), "chains failed"),
        )
        if n
    )
    window = f", window {report.window['start']}..{report.window['end']}" if report.window else ""
    if report.credits is not None:
        window += f", {report.credits:g} credits"
    return f"socialtap: {report.vendor}.{report.stream}: {counts} from {report.requests} requests, {report.pages} pages{extra}{window} in {report.duration:.2f}s{where}"


@main.command("sandbox")
@click.argument("vendor")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="Port (0: any free port).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the generated data.")
@click.option(
    "--faults",
    metavar="SPEC",
    help="Inject faults, e.g. 'latency=50ms,error_rate=0.1,reset_rate=0.05,throttle=5/s,malformed_rate=0.01,seed=7'.",
)
@click.option(
    "--option",
    "option_pairs",
    multiple=True,
    metavar="KEY=VALUE",
    help="An option of the sandbox's app factory, e.g. rate_limit=2 (repeatable; JSON values parse).",
)
def sandbox_command(vendor: str, port: int, seed: int, faults: str | None, option_pairs: tuple[str, ...]) -> None:
    """Serve VENDOR's offline emulator on 127.0.0.1 until interrupted (Ctrl-C or SIGTERM)."""
    from socialtap.testing import serve_sandbox

    with handled(), sigterm_interrupts(), contextlib.ExitStack() as stack:
        from socialtap.testing import check_sandbox_options

        options = parse_param_pairs(option_pairs, "--option")
        check_sandbox_options(vendor, options)  # before the port: name the real mistake first
        check_can_listen("127.0.0.1", port)
        running = stack.enter_context(serve_sandbox(vendor, port=port, seed=seed, faults=faults, **options))
        creds = ", ".join(f"{k}={v}" for k, v in running.credentials.items())
        click.echo(f"{vendor} sandbox at {running.base_url} (test credentials: {creds}); Ctrl-C to stop", err=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            if running.injector is not None:
                click.echo(f"faults injected: {json.dumps(running.faults_seen)}", err=True)


@main.command("new-plugin")
@click.argument("name")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False),
    default=".",
    show_default=True,
    help="Where to create socialtap-NAME/.",
)
@click.option(
    "--auth",
    type=click.Choice(["bearer", "header", "basic"]),
    default="bearer",
    show_default=True,
    help="The vendor's auth: Authorization: Bearer, an X-API-Key header, or HTTP Basic key:secret.",
)
def new_plugin_command(name: str, directory: str, auth: str) -> None:
    """Scaffold a vendor plugin NAME that passes the contract suite as generated."""
    from pathlib import Path

    from socialtap.scaffold import new_plugin

    with handled():
        root = new_plugin(name, Path(directory), auth=auth)
        click.echo(f"created {root}\n  pip install -e '{root}[test]'\n  pytest {root / 'tests'}")


def _add_surface_commands() -> None:
    """`socialtap n8n`, `serve`, `state`, `prune`, `cost`, `check`, `spec` and `catalog` live in their own modules (surfaces helper)."""
    from socialtap.check import check_command
    from socialtap.config import config_group
    from socialtap.cost import cost_command
    from socialtap.n8n import n8n_command
    from socialtap.prune import prune_command
    from socialtap.schema import catalog_command, spec_command
    from socialtap.serve import serve_command
    from socialtap.state_cli import state_group

    main.add_command(cost_command)
    main.add_command(n8n_command)
    main.add_command(serve_command)
    main.add_command(prune_command)
    main.add_command(state_group)
    main.add_command(check_command)
    main.add_command(spec_command)
    main.add_command(catalog_command)
    main.add_command(config_group)


_add_surface_commands()


if __name__ == "__main__":  # pragma: no cover
    main()
