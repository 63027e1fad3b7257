"""The default building blocks: auth schemes, paginators, batching, records (hypothesis)."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from socialtap.auth import ApiKeyPrefix, Basic, Bearer, TokenPrefix
from socialtap.batching import batches, dedupe
from socialtap.http import Request, Response
from socialtap.pagination import NextLink, NoPagination, PageNumber
from socialtap.records import Account, Observation, Post, Relation, from_item, natural_key, to_item

secrets = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=40)


def header_of(auth) -> str:
    prepared = requests.Request("GET", "http://127.0.0.1/").prepare()
    return auth(prepared).headers["Authorization"]


@given(secrets)
def test_header_schemes(token):
    assert header_of(Bearer().build({"token": token})) == f"Bearer {token}"
    assert header_of(TokenPrefix().build({"api_key": token})) == f"Token {token}"
    assert header_of(ApiKeyPrefix().build({"api_key": token})) == f"Apikey {token}"
    assert token not in repr(Bearer().build({"token": token})) or token in "HeaderAuth('Authorization', '***')"


@given(secrets.filter(lambda s: ":" not in s), secrets)
def test_basic_from_key_and_secret_or_from_the_encoded_token(key, secret):
    encoded = base64.b64encode(f"{key}:{secret}".encode()).decode()
    assert header_of(Basic().build({"api_key": key, "api_secret": secret})) == f"Basic {encoded}"
    assert header_of(Basic().build({"token": encoded})) == f"Basic {encoded}"


def serve_pages(paginator, items, page_size, make_payload, limit=10_000):
    """Drive a paginator against an in-memory list: the items it collects, in order."""
    request = paginator.first(Request("GET", "/things"))
    seen, hops = [], 0
    while request is not None:
        hops += 1
        assert hops <= limit, "the paginator did not terminate"
        payload = make_payload(request)
        response = Response(200, request.url, payload=payload)
        seen.extend(payload.get("data") or payload.get("results") or [])
        request = paginator.next(request, response)
    return seen


@settings(max_examples=200)
@given(st.integers(0, 60), st.integers(1, 15), st.sampled_from([0, 1]), st.booleans())
def test_page_number_yields_every_item_once(count, size, base, with_total):
    items = list(range(count))
    paginator = PageNumber(param="page", base=base, items="data", total="total" if with_total else None)

    def payload(request):
        page = int(request.query_value("page")) - base
        return {"data": items[page * size : (page + 1) * size], "total": count}

    assert serve_pages(paginator, items, size, payload) == items


@settings(max_examples=200)
@given(st.integers(0, 60), st.integers(1, 15), st.sampled_from(["next", "next_page", "links.next"]))
def test_next_link_yields_every_item_once(count, size, path):
    items = list(range(count))
    paginator = NextLink(path)

    def payload(request):
        offset = int(request.url.split("offset=")[1]) if "offset=" in request.url else 0
        link = f"http://127.0.0.1/things?offset={offset + size}" if offset + size < count else None
        body = {"results": items[offset : offset + size]}
        node = body
        *parents, last = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = link
        return body

    assert serve_pages(paginator, items, size, payload) == items


def test_no_pagination_is_one_page():
    assert NoPagination().next(Request("GET", "/x"), Response(200, "/x", payload={"data": [1]})) is None


@given(st.lists(st.integers(0, 20)), st.integers(1, 12))
def test_batches_dedupe_in_order_and_cap_size(items, size):
    kept = dedupe(items)
    assert kept == list(dict.fromkeys(items))
    groups = list(batches(kept, size))
    assert all(1 <= len(g) <= size for g in groups)
    assert [x for g in groups for x in g] == kept


def test_batch_size_must_be_positive():
    with pytest.raises(ValueError):
        list(batches([1], 0))


text = st.text(max_size=20)
values = st.one_of(st.none(), st.integers(-(2**53), 2**53), st.floats(allow_nan=False, allow_infinity=False), text)
aware = st.datetimes(timezones=st.just(dt.UTC))
records = st.one_of(
    st.builds(
        Account,
        text,
        text,
        text,
        st.none() | text,
        st.none() | text,
        st.none() | text,
        st.none() | text,
        st.lists(text, max_size=3).map(tuple),
        st.sampled_from(["available", "pending", "not_found", "unavailable"]),
    ),
    st.builds(
        Post,
        text,
        text,
        text,
        st.none() | text,
        st.none() | text,
        st.none() | aware,
        st.none() | text,
        st.none() | text,
        st.dictionaries(text, values, max_size=4),
    ),
    st.builds(
        Observation,
        text,
        text,
        st.sampled_from(["account", "post", "category", "profile"]),
        text,
        text,
        values,
        st.none() | st.dates(),
        st.none() | aware,
        st.sampled_from(["available", "pending", "unavailable", "not_found", "below_threshold"]),
        st.dictionaries(text, text, max_size=3),
        st.none() | text,
        st.booleans(),
    ),
    st.builds(Relation, text, text, text, text, text, st.none() | text, values),
)


@settings(max_examples=300)
@given(records)
def test_records_round_trip_through_the_converter(record):
    assert from_item(to_item(record)) == record
    assert natural_key(from_item(to_item(record))) == natural_key(record)
