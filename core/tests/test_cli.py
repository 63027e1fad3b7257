"""The CLI end to end: real subprocesses, real HTTP to a sandbox on 127.0.0.1."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import requests

VIEWS = [
    "run",
    "example",
    "views",
    "-p",
    "ids=a",
    "-p",
    "ids=b",
    "-p",
    "start_date=2026-01-01",
    "-p",
    "end_date=2026-01-02",
    "--sandbox",
]


def test_run_writes_json_lines_with_a_type_field(run_socialtap):
    done = run_socialtap(*VIEWS)
    assert done.returncode == 0, done.stderr
    items = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(i["type"], i["entity_id"], i["date"]) for i in items] == [
        ("observation", "a", "2026-01-01"),
        ("observation", "a", "2026-01-02"),
        ("observation", "b", "2026-01-01"),
        ("observation", "b", "2026-01-02"),
    ]
    assert "4 observation" in done.stderr


def test_sqlite_output_upserts_by_natural_key(run_socialtap, example_sqlite_args, tmp_path: Path):
    db = tmp_path / "out.sqlite"
    args = example_sqlite_args(db)
    assert run_socialtap(*args).returncode == 0
    assert run_socialtap(*args).returncode == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM account").fetchone()[0] == 2
        assert conn.execute("SELECT COUNT(*) FROM observation").fetchone()[0] == 4
    assert not list(tmp_path.glob("*.part"))


def test_csv_output_is_one_file_per_record_type(run_socialtap, tmp_path: Path):
    out = tmp_path / "csv"
    done = run_socialtap("run", "example", "profiles", "-p", "profile_id=a", "--sandbox", "--format", "csv", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["account.csv", "observation.csv"]
    assert (out / "account.csv").read_text().splitlines()[0].startswith("vendor,platform,account_id")


def test_exit_codes_and_one_line_errors(run_socialtap):
    bad_params = run_socialtap(
        "run", "example", "views", "-p", "ids=a", "-p", "start_date=2026-13-01", "-p", "end_date=x", "--sandbox"
    )
    assert bad_params.returncode == 2
    assert bad_params.stderr.startswith("error: ConfigError: invalid params") and "Traceback" not in bad_params.stderr
    assert run_socialtap("run", "nope", "x").returncode == 2
    assert run_socialtap("run", "example", "nope").returncode == 2
    no_creds = run_socialtap("run", "example", "profiles", "-p", "profile_id=a")
    assert no_creds.returncode == 2 and "SOCIALTAP_EXAMPLE_TOKEN" in no_creds.stderr
    not_found = run_socialtap("run", "example", "profiles", "-p", "profile_id=missing1", "--sandbox")
    assert not_found.returncode == 5 and "NotFoundError" in not_found.stderr


def test_a_wrong_token_is_an_auth_error_that_never_shows_the_token(run_socialtap):
    from socialtap.testing import serve_sandbox

    secret = "s3cr3t-value-never-shown"
    args = ("run", "example", "profiles", "-p", "profile_id=a", "--base-url")
    with serve_sandbox("example") as sandbox:
        done = run_socialtap(*args, sandbox.base_url, env={"SOCIALTAP_EXAMPLE_TOKEN": secret})
        debug = run_socialtap(*args, sandbox.base_url, "--debug", env={"SOCIALTAP_EXAMPLE_TOKEN": secret})
    assert done.returncode == 3
    assert "AuthError" in done.stderr and "SOCIALTAP_EXAMPLE_TOKEN" in done.stderr
    for output in (done.stdout, done.stderr, debug.stdout, debug.stderr):
        assert secret not in output


def test_streams_lists_params_with_type_default_and_doc(run_socialtap):
    done = run_socialtap("streams", "example", "--json")
    streams = {s["name"]: s for s in json.loads(done.stdout)}
    per_page = next(p for p in streams["posts"]["params"] if p["name"] == "per_page")
    assert per_page == {
        "name": "per_page",
        "type": "int",
        "required": False,
        "default": 5,
        "doc": "",
        "minimum": 1,
        "maximum": 50,
    }
    assert streams["views"]["method"] == "POST"


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_sandbox_command_serves_until_stopped(stop_signal):
    """SIGTERM stops it as cleanly as Ctrl-C (summary printed, exit 0): a script's background
    job ignores SIGINT, so supervisors and this suite stop it with SIGTERM."""
    # A child of a script's background job starts with SIGINT ignored; for the Ctrl-C case,
    # give it Python's usual handler back (in the child, not with a fork-time preexec_fn).
    restore = "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); " if stop_signal == signal.SIGINT else ""
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"{restore}from socialtap.cli import main; main()",
            *("sandbox", "example", "--port", "0", "--faults", "error_rate=0"),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # our own process group: the test runner's terminal signals never reach it
    )
    try:
        line = process.stderr.readline()
        base_url = line.split(" sandbox at ")[1].split(" ")[0]
        answer = requests.get(f"{base_url}/profiles/abc", headers={"Authorization": "Bearer example-test-token"}, timeout=5)
        assert answer.status_code == 200 and answer.json()["id"] == "abc"
        assert requests.get(f"{base_url}/profiles/abc", timeout=5).status_code == 401
        process.send_signal(stop_signal)
        rest = process.communicate(timeout=10)[1]
    finally:
        if process.poll() is None:  # never leave a server behind, whatever failed above
            process.kill()
            process.communicate(timeout=10)
    assert process.returncode == 0
    assert '"requests": 2' in rest and "Traceback" not in rest


def test_param_types_read_without_module_paths(run_socialtap):
    streams = {s["name"]: s for s in json.loads(run_socialtap("streams", "example", "--json").stdout)}
    types = {p["name"]: p["type"] for p in streams["views"]["params"]}
    assert types == {"ids": "list[str]", "start_date": "date (YYYY-MM-DD)", "end_date": "date (YYYY-MM-DD)"}
