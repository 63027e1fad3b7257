"""Auth building blocks against real HTTP on 127.0.0.1: exact headers, query keys, OAuth2.

Every scheme is checked by what a loopback server received, the query-key and OAuth2
secrets by what a run lets out (errors, logs, state file), OAuth2's token cache by how
many times the sandbox token endpoint was asked.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from urllib.parse import parse_qsl, quote, urlsplit

import attrs
import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

import socialtap
from socialtap import clock
from socialtap.auth import (
    ApikeyAuthorization,
    ApiKeyPrefix,
    AuthorizationPrefix,
    Basic,
    Bearer,
    HeaderKey,
    OAuth2ClientCredentials,
    QueryKey,
    TokenPrefix,
    _clear_token_cache,
)
from socialtap.declarations import Credential, RateLimit, Stream, Vendor
from socialtap.errors import AuthError, ConfigError
from socialtap.pagination import NextLink
from socialtap.plugins import forget_plugin
from socialtap.records import Observation
from socialtap.runner import Options, Task
from socialtap.secrets import secret_values
from socialtap.testing import serve_app

FAST = Options(rate_limit=RateLimit(10_000, 1.0), max_attempts=1)


def echo_app(environ, start_response):
    """Answers what it received: the headers it was sent and the query string."""
    headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
    body = json.dumps({"headers": headers, "query": parse_qsl(environ.get("QUERY_STRING", ""))}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]


@pytest.fixture(scope="module")
def echo():
    with serve_app(echo_app) as served:
        yield served


@pytest.mark.parametrize(
    "scheme, credentials, header, value",
    [
        (Bearer(), {"token": "t0k-123"}, "authorization", "Bearer t0k-123"),
        (TokenPrefix(), {"api_key": "k3y-123"}, "authorization", "Token k3y-123"),
        (ApikeyAuthorization(), {"api_key": "k3y-123"}, "authorization", "Apikey k3y-123"),
        (ApiKeyPrefix(), {"api_key": "k3y-123"}, "authorization", "Apikey k3y-123"),
        (AuthorizationPrefix("SSWS"), {"api_key": "k3y-123"}, "authorization", "SSWS k3y-123"),
        (HeaderKey("X-API-Key"), {"api_key": "k3y-123"}, "x-api-key", "k3y-123"),
        (HeaderKey("api-key", field="key"), {"key": "k3y-123"}, "api-key", "k3y-123"),
        (Basic(), {"api_key": "user", "api_secret": "pa:ss"}, "authorization", "Basic " + base64.b64encode(b"user:pa:ss").decode()),
        (Basic(), {"token": "dXNlcjpwYXNz"}, "authorization", "Basic dXNlcjpwYXNz"),
    ],
)
def test_each_header_scheme_sends_the_documented_header(echo, scheme, credentials, header, value):
    seen = requests.get(f"{echo.url}/x?a=1", auth=scheme.build(credentials), timeout=5).json()
    assert seen["headers"][header] == value
    assert seen["query"] == [["a", "1"]]
    assert all(v not in repr(scheme.build(credentials)) for v in credentials.values())
    assert value in secret_values(credentials, scheme=scheme)


def test_the_old_apikey_name_is_the_new_one():
    assert ApiKeyPrefix() == ApikeyAuthorization() == AuthorizationPrefix("Apikey")
    assert ApiKeyPrefix("k") == HeaderKey("Authorization", "k").__class__("k", "Apikey")


def test_bad_declarations_fail_at_construction():
    with pytest.raises(ConfigError):
        HeaderKey("X API Key")
    with pytest.raises(ConfigError):
        AuthorizationPrefix("Api Key")
    with pytest.raises(ConfigError):
        QueryKey("")


def test_query_key_is_added_to_the_url_replacing_an_echoed_one(echo):
    auth = QueryKey("api_key").build({"api_key": "k3y/+&="})
    seen = requests.get(f"{echo.url}/x?a=1&api_key=stale", auth=auth, timeout=5).json()
    assert seen["query"] == [["a", "1"], ["api_key", "k3y/+&="]]
    assert "k3y" not in repr(auth)
    assert QueryKey("key", field="token").fields() == (("token",),)


safe_text = st.text(st.characters(min_codepoint=33, max_codepoint=0x2FFF, exclude_categories=("Cs",)), min_size=4, max_size=20)


@settings(max_examples=150, deadline=None)
@given(
    key=safe_text,
    param=st.from_regex(r"[a-z_]{1,10}", fullmatch=True),
    pairs=st.lists(st.tuples(st.from_regex(r"[a-z]{1,5}", fullmatch=True), st.text(max_size=8)), max_size=4),
)
def test_query_key_property_one_value_others_kept_and_covered_by_secrets(key, param, pairs):
    url = requests.Request("GET", "https://vendor.test/p", params=[*pairs, (param, "old")]).prepare().url
    prepared = requests.Request("GET", url).prepare()
    signed = QueryKey(param).build({param: key})(prepared)
    query = parse_qsl(urlsplit(signed.url).query, keep_blank_values=True)
    assert [v for k, v in query if k == param] == [key]
    assert [(k, v) for k, v in query if k != param] == [(k, v) for k, v in pairs if k != param]
    found = secret_values({param: key}, scheme=QueryKey(param))
    # The key as a URL carries it, percent-encoded: the engine's redactor knows both spellings.
    assert key in found and quote(key, safe="") in found


# -- a vendor declared here, run in-process -------------------------------------------------


@attrs.frozen
class NoParams:
    pass


def observations(payload, request):
    for item in payload["items"]:
        yield Observation(vendor="inline", platform="web", entity_type="account", entity_id=item, metric="followers", value=1)


def make_vendor(name: str, auth, **stream_changes) -> Vendor:
    stream = Stream(
        name="items", path="/items", params=NoParams, normalize=observations, records=(Observation,), pagination=NextLink("next")
    )
    return Vendor(
        name=name,
        title=f"{name} API",
        base_url="https://inline.invalid",
        auth=auth,
        streams=(attrs.evolve(stream, **stream_changes),),
        credentials=(Credential("api_key"),),
    )


class KeyInQueryApp:
    """Two pages behind ``?api_key=``; page 2 answers ``fail_status`` quoting the URL it was sent, when set."""

    def __init__(self, key: str, fail_status: int | None = None):
        self.key = key
        self.fail_status = fail_status
        self.keys_seen: list[str | None] = []

    def __call__(self, environ, start_response):
        query = dict(parse_qsl(environ.get("QUERY_STRING", "")))
        self.keys_seen.append(query.get("api_key"))
        url = f"{environ['PATH_INFO']}?{environ.get('QUERY_STRING', '')}"
        if query.get("api_key") != self.key:
            status, body = "401 Unauthorized", {"detail": f"bad key in {url}"}
        elif query.get("page") == "2" and self.fail_status:
            status, body = f"{self.fail_status} Nope", {"detail": f"refused {url}", "errors": [url]}
        elif query.get("page") == "2":
            status, body = "200 OK", {"items": ["b"], "next": None}
        else:
            status, body = "200 OK", {"items": ["a"], "next": "/items?page=2"}
        start_response(status, [("Content-Type", "application/json")])
        return [json.dumps(body).encode()]


@pytest.fixture
def inline_vendor():
    names = []

    def register(vendor: Vendor) -> Vendor:
        names.append(socialtap.register_vendor(vendor))
        return vendor

    yield register
    for name in names:
        forget_plugin(name)


def test_query_key_run_sends_the_key_on_every_page(inline_vendor):
    key = "qk-5ecret-value"
    inline_vendor(make_vendor("inlineq", QueryKey("api_key")))
    app = KeyInQueryApp(key)
    records = []
    with serve_app(app) as served:
        options = attrs.evolve(FAST, base_url=served.url)
        report = socialtap.run(Task("inlineq", "items", {}, {"api_key": key}, options), sink=records.append)
    assert [r.entity_id for r in records] == ["a", "b"] and report.total_records == 2
    assert app.keys_seen == [key, key]


@pytest.mark.parametrize("status", [401, 422, 500])
def test_query_key_never_reaches_errors_logs_or_state(inline_vendor, tmp_path, caplog, status):
    key = "qk-5ecret-value"
    inline_vendor(make_vendor("inlineq", QueryKey("api_key")))
    state = tmp_path / "state.sqlite"
    app = KeyInQueryApp(key, fail_status=status)
    caplog.set_level(logging.DEBUG)
    with serve_app(app) as served:
        options = attrs.evolve(FAST, base_url=served.url, state=str(state))
        with pytest.raises(socialtap.SocialtapError) as info:
            socialtap.run(Task("inlineq", "items", {}, {"api_key": key}, options))
    assert app.keys_seen == [key, key], "the second page was asked for, with the key"
    text = f"{info.value} {info.value!r} {getattr(info.value, 'problems', '')} {info.value.report.as_dict()}"
    assert "refused" in text or "credentials were refused" in text or "rejected" in text
    for where in (text, caplog.text, *(p.read_bytes().decode("latin-1") for p in tmp_path.iterdir())):
        assert key not in where and quote(key) not in where
    assert "api_key=" in caplog.text, "urllib3 logged the URL, redacted"


# -- a vendor registered after first use; normalizer errors ----------------------------------


def test_a_plugin_registered_after_first_use_is_seen(inline_vendor):
    registry = socialtap.plugins.get_registry()
    with pytest.raises(ConfigError, match="unknown vendor 'late'"):
        registry.get("late")

    class Late:
        @socialtap.hookimpl
        def socialtap_register_vendors(self, register):
            register(make_vendor("late", Bearer("api_key")))

    pm = socialtap.plugins.get_plugin_manager()
    pm.register(Late(), name="late-plugin")
    try:
        assert socialtap.plugins.get_registry().get("late").name == "late"
    finally:
        pm.unregister(name="late-plugin")
    with pytest.raises(ConfigError, match="unknown vendor 'late'"):
        socialtap.plugins.get_registry().get("late")


def test_register_vendor_replaces_itself_and_refuses_a_clash(inline_vendor):
    inline_vendor(make_vendor("again", Bearer("api_key")))
    inline_vendor(attrs.evolve(make_vendor("again", Bearer("api_key")), title="Again v2"))
    assert socialtap.plugins.get_registry().get("again").title == "Again v2"
    with pytest.raises(ConfigError, match="registered twice"):
        socialtap.register_vendor(make_vendor("example", Bearer("api_key")))
    assert socialtap.plugins.get_registry().get("example").title != "example API"
    with pytest.raises(ConfigError, match="not dict"):
        socialtap.register_vendor({"name": "x"})


def bad_entity(payload, request):
    yield Observation(vendor="inline", platform="web", entity_type="acount", entity_id="1", metric="followers")


def bad_status_list(payload, request):
    return [Observation(vendor="inline", platform="web", entity_type="account", entity_id="1", metric="m", status="gone")]


@pytest.mark.parametrize(
    "normalize, expected",
    [
        (
            bad_entity,
            "bad.items: normalize built Observation(entity_type='acount'): entity_type must be one of account, post, category, profile",
        ),
        (
            bad_status_list,
            "bad.items: normalize built Observation(status='gone'): status must be one of "
            "available, pending, unavailable, not_found, below_threshold",
        ),
    ],
)
def test_a_record_refusing_a_value_is_a_one_line_payload_error(inline_vendor, normalize, expected):
    inline_vendor(make_vendor("bad", QueryKey("api_key"), normalize=normalize))
    with serve_app(KeyInQueryApp("k-12345")) as served:
        with pytest.raises(socialtap.PayloadError) as info:
            socialtap.run(Task("bad", "items", {}, {"api_key": "k-12345"}, attrs.evolve(FAST, base_url=served.url)))
    assert str(info.value) == expected
    assert info.value.__cause__ is None and info.value.__suppress_context__


# -- OAuth2 client credentials ---------------------------------------------------------------


class OAuthSandbox:
    """A token endpoint (RFC 6749 §4.4) and one API route accepting only its live tokens."""

    def __init__(self, client_id="cid-123", client_secret="csecret-456", expires_in=3600, scope=None, echo=False):
        self.client_id, self.client_secret = client_id, client_secret
        self.expires_in, self.scope, self.echo = expires_in, scope, echo
        self.issued: list[str] = []
        self.revoked: set[str] = set()
        self.token_requests: list[dict] = []
        self.api_calls: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        if environ["PATH_INFO"] == "/oauth/token":
            return self.token(environ, start_response)
        auth = environ.get("HTTP_AUTHORIZATION", "")
        token = auth.removeprefix("Bearer ")
        self.api_calls.append(token)
        if not auth.startswith("Bearer ") or token not in self.issued or token in self.revoked:
            return self.answer(start_response, "401 Unauthorized", {"detail": f"token {token} is not valid"})
        if self.echo:
            return self.answer(start_response, "500 Oops", {"detail": f"we saw {auth}"})
        page = dict(parse_qsl(environ.get("QUERY_STRING", ""))).get("page", "1")
        items = {"1": (["a"], "/items?page=2"), "2": (["b"], "/items?page=3"), "3": (["c"], None)}[page]
        return self.answer(start_response, "200 OK", {"items": items[0], "next": items[1]})

    def token(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        form = dict(parse_qsl(environ["wsgi.input"].read(length).decode()))
        basic = environ.get("HTTP_AUTHORIZATION", "")
        if basic.startswith("Basic "):
            cid, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
        else:
            cid, secret = form.get("client_id"), form.get("client_secret")
        with self.lock:
            self.token_requests.append({"form": form, "basic": bool(basic)})
            if form.get("grant_type") != "client_credentials" or environ["REQUEST_METHOD"] != "POST":
                return self.answer(start_response, "400 Bad Request", {"error": "unsupported_grant_type"})
            if (cid, secret) != (self.client_id, self.client_secret):
                return self.answer(start_response, "401 Unauthorized", {"error": "invalid_client", "got": secret})
            if self.scope is not None and form.get("scope") != self.scope:
                return self.answer(start_response, "400 Bad Request", {"error": "invalid_scope"})
            token = f"access-{len(self.issued) + 1}-xyz"
            self.issued.append(token)
        return self.answer(start_response, "200 OK", {"access_token": token, "token_type": "Bearer", "expires_in": self.expires_in})

    @staticmethod
    def answer(start_response, status, body):
        start_response(status, [("Content-Type", "application/json")])
        return [json.dumps(body).encode()]


@pytest.fixture(autouse=True)
def fresh_tokens():
    _clear_token_cache()
    yield
    _clear_token_cache()


CREDS = {"client_id": "cid-123", "client_secret": "csecret-456"}


def oauth_vendor(scheme=None) -> Vendor:
    vendor = make_vendor("oauthy", scheme or OAuth2ClientCredentials("/oauth/token"))
    return attrs.evolve(vendor, credentials=(Credential("client_id"), Credential("client_secret")))


def run_oauth(served, credentials=CREDS, **options):
    records = []
    task = Task("oauthy", "items", {}, credentials, attrs.evolve(FAST, base_url=served.url, **options))
    report = socialtap.run(task, sink=records.append)
    return [r.entity_id for r in records], report


def test_oauth2_fetches_one_token_and_reuses_it_across_pages_and_runs(inline_vendor):
    inline_vendor(oauth_vendor())
    sandbox = OAuthSandbox()
    with serve_app(sandbox) as served:
        assert run_oauth(served)[0] == ["a", "b", "c"]
        assert run_oauth(served)[0] == ["a", "b", "c"]
    assert sandbox.issued == ["access-1-xyz"]
    assert sandbox.api_calls == ["access-1-xyz"] * 6
    assert sandbox.token_requests == [{"form": {"grant_type": "client_credentials"}, "basic": True}]


def test_oauth2_refreshes_after_expiry_minus_the_margin(inline_vendor):
    inline_vendor(oauth_vendor(OAuth2ClientCredentials("/oauth/token", margin=60)))
    sandbox = OAuthSandbox(expires_in=600)
    with serve_app(sandbox) as served:
        with clock.frozen("2026-01-02T09:00:00Z"):
            run_oauth(served)
        with clock.frozen("2026-01-02T09:08:59Z"):  # 539 s later: still inside expires_in - margin
            run_oauth(served)
        assert sandbox.issued == ["access-1-xyz"]
        with clock.frozen("2026-01-02T09:09:01Z"):  # 541 s: past 600 - 60
            run_oauth(served)
    assert sandbox.issued == ["access-1-xyz", "access-2-xyz"]
    assert sandbox.api_calls[-3:] == ["access-2-xyz"] * 3


def test_oauth2_refreshes_once_on_a_401_and_resends(inline_vendor):
    inline_vendor(oauth_vendor())
    sandbox = OAuthSandbox()
    with serve_app(sandbox) as served:
        run_oauth(served)
        sandbox.revoked.add("access-1-xyz")  # the vendor revoked it before it expired
        ids, _ = run_oauth(served)
    assert ids == ["a", "b", "c"]
    assert sandbox.issued == ["access-1-xyz", "access-2-xyz"]
    assert sandbox.api_calls[3:] == ["access-1-xyz", "access-2-xyz", "access-2-xyz", "access-2-xyz"]


def test_oauth2_a_401_with_a_fresh_token_is_an_auth_error_not_a_loop(inline_vendor):
    inline_vendor(oauth_vendor())
    sandbox = OAuthSandbox()
    sandbox.revoked = type("All", (), {"__contains__": lambda self, item: True})()
    with serve_app(sandbox) as served:
        with pytest.raises(AuthError):
            run_oauth(served)
    assert len(sandbox.issued) == 2 and len(sandbox.api_calls) == 2


def test_oauth2_wrong_secret_is_an_auth_error_without_the_secret(inline_vendor):
    inline_vendor(oauth_vendor())
    sandbox = OAuthSandbox()
    with serve_app(sandbox) as served:
        with pytest.raises(AuthError) as info:
            run_oauth(served, {"client_id": "cid-123", "client_secret": "wrong-secret-789"})
    assert "invalid_client" in str(info.value) and "wrong-secret-789" not in f"{info.value} {info.value.report.as_dict()}"
    assert sandbox.api_calls == []


def test_oauth2_form_credentials_and_scope(inline_vendor):
    inline_vendor(oauth_vendor(OAuth2ClientCredentials("/oauth/token", scope="read stats", client_auth="body")))
    sandbox = OAuthSandbox(scope="read stats")
    with serve_app(sandbox) as served:
        assert run_oauth(served)[0] == ["a", "b", "c"]
    assert sandbox.token_requests == [
        {"form": {"grant_type": "client_credentials", "scope": "read stats", **CREDS}, "basic": False}
    ]


def test_oauth2_access_token_echoed_by_the_vendor_is_redacted(inline_vendor, caplog):
    inline_vendor(oauth_vendor())
    sandbox = OAuthSandbox(echo=True)
    caplog.set_level(logging.DEBUG)
    with serve_app(sandbox) as served:
        with pytest.raises(socialtap.VendorError) as info:
            run_oauth(served)
    text = f"{info.value} {info.value!r} {info.value.report.as_dict()} {caplog.text}"
    assert sandbox.issued and "we saw ***" in str(info.value)
    assert all(token not in text for token in sandbox.issued) and "csecret-456" not in text


def test_oauth2_one_fetch_for_many_threads():
    sandbox = OAuthSandbox()
    auth = OAuth2ClientCredentials("/oauth/token").build(CREDS)
    with serve_app(sandbox) as served:
        barrier = threading.Barrier(8)
        results = []

        def ask():
            barrier.wait()
            results.append(auth.token(f"{served.url}/items"))

        threads = [threading.Thread(target=ask) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert results == ["access-1-xyz"] * 8 and sandbox.issued == ["access-1-xyz"]


def test_oauth2_token_url_stays_on_the_vendor_origin():
    auth = OAuth2ClientCredentials("/api/oauth/token").build(CREDS)
    assert auth.token_url_for("https://api.vendor.test:8443/v2/x?y=1") == "https://api.vendor.test:8443/api/oauth/token"
    for refused in ("http://auth.vendor.test/token", "//evil.test/token", "https://u@auth.vendor.test/t", "ftp://x/t"):
        with pytest.raises(ConfigError, match="token_url"):
            OAuth2ClientCredentials(refused)
    assert OAuth2ClientCredentials("https://auth.vendor.test/token").token_url == "https://auth.vendor.test/token"
    assert "csecret" not in repr(auth) and "cid-123" not in repr(auth)
    # Offline, the secret set is what the object holds: no token is fetched to compute it.
    assert {"cid-123", "csecret-456"} <= secret_values(CREDS, scheme=OAuth2ClientCredentials("/oauth/token"))


def test_python_dash_m_socialtap_is_the_cli(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIALTAP_")}
    env["XDG_STATE_HOME"] = str(tmp_path)
    run = [sys.executable, "-m", "socialtap"]
    listed = subprocess.run([*run, "vendors"], capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert any(line.startswith("example\t") for line in listed.stdout.splitlines())  # in entry-point order
    helped = subprocess.run([*run, "--help"], capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=60)
    assert helped.returncode == 0 and helped.stdout.startswith("Usage: socialtap ")
    wrong = subprocess.run([*run, "streams", "nope"], capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=60)
    assert wrong.returncode == 2 and "unknown vendor 'nope'" in wrong.stderr


def test_query_key_response_url_is_redacted_and_an_echoed_key_is_not_checkpointed(inline_vendor, tmp_path):
    key = "qk-5ecret-value"
    inline_vendor(make_vendor("inlineq", QueryKey("api_key")))
    seen_urls = []

    class Watch:
        @socialtap.hookimpl
        def socialtap_after_response(self, vendor, request, response, attempt):
            seen_urls.append(response.url)

    name = socialtap.use_plugin(Watch(), name="watch-urls")
    echoing = KeyInQueryApp(key)
    original = echoing.__call__

    def echo_key_in_next(environ, start_response):
        body = b"".join(original(environ, start_response))
        payload = json.loads(body)
        if payload.get("next"):
            payload["next"] += f"&api_key={key}"  # as Graph-style APIs do
        return [json.dumps(payload).encode()]

    try:
        with serve_app(echo_key_in_next) as served:
            options = attrs.evolve(FAST, base_url=served.url)
            socialtap.run(Task("inlineq", "items", {}, {"api_key": key}, options))
            assert echoing.keys_seen == [key, key]
            assert seen_urls and all("api_key=***" in url and key not in url for url in seen_urls)
            with pytest.raises(socialtap.SecurityError, match="carries a credential value"):
                socialtap.run(Task("inlineq", "items", {}, {"api_key": key}, attrs.evolve(options, state=str(tmp_path / "s.db"))))
        assert all(key not in p.read_bytes().decode("latin-1") for p in tmp_path.iterdir())
    finally:
        forget_plugin(name)


def test_oauth2_token_endpoint_outage_is_retried(inline_vendor):
    inline_vendor(oauth_vendor())
    sandbox = OAuthSandbox()
    failures = [503]

    def flaky(environ, start_response):
        if environ["PATH_INFO"] == "/oauth/token" and failures:
            failures.pop()
            return OAuthSandbox.answer(start_response, "503 Busy", {"error": "temporarily_unavailable"})
        return sandbox(environ, start_response)

    with serve_app(flaky) as served:
        ids, report = run_oauth(served, max_attempts=3, backoff_initial=0.01)
    assert ids == ["a", "b", "c"] and sandbox.issued == ["access-1-xyz"] and report.retries == 1
