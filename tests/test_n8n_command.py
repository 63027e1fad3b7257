"""`socialtap n8n`'s JSON contract, through the real CLI in a subprocess against a sandbox."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from socialtap.n8n import RESERVED, n8n_command, parse_items, task_for
from socialtap.runner import Options
from socialtap.testing import CountingApp, serve_sandbox

SOCIALTAP = str(Path(sys.executable).with_name("socialtap"))


@pytest.fixture(scope="module")
def sandbox_env():
    with serve_sandbox("example") as sandbox:
        yield {
            **os.environ,
            "SOCIALTAP_EXAMPLE_TOKEN": sandbox.credentials["token"],
            "SOCIALTAP_EXAMPLE_BASE_URL": sandbox.base_url,
        }


def run_n8n(env, items, *args):
    text = items if isinstance(items, str) else json.dumps(items)
    return subprocess.run([SOCIALTAP, "n8n", *args], input=text, capture_output=True, text=True, env=env, timeout=60)


@pytest.fixture(scope="module")
def counted_env():
    """The example sandbox behind a request counter: proof of how many requests were sent."""
    with serve_sandbox("example", wrap=CountingApp) as sandbox:
        env = {"SOCIALTAP_EXAMPLE_TOKEN": sandbox.credentials["token"], "SOCIALTAP_EXAMPLE_BASE_URL": sandbox.base_url}
        yield sandbox.served.app, env


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ({"json": {"profile_id": ["c\n"]}}, "control character"),
        ({"json": {"per_page": 3}}, "missing required param 'profile_id'"),
        ({"json": {"stream": "nope", "profile_id": ["c"]}}, "nope"),
        ({"json": {"vendor": "nope", "profile_id": ["c"]}}, "nope"),
    ],
)
def test_a_bad_last_item_means_no_request_at_all(counted_env, bad, says):
    """Every item is validated before the first is fetched: a bad item 3 of 3 sends nothing."""
    counter, env = counted_env
    before = counter.requests
    items = [{"json": {"profile_id": ["a"]}}, {"json": {"profile_id": ["b"]}}, bad]
    done = CliRunner().invoke(n8n_command, ["--vendor", "example", "--stream", "posts"], input=json.dumps(items), env=env)
    assert done.exit_code == 2, done.stderr
    assert done.stderr.startswith("error: ConfigError: item 2: ") and says in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert json.loads(done.stdout) == []
    assert counter.requests == before


def test_flags_give_vendor_and_stream_items_give_params(sandbox_env):
    items = [{"json": {"profile_id": ["alice"]}}, {"json": {"params": {"profile_id": ["bob", "carol"]}}}]
    done = run_n8n(sandbox_env, items, "--vendor", "example", "--stream", "profiles")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    out = json.loads(done.stdout)
    assert all(set(item) == {"json", "pairedItem"} for item in out)
    accounts = [(i["json"]["account_id"], i["pairedItem"]["item"]) for i in out if i["json"]["type"] == "account"]
    assert accounts == [("alice", 0), ("bob", 1), ("carol", 1)]
    # one item per record, with the record's fields at the top of `json`
    observations = [i["json"] for i in out if i["json"]["type"] == "observation"]
    assert len(observations) == 6 and {o["metric"] for o in observations} == {"followers", "following"}


def test_each_item_may_name_its_own_vendor_and_stream(sandbox_env):
    items = [{"vendor": "example", "stream": "mentions", "params": {"profile_id": "zed"}}]  # the json wrapper is optional
    done = run_n8n(sandbox_env, items)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out and {i["json"]["type"] for i in out} == {"relation"}


def test_error_keeps_items_already_produced_and_prints_one_line(sandbox_env):
    items = [
        {"json": {"profile_id": ["alice"]}},
        {"json": {"profile_id": ["missing-1"]}},  # the sandbox answers 404
    ]
    done = run_n8n(sandbox_env, items, "--vendor", "example", "--stream", "profiles")
    assert done.returncode != 0
    assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.startswith("error: ")
    assert "missing-1" in done.stderr
    out = json.loads(done.stdout)  # still a complete JSON array
    assert [i["json"]["account_id"] for i in out if i["json"]["type"] == "account"] == ["alice"]


@pytest.mark.parametrize(
    ("stdin", "args", "fragment", "code"),
    [
        ("not json", ["--vendor", "example", "--stream", "profiles"], "stdin is not JSON", 2),
        ('[{"json": {"profile_id": ["a"]}}]', [], "names no vendor and stream", 2),
        ('[{"json": {"per_page": "many"}}]', ["--vendor", "example", "--stream", "posts"], "profile_id", 2),
        ('[{"json": {"credentials": {"token": "x"}}}]', ["--vendor", "example", "--stream", "profiles"], "environment", 2),
    ],
)
def test_bad_input_fails_before_any_request(sandbox_env, stdin, args, fragment, code):
    done = run_n8n(sandbox_env, stdin, *args)
    assert done.returncode == code
    assert fragment in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert json.loads(done.stdout) == []


def test_wrong_credentials_never_leak(sandbox_env):
    env = {**sandbox_env, "SOCIALTAP_EXAMPLE_TOKEN": "wrong-token-value-123"}
    done = run_n8n(env, [{"profile_id": ["alice"]}], "--vendor", "example", "--stream", "profiles")
    assert done.returncode == 3  # AuthError
    assert "wrong-token-value-123" not in done.stderr + done.stdout


def test_empty_stdin_gives_no_items(sandbox_env):
    done = run_n8n(sandbox_env, "", "--vendor", "example", "--stream", "profiles")
    assert done.returncode == 0 and json.loads(done.stdout) == []


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5), lambda inner: st.lists(inner, max_size=3), max_leaves=5
)
param_dicts = st.dictionaries(
    st.text(min_size=1, max_size=6).filter(lambda k: k not in (*RESERVED, "credentials")), json_values, max_size=4
)


@given(st.lists(param_dicts, max_size=5), st.booleans())
def test_items_become_tasks_with_exactly_their_params(params_list, wrapped):
    """Whatever params the items carry (as the item or under `params`, wrapped in `json` or
    not) reach the Task unchanged, in order, with the flags' vendor and stream."""
    items = [{"json": p} if wrapped else {"params": p} for p in params_list]
    payloads = parse_items(json.dumps(items))
    tasks = [task_for(i, item, "example", "profiles", Options()) for i, item in enumerate(payloads)]
    assert [dict(t.params) for t in tasks] == params_list
    assert all((t.vendor, t.stream, t.credentials) == ("example", "profiles", None) for t in tasks)
