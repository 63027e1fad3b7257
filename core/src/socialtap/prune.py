"""``socialtap prune PATH``: delete what vendors' terms no longer allow a SQLite output to keep.

Every run into a SQLite output already prunes its vendor's rows (see
:func:`socialtap.outputs.apply_retention`); this command does it on demand for every
installed vendor that declares a retention (:class:`socialtap.terms.DataTerms`), say from
cron for a file no task writes to any more. ``--dry-run`` counts without deleting.
JSON Lines and CSV outputs cannot be pruned: delete their files.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import click

from socialtap.errors import ConfigError
from socialtap.outputs import RUNS_TABLE, SqliteWriter, check_output, output_lock
from socialtap.plugins import get_registry
from socialtap.records import RECORD_TYPES
from socialtap.terms import retention_by_vendor


def prune(
    path: str | Path, *, dry_run: bool = False, retention: dict[str, int] | None = None
) -> dict[str, dict[str, int]]:
    """Delete each installed vendor's rows of the SQLite output ``path`` stored longer ago than
    its retention; return vendor -> table -> rows (what would go, with ``dry_run``).

    Raises ConfigError when ``path`` is not an existing SQLite output, and
    :class:`~socialtap.errors.OutputBusyError` while a run writes it.
    """
    target = Path(path).expanduser()
    if not target.is_file():
        raise ConfigError(f"{target} is not a file; `socialtap prune` takes a SQLite output (--format sqlite)")
    destination = check_output("sqlite", target)
    assert destination is not None  # a path was given
    with contextlib.closing(sqlite3.connect(destination)) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not tables & {*RECORD_TYPES, RUNS_TABLE}:
        # Opening it as an output would add socialtap's tables to someone else's database.
        raise ConfigError(f"{destination} holds no socialtap tables; `socialtap prune` takes a SQLite output of `socialtap run`")
    if retention is None:
        retention = retention_by_vendor(get_registry())
    with output_lock(destination):
        writer = SqliteWriter(destination)
        try:
            found = writer.prune(retention, dry_run=dry_run)
        except BaseException:
            writer.abort()
            raise
        if dry_run:
            writer.abort()  # the column bookkeeping of opening the file is left for a real run
        else:
            writer.close()
    return found


@click.command("prune")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Count the rows that would be deleted; delete nothing.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def prune_command(path: str, dry_run: bool, debug: bool) -> None:
    """Delete rows of a SQLite output older than its vendors' terms allow (their retention)."""
    from socialtap.cli import handled

    with handled(debug):
        retention = retention_by_vendor(get_registry())
        found = prune(path, dry_run=dry_run, retention=retention)
        verb = "would delete" if dry_run else "deleted"
        if not found:
            click.echo(f"socialtap: nothing to prune in {path} (retention: {_retention_text(retention)})")
            return
        for vendor, tables in found.items():
            counts = ", ".join(f"{rows} {table}" for table, rows in sorted(tables.items()))
            click.echo(f"socialtap: {vendor}: {verb} {counts} (stored more than {retention[vendor]} days ago)")


def _retention_text(retention: dict[str, int]) -> str:
    return ", ".join(f"{vendor} {days} days" for vendor, days in sorted(retention.items())) or "no vendor declares one"
