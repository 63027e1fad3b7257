"""The runner and engine against small real servers on 127.0.0.1."""

from __future__ import annotations

import re

import attrs
import pytest

from socialtap import Options, Relation, RunReport, Stream, Task, Vendor, hookimpl, iter_records, run
from socialtap.auth import Bearer
from socialtap.declarations import Credential
from socialtap.errors import AuthError, ConfigError, PayloadError, QuotaError, SecurityError
from socialtap.pagination import NextLink
from socialtap.plugins import make_plugin_manager
from socialtap.testing import serve_app
from socialtap.testing.emulator import Rule, SandboxApp, json_response

TOKEN = "tok-123456"


@attrs.frozen
class LinkParams:
    start: str = "a"


@attrs.frozen
class Item:
    id: str


@attrs.frozen
class Page:
    results: list[Item]
    next: str | None = None


def normalize(page: Page, request):
    for item in page.results:
        yield Relation("links", "web", "root", "has", item.id)


LINKS = Vendor(
    name="links",
    title="Links API",
    base_url="https://links.example/api",
    auth=Bearer("token"),
    credentials=(Credential("token"),),
    streams=(
        Stream("pages", "/pages/{start}", LinkParams, normalize, (Relation,), pagination=NextLink("next"), payload_model=Page),
    ),
)


class LinksPlugin:
    @hookimpl
    def socialtap_register_vendors(self, register):
        register(LINKS)


class LinksApp(SandboxApp):
    """Serves pages whose ``next`` points where the test says."""

    base_path = "/api"

    def __init__(self, pages):
        self.pages = pages
        self.seen_auth = []
        super().__init__()

    def routes(self):
        return [Rule("/pages/<name>", endpoint="page"), Rule("/redirect", endpoint="redirect")]

    def page(self, request, name):
        self.seen_auth.append(request.headers.get("Authorization"))
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return json_response({"detail": "bad token"}, 401)
        body = self.pages[name]
        return json_response(body(request) if callable(body) else body)

    def redirect(self, request):
        return json_response({}, 302, headers={"Location": "http://127.0.0.2:9/api/pages/a"})


def fetch(pages, start="a", **options):
    pm = make_plugin_manager(extra=(LinksPlugin(),))
    app = LinksApp(pages)
    with serve_app(app) as served:
        task = Task("links", "pages", {"start": start}, {"token": TOKEN}, Options(base_url=served.url + "/api", **options))
        report = RunReport("", "", "")
        records = list(iter_records(task, report=report, plugin_manager=pm))
        return records, report, app


def test_next_links_are_followed_on_the_same_origin():
    pages = {
        "a": lambda r: {"results": [{"id": "1"}], "next": f"{r.host_url}api/pages/b"},
        "b": {"results": [{"id": "2"}], "next": None},
    }
    records, report, _ = fetch(pages)
    assert [r.other_id for r in records] == ["1", "2"]
    assert (report.requests, report.pages, report.records) == (2, 2, {"relation": 2})


def test_a_next_link_to_another_origin_is_refused_and_never_requested():
    pages = {"a": {"results": [{"id": "1"}], "next": "http://127.0.0.2:9/api/pages/b"}}
    with pytest.raises(SecurityError, match=r"refusing to send links credentials to http://127\.0\.0\.2:9"):
        fetch(pages)


def test_a_redirect_to_another_origin_is_not_followed_with_credentials():
    from socialtap.engine import Engine
    from socialtap.http import Request

    pm = make_plugin_manager(extra=(LinksPlugin(),))
    with serve_app(LinksApp({})) as served:
        engine = Engine(LINKS, served.url + "/api", Bearer().build({"token": TOKEN}), pm.hook)
        with pytest.raises(SecurityError, match=r"127\.0\.0\.2"):
            engine.send(Request("GET", "/redirect"))


def test_a_next_link_already_fetched_is_a_payload_error():
    pages = {"a": lambda r: {"results": [{"id": "1"}], "next": f"{r.host_url}api/pages/a"}}
    with pytest.raises(PayloadError, match="already fetched"):
        fetch(pages)


def test_max_pages_stops_each_chain_with_a_warning():
    pages = {"a": lambda r: {"results": [{"id": "1"}], "next": f"{r.host_url}api/pages/a?again={len(r.args)}"}}
    records, report, _ = fetch(pages, max_pages=1)
    assert len(records) == 1 and "max-pages" in report.warnings[0]


def test_a_malformed_payload_names_the_field():
    with pytest.raises(PayloadError, match=r"results\[0\]\.id|\$\.results\[0\]\.id"):
        fetch({"a": {"results": [{"name": "no id"}]}})


def test_a_bad_token_is_an_auth_error_naming_the_env_var():
    pm = make_plugin_manager(extra=(LinksPlugin(),))
    with serve_app(LinksApp({"a": {"results": []}})) as served:
        task = Task("links", "pages", {}, {"token": "wrong-token-value"}, Options(base_url=served.url + "/api"))
        with pytest.raises(AuthError) as caught:
            run(task, plugin_manager=pm)
    assert "SOCIALTAP_LINKS_TOKEN" in str(caught.value) and "wrong-token-value" not in str(caught.value)
    assert caught.value.report.error.startswith("AuthError")


def test_base_url_and_credentials_come_from_the_environment(monkeypatch):
    pm = make_plugin_manager(extra=(LinksPlugin(),))
    app = LinksApp({"a": {"results": [{"id": "9"}]}})
    with serve_app(app) as served:
        monkeypatch.setenv("SOCIALTAP_LINKS_BASE_URL", served.url + "/api")
        monkeypatch.setenv("SOCIALTAP_LINKS_TOKEN", TOKEN)
        records = list(iter_records(Task("links", "pages"), plugin_manager=pm))
    assert [r.other_id for r in records] == ["9"]


def test_a_bad_base_url_is_a_config_error_before_any_request():
    pm = make_plugin_manager(extra=(LinksPlugin(),))
    with pytest.raises(ConfigError, match="must start with http"):
        list(iter_records(Task("links", "pages", {}, {"token": TOKEN}, Options(base_url="ftp://x")), plugin_manager=pm))


def test_the_response_size_cap_stops_with_a_payload_error():
    pages = {"a": {"results": [{"id": str(i)} for i in range(2000)]}}
    with pytest.raises(PayloadError, match="more than 1000 bytes"):
        fetch(pages, max_response_bytes=1000)


def test_validation_errors_from_the_vendor_carry_its_messages():
    class Refusing(LinksApp):
        def page(self, request, name):
            return json_response({"errors": ["'resources' field is required", "too many"]}, 422)

    pm = make_plugin_manager(extra=(LinksPlugin(),))
    with serve_app(Refusing({})) as served:
        task = Task("links", "pages", {}, {"token": TOKEN}, Options(base_url=served.url + "/api"))
        with pytest.raises(ConfigError) as caught:
            run(task, plugin_manager=pm)
    assert caught.value.problems == ["'resources' field is required", "too many"]


@pytest.mark.parametrize(
    ("body", "error"),
    [({"detail": "Monthly quota exceeded."}, "QuotaError"), ({"detail": "Not licensed for this category."}, "AuthError")],
)
def test_a_403_is_a_quota_or_an_auth_error_as_its_message_says(body, error):
    class Forbidding(LinksApp):
        def page(self, request, name):
            return json_response(body, 403)

    pm = make_plugin_manager(extra=(LinksPlugin(),))
    with serve_app(Forbidding({})) as served:
        task = Task("links", "pages", {}, {"token": TOKEN}, Options(base_url=served.url + "/api"))
        with pytest.raises((AuthError, QuotaError)) as caught:
            run(task, plugin_manager=pm)
    assert type(caught.value).__name__ == error and body["detail"] in str(caught.value)


def test_a_payload_value_of_the_wrong_kind_is_a_payload_error_not_an_invented_value():
    """cattrs would read null as the text "None", 1.5 as 1 and null as false; socialtap
    refuses them with the field's path, and keeps a number sent for a string as its text."""
    from socialtap.errors import PayloadError
    from socialtap.normalize import structure_payload

    @attrs.frozen
    class Model:
        name: str
        count: int
        ok: bool
        share: float = 0.0

    assert structure_payload({"name": 7, "count": 2.0, "ok": False, "share": 1}, Model) == Model("7", 2, False, 1.0)
    for bad, path in [
        ({"name": None, "count": 1, "ok": True}, "$.name"),
        ({"name": {"a": 1}, "count": 1, "ok": True}, "$.name"),
        ({"name": "x", "count": 1.5, "ok": True}, "$.count"),
        ({"name": "x", "count": True, "ok": True}, "$.count"),
        ({"name": "x", "count": 1, "ok": None}, "$.ok"),
        ({"name": "x", "count": 1, "ok": "false"}, "$.ok"),
        ({"name": "x", "count": 1, "ok": True, "share": True}, "$.share"),
    ]:
        with pytest.raises(PayloadError, match=re.escape(path)):
            structure_payload(bad, Model, vendor="v", where="s")
    with pytest.raises(PayloadError, match=re.escape("@ $")):
        structure_payload(None, Model, vendor="v", where="s")
