"""Pagination building blocks (issue 13): Cursor, OffsetLimit, LinkHeader and the Paginator protocol.

Each paginator is driven by hypothesis against an in-memory model of a server (every
item once, in order, and the chain ends), refused at construction when its setup
contradicts itself, and run end to end through the runner against a loopback server.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any
from urllib.parse import parse_qsl

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.wrappers import Request as WsgiRequest
from werkzeug.wrappers import Response as WsgiResponse

from socialtap import Options, Relation, Stream, Task, Vendor, hookimpl, iter_records
from socialtap.auth import Bearer
from socialtap.declarations import Credential
from socialtap.errors import ConfigError, PayloadError, SecurityError
from socialtap.http import Request, Response
from socialtap.pagination import (
    Cursor,
    LinkHeader,
    NextLink,
    OffsetLimit,
    PageNumber,
    Paginator,
    lookup,
    parse_link_header,
)
from socialtap.plugins import make_plugin_manager
from socialtap.testing import serve_app

BASE = "http://127.0.0.1:9/api"
TOKEN = "pager-token-0123456789"


def drive(paginator, answer, first: Request | None = None, limit: int = 1000) -> list[Any]:
    """Run a paginator against ``answer(request) -> Response``: every item it collected, in order."""
    request = paginator.first(first or Request("GET", "/things"))
    seen: list[Any] = []
    for _ in range(limit):
        response = answer(request)
        seen.extend(lookup(response.payload, "data") or [])
        request = paginator.next(request, response)
        if request is None:
            return seen
    raise AssertionError("the paginator did not end the chain")


def body_value(request: Request, dotted: str) -> Any:
    return lookup(request.json, dotted) if isinstance(request.json, dict) else None


# -- OffsetLimit -------------------------------------------------------------------------------


@settings(max_examples=200)
@given(
    count=st.integers(0, 80),
    limit=st.integers(1, 15),
    start=st.integers(0, 5),
    server_cap=st.one_of(st.none(), st.integers(1, 20)),
    with_total=st.booleans(),
    names=st.sampled_from([("offset", "limit"), ("start", "count"), ("skip", "take")]),
)
def test_offset_limit_yields_every_item_once_and_ends(count, limit, start, server_cap, with_total, names):
    items = list(range(count))
    offset_param, limit_param = names
    paginator = OffsetLimit(
        limit, offset=start, offset_param=offset_param, limit_param=limit_param, total="meta.total" if with_total else None
    )
    asked: list[tuple[int, int]] = []

    def answer(request):
        offset, size = int(request.query_value(offset_param)), int(request.query_value(limit_param))
        asked.append((offset, size))
        # A server may send more than asked (server_cap above limit): nothing is lost.
        size = max(size, server_cap or 0)
        return Response(200, BASE + "/things", payload={"data": items[offset : offset + size], "meta": {"total": count}})

    got = drive(paginator, answer)
    assert got == items[start:]
    assert all(size == limit for _, size in asked)
    # The offsets asked for are exactly the first ones not yet seen.
    offsets = [offset for offset, _ in asked]
    delivered = [min(max(limit, server_cap or 0), max(0, count - offset)) for offset in offsets]
    assert offsets == [start + sum(delivered[:i]) for i in range(len(offsets))]
    assert len(asked) <= max(1, (count - start) // limit + 1)


def test_offset_limit_stops_on_a_short_page_without_a_total():
    pages = {0: [1, 2, 3], 3: [4]}
    got = drive(OffsetLimit(3), lambda r: Response(200, BASE, payload={"data": pages.get(int(r.query_value("offset")), [])}))
    assert got == [1, 2, 3, 4]


def test_offset_limit_refuses_a_total_that_is_not_an_integer():
    paginator = OffsetLimit(2, total="total")
    with pytest.raises(PayloadError, match="total"):
        paginator.next(paginator.first(Request("GET", "/x")), Response(200, BASE, payload={"data": [1, 2], "total": "12"}))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"limit": 0},
        {"limit": -3},
        {"limit": 10, "offset": -1},
        {"limit": 10, "offset_param": "n", "limit_param": "n"},
        {"limit": 10, "offset_param": ""},
        {"limit": 10, "items": "data..list"},
    ],
)
def test_offset_limit_refuses_a_contradictory_setup_at_declaration(kwargs):
    with pytest.raises((ValueError, TypeError)):
        OffsetLimit(**kwargs)


@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [
        (PageNumber, {"base": 2}),
        (PageNumber, {"param": ""}),
        (PageNumber, {"page_size": 0}),
        (PageNumber, {"size_param": "per_page"}),  # no page_size to send
        (PageNumber, {"page_size": 10, "size_param": "page"}),
        (PageNumber, {"total": "meta..total"}),
        (NextLink, {"path": ""}),
        (NextLink, {"path": "links..next"}),
    ],
)
def test_page_number_and_next_link_refuse_a_contradictory_setup_at_declaration(cls, kwargs):
    with pytest.raises((ValueError, TypeError)):
        cls(**kwargs)


# -- Cursor ------------------------------------------------------------------------------------


cursor_setups = st.fixed_dictionaries(
    {
        "source": st.sampled_from(["path", "header"]),
        "send_in": st.sampled_from(["query", "body"]),
        "send": st.sampled_from(["cursor", "page.cursor", "after"]),
        "has_more": st.booleans(),
        "end": st.sampled_from(["null", "empty", "absent"]),
        "follow": st.sampled_from([None, "/search/scroll"]),
        "numeric": st.booleans(),
    }
)


@settings(max_examples=300)
@given(count=st.integers(0, 50), size=st.integers(1, 12), setup=cursor_setups)
def test_cursor_yields_every_item_once_and_ends(count, size, setup):
    items = list(range(count))
    method = "POST" if setup["send_in"] == "body" else "GET"
    paginator = Cursor(
        "meta.next" if setup["source"] == "path" else None,
        header="X-Next-Cursor" if setup["source"] == "header" else None,
        send=setup["send"],
        send_in=setup["send_in"],
        has_more="meta.has_more" if setup["has_more"] else None,
        next_path=setup["follow"],
        next_method="POST" if setup["follow"] else None,
        next_extra={"scroll": "1m"} if setup["follow"] else {},
    )
    first = Request(method, "/search", query={"q": "cats"}, json={"query": {"match": "x"}} if method == "POST" else None)
    seen_requests: list[Request] = []

    def answer(request):
        seen_requests.append(request)
        if setup["send_in"] == "query":
            cursor = request.query_value(setup["send"])
        else:
            cursor = body_value(request, setup["send"])
        offset = int(cursor) if cursor is not None else 0
        following = offset + size
        more = following < count
        token: Any = (
            (following if setup["numeric"] else str(following))
            if more
            else {"null": None, "empty": "", "absent": None}[setup["end"]]
        )
        if setup["has_more"] and not more:
            token = str(following)  # has_more alone must end the chain
        meta: dict[str, Any] = {"has_more": more} if setup["has_more"] else {}
        headers = {}
        if setup["source"] == "path" and not (setup["end"] == "absent" and token is None):
            meta["next"] = token
        if setup["source"] == "header" and token is not None:
            headers["x-next-cursor"] = str(token)
        return Response(200, BASE + request.url, headers=headers, payload={"data": items[offset:following], "meta": meta})

    assert drive(paginator, answer, first) == items
    head, *rest = seen_requests
    assert head == first
    for request in rest:
        if setup["follow"]:
            # The scroll endpoint gets the cursor and the declared extras only.
            assert (request.method, request.url) == ("POST", "/search/scroll")
            where = dict(request.query) if setup["send_in"] == "query" else request.json
            assert lookup(where, "scroll") == "1m"
            assert "q" not in dict(request.query) and "query" not in (request.json or {})
        else:
            # The same search, with the cursor added and nothing else changed.
            assert (request.method, request.url, request.query_value("q")) == (first.method, "/search", "cats")
            if setup["send_in"] == "body":
                assert request.json["query"] == {"match": "x"}


@pytest.mark.parametrize(
    "kwargs",
    [
        {},  # where is the cursor?
        {"path": "next", "header": "X-Next"},  # both
        {"path": "next", "send_in": "fragment"},
        {"path": "next", "send_in": "body", "next_method": "GET"},
        {"path": "next", "next_method": "FETCH"},
        {"path": "next", "next_path": "https://elsewhere.example/scroll"},
        {"path": "next", "next_path": "//elsewhere.example/scroll"},
        {"path": "next", "next_path": "scroll"},
        {"path": "next", "next_path": "/scroll?keep=1m"},
        {"path": "next", "next_extra": {"cursor": "x"}},
        {"path": "a..b"},
        {"path": "next", "send": ""},
        {"path": "next", "header": " "},
    ],
)
def test_cursor_refuses_a_contradictory_setup_at_declaration(kwargs):
    with pytest.raises(ValueError):
        Cursor(**kwargs)


def test_a_cursor_in_the_body_of_a_get_is_a_config_error_before_any_request():
    with pytest.raises(ConfigError, match="send_in='query'"):
        Cursor("next", send_in="body").first(Request("GET", "/x"))
    assert Cursor("next", send_in="body", next_method="POST").first(Request("GET", "/x")).url == "/x"


@pytest.mark.parametrize("cursor", [{"a": 1}, [1], 1.5, True])
def test_a_cursor_that_is_not_a_string_or_integer_is_a_payload_error(cursor):
    with pytest.raises(PayloadError, match=r"meta\.next"):
        Cursor("meta.next").next(Request("GET", "/x"), Response(200, BASE, payload={"meta": {"next": cursor}}))


def test_a_declared_items_path_ends_the_chain_on_an_empty_page_whatever_the_cursor():
    paginator = Cursor("next", items="data")
    assert paginator.next(Request("GET", "/x"), Response(200, BASE, payload={"data": [], "next": "c2"})) is None
    assert (
        paginator.next(Request("GET", "/x"), Response(200, BASE, payload={"data": [1], "next": "c2"})).query_value("cursor")
        == "c2"
    )


# -- LinkHeader --------------------------------------------------------------------------------


def _quote_param(value: str, quoted: bool) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' if quoted else value


link_targets = st.sampled_from(
    [
        "https://127.0.0.1:9/api/things?page=2",
        "/api/things?page=3&a=b,c",
        "things?cursor=x;y",
        "?page=4",
        "../api/other?p=5",
    ]
)
rels = st.sampled_from(["next", "prev", "last", "first", "NEXT", "next last", "prev next", "nextish", "alternate"])


@st.composite
def link_headers(draw):
    """A Link header value in any RFC 8288 spelling, and the links it holds."""
    links = draw(st.lists(st.tuples(link_targets, rels), max_size=5))
    parts = []
    for target, rel in links:
        params = [("rel", rel)]
        if draw(st.booleans()):
            params.append(("title", draw(st.sampled_from(["a, b; c", 'say "hi"', "plain"]))))
        if draw(st.booleans()):
            params.append(("type", "application/json"))
        params = draw(st.permutations(params))
        rendered = []
        for name, value in params:
            # Tokens may go unquoted; a value with a space, comma or quote must be quoted.
            must_quote = any(ch in value for ch in ' ,;"')
            quoted = must_quote or draw(st.booleans())
            spacing = draw(st.sampled_from(["", " ", "  "]))
            rendered.append(f";{spacing}{draw(st.sampled_from([name, name.upper()]))}={_quote_param(value, quoted)}")
        parts.append(f"<{target}>" + "".join(rendered))
    joiner = draw(st.sampled_from([", ", ",", " , "]))
    return joiner.join(parts), links


@settings(max_examples=300)
@given(link_headers())
def test_link_headers_parse_in_any_rfc_8288_spelling(header):
    value, links = header
    parsed = parse_link_header(value)
    assert [(target, params["rel"]) for target, params in parsed] == links


@settings(max_examples=300)
@given(link_headers())
def test_link_header_follows_the_first_next_link_resolved_against_the_response_url(header):
    value, links = header
    response_url = "http://127.0.0.1:9/api/things?page=1"
    request = Request("GET", "/things", query={"page": "1"})
    following = LinkHeader().next(request, Response(200, response_url, headers={"link": value}))
    expected = next((target for target, rel in links if "next" in rel.lower().split()), None)
    if expected is None:
        assert following is None
    else:
        from urllib.parse import urljoin

        assert following.url == urljoin(response_url, expected) and following.query == ()
        assert following.page == 1


@settings(max_examples=100)
@given(count=st.integers(0, 40), size=st.integers(1, 9))
def test_link_header_yields_every_item_once(count, size):
    items = list(range(count))

    def answer(request):
        page = int(dict(parse_qsl(request.url.partition("?")[2])).get("page", 1))
        headers = {"Link": f'<?page={page + 1}>; rel="next", <?page=1>; rel=first'} if page * size < count else {}
        return Response(
            200, BASE + "/things?" + f"page={page}", headers=headers, payload={"data": items[(page - 1) * size : page * size]}
        )

    assert drive(LinkHeader(), answer) == items


@pytest.mark.parametrize(
    "link", ["<http://127.0.0.1\\@evil/x>", "<http://user@127.0.0.1:9/x>", "<javascript:alert(1)>", "<http://127.0.0.1:9/a\tb>"]
)
def test_an_unsafe_link_header_is_refused(link):
    with pytest.raises(SecurityError):
        LinkHeader().next(Request("GET", "/x"), Response(200, BASE, headers={"Link": f'{link}; rel="next"'}))


@pytest.mark.parametrize("rel", ["", "next last", " next"])
def test_link_header_refuses_a_rel_that_cannot_match(rel):
    with pytest.raises(ValueError):
        LinkHeader(rel)


# -- the Paginator protocol's own example ---------------------------------------------------------


def docstring_example() -> str:
    """The code block of ``Paginator``'s docstring: the test runs what the docs show."""
    doc = Paginator.__doc__ or ""
    block = re.search(r"::\n\n((?:        .*\n|\n)+)", doc)
    assert block, "the Paginator docstring lost its example"
    return textwrap.dedent(block.group(1))


def test_the_paginator_docstring_example_runs_and_satisfies_the_protocol():
    namespace: dict[str, Any] = {"attrs": attrs, "Request": Request, "Response": Response}
    exec(compile(docstring_example(), "Paginator.__doc__", "exec"), namespace)
    page_token = namespace["PageToken"]()
    assert isinstance(page_token, Paginator)
    tokens = {None: ([1, 2], "t2"), "t2": ([3], "t3"), "t3": ([], None)}

    def answer(request):
        data, following = tokens[request.query_value("pageToken")]
        return Response(200, BASE, payload={"data": data, "nextPageToken": following})

    assert drive(page_token, answer) == [1, 2, 3]


# -- end to end: each paginator through the runner against a loopback server ------------------------------


ITEMS = [f"i{n}" for n in range(23)]


class PagerApp:
    """One endpoint per paging style, over :data:`ITEMS`; records every request it gets."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, dict[str, str], Any]] = []

    def __call__(self, environ, start_response):
        request = WsgiRequest(environ)
        body = request.get_json(silent=True)
        query = dict(request.args)
        self.seen.append((request.method, request.path, query, body))
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return WsgiResponse("{}", 401, content_type="application/json")(environ, start_response)
        headers: dict[str, str] = {}
        path = request.path.removeprefix("/api")
        if path == "/offset":
            offset, limit = int(query["start"]), int(query["count"])
            data = {"items": ITEMS[offset : offset + limit], "paging": {"total": len(ITEMS)}}
        elif path in ("/search", "/search/scroll"):
            # Elasticsearch style: POST the search, then POST the scroll id to /search/scroll.
            offset = int((body or {}).get("scroll_id") or 0)
            following = offset + 5
            data = {"items": ITEMS[offset:following], "_scroll_id": str(following) if following < len(ITEMS) else None}
        elif path == "/stuck":
            # New items on every hit, but always the same scroll id: the body repeats.
            data = {"items": [f"hit{len(self.seen)}"], "_scroll_id": "same"}
        elif path == "/cursor":
            offset = int(query.get("after") or 0)
            following = offset + 4
            if following < len(ITEMS):
                headers["X-Next-Cursor"] = str(following)
            data = {"items": ITEMS[offset:following]}
        elif path == "/linked":
            page = int(query.get("page") or 1)
            if page * 6 < len(ITEMS):
                headers["Link"] = f'<https://docs.example/>; rel="help", <linked?page={page + 1}>; rel="next last"'
            data = {"items": ITEMS[(page - 1) * 6 : page * 6]}
        else:
            return WsgiResponse("{}", 404, content_type="application/json")(environ, start_response)
        import json

        return WsgiResponse(json.dumps(data), 200, headers=headers, content_type="application/json")(environ, start_response)


@attrs.frozen
class NoParams:
    """The pager streams take no params."""


def normalize_items(payload, request):
    for item in payload["items"]:
        yield Relation("pager", "web", "root", "has", item)


PAGER = Vendor(
    name="pager",
    title="Pager API",
    base_url="https://pager.example/api",
    auth=Bearer("token"),
    credentials=(Credential("token"),),
    streams=(
        Stream(
            "offset",
            "/offset",
            NoParams,
            normalize_items,
            (Relation,),
            pagination=OffsetLimit(7, offset_param="start", limit_param="count", items="items", total="paging.total"),
        ),
        Stream(
            "scroll",
            "/search",
            NoParams,
            normalize_items,
            (Relation,),
            method="POST",
            idempotent=True,
            body=lambda params: {"query": {"match_all": {}}},
            query=lambda params: {"scroll": "1m"},
            pagination=Cursor(
                "_scroll_id", send="scroll_id", send_in="body", next_path="/search/scroll", next_extra={"scroll": "1m"}
            ),
        ),
        Stream(
            "stuck",
            "/stuck",
            NoParams,
            normalize_items,
            (Relation,),
            method="POST",
            pagination=Cursor("_scroll_id", send="scroll_id", send_in="body"),
        ),
        Stream(
            "cursor", "/cursor", NoParams, normalize_items, (Relation,), pagination=Cursor(header="x-next-cursor", send="after")
        ),
        Stream("linked", "/linked", NoParams, normalize_items, (Relation,), pagination=LinkHeader()),
    ),
)


class PagerPlugin:
    @hookimpl
    def socialtap_register_vendors(self, register):
        register(PAGER)


@pytest.fixture(scope="module")
def pager():
    app = PagerApp()
    with serve_app(app) as served:
        yield app, served.url + "/api"


EXPECTED_REQUESTS = {
    "offset": [("GET", "/api/offset", {"start": str(n), "count": "7"}, None) for n in (0, 7, 14, 21)],
    "scroll": [("POST", "/api/search", {"scroll": "1m"}, {"query": {"match_all": {}}})]
    + [("POST", "/api/search/scroll", {}, {"scroll": "1m", "scroll_id": str(n)}) for n in (5, 10, 15, 20)],
    "cursor": [("GET", "/api/cursor", {}, None)] + [("GET", "/api/cursor", {"after": str(n)}, None) for n in (4, 8, 12, 16, 20)],
    "linked": [("GET", "/api/linked", {}, None)] + [("GET", "/api/linked", {"page": str(n)}, None) for n in (2, 3, 4)],
}


@pytest.mark.parametrize("stream", sorted(EXPECTED_REQUESTS))
def test_each_paginator_end_to_end_through_the_runner(pager, stream):
    app, base_url = pager
    app.seen.clear()
    task = Task("pager", stream, {}, {"token": TOKEN}, Options(base_url=base_url, max_attempts=1))
    records = list(iter_records(task, plugin_manager=make_plugin_manager(extra=(PagerPlugin(),))))
    assert [r.other_id for r in records] == ITEMS
    assert app.seen == EXPECTED_REQUESTS[stream]


def test_a_cursor_sent_in_the_body_that_repeats_ends_the_chain_before_sending_the_same_page_twice(pager):
    app, base_url = pager
    app.seen.clear()
    task = Task("pager", "stuck", {}, {"token": TOKEN}, Options(base_url=base_url, max_attempts=1))
    got: list[str] = []
    with pytest.raises(PayloadError, match="already fetched"):
        for record in iter_records(task, plugin_manager=make_plugin_manager(extra=(PagerPlugin(),))):
            got.append(record.other_id)
    assert got == ["hit1", "hit2"]
    assert [body for _, _, _, body in app.seen] == [{}, {"scroll_id": "same"}]
