"""Normalized records every vendor maps onto, and the one converter that serializes them.

Records are frozen attrs classes. ``converter`` (a cattrs JSON preconf converter) turns
them into JSON-safe dicts and back: dates as ``YYYY-MM-DD``, datetimes as ISO 8601.
Each record type has a *natural key*: the fields that identify it, so storing the same
run twice (SQLite output) upserts instead of duplicating.

History: ``as_of``, the UTC day a value describes
-------------------------------------------------

A scheduled task that runs every day builds history, because every record that holds
values carries ``as_of`` (a ``datetime.date``) in its natural key:

- ``Observation.as_of`` is the day the value refers to. For a time series (``date`` set by
  the vendor) it *is* ``date``, so refetching an overlapping window updates those days
  instead of adding rows, whichever day the refetch runs. For a snapshot (``date`` is
  None: a follower count "as fetched") it is the UTC day of ``fetched_at`` (or of
  :func:`socialtap.clock.today` when the plugin gave no ``fetched_at``): a second run on
  the same UTC day replaces that day's row, a run the next day adds one. ``date`` stays
  in the key too, so a vendor's daily value and a snapshot taken that day stay two rows.
  Queries that want one day column for both kinds use ``as_of``.
- ``Post.as_of`` and ``Relation.as_of`` are the UTC day they were fetched: ``Post.metrics``
  and ``Relation.value`` are snapshots too, so a daily task keeps one row per post (or
  link) per day, and the post's metrics over time are a plain ``GROUP BY as_of``. Its
  latest state is the row with the greatest ``as_of``.
- ``Account`` has no ``as_of``: an account's profile is latest-wins, one row per account.

``as_of`` is set when the record is built (``__attrs_post_init__``), so every plugin gets
it without a change; a plugin or a replay may pass it explicitly (a dated observation's
``as_of`` must then equal its ``date``). Records read back from an older JSON item without
``as_of`` get it from their ``fetched_at`` the same way.

Ids and attributes: nothing documented is dropped
-------------------------------------------------

Every documented response field reaches a record (or the plugin's README says why not,
under "Fields not carried"). The common fields hold what every vendor has; two dict
fields hold the rest, so no vendor needs a record type of its own:

- ``Account.ids`` and ``Post.ids``: other identifiers of the same entity, by kind. The
  primary id (``account_id``, ``post_id``) is the id the vendor's API takes back; ``ids``
  holds the others (Shareablee's service-native ``object_id`` of a Facebook page), so a
  record can be joined to the platform or to another vendor's records. Values are text.
- ``attributes`` on every record: documented fields with no column of their own (a
  profile's ``website``, a post's ``thumbnail``, a page-insights period's ``start``),
  under the vendor's own field name, with the vendor's value unchanged (text, numbers,
  lists, objects; a NaN or infinite number becomes null). Never part of a natural key.

A value the vendor did not send is absent from these dicts, not invented: a plugin never
builds a URL from a handle or copies a name from another field to fill one.

Values that stay valid in every output:

- **Not-a-number and infinity never reach an output.** Python's ``json.loads`` accepts
  ``NaN``, ``Infinity`` and ``1e999`` in a vendor body, and ``json.dumps`` would write them
  back as invalid JSON. A record is cleaned when it is built: an ``Observation`` whose
  value is not finite gets ``value=None`` and ``status="unavailable"`` (a status the
  vendor already gave, such as ``pending``, is kept); a non-finite ``Relation.value`` or
  ``Post.metrics`` entry becomes ``None``. Every surface then serializes with
  :func:`dumps` (``allow_nan=False``): anything non-finite that a plugin smuggled in
  elsewhere (a dimension, say) is a :class:`~socialtap.errors.PayloadError` naming the
  field, never an invalid line.
- **Integers stay exact at any size.** JSON Lines, ``serve`` and n8n write them as JSON
  integers and CSV as their decimal text. SQLite stores an integer outside its signed
  64-bit range as TEXT holding the exact decimal (``typeof(value) = 'text'``): read it
  back with ``int(value)``. Integers inside the range stay INTEGER.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from typing import Any, ClassVar

import attrs
from cattrs.preconf.json import make_converter

from socialtap import clock
from socialtap.errors import PayloadError
from socialtap.metrics import canonical_metric

Value = int | float | str | None

STATUSES = ("available", "pending", "unavailable", "not_found", "below_threshold")
ENTITY_TYPES = ("account", "post", "category", "profile")


def _frozen_dict(value: Mapping[str, Any] | None) -> dict[str, Any]:
    return dict(value) if value else {}


def is_finite(value: Any) -> bool:
    """False only for a float that is NaN or infinite (ints, strings and None are finite)."""
    return not isinstance(value, float) or math.isfinite(value)


def _finite_value(value: Any) -> Any:
    # NaN/Infinity would make every JSON output invalid: no number is better than a wrong line.
    return value if is_finite(value) else None


def _finite_metrics(value: Mapping[str, Any] | None) -> dict[str, Any]:
    if not value:
        return {}
    return {name: _finite_value(v) for name, v in value.items()}


def _ids(value: Mapping[str, Any] | None) -> dict[str, str]:
    # Ids are compared and joined on as text: 155869377766434 and "155869377766434" are one id.
    if not value:  # the common case, on every record: no allocation beyond the empty dict
        return {}
    return {kind: str(v) for kind, v in value.items() if v is not None}


def _finite_json(value: Any) -> Any:
    # Attributes are the vendor's values as sent, nested too: clean the whole tree, not just the top.
    if isinstance(value, Mapping):
        return {key: _finite_json(inner) for key, inner in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_json(inner) for inner in value]
    return _finite_value(value)


def _attributes(value: Mapping[str, Any] | None) -> dict[str, Any]:
    if not value:
        return {}
    return _finite_json(dict(value))


def fetch_day(fetched_at: dt.datetime | None) -> dt.date:
    """The UTC day of ``fetched_at`` (a naive time is taken as UTC), or today when it is None."""
    if fetched_at is None:
        return clock.today()
    if fetched_at.tzinfo is None:
        return fetched_at.date()
    return fetched_at.astimezone(dt.UTC).date()


@attrs.frozen
class Account:
    """A social account (or page, channel, profile) as a vendor sees it.

    ``account_id`` is the vendor's id for it; ``ids`` and ``attributes`` are described
    in the module docstring ("Ids and attributes").
    """

    vendor: str
    platform: str
    account_id: str
    username: str | None = None
    display_name: str | None = None
    url: str | None = None
    country: str | None = None
    categories: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    status: str = attrs.field(default="available", validator=attrs.validators.in_(STATUSES))
    ids: dict[str, str] = attrs.field(factory=dict, converter=_ids)
    attributes: dict[str, Any] = attrs.field(factory=dict, converter=_attributes)

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
    metrics: dict[str, Value] = attrs.field(factory=dict, converter=_finite_metrics)
    # Last, so positional construction by plugins keeps working; see "History" above.
    as_of: dt.date | None = None
    ids: dict[str, str] = attrs.field(factory=dict, converter=_ids)
    attributes: dict[str, Any] = attrs.field(factory=dict, converter=_attributes)

    natural_key: ClassVar[tuple[str, ...]] = ("vendor", "platform", "post_id", "as_of")

    def __attrs_post_init__(self) -> None:
        if self.as_of is None:
            object.__setattr__(self, "as_of", clock.today())


@attrs.frozen
class Observation:
    """One metric value about one entity, for one day (time series) or as fetched.

    ``value`` stays ``None`` when the vendor has no number (never 0); ``status`` says why.
    A value that is not finite (NaN, infinity) becomes ``None`` with status ``unavailable``.
    ``canonical`` is False when ``metric`` is the vendor's own name with no canonical twin.
    ``as_of`` is ``date`` for a time series, else the UTC day of ``fetched_at`` (see the
    module's "History"); a dated observation given another ``as_of`` is a PayloadError.
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
    as_of: dt.date | None = None
    attributes: dict[str, Any] = attrs.field(factory=dict, converter=_attributes)

    natural_key: ClassVar[tuple[str, ...]] = (
        "vendor",
        "platform",
        "entity_type",
        "entity_id",
        "metric",
        "date",
        "as_of",
        "dimensions",
    )

    def __attrs_post_init__(self) -> None:
        # Frozen: post-init is the one place fields are rewritten, before anyone can see the record.
        value = self.value
        if isinstance(value, float) and not math.isfinite(value):
            object.__setattr__(self, "value", None)
            if self.status == "available":
                object.__setattr__(self, "status", "unavailable")
        if self.date is not None:
            if self.as_of is not None and self.as_of != self.date:
                raise PayloadError(
                    f"observation {self.metric} of {self.entity_type} {self.entity_id} is dated {self.date} "
                    f"but as_of {self.as_of}: a dated value is as of its own date; leave as_of unset"
                )
            object.__setattr__(self, "as_of", self.date)
        elif self.as_of is None:
            object.__setattr__(self, "as_of", fetch_day(self.fetched_at))


@attrs.frozen
class Relation:
    """A link between two entities: mentions, engaged followers, category membership..."""

    vendor: str
    platform: str
    entity_id: str
    relation: str
    other_id: str
    other_name: str | None = None
    value: Value = attrs.field(default=None, converter=_finite_value)
    as_of: dt.date | None = None
    attributes: dict[str, Any] = attrs.field(factory=dict, converter=_attributes)

    natural_key: ClassVar[tuple[str, ...]] = (
        "vendor",
        "platform",
        "entity_id",
        "relation",
        "other_id",
        "as_of",
    )

    def __attrs_post_init__(self) -> None:
        if self.as_of is None:
            object.__setattr__(self, "as_of", clock.today())


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


def _non_finite_path(value: Any, path: str = "") -> str | None:
    """The dotted path of the first NaN/infinite float inside ``value``, if any."""
    if not is_finite(value):
        return path or "(the value itself)"
    if isinstance(value, Mapping):
        items: Any = value.items()
    elif isinstance(value, (list, tuple)):
        items = enumerate(value)
    else:
        return None
    for key, inner in items:
        found = _non_finite_path(inner, f"{path}.{key}" if path else str(key))
        if found is not None:
            return found
    return None


def dumps(value: Any, **kwargs: Any) -> str:
    """``json.dumps`` for every output (JSON Lines, CSV cells, SQLite, serve, n8n): always valid JSON.

    Non-ASCII is kept as is. A NaN or infinite float raises
    :class:`~socialtap.errors.PayloadError` naming its field, instead of writing the
    ``NaN``/``Infinity`` literals that no JSON parser but Python's accepts.
    """
    kwargs.setdefault("ensure_ascii", False)
    try:
        return json.dumps(value, allow_nan=False, **kwargs)
    except ValueError:
        field = _non_finite_path(value)
        if field is None:
            raise
        raise PayloadError(
            f"field {field} holds a number that is not finite (NaN or infinity), which JSON cannot carry; "
            f"the plugin that built this record must turn it into null (see socialtap.records)"
        ) from None


def natural_key(record: Record) -> tuple[str, ...]:
    """The values of the record's natural-key fields, as strings (dicts as sorted JSON)."""
    return key_of(type(record), to_dict(record))


def key_of(cls: type, data: Mapping[str, Any]) -> tuple[str, ...]:
    """The natural key of a record of ``cls`` from its JSON-safe fields (:func:`to_dict` form).

    The SQLite output recomputes keys of stored rows with it when it migrates a file, so
    it must give exactly what :func:`natural_key` gives for the record.
    """
    return tuple(_key_text(data.get(name)) for name in cls.natural_key)  # type: ignore[attr-defined]


def _key_text(value: Any) -> str:
    # Every row of every SQLite write goes through here: text (the usual case) as it is.
    if value.__class__ is str:
        return value  # type: ignore[no-any-return]
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True) if value else ("{}" if isinstance(value, dict) else "[]")
    return str(value)


def utcnow() -> dt.datetime:
    """Timezone-aware now, for ``fetched_at`` (:func:`socialtap.clock.now`, so tests can set it)."""
    return clock.now()
