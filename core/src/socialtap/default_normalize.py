"""Default ``socialtap_normalize``: structure the payload into the stream's model, then map.

An internal plugin; :func:`socialtap.normalize.structure_payload` does the structuring.
"""

from __future__ import annotations

from socialtap.hookspecs import hookimpl
from socialtap.normalize import checked_records, record_error, structure_payload


@hookimpl(trylast=True)
def socialtap_normalize(vendor, stream, request, payload):
    """Default: ``stream.normalize(structured payload, request)``.

    A record built with a value its field refuses (an ``entity_type`` or ``status`` not in
    the allowed list) is a one-line PayloadError naming ``vendor.stream`` and the allowed values.
    """
    if stream.payload_model is not None:
        payload = structure_payload(payload, stream.payload_model, vendor=vendor.name, where=stream.name)
    where = f"{vendor.name}.{stream.name}"
    try:
        records = stream.normalize(payload, request)  # a normalizer returning a list builds its records here
    except ValueError as exc:
        error = record_error(exc, where)
        if error is None:
            raise
        error.vendor = vendor.name
        raise error from None
    return checked_records(records or (), where)
