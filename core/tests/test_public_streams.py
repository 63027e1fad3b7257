"""Stream(public=True): runs with no credential set and is sent unsigned; the vendor's
other streams still need their credentials (socialtap.public)."""

from __future__ import annotations

import json

import attrs
import pytest

import socialtap
from socialtap import Credential, Observation, Stream, Vendor
from socialtap.auth import ApikeyAuthorization
from socialtap.errors import ConfigError
from socialtap.plugins import forget_plugin
from socialtap.public import Unsigned
from socialtap.runner import Options, Task, iter_records, prepare
from socialtap.testing import serve_app


@attrs.frozen
class NoParams:
    """No params."""


def config(payload, request):
    yield Observation("pub", "all", "account", "config", "answers", len(payload))


VENDOR = Vendor(
    name="pub",
    title="Pub",
    base_url="https://pub.example/api",
    auth=ApikeyAuthorization(),
    credentials=(Credential("api_key", "key"),),
    streams=(
        Stream("config", "/config", NoParams, config, (Observation,), public=True),
        Stream("private", "/private", NoParams, config, (Observation,)),
    ),
)


@pytest.fixture
def vendor(monkeypatch):
    monkeypatch.delenv("SOCIALTAP_PUB_API_KEY", raising=False)
    name = socialtap.register_vendor(VENDOR)
    yield VENDOR
    forget_plugin(name)


def test_a_public_stream_runs_without_credentials_and_sends_none(vendor, monkeypatch):
    seen = []

    def app(environ, start_response):
        seen.append(environ.get("HTTP_AUTHORIZATION"))
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"a": 1}).encode()]

    with serve_app(app) as served:
        options = Options(base_url=served.url + "/api")
        assert len(list(iter_records(Task("pub", "config", {}, None, options)))) == 1
        # a key that is set (or given) is not sent to a public endpoint either
        monkeypatch.setenv("SOCIALTAP_PUB_API_KEY", "k3y-not-for-public")
        assert len(list(iter_records(Task("pub", "config", {}, {"api_key": "given"}, options)))) == 1
    assert seen == [None, None]
    assert prepare(Task("pub", "config", {}, {"api_key": "given"})).credentials == {}
    assert repr(Unsigned()) == "Unsigned()"


def test_the_vendors_other_streams_still_need_the_key(vendor):
    with pytest.raises(ConfigError, match="SOCIALTAP_PUB_API_KEY"):
        prepare(Task("pub", "private", {}))
