"""Building requests from a stream declaration and params: path, query or body, chains.

Applied by the internal plugin :mod:`socialtap.default_requests`.

Every param goes out the way a hand-written request would send it:

- in the path (``/profiles/{profile_id}``): its text, percent-encoded so a value can
  never add a path segment, a query or a fragment (``a/b`` is ``a%2Fb``); a list is
  comma-joined (``/series/1,2,3``); a date is ``YYYY-MM-DD``. A path field that is a
  property of the params class, not a param, is the plugin's own path text and goes
  in unencoded;
- in the query (GET): a list repeats the name (``ids=1&ids=2``), or is one comma-joined
  value when the stream declares it in ``comma_joined`` (``ids=1,2``); dates are
  ``YYYY-MM-DD``, booleans ``true``/``false``;
- in the JSON body (POST...): lists stay arrays (comma-joined strings when declared),
  dates are ``YYYY-MM-DD``.

A ``fan_out`` param holds one of its values in each chain and a ``batch`` param one
batch of its values, so each is sent as that value or that batch, never as the
characters of a string. A plugin's own ``query``/``body`` function gets the same
per-chain params; :func:`param_values` gives them as JSON-safe data.
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import attrs

from socialtap.batching import batches, dedupe
from socialtap.declarations import Stream, Vendor
from socialtap.errors import ConfigError
from socialtap.http import Request
from socialtap.params import converter as params_converter

# Characters kept as they are in a path segment (RFC 3986 pchar, minus what servers and
# frameworks commonly split on: ",", ";", "=", "&", "+"). Everything else is encoded.
_SEGMENT_SAFE = "-._~!$'()*:@"


def path_fields(template: str) -> list[str]:
    """The ``{name}`` fields of a path template, in order."""
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


def param_values(params: Any) -> dict[str, Any]:
    """A chain's params as JSON-safe data (dates as ``YYYY-MM-DD``), field by field.

    Each value is converted by what it holds, not by its declared type: in a chain, a
    ``fan_out`` param declared ``list[str]`` holds one string, which the declared type
    would split into characters. Use this in a stream's own ``query``/``body`` function.
    """
    if not attrs.has(type(params)):
        return dict(params_converter.unstructure(params))
    return {field.name: params_converter.unstructure(getattr(params, field.name)) for field in attrs.fields(type(params))}


def _joined(stream: Stream, name: str, value: Any) -> Any:
    if name in stream.comma_joined and isinstance(value, (list, tuple)):
        return ",".join(_text(item) for item in value)
    return value


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


def default_query(stream: Stream, params: Any) -> Mapping[str, Any]:
    """Every param not used in the path and not None, under its own name (the query of
    a GET, the JSON body of a POST); lists in ``stream.comma_joined`` comma-joined."""
    used = set(path_fields(stream.path))
    data = param_values(params)
    return {k: _joined(stream, k, v) for k, v in data.items() if k not in used and v is not None}


def path_segment(name: str, value: Any) -> str:
    """One path field's value as it goes into the URL: encoded, lists comma-joined.

    Raises ConfigError for a value that would address another resource: empty, ``.``
    or ``..`` (``/profiles/../admin``), or None.
    """
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    texts = [_text(params_converter.unstructure(item)) for item in items if item is not None]
    # Each item is encoded on its own, so a comma inside one cannot be read as a separator.
    segment = ",".join(quote(text, safe=_SEGMENT_SAFE) for text in texts)
    if segment in ("", ".", "..") or len(texts) < len(items):
        raise ConfigError(f"param {name!r} cannot go into the URL path as {value!r}: give a non-empty value")
    return segment


def build_request(stream: Stream, params: Any, chain: str = "") -> Request:
    """The first request of one chain, before pagination's ``first``."""
    declared = {field.name for field in attrs.fields(type(params))} if attrs.has(type(params)) else set()
    # A param is a value and is encoded; a property of the params class is the plugin's
    # own path text (Shareablee's ``{route}``: "/realtime" or "") and goes in as it is.
    values = {
        name: path_segment(name, getattr(params, name)) if name in declared else str(getattr(params, name))
        for name in path_fields(stream.path)
    }
    path = stream.path.format(**values)
    if stream.method == "GET":
        query = stream.query(params) if stream.query else default_query(stream, params)
        body = stream.body(params) if stream.body else None
    else:
        query = stream.query(params) if stream.query else {}
        body = stream.body(params) if stream.body else default_query(stream, params)
    return Request(method=stream.method, url=path, query=query, json=body, params=params, chain=chain)


def chains(vendor: Vendor, stream: Stream, params: Any) -> list[tuple[str, Any]]:
    """``(chain name, per-chain params)`` for each independent chain, in user order.

    A ``fan_out`` param holds one value per chain; a ``batch`` param a list of at most
    ``vendor.max_batch`` values. Both are de-duplicated, order kept.
    """
    if stream.fan_out:
        values = dedupe(_as_list(getattr(params, stream.fan_out)))
        return [(f"{stream.fan_out}={value}", attrs.evolve(params, **{stream.fan_out: value})) for value in values]
    if stream.batch:
        items = dedupe(_as_list(getattr(params, stream.batch)))
        groups = list(batches(items, vendor.max_batch))
        return [
            (f"{stream.batch} batch {i + 1}/{len(groups)}", attrs.evolve(params, **{stream.batch: group}))
            for i, group in enumerate(groups)
        ]
    return [("", params)]


def _as_list(value: Any) -> list[Any]:
    # A fan-out or batch param declared as one value (not a list) is a list of one:
    # iterating a string would fan out over its characters.
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    return [value]
