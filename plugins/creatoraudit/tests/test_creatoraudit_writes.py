"""Writes that are never duplicated: counted at the sandbox, over real HTTP on 127.0.0.1.

The sandbox creates a new video for every request it does not recognise by its key (the
worst case the docs allow), so every count below is the client's doing.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from socialtap.errors import ConfigError, PayloadError, VendorError
from socialtap.plugins import make_plugin_manager
from socialtap.runner import Options, RunReport, Task, iter_records
from socialtap.testing import serve_sandbox
from socialtap.testing.server import serve_app, stop_process
from socialtap_creatoraudit.sandbox import TEST_TOKEN

IDENTIFIERS = [f"Vid{n:03d}xYz" for n in range(50)]
PARAMS = {"platform": "instagram", "identifier": IDENTIFIERS, "metadata": {"batch": "b1"}}
DROP_SEED = 3


class Recorder:
    """WSGI middleware keeping the Idempotency-Key of every request (None when absent);
    ``strip=True`` removes the header first, as a client without keys would send."""

    def __init__(self, app: Callable[..., Any], strip: bool = False):
        self.app = app
        self.strip = strip
        self.keys: list[str | None] = []
        self.lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        with self.lock:
            self.keys.append(environ.get("HTTP_IDEMPOTENCY_KEY"))
        if self.strip:
            environ.pop("HTTP_IDEMPOTENCY_KEY", None)
        return self.app(environ, start_response)


def run_task(running: Any, state: Path, params: dict[str, Any] | None = None, **options: Any) -> tuple[list[Any], RunReport]:
    options = {"backoff_initial": 0.01, "max_attempts": 8, **options}
    task = Task(
        "creatoraudit",
        "track_video",
        params or PARAMS,
        running.credentials,
        Options(base_url=running.base_url, state=str(state), **options),
    )
    report = RunReport("creatoraudit", "track_video", "")
    return list(iter_records(task, report=report, plugin_manager=make_plugin_manager())), report


def posts(records: list[Any]) -> list[Any]:
    return [r for r in records if type(r).__name__ == "Post"]


def test_dropped_answers_create_each_video_once(tmp_path):
    """30% of answers are dropped after the video was created; 50 identifiers, 50 videos."""
    with serve_sandbox("creatoraudit", seed=DROP_SEED, drop_rate=0.3, wrap=Recorder) as running:
        records, report = run_task(running, tmp_path / "state.sqlite")
        stats, keys = dict(running.app.stats), running.served.app.keys
    sent, dropped = stats["videos"], stats["dropped"]
    print(f"\ndropped-answer run: {stats['created']} videos created, {sent} POSTs sent, {dropped} answers dropped")
    assert stats["created"] == 50
    assert len({p.post_id for p in posts(records)}) == 50 and len(posts(records)) == 50
    assert dropped >= 10, "the fault plan dropped too little to prove anything"
    # Every dropped answer cost exactly one more POST, answered from the key, not created again.
    assert sent == 50 + dropped and stats["replayed"] == dropped and report.retries == dropped
    assert None not in keys and len(set(keys)) == 50, "every POST carries one key per identifier"


def test_without_keys_the_same_faults_duplicate(tmp_path):
    """The control: the same drops with the key stripped on the way in create duplicates,
    so the test above could fail."""
    with serve_sandbox("creatoraudit", seed=DROP_SEED, drop_rate=0.3, wrap=lambda app: Recorder(app, strip=True)) as running:
        run_task(running, tmp_path / "state.sqlite")
        stats = dict(running.app.stats)
    assert stats["created"] == 50 + stats["dropped"] > 50


def test_the_same_task_run_twice_creates_nothing_more(tmp_path):
    """An orchestrator retry: the second run sends nothing, even after the server's
    10-minute window, and still hands out every video's records."""
    now = [0.0]
    with serve_sandbox("creatoraudit", clock=lambda: now[0]) as running:
        first, _ = run_task(running, tmp_path / "state.sqlite")
        now[0] += 3600  # the server's key window is long gone
        second, report = run_task(running, tmp_path / "state.sqlite")
        stats = dict(running.app.stats)
        # The control: a run that does not share the state file tracks them all again.
        run_task(running, tmp_path / "other.sqlite")
        again = running.app.stats["created"]
    assert stats["created"] == 50 and stats["videos"] == 50, "the second run sent a POST"
    assert [p.post_id for p in posts(second)] == [p.post_id for p in posts(first)]
    assert any("50 item(s) were created by an earlier run" in w for w in report.warnings)
    assert again == 100


def test_a_rerun_within_the_window_elsewhere_reuses_the_keys(tmp_path):
    """Another machine (no shared state file) rerunning the task within 10 minutes sends the
    same keys, and CreatorAudit answers them with the videos it created."""
    with serve_sandbox("creatoraudit", wrap=Recorder) as running:
        run_task(running, tmp_path / "a.sqlite", {**PARAMS, "identifier": IDENTIFIERS[:5]})
        run_task(running, tmp_path / "b.sqlite", {**PARAMS, "identifier": IDENTIFIERS[:5]})
        keys, stats = running.served.app.keys, dict(running.app.stats)
    assert sorted(keys[:5]) == sorted(keys[5:]) and len(set(keys)) == 5
    assert stats["created"] == 5 and stats["replayed"] == 5


def test_two_spellings_of_one_video_are_one_item(tmp_path):
    with serve_sandbox("creatoraudit", wrap=Recorder) as running:
        state = tmp_path / "state.sqlite"
        run_task(running, state, {"platform": "instagram", "identifier": ["https://www.instagram.com/p/Vid000xYz/", "Vid000xYz"]})
        run_task(running, state, {"platform": "instagram", "identifier": ["instagram.com/p/Vid000xYz"]})
        stats, keys = dict(running.app.stats), running.served.app.keys
    assert stats["created"] == 1 and len(keys) == 1


def test_a_key_of_your_own_is_sent_as_given(tmp_path):
    with serve_sandbox("creatoraudit", wrap=Recorder) as running:
        run_task(
            running, tmp_path / "s.sqlite", {"platform": "tiktok", "identifier": ["7301"], "idempotency_key": "airflow-run-42"}
        )
        assert running.served.app.keys == ["airflow-run-42"]


def test_5xx_is_retried_with_the_same_key(tmp_path):
    with serve_sandbox("creatoraudit", faults="first_errors=2", wrap=Recorder) as running:
        records, report = run_task(running, tmp_path / "s.sqlite", {"platform": "tiktok", "identifier": ["7301"]})
        keys = running.served.app.keys
    assert len(posts(records)) == 1 and report.retries == 2
    assert len(keys) == 3 and len(set(keys)) == 1 and keys[0] is not None


def test_a_409_with_the_original_object_is_success(tmp_path):
    with serve_sandbox("creatoraudit", conflict=True) as running:
        first, _ = run_task(running, tmp_path / "a.sqlite", {"platform": "tiktok", "identifier": ["7301"]})
        # Other settings: another key, and the server answers 409 with the video it tracks.
        second, _ = run_task(running, tmp_path / "b.sqlite", {"platform": "tiktok", "identifier": ["7301"], "is_active": False})
        stats = dict(running.app.stats)
    assert stats["created"] == 1 and stats["conflicts"] == 1
    assert posts(first)[0].post_id == posts(second)[0].post_id


def one_video(url: str, tmp_path: Path, **options: Any) -> Task:
    """A task tracking one TikTok video against a bare server at ``url``."""
    options = {"state": str(tmp_path / "s.sqlite"), "backoff_initial": 0.01, **options}
    params = {"platform": "tiktok", "identifier": ["7301"]}
    return Task("creatoraudit", "track_video", params, {"token": TEST_TOKEN}, Options(base_url=url + "/v2", **options))


def answering(status: int, body: Any) -> Callable[..., Any]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        data = json.dumps(body).encode()
        start_response(f"{status} X", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]

    return app


@pytest.mark.parametrize(
    ("status", "body", "error", "words"),
    [
        (
            422,
            {"detail": [{"loc": ["body", "identifier"], "msg": "could not resolve the identifier", "type": "value_error"}]},
            ConfigError,
            "could not resolve the identifier",
        ),
        (400, {"detail": "identifier is not a video"}, ConfigError, "identifier is not a video"),
        (409, {"detail": "already tracked"}, PayloadError, "data"),
    ],
)
def test_error_answers_are_typed_and_sent_once(tmp_path, status, body, error, words):
    recorder = Recorder(answering(status, body))
    with serve_app(recorder) as served, pytest.raises(error) as caught:
        list(iter_records(one_video(served.url, tmp_path), plugin_manager=make_plugin_manager()))
    text = "\n".join([str(caught.value), *getattr(caught.value, "problems", [])])
    assert words in text and len(recorder.keys) == 1


def test_5xx_until_the_end_is_a_vendor_error_and_nothing_is_remembered(tmp_path):
    recorder = Recorder(answering(503, {"detail": "down"}))
    with serve_app(recorder) as served, pytest.raises(VendorError, match="gave up after 3 attempt"):
        list(iter_records(one_video(served.url, tmp_path, max_attempts=3), plugin_manager=make_plugin_manager()))
    assert len(recorder.keys) == 3 and len(set(recorder.keys)) == 1
    with sqlite3.connect(tmp_path / "s.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM created").fetchone()[0] == 0


def test_the_state_file_holds_no_credential(tmp_path):
    with serve_sandbox("creatoraudit") as running:
        run_task(running, tmp_path / "s.sqlite", {**PARAMS, "identifier": IDENTIFIERS[:3]})
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert TEST_TOKEN.encode() not in raw
    with sqlite3.connect(tmp_path / "s.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM created").fetchone()[0] == 3


# -- SIGKILL mid-run, then --resume ----------------------------------------------------


def cli(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "socialtap.cli", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,
    )


def wait_for(condition: Callable[[], bool], what: str, deadline: float = 120.0) -> None:
    """Poll until ``condition`` holds; the deadline only guards against a hang, it measures nothing."""
    end = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


def test_sigkill_then_resume_creates_each_video_once(tmp_path):
    """The CLI is killed once the sandbox has created 20 videos (more are held, not created),
    then resumed: 50 videos in all, each record once in the output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIALTAP_")}
    env.update(SOCIALTAP_CREATORAUDIT_TOKEN=TEST_TOKEN, XDG_STATE_HOME=str(tmp_path / "xdg"))
    out, state = tmp_path / "tracked.jsonl", tmp_path / "state.sqlite"
    with serve_sandbox("creatoraudit", hold_after=20) as running:
        app = running.app
        args = ["run", "creatoraudit", "track_video", "--params", json.dumps(PARAMS), "--base-url", running.base_url]
        args += ["--state", str(state), "--output", str(out)]
        process = cli(args, env)
        try:
            wait_for(lambda: app.stats["created"] == 20 and app.stats["held"] >= 1, "20 videos and a held request")
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        finally:
            stop_process(process)
        assert process.returncode == -signal.SIGKILL
        app.hold_after = None
        app.release()  # the held requests answer 503 to a client that is gone; nothing is created
        resumed = cli([*args, "--resume"], env)
        try:
            _, err = resumed.communicate(timeout=120)
        finally:
            stop_process(resumed)
        stats = dict(app.stats)
    assert resumed.returncode == 0, err.decode()
    assert stats["created"] == 50, stats
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    post_ids = [line["post_id"] for line in lines if line["type"] == "post"]
    assert len(post_ids) == 50 and len(set(post_ids)) == 50


def test_dropped_answers_then_a_whole_task_retry_track_each_video_once(tmp_path):
    """An orchestrator's retry of the whole task (same state file, no --resume) after the first
    attempt met dropped answers and then an outage past its retry budget: 50 videos in all."""
    from socialtap.errors import SocialtapError
    from socialtap.testing.faults import Faults

    with serve_sandbox("creatoraudit", seed=DROP_SEED, drop_rate=0.3, faults=Faults(outage_after=30)) as running:
        with pytest.raises(SocialtapError):
            run_task(running, tmp_path / "state.sqlite", max_attempts=2)
        first = dict(running.app.stats)
        running.injector.faults = Faults()  # the vendor is back; the orchestrator retries the task
        records, _ = run_task(running, tmp_path / "state.sqlite")
        stats = dict(running.app.stats)
    assert 0 < first["created"] < 50 and first["dropped"] >= 1, first
    assert stats["created"] == 50, stats
    assert len(posts(records)) == 50 and len({p.post_id for p in posts(records)}) == 50
