"""Paginators: small classes with one job each, declared on a ``Stream``.

``first(request)`` prepares the first page's request; ``next(request, response)`` gives
the following page's request or None at the end (see :class:`Paginator`). The internal
plugin :mod:`socialtap.default_pagination` applies a stream's declared paginator, so a
vendor whose API pages in one of these ways never writes a pagination hook:

- :class:`NoPagination`: one page.
- :class:`PageNumber`: ``?page=N`` from 0 or 1.
- :class:`OffsetLimit`: ``?offset=N&limit=M``.
- :class:`Cursor`: an opaque cursor from the body or a header, sent back as a query
  param or in the JSON body, optionally to another path (a scroll endpoint).
- :class:`NextLink`: a next-page URL in the JSON body.
- :class:`LinkHeader`: a ``Link: <...>; rel="next"`` response header (RFC 8288).

Each is an attrs frozen class validated at construction: a contradictory setup raises
ValueError when the plugin declares its stream, not in the middle of a run. Paginators
keep no state between pages (everything a page needs is on the request), so one
declaration serves every chain and every run.

Following a link is checked by the engine: only the base URL's origin (a vendor may
declare, with ``NextLink(upgrade_http=True)``, that its documented http links are its
https origin: they are sent as https, never the reverse), never a URL already fetched
in the chain (the runner also ends a chain whose page repeats an
earlier page's items, so a paginator need not guard against loops itself).

A request's ``url`` is either a path under the vendor's base URL (what a plugin builds
for a first page) or an absolute URL. :class:`NextLink` and :class:`LinkHeader`
therefore resolve the link they find against the URL of the response that held it
(RFC 3986: ``/v1.4/x?page=2`` and ``x?page=2`` mean what a browser would make of them)
and hand on an absolute URL; an unsafe link (backslash, control character, user
info...) raises SecurityError before anything is sent. A relative ``url`` (a custom
paginator's, or :class:`Cursor`'s ``next_path``) means a path under the base URL.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

import attrs

from socialtap.errors import ConfigError, PayloadError
from socialtap.http import Request, Response, resolve_link, upgrade_link

__all__ = [
    "END",
    "Cursor",
    "LinkHeader",
    "NextLink",
    "NoPagination",
    "OffsetLimit",
    "PageNumber",
    "Paginator",
    "lookup",
    "parse_link_header",
]


@runtime_checkable
class Paginator(Protocol):
    """What a stream's ``pagination`` must be: two methods, no state between pages.

    ``first(request)`` gets the first request of a chain as the declaration built it
    (path, query, body) and returns it ready to send: add a page-size or first-page
    param here, or return it unchanged. ``next(request, response)`` gets the request
    just sent and its :class:`~socialtap.http.Response` (status 2xx, parsed JSON in
    ``payload``, ``headers``, the final ``url``) and returns the next page's request,
    or None when the chain ends. Build the next request from the one given with
    ``request.next_page(...)`` (it counts pages and keeps the chain and params) and
    ``with_query(...)``; its ``url`` is a path under the base URL or an absolute URL
    from the response, resolved with :func:`socialtap.http.resolve_link`. Raise
    :class:`~socialtap.errors.PayloadError` when the page is not the documented shape.

    A paginator the core does not ship is a small class declared like any other,
    ``Stream(..., pagination=PageToken())``::

        @attrs.frozen
        class PageToken:
            \"\"\"Google style: ``nextPageToken`` in the body, sent back as ``?pageToken=``.\"\"\"

            def first(self, request: Request) -> Request:
                return request

            def next(self, request: Request, response: Response) -> Request | None:
                token = (response.payload or {}).get("nextPageToken")
                if not token:
                    return None
                return request.next_page().with_query(pageToken=token)

    A vendor whose paging depends on more than one response (or on the vendor's
    other declarations) answers the ``socialtap_next_request`` hook instead.
    """

    def first(self, request: Request) -> Request:
        """The first page's request of a chain, from the one the declaration built."""
        ...

    def next(self, request: Request, response: Response) -> Request | None:
        """The request after ``request`` given its ``response``, or None at the end."""
        ...


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


def _header(headers: Mapping[str, str], name: str) -> str | None:
    # Response headers keep the server's spelling; HTTP header names are case-insensitive.
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def _nonempty(name: str) -> Any:
    def check(instance: Any, attribute: Any, value: Any) -> None:
        if value is not None and (not isinstance(value, str) or not value.strip() or value != value.strip()):
            raise ValueError(
                f"{type(instance).__name__}: {name} must be a non-empty name without surrounding spaces, got {value!r}"
            )

    return check


def _dotted(name: str) -> Any:
    # A dotted path with an empty part ("a..b", ".a") can never match: refuse it when declared.
    def check(instance: Any, attribute: Any, value: Any) -> None:
        _nonempty(name)(instance, attribute, value)
        if value is not None and any(not part for part in value.split(".")):
            raise ValueError(f"{type(instance).__name__}: {name} {value!r} has an empty part between dots")

    return check


def _items(payload: Any, path: str | None, paginator: str) -> list[Any]:
    items = lookup(payload, path)
    if items is None:
        return []
    if not isinstance(items, list):
        where = f"at '{path}'" if path else "(the whole body)"
        raise PayloadError(f"{paginator}: the page's items {where} are not a list: {type(items).__name__}")
    return items


@attrs.frozen
class NoPagination:
    """The endpoint answers in one page."""

    def first(self, request: Request) -> Request:
        """The request unchanged."""
        return request

    def next(self, request: Request, response: Response) -> Request | None:
        """Always None: there is no second page."""
        return None


@attrs.frozen
class PageNumber:
    """``?page=N`` from ``base`` (0 or 1). Stops on an empty page, on a missing
    ``has_more`` flag when one is declared, or when ``total`` items were seen.

    ``items`` is the dotted path of the page's list; ``page_size`` (sent as
    ``size_param`` when one is named) also stops on a short page. A ``size_param``
    without a ``page_size`` (nothing to send), or one named like ``param``, is refused."""

    param: str = attrs.field(default="page", validator=_nonempty("param"))
    base: int = attrs.field(default=1, validator=attrs.validators.in_((0, 1)))
    items: str | None = attrs.field(default="data", validator=_dotted("items"))
    total: str | None = attrs.field(default=None, validator=_dotted("total"))
    has_more: str | None = attrs.field(default=None, validator=_dotted("has_more"))
    page_size: int | None = attrs.field(
        default=None,
        validator=attrs.validators.optional(attrs.validators.and_(attrs.validators.instance_of(int), attrs.validators.ge(1))),
    )
    size_param: str | None = attrs.field(default=None, validator=_nonempty("size_param"))

    def __attrs_post_init__(self) -> None:
        if self.size_param is not None and self.page_size is None:
            raise ValueError(f"PageNumber: size_param={self.size_param!r} needs the page_size to send")
        if self.size_param == self.param:
            raise ValueError(f"PageNumber: param and size_param are both {self.param!r}; name two params")

    def first(self, request: Request) -> Request:
        """The request with the first page number (and the page size, when declared)."""
        updates: dict[str, Any] = {self.param: self.base}
        if self.size_param and self.page_size:
            updates[self.size_param] = self.page_size
        return request.with_query(**updates)

    def next(self, request: Request, response: Response) -> Request | None:
        """The next page number, or None on an empty, last or short page."""
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
class OffsetLimit:
    """``?offset=N&limit=M``: ``limit`` items a page, from ``offset`` (0 unless the API
    counts from elsewhere).

    The next offset is the first one not yet seen (``offset`` plus the items received so
    far), so a server that sends more than ``limit`` loses nothing. The chain stops on an
    empty page, on a short page (fewer than ``limit`` items: the last one), or once the
    ``total`` at its dotted body path (when declared) is reached. Declare a ``limit``
    the vendor honours: one above its cap makes every page short, and the chain ends
    after the first.

    ``offset_param`` and ``limit_param`` name the query params (``start``/``count``,
    ``skip``/``take``...); ``items`` is the dotted path of the page's list (None: the
    body is the list).
    """

    limit: int = attrs.field(validator=attrs.validators.and_(attrs.validators.instance_of(int), attrs.validators.ge(1)))
    offset: int = attrs.field(
        default=0, validator=attrs.validators.and_(attrs.validators.instance_of(int), attrs.validators.ge(0))
    )
    offset_param: str = attrs.field(default="offset", validator=_nonempty("offset_param"))
    limit_param: str = attrs.field(default="limit", validator=_nonempty("limit_param"))
    items: str | None = attrs.field(default="data", validator=_dotted("items"))
    total: str | None = attrs.field(default=None, validator=_dotted("total"))

    def __attrs_post_init__(self) -> None:
        if self.offset_param == self.limit_param:
            raise ValueError(f"OffsetLimit: offset_param and limit_param are both {self.offset_param!r}; name two params")

    def first(self, request: Request) -> Request:
        """The request with the first offset and the limit."""
        return request.with_query(**{self.offset_param: self.offset, self.limit_param: self.limit})

    def next(self, request: Request, response: Response) -> Request | None:
        """The next offset, or None on an empty or short page or at the total."""
        items = _items(response.payload, self.items, "OffsetLimit")
        if not items or len(items) < self.limit:
            return None
        seen = request.items_seen + len(items)
        if self.total is not None:
            total = lookup(response.payload, self.total)
            if total is not None and (isinstance(total, bool) or not isinstance(total, int)):
                raise PayloadError(f"OffsetLimit: the total at '{self.total}' is not an integer: {total!r}")
            if total is not None and self.offset + seen >= total:
                return None
        following = request.next_page(items_seen=seen)
        return following.with_query(**{self.offset_param: self.offset + seen, self.limit_param: self.limit})


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_NO_BODY = frozenset({"GET", "HEAD"})


def _method(value: str | None) -> str | None:
    return value.upper() if isinstance(value, str) else value


@attrs.frozen
class Cursor:
    """An opaque cursor handed out with each page and sent back for the next one.

    Where it is read (exactly one):

    - ``path``: a dotted path in the JSON body (``next_cursor``, ``meta.next``,
      ``response_metadata.next_cursor``, ``_scroll_id``);
    - ``header``: a response header (``X-Next-Cursor``).

    Where it is sent: the query param ``send`` (``send_in="query"``, the default), or
    the dotted key ``send`` of the JSON body (``send_in="body"``, e.g. ``page.cursor``),
    the rest of the body kept.

    The chain ends on an empty or absent cursor, on a false or absent ``has_more``
    (a dotted body path, when declared), or on an empty page when ``items`` (a dotted
    body path) is declared. A cursor is a string or an integer; anything else is a
    PayloadError.

    Follow-up pages may go elsewhere: ``next_path`` (a path under the base URL, like a
    stream's) and ``next_method``, as Elasticsearch's ``POST /index/_search?scroll=1m``
    then ``POST /_search/scroll`` with ``{"scroll": "1m", "scroll_id": ...}``. A
    follow-up to ``next_path`` carries only the cursor and ``next_extra`` (constant
    values sent beside the cursor, in the same place); without ``next_path`` the first
    request is repeated with the cursor set (and ``next_extra`` added). A cursor sent
    in the body of a GET or HEAD is refused (no body is sent with them).
    """

    path: str | None = attrs.field(default=None, validator=_dotted("path"))
    header: str | None = attrs.field(default=None, validator=_nonempty("header"), kw_only=True)
    send: str = attrs.field(default="cursor", validator=_dotted("send"), kw_only=True)
    send_in: str = attrs.field(default="query", validator=attrs.validators.in_(("query", "body")), kw_only=True)
    has_more: str | None = attrs.field(default=None, validator=_dotted("has_more"), kw_only=True)
    items: str | None = attrs.field(default=None, validator=_dotted("items"), kw_only=True)
    next_path: str | None = attrs.field(default=None, kw_only=True)
    next_method: str | None = attrs.field(default=None, converter=_method, kw_only=True)
    next_extra: Mapping[str, Any] = attrs.field(factory=dict, converter=dict, hash=False, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if (self.path is None) == (self.header is None):
            raise ValueError("Cursor: say where the cursor is read, either path=... (the body) or header=..., not both")
        if self.next_method is not None and self.next_method not in _METHODS:
            raise ValueError(f"Cursor: next_method {self.next_method!r} is not an HTTP method")
        if self.send_in == "body" and self.next_method in _NO_BODY:
            raise ValueError(f"Cursor: a cursor sent in the body cannot go with a {self.next_method}; use send_in='query'")
        if self.next_path is not None:
            parts = urlsplit(self.next_path)
            if parts.scheme or parts.netloc or self.next_path.startswith("//") or not self.next_path.startswith("/"):
                raise ValueError(f"Cursor: next_path {self.next_path!r} must be a path under the base URL, like '/search/scroll'")
            if parts.query or parts.fragment or "?" in self.next_path or "#" in self.next_path:
                raise ValueError(f"Cursor: next_path {self.next_path!r} must not carry a query or fragment; use next_extra")
        if self.send in self.next_extra:
            raise ValueError(f"Cursor: next_extra sets {self.send!r}, the cursor's own name")

    def first(self, request: Request) -> Request:
        """The request unchanged (the first page has no cursor); refuses a body cursor on a GET."""
        if self.send_in == "body" and (self.next_method or request.method).upper() in _NO_BODY:
            raise ConfigError(
                f"Cursor sends its cursor in the body, but the follow-up pages are {request.method} requests, "
                f"which carry no body: declare send_in='query' or next_method='POST'"
            )
        return request

    def next(self, request: Request, response: Response) -> Request | None:
        """The request for the page after ``response``'s cursor, or None at the end."""
        payload = response.payload
        if self.items is not None and not _items(payload, self.items, "Cursor"):
            return None
        if self.has_more is not None and not lookup(payload, self.has_more):
            return None
        cursor = _header(response.headers, self.header) if self.header is not None else lookup(payload, self.path)
        if cursor is None or cursor == "":
            return None
        if isinstance(cursor, bool) or not isinstance(cursor, (str, int)):
            where = f"header {self.header}" if self.header is not None else f"'{self.path}'"
            raise PayloadError(f"Cursor: the cursor at {where} is not a string or integer: {type(cursor).__name__}")
        method = self.next_method or request.method
        if self.next_path is not None:
            # Another endpoint: it gets the cursor and the declared extras, not the first page's search.
            following = request.next_page(method=method, url=self.next_path, query=(), json=None)
        else:
            following = request.next_page(method=method)
        values = {**self.next_extra, self.send: cursor}
        if self.send_in == "query":
            return following.with_query(**values)
        body = copy.deepcopy(following.json) if following.json is not None else {}
        if not isinstance(body, dict):
            raise ConfigError(
                f"Cursor sends its cursor in the JSON body, but the request body is a {type(body).__name__}, not an object"
            )
        for name, value in values.items():
            _set_dotted(body, name, value)
        return attrs.evolve(following, json=body)


def _set_dotted(body: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node = body
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[last] = value


@attrs.frozen
class NextLink:
    """A link to the next page in the JSON body: ``next`` (Django REST framework),
    ``next_page`` (a full URL), or any dotted path. Null, empty or absent ends.

    The link may be absolute, root-relative or relative: it is resolved against the
    response's URL, and the next request carries the absolute URL.

    ``upgrade_http=True`` declares that the vendor documents its links as plain http
    although it serves them over https (Shareablee's ``next_page``): an ``http://``
    link to the response's own host on the default port, from an https response on
    the default port, is sent as the https URL (see :func:`socialtap.http.upgrade_link`).
    Never the reverse: an https link is never made http, and any other link is left
    for the engine's origin check, which refuses it."""

    path: str = attrs.field(default="next", validator=_dotted("path"))
    upgrade_http: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool), kw_only=True)

    def link(self, response: Response) -> str | None:
        """The absolute URL of the response's next link (upgraded when declared), or None."""
        link = lookup(response.payload, self.path)
        if not link:
            return None
        if not isinstance(link, str):
            raise PayloadError(f"next-page link at '{self.path}' is not a string: {type(link).__name__}")
        absolute = resolve_link(response.url, link)
        return upgrade_link(absolute, response.url) if self.upgrade_http else absolute

    def first(self, request: Request) -> Request:
        """The request unchanged."""
        return request

    def next(self, request: Request, response: Response) -> Request | None:
        """The request for the link's URL, or None when there is no link."""
        url = self.link(response)
        if url is None:
            return None
        # The link carries its own query string: drop ours so nothing is sent twice.
        return request.next_page(url=url, query=())


def parse_link_header(value: str) -> list[tuple[str, dict[str, str]]]:
    """The links of a ``Link`` header value (RFC 8288 section 3): ``(target, params)`` in order.

    Targets are as written (not resolved); parameter names are lowercased, quoted values
    unquoted (``\\"`` escapes kept as the character), a parameter without a value is
    ``""``, and only the first of a repeated parameter counts (as the RFC says). Commas
    and semicolons inside ``<...>`` or a quoted string do not split. Several ``Link``
    headers joined by commas (as HTTP clients join them) read as one value. Text that is
    not a link (no ``<``) is skipped rather than guessed at.
    """
    links: list[tuple[str, dict[str, str]]] = []
    i, n = 0, len(value)
    while i < n:
        start = value.find("<", i)
        if start < 0:
            break
        end = value.find(">", start + 1)
        if end < 0:
            break
        target = value[start + 1 : end].strip()
        params: dict[str, str] = {}
        i = end + 1
        while i < n:
            while i < n and value[i] in " \t":
                i += 1
            if i >= n or value[i] == ",":
                i += 1
                break
            if value[i] != ";":
                # Junk after a link: skip to the next link-value.
                while i < n and value[i] != ",":
                    i += 1
                continue
            i += 1
            name_start = i
            while i < n and value[i] not in "=;,":
                i += 1
            name = value[name_start:i].strip().lower()
            param = ""
            if i < n and value[i] == "=":
                i += 1
                while i < n and value[i] in " \t":
                    i += 1
                if i < n and value[i] == '"':
                    i += 1
                    chars: list[str] = []
                    while i < n and value[i] != '"':
                        if value[i] == "\\" and i + 1 < n:
                            i += 1
                        chars.append(value[i])
                        i += 1
                    i += 1  # the closing quote
                    param = "".join(chars)
                else:
                    token_start = i
                    while i < n and value[i] not in ";,":
                        i += 1
                    param = value[token_start:i].strip()
            if name and name not in params:
                params[name] = param
        links.append((target, params))
    return links


@attrs.frozen
class LinkHeader:
    """The next page's URL in a ``Link`` response header (GitHub, GitLab, Shopify...):
    ``Link: <https://api/x?page=2>; rel="next", <...>; rel="last"``.

    Read per RFC 8288 (see :func:`parse_link_header`): several links in one header or
    in several, ``rel`` quoted or not, several relation types in one ``rel``
    (``rel="next last"``), relation types compared case-insensitively, parameters in
    any order. The first link whose ``rel`` holds ``rel`` (``next`` by default) is
    followed; none ends the chain. The target may be relative: it is resolved against
    the response's URL and refused when unsafe, as :class:`NextLink`'s is.
    """

    rel: str = attrs.field(default="next", validator=_nonempty("rel"))

    def __attrs_post_init__(self) -> None:
        if any(ch.isspace() for ch in self.rel):
            raise ValueError(f"LinkHeader: rel {self.rel!r} must be one relation type, without spaces")

    def first(self, request: Request) -> Request:
        """The request unchanged."""
        return request

    def next(self, request: Request, response: Response) -> Request | None:
        """The request for the ``rel`` link's URL, or None when the header has none."""
        value = _header(response.headers, "Link")
        if not value:
            return None
        wanted = self.rel.lower()
        for target, params in parse_link_header(value):
            if wanted in params.get("rel", "").lower().split():
                if not target:
                    return None
                # The link carries its own query string: drop ours so nothing is sent twice.
                return request.next_page(url=resolve_link(response.url, target), query=())
        return None


END = object()
"""Return from ``socialtap_next_request`` to end a chain the declared paginator would continue."""

