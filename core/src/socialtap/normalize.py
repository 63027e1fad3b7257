"""Structuring a vendor payload into a stream's attrs model, with errors naming the field.

Applied by the internal plugin :mod:`socialtap.default_normalize`.
"""

from __future__ import annotations

from typing import Any

import cattrs
from cattrs.preconf.json import make_converter

from socialtap.errors import PayloadError

# Vendors add fields over time: unknown keys are ignored, missing or mistyped ones are
# errors with their path.
payload_converter = make_converter(forbid_extra_keys=False, detailed_validation=True)


def structure_payload(payload: Any, model: type, *, vendor: str = "", where: str = "") -> Any:
    """``payload`` as an instance of ``model``, or PayloadError naming every bad field."""
    try:
        return payload_converter.structure(payload, model)
    except Exception as exc:  # cattrs raises several exception types
        if isinstance(exc, (cattrs.BaseValidationError, ValueError, TypeError, KeyError, AttributeError)):
            problems = cattrs.transform_error(exc) if isinstance(exc, cattrs.BaseValidationError) else [str(exc)]
            raise PayloadError(
                f"{vendor} {where} response is not the documented shape ({model.__name__}): "
                + "; ".join(problems)
                + ". The vendor may have changed its API: report it with this message.",
                vendor=vendor,
            ) from None
        raise
