"""Default ``socialtap_requests``: a stream's declaration and params into request chains.

An internal plugin: path template plus query or body, one chain per fan-out value or
batch (:mod:`socialtap.fetch`), each started by the declared paginator's ``first``.
"""

from __future__ import annotations

from socialtap.fetch import build_request, chains
from socialtap.hookspecs import hookimpl
from socialtap.pagination import NoPagination


@hookimpl(trylast=True)
def socialtap_requests(vendor, stream, params):
    """Default: path template + query/body, fan-out and batching, paginator's first page."""
    paginator = stream.pagination or NoPagination()
    return [paginator.first(build_request(stream, chain_params, name)) for name, chain_params in chains(vendor, stream, params)]
