"""Vendor data terms: which record fields are personal data, and how long data may be kept.

A vendor's licence may forbid storing personal data or keeping its data past a period
(Shareablee: no social URLs, user ids, friendly names or handles; nothing older than 60
days). The plugin declares those terms on its :class:`~socialtap.declarations.Vendor`
(``terms=DataTerms(...)``) and the core honours them by default:

- **Personal fields** are left out of every record, in one place: the runner passes each
  record through :meth:`DataTerms.redact` right after the plugin's ``normalize``, so every
  surface (JSON Lines, CSV, SQLite, serve, n8n, Airflow) sees the same records. A scalar
  field becomes ``None``; a dict field (``Post.metrics``) named whole becomes ``{}``, and
  ``metrics.<key>`` removes only that key. Natural-key fields cannot be declared personal:
  nulling them would merge distinct records into one row. The run report says once which
  fields were dropped. A user who has an agreement with the vendor keeps them with
  ``Options(keep_personal_data=True)``, ``--keep-personal-data`` or
  ``SOCIALTAP_<VENDOR>_KEEP_PERSONAL_DATA=1`` (:func:`keep_personal_data`).
- **Retention** (``retention_days``) is enforced where socialtap can delete: a SQLite
  output deletes the vendor's rows stored more than that many days ago whenever a run
  writes to it, and ``socialtap prune PATH`` does it on demand (see
  :meth:`socialtap.outputs.SqliteWriter.prune`). A JSON Lines or CSV output cannot be
  pruned, so the run report warns with the date its rows must be deleted by.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import attrs

from socialtap.errors import ConfigError
from socialtap.records import RECORD_TYPES, TYPE_NAMES, Record

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


def _fields_converter(value: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    return {kind: tuple(names) for kind, names in dict(value).items()}


def _check_fields(instance: DataTerms, attribute: Any, value: Mapping[str, tuple[str, ...]]) -> None:
    for kind, names in value.items():
        cls = RECORD_TYPES.get(kind)
        if cls is None:
            raise ValueError(f"DataTerms: {kind!r} is not a record type; choose from {', '.join(RECORD_TYPES)}")
        fields = {f.name: f for f in attrs.fields(cls)}
        for name in names:
            field, _, key = name.partition(".")
            if field not in fields:
                raise ValueError(f"DataTerms: {kind}.{field} is not a field of {cls.__name__}")
            if field in cls.natural_key:  # type: ignore[attr-defined]
                raise ValueError(
                    f"DataTerms: {kind}.{field} is part of {cls.__name__}'s natural key; it cannot be left out "
                    f"(distinct records would merge into one row)"
                )
            if key and not isinstance(fields[field].default, attrs.Factory):
                raise ValueError(f"DataTerms: {kind}.{name}: only a dict field may name a key after a dot")


@attrs.frozen
class DataTerms:
    """A vendor's data terms, as its documentation states them.

    - ``personal_fields``: record type name (``account``, ``post``, ``observation``,
      ``relation``) -> the fields that hold personal data under the vendor's terms; a dict
      field may name one key as ``metrics.<key>``. Left out of records unless the user keeps them.
    - ``retention_days``: the longest the vendor allows its data to be stored; None is no limit.
    - ``doc``: where the terms say so, for messages (``"Shareablee API docs, Don'ts"``).
    """

    personal_fields: Mapping[str, tuple[str, ...]] = attrs.field(
        factory=dict, converter=_fields_converter, validator=_check_fields
    )
    retention_days: int | None = attrs.field(default=None, validator=attrs.validators.optional(attrs.validators.ge(1)))
    doc: str = ""

    def redact(self, record: Record, dropped: set[str] | None = None) -> Record:
        """The record without its personal fields (scalars None, dicts emptied or without the key).

        ``dropped`` collects ``type.field`` for every field that actually held a value, so
        the run report names only what was left out.
        """
        kind = TYPE_NAMES[type(record)]
        names = self.personal_fields.get(kind)
        if not names:
            return record
        changes: dict[str, Any] = {}
        for name in names:
            field, _, key = name.partition(".")
            current = changes.get(field, getattr(record, field))
            if key:
                if isinstance(current, Mapping) and key in current:
                    changes[field] = {k: v for k, v in current.items() if k != key}
                    if dropped is not None:
                        dropped.add(f"{kind}.{name}")
            elif isinstance(current, Mapping):
                if current:
                    changes[field] = {}
                    if dropped is not None:
                        dropped.add(f"{kind}.{name}")
            elif current is not None:
                changes[field] = None
                if dropped is not None:
                    dropped.add(f"{kind}.{name}")
        return attrs.evolve(record, **changes) if changes else record


def keep_personal_data(vendor: Any, option: bool = False) -> bool:
    """Whether the user keeps the vendor's personal fields: ``option`` (``Options.keep_personal_data``,
    ``--keep-personal-data``), else ``SOCIALTAP_<VENDOR>_KEEP_PERSONAL_DATA`` (1/true/yes or 0/false/no).

    A value of the variable that is neither is a ConfigError: a typo must not decide
    whether personal data is stored.
    """
    if option:
        return True
    name = vendor.env_var("keep_personal_data")
    raw = os.environ.get(name, "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ConfigError(f"{name}={raw!r} is not understood; set it to 1 (keep personal data) or 0 (leave it out)")


def dropped_warning(vendor: Any, dropped: set[str]) -> str:
    """The run report's one warning naming the personal fields left out and how to keep them."""
    terms = vendor.terms
    source = f" ({terms.doc})" if terms is not None and terms.doc else ""
    return (
        f"{vendor.name}'s terms{source} forbid storing personal data, so these fields were left out (null): "
        f"{', '.join(sorted(dropped))}. If you have an agreement with {vendor.title} to keep them, pass "
        f"--keep-personal-data (Options(keep_personal_data=True)) or set {vendor.env_var('keep_personal_data')}=1"
    )


def file_retention_warning(vendor: Any, fmt: str, path: Any, today: Any) -> str | None:
    """The warning for an output socialtap cannot prune (JSON Lines, CSV), or None when the vendor sets no retention."""
    terms = vendor.terms
    if terms is None or terms.retention_days is None:
        return None
    import datetime as dt

    where = "this output" if path in (None, "-") else f"{path}"
    by = today + dt.timedelta(days=terms.retention_days)
    return (
        f"{vendor.name}'s terms allow keeping its data {terms.retention_days} days: delete the rows of {where} "
        f"({fmt}) by {by.isoformat()}; socialtap prunes only SQLite outputs"
    )


def retention_by_vendor(registry: Any) -> dict[str, int]:
    """Vendor name -> retention days, for every registered vendor that declares one."""
    out: dict[str, int] = {}
    for name, entry in registry.entries.items():
        terms = getattr(entry.vendor, "terms", None)
        if terms is not None and terms.retention_days is not None:
            out[name] = terms.retention_days
    return out
