"""`socialtap serve`'s HTTP JSON contract over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from socialtap.serve import ServeApp, is_loopback
from socialtap.testing import serve_app, serve_sandbox

SOCIALTAP = str(Path(sys.executable).with_name("socialtap"))
TOKEN = "serve-token-for-tests-0123456789"


@pytest.fixture(scope="module")
def sandbox():
    with serve_sandbox("example") as running:
        yield running


@pytest.fixture
def server(sandbox, monkeypatch):
    """The app with the vendor's credentials and base URL in the server's environment."""
    monkeypatch.setenv("SOCIALTAP_EXAMPLE_TOKEN", sandbox.credentials["token"])
    monkeypatch.setenv("SOCIALTAP_EXAMPLE_BASE_URL", sandbox.base_url)
    with serve_app(ServeApp()) as served:
        yield served.url


def test_lists_vendors_and_streams(server):
    vendors = requests.get(f"{server}/vendors", timeout=10).json()
    example = next(v for v in vendors if v["name"] == "example")
    assert {"profiles", "posts", "mentions", "views"} <= set(example["streams"])
    streams = requests.get(f"{server}/vendors/example/streams", timeout=10).json()
    posts = next(s for s in streams if s["name"] == "posts")
    assert {p["name"]: p["required"] for p in posts["params"]} == {"profile_id": True, "per_page": False}


def test_run_returns_records_as_a_json_array(server, sandbox):
    body = {"vendor": "example", "stream": "posts", "params": {"profile_id": ["alice"]}}
    response = requests.post(f"{server}/run", json=body, timeout=30)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/json")
    records = response.json()
    assert len(records) == 12 and {r["type"] for r in records} == {"post"}
    assert len({r["post_id"] for r in records}) == 12
    assert sandbox.credentials["token"] not in response.text


def test_run_streams_ndjson(server):
    body = {"vendor": "example", "stream": "profiles", "params": {"profile_id": ["alice", "bob"]}}
    response = requests.post(f"{server}/run?format=ndjson", json=body, timeout=30, stream=True)
    assert response.headers["Content-Type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.iter_lines() if line]
    assert [r["account_id"] for r in lines if r["type"] == "account"] == ["alice", "bob"]
    accept = requests.post(f"{server}/run", json=body, headers={"Accept": "application/x-ndjson"}, timeout=30)
    strip = lambda rows: [{k: v for k, v in r.items() if k != "fetched_at"} for r in rows]  # noqa: E731
    assert strip(json.loads(line) for line in accept.text.splitlines()) == strip(lines)


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"vendor": "example", "stream": "posts", "params": {}}, 400, "profile_id"),
        ({"vendor": "nope", "stream": "posts"}, 400, "nope"),
        (
            {"vendor": "example", "stream": "posts", "params": {"profile_id": ["a"]}, "credentials": {"token": "x"}},
            400,
            "environment",
        ),
        ({"vendor": "example", "stream": "posts", "extra": 1}, 400, "unknown field"),
        ({"vendor": "example", "stream": "profiles", "params": {"profile_id": ["missing-1"]}}, 404, "missing-1"),
        ("not json", 400, "not JSON"),
    ],
)
def test_errors_have_a_status_and_a_typed_body(server, body, status, fragment):
    data = body if isinstance(body, str) else json.dumps(body)
    response = requests.post(f"{server}/run", data=data, timeout=30)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["type"] and fragment in error["message"]


def test_credentials_in_the_query_string_are_refused(server):
    response = requests.post(f"{server}/run?token=abc", json={"vendor": "example", "stream": "profiles"}, timeout=10)
    assert response.status_code == 400 and "query parameter" in response.json()["error"]["message"]


def test_vendor_auth_failure_is_502_without_the_secret(sandbox, monkeypatch):
    monkeypatch.setenv("SOCIALTAP_EXAMPLE_TOKEN", "server-side-wrong-token")
    monkeypatch.setenv("SOCIALTAP_EXAMPLE_BASE_URL", sandbox.base_url)
    with serve_app(ServeApp()) as served:
        response = requests.post(
            f"{served.url}/run", json={"vendor": "example", "stream": "profiles", "params": {"profile_id": ["a"]}}, timeout=10
        )
    assert response.status_code == 502 and response.json()["error"]["type"] == "AuthError"
    assert "server-side-wrong-token" not in response.text


def test_token_is_required_when_configured(sandbox, monkeypatch):
    monkeypatch.setenv("SOCIALTAP_EXAMPLE_TOKEN", sandbox.credentials["token"])
    monkeypatch.setenv("SOCIALTAP_EXAMPLE_BASE_URL", sandbox.base_url)
    with serve_app(ServeApp(token=TOKEN)) as served:
        assert requests.get(f"{served.url}/health", timeout=10).status_code == 200
        assert requests.get(f"{served.url}/vendors", timeout=10).status_code == 401
        wrong = requests.get(f"{served.url}/vendors", headers={"Authorization": "Bearer nope"}, timeout=10)
        assert wrong.status_code == 401 and TOKEN not in wrong.text
        right = requests.get(f"{served.url}/vendors", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
        assert right.status_code == 200


def test_sandbox_mode_needs_no_credentials(monkeypatch):
    monkeypatch.delenv("SOCIALTAP_EXAMPLE_TOKEN", raising=False)
    app = ServeApp(sandbox=True)
    try:
        with serve_app(app) as served:
            response = requests.post(
                f"{served.url}/run", json={"vendor": "example", "stream": "profiles", "params": {"profile_id": ["a"]}}, timeout=30
            )
    finally:
        app.close()
    assert response.status_code == 200 and response.json()[0]["account_id"] == "a"


@pytest.mark.parametrize(
    ("host", "loopback"), [("127.0.0.1", True), ("localhost", True), ("::1", True), ("0.0.0.0", False), ("10.0.0.5", False)]
)
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_cli_refuses_a_public_bind_without_a_token():
    env = {k: v for k, v in os.environ.items() if k != "SOCIALTAP_SERVE_TOKEN"}
    done = subprocess.run(
        [SOCIALTAP, "serve", "--host", "0.0.0.0", "--port", "0"], capture_output=True, text=True, env=env, timeout=30
    )
    assert done.returncode == 2 and "SOCIALTAP_SERVE_TOKEN" in done.stderr


def test_cli_serves_on_loopback(sandbox):
    env = {**os.environ, "SOCIALTAP_EXAMPLE_TOKEN": sandbox.credentials["token"], "SOCIALTAP_EXAMPLE_BASE_URL": sandbox.base_url}
    proc = subprocess.Popen([SOCIALTAP, "serve", "--port", "0"], stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stderr.readline()
        assert "listening on http://127.0.0.1:" in line, line
        url = line.split("listening on ", 1)[1].split(";", 1)[0].strip()
        response = requests.post(
            f"{url}/run", json={"vendor": "example", "stream": "profiles", "params": {"profile_id": ["zoe"]}}, timeout=30
        )
        assert response.status_code == 200 and response.json()[0]["account_id"] == "zoe"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stderr.close()
