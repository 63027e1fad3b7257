"""Many workers, one limit: real Airflow 3 (scheduler, DAG processor, API server, LocalExecutor
with parallelism 4) runs a mapped DAG over 40 Shareablee entity ids against the sandbox in
a process of its own, limited to 5 requests a second; every task process takes its slots
from one Redis bucket (``SOCIALTAP_RATE_LIMIT_URL``, a ``redis-server`` started here).

Measured at the sandbox: no 429, never more than 5 arrivals in any second, every post
once in the outputs; the achieved rate is printed as a fraction of 5/s. On Celery or
Kubernetes workers the same holds with the same Redis URL in every worker's environment
(README, "Many workers, one limit").
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest

from socialtap.plugins import get_plugin_manager, get_registry
from socialtap.testing.echo import base64_forms
from socialtap.testing.server import serve_app_in_subprocess, stop_process

pytestmark = [pytest.mark.airflow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

HERE = Path(__file__).parent
AIRFLOW = Path(sys.executable).with_name("airflow")
LIMIT = 5  # requests a second: the sandbox's limit and Shareablee's declared one
ENTITIES = 40
CHUNK = 4  # ids per mapped task: 10 task processes, 4 at a time
POSTS = 250  # per entity: three pages of user content (100 a page)
DAG_ID = "socialtap_many_workers"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, what: str, deadline: float, processes=()) -> None:
    """Poll until ``condition()``; the deadline only guards against a hang, it measures nothing."""
    end = time.monotonic() + deadline
    while not condition():
        for name, process in processes:
            assert process.poll() is None, f"airflow {name} exited ({process.returncode}) while waiting for {what}"
        assert time.monotonic() < end, f"gave up waiting for {what}"
        time.sleep(0.5)


def busiest_second(arrivals: list[float]) -> int:
    """The most arrivals in any window of one second (sliding, as the sandbox counts)."""
    best, start = 0, 0
    for end, t in enumerate(arrivals):
        while t - arrivals[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def query(db: Path, sql: str, *args) -> list[tuple]:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute(sql, args).fetchall()
    except sqlite3.OperationalError:  # not migrated yet, or busy
        return []


def test_many_task_processes_share_one_rate_limit(tmp_path, redis_url, capsys):
    from socialtap_shareablee.sandbox import ShareableeSandbox

    ids = list(ShareableeSandbox(entities=ENTITIES).entities)
    home = Path(tempfile.mkdtemp(prefix="socialtap-airflow-many-"))
    dags, out, db = home / "dags", tmp_path / "out", home / "airflow.db"
    dags.mkdir()
    shutil.copy(HERE / "many_workers_dags" / "socialtap_many_workers.py", dags)
    api_port = free_port()
    kwargs = {"vendor_name": "shareablee", "entities": ENTITIES, "posts_per_entity": POSTS, "rate_limit": LIMIT}
    with serve_app_in_subprocess("socialtap.testing:sandbox_app", kwargs=kwargs) as sandbox:
        base_url = sandbox.url + urlsplit(get_registry().get("shareablee").base_url).path.rstrip("/")
        vendor = get_registry().get("shareablee")
        credentials = dict(get_plugin_manager().hook.socialtap_sandbox(vendor=vendor).credentials)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "SOCIALTAP_"))}
        env.update(
            {
                "AIRFLOW_HOME": str(home),
                "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{db}",
                "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
                "AIRFLOW__CORE__PARALLELISM": "4",
                "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": "4",
                "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
                "AIRFLOW__API_AUTH__JWT_SECRET": "socialtap-test-jwt-secret-not-a-credential",
                "AIRFLOW__API__SECRET_KEY": "socialtap-test-api-secret-not-a-credential",
                "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
                "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
                "AIRFLOW_CONN_SOCIALTAP_LIMITED": json.dumps(
                    {"conn_type": "socialtap", "host": base_url, "extra": {"vendor": "shareablee", **credentials}}
                ),
                "SOCIALTAP_RATE_LIMIT_URL": redis_url,
                "SOCIALTAP_STATE": str(tmp_path / "state.sqlite"),
                "SOCIALTAP_TEST_OUT": str(out),
                "SOCIALTAP_MANY_IDS": json.dumps(ids),
                "SOCIALTAP_MANY_CHUNK": str(CHUNK),
            }
        )
        run = {"env": env, "stdin": subprocess.DEVNULL, "capture_output": True, "text": True, "timeout": 600}
        migrated = subprocess.run([str(AIRFLOW), "db", "migrate"], **run)
        assert migrated.returncode == 0, migrated.stderr[-3000:]
        logs = home / "component-logs"
        logs.mkdir()
        processes = []
        try:
            for name, args in (
                ("api-server", ["api-server", "--port", str(api_port), "--host", "127.0.0.1"]),
                ("dag-processor", ["dag-processor"]),
                ("scheduler", ["scheduler"]),
            ):
                log = open(logs / f"{name}.log", "w")
                process = subprocess.Popen(
                    [str(AIRFLOW), *args], env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
                )
                processes.append((name, process))
                log.close()  # the child holds its own descriptor
            wait_for(lambda: query(db, "SELECT 1 FROM serialized_dag WHERE dag_id = ?", DAG_ID), "the DAG parsed", 180, processes)
            triggered = subprocess.run([str(AIRFLOW), "dags", "trigger", DAG_ID], **run)
            assert triggered.returncode == 0, triggered.stderr[-3000:]
            finished = lambda: query(db, "SELECT state FROM dag_run WHERE dag_id = ? AND state IN ('success', 'failed')", DAG_ID)  # noqa: E731
            try:
                wait_for(finished, "the DAG run to finish", 420, processes)
            except AssertionError:
                _dump(home, logs)
                raise
            states = query(db, "SELECT map_index, state FROM task_instance WHERE dag_id = ?", DAG_ID)
            if finished()[0][0] != "success":
                _dump(home, logs)
            assert finished()[0][0] == "success", states
            # Task processes ran side by side: their start and end times overlap.
            spans = query(db, "SELECT start_date, end_date FROM task_instance WHERE dag_id = ? ORDER BY start_date", DAG_ID)
        finally:
            for _, process in reversed(processes):
                stop_process(process)
        app = SimpleNamespace(**sandbox.state("stats", "arrivals"))

    assert len(states) == ENTITIES // CHUNK and {s for _, s in states} == {"success"}, states
    overlapping = sum(1 for (_, end), (start, _) in itertools.pairwise(spans) if start < end)
    assert overlapping >= 1, f"the task processes never ran at the same time: {spans}"
    assert app.stats.get("throttled", 0) == 0, f"the sandbox answered 429: {app.stats}"
    assert busiest_second(app.arrivals) <= LIMIT
    post_ids = []
    for path in sorted(out.glob("content-*.jsonl")):
        post_ids += [json.loads(line)["post_id"] for line in path.read_text().splitlines() if '"type": "post"' in line]
    assert len(post_ids) == ENTITIES * POSTS and len(set(post_ids)) == len(post_ids), (len(post_ids), len(set(post_ids)))
    # The canary: Shareablee signs with Basic (base64 of key:secret); no task log, output or
    # state file holds a credential in any form.
    secrets = [v for v in credentials.values() if v]
    secrets += [form for s in [*secrets, ":".join(secrets)] for form in (s, *base64_forms(s))]
    files = [p for root in (home / "logs", out, tmp_path) for p in root.rglob("*") if p.is_file()]
    assert any(p.suffix == ".log" for p in files), "no task log to scan"
    for path in files:
        blob = path.read_bytes()
        assert not any(s.encode() in blob for s in secrets), f"a credential appears in {path.name}"
    requests = len(app.arrivals)
    span = app.arrivals[-1] - app.arrivals[0] + 1.0  # the last request's second included
    rate = requests / span
    with capsys.disabled():  # the measurement is the point: shown without -s
        print(
            f"\nmany workers, one limit: {requests} requests from {len(states)} task processes (parallelism 4) in {span:.1f} s: "
            f"{rate:.2f}/s = {rate / LIMIT:.0%} of the {LIMIT}/s limit; 0 x 429; busiest second {busiest_second(app.arrivals)}"
        )


def _dump(home: Path, logs: Path) -> None:
    """What the components and the tasks logged, for a failure's report."""
    for path in [*sorted(logs.glob("*.log")), *sorted((home / "logs").rglob("*.log"))][:12]:
        print(f"--- {path.relative_to(home)}\n{path.read_text(errors='replace')[-3000:]}")
