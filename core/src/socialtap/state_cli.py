"""``socialtap state``: see and clear what the state file remembers.

- ``state list``: every task (vendor, stream, params, base, its latest run and status,
  the window it fetched, its bookmark); a table, or ``--json``.
- ``state show TASK``: one task in full (JSON); a unique prefix of its id is enough.
- ``state clear TASK`` / ``state clear --all``: forget tasks, with their checkpoints,
  part files and bookmarks, so the next ``--incremental`` run starts from ``--start`` or
  the default window again. It never prompts: it needs ``--yes``, because socialtap runs
  from cron, CI and orchestrators with no terminal to answer a question.

The state file is ``--state PATH``, ``$SOCIALTAP_STATE``, else the user's state dir, as
for ``socialtap run``. A task killed outright (SIGKILL, a lost machine) stays
``running`` until its next run, or until cleared.
"""

from __future__ import annotations

import json
from typing import Any

import click

from socialtap.errors import ConfigError
from socialtap.state import StateStore, default_state_path

_state_option = click.option(
    "--state", "state_path", metavar="PATH", envvar="SOCIALTAP_STATE", help="State file [default: user state dir]."
)


def _open(state_path: str | None) -> StateStore:
    return StateStore(state_path or default_state_path())


def _value(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(_value(item) for item in value)
    if isinstance(value, dict):  # an object param, e.g. a Metrika resource
        return ":".join(_value(item) for item in value.values())
    return str(value)


def _params_summary(params: dict[str, Any], skip: Any = (), limit: int = 56) -> str:
    """``key=value`` pairs on one line; the window params (a column of their own) and
    empty defaults left out."""
    parts = []
    for key, value in params.items():
        if key in skip or value in (None, [], {}, ""):
            continue
        parts.append(f"{key}={_value(value)}")
    summary = " ".join(parts)
    return summary if len(summary) <= limit else summary[: limit - 1] + "…"


def _find(store: StateStore, prefix: str) -> dict[str, Any]:
    """The task whose id starts with ``prefix``; ConfigError if none or several."""
    matches = [task for task in store.tasks() if task["task_id"].startswith(prefix)]
    if not matches:
        raise ConfigError(f"no task id starts with {prefix!r} in {store.path}; see `socialtap state list`")
    if len(matches) > 1:
        ids = ", ".join(task["task_id"] for task in matches)
        raise ConfigError(f"{prefix!r} is the start of {len(matches)} task ids ({ids}); give more of it")
    return matches[0]


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows)


@click.group("state", context_settings={"help_option_names": ["-h", "--help"]})
def state_group() -> None:
    """See and clear tasks, checkpoints and incremental bookmarks in the state file."""


@state_group.command("list")
@_state_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_command(state_path: str | None, as_json: bool) -> None:
    """List tasks: vendor, stream, params, last run, status, window and bookmark."""
    from socialtap.cli import handled

    with handled():
        store = _open(state_path)
        try:
            tasks = store.tasks()
        finally:
            store.close()
        if as_json:
            click.echo(json.dumps(tasks, indent=2))
            return
        if not tasks:
            click.echo(f"no tasks in {store.path}", err=True)
            return
        rows = [["TASK", "VENDOR.STREAM", "PARAMS", "LAST RUN", "STATUS", "RECORDS", "WINDOW", "BOOKMARK"]]
        for task in tasks:
            window = task["window"]
            rows.append(
                [
                    task["task_id"][:12],
                    f"{task['vendor']}.{task['stream']}",
                    _params_summary(task["params"], task["window_params"]) or "-",
                    (task["started_at"] or "-").replace("T", " "),
                    task["status"] or "-",
                    "-" if task["records"] is None else str(task["records"]),
                    f"{window['start']}..{window['end']}" if window else "-",
                    task["bookmark"] or "-",
                ]
            )
        click.echo(_table(rows))


@state_group.command("show")
@click.argument("task")
@_state_option
def show_command(task: str, state_path: str | None) -> None:
    """Show one TASK (a unique prefix of its id) as JSON, with its bookmark."""
    from socialtap.cli import handled

    with handled():
        store = _open(state_path)
        try:
            found = _find(store, task)
            found["bookmark"] = next((b for b in store.bookmarks() if b["bookmark_id"] == found["bookmark_id"]), None)
        finally:
            store.close()
        click.echo(json.dumps(found, indent=2))


@state_group.command("clear")
@click.argument("task", required=False)
@click.option("--all", "clear_all", is_flag=True, help="Forget every task and bookmark.")
@click.option("--yes", is_flag=True, help="Really do it (required: this command never prompts).")
@_state_option
def clear_command(task: str | None, clear_all: bool, yes: bool, state_path: str | None) -> None:
    """Forget TASK (or --all): its checkpoints, part files, run and bookmark."""
    from socialtap.cli import handled

    with handled():
        if bool(task) == clear_all:
            raise ConfigError("give a TASK id (or a unique prefix of it), or --all; not both")
        if not yes:
            what = "every task and bookmark" if clear_all else f"task {task}"
            raise ConfigError(f"this forgets {what} and cannot be undone; add --yes to do it")
        store = _open(state_path)
        try:
            if clear_all:
                count = store.clear_all()
                click.echo(f"forgot {count} task(s) and every bookmark in {store.path}", err=True)
                return
            found = _find(store, task or "")
            store.clear([found["task_id"]])
        finally:
            store.close()
        click.echo(f"forgot task {found['task_id']} ({found['vendor']}.{found['stream']}) and its bookmark", err=True)
