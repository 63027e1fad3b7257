"""Building requests from a stream declaration and params: path, query or body, chains.

Applied by the internal plugin :mod:`socialtap.default_requests`.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

import attrs

from socialtap.batching import batches, dedupe
from socialtap.declarations import Stream, Vendor
from socialtap.http import Request
from socialtap.params import converter as params_converter


def path_fields(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


def default_query(stream: Stream, params: Any) -> Mapping[str, Any]:
    """Every param not used in the path and not None, under its own name."""
    used = set(path_fields(stream.path))
    data = params_converter.unstructure(params)
    return {k: v for k, v in data.items() if k not in used and v is not None}


def build_request(stream: Stream, params: Any, chain: str = "") -> Request:
    """The first request of one chain, before pagination's ``first``."""
    values = {name: getattr(params, name) for name in path_fields(stream.path)}
    path = stream.path.format(**values)
    if stream.method == "GET":
        query = stream.query(params) if stream.query else default_query(stream, params)
        body = stream.body(params) if stream.body else None
    else:
        query = stream.query(params) if stream.query else {}
        body = stream.body(params) if stream.body else default_query(stream, params)
    return Request(method=stream.method, url=path, query=query, json=body, params=params, chain=chain)


def chains(vendor: Vendor, stream: Stream, params: Any) -> list[tuple[str, Any]]:
    """``(chain name, per-chain params)`` for each independent chain, in user order."""
    if stream.fan_out:
        values = dedupe(getattr(params, stream.fan_out))
        return [(f"{stream.fan_out}={value}", attrs.evolve(params, **{stream.fan_out: value})) for value in values]
    if stream.batch:
        items = dedupe(getattr(params, stream.batch))
        groups = list(batches(items, vendor.max_batch))
        return [
            (f"{stream.batch} batch {i + 1}/{len(groups)}", attrs.evolve(params, **{stream.batch: group}))
            for i, group in enumerate(groups)
        ]
    return [("", params)]
