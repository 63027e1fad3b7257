"""The Socialtap community node (integrations/n8n/node) in real n8n, headless.

The built package is loaded as a custom extension (``N8N_CUSTOM_EXTENSIONS`` naming its
``dist``), the shipped example workflow and its credentials are imported, and one
``n8n execute-batch`` runs three copies of it against the Metrika sandbox through
``socialtap serve`` (with a serve token; the vendor token only in n8n's credential store):

- with the right vendor credential: the records, one item per record, paired with the input item;
- with a refused credential: the node fails the workflow with serve's typed message;
- the same, set to continue on error: one error item per input item, paired, and no records.

``make test-n8n`` lints and builds the package first (scripts/build_n8n_node.sh).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
from pathlib import Path

import pytest

from socialtap.testing import serve_sandbox

pytestmark = [pytest.mark.n8n, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = Path(os.environ.get("SOCIALTAP_N8N_NODE") or ROOT / "integrations" / "n8n" / "node")
EXAMPLE = ROOT / "integrations" / "n8n" / "node" / "example-workflow.json"
N8N = os.environ.get("SOCIALTAP_N8N", "n8n")
SERVE_TOKEN = "n8n-node-test-serve-token-0123456789"
WRONG = "wrong-metrika-token-from-n8n"
OK_ID, FAIL_ID, CONTINUE_ID = "socialtapNode01", "socialtapNodeFail01", "socialtapNodeGoOn01"
NODE = "Metrika accounts"


def _workflow_helpers():
    """The n8n environment, serve and snapshot helpers of the shipped-workflow tests (one copy)."""
    spec = importlib.util.spec_from_file_location(
        "socialtap_n8n_workflow_helpers", Path(__file__).with_name("test_n8n_workflows.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


helpers = _workflow_helpers()


def variant(workflow: dict, workflow_id: str, credential_id: str, **node_settings) -> dict:
    """The example workflow as the custom-extension package names the node, with another credential."""
    copy = json.loads(json.dumps(workflow))
    copy["id"], copy["name"] = workflow_id, f"{workflow['name']} ({workflow_id})"
    for node in copy["nodes"]:
        if node["type"] == "n8n-nodes-socialtap.socialtap":
            # Loaded from a directory (N8N_CUSTOM_EXTENSIONS), n8n names the package CUSTOM;
            # installed from npm it is n8n-nodes-socialtap, as the shipped workflow says.
            node["type"] = "CUSTOM.socialtap"
            node["credentials"]["socialtapMetrikaApi"]["id"] = credential_id
            node.update(node_settings)
    return copy


def n8n(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([N8N, *args], env=env, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    dist = PACKAGE / "dist"
    assert (dist / "nodes" / "Socialtap" / "Socialtap.node.js").exists(), "build the node first: make test-n8n"
    tmp = tmp_path_factory.mktemp("n8n-node")
    user = tmp / "user"
    env = helpers.n8n_env(user, {"N8N_CUSTOM_EXTENSIONS": str(dist)})
    example = json.loads(EXAMPLE.read_text())
    workflows = [
        variant(example, OK_ID, "socialtapMetrika01"),
        variant(example, FAIL_ID, "socialtapMetrikaWrong01"),
        variant(example, CONTINUE_ID, "socialtapMetrikaWrong01", onError="continueRegularOutput"),
    ]
    with serve_sandbox("metrika") as sandbox:
        # The server knows where Metrika is, not its token: that comes from n8n, per request.
        serve_env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIALTAP_")}
        serve_env.update({"SOCIALTAP_METRIKA_BASE_URL": sandbox.base_url, "SOCIALTAP_SERVE_TOKEN": SERVE_TOKEN})
        with helpers.socialtap_serve(serve_env) as serve_url:
            serve = {"serveUrl": serve_url, "serveToken": SERVE_TOKEN}
            credentials = [
                {"id": "socialtapServe01", "name": "socialtap serve", "type": "socialtapApi", "data": serve},
                {
                    "id": "socialtapMetrika01",
                    "name": "Metrika",
                    "type": "socialtapMetrikaApi",
                    "data": {**serve, "vendor": "metrika", "token": sandbox.credentials["token"]},
                },
                {
                    "id": "socialtapMetrikaWrong01",
                    "name": "Metrika (refused)",
                    "type": "socialtapMetrikaApi",
                    "data": {**serve, "vendor": "metrika", "token": WRONG},
                },
            ]
            (tmp / "credentials.json").write_text(json.dumps(credentials))
            (tmp / "workflows.json").write_text(json.dumps(workflows))
            for command in (
                ["import:credentials", f"--input={tmp / 'credentials.json'}"],
                ["import:workflow", f"--input={tmp / 'workflows.json'}"],
            ):
                done = n8n(command, env)
                assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
            snapshots = tmp / "snapshots"
            snapshots.mkdir()
            summary = tmp / "summary.json"
            done = n8n(
                [
                    "execute-batch",
                    f"--ids={OK_ID},{FAIL_ID},{CONTINUE_ID}",
                    f"--snapshot={snapshots}",
                    f"--output={summary}",
                    "--retries=0",
                ],
                env,
            )
        assert summary.exists(), done.stdout[-3000:] + done.stderr[-3000:]
        yield json.loads(summary.read_text()), snapshots, sandbox.credentials["token"], done.stdout + done.stderr


def run_data(snapshots: Path, workflow_id: str) -> dict:
    return json.loads((snapshots / f"{workflow_id}-snapshot.json").read_text())["data"]["resultData"]["runData"]


def test_the_node_gives_one_item_per_record_paired_with_its_input_item(batch):
    summary, snapshots, token, _ = batch
    assert summary["summary"]["successfulExecutions"] == 2, summary  # the workflow and the one that continues
    items = run_data(snapshots, OK_ID)[NODE][-1]["data"]["main"][0]
    records = [item["json"] for item in items]
    helpers.assert_accounts_records(records)
    by_input = {}
    for item in items:
        record = item["json"]
        key = (record["platform"], record.get("account_id") or record.get("entity_id"))
        by_input.setdefault(item["pairedItem"]["item"], set()).add(key)
    assert by_input == {0: {("instagram", "natgeo"), ("youtube", "mkbhd")}, 1: {("tiktok", "khaby.lame")}}
    assert token not in json.dumps(records)


def test_a_refused_credential_fails_the_node_with_the_typed_message(batch):
    summary, snapshots, token, output = batch
    assert summary["summary"]["failedExecutions"] == 1, summary
    errors = {e["workflowId"]: e["error"] for e in summary["summary"]["errors"]}
    assert errors[FAIL_ID].startswith("AuthError: "), errors
    assert "refused" in errors[FAIL_ID]
    assert not (snapshots / f"{FAIL_ID}-snapshot.json").exists()  # n8n snapshots only what succeeded
    everything = json.dumps(summary) + output + "".join(p.read_text() for p in snapshots.iterdir())
    assert WRONG not in everything and token not in everything and SERVE_TOKEN not in everything


def test_continue_on_fail_gives_one_error_item_per_input_item(batch):
    _, snapshots, _, _ = batch
    items = run_data(snapshots, CONTINUE_ID)[NODE][-1]["data"]["main"][0]
    assert [item["pairedItem"]["item"] for item in items] == [0, 1]
    assert all(item["json"]["error"].startswith("AuthError: ") for item in items), items
    assert all("type" not in item["json"] for item in items)  # no records
