"""``http.upgrade_link`` and ``NextLink(upgrade_http=True)``: a vendor may declare that
its documented http links are its https origin, never the reverse."""

from __future__ import annotations

import os
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialtap.auth import Bearer
from socialtap.engine import Engine
from socialtap.errors import SecurityError
from socialtap.http import Request, Response, origin, unsafe_reason, upgrade_link
from socialtap.pagination import NextLink

sys.path.insert(0, os.path.dirname(__file__))
from engine_support import make_vendor

API = "https://api.example.com/v1/items?page=0"
DOCS_LINK = "http://api.example.com/v1/items?page=2"


@pytest.mark.parametrize(
    ("link", "trusted", "expected"),
    [
        # the same host over http on the default port: the https URL
        (DOCS_LINK, API, "https://api.example.com/v1/items?page=2"),
        ("http://api.example.com:80/v1/x?a=1&b=2#f", API, "https://api.example.com/v1/x?a=1&b=2#f"),
        ("HTTP://API.Example.COM/v1/x", API, "https://api.example.com/v1/x"),
        ("http://api.example.com/v1/x", "https://api.example.com:443/v1/", "https://api.example.com/v1/x"),
        ("http://[::1]/x", "https://[::1]/y", "https://[::1]/x"),
        # never the reverse, never another host, never a non-default port
        ("https://api.example.com/v1/x", "http://api.example.com/v1/", "https://api.example.com/v1/x"),
        ("http://api.example.com/v1/x", "http://api.example.com/v1/", "http://api.example.com/v1/x"),
        ("http://evil.example.com/v1/x", API, "http://evil.example.com/v1/x"),
        ("http://api.example.com./v1/x", API, "http://api.example.com./v1/x"),
        ("http://example.com/v1/x", API, "http://example.com/v1/x"),
        ("http://api.example.com:8080/v1/x", "https://api.example.com:8080/v1/", "http://api.example.com:8080/v1/x"),
        ("http://api.example.com:443/v1/x", API, "http://api.example.com:443/v1/x"),
        ("http://api.example.com/v1/x", "https://api.example.com:8443/v1/", "http://api.example.com/v1/x"),
        # unsafe links are left for resolve_link and the engine to refuse
        ("http://user@api.example.com/v1/x", API, "http://user@api.example.com/v1/x"),
        ("http://api.example.com\\@evil.com/", API, "http://api.example.com\\@evil.com/"),
        ("ftp://api.example.com/v1/x", API, "ftp://api.example.com/v1/x"),
        ("/v1/x?page=2", API, "/v1/x?page=2"),
    ],
)
def test_upgrade_link(link, trusted, expected):
    assert upgrade_link(link, trusted) == expected


SCHEMES = st.sampled_from(["http", "https", "HTTP", "Https", "ftp"])
HOSTS = st.sampled_from(["api.example.com", "API.example.com", "api.example.com.", "evil.com", "127.0.0.1", "[::1]", "a@api.example.com"])
PORTS = st.sampled_from(["", ":80", ":443", ":8080", ":0080", ":"])
TAILS = st.sampled_from(["", "/", "/v1/x", "/v1/x?page=2", "/v1/x?page=2#frag", "/p?next=http://evil.com/"])


@st.composite
def urls(draw):
    return f"{draw(SCHEMES)}://{draw(HOSTS)}{draw(PORTS)}{draw(TAILS)}"


@st.composite
def pairs(draw):
    """(link, trusted): often the same host, so upgrades and near misses both come up."""
    trusted_host = draw(HOSTS)
    link_host = draw(st.one_of(st.just(trusted_host), st.just(trusted_host.upper()), HOSTS))
    trusted = f"{draw(SCHEMES)}://{trusted_host}{draw(PORTS)}{draw(TAILS)}"
    link = f"{draw(SCHEMES)}://{link_host}{draw(PORTS)}{draw(TAILS)}"
    return draw(st.one_of(st.just(link), st.text(max_size=40))), trusted


@settings(max_examples=600, deadline=None)
@given(pair=st.one_of(pairs(), st.tuples(urls(), urls())))
def test_only_a_same_host_default_port_http_link_is_upgraded_and_only_to_the_trusted_origin(pair):
    link, trusted = pair
    result = upgrade_link(link, trusted)
    if result == link:
        return
    # Changed: it was an http link on port 80 of the trusted host, and is now exactly the trusted https origin.
    assert unsafe_reason(link) is None and unsafe_reason(result) is None
    assert origin(link)[0] == "http" and origin(link)[2] == 80
    assert origin(trusted) == ("https", origin(link)[1], 443) == origin(result)
    assert result.startswith("https://")
    assert result.split("/", 3)[3:] == link.split("/", 3)[3:]  # path, query and fragment untouched


@settings(max_examples=200, deadline=None)
@given(
    host=st.sampled_from(["api.example.com", "API.example.com", "127.0.0.1", "[::1]"]),
    link_port=st.sampled_from(["", ":80", ":0080"]),
    trusted_port=st.sampled_from(["", ":443"]),
    tail=TAILS,
)
def test_every_same_host_default_port_http_link_is_upgraded(host, link_port, trusted_port, tail):
    link = f"http://{host}{link_port}{tail}"
    result = upgrade_link(link, f"https://{host.lower()}{trusted_port}/v1/")
    assert result == f"https://{host.lower()}{tail}"


@settings(max_examples=300, deadline=None)
@given(pair=pairs())
def test_never_the_reverse_and_an_upgrade_is_idempotent(pair):
    link, trusted = pair
    result = upgrade_link(link, trusted)
    if link.lower().startswith("https://"):
        assert result == link
    assert upgrade_link(result, trusted) == result


def response(url: str, next_link) -> Response:
    return Response(200, url, {}, {"next_page": next_link})


def test_next_link_upgrades_only_when_declared():
    request = Request("GET", "/items", query={"page": 0})
    plain = NextLink("next_page").next(request, response(API, DOCS_LINK))
    upgraded = NextLink("next_page", upgrade_http=True).next(request, response(API, DOCS_LINK))
    assert plain.url == DOCS_LINK
    assert upgraded.url == "https://api.example.com/v1/items?page=2" and upgraded.query == () and upgraded.page == 1
    # relative links resolve against the https response: already https
    assert NextLink("next_page", upgrade_http=True).next(request, response(API, "/v1/items?page=3")).url == (
        "https://api.example.com/v1/items?page=3"
    )
    assert NextLink("next_page", upgrade_http=True).next(request, response(API, None)) is None
    with pytest.raises(TypeError):
        NextLink("next_page", upgrade_http="yes")  # a declaration, checked when declared


def test_the_engine_sends_the_upgraded_link_and_still_refuses_every_other_http_link():
    vendor = make_vendor()
    engine = Engine(vendor, "https://paged.example/api", Bearer().build({"token": "t0ken-123456"}), hook=None)
    try:
        page = "https://paged.example/api/items/a?page=1"
        upgrade = NextLink("next", upgrade_http=True)
        sent = upgrade.next(Request("GET", "/items/a"), Response(200, page, {}, {"next": "http://paged.example/api/items/a?page=2"}))
        engine.check_origin(engine.url_of(sent))  # the https URL: the base URL's origin
        for link in ("http://paged.example:8080/api/items/a", "http://evil.example/api/items/a", "http://paged.example./api/"):
            following = upgrade.next(Request("GET", "/items/a"), Response(200, page, {}, {"next": link}))
            with pytest.raises(SecurityError):
                engine.check_origin(engine.url_of(following))
        # undeclared: the http link is another origin
        following = NextLink("next").next(Request("GET", "/items/a"), Response(200, page, {}, {"next": "http://paged.example/api/items/a?page=2"}))
        with pytest.raises(SecurityError):
            engine.check_origin(engine.url_of(following))
    finally:
        engine.close()
