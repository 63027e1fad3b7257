"""``socialtap check``, serve's ``/check`` and the Airflow Test button's check, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import base64
import os
import socket

import pytest
import requests

from socialtap.airflow.connection import credentials_from
from socialtap.check import run_check
from socialtap.errors import AuthError, ConfigError, VendorError
from socialtap.plugins import get_registry
from socialtap.runner import Options
from socialtap.serve import ServeApp
from socialtap.testing import EchoSecrets, serve_app, serve_sandbox
from socialtap.testing.echo import echo_values
from socialtap.testing.server import CountingApp


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_check_says_what_the_vendor_answered(run_socialtap):
    done = run_socialtap("check", "shareablee", "--sandbox")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok: Shareablee API v1.4 answered GET /me/properties/: the credentials may read ")


def test_refused_credentials_exit_3_in_one_line_without_the_secret(run_socialtap):
    with serve_sandbox("shareablee", wrap=EchoSecrets.wrapper(status=401)) as sandbox:
        env = {"SOCIALTAP_SHAREABLEE_API_KEY": "check-key-1234", "SOCIALTAP_SHAREABLEE_API_SECRET": "check-secret-5678"}
        done = run_socialtap("check", "shareablee", "--base-url", sandbox.base_url, env=env)
    assert done.returncode == 3, done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith("error: AuthError:") and "SOCIALTAP_SHAREABLEE" in line
    header = "Basic " + base64.b64encode(b"check-key-1234:check-secret-5678").decode()
    for secret in ["check-key-1234", "check-secret-5678", *echo_values(header)]:
        assert secret not in done.stderr + done.stdout


def test_unreachable_vendor_exits_5(run_socialtap):
    env = {"SOCIALTAP_EXAMPLE_TOKEN": "any"}
    done = run_socialtap("check", "example", "--base-url", f"http://127.0.0.1:{closed_port()}/v2", env=env)
    assert done.returncode == 5, done.stderr
    assert len(done.stderr.splitlines()) == 1 and "could not reach" in done.stderr


def test_a_check_that_costs_needs_yes_and_sends_nothing_without_it(run_socialtap):
    with serve_sandbox("metrika", wrap=CountingApp) as sandbox:
        done = run_socialtap(
            "check", "metrika", "--base-url", sandbox.base_url, env={"SOCIALTAP_METRIKA_TOKEN": sandbox.credentials["token"]}
        )
        assert done.returncode == 2
        assert "not free" in done.stderr and "--yes" in done.stderr and "one search request" in done.stderr
        assert sandbox.served.app.requests == 0
        agreed = run_socialtap(
            "check",
            "metrika",
            "--yes",
            "--base-url",
            sandbox.base_url,
            env={"SOCIALTAP_METRIKA_TOKEN": sandbox.credentials["token"]},
        )
        assert agreed.returncode == 0, agreed.stderr
        assert sandbox.served.app.requests == 1


def test_serve_check_route_answers_ok_refused_and_needs_yes():
    app = ServeApp(sandbox=True)
    try:
        with serve_app(app) as served:
            ok = requests.post(f"{served.url}/check", json={"vendor": "shareablee"}, timeout=60)
            assert ok.status_code == 200 and ok.json()["ok"] is True and "may read" in ok.json()["message"]
            costly = requests.post(f"{served.url}/check", json={"vendor": "metrika"}, timeout=60)
            assert costly.status_code == 400 and '"yes": true' in costly.json()["error"]["message"]
            paid = requests.post(f"{served.url}/check", json={"vendor": "metrika", "yes": True}, timeout=60)
            assert paid.json()["ok"] is True
            unknown = requests.post(f"{served.url}/check", json={"vendor": "shareable"}, timeout=60)
            assert unknown.status_code == 400
    finally:
        app.close()
    with serve_sandbox("example") as sandbox:
        os.environ["SOCIALTAP_EXAMPLE_TOKEN"] = "wrong-token-for-check"
        try:
            with serve_app(ServeApp()) as served:
                os.environ["SOCIALTAP_EXAMPLE_BASE_URL"] = sandbox.base_url
                refused = requests.post(f"{served.url}/check", json={"vendor": "example"}, timeout=60).json()
        finally:
            os.environ.pop("SOCIALTAP_EXAMPLE_TOKEN")
            os.environ.pop("SOCIALTAP_EXAMPLE_BASE_URL", None)
    assert refused["ok"] is False and refused["error"]["type"] == "AuthError"
    assert "wrong-token-for-check" not in str(refused)


def test_the_airflow_button_check_path_with_form_fields():
    """What SocialtapHook.test_connection runs, without Airflow: form fields -> credentials -> check."""
    shareablee = get_registry().get("shareablee")
    with serve_sandbox("shareablee") as sandbox:
        creds = credentials_from(
            shareablee, None, None, {"api_key": sandbox.credentials["api_key"], "api_secret": sandbox.credentials["api_secret"]}
        )
        result = run_check("shareablee", credentials=creds, options=Options(base_url=sandbox.base_url))
        assert "may read" in result.message
        with pytest.raises(AuthError):
            run_check("shareablee", credentials={"token": "bm90OnJpZ2h0"}, options=Options(base_url=sandbox.base_url))
    with pytest.raises(VendorError):
        run_check("example", credentials={"token": "t"}, options=Options(base_url=f"http://127.0.0.1:{closed_port()}"))
    with pytest.raises(ConfigError, match="allow_paid_check"):
        run_check("metrika", credentials={"token": "t"}, how_to_agree="allow_paid_check")
