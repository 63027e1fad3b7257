"""Paginators: small classes with one job each, declared on a ``Stream``.

``first(request)`` prepares the first page's request; ``next(request, response)`` gives
the following page's request or None at the end. The internal plugin
:mod:`socialtap.default_pagination` applies a stream's declared paginator, so a vendor
whose API pages in one of these ways never writes a pagination hook. Following a link is checked by the engine:
only the base URL's origin, never a URL already fetched in the chain.

A request's ``url`` is either a path under the vendor's base URL (what a plugin builds
for a first page) or an absolute URL. :class:`NextLink` therefore resolves the link it
finds against the URL of the response that held it (RFC 3986: ``/v1.4/x?page=2`` and
``x?page=2`` mean what a browser would make of them) and hands on an absolute URL;
an unsafe link (backslash, control character, user info...) raises SecurityError
before anything is sent. A custom ``socialtap_next_request`` returning a relative
``url`` still means a path under the base URL.
"""

from __future__ import annotations

from typing import Any, Protocol

import attrs

from socialtap.errors import PayloadError
from socialtap.http import Request, Response, resolve_link


class Paginator(Protocol):
    """What ``Stream.pagination`` holds: ``first`` prepares a chain's first request, ``next``
    gives the following one from a response, or None at the end."""

    def first(self, request: Request) -> Request: ...

    def next(self, request: Request, response: Response) -> Request | None: ...


def lookup(payload: Any, path: str | None) -> Any:
    """The value at a dotted ``path`` in a JSON payload (None when absent)."""
    if path is None:
        return payload
    value = payload
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


@attrs.frozen
class NoPagination:
    """The endpoint answers in one page."""

    def first(self, request: Request) -> Request:
        return request

    def next(self, request: Request, response: Response) -> Request | None:
        return None


@attrs.frozen
class PageNumber:
    """``?page=N`` from ``base`` (0 or 1). Stops on an empty page, on a missing
    ``has_more`` flag when one is declared, or when ``total`` items were seen."""

    param: str = "page"
    base: int = 1
    items: str | None = "data"
    total: str | None = None
    has_more: str | None = None
    page_size: int | None = None
    size_param: str | None = None

    def first(self, request: Request) -> Request:
        updates: dict[str, Any] = {self.param: self.base}
        if self.size_param and self.page_size:
            updates[self.size_param] = self.page_size
        return request.with_query(**updates)

    def next(self, request: Request, response: Response) -> Request | None:
        items = lookup(response.payload, self.items)
        if not items:
            return None
        if self.has_more is not None and not lookup(response.payload, self.has_more):
            return None
        seen = request.items_seen + len(items)
        if self.total is not None:
            total = lookup(response.payload, self.total)
            if isinstance(total, int) and seen >= total:
                return None
        if self.page_size is not None and len(items) < self.page_size:
            return None
        following = request.next_page(items_seen=seen)
        return following.with_query(**{self.param: self.base + following.page})


@attrs.frozen
class NextLink:
    """A link to the next page in the JSON body: ``next`` (Django REST framework),
    ``next_page`` (a full URL), or any dotted path. Null, empty or absent ends.

    The link may be absolute, root-relative or relative: it is resolved against the
    response's URL, and the next request carries the absolute URL."""

    path: str = "next"

    def first(self, request: Request) -> Request:
        return request

    def next(self, request: Request, response: Response) -> Request | None:
        link = lookup(response.payload, self.path)
        if not link:
            return None
        if not isinstance(link, str):
            raise PayloadError(f"next-page link at '{self.path}' is not a string: {type(link).__name__}")
        # The link carries its own query string: drop ours so nothing is sent twice.
        return request.next_page(url=resolve_link(response.url, link), query=())


END = object()
"""Return from ``socialtap_next_request`` to end a chain the declared paginator would continue."""

__all__ = ["END", "NextLink", "NoPagination", "PageNumber", "Paginator", "lookup"]
