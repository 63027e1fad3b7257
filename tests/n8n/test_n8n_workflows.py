"""The shipped n8n workflows (integrations/n8n/) executed headless by the real n8n CLI.

One ``n8n execute-batch`` runs the shipped workflows in one process (n8n costs ~5 s to start),
against the Metrika sandbox: the Execute Command workflow runs ``socialtap n8n``, the
HTTP Request workflow calls ``socialtap serve``. Successful runs are written by n8n as
clean JSON snapshots, so nothing parses n8n's log output.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from socialtap.testing import serve_sandbox

pytestmark = [pytest.mark.n8n, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / "integrations" / "n8n"
N8N = os.environ.get("SOCIALTAP_N8N", "n8n")
BIN = Path(sys.executable).parent  # the venv whose `socialtap` the workflows run
COMMAND_ID, HTTP_ID, CHECK_ID = "socialtapCommand01", "socialtapHttp01", "socialtapCheck01"
SHIPPED_SERVE = "http://127.0.0.1:8787"
SHIPPED_URL = f"{SHIPPED_SERVE}/run"
ACCOUNTS = {("instagram", "natgeo"), ("youtube", "mkbhd"), ("tiktok", "khaby.lame")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def n8n_env(user_folder: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("N8N_", "SOCIALTAP_"))}
    env.update(
        {
            "N8N_USER_FOLDER": str(user_folder),
            "NODES_EXCLUDE": "[]",  # Execute Command is excluded by default
            "N8N_EXPRESSION_ENGINE": "legacy",  # the default engine crashed on exit in 4 of 17 runs
            "N8N_RUNNERS_BROKER_PORT": str(free_port()),
            "N8N_DIAGNOSTICS_ENABLED": "false",
            "N8N_VERSION_NOTIFICATIONS_ENABLED": "false",
            "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
            **extra,
        }
    )
    return env


@contextmanager
def socialtap_serve(env: dict[str, str]) -> Iterator[str]:
    proc = subprocess.Popen(
        [str(BIN / "socialtap"), "serve", "--port", "0"],
        env=env,
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        line = proc.stderr.readline()
        assert "listening on " in line, line
        yield line.split("listening on ", 1)[1].split(";", 1)[0].strip()
    finally:
        proc.terminate()  # SIGTERM: `socialtap serve` stops cleanly on it
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        proc.stderr.close()


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> Path:
    """A user folder with both shipped workflows imported (copied per batch: import costs ~10 s)."""
    folder = tmp_path_factory.mktemp("n8n-user")
    env = n8n_env(folder, {})
    for shipped in sorted(WORKFLOWS.glob("*.json")):
        done = subprocess.run(
            [N8N, "import:workflow", f"--input={shipped}"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            stdin=subprocess.DEVNULL,
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return folder


def execute_batch(imported: Path, tmp: Path, token: str, base_url: str) -> tuple[dict, Path]:
    """Run the three workflows once; returns n8n's summary and the snapshot folder."""
    user = tmp / "user"
    shutil.copytree(imported, user)
    vendor_env = {"SOCIALTAP_METRIKA_TOKEN": token, "SOCIALTAP_METRIKA_BASE_URL": base_url}
    env = n8n_env(user, vendor_env)
    with socialtap_serve({**os.environ, **vendor_env}) as serve_url:
        # The one documented edit: point the HTTP Request node at where `socialtap serve` runs.
        database = user / ".n8n" / "database.sqlite"
        import sqlite3

        with sqlite3.connect(database) as db:
            for workflow_id in (HTTP_ID, CHECK_ID):
                rows = db.execute("SELECT id, nodes FROM workflow_entity WHERE id = ?", (workflow_id,)).fetchall()
                assert rows and SHIPPED_SERVE in rows[0][1]
                db.execute(
                    "UPDATE workflow_entity SET nodes = ? WHERE id = ?",
                    (rows[0][1].replace(SHIPPED_SERVE, serve_url), workflow_id),
                )
        snapshots = tmp / "snapshots"
        snapshots.mkdir()
        summary = tmp / "summary.json"
        done = subprocess.run(
            [
                N8N,
                "execute-batch",
                f"--ids={COMMAND_ID},{HTTP_ID},{CHECK_ID}",
                f"--snapshot={snapshots}",
                f"--output={summary}",
                "--retries=0",
            ],
            env=env,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            text=True,
            timeout=600,
        )
    assert summary.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(summary.read_text()), snapshots


def items_of(snapshots: Path, workflow_id: str, node: str) -> list[dict]:
    data = json.loads((snapshots / f"{workflow_id}-snapshot.json").read_text())
    run_data = data["data"]["resultData"]["runData"]
    return [item["json"] for item in run_data[node][-1]["data"]["main"][0]]


@pytest.fixture(scope="module")
def batch(imported, tmp_path_factory):
    with serve_sandbox("metrika") as sandbox:
        summary, snapshots = execute_batch(
            imported, tmp_path_factory.mktemp("ok"), sandbox.credentials["token"], sandbox.base_url
        )
        yield summary, snapshots, sandbox.credentials["token"]


def assert_accounts_records(records: list[dict]) -> None:
    assert {r["type"] for r in records} == {"account", "observation"}
    assert {(r["platform"], r["account_id"]) for r in records if r["type"] == "account"} == ACCOUNTS
    observed = {(r["platform"], r["entity_id"]) for r in records if r["type"] == "observation"}
    assert observed == ACCOUNTS
    assert all(r["vendor"] == "metrika" for r in records)


def test_all_workflows_succeed(batch):
    summary, _, _ = batch
    assert summary["summary"]["successfulExecutions"] == 3, summary
    assert summary["summary"]["failedExecutions"] == 0 and summary["summary"]["warningExecutions"] == 0, summary


def test_execute_command_workflow_gives_one_item_per_record(batch):
    _, snapshots, token = batch
    command = items_of(snapshots, COMMAND_ID, "socialtap n8n")
    assert len(command) == 1 and command[0]["exitCode"] == 0 and command[0]["stderr"] == ""
    records = items_of(snapshots, COMMAND_ID, "Records")
    assert_accounts_records(records)
    assert token not in json.dumps(records)


def test_http_request_workflow_gives_the_same_records(batch):
    _, snapshots, token = batch
    over_http = items_of(snapshots, HTTP_ID, "POST /run")
    assert_accounts_records(over_http)
    assert token not in json.dumps(over_http)

    def comparable(records):
        return sorted(json.dumps({k: v for k, v in r.items() if k != "fetched_at"}, sort_keys=True) for r in records)

    assert comparable(over_http) == comparable(items_of(snapshots, COMMAND_ID, "Records"))


def test_check_workflow_says_what_the_vendor_answered(batch):
    _, snapshots, token = batch
    (answer,) = items_of(snapshots, CHECK_ID, "POST /check")
    assert answer["ok"] is True and answer["vendor"] == "metrika"
    assert answer["message"].startswith("Metrika answered POST /resources/search:")
    assert token not in json.dumps(answer)


def test_wrong_vendor_credentials_fail_both_fetch_workflows_and_the_check_says_so(imported, tmp_path):
    with serve_sandbox("metrika") as sandbox:
        summary, snapshots = execute_batch(imported, tmp_path, "wrong-metrika-token", sandbox.base_url)
    assert summary["summary"]["failedExecutions"] == 2, summary
    assert summary["summary"]["successfulExecutions"] == 1  # the check: it answered, with ok false
    (answer,) = items_of(snapshots, CHECK_ID, "POST /check")
    assert answer["ok"] is False and answer["error"]["type"] == "AuthError"
    assert "wrong-metrika-token" not in json.dumps(answer)
    assert "wrong-metrika-token" not in json.dumps(summary)
    errors = {e["workflowId"]: e["error"] for e in summary["summary"]["errors"]}
    assert "AuthError" in errors[COMMAND_ID]  # the one stderr line of `socialtap n8n`
    assert "SOCIALTAP_METRIKA_TOKEN" in errors[HTTP_ID]  # the message of serve's 502 body
