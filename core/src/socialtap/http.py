"""The request and response values that hooks exchange.

A :class:`Request` is a description, not a live object: it carries no credentials (auth
is applied by the engine when it sends), so hooks, logs and resume state may keep it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import attrs
from urllib3.util import parse_url

from socialtap.errors import SecurityError


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

    - ``method``: the HTTP method.
    - ``query``: ordered ``(name, value)`` pairs; a mapping is accepted, a list value repeats the name.
    - ``json``: the JSON body, or None.
    - ``headers``: extra headers (never credentials: the engine's auth adds those when sending).
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
        """The first value of query parameter ``name``, or None."""
        for key, value in self.query:
            if key == name:
                return value
        return None


def resolve_url(base_url: str, url: str) -> str:
    """Absolute URL of a request's ``url`` against the vendor base URL.

    An absolute URL (a next link already resolved by :func:`resolve_link`) is kept as
    it is; any other ``url`` is a path under the base URL and keeps its version prefix
    (``/resources/search`` against ``https://h/api/v1`` is ``https://h/api/v1/resources/search``).
    """
    try:
        if urlsplit(url).scheme:
            return url
    except ValueError:  # unparseable ("http://[::1"): kept whole, for the engine's check to refuse
        return url
    return base_url.rstrip("/") + "/" + url.lstrip("/") if not url.startswith("//") else urljoin(base_url, url)


DEFAULT_PORTS = {"http": 80, "https": 443}
# Whitespace and control characters: urllib.parse strips tabs and newlines silently, so
# what it reads is not what was sent; a URL from a server carrying one is refused.
_CONTROL = re.compile(r"[\x00-\x20\x7f]")


def origin(url: str) -> tuple[str, str, int | None]:
    """``(scheme, host, port)`` as requests will connect: read with urllib3's ``parse_url``.

    requests hands every URL to urllib3, so this is where the connection really goes
    (``http://evil\\@api/`` is ``evil``, whatever urllib.parse says). Scheme and host are
    lowercased (IPv6 hosts keep their brackets) and the default port is made explicit. A
    trailing dot is kept: ``api.`` and ``api`` may resolve to different hosts. Raises
    ValueError when urllib3 cannot parse the URL.
    """
    parts = parse_url(url)
    scheme = (parts.scheme or "").lower()
    return scheme, (parts.host or "").lower(), parts.port or DEFAULT_PORTS.get(scheme)


def _character_reason(url: str) -> str | None:
    """Why a URL's characters alone make it unsafe (parsers read or strip them differently)."""
    if "\\" in url:
        return "it contains a backslash, which URL parsers read differently"
    if _CONTROL.search(url):
        return "it contains whitespace or a control character, which URL parsers strip or refuse differently"
    return None


def unsafe_reason(url: str) -> str | None:
    """Why an absolute URL handed over by a server (a next link, a redirect) must not be
    sent, or None when it is safe to check its origin.

    urllib.parse and urllib3 (what requests sends with) read some URLs differently, so a
    URL is refused when it holds a backslash, whitespace or a control character, user
    info (``user@host``), a percent-encoded host, a scheme other than http(s), or when
    the two parsers disagree on its scheme, host or port.
    """
    reason = _character_reason(url)
    if reason is not None:
        return reason
    try:
        split = urlsplit(url)
        split_port = split.port
        sent = parse_url(url)
    except ValueError:
        return "it cannot be parsed as a URL"
    if split.scheme.lower() not in DEFAULT_PORTS:
        return "its scheme is not http or https"
    if "@" in split.netloc or sent.auth is not None:
        return "it carries user info (user@host)"
    if "%" in split.netloc or "%" in (sent.host or ""):
        return "its host is percent-encoded"
    scheme = split.scheme.lower()
    read = (scheme, (split.hostname or "").lower(), split_port or DEFAULT_PORTS.get(scheme))
    scheme, host, port = origin(url)
    if read != (scheme, host.removeprefix("[").removesuffix("]"), port):
        return "urllib.parse and urllib3 read its host differently"
    return None


def resolve_link(response_url: str, link: str) -> str:
    """The absolute URL of a link found in a response (a next-page link, a redirect).

    Resolved per RFC 3986 against the URL of the response that held it (so
    ``/v1.4/x?page=2`` from ``https://h/v1.4/x`` is ``https://h/v1.4/x?page=2``, and
    ``x?page=2`` is relative to the response's path), not against the vendor base URL.
    Raises SecurityError when the link must not be followed (see :func:`unsafe_reason`);
    the caller adds the vendor's name. Whether the origin is the vendor's is the engine's
    check, made on the URL requests is about to send.
    """
    # Checked before urljoin, which would strip tabs and newlines and hide them.
    reason = _character_reason(link)
    absolute = link
    if reason is None:
        try:
            absolute = urljoin(response_url, link)
        except ValueError:  # "http://[::1" and the like
            reason = "it cannot be parsed as a URL"
    reason = reason or unsafe_reason(absolute)
    if reason:
        # Never cut a link to fit: the engine redacts secrets from whole messages, and a cut
        # could leave the start of an echoed credential that no longer matches.
        shown = repr(link) if len(link) <= 300 else f"of {len(link)} characters"
        raise SecurityError(f"refusing to follow the link {shown}: {reason}. The credentials were not sent.")
    return absolute


def upgrade_link(link: str, trusted_url: str) -> str:
    """``link`` rewritten to https when it is ``trusted_url``'s own origin over plain http.

    Some vendors document next links as ``http://`` while they are served over https
    (Shareablee's ``next_page``). A link is upgraded only when ``trusted_url`` (the
    response's URL, itself on the base URL's origin) is https on the default port 443
    and the link is http on the default port 80 of the very same host: then the
    https URL is what is sent. Anything else is returned unchanged for the engine's
    origin check to judge, so an https link is never made http, another host or an
    explicit non-default port is never upgraded, and an unsafe link (see
    :func:`unsafe_reason`) is left for :func:`resolve_link` and the engine to refuse.
    """
    if unsafe_reason(link) is not None or unsafe_reason(trusted_url) is not None:
        return link
    try:
        scheme, host, port = origin(link)
        trusted = origin(trusted_url)
        split = urlsplit(link)
    except ValueError:
        return link
    if scheme != "http" or port != 80 or trusted != ("https", host, 443):
        return link
    upgraded = urlunsplit(("https", host, split.path, split.query, split.fragment))
    if unsafe_reason(upgraded) is not None or origin(upgraded) != trusted:
        return link
    return upgraded


def page_key(url: str, query: Sequence[tuple[str, str]] = (), body: Any = None) -> str:
    """``url`` (plus extra query pairs) in a form where two URLs of the same page are equal.

    The fragment is dropped, query pairs are decoded and sorted, scheme and host are
    lowercased and a default port is dropped: a server cannot make a chain loop by
    handing out ``?b=2&a=1#x`` for ``?a=1&b=2``. A JSON ``body`` is part of the key
    (keys sorted): a cursor sent in the body names a different page at the same URL.
    """
    if body is not None:
        return page_key(url, query) + " " + json.dumps(body, sort_keys=True, default=str)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url + "?" + urlencode(sorted(query))
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != DEFAULT_PORTS.get(scheme):
        host += f":{port}"
    pairs = sorted([*parse_qsl(parts.query, keep_blank_values=True), *query])
    return urlunsplit((scheme, host, parts.path or "/", urlencode(pairs), ""))


@attrs.frozen
class Response:
    """What the engine hands to pagination and normalization: status, headers, parsed body.

    - ``status``: the HTTP status code.
    - ``url``: the URL answered, after redirects; a query-parameter credential shows as ``***``.
    - ``headers``: the response headers.
    - ``payload``: the parsed JSON body (None for an empty body).
    - ``size``: the body's length in bytes.
    - ``elapsed``: seconds from sending to the last byte.
    - ``echoes_secret``: the body holds one of the run's secrets (a vendor echoing the key
      in a message); the runner then redacts the records built from it.
    """

    status: int
    url: str
    headers: Mapping[str, str] = attrs.field(factory=dict)
    payload: Any = None
    size: int = 0
    elapsed: float = 0.0
    echoes_secret: bool = False
