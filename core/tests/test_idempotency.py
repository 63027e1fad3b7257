"""Writes (socialtap.idempotency), vendor-agnostic: keys derived from task and item, keyed
retries and never an unkeyed one, and the ledger of created items in the state file.
Counted at loopback servers, through the runner."""

from __future__ import annotations

import os
import sqlite3
import sys
import threading

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.wrappers import Request as WsgiRequest
from werkzeug.wrappers import Response as WsgiResponse

sys.path.insert(0, os.path.dirname(__file__))
from engine_support import VendorPlugin

from socialtap import Options, Relation, Stream, Task, Vendor, iter_records
from socialtap.auth import Bearer
from socialtap.declarations import Credential
from socialtap.errors import VendorError
from socialtap.idempotency import KEY_PREFIX, Write, derive_key
from socialtap.pagination import PageNumber
from socialtap.plugins import make_plugin_manager
from socialtap.testing import serve_app

TOKEN = "writes-token-0123456789"


@attrs.frozen
class CreateParams:
    name: list[str]
    key: str | None = None


def normalize(payload, request):
    yield Relation("writer", "web", "root", "created", payload["id"])


def stream(**kwargs) -> Stream:
    return Stream("create", "/things", CreateParams, normalize, (Relation,), method="POST", fan_out="name", **kwargs)


def vendor(write: Write | None) -> Vendor:
    body = lambda params: {"name": params.name}  # noqa: E731
    return Vendor(
        name="writer",
        title="Writer API",
        base_url="https://writer.example/api",
        auth=Bearer("token"),
        credentials=(Credential("token"),),
        streams=(stream(write=write, body=body),),
    )


class Things:
    """``POST /api/things``: scripted statuses first, then creates (dedup by key only if ``dedup``)."""

    def __init__(self, *steps: str, dedup: bool = True):
        self.steps = list(steps)
        self.dedup = dedup
        self.created: dict[str, str] = {}
        self.made = 0
        self.keys: list[str | None] = []
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        name = WsgiRequest(environ).get_json()["name"]
        key = environ.get("HTTP_IDEMPOTENCY_KEY") or environ.get("HTTP_X_REQUEST_ID")
        with self.lock:
            self.keys.append(key)
            step = self.steps.pop(0) if self.steps else "ok"
            if step != "ok":
                return WsgiResponse('{"detail": "busy"}', int(step), content_type="application/json")(environ, start_response)
            if not (self.dedup and key in self.created):
                self.made += 1
                self.created[key or f"none-{self.made}"] = f"{name}-{self.made}"
            thing = self.created.get(key) or f"{name}-{self.made}"
        return WsgiResponse(f'{{"id": "{thing}"}}', 201, content_type="application/json")(environ, start_response)


def run(base_url, state, write=Write(), names=("a",), **params):
    pm = make_plugin_manager(extra=(VendorPlugin(vendor(write)),))
    # One chain at a time: the server numbers what it creates in arrival order.
    options = Options(base_url=base_url, state=str(state), max_attempts=3, backoff_initial=0.01, concurrency=1)
    task = Task("writer", "create", {"name": list(names), **params}, {"token": TOKEN}, options)
    return [r.other_id for r in iter_records(task, plugin_manager=pm)]


# -- the declaration and the key -----------------------------------------------------------


@pytest.mark.parametrize("kwargs", [{"retry": "always"}, {"idempotent": True}, {"retry": "never"}, {"pagination": PageNumber()}])
def test_a_write_refuses_another_retry_word_or_pagination(kwargs):
    with pytest.raises(ValueError, match="idempotency key"):
        stream(write=Write(), **kwargs)


texts = st.text(max_size=30)


@given(texts, texts, texts, st.lists(texts, max_size=3), st.lists(texts, max_size=3))
def test_a_key_is_stable_and_names_exactly_its_task_and_item(vendor_name, stream_name, base, item, other):
    key = derive_key(vendor_name, stream_name, base, item)
    assert key == derive_key(vendor_name, stream_name, base, list(item)) and key.startswith(KEY_PREFIX)
    assert len(key) <= 255 and key.isascii() and key.isprintable() and " " not in key
    if other != item:
        assert derive_key(vendor_name, stream_name, base, other) != key
    assert derive_key(vendor_name + "x", stream_name, base, item) != key
    assert derive_key(vendor_name, stream_name, base + "x", item) != key


# -- retries: keyed, and only keyed ----------------------------------------------------------


def test_a_keyed_post_is_retried_with_its_key_and_an_unkeyed_one_is_not(tmp_path):
    app = Things("503", "502")
    with serve_app(app) as served:
        assert run(served.url + "/api", tmp_path / "s.sqlite") == ["a-1"]
    assert len(app.keys) == 3 and len(set(app.keys)) == 1 and app.keys[0].startswith(KEY_PREFIX)

    plain = Things("503")
    with serve_app(plain) as served, pytest.raises(VendorError, match="HTTP 503"):
        run(served.url + "/api", tmp_path / "t.sqlite", write=None)
    assert plain.keys == [None], "a POST without a key was sent twice"


def test_the_vendor_may_name_its_own_header_and_a_param_may_carry_the_key(tmp_path):
    app = Things("500")
    with serve_app(app) as served:
        run(served.url + "/api", tmp_path / "s.sqlite", write=Write("X-Request-Id", key_param="key"), key="mine-1")
    assert app.keys == ["mine-1", "mine-1"]


# -- the ledger ------------------------------------------------------------------------------


def test_what_was_created_is_never_sent_again_even_by_another_task(tmp_path):
    app = Things(dedup=False)  # a server with no dedup at all: only the ledger stands in the way
    state = tmp_path / "s.sqlite"
    with serve_app(app) as served:
        assert run(served.url + "/api", state, names=("a", "b")) == ["a-1", "b-2"]
        assert run(served.url + "/api", state, names=("b", "c", "a")) == ["b-2", "c-3", "a-1"]
        assert run(served.url + "/api", tmp_path / "elsewhere.sqlite", names=("a",)) == ["a-4"]  # the control
    assert app.made == 4 and len(app.keys) == 4
    with sqlite3.connect(state) as db:
        assert db.execute("SELECT COUNT(*) FROM created").fetchone()[0] == 3


def test_a_failed_item_is_not_remembered_and_is_sent_again_with_the_same_key(tmp_path):
    app = Things("503", "503", "503")
    state = tmp_path / "s.sqlite"
    with serve_app(app) as served:
        with pytest.raises(VendorError):
            run(served.url + "/api", state)
        assert run(served.url + "/api", state) == ["a-1"]
    assert len(set(app.keys)) == 1 and len(app.keys) == 4


def test_a_write_without_a_state_file_option_still_keeps_its_ledger(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("SOCIALTAP_STATE", raising=False)
    app = Things(dedup=False)
    pm = make_plugin_manager(extra=(VendorPlugin(vendor(Write())),))
    with serve_app(app) as served:
        for _ in range(2):
            task = Task("writer", "create", {"name": ["a"]}, {"token": TOKEN}, Options(base_url=served.url + "/api"))
            assert [r.other_id for r in iter_records(task, plugin_manager=pm)] == ["a-1"]
    assert app.made == 1 and list((tmp_path / "xdg").rglob("state.sqlite"))
