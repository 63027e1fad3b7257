"""Default ``socialtap_next_request``: the paginator a stream declared (none: one page).

An internal plugin. A vendor whose API pages in a way no paginator in
:mod:`socialtap.pagination` covers answers the hook itself, or declares its own small
``Paginator`` class (``first``/``next``).
"""

from __future__ import annotations

from socialtap.hookspecs import hookimpl
from socialtap.pagination import NoPagination


@hookimpl(trylast=True)
def socialtap_next_request(vendor, stream, request, response):
    """Default: the paginator declared on the stream (none: one page)."""
    paginator = stream.pagination or NoPagination()
    return paginator.next(request, response)
