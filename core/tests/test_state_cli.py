"""State you can see: `socialtap state list/show/clear`, pruning, resume of a finished
task, and sandbox runs that keep their identity across ports.

Runs go to real servers on 127.0.0.1: the in-process ``daily`` vendor of
test_incremental (with ``clock.frozen``), and the example plugin's sandbox through the
real CLI in a subprocess (days set with ``SOCIALTAP_NOW``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, os.path.dirname(__file__))
from test_incremental import TOKEN, DailyApp, pm, run_on

from socialtap import clock
from socialtap.cli import main
from socialtap.errors import ChainsFailedError
from socialtap.runner import Options, Task, run_to_output
from socialtap.testing import serve_app


@pytest.fixture
def daily():
    app = DailyApp()
    with serve_app(app) as served:
        yield app, served.url + "/api"


def state_cli(*args: str) -> object:
    return CliRunner().invoke(main, ["state", *args], catch_exceptions=False)


def count(state: Path, table: str) -> int:
    with sqlite3.connect(state) as db:
        return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


@pytest.fixture
def history(daily, tmp_path):
    """Three daily runs of one incremental task, a failed run of another, a snapshot run."""
    app, url = daily
    state, out = tmp_path / "state.sqlite", tmp_path / "out.sqlite"
    for day in ("2026-03-10T06:00:00Z", "2026-03-11T06:00:00Z", "2026-03-12T06:00:00Z"):
        run_on(day, url, state, out, start=dt.date(2026, 3, 1))
    app.fail_keys = {"y"}
    with pytest.raises(ChainsFailedError):
        run_on("2026-03-12T07:00:00Z", url, state, tmp_path / "xy.sqlite", keys=("x", "y"))
    app.fail_keys = set()
    task = Task("daily", "snapshot", {"key": ["s"]}, {"token": TOKEN}, Options(base_url=url, state=str(state), max_attempts=1))
    with clock.frozen("2026-03-12T08:00:00Z"):
        run_to_output(task, "jsonl", str(tmp_path / "snap.jsonl"), plugin_manager=pm())
    return state, tmp_path


def test_state_list_shows_one_line_per_scheduled_task_with_status_window_and_bookmark(history):
    state, _ = history
    result = state_cli("list", "--state", str(state))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["TASK", "VENDOR.STREAM", "PARAMS", "LAST", "RUN", "STATUS", "RECORDS", "WINDOW", "BOOKMARK"]
    assert len(lines) == 4, "the two superseded daily runs are forgotten: one line per task"
    snapshot, failed, daily = lines[1:]
    assert "daily.snapshot" in snapshot and "succeeded" in snapshot and snapshot.split()[-2:] == ["-", "-"]
    assert "key=x,y metric=views" in failed and "failed" in failed and "2026-03-06..2026-03-12" in failed
    assert failed.split()[-1] == "-", "a task that never succeeded has no bookmark"
    assert "key=a metric=views" in daily and "2026-03-12 06:00:00Z" in daily
    assert daily.split()[-2:] == ["2026-03-09..2026-03-12", "2026-03-12"], "window: bookmark 03-11 minus 2 days; bookmark"
    assert "start_date" not in result.stdout, "the window has its own column"


def test_state_list_json_and_show_by_unique_prefix(history):
    state, _ = history
    tasks = json.loads(state_cli("list", "--state", str(state), "--json").stdout)
    assert [t["status"] for t in tasks] == ["succeeded", "failed", "succeeded"]
    failed = tasks[1]
    assert failed["error"].startswith("ChainsFailedError") and failed["checkpoints"] == 1, "chain x's checkpoint is kept"
    assert failed["params"] == {"key": ["x", "y"], "metric": "views", "start_date": "2026-03-06", "end_date": "2026-03-12"}
    assert failed["base"].startswith("http://127.0.0.1:") and failed["output"].endswith("xy.sqlite (sqlite)")
    shown = state_cli("show", tasks[2]["task_id"][:6], "--state", str(state))
    assert shown.exit_code == 0
    detail = json.loads(shown.stdout)
    assert detail["task_id"] == tasks[2]["task_id"]
    assert detail["bookmark"]["window"] == {"start": "2026-03-09", "end": "2026-03-12"}
    assert detail["bookmark"]["params"] == {"key": ["a"], "metric": "views"}
    unknown = state_cli("show", "zzzz", "--state", str(state))
    assert unknown.exit_code == 2 and "no task id starts with 'zzzz'" in unknown.stderr
    ambiguous = state_cli("show", "", "--state", str(state))
    assert ambiguous.exit_code == 2 and "give more of it" in ambiguous.stderr


def test_finished_runs_prune_their_page_checkpoints_and_keep_their_bookmark(history):
    state, _ = history
    with sqlite3.connect(state) as db:
        by_status = dict(db.execute("SELECT status, COUNT(*) FROM runs GROUP BY status").fetchall())
        kept = db.execute(
            "SELECT COUNT(*) FROM checkpoints c JOIN runs r USING (task_id) WHERE r.status = 'succeeded'"
        ).fetchone()
    assert by_status == {"succeeded": 2, "failed": 1}
    assert kept == (0,), "a succeeded run keeps no page checkpoint"
    assert count(state, "checkpoints") == 1, "the failed run keeps chain x's, to resume from"
    assert count(state, "bookmarks") == 1


def test_state_clear_needs_yes_then_forgets_the_task_and_its_bookmark(history, daily):
    app, url = daily
    state, tmp_path = history
    tasks = json.loads(state_cli("list", "--state", str(state), "--json").stdout)
    incremental = tasks[2]["task_id"]
    refused = state_cli("clear", incremental, "--state", str(state))
    assert refused.exit_code == 2 and "add --yes" in refused.stderr
    assert count(state, "bookmarks") == 1
    both = state_cli("clear", incremental, "--all", "--yes", "--state", str(state))
    assert both.exit_code == 2 and "not both" in both.stderr
    done = state_cli("clear", incremental[:8], "--yes", "--state", str(state))
    assert done.exit_code == 0 and incremental in done.stderr
    assert count(state, "bookmarks") == 0 and count(state, "tasks") == 2
    run_on("2026-03-13", url, state, tmp_path / "out.sqlite")
    assert app.windows[-1] == ("a", "2026-03-07", "2026-03-13"), "without its bookmark the task starts over"
    everything = state_cli("clear", "--all", "--yes", "--state", str(state))
    assert everything.exit_code == 0
    assert [count(state, t) for t in ("tasks", "runs", "checkpoints", "bookmarks", "outputs")] == [0, 0, 0, 0, 0]
    assert state_cli("list", "--state", str(state), "--json").stdout.strip() == "[]"


# -- through the real CLI, against the example sandbox ---------------------------------------


def test_a_sandbox_task_is_resumable_and_resume_of_a_finished_one_leaves_the_output_untouched(tmp_path, run_socialtap):
    out, state = tmp_path / "out.jsonl", tmp_path / "state.sqlite"
    args = ["run", "example", "profiles", "-p", "profile_id=a", "--sandbox", "-o", str(out), "--state", str(state)]
    env = {"SOCIALTAP_NOW": "2026-03-10T09:00:00Z"}
    first = run_socialtap(*args, env=env)
    assert first.returncode == 0, first.stderr
    before = (out.read_bytes(), out.stat().st_mtime_ns, out.stat().st_ino)
    again = run_socialtap(*args, "--resume", env=env)  # another sandbox, on another port
    assert again.returncode == 0, again.stderr
    assert "socialtap: warning: already complete" in again.stderr and "left as it is" in again.stderr
    assert "from 0 requests" in again.stderr
    assert (out.read_bytes(), out.stat().st_mtime_ns, out.stat().st_ino) == before, "the output was rewritten"
    listed = run_socialtap("state", "list", "--json", "--state", str(state))
    tasks = json.loads(listed.stdout)
    assert len(tasks) == 1 and tasks[0]["base"] == "sandbox:example", "one task id across two ports"
    refetch = run_socialtap(*args, env=env)  # without --resume: fetched again
    assert refetch.returncode == 0 and "from 1 requests" in refetch.stderr


def test_incremental_refuses_a_stream_without_a_window_and_window_flags_without_incremental(tmp_path, run_socialtap):
    env = {"SOCIALTAP_STATE": str(tmp_path / "state.sqlite")}
    base = ["run", "example", "views", "-p", "ids=a", "--sandbox", "-o", str(tmp_path / "v.jsonl")]
    refused = run_socialtap("run", "example", "profiles", "-p", "profile_id=a", "--sandbox", "--incremental", env=env)
    assert refused.returncode == 2 and "has no date window" in refused.stderr
    flags = run_socialtap(*base, "-p", "start_date=2026-03-01", "-p", "end_date=2026-03-02", "--lookback", "1", env=env)
    assert flags.returncode == 2 and "--lookback only apply with --incremental" in flags.stderr
    listed = run_socialtap("state", "list", env=env)
    assert listed.returncode == 0 and "no tasks in" in listed.stderr, "refused runs leave no task behind"
