"""User content paging against the docs' own ``next_page`` strings (no server needed):
the link upgrade to the https base URL, the docs' path mismatch, and what is refused."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialtap.auth import Basic
from socialtap.engine import Engine
from socialtap.errors import PayloadError, SecurityError
from socialtap.http import Request, Response
from socialtap_shareablee.pagination import NextPage
from socialtap_shareablee.plugin import BASE_URL, SHAREABLEE

# The docs' example, placeholders filled in: http, and `user` where the service goes.
DOCS_NEXT = "http://api.shareablee.com/v1.4/user/123456/user/content/?start_date=2014-01-01&end_date=2014-02-01&page=2"
ANSWERED = "https://api.shareablee.com/v1.4/user/123456/facebook/content/?start_date=2014-01-01&end_date=2014-02-01&sort_ascending=false&page=1"
OWN = "/user/123456/facebook/content/"
QUERY = (("start_date", "2014-01-01"), ("end_date", "2014-02-01"), ("sort_ascending", "false"), ("page", "1"))
PAGER = NextPage()


def following(link, *, answered=ANSWERED, request=None):
    request = request or Request("GET", OWN, query=QUERY, page=1)
    return PAGER.next(request, Response(200, answered, {}, {"content": [], "next_page": link}))


@pytest.fixture
def engine():
    running = Engine(
        SHAREABLEE,
        BASE_URL,
        Basic(username="api_key", password="api_secret").build({"api_key": "k3y-123456", "api_secret": "s3cret-123456"}),
        hook=None,
    )
    yield running
    running.close()


def test_the_docs_next_page_continues_on_the_requested_path_with_its_page(engine):
    nxt = following(DOCS_NEXT)
    assert nxt.url == OWN  # not the link's /user/123456/user/content/
    assert nxt.query == (("start_date", "2014-01-01"), ("end_date", "2014-02-01"), ("sort_ascending", "false"), ("page", "2"))
    assert nxt.page == 2
    assert engine.url_of(nxt) == "https://api.shareablee.com/v1.4/user/123456/facebook/content/"
    engine.check_origin(engine.url_of(nxt), absolute=False)


def test_a_link_on_the_requested_path_is_followed_as_https(engine):
    link = "http://api.shareablee.com/v1.4/user/123456/facebook/content/?start_date=2014-01-01&end_date=2014-02-01&page=2"
    nxt = following(link)
    assert (
        nxt.url
        == "https://api.shareablee.com/v1.4/user/123456/facebook/content/?start_date=2014-01-01&end_date=2014-02-01&page=2"
    )
    assert nxt.query == () and nxt.page == 2
    engine.check_origin(engine.url_of(nxt))  # the https base origin: credentials may go
    # and the page after that, from the absolute URL, keeps its params on its own path
    after = following(DOCS_NEXT.replace("page=2", "page=3"), answered=nxt.url, request=nxt)
    assert after.url == "https://api.shareablee.com/v1.4/user/123456/facebook/content/"
    assert after.query == (("start_date", "2014-01-01"), ("end_date", "2014-02-01"), ("page", "3"))


@pytest.mark.parametrize(
    "link",
    [
        "http://evil.example/v1.4/user/123456/user/content/?page=2",
        "https://evil.example/v1.4/user/123456/facebook/content/?page=2",
        "http://api.shareablee.com:8080/v1.4/user/123456/user/content/?page=2",
        "http://api.shareablee.com./v1.4/user/123456/user/content/?page=2",
        "http://shareablee.com/v1.4/user/123456/user/content/?page=2",
    ],
)
def test_a_link_to_any_other_origin_is_followed_only_into_the_engines_refusal(engine, link):
    nxt = following(link)
    assert nxt.url == link  # not quietly turned into a page number
    with pytest.raises(SecurityError, match="credentials were not sent"):
        engine.check_origin(engine.url_of(nxt))


def test_never_downgraded_an_https_link_from_an_http_base_is_refused():
    http_base = "http://api.shareablee.com/v1.4"
    engine = Engine(
        SHAREABLEE,
        http_base,
        Basic(username="api_key", password="api_secret").build({"api_key": "k3y-123456", "api_secret": "s3cret-123456"}),
        hook=None,
    )
    try:
        link = "https://api.shareablee.com/v1.4/user/123456/facebook/content/?page=2"
        nxt = following(link, answered=ANSWERED.replace("https://", "http://"))
        assert nxt.url == link
        with pytest.raises(SecurityError):
            engine.check_origin(engine.url_of(nxt))
    finally:
        engine.close()


@pytest.mark.parametrize(
    "link",
    [
        "http://api.shareablee.com/v1.4/user/123456/user/content/?start_date=2014-01-01",
        "http://api.shareablee.com/v1.4/user/123456/user/content/?page=two",
        "http://api.shareablee.com/v1.4/user/123456/user/content/?page=-1",
        "http://api.shareablee.com/v1.4/user/123456/user/content/?page=1&page=2",
        "http://api.shareablee.com/v1.4/user/123456/user/content/?page=%C2%B2",
    ],
)
def test_a_docs_shaped_link_without_one_0_based_page_number_is_a_payload_error(link):
    with pytest.raises(PayloadError, match="0-based 'page'"):
        following(link)


@pytest.mark.parametrize("value", [None, "", False])
def test_no_next_page_ends_the_chain(value):
    assert following(value) is None


def test_an_unsafe_link_is_refused_before_anything_is_sent():
    with pytest.raises(SecurityError):
        following("http://api.shareablee.com\\@evil.example/v1.4/user/1/user/content/?page=2")
    with pytest.raises(SecurityError):
        following("http://key@api.shareablee.com/v1.4/user/1/user/content/?page=2")


@settings(max_examples=100, deadline=None)
@given(page=st.integers(min_value=0, max_value=10**6), service=st.sampled_from(["facebook", "twitter"]))
def test_any_docs_shaped_page_number_is_sent_on_the_requested_path(page, service):
    own = f"/user/7/{service}/content/"
    answered = f"https://api.shareablee.com/v1.4/user/7/{service}/content/?page=0"
    nxt = following(
        f"http://api.shareablee.com/v1.4/user/7/user/content/?page={page}",
        answered=answered,
        request=Request("GET", own, query=(("page", "0"),)),
    )
    assert nxt.url == own and nxt.query == (("page", str(page)),) and nxt.page == 1
