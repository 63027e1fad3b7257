"""Checkpoints that cannot corrupt an output: keyed by task AND output, locked, migrated.

Real HTTP to an in-process app on 127.0.0.1 (``engine_support.ItemsApp``) that records
every request it receives, so "nothing was fetched" is measured at the server.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(__file__))
from engine_support import TOKEN, ItemsApp, VendorPlugin, make_vendor

from socialtap import Options, Task
from socialtap.errors import ChainsFailedError, ConfigError, OutputBusyError
from socialtap.plugins import make_plugin_manager
from socialtap.runner import run_to_output
from socialtap.state import SCHEMA_VERSION, OutputKey, StateStore

VENDOR = make_vendor("keyed")
KEYS = ["k0", "k1", "k2"]
PAGES = 3


def run_into(url, out, state, fmt="jsonl", keys=KEYS, **options):
    task = Task(
        "keyed", "items", {"key": keys}, {"token": TOKEN}, Options(base_url=url + "/api", state=str(state), max_attempts=1, **options)
    )
    return run_to_output(task, fmt, str(out) if out is not None else None, plugin_manager=make_plugin_manager(extra=(VendorPlugin(VENDOR),)))


def items(out: Path, fmt: str) -> list[str]:
    if fmt == "jsonl":
        return sorted(json.loads(line)["other_id"] for line in out.read_text().splitlines())
    with sqlite3.connect(out) as db:
        return sorted(row[0] for row in db.execute('SELECT other_id FROM "relation"'))


def everything(keys=KEYS, pages=PAGES) -> list[str]:
    return sorted(f"{k}-{p}-{i}" for k in keys for p in range(1, pages + 1) for i in range(3))


def parts(directory: Path) -> list[Path]:
    return sorted(directory.glob(".*.part"))


def serve(app):
    from socialtap.testing import serve_app

    return serve_app(app)


# -- 1. keyed by task and output ---------------------------------------------------------


def test_resume_into_another_file_warns_and_starts_over_instead_of_skipping_chains(tmp_path):
    app = ItemsApp(default_pages=PAGES, fail={"k1": 404})
    state = tmp_path / "state.sqlite"
    with serve(app) as served:
        with pytest.raises(ChainsFailedError):
            run_into(served.url, tmp_path / "first.jsonl", state)  # k0 and k2 done, k1 failed
        app.fail.clear()
        report = run_into(served.url, tmp_path / "second.jsonl", state, resume=True)
    assert items(tmp_path / "second.jsonl", "jsonl") == everything(), "chains done into first.jsonl were skipped"
    assert [c.status for c in report.chains] == ["done", "done", "done"]
    assert any("starting over" in w and "first.jsonl" in w for w in report.warnings), report.warnings
    assert parts(tmp_path) == []


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (dict(fmt="jsonl", name="out.jsonl", max_pages=None), dict(fmt="sqlite", name="out.sqlite", max_pages=None)),
        (dict(fmt="jsonl", name="out.jsonl", max_pages=1), dict(fmt="jsonl", name="out.jsonl", max_pages=None)),
        (dict(fmt="sqlite", name="out.sqlite", max_pages=1), dict(fmt="sqlite", name="out.sqlite", max_pages=2)),
    ],
    ids=["other-format", "other-max-pages-jsonl", "other-max-pages-sqlite"],
)
def test_resume_with_another_format_or_max_pages_warns_and_writes_the_whole_output(tmp_path, before, after):
    app = ItemsApp(default_pages=PAGES)
    state = tmp_path / "state.sqlite"
    with serve(app) as served:
        run_into(served.url, tmp_path / before["name"], state, before["fmt"], max_pages=before["max_pages"])
        app.requests.clear()
        report = run_into(served.url, tmp_path / after["name"], state, after["fmt"], max_pages=after["max_pages"], resume=True)
    pages = after["max_pages"] or PAGES
    assert items(tmp_path / after["name"], after["fmt"]) == everything(pages=pages)
    assert len(app.requests) == len(KEYS) * pages, "the new run must fetch everything again"
    assert any("starting over" in w for w in report.warnings), report.warnings
    assert not any("already complete" in w for w in report.warnings)
    assert parts(tmp_path) == []


def test_resume_of_a_finished_task_fetches_nothing_and_says_already_complete(tmp_path):
    app = ItemsApp(default_pages=2)
    out, state = tmp_path / "out.jsonl", tmp_path / "state.sqlite"
    with serve(app) as served:
        run_into(served.url, out, state)
        app.requests.clear()
        report = run_into(served.url, out, state, resume=True)
    assert app.requests == [] and report.requests == 0
    assert [w for w in report.warnings if w.startswith("already complete")], report.warnings
    assert items(out, "jsonl") == everything(pages=2), "the finished output is kept as it was"


def test_the_cli_prints_the_reports_warnings_on_stderr(tmp_path, run_socialtap):
    from socialtap.testing import serve_sandbox

    out, state = tmp_path / "out.jsonl", tmp_path / "state.sqlite"
    with serve_sandbox("example") as running:
        args = ["run", "example", "profiles", "-p", "profile_id=a", "--base-url", running.base_url, "-o", str(out), "--state", str(state)]
        env = {"SOCIALTAP_EXAMPLE_TOKEN": running.credentials["token"]}
        assert run_socialtap(*args, env=env).returncode == 0
        done = run_socialtap(*args, "--resume", env=env)
    assert done.returncode == 0, done.stderr
    assert "socialtap: warning: already complete" in done.stderr


def test_starting_over_on_a_file_forgets_checkpoints_into_it_and_removes_their_part_files(tmp_path):
    out, state = tmp_path / "out.jsonl", tmp_path / "state.sqlite"
    # What a run of another task killed by SIGKILL leaves: a checkpoint and its part file.
    store = StateStore(state)
    store.save("0123456789abcdef", OutputKey(str(out), "jsonl", None), "", None, 1, 10)
    store.close()
    stale = tmp_path / ".out.jsonl.0123456789abcdef.part"
    stale.write_text('{"type": "relation"}\n')
    with serve(ItemsApp()) as served:
        run_into(served.url, out, state)
    assert not stale.exists()
    with sqlite3.connect(state) as db:
        assert db.execute("SELECT COUNT(*) FROM checkpoints WHERE task_id = '0123456789abcdef'").fetchone() == (0,)
    assert parts(tmp_path) == []


V0_SCHEMA = """
CREATE TABLE checkpoints (task_id TEXT NOT NULL, chain TEXT NOT NULL, next_request TEXT,
    done INTEGER NOT NULL DEFAULT 0, pages INTEGER NOT NULL DEFAULT 0, updated_at REAL NOT NULL,
    PRIMARY KEY (task_id, chain));
CREATE TABLE outputs (task_id TEXT PRIMARY KEY, position TEXT, updated_at REAL NOT NULL);
"""


def test_a_state_file_of_the_previous_schema_migrates_and_its_checkpoints_never_resume_an_output(tmp_path):
    from socialtap.runner import prepare

    app = ItemsApp(default_pages=2)
    out, legacy = tmp_path / "out.jsonl", tmp_path / "legacy.sqlite"
    with serve(app) as served:
        task = Task("keyed", "items", {"key": ["k0"]}, {"token": TOKEN}, Options(base_url=served.url + "/api"))
        task_id = prepare(task, plugin_manager=make_plugin_manager(extra=(VendorPlugin(VENDOR),))).task_id
        with sqlite3.connect(legacy) as db:  # written by socialtap before checkpoints knew their output
            db.executescript(V0_SCHEMA)
            db.execute("INSERT INTO checkpoints VALUES (?, '', NULL, 1, 2, 0)", (task_id,))
            db.execute("INSERT INTO outputs VALUES (?, '100', 0)", (task_id,))
        report = run_into(served.url, out, legacy, keys=["k0"], resume=True)
    assert len(app.requests) == 2, "a checkpoint that does not know its output must not resume one"
    assert any("earlier socialtap did not record" in w for w in report.warnings), report.warnings
    assert items(out, "jsonl") == everything(keys=["k0"], pages=2)
    with sqlite3.connect(legacy) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert tables == {"checkpoints", "outputs", "tasks", "runs", "bookmarks"}
        assert db.execute("SELECT task_id, output, chain, done FROM checkpoints WHERE output = ''").fetchall() == [
            (task_id, "", "", 1)
        ], "the old rows are kept (migrated), not dropped"


def test_a_state_file_of_a_newer_schema_is_refused(tmp_path):
    state = tmp_path / "state.sqlite"
    with sqlite3.connect(state) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(ConfigError, match="newer than this socialtap"):
        StateStore(state)


# -- 1b. one run per output at a time ---------------------------------------------------


@pytest.mark.parametrize("fmt", ["jsonl", "sqlite", "csv"])
def test_a_second_run_on_a_busy_output_fails_at_once_without_a_request(tmp_path, fmt):
    app = ItemsApp(default_pages=1, latency=0.25)
    out = tmp_path / ("out" if fmt == "csv" else f"out.{fmt}")
    with serve(app) as served:
        first = threading.Thread(target=run_into, args=(served.url, out, tmp_path / "a.sqlite", fmt, ["slow"]), daemon=True)
        first.start()
        deadline = time.monotonic() + 10
        while not app.requests:  # the first run holds the lock before its first request
            assert time.monotonic() < deadline
            time.sleep(0.01)
        started = time.monotonic()
        with pytest.raises(OutputBusyError) as caught:
            run_into(served.url, out, tmp_path / "b.sqlite", fmt, keys=["other"])
        assert time.monotonic() - started < 0.2, "the second run must fail at once, not wait"
        first.join(10)
    message = str(caught.value)
    assert "busy" in message and "another socialtap run" in message and str(out) in message and "\n" not in message
    assert caught.value.exit_code == 2
    assert [key for key, _ in app.requests] == ["slow"], "the second run sent a request"
    assert not (tmp_path / f".{out.name}.lock").exists(), "the lock file is removed on release"


def test_the_lock_dies_with_a_process_killed_by_sigkill(tmp_path):
    out = tmp_path / "out.jsonl"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from socialtap.outputs import output_lock\n"
            "with output_lock(Path(sys.argv[1])):\n    print('locked', flush=True); time.sleep(60)",
            str(out),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with serve(ItemsApp()) as served:
            with pytest.raises(OutputBusyError, match=f"pid {holder.pid}"):
                run_into(served.url, out, tmp_path / "state.sqlite")
            holder.kill()  # SIGKILL: no cleanup runs, the lock file stays behind
            holder.wait()
            assert (tmp_path / ".out.jsonl.lock").exists()
            run_into(served.url, out, tmp_path / "state.sqlite")
    finally:
        holder.kill()
        holder.wait()
    assert items(out, "jsonl") == everything(pages=1)


def test_stdout_output_takes_no_lock(tmp_path, capsys):
    with serve(ItemsApp()) as served:
        run_into(served.url, None, tmp_path / "state.sqlite", keys=["k0"])
    assert len(capsys.readouterr().out.splitlines()) == 3
    assert list(tmp_path.glob("*.lock")) == [] and list(Path.cwd().glob(".-.lock")) == []


# -- the property: a resume never loses or repeats a record, whatever changed -----------


@pytest.fixture(scope="module")
def shared_app():
    app = ItemsApp(default_pages=PAGES)
    with serve(app) as served:
        yield app, served.url


RUN = st.fixed_dictionaries(
    {"fmt": st.sampled_from(["jsonl", "sqlite"]), "max_pages": st.sampled_from([None, 1, 2]), "name": st.sampled_from(["a", "b"])}
)


@settings(max_examples=15, deadline=None)
@given(first=RUN, second=RUN, first_fails=st.booleans())
def test_a_resume_writes_exactly_the_whole_output_whatever_changed_since_the_checkpoint(shared_app, first, second, first_fails):
    app, url = shared_app
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        state = root / "state.sqlite"
        app.fail = {"k1": 404} if first_fails else {}
        try:
            run_into(url, root / f"{first['name']}.{first['fmt']}", state, first["fmt"], max_pages=first["max_pages"])
        except ChainsFailedError:
            assert first_fails
        app.fail = {}
        out = root / f"{second['name']}.{second['fmt']}"
        report = run_into(url, out, state, second["fmt"], max_pages=second["max_pages"], resume=True)
        got = items(out, second["fmt"])
        expected = everything(pages=second["max_pages"] or PAGES)
        if second["fmt"] == "jsonl":
            assert got == expected, "a record was lost or written twice"
        else:
            # SQLite output is an upsert store: rows an earlier run wrote to the same file stay
            # (one row per natural key); this run's records must all be there.
            assert set(expected) <= set(got) <= set(everything()) and len(got) == len(set(got))
        same = first == second
        assert any("starting over" in w for w in report.warnings) == (not same), report.warnings
        assert any("already complete" in w for w in report.warnings) == (same and not first_fails)
        assert parts(root) == [] and list(root.glob(".*.lock")) == []


def test_a_sandbox_resume_moves_a_saved_link_onto_the_sandbox_served_now():
    """A sandbox is served on a new port each time: a saved next link to the old port is
    moved onto the new one (same path and query); any other host is left as it is."""
    from socialtap.http import Request
    from socialtap.state import request_from_json, request_to_json

    saved = request_to_json(Request("GET", "http://127.0.0.1:41000/v1/items?page=3", chain="a"))
    moved = request_from_json(saved, None, sandbox_base="http://127.0.0.1:42000/v1")
    assert moved.url == "http://127.0.0.1:42000/v1/items?page=3"
    assert request_from_json(saved, None).url == saved["url"]  # not a sandbox run: untouched
    foreign = request_to_json(Request("GET", "https://api.vendor.example/v1/items?page=3"))
    assert request_from_json(foreign, None, sandbox_base="http://127.0.0.1:42000/v1").url == foreign["url"]
