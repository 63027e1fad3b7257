"""Every declaration shape sends what a hand-written request would (issue 13).

fan-out / batch / neither, times the param in the path / query / JSON body, times
str / int / date / list[str] / list[int], plain or ``comma_joined``: each run goes
through ``socialtap.runner.iter_records`` to a loopback app that records what it
received, and is compared with the requests a person would write by hand.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import threading
from typing import Any
from urllib.parse import unquote

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.wrappers import Request as WsgiRequest
from werkzeug.wrappers import Response as WsgiResponse

from socialtap import Options, Relation, Stream, Task, Vendor, hookimpl, iter_records
from socialtap.auth import Bearer
from socialtap.declarations import Credential
from socialtap.errors import ConfigError
from socialtap.plugins import make_plugin_manager
from socialtap.testing import serve_app

TOKEN = "shapes-token-0123456789"
MAX_BATCH = 2
TYPES: dict[str, Any] = {"str": str, "int": int, "date": dt.date, "list_str": list[str], "list_int": list[int]}
MODES = ("fan_out", "batch", "none")
PLACES = ("path", "query", "body")

PARAMS = {name: attrs.make_class(f"Shape_{name}", {"value": attrs.field(type=tp)}, frozen=True) for name, tp in TYPES.items()}


def nothing(payload, request):
    return iter(())


def stream_name(mode: str, place: str, type_name: str, joined: bool) -> str:
    return f"{mode}-{place}-{type_name}" + ("-joined" if joined else "")


def make_stream(mode: str, place: str, type_name: str, joined: bool) -> Stream:
    return Stream(
        stream_name(mode, place, type_name, joined),
        "/things/{value}" if place == "path" else "/things",
        PARAMS[type_name],
        nothing,
        (Relation,),
        method="POST" if place == "body" else "GET",
        fan_out="value" if mode == "fan_out" else None,
        batch="value" if mode == "batch" else None,
        comma_joined={"value"} if joined else (),
    )


SHAPES = Vendor(
    name="shapes",
    title="Shapes API",
    base_url="https://shapes.example/api",
    auth=Bearer("token"),
    credentials=(Credential("token"),),
    streams=[make_stream(*combo) for combo in itertools.product(MODES, PLACES, TYPES, (False, True))],
    max_batch=MAX_BATCH,
)


class ShapesPlugin:
    @hookimpl
    def socialtap_register_vendors(self, register):
        register(SHAPES)


class Echo:
    """Records each request as (method, raw path, query pairs, JSON body); answers an empty page."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, list[tuple[str, str]], Any]] = []
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        request = WsgiRequest(environ)
        raw_path = environ.get("RAW_URI") or environ.get("REQUEST_URI") or ""
        entry = (request.method, raw_path.partition("?")[0], list(request.args.items(multi=True)), request.get_json(silent=True))
        with self.lock:
            self.seen.append(entry)
        return WsgiResponse('{"data": []}', 200, content_type="application/json")(environ, start_response)


@pytest.fixture(scope="module")
def echo():
    app = Echo()
    with serve_app(app) as served:
        yield app, served.url + "/api", make_plugin_manager(extra=(ShapesPlugin(),))


# Text a user may give (no control characters or surrounding spaces: params refuse those),
# with what breaks URLs: separators, escapes, non-ASCII.
words = st.text(alphabet=st.sampled_from("ab9Z-_.~/?#&=,;%+ :@éü中😀"), min_size=1, max_size=8).filter(
    lambda s: s == s.strip() and s not in (".", "..")
)
VALUES = {
    "str": words,
    "int": st.integers(-(10**12), 10**12),
    "date": st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)),
    "list_str": st.lists(words, min_size=1, max_size=5),
    "list_int": st.lists(st.integers(-999, 999), min_size=1, max_size=5),
}


def raw(value: Any) -> Any:
    """What a user passes (``-p value=...`` or JSON): dates as text."""
    if isinstance(value, list):
        return [raw(v) for v in value]
    return value.isoformat() if isinstance(value, dt.date) else value


def text(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def json_value(value: Any) -> Any:
    if isinstance(value, list):
        return [json_value(v) for v in value]
    return value.isoformat() if isinstance(value, dt.date) else value


def dedupe(values: list[Any]) -> list[Any]:
    return list(dict.fromkeys(values))


def hand_written(mode: str, place: str, value: Any, joined: bool) -> list[tuple[str, list[str] | str, list, Any]]:
    """The requests a person would send, by hand, for this declaration and value."""
    if mode == "fan_out":
        sent = dedupe(value) if isinstance(value, list) else [value]
    elif mode == "batch":
        items = dedupe(value) if isinstance(value, list) else [value]
        sent = [items[i : i + MAX_BATCH] for i in range(0, len(items), MAX_BATCH)]
    else:
        sent = [value]
    expected = []
    for one in sent:
        if place == "path":
            # Compared segment by segment, decoded: a list is its items joined by commas.
            segment = [text(v) for v in one] if isinstance(one, list) else [text(one)]
            expected.append(("GET", segment, [], None))
        elif place == "query":
            if isinstance(one, list):
                pairs = [("value", ",".join(text(v) for v in one))] if joined else [("value", text(v)) for v in one]
            else:
                pairs = [("value", text(one))]
            expected.append(("GET", "/api/things", pairs, None))
        else:
            body = ",".join(text(v) for v in one) if joined and isinstance(one, list) else json_value(one)
            expected.append(("POST", "/api/things", [], {"value": body}))
    return expected


def received(app: Echo, place: str) -> list[tuple[str, list[str] | str, list, Any]]:
    out = []
    for method, path, query, body in app.seen:
        if place == "path":
            prefix, _, segment = path.rpartition("/")
            assert prefix == "/api/things", path  # the value added no path segment
            assert not any(ch in segment for ch in "?#/"), segment
            out.append((method, [unquote(part) for part in segment.split(",")], query, body))
        else:
            out.append((method, path, query, body))
    return out


def canonical(requests: list) -> list:
    return sorted(requests, key=lambda r: json.dumps(r, ensure_ascii=False))


@pytest.mark.parametrize("type_name", list(TYPES))
@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("mode", MODES)
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_declaration_shape_sends_what_a_hand_written_request_would(echo, mode, place, type_name, data):
    app, base_url, pm = echo
    value = data.draw(VALUES[type_name], label="value")
    joined = data.draw(st.booleans(), label="comma_joined")
    app.seen.clear()
    task = Task(
        "shapes", stream_name(mode, place, type_name, joined), {"value": raw(value)}, {"token": TOKEN}, Options(base_url=base_url)
    )
    assert list(iter_records(task, plugin_manager=pm)) == []
    assert canonical(received(app, place)) == canonical(hand_written(mode, place, value, joined))


@pytest.mark.parametrize("value", [".", ".."])
def test_a_path_value_that_would_address_another_resource_is_refused_before_any_request(echo, value):
    app, base_url, pm = echo
    app.seen.clear()
    task = Task("shapes", "none-path-str", {"value": value}, {"token": TOKEN}, Options(base_url=base_url))
    with pytest.raises(ConfigError, match="URL path"):
        list(iter_records(task, plugin_manager=pm))
    assert app.seen == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {"fan_out": "value", "batch": "value"},
        {"fan_out": "nope"},
        {"batch": "nope"},
        {"comma_joined": {"nope"}},
    ],
)
def test_a_declaration_naming_what_the_params_lack_fails_when_the_stream_is_built(kwargs):
    with pytest.raises(ValueError):
        Stream("bad", "/things", PARAMS["list_str"], nothing, (Relation,), **kwargs)
