"""User content paging as the Shareablee docs print it.

The docs' ``next_page`` is ``http://api.shareablee.com/v1.4/user/{entity_id}/user/content/
?start_date=...&end_date=...&page=2``: plain http although the API is served over https,
and a path (``user`` where the service goes) that is not the one requested. Following it
as printed would either send credentials over http or ask for a path that is not the
endpoint. So:

- the link is read with ``NextLink("next_page", upgrade_http=True)``: an http link to the
  base URL's own host (default port) from an https response is the https URL, never the
  reverse; any other origin is left for the engine, which refuses it (SecurityError);
- a link on the response's origin whose path is the request's own path is followed as it is;
- a link on the response's origin whose path is not the request's (the docs' shape) is not
  followed: its documented 0-based ``page`` number is sent on the request's own path,
  with the request's own params (dates, ``sort_ascending``). A link of that shape without
  a ``page`` number is a PayloadError (there is no documented way to go on).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import attrs

from socialtap.errors import PayloadError
from socialtap.http import Request, Response, origin
from socialtap.pagination import NextLink

PAGE_PARAM = "page"


@attrs.frozen
class NextPage:
    """Follow ``next_page``; when its path is not the request's, send its ``page`` on the request's path."""

    path: str = "next_page"
    param: str = PAGE_PARAM

    @property
    def link(self) -> NextLink:
        return NextLink(self.path, upgrade_http=True)

    def first(self, request: Request) -> Request:
        """The request unchanged (the first page is ``page`` as given, the server's default 0)."""
        return request

    def next(self, request: Request, response: Response) -> Request | None:
        """The next page's request, or None when ``next_page`` is null or absent."""
        url = self.link.link(response)
        if url is None:
            return None
        try:
            same_origin = origin(url) == origin(response.url)
            link, answered = urlsplit(url), urlsplit(response.url)
        except ValueError:
            same_origin = False
        if not same_origin or link.path == answered.path:
            # Followed as is: another origin is the engine's to refuse before anything is sent.
            return request.next_page(url=url, query=())
        pages = [v for k, v in parse_qsl(link.query, keep_blank_values=True) if k == self.param]
        if len(pages) != 1 or not pages[0].isascii() or not pages[0].isdigit():
            raise PayloadError(
                f"next_page {url!r} is not on the requested path {answered.path!r} and carries no single 0-based "
                f"'{self.param}' number to send there instead"
            )
        url, query = self._own(request)
        return request.next_page(url=url, query=query).with_query(**{self.param: int(pages[0])})

    @staticmethod
    def _own(request: Request) -> tuple[str, tuple[tuple[str, str], ...]]:
        """The request's own path and params: a path under the base URL with its query, or
        (after a followed link) the absolute URL without its query, which becomes params."""
        parts = urlsplit(request.url)
        if not parts.scheme:
            return request.url, request.query
        kept = tuple(parse_qsl(parts.query, keep_blank_values=True))
        return parts._replace(query="", fragment="").geturl(), kept + request.query
