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
import shutil
import subprocess
from pathlib import Path

import attrs
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
_editor_spec = importlib.util.spec_from_file_location("socialtap_n8n_editor", ROOT / "scripts" / "n8n_editor.py")
editor_kit = importlib.util.module_from_spec(_editor_spec)
_editor_spec.loader.exec_module(editor_kit)


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
def prepared(tmp_path_factory):
    """A user folder with the example workflow's three variants and their credentials, and
    `socialtap serve` (with a token) running for the module."""
    dist = PACKAGE / "dist"
    assert (dist / "nodes" / "Socialtap" / "Socialtap.node.js").exists(), "build the node first: make test-n8n"
    tmp = tmp_path_factory.mktemp("n8n-node")
    env = helpers.n8n_env(tmp / "user", {"N8N_CUSTOM_EXTENSIONS": str(dist)})
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
            yield Prepared(tmp, env, credentials, sandbox.credentials["token"])


@attrs.frozen
class Prepared:
    tmp: Path
    env: dict[str, str]
    credentials: list[dict]
    token: str  # the sandbox's right Metrika token


@pytest.fixture(scope="module")
def batch(prepared):
    snapshots = prepared.tmp / "snapshots"
    snapshots.mkdir()
    summary = prepared.tmp / "summary.json"
    done = n8n(
        [
            "execute-batch",
            f"--ids={OK_ID},{FAIL_ID},{CONTINUE_ID}",
            f"--snapshot={snapshots}",
            f"--output={summary}",
            "--retries=0",
        ],
        prepared.env,
    )
    assert summary.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(summary.read_text()), snapshots, prepared.token, done.stdout + done.stderr


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


@pytest.fixture(scope="module")
def editor(prepared, batch):  # after the batch: one n8n at a time on the user folder
    """n8n's editor server with the package installed as Settings → Community Nodes (or npm
    in ~/.n8n/nodes) leaves it: n8n runs a node's credential test (``testedBy``) only for a
    package, not for a custom-extensions directory, whose nodes support no credentials' tests."""
    installed = Path(prepared.env["N8N_USER_FOLDER"]) / ".n8n" / "nodes" / "node_modules" / "n8n-nodes-socialtap"
    package = json.loads((PACKAGE / "package.json").read_text())
    shutil.copytree(PACKAGE / "dist", installed / "dist")  # what `files` publishes, beside package.json
    shutil.copy(PACKAGE / "package.json", installed / "package.json")
    assert package["files"] == ["dist"]
    env = {k: v for k, v in prepared.env.items() if k != "N8N_CUSTOM_EXTENSIONS"}
    with editor_kit.n8n_editor(N8N, env, prepared.tmp / "n8n-start.log") as running:
        yield running


def dynamic(editor, what: str, method: str, path: str, parameters: dict) -> object:
    return editor.rest(
        "POST",
        f"dynamic-node-parameters/{what}",
        {
            "nodeTypeAndVersion": {"name": "n8n-nodes-socialtap.socialtap", "version": 1},
            "path": path,
            "methodName": method,
            "currentNodeParameters": parameters,
            "credentials": {"socialtapApi": {"id": "socialtapServe01", "name": "socialtap serve"}},
        },
    )


def test_vendor_and_stream_dropdowns_come_from_serve(editor):
    from socialtap.plugins import get_registry

    vendors = dynamic(editor, "options", "getVendors", "vendor", {})
    assert {(v["name"], v["value"]) for v in vendors} == {(v.title, v.name) for v in get_registry().vendors()}
    streams = dynamic(editor, "options", "getStreams", "stream", {"vendor": "shareablee"})
    assert [s["value"] for s in streams] == [s.name for s in get_registry().get("shareablee").streams]


def test_the_params_form_follows_the_spec(editor):
    fields = dynamic(
        editor, "resource-mapper-fields", "getParamFields", "params", {"vendor": "shareablee", "stream": "user_metrics"}
    )
    by_id = {f["id"]: f for f in fields["fields"]}
    assert set(by_id) == {"entity_id", "service", "start_date", "end_date"}
    assert by_id["entity_id"]["required"] and by_id["service"]["required"] and not by_id["start_date"]["required"]
    assert by_id["service"]["type"] == "options"
    assert [o["value"] for o in by_id["service"]["options"]] == ["facebook", "twitter", "instagram"]
    assert by_id["start_date"]["type"] == by_id["end_date"]["type"] == "dateTime"
    assert by_id["entity_id"]["type"] == "string" and by_id["entity_id"]["displayName"] == "Entity ID (List)"
    none = dynamic(
        editor, "resource-mapper-fields", "getParamFields", "params", {"vendor": "shareablee", "stream": "me_properties"}
    )
    assert none["fields"] == []


def test_the_vendor_credential_s_test_button_runs_serve_s_check(editor, prepared):
    right, wrong = prepared.credentials[1], prepared.credentials[2]

    def test(credential: dict, **data) -> dict:
        return editor.rest("POST", "credentials/test", {"credentials": {**credential, "data": {**credential["data"], **data}}})

    unpaid = test(right)
    assert unpaid["status"] == "Error" and unpaid["message"].startswith("ConfigError: checking metrika is not free")
    ok = test(right, allowPaidTest=True)
    assert ok["status"] == "OK" and ok["message"].startswith("Metrika answered POST /resources/search"), ok
    refused = test(wrong, allowPaidTest=True)
    assert refused["status"] == "Error" and refused["message"].startswith("AuthError: "), refused
    assert WRONG not in json.dumps(refused) and prepared.token not in json.dumps([ok, refused])
