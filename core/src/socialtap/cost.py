"""``socialtap cost``: what a run would cost in credits, asked of the vendor without spending.

For a vendor that declares ``pricing`` (:mod:`socialtap.credits`): the task is validated
as ``run`` would, then the first request of every chain is priced with the vendor's free
probe (InfluencerDB: ``OPTIONS``). Pages beyond the first are estimated at the first
page's price, and the output says so; ``--max-pages`` bounds them.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import attrs
import click
import pluggy

from socialtap.credits import Estimate
from socialtap.errors import ConfigError
from socialtap.runner import Options, Task, first_requests, make_engine, prepare


def estimate(task: Task, *, plugin_manager: pluggy.PluginManager | None = None) -> Estimate:
    """Price ``task`` without spending: ConfigError for a vendor whose calls are not priced."""
    prepared = prepare(task, plugin_manager=plugin_manager)
    if prepared.vendor.pricing is None:
        raise ConfigError(
            f"{prepared.vendor.title} declares no pricing: socialtap knows of no credits its calls cost; just run it"
        )
    engine = make_engine(prepared)
    # A chained task: its child's ids are not known before the parent runs, so only the
    # parent's first pages can be priced.
    first = prepared.parent or prepared
    then = None
    if prepared.parent is not None:
        then = (
            f"{prepared.task.stream} for each {prepared.stream.fan_out or 'value'} the {first.stream.name} records "
            f"give, each call priced when it is resolved (--max-credits bounds the whole run)"
        )
    try:
        assert engine.ledger is not None
        return Estimate.of(
            engine.ledger,
            first_requests(first),
            paginated=first.stream.pagination is not None,
            max_pages=task.options.max_pages,
            then=then,
        )
    except Exception as exc:
        engine.redact_error(exc)
        raise
    finally:
        engine.close()


@click.command("cost")
@click.argument("vendor")
@click.argument("stream")
@click.option("-p", "--param", "pairs", multiple=True, metavar="KEY=VALUE", help="A param; repeat a key for a list.")
@click.option("--params", "params_json", metavar="JSON", help="Params as one JSON object (merged under -p).")
@click.option("--base-url", metavar="URL", help="Override the vendor's base URL.")
@click.option("--sandbox", is_flag=True, help="Price against the vendor's offline sandbox with its test credentials.")
@click.option("--max-pages", type=click.IntRange(min=1), help="Bound the estimate: at most N pages per chain.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def cost_command(
    vendor: str,
    stream: str,
    pairs: tuple[str, ...],
    params_json: str | None,
    base_url: str | None,
    sandbox: bool,
    max_pages: int | None,
    as_json: bool,
    debug: bool,
) -> None:
    """Print what `run VENDOR STREAM` would cost in credits, without spending any."""
    from socialtap.cli import handled, task_params

    with handled(debug), contextlib.ExitStack() as stack:
        options = Options(base_url=base_url, max_pages=max_pages)
        credentials = None
        if sandbox:
            from socialtap.testing import serve_sandbox

            running = stack.enter_context(serve_sandbox(vendor))
            options = attrs.evolve(options, base_url=running.base_url, sandbox=True)
            credentials = running.credentials
        found = estimate(Task(vendor, stream, task_params(params_json, pairs), credentials, options))
        if as_json:
            payload: dict[str, Any] = {"vendor": vendor, "stream": stream, **found.as_dict()}
            click.echo(json.dumps(payload, indent=2))
        else:
            click.echo("\n".join(found.lines(f"{vendor}.{stream}")))
