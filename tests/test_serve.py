"""`socialtap serve`'s HTTP JSON contract over real HTTP on 127.0.0.1."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from werkzeug.test import Client

from socialtap.records import Account
from socialtap.serve import INTERNAL_ERROR, MAX_BODY, ServeApp, bind_problem, is_loopback
from socialtap.testing import serve_app, serve_sandbox
from socialtap.testing.server import stop_process

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
            {"vendor": "example", "stream": "posts", "params": {"profile_id": ["a"]}, "credentials": {"token": 1}},
            400,
            "object of strings",
        ),
        ({"vendor": "example", "stream": "posts", "params": {"profile_id": ["a"]}, "credentials": {"pin": "x"}}, 400, "pin"),
        ({"vendor": "example", "stream": "posts", "params": {"profile_id": ["a"]}, "incremental": "yes"}, 400, "incremental"),
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


def serve_public(env: dict[str, str]) -> subprocess.CompletedProcess:
    """``socialtap serve --host 0.0.0.0`` as a real process with a timeout: a regression must fail, not serve forever."""
    return subprocess.run(
        [SOCIALTAP, "serve", "--host", "0.0.0.0", "--port", "0"],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=30,
    )


def test_cli_refuses_a_public_bind_without_a_token():
    env = {k: v for k, v in os.environ.items() if k != "SOCIALTAP_SERVE_TOKEN"}
    done = serve_public(env)
    assert done.returncode == 2 and "SOCIALTAP_SERVE_TOKEN" in done.stderr


@contextlib.contextmanager
def serve_process(*args: str, env: dict[str, str] | None = None) -> Iterator[tuple[subprocess.Popen, str]]:
    """``socialtap serve ARGS`` in a child process and the URL it announced.

    Its own session and no stdin, so it behaves the same from a terminal, a script's
    background job (where SIGINT is ignored) or CI; stopped with SIGTERM, then SIGKILL.
    """
    proc = subprocess.Popen(
        [SOCIALTAP, "serve", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        line = proc.stderr.readline()
        assert "listening on http://" in line, line + proc.stderr.read()
        yield proc, line.split("listening on ", 1)[1].split(";", 1)[0].split(" ", 1)[0].strip()
    finally:
        stop_process(proc)


def test_cli_serves_on_loopback(sandbox):
    env = {**os.environ, "SOCIALTAP_EXAMPLE_TOKEN": sandbox.credentials["token"], "SOCIALTAP_EXAMPLE_BASE_URL": sandbox.base_url}
    with serve_process("--port", "0", env=env) as (proc, url):
        assert url.startswith("http://127.0.0.1:")
        response = requests.post(
            f"{url}/run", json={"vendor": "example", "stream": "profiles", "params": {"profile_id": ["zoe"]}}, timeout=30
        )
        assert response.status_code == 200 and response.json()[0]["account_id"] == "zoe"
        proc.send_signal(signal.SIGTERM)  # how supervisors and tests stop it: a clean exit, not a kill
        assert proc.wait(timeout=10) == 0


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback (::1) on this machine")
@pytest.mark.parametrize("host", ["::1", "[::1]"])
def test_cli_serves_on_ipv6_loopback(host):
    with serve_process("--host", host, "--port", "0") as (_proc, url):
        assert url.startswith("http://[::1]:")
        assert requests.get(f"{url}/health", timeout=10).json() == {"status": "ok"}


@pytest.mark.parametrize("port", ["-1", "65536", "http"])
def test_cli_refuses_a_bad_port(port):
    # A real process with a timeout: should the check regress, a server that starts must
    # fail this test, not hang the suite.
    done = subprocess.run(
        [SOCIALTAP, "serve", "--port", port], capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=30
    )
    assert done.returncode == 2 and "--port" in done.stderr and "Traceback" not in done.stderr


def test_cli_refuses_a_public_bind_with_a_short_token():
    env = {**os.environ, "SOCIALTAP_SERVE_TOKEN": "short-token"}
    done = serve_public(env)
    assert done.returncode == 2 and "at least 16" in done.stderr
    assert done.stderr.startswith("error: ConfigError: ") and len(done.stderr.strip().splitlines()) == 1
    assert "short-token" not in done.stderr


def test_cli_refuses_a_port_in_use():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        done = subprocess.run(
            [SOCIALTAP, "serve", "--port", str(taken.getsockname()[1])],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=30,
        )
    assert done.returncode == 2 and done.stderr.startswith("error: ConfigError: cannot listen on 127.0.0.1 port")
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("host", "token", "allowed"),
    [
        ("127.0.0.1", None, True),
        ("::1", "x", True),
        ("0.0.0.0", None, False),
        ("0.0.0.0", "x" * 15, False),
        ("0.0.0.0", "x" * 16, True),
        ("10.0.0.5", TOKEN, True),
    ],
)
def test_bind_problem(host, token, allowed):
    assert (bind_problem(host, token) is None) is allowed


# --- bad input and bugs get JSON, never an HTML page or a silently cut stream ----------


def test_a_body_over_the_limit_is_a_json_413(server):
    big = json.dumps({"vendor": "example", "stream": "profiles", "params": {"profile_id": ["a" * (MAX_BODY + 10)]}})
    sized = requests.post(f"{server}/run", data=big, timeout=30)

    def chunks():  # no Content-Length: only reading the body can find it too big
        for start in range(0, len(big), 64 * 1024):
            yield big[start : start + 64 * 1024].encode()

    chunked = requests.post(f"{server}/run", data=chunks(), timeout=30)
    for response in (sized, chunked):
        assert response.status_code == 413 and response.headers["Content-Type"].startswith("application/json")
        assert response.json()["error"]["type"] == "RequestEntityTooLarge"
        assert str(MAX_BODY) in response.json()["error"]["message"]


def test_a_body_just_under_the_limit_is_read_whole():
    body = json.dumps({"vendor": "example", "stream": "profiles", "params": {"profile_id": ["a"]}})
    body += " " * (MAX_BODY - len(body))
    response = Client(ServeApp()).post("/run", data=body, content_type="application/json")
    assert response.status_code == 400 and "SOCIALTAP_EXAMPLE_TOKEN" in response.json["error"]["message"]


def test_a_bug_in_a_handler_is_a_json_500_and_is_logged(monkeypatch, caplog):
    def broken(self, request):
        raise RuntimeError("internal detail 42")

    monkeypatch.setattr(ServeApp, "on_vendors", broken)
    with caplog.at_level(logging.ERROR, logger="socialtap.serve"):
        response = Client(ServeApp()).get("/vendors")
    assert response.status_code == 500 and response.mimetype == "application/json"
    assert response.json == {"error": {"type": "InternalError", "message": INTERNAL_ERROR}}
    assert "internal detail 42" in caplog.text  # the operator sees it; the client does not


def test_a_wrong_method_is_json():
    response = Client(ServeApp()).get("/run")
    assert response.status_code == 405 and response.json["error"]["type"] == "MethodNotAllowed"


def test_an_ndjson_stream_broken_by_a_bug_ends_with_its_error_line(monkeypatch, caplog):
    def records(task):
        yield Account("example", "exampleverse", "a")
        raise RuntimeError("internal detail 43")

    monkeypatch.setattr("socialtap.serve.iter_records", records)
    body = {"vendor": "example", "stream": "profiles", "params": {"profile_id": ["a"]}}
    with caplog.at_level(logging.ERROR, logger="socialtap.serve"):
        response = Client(ServeApp()).post("/run?format=ndjson", json=body)
        lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert response.status_code == 200
    assert lines[0]["account_id"] == "a"
    assert lines[-1] == {"error": {"type": "InternalError", "message": INTERNAL_ERROR}}
    assert "internal detail 43" in caplog.text


def test_a_bug_before_the_first_record_is_a_json_500(monkeypatch):
    def records(task):
        raise RuntimeError("internal detail 44")
        yield  # pragma: no cover

    monkeypatch.setattr("socialtap.serve.iter_records", records)
    body = {"vendor": "example", "stream": "profiles", "params": {"profile_id": ["a"]}}
    for path in ("/run", "/run?format=ndjson"):
        response = Client(ServeApp()).post(path, json=body)
        assert response.status_code == 500 and response.json["error"]["type"] == "InternalError"
        assert "44" not in response.get_data(as_text=True)


def test_spec_routes_give_the_json_schema_forms_are_built_from(server):
    from socialtap.plugins import get_registry
    from socialtap.schema import spec

    whole = requests.get(f"{server}/vendors/example/spec", timeout=10).json()
    assert whole == json.loads(json.dumps(spec(get_registry().get("example"))))
    one = requests.get(f"{server}/vendors/example/streams/posts/spec", timeout=10).json()
    assert list(one["streams"]) == ["posts"] and "profile_id" in one["streams"]["posts"]["required"]
    assert one["credentials"]["properties"]["token"]["writeOnly"] is True
    missing = requests.get(f"{server}/vendors/example/streams/nope/spec", timeout=10)
    assert missing.status_code == 400 and "nope" in missing.json()["error"]["message"]


@pytest.fixture
def no_env_credentials(sandbox, monkeypatch):
    """A server whose environment points at the sandbox but holds no credentials: they come per request."""
    monkeypatch.delenv("SOCIALTAP_EXAMPLE_TOKEN", raising=False)
    monkeypatch.setenv("SOCIALTAP_EXAMPLE_BASE_URL", sandbox.base_url)
    return sandbox


def test_per_request_credentials_are_used_for_that_task_and_never_echoed(no_env_credentials, caplog):
    sandbox = no_env_credentials
    caplog.set_level(logging.DEBUG)
    body = {"vendor": "example", "stream": "profiles", "params": {"profile_id": ["a"]}}
    with serve_app(ServeApp()) as served:
        missing = requests.post(f"{served.url}/run", json=body, timeout=30)
        given = requests.post(f"{served.url}/run", json={**body, "credentials": sandbox.credentials}, timeout=30)
        wrong = requests.post(f"{served.url}/run", json={**body, "credentials": {"token": "per-request-wrong-token"}}, timeout=30)
        check = requests.post(
            f"{served.url}/check", json={"vendor": "example", "credentials": {"token": "per-request-wrong-token"}}, timeout=30
        )
    assert missing.status_code == 400 and "SOCIALTAP_EXAMPLE_TOKEN" in missing.json()["error"]["message"]
    assert given.status_code == 200 and given.json()[0]["account_id"] == "a"
    assert wrong.status_code == 502 and wrong.json()["error"]["type"] == "AuthError"
    assert check.status_code == 200 and check.json()["ok"] is False and check.json()["error"]["type"] == "AuthError"
    for text in (given.text, wrong.text, check.text, caplog.text):
        assert sandbox.credentials["token"] not in text and "per-request-wrong-token" not in text


def test_per_request_credentials_need_the_token_or_a_loopback_client(no_env_credentials):
    sandbox = no_env_credentials
    body = {"vendor": "example", "stream": "profiles", "params": {"profile_id": ["a"]}, "credentials": sandbox.credentials}
    remote = {"REMOTE_ADDR": "192.0.2.7"}  # as if the app were reached from another machine
    refused = Client(ServeApp()).post("/run", json=body, environ_base=remote)
    assert refused.status_code == 403 and "SOCIALTAP_SERVE_TOKEN" in refused.json["error"]["message"]
    assert sandbox.credentials["token"] not in refused.text
    without = Client(ServeApp()).post("/run", json={k: v for k, v in body.items() if k != "credentials"}, environ_base=remote)
    assert without.status_code == 400  # no credentials anywhere: the usual ConfigError, not the 403
    with_token = Client(ServeApp(token=TOKEN)).post(
        "/run", json=body, environ_base=remote, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert with_token.status_code == 200 and with_token.json[0]["account_id"] == "a"


def test_sandbox_mode_uses_per_request_credentials_when_given(monkeypatch):
    monkeypatch.delenv("SOCIALTAP_EXAMPLE_TOKEN", raising=False)
    app = ServeApp(sandbox=True)
    body = {"vendor": "example", "stream": "profiles", "params": {"profile_id": ["a"]}}
    try:
        with serve_app(app) as served:
            refused = requests.post(f"{served.url}/run", json={**body, "credentials": {"token": "not-the-sandbox-s"}}, timeout=30)
    finally:
        app.close()
    assert refused.status_code == 502 and refused.json()["error"]["type"] == "AuthError"


def test_incremental_runs_leave_a_bookmark_in_the_server_s_state_file(server, tmp_path, monkeypatch):
    from socialtap.state import StateStore

    state = tmp_path / "state.sqlite"
    monkeypatch.setenv("SOCIALTAP_STATE", str(state))
    body = {"vendor": "example", "stream": "views", "params": {"ids": ["a"]}}
    plain = requests.post(f"{server}/run", json=body, timeout=30)
    assert plain.status_code == 400 and "start_date" in plain.json()["error"]["message"]  # no window without incremental
    incremental = requests.post(f"{server}/run", json={**body, "incremental": True}, timeout=30)
    assert incremental.status_code == 200, incremental.text
    assert incremental.json() and {r["type"] for r in incremental.json()} == {"observation"}
    store = StateStore(state)
    try:
        (mark,) = [m for m in store.bookmarks() if m["params"]["ids"] == ["a"]]
    finally:
        store.close()
    assert mark["window"]["end"] == max(r["date"] for r in incremental.json())
