"""``socialtap n8n``: n8n items in on stdin, one item per record out on stdout.

n8n's Execute Command node runs a shell command and hands its stdout on as a string;
a Code node (``return JSON.parse($input.first().json.stdout)``) turns the printed array
into items. So this command speaks n8n's item shape on both sides:

- in: ``[{"json": {"vendor": ..., "stream": ..., "params": {...}}}, ...]`` (the ``json``
  wrapper is optional). With ``--vendor``/``--stream`` an item may carry only its
  params, either under ``params`` or as the item itself.
- out: ``[{"json": {"type": "account", ...record fields}, "pairedItem": {"item": i}}, ...]``,
  where ``i`` is the input item the record came from (n8n's item linking).

Every item is validated (vendor, stream, params, credentials, base URL) before the first
request, so a bad item anywhere fails the run with nothing fetched ("item 2: ..." on
stderr). Records stream out as they arrive (memory does not grow with the run). On an error the
array is still closed, so the items already produced stay usable, then one line goes to
stderr and the exit code is the error's (the CLI's codes: 2 config, 3 auth, 4 quota, ...).
Credentials come from the environment (``SOCIALTAP_<VENDOR>_<FIELD>``), never from items.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from typing import IO, Any

import click

from socialtap.errors import ConfigError, SocialtapError
from socialtap.records import dumps, to_item
from socialtap.runner import Options, Task, iter_records, prepare

RESERVED = ("vendor", "stream", "params")


def parse_items(text: str) -> list[dict[str, Any]]:
    """The ``json`` payload of each n8n item on stdin (an array, or one object)."""
    if not text.strip():
        return []
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f'stdin is not JSON ({exc}); pipe n8n items like [{{"json": {{...}}}}]') from None
    items = data if isinstance(data, list) else [data]
    payloads = []
    for index, item in enumerate(items):
        payload = item.get("json", item) if isinstance(item, Mapping) else item
        if not isinstance(payload, Mapping):
            raise ConfigError(f'item {index} is {type(payload).__name__}, expected an object like {{"json": {{...}}}}')
        payloads.append(dict(payload))
    return payloads


def task_for(index: int, item: Mapping[str, Any], vendor: str | None, stream: str | None, options: Options) -> Task:
    """The Task an item asks for: its own vendor/stream, else the flags'."""
    vendor = item.get("vendor") or vendor
    stream = item.get("stream") or stream
    if not vendor or not stream:
        raise ConfigError(f"item {index} names no vendor and stream: give them in the item or as --vendor/--stream")
    if "credentials" in item:
        raise ConfigError(
            f"item {index} carries credentials: socialtap reads them only from the environment (SOCIALTAP_<VENDOR>_<FIELD>)"
        )
    if "params" in item:
        params = item["params"] or {}
        if not isinstance(params, Mapping):
            raise ConfigError(f"item {index}: params must be an object, got {type(params).__name__}")
    else:
        params = {k: v for k, v in item.items() if k not in RESERVED}
    return Task(str(vendor), str(stream), dict(params), None, options)


def iter_output(items: list[dict[str, Any]], vendor: str | None, stream: str | None, options: Options) -> Iterator[dict]:
    """n8n output items, item by item; raises at the first failing task."""
    tasks = [task_for(i, item, vendor, stream, options) for i, item in enumerate(items)]
    # Every item is validated (vendor, stream, params, credentials, base URL) before the
    # first request: a bad last item must not leave the first ones half-fetched.
    for index, task in enumerate(tasks):
        try:
            prepare(task)
        except ConfigError as exc:
            named = ConfigError(f"item {index}: {exc}")  # which item, for a workflow of many
            named.problems = exc.problems
            raise named from None
    for index, task in enumerate(tasks):
        for record in iter_records(task):
            yield {"json": to_item(record), "pairedItem": {"item": index}}


def write_items(out: IO[str], produced: Iterator[dict]) -> SocialtapError | None:
    """Write a JSON array of items; always close it. Returns the error that stopped it."""
    out.write("[")
    error: SocialtapError | None = None
    try:
        for count, item in enumerate(produced):
            out.write(("\n" if count == 0 else ",\n") + dumps(item))
    except SocialtapError as exc:
        error = exc
    finally:
        out.write("\n]\n")
        out.flush()
    return error


@click.command("n8n")
@click.option("--vendor", help="Vendor for items that name none.")
@click.option("--stream", help="Stream for items that name none.")
@click.option(
    "--base-url", metavar="URL", help="Override the vendor's base URL (default: SOCIALTAP_<VENDOR>_BASE_URL or the vendor's)."
)
@click.option("--max-pages", type=click.IntRange(min=1), help="Stop each chain after N pages.")
def n8n_command(vendor: str | None, stream: str | None, base_url: str | None, max_pages: int | None) -> None:
    """n8n items on stdin -> one n8n item per record on stdout (for the Execute Command node)."""
    options = Options(base_url=base_url, max_pages=max_pages)

    def produced() -> Iterator[dict]:
        items = parse_items(sys.stdin.read())
        yield from iter_output(items, vendor, stream, options)

    # stdout is always one JSON array (maybe empty), so a Code node can parse it even on error.
    error = write_items(sys.stdout, produced())
    if error is not None:
        _fail(error)


def _fail(exc: SocialtapError) -> None:
    one_line = " ".join(part.strip() for part in str(exc).splitlines() if part.strip())
    click.echo(f"error: {type(exc).__name__}: {one_line}", err=True)
    sys.exit(exc.exit_code)
