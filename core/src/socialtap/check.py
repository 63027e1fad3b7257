"""``socialtap check VENDOR``: one cheap authenticated request, to test credentials and reach.

Every surface runs the same check: the CLI, serve's ``POST /check`` (n8n) and the Airflow
connection's Test button. The vendor declares the call (:class:`~socialtap.declarations.Check`):
the first page of one stream, nothing written, no state file touched. A call that is not
free runs only when the caller says yes, after being told what it spends; that refusal, like
every input problem, comes before any request.

Outcomes map onto the usual exit codes: 0 the vendor answered, 3 it refused the
credentials (:class:`~socialtap.errors.AuthError`), 4 out of quota, 5 unreachable or
failing (:class:`~socialtap.errors.VendorError`), 2 bad input.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import attrs
import click
import pluggy

from socialtap.config import config_options
from socialtap.errors import ConfigError
from socialtap.records import TYPE_NAMES
from socialtap.runner import Options, Task, first_requests, iter_chain_pages, make_engine, prepare

# A check answers quickly: two attempts (one retry of a hiccup) and a short wait budget,
# so an unreachable vendor is reported in seconds, not after a run's full retry budget.
CHECK_ATTEMPTS = 2
CHECK_RETRY_WAIT = 10.0


@attrs.frozen
class CheckResult:
    """What a successful check learned: the vendor's answer in one line."""

    vendor: str
    stream: str
    message: str
    free: bool
    records: int

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe, for serve's ``/check`` and Airflow."""
        return {"ok": True, **attrs.asdict(self)}


def check_task(
    vendor: Any, credentials: Mapping[str, str] | None, options: Options, params: Mapping[str, Any] | None = None
) -> Task:
    """The task a check runs: the declared stream and params (``params`` over them), one page, few retries."""
    declared = vendor.check
    given = dict(params or {})
    missing = [name for name in declared.needs if name not in given]
    if missing:
        raise ConfigError(
            f"checking {vendor.name} needs {', '.join(missing)}, which only you know: give "
            + " ".join(f"-p {name}=..." for name in missing)
            + f" (the check fetches one page of {declared.stream})"
        )
    options = attrs.evolve(
        options,
        max_pages=1,
        max_attempts=min(options.max_attempts, CHECK_ATTEMPTS),
        max_retry_wait=min(options.max_retry_wait, CHECK_RETRY_WAIT),
        resume=False,
        incremental=False,
        progress=False,
    )
    return Task(vendor.name, declared.stream, {**declared.params, **given}, credentials, options)


def cost_problem(vendor: Any, yes: bool, how_to_agree: str = "--yes") -> str | None:
    """Why a check may not run yet (no declared check, or not free without a yes), else None."""
    declared = vendor.check
    if declared is None:
        return (
            f"{vendor.name} declares no check call; run a small stream instead "
            f"(`socialtap run {vendor.name} <stream> --max-pages 1`)"
        )
    if declared.unavailable:
        return f"{vendor.name} has no call that checks credentials without changing something: {declared.unavailable}"
    if not declared.free and not yes:
        return f"checking {vendor.name} is not free: it spends {declared.cost}; add {how_to_agree} to spend it"
    return None


def sandbox_check_params(
    vendor_name: str, params: Mapping[str, Any], *, yes: bool, how_to_agree: str = "--yes"
) -> dict[str, Any]:
    """For a check against the vendor's sandbox: refuse it before the sandbox starts when
    it may not run (:func:`cost_problem`), else ``params`` over the sandbox's own values
    for what the check needs (``Check.sandbox_params``)."""
    from socialtap.plugins import get_registry

    vendor = get_registry().get(vendor_name)
    problem = cost_problem(vendor, yes, how_to_agree)
    if problem is not None:
        raise ConfigError(problem)
    return {**vendor.check.sandbox_params, **params}


def run_check(
    vendor_name: str,
    *,
    credentials: Mapping[str, str] | None = None,
    options: Options | None = None,
    yes: bool = False,
    how_to_agree: str = "--yes",
    plugin_manager: pluggy.PluginManager | None = None,
    params: Mapping[str, Any] | None = None,
) -> CheckResult:
    """Send the vendor's check call and describe its answer; typed errors otherwise.

    ``yes`` agrees to a check that is not free; ``how_to_agree`` names that agreement in
    the ConfigError of a caller who did not (``--yes``, a connection extra). ``params``
    gives what the check ``needs`` (``Check.needs``).
    """
    from socialtap.plugins import get_registry

    vendor = get_registry(plugin_manager).get(vendor_name)
    problem = cost_problem(vendor, yes, how_to_agree)
    if problem is not None:
        raise ConfigError(problem)
    prepared = prepare(check_task(vendor, credentials, options or Options(), params), plugin_manager=plugin_manager)
    engine = make_engine(prepared)
    try:
        request = first_requests(prepared)[0]
        page = next(iter_chain_pages(prepared, engine, request))
    finally:
        engine.close()
    declared = vendor.check
    said = declared.describe(page.records) if declared.describe is not None else count_records(page.records)
    where = f"{request.method} {request.url.split('?', 1)[0]}"
    return CheckResult(vendor.name, declared.stream, f"{vendor.title} answered {where}: {said}", declared.free, len(page.records))


def count_records(records: list[Any]) -> str:
    """``2 relation(s), 1 account(s)``: what a check's page held, when the vendor describes nothing."""
    counts = Counter(TYPE_NAMES[type(r)] for r in records)
    return ", ".join(f"{n} {name}(s)" for name, n in sorted(counts.items())) or "no records"


@click.command("check")
@click.argument("vendor")
@click.option("--yes", is_flag=True, help="Agree to spend what a vendor's check costs (vendors with no free call).")
@click.option("--base-url", metavar="URL", help="Override the vendor's base URL.")
@click.option("--sandbox", is_flag=True, help="Check against the vendor's offline sandbox with its test credentials.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("-p", "--param", "pairs", multiple=True, metavar="KEY=VALUE", help="A param the check needs (Check.needs).")
@config_options
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def check_command(
    vendor: str,
    yes: bool,
    base_url: str | None,
    sandbox: bool,
    as_json: bool,
    pairs: tuple[str, ...],
    config_path: str | None,
    profile: str | None,
    debug: bool,
) -> None:
    """Send VENDOR's cheapest authenticated request and say what it answered.

    Exit 0 when the vendor answered, 3 when it refused the credentials, 4 out of quota,
    5 unreachable, 2 bad input (a check that costs something needs --yes).
    """
    import contextlib
    import json

    from socialtap.cli import handled, parse_param_pairs
    from socialtap.config import resolve

    with handled(debug), contextlib.ExitStack() as stack:
        settings, warnings = resolve(vendor, config_path, profile)
        for warning in warnings:
            click.echo(f"socialtap: warning: {warning}", err=True)
        options = Options(base_url=base_url or settings.base_url)
        credentials = settings.credentials or None
        params = parse_param_pairs(pairs)
        if sandbox:
            from socialtap.testing import serve_sandbox

            params = sandbox_check_params(vendor, params, yes=yes)
            running = stack.enter_context(serve_sandbox(vendor))
            options = attrs.evolve(options, base_url=running.base_url, sandbox=True)
            credentials = running.credentials
        result = run_check(vendor, credentials=credentials, options=options, yes=yes, params=params)
        click.echo(json.dumps(result.as_dict()) if as_json else f"ok: {result.message}")
