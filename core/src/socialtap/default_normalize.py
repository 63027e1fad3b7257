"""Default ``socialtap_normalize``: structure the payload into the stream's model, then map.

An internal plugin; :func:`socialtap.normalize.structure_payload` does the structuring.
"""

from __future__ import annotations

from socialtap.hookspecs import hookimpl
from socialtap.normalize import structure_payload


@hookimpl(trylast=True)
def socialtap_normalize(vendor, stream, request, payload):
    """Default: ``stream.normalize(structured payload, request)``."""
    if stream.payload_model is not None:
        payload = structure_payload(payload, stream.payload_model, vendor=vendor.name, where=stream.name)
    return stream.normalize(payload, request)
