"""Secrets never in text: the derived secret set, redaction before cutting, the choke point."""

from __future__ import annotations

import base64
import json

import pytest
import requests

import socialtap
from socialtap import Task
from socialtap.auth import ApiKeyPrefix, Basic, Bearer, HeaderScheme, TokenPrefix
from socialtap.engine import Engine, EngineOptions
from socialtap.errors import ChainsFailedError, ConfigError, PayloadError, SocialtapError, VendorError
from socialtap.http import Request
from socialtap.plugins import get_registry, make_plugin_manager
from socialtap.retry import RetryPolicy
from socialtap.runner import Options, run
from socialtap.secrets import Redactor, secret_values
from socialtap.testing import EchoSecrets, serve_app, serve_sandbox

KEY, SECRET = "canary-key-7f3a", "canary-secret-9d2b"
B64 = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()


def basic_engine(url: str, credentials=(KEY, SECRET), *, derived: bool = True) -> Engine:
    """An engine signing with Basic key:secret. ``derived``: also given the header value and
    its base64 (as ``make_engine`` always did); else only the raw values (as plugin tests do)."""
    pm = make_plugin_manager()
    vendor = get_registry(pm).get("example")
    auth = Basic().build({"api_key": credentials[0], "api_secret": credentials[1]})
    options = EngineOptions(retry=RetryPolicy(max_attempts=1))
    header = auth._value  # type: ignore[attr-defined]
    secrets = [*credentials, header, header.split(" ", 1)[1]] if derived else list(credentials)
    return Engine(vendor, url, auth, pm.hook, options=options, secrets=secrets)


def answering(status: int, body: bytes, content_type: str = "application/json"):
    def app(environ, start_response):
        start_response(f"{status} X", [("Content-Type", content_type)])
        return [body]

    return app


def leaked(text: str, values, prefix: int = 6) -> list[str]:
    """Values (or a ``prefix``-character start of one) found in ``text``."""
    return [v for v in values if v in text or v[:prefix] in text]


@pytest.mark.parametrize(
    ("scheme", "credentials", "expected"),
    [
        (Bearer("token"), {"token": "tok-123456"}, {"tok-123456", "Bearer tok-123456"}),
        (TokenPrefix(), {"api_key": "key-123456"}, {"key-123456", "Token key-123456"}),
        (ApiKeyPrefix(), {"api_key": "key-123456"}, {"key-123456", "Apikey key-123456"}),
        (HeaderScheme("api_key", "", "X-Api-Key"), {"api_key": "raw-123456"}, {"raw-123456"}),
        (Basic(), {"api_key": KEY, "api_secret": SECRET}, {KEY, SECRET, B64, f"Basic {B64}", f"{KEY}:{SECRET}"}),
        (Basic(), {"token": B64}, {KEY, SECRET, B64, f"Basic {B64}", f"{KEY}:{SECRET}"}),
    ],
)
def test_secret_values_cover_every_auth_scheme(scheme, credentials, expected):
    found = secret_values(credentials, scheme=scheme)
    assert expected <= found
    # and the same set when derived from the auth object the engine sends with
    assert expected <= secret_values(credentials, auth=scheme.build(credentials))


def test_secret_values_cover_a_plugins_own_auth_object():
    auth = requests.auth.HTTPBasicAuth(KEY, SECRET)  # not a socialtap scheme: found by applying it
    assert {KEY, SECRET, B64, f"Basic {B64}", f"{KEY}:{SECRET}"} <= secret_values({}, auth=auth)


def test_secret_values_include_url_and_json_spellings():
    found = secret_values({"token": "a/b+c pässwort"})
    assert {"a%2Fb%2Bc%20p%C3%A4sswort", "a%2Fb%2Bc+p%C3%A4sswort", "a/b%2Bc%20p%C3%A4sswort", "a\\/b+c p\\u00e4sswort"} <= found


def test_short_secrets_are_redacted_where_they_stand_alone():
    redactor = Redactor(secret_values({"api_key": "ab", "api_secret": "xyz"}, scheme=Basic()))
    text = redactor.text('key=ab&secret="xyz" about xyzzy ab:xyz')
    assert text == 'key=***&secret="***" about xyzzy ***'


def test_a_basic_value_cut_at_the_length_limit_leaks_nothing():
    # The echo puts "Basic <b64>" right where a 300-character cut falls.
    for pad in range(225, 280, 3):  # the base64 starts at pad + 30
        body = json.dumps({"hint": "x" * pad, "detail": f"Basic {B64} refused"}).encode()
        with serve_app(answering(418, body)) as served:
            with pytest.raises(VendorError) as caught:
                basic_engine(served.url).fetch(Request("GET", "/x"))
        assert not leaked(str(caught.value), [B64, KEY, SECRET]), (pad, str(caught.value)[-80:])


def test_problems_of_a_400_or_422_body_are_redacted():
    body = json.dumps({"errors": [f"Authorization Basic {B64} is bad", f"{KEY}:{SECRET} unknown", {"got": SECRET}]}).encode()
    for status in (400, 422):
        with serve_app(answering(status, body)) as served:
            with pytest.raises(ConfigError) as caught:
                basic_engine(served.url).fetch(Request("GET", "/x"))
        error = caught.value
        assert len(error.problems) == 3
        assert not leaked("\n".join([str(error), *error.problems]), [B64, KEY, SECRET])


def test_the_engine_derives_the_header_and_decoded_forms_from_raw_values():
    body = json.dumps({"detail": f"got Basic {B64}", "decoded": f"{KEY}:{SECRET}"}).encode()
    with serve_app(answering(418, body)) as served:
        with pytest.raises(VendorError) as caught:
            basic_engine(served.url, derived=False).fetch(Request("GET", "/x"))
    assert not leaked(str(caught.value), [B64, KEY, SECRET])


def test_secrets_escaped_in_a_json_body_are_redacted():
    key, secret = "kéy/with-slash", "sécret/9d2b-value"
    raw = json.dumps({"detail": f"{key} and {secret}"}, ensure_ascii=True).replace("/", "\\/").encode()
    with serve_app(answering(418, raw)) as served:
        with pytest.raises(VendorError) as caught:
            basic_engine(served.url, (key, secret)).fetch(Request("GET", "/x"))
    message = str(caught.value)
    assert "***" in message
    for value in (key, secret, json.dumps(key)[1:-1], json.dumps(secret)[1:-1], "sécret", "s\\u00e9cret"):
        assert value not in message, message


def test_a_non_json_body_is_redacted_before_it_is_cut():
    for pad in range(190, 300, 7):
        body = ("x" * pad + f" Basic {B64} / {KEY}:{SECRET}").encode()
        with serve_app(answering(200, body, "text/plain")) as served:
            with pytest.raises(PayloadError) as caught:
                basic_engine(served.url).fetch(Request("GET", "/x"))
        assert not leaked(str(caught.value), [B64, KEY, SECRET]), pad


class LeakyPlugin:
    """A third-party plugin whose own error quotes the response body (which echoes the token)."""

    @socialtap.hookimpl
    def socialtap_after_response(self, vendor, request, response, attempt):
        if response.status == 200 and "/profiles/b" in request.url:
            cause = ValueError(f"payload was {json.dumps(response.payload)}")
            raise VendorError(f"plugin saw {response.payload['echo']['authorization']}", vendor=vendor.name) from cause


def test_errors_raised_by_plugins_are_redacted_at_the_runner_choke_point():
    with serve_sandbox("example", wrap=EchoSecrets.wrapper(status=None)) as sandbox:
        token = sandbox.credentials["token"]
        pm = make_plugin_manager(extra=(LeakyPlugin(),))
        task = Task(
            "example", "profiles", {"profile_id": ["a", "b", "c"]}, sandbox.credentials, Options(base_url=sandbox.base_url)
        )
        with pytest.raises(ChainsFailedError) as caught:
            run(task, plugin_manager=pm)
    error = caught.value
    report = error.report  # type: ignore[attr-defined]
    (failed,) = [c for c in report.chains if c.status == "failed"]
    texts = [str(error), report.error, failed.error, json.dumps(report.as_dict()), str(error.failures[0][1].__cause__)]
    assert "***" in failed.error
    for text in texts:
        assert token not in text, text


def test_redacting_an_exception_cuts_a_chained_one_it_cannot_clean():
    class Opaque(Exception):
        def __str__(self) -> str:  # text not built from args: cannot be redacted in place
            return "opaque tok-123456"

    redactor = Redactor(["tok-123456"])
    try:
        try:
            raise Opaque()
        except Opaque as inner:
            raise SocialtapError("outer tok-123456") from inner
    except SocialtapError as exc:
        redactor.exception(exc)
        assert str(exc) == "outer ***" and exc.__cause__ is None and exc.__suppress_context__


def test_trace_plugins_names_hook_calls_without_credentials_or_payloads(monkeypatch, capsys):
    monkeypatch.setenv("SOCIALTAP_TRACE_PLUGINS", "1")
    pm = make_plugin_manager()
    with serve_sandbox("example", wrap=EchoSecrets.wrapper(status=None)) as sandbox:
        token = sandbox.credentials["token"]
        task = Task("example", "profiles", {"profile_id": ["a"]}, sandbox.credentials, Options(base_url=sandbox.base_url))
        report = run(task, plugin_manager=pm)
    assert report.total_records >= 1
    err = capsys.readouterr().err
    assert "socialtap_auth(vendor=Vendor('example'), credentials=dict(1 items))" in err
    assert "socialtap_after_response(" in err and "Response(200, " in err
    assert token not in err and "example-test" not in err
