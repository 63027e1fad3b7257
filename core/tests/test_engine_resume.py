"""Resume: a run killed with SIGKILL, then resumed, gives exactly the records of an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from engine_support import TOKEN, ItemsApp, VendorPlugin, make_vendor

from socialtap import Options, Task
from socialtap.errors import ChainsFailedError
from socialtap.plugins import make_plugin_manager
from socialtap.runner import run_to_output
from socialtap.testing import serve_app
from socialtap.testing.faults import FaultInjector, Faults

PROFILES = [f"p{i}" for i in range(10)]
EXAMPLE_TOKEN = "example-test-token"


def cli(url: str, out: Path, state: Path, *extra: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIALTAP_")}
    env["SOCIALTAP_EXAMPLE_TOKEN"] = EXAMPLE_TOKEN
    pairs = [arg for p in PROFILES for arg in ("-p", f"profile_id={p}")]
    args = ["run", "example", "posts", *pairs, "--base-url", url, "-o", str(out), "--state", str(state), "--concurrency", "2"]
    return subprocess.Popen(
        [sys.executable, "-m", "socialtap.cli", *args, *extra],
        stdin=subprocess.DEVNULL,  # never the terminal's: the suite runs the same as a background job
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def finish(proc: subprocess.Popen) -> str:
    try:
        _out, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()  # never leave a run behind
        proc.communicate(timeout=10)
        raise
    assert proc.returncode == 0, err
    return err


def chains_done(state: Path) -> int:
    if not state.exists():
        return 0
    try:
        with sqlite3.connect(state, timeout=5) as db:
            return db.execute("SELECT COUNT(*) FROM checkpoints WHERE done = 1").fetchone()[0]
    except sqlite3.OperationalError:  # the table is not created yet
        return 0


@pytest.mark.slow
def test_a_run_killed_mid_way_and_resumed_gives_exactly_the_records_of_an_uninterrupted_run(tmp_path):
    from socialtap_example.sandbox import ExampleSandbox

    injector = FaultInjector(ExampleSandbox(posts_per_profile=12), Faults(latency=0.1))
    with serve_app(injector) as served:
        url = served.url + "/v2"
        clean_out = tmp_path / "clean.jsonl"
        finish(cli(url, clean_out, tmp_path / "clean-state.sqlite"))
        full_requests = injector.counts["requests"]

        out, state = tmp_path / "out.jsonl", tmp_path / "state.sqlite"
        before = injector.counts["requests"]
        proc = cli(url, out, state)
        deadline = time.monotonic() + 60
        while chains_done(state) < 2:
            assert proc.poll() is None, "the run ended before it could be killed; slow the server down"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert not out.exists(), "a killed run must not leave a half output in place"
        killed_requests = injector.counts["requests"] - before

        before = injector.counts["requests"]
        summary = finish(cli(url, out, state, "--resume"))
        resumed_requests = injector.counts["requests"] - before

    clean = clean_out.read_text().splitlines()
    resumed = out.read_text().splitlines()
    assert len(clean) == len(PROFILES) * 12
    assert resumed == clean
    assert "chains done earlier" in summary
    assert resumed_requests < full_requests, "finished chains were fetched again"
    assert killed_requests + resumed_requests >= full_requests
    assert not list(tmp_path.glob(".out.jsonl.*.part"))
    blob = state.read_bytes() + (Path(f"{state}-wal").read_bytes() if Path(f"{state}-wal").exists() else b"")
    assert EXAMPLE_TOKEN.encode() not in blob, "a credential was written to the state file"


VENDOR = make_vendor("resumed")


def run_into(url, out, state, keys, fmt="jsonl", **options):
    task = Task(
        "resumed", "items", {"key": keys}, {"token": TOKEN}, Options(base_url=url + "/api", state=str(state), max_attempts=1, **options)
    )
    return run_to_output(task, fmt, str(out), plugin_manager=make_plugin_manager(extra=(VendorPlugin(VENDOR),)))


@pytest.mark.parametrize("fmt", ["jsonl", "sqlite"])
def test_resume_after_a_failed_chain_fetches_only_what_is_missing(tmp_path, fmt):
    keys = ["k0", "k1", "k2", "k3"]
    app = ItemsApp(default_pages=3, fail={"k2": 404})
    out, state = tmp_path / f"out.{fmt}", tmp_path / "state.sqlite"
    with serve_app(app) as served:
        with pytest.raises(ChainsFailedError, match="key=k2"):
            run_into(served.url, out, state, keys, fmt)
        app.fail.clear()
        app.requests.clear()
        report = run_into(served.url, out, state, keys, fmt, resume=True)
    assert sorted(app.requests) == [("k2", 1), ("k2", 2), ("k2", 3)]
    assert [c.status for c in report.chains] == ["skipped", "skipped", "done", "skipped"]
    expected = sorted(f"{k}-{p}-{i}" for k in keys for p in (1, 2, 3) for i in range(3))
    if fmt == "jsonl":
        got = [json.loads(line)["other_id"] for line in out.read_text().splitlines()]
    else:
        with sqlite3.connect(out) as db:
            got = [row[0] for row in db.execute('SELECT other_id FROM "relation"')]
    assert sorted(got) == expected


def test_a_run_without_resume_starts_over(tmp_path):
    app = ItemsApp(default_pages=2)
    out, state = tmp_path / "out.jsonl", tmp_path / "state.sqlite"
    with serve_app(app) as served:
        run_into(served.url, out, state, ["a", "b"])
        run_into(served.url, out, state, ["a", "b"])
        assert len(app.requests) == 8
        report = run_into(served.url, out, state, ["a", "b"], resume=True)
    assert len(app.requests) == 8 and report.requests == 0, "a finished task is not fetched again on --resume"
    assert len(out.read_text().splitlines()) == 12


def test_a_run_that_fails_before_any_page_creates_no_output(tmp_path):
    out = tmp_path / "out.jsonl"
    with serve_app(ItemsApp(fail={"a": 404})) as served, pytest.raises(Exception, match="not found"):
        run_into(served.url, out, tmp_path / "state.sqlite", ["a"])
    assert not out.exists() and not list(tmp_path.glob(".out.jsonl.*"))
