"""The request and response values that hooks exchange.

A :class:`Request` is a description, not a live object: it carries no credentials (auth
is applied by the engine when it sends), so hooks, logs and resume state may keep it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urljoin, urlsplit

import attrs


def _pairs(value: Mapping[str, Any] | Sequence[tuple[str, Any]] | None) -> tuple[tuple[str, str], ...]:
    """Query parameters as ordered ``(name, value)`` pairs; lists repeat the name; None is dropped."""
    if not value:
        return ()
    items = value.items() if isinstance(value, Mapping) else value
    pairs: list[tuple[str, str]] = []
    for name, item in items:
        values = item if isinstance(item, (list, tuple)) else [item]
        for v in values:
            if v is None:
                continue
            if isinstance(v, bool):
                v = "true" if v else "false"
            pairs.append((str(name), str(v)))
    return tuple(pairs)


@attrs.frozen
class Request:
    """One HTTP request of a stream.

    ``url`` is a path relative to the vendor's base URL (``/resources/search``) or an
    absolute URL (a next-page link). ``chain`` names the independent request chain it
    belongs to (an account id, a batch) and ``page`` counts pages within that chain from
    0 (``items_seen`` counts items before this page, for paginators that stop at a total). ``params`` is the chain's validated params object, for normalizers that need it.
    """

    method: str
    url: str
    query: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_pairs)
    json: Any = None
    headers: Mapping[str, str] = attrs.field(factory=dict, converter=dict)
    params: Any = attrs.field(default=None, eq=False)
    chain: str = ""
    page: int = 0
    items_seen: int = 0

    def with_query(self, **updates: Any) -> Request:
        """A copy with the given query parameters replaced (None removes one)."""
        kept = [(k, v) for k, v in self.query if k not in updates]
        return attrs.evolve(self, query=kept + list(_pairs(updates)))

    def next_page(self, **changes: Any) -> Request:
        """A copy for the following page of the same chain."""
        return attrs.evolve(self, page=self.page + 1, **changes)

    def query_value(self, name: str) -> str | None:
        for key, value in self.query:
            if key == name:
                return value
        return None


def resolve_url(base_url: str, url: str) -> str:
    """Absolute URL of ``url`` against the vendor base URL (paths keep its version prefix)."""
    if urlsplit(url).scheme:
        return url
    return base_url.rstrip("/") + "/" + url.lstrip("/") if not url.startswith("//") else urljoin(base_url, url)


def origin(url: str) -> tuple[str, str, int | None]:
    """``(scheme, host, port)`` with the default port made explicit."""
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


@attrs.frozen
class Response:
    """What the engine hands to pagination and normalization: status, headers, parsed body."""

    status: int
    url: str
    headers: Mapping[str, str] = attrs.field(factory=dict)
    payload: Any = None
    size: int = 0
    elapsed: float = 0.0
