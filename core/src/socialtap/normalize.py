"""Structuring a vendor payload into a stream's attrs model, with errors naming the field;
one-line errors for a normalizer that builds a record with a value the record refuses.

Applied by the internal plugin :mod:`socialtap.default_normalize`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import attrs
import cattrs
from cattrs.preconf.json import make_converter

from socialtap.errors import PayloadError

# Vendors add fields over time: unknown keys are ignored, missing or mistyped ones are
# errors with their path.
payload_converter = make_converter(forbid_extra_keys=False, detailed_validation=True)


def _structure_text(value: Any, _: Any) -> str:
    # cattrs' default is str(value): a null where the docs give a string became the text
    # "None" in a record, an object its repr. A number is kept as its text (ids sent as numbers).
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"expected a string, got {type(value).__name__}")


def _structure_flag(value: Any, _: Any) -> bool:
    # cattrs' default is bool(value): a null "success" was read as false, "false" as true.
    if isinstance(value, bool):
        return value
    raise TypeError(f"expected true or false, got {type(value).__name__}")


def _structure_whole(value: Any, _: Any) -> int:
    # cattrs' default is int(value): 1.5 became 1 and true became 1, values the vendor never sent.
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise TypeError(f"expected a whole number, got {value!r}")
    return int(value)


def _structure_number(value: Any, _: Any) -> float:
    if isinstance(value, bool):  # float(True) is 1.0: a flag is not a measurement
        raise TypeError("expected a number, got bool")
    return float(value)


payload_converter.register_structure_hook(str, _structure_text)
payload_converter.register_structure_hook(bool, _structure_flag)
payload_converter.register_structure_hook(int, _structure_whole)
payload_converter.register_structure_hook(float, _structure_number)


_fast: tuple[int, cattrs.Converter] | None = None


def _fast_converter() -> cattrs.Converter:
    """``payload_converter`` without detailed validation: the same hooks, a third less time per page.

    Copied again whenever a plugin has registered another hook on ``payload_converter``
    (plugins do at import). Should cattrs' internals change so that this cannot be told,
    the detailed converter is used: slower, never wrong.
    """
    global _fast
    registered = _hooks_registered(payload_converter)
    if registered < 0:
        return payload_converter
    if _fast is None or _fast[0] != registered:
        _fast = (registered, payload_converter.copy(detailed_validation=False))
    return _fast[1]


def _hooks_registered(converter: cattrs.Converter) -> int:
    """How many structure hooks ``converter`` holds (cattrs has no public count), or -1."""
    try:
        dispatch = converter._structure_func
        return (
            len(dispatch._single_dispatch.registry)
            + len(dispatch._function_dispatch._handler_pairs)
            + len(dispatch._direct_dispatch)
        )
    except (AttributeError, TypeError):
        return -1


def structure_payload(payload: Any, model: type, *, vendor: str = "", where: str = "") -> Any:
    """``payload`` as an instance of ``model``, or PayloadError naming every bad field.

    Structured first without cattrs' detailed validation (fast, on every page); only a
    payload that fails is structured again with it, to name each bad field.
    """
    try:
        return _fast_converter().structure(payload, model)
    except Exception:
        pass
    try:
        return payload_converter.structure(payload, model)
    except Exception as exc:  # cattrs raises several exception types
        if isinstance(exc, (cattrs.BaseValidationError, ValueError, TypeError, KeyError, AttributeError)):
            # A path for every problem: cattrs names the field ("@ $.data[0].id"); any other
            # error came from structuring the body as a whole ("@ $").
            problems = cattrs.transform_error(exc) if isinstance(exc, cattrs.BaseValidationError) else [f"{exc} @ $"]
            raise PayloadError(
                f"{vendor} {where} response is not the documented shape ({model.__name__}): "
                + "; ".join(problems)
                + ". The vendor may have changed its API: report it with this message.",
                vendor=vendor,
            ) from None
        raise


def record_error(exc: BaseException, where: str) -> PayloadError | None:
    """A one-line PayloadError for a record field's validator refusing a value, or None.

    attrs' ``in_`` validator raises ``ValueError(message, attribute, allowed, value)``; the
    record class is the one that owns that very attribute. ``where`` names the normalizer
    (``vendor.stream``). Any other exception is not a record's refusal: None.
    """
    from socialtap.records import RECORD_TYPES

    args = getattr(exc, "args", ())
    if not isinstance(exc, ValueError) or len(args) != 4 or not isinstance(args[1], attrs.Attribute):
        return None
    attribute, allowed, value = args[1], args[2], args[3]
    owner = next((cls for cls in RECORD_TYPES.values() if any(a is attribute for a in attrs.fields(cls))), None)
    built = f"{owner.__name__}({attribute.name}={value!r})" if owner is not None else f"a record with {attribute.name}={value!r}"
    choices = ", ".join(str(a) for a in allowed) if isinstance(allowed, (tuple, list, set, frozenset)) else repr(allowed)
    return PayloadError(f"{where}: normalize built {built}: {attribute.name} must be one of {choices}")


def checked_records(records: Iterable[Any], where: str) -> Iterator[Any]:
    """``records`` as they come, a record's refused field value turned into :func:`record_error`'s PayloadError."""
    # One try around the whole delegation, not one per record: this runs for every record.
    try:
        yield from records
    except ValueError as exc:
        error = record_error(exc, where)
        if error is None:
            raise
        raise error from None  # one line naming the normalizer, not attrs' traceback
