"""Normalized records every vendor maps onto, and the one converter that serializes them.

Records are frozen attrs classes. ``converter`` (a cattrs JSON preconf converter) turns
them into JSON-safe dicts and back: dates as ``YYYY-MM-DD``, datetimes as ISO 8601.
Each record type has a *natural key*: the fields that identify it, so storing the same
run twice (SQLite output) upserts instead of duplicating.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any, ClassVar

import attrs
from cattrs.preconf.json import make_converter

from socialtap.metrics import canonical_metric

Value = int | float | str | None

STATUSES = ("available", "pending", "unavailable", "not_found", "below_threshold")
ENTITY_TYPES = ("account", "post", "category", "profile")


def _frozen_dict(value: Mapping[str, Any] | None) -> dict[str, Any]:
    return dict(value or {})


@attrs.frozen
class Account:
    """A social account (or page, channel, profile) as a vendor sees it."""

    vendor: str
    platform: str
    account_id: str
    username: str | None = None
    display_name: str | None = None
    url: str | None = None
    country: str | None = None
    categories: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    status: str = attrs.field(default="available", validator=attrs.validators.in_(STATUSES))

    natural_key: ClassVar[tuple[str, ...]] = ("vendor", "platform", "account_id")


@attrs.frozen
class Post:
    """One piece of content with its metrics (canonical names where they exist)."""

    vendor: str
    platform: str
    post_id: str
    account_id: str | None = None
    url: str | None = None
    created_at: dt.datetime | None = None
    text: str | None = None
    media_type: str | None = None
    metrics: dict[str, Value] = attrs.field(factory=dict, converter=_frozen_dict)

    natural_key: ClassVar[tuple[str, ...]] = ("vendor", "platform", "post_id")


@attrs.frozen
class Observation:
    """One metric value about one entity, for one day (time series) or as fetched.

    ``value`` stays ``None`` when the vendor has no number (never 0); ``status`` says why.
    ``canonical`` is False when ``metric`` is the vendor's own name with no canonical twin.
    """

    vendor: str
    platform: str
    entity_type: str = attrs.field(validator=attrs.validators.in_(ENTITY_TYPES))
    entity_id: str
    metric: str
    value: Value = None
    date: dt.date | None = None
    fetched_at: dt.datetime | None = None
    status: str = attrs.field(default="available", validator=attrs.validators.in_(STATUSES))
    dimensions: dict[str, str] = attrs.field(factory=dict, converter=_frozen_dict)
    unit: str | None = None
    canonical: bool = True

    natural_key: ClassVar[tuple[str, ...]] = (
        "vendor",
        "platform",
        "entity_type",
        "entity_id",
        "metric",
        "date",
        "dimensions",
    )


@attrs.frozen
class Relation:
    """A link between two entities: mentions, engaged followers, category membership..."""

    vendor: str
    platform: str
    entity_id: str
    relation: str
    other_id: str
    other_name: str | None = None
    value: Value = None

    natural_key: ClassVar[tuple[str, ...]] = (
        "vendor",
        "platform",
        "entity_id",
        "relation",
        "other_id",
    )


Record = Account | Post | Observation | Relation
RECORD_TYPES: dict[str, type] = {
    "account": Account,
    "post": Post,
    "observation": Observation,
    "relation": Relation,
}
TYPE_NAMES: dict[type, str] = {cls: name for name, cls in RECORD_TYPES.items()}


def observation(
    vendor: str,
    platform: str,
    entity_type: str,
    entity_id: Any,
    vendor_metric: str,
    value: Value,
    *,
    mapping: Mapping[str, str] | None = None,
    **fields: Any,
) -> Observation:
    """Build an Observation, naming the metric canonically when a mapping knows it.

    ``mapping`` holds the vendor's own field names that differ from the canonical ones
    (``{"latest_fans": "followers"}``); a vendor name that already is canonical maps to
    itself; anything else keeps its vendor name with ``canonical=False``.
    """
    metric, is_canonical = canonical_metric(vendor_metric, mapping)
    return Observation(
        vendor=vendor,
        platform=platform,
        entity_type=entity_type,
        entity_id=str(entity_id),
        metric=metric,
        value=value,
        canonical=is_canonical,
        **fields,
    )


def _structure_value(value: Any, _type: Any) -> Value:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    raise TypeError(f"expected a number, a string or null, got {type(value).__name__}")


converter = make_converter()
converter.register_structure_hook(Value, _structure_value)  # type: ignore[arg-type]
converter.register_structure_hook(dt.date, lambda v, _: v if isinstance(v, dt.date) else dt.date.fromisoformat(v))
converter.register_unstructure_hook(dt.date, lambda d: d.isoformat())


def to_dict(record: Record) -> dict[str, Any]:
    """The record as a JSON-safe dict (no ``type`` field)."""
    return converter.unstructure(record)


def to_item(record: Record) -> dict[str, Any]:
    """The record as a JSON-safe dict with a leading ``type`` field (JSON Lines, n8n)."""
    return {"type": TYPE_NAMES[type(record)], **to_dict(record)}


def from_item(item: Mapping[str, Any]) -> Record:
    """Inverse of :func:`to_item`."""
    data = dict(item)
    cls = RECORD_TYPES[data.pop("type")]
    return converter.structure(data, cls)


def natural_key(record: Record) -> tuple[str, ...]:
    """The values of the record's natural-key fields, as strings (dicts as sorted JSON)."""
    data = to_dict(record)
    return tuple(
        json.dumps(data[name], sort_keys=True) if isinstance(data[name], (dict, list)) else str(data[name])
        for name in type(record).natural_key
    )


def utcnow() -> dt.datetime:
    """Timezone-aware now, for ``fetched_at``."""
    return dt.datetime.now(dt.UTC)
