"""``socialtap spec`` and ``socialtap catalog``: JSON Schema (draft 2020-12) from the declarations.

Nothing here is written by hand per vendor: the schemas are read off the attrs classes
(params, records) and the :class:`~socialtap.declarations.Credential` declarations, as
Airbyte's ``spec`` and Singer's ``--discover`` give them, so they cannot drift from what
socialtap validates and writes.

- **spec**: the credentials (each with its environment variable, ``writeOnly`` when secret,
  and the alternatives the auth scheme accepts) and each stream's params: types,
  required, defaults, enums, minimum/maximum, patterns, ``format: date`` for days, and
  the docs' description.
- **catalog**: per stream, the record types it yields, each with its JSON Schema (the
  shape of one JSON Lines item, ``type`` field included) and natural key.

Constraints come from attrs' own validators (``in_``, ``ge``/``le``/``gt``/``lt``,
``matches_re``, ``min_len``/``max_len``, ``and_``, ``optional``, ``deep_iterable``); a
plugin's own validator function may carry a ``json_schema`` dict attribute saying the
same in JSON Schema, a field may give ``metadata={"schema": {...}}`` (merged last), and a
param type with a structure hook of its own may define a ``json_schema()`` classmethod.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import types
import typing
from collections.abc import Mapping
from typing import Any

import attrs
import click

DRAFT = "https://json-schema.org/draft/2020-12/schema"

_SCALARS: dict[Any, dict[str, Any]] = {
    str: {"type": "string"},
    int: {"type": "integer"},
    float: {"type": "number"},
    bool: {"type": "boolean"},
    dt.date: {"type": "string", "format": "date"},
    dt.datetime: {"type": "string", "format": "date-time"},
    type(None): {"type": "null"},
}
_SEQUENCES = (list, tuple, set, frozenset)
_COMPARISONS = {">=": "minimum", "<=": "maximum", ">": "exclusiveMinimum", "<": "exclusiveMaximum"}


def type_schema(tp: Any, *, lenient_lists: bool = False) -> dict[str, Any]:
    """The JSON Schema of values of type ``tp`` as socialtap reads or writes them as JSON.

    ``lenient_lists``: a list may also be given as one item (params do that: ``-p ids=1``).
    """
    if tp in _SCALARS:
        return dict(_SCALARS[tp])
    if tp is Any or tp is object:
        return {}
    custom = getattr(tp, "json_schema", None)
    if isinstance(tp, type) and callable(custom):
        return dict(custom())
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return _union([type_schema(arg, lenient_lists=lenient_lists) for arg in args])
    if origin is typing.Literal:
        return {"enum": list(args)}
    if origin in _SEQUENCES or tp in _SEQUENCES:
        item = type_schema(args[0]) if args and args[0] is not Ellipsis else {}
        array = {"type": "array", "items": item}
        if origin in (set, frozenset):
            array["uniqueItems"] = True
        return {"anyOf": [array, item]} if lenient_lists and item else array
    if origin in (dict, Mapping) or tp is dict:
        value = type_schema(args[1]) if len(args) == 2 else {}
        return {"type": "object", "additionalProperties": value}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return {"enum": [member.value for member in tp]}
    if isinstance(tp, type) and attrs.has(tp):
        return object_schema(tp)
    return {}


def _union(members: list[dict[str, Any]]) -> dict[str, Any]:
    # ``X | None`` reads best as one type list (["string", "null"]) keeping X's format and
    # limits, which JSON Schema applies only to values of the types they concern.
    plain = [m for m in members if set(m) == {"type"}]
    others = [m for m in members if set(m) != {"type"}]
    types_ = [m["type"] for m in plain if isinstance(m["type"], str)]
    if len(others) == 1 and "type" in others[0] and isinstance(others[0]["type"], str) and len(plain) == len(members) - 1:
        return {**others[0], "type": [others[0]["type"], *types_]}
    if not others:
        return {"type": types_ if len(types_) > 1 else types_[0]}
    return {"anyOf": members}


def validator_schema(validator: Any, *, array: bool = False) -> dict[str, Any]:
    """What an attrs validator (or a plugin's with a ``json_schema`` attribute) requires, in JSON Schema.

    ``array``: the field holds a list, so lengths are ``minItems``/``maxItems``.
    """
    if validator is None:
        return {}
    declared = getattr(validator, "json_schema", None)
    if isinstance(declared, Mapping):
        return dict(declared)
    kind = type(validator).__name__
    if kind == "_AndValidator":
        merged: dict[str, Any] = {}
        for inner in validator._validators:
            merged.update(validator_schema(inner, array=array))
        return merged
    if kind == "_OptionalValidator":
        return validator_schema(validator.validator, array=array)
    if kind == "_InValidator":
        return {"enum": [_jsonable(option) for option in validator.options]}
    if kind == "_NumberValidator" and validator.compare_op in _COMPARISONS:
        return {_COMPARISONS[validator.compare_op]: validator.bound}
    if kind == "_MatchesReValidator":
        return {"pattern": validator.pattern.pattern}
    if kind == "_MinLengthValidator":
        return {"minItems" if array else "minLength": validator.min_length}
    if kind == "_MaxLengthValidator":
        return {"maxItems" if array else "maxLength": validator.max_length}
    if kind == "_DeepIterable" and validator.member_validator is not None:
        return {"items": validator_schema(validator.member_validator)}
    return {}


def _apply(schema: dict[str, Any], constraints: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with ``constraints`` on it, or on its array form and item of a lenient list."""
    if not constraints:
        return schema
    if "anyOf" in schema and len(schema["anyOf"]) == 2 and schema["anyOf"][0].get("type") == "array":
        array, item = schema["anyOf"]
        items = constraints.pop("items", None)
        on_array = {k: v for k, v in constraints.items() if k in ("minItems", "maxItems", "uniqueItems")}
        on_item = {k: v for k, v in constraints.items() if k not in on_array}
        if items:
            on_item = {**on_item, **items}
        array = {**array, **on_array, "items": {**array["items"], **on_item}}
        return {"anyOf": [array, {**item, **on_item}]}
    if "items" in constraints and "items" in schema:
        constraints = {**constraints, "items": {**schema["items"], **constraints["items"]}}
    return {**schema, **constraints}


def field_schema(field: attrs.Attribute, *, lenient_lists: bool = False) -> dict[str, Any]:
    """One attrs field: its type, its validators' constraints, default, description and overrides."""
    schema = type_schema(field.type, lenient_lists=lenient_lists)
    is_array = "array" in json.dumps(schema.get("type", ""))
    schema = _apply(schema, validator_schema(field.validator, array=is_array))
    default = field.default
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        default = None if default.takes_self else default.factory()
    if default is not attrs.NOTHING and default is not None:
        schema["default"] = _jsonable(default)
    doc = field.metadata.get("doc")
    if doc:
        schema["description"] = doc
    schema.update(field.metadata.get("schema", {}))
    return schema


def object_schema(cls: type, *, lenient_lists: bool = False) -> dict[str, Any]:
    """An attrs class as a closed JSON object: each field a property, required when it has no default."""
    attrs.resolve_types(cls)
    fields = attrs.fields(cls)
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {(f.alias or f.name): field_schema(f, lenient_lists=lenient_lists) for f in fields},
        "additionalProperties": False,
    }
    required = [f.alias or f.name for f in fields if f.default is attrs.NOTHING]
    if required:
        schema["required"] = required
    doc = (cls.__doc__ or "").strip().split("\n\n")[0]
    if doc:
        schema["description"] = " ".join(doc.split())
    return schema


def limits(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The allowed values (``allowed``) and bounds (``minimum``/``maximum``) a field's schema
    states, for listings: from the value itself, a list's items or a lenient list's item."""
    candidates = [
        schema,
        schema.get("items", {}),
        *schema.get("anyOf", []),
        *(s.get("items", {}) for s in schema.get("anyOf", [])),
    ]
    found: dict[str, Any] = {}
    for candidate in candidates:
        if "enum" in candidate and "allowed" not in found:
            found["allowed"] = candidate["enum"]
        for bound in ("minimum", "maximum"):
            if bound in candidate and bound not in found:
                found[bound] = candidate[bound]
    return found


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    try:
        json.dumps(value)
    except TypeError:
        return str(value)
    return value


# -- spec ------------------------------------------------------------------------------


def credentials_schema(vendor: Any) -> dict[str, Any]:
    """The vendor's credentials and base URL as a JSON Schema, with their env vars (``x-env``)."""
    declared = {c.name: c for c in vendor.credentials}
    names = list(dict.fromkeys([*declared, *(n for group in vendor.auth.fields() for n in group)]))
    properties: dict[str, Any] = {}
    for name in names:
        credential = declared.get(name)
        secret = credential.secret if credential is not None else True
        prop: dict[str, Any] = {"type": "string", "minLength": 1, "x-env": vendor.env_var(name)}
        if credential is not None and credential.doc:
            prop["description"] = credential.doc
        if secret:
            prop["writeOnly"] = True
        properties[name] = prop
    properties["base_url"] = {
        "type": "string",
        "format": "uri",
        "pattern": "^https?://",
        "default": vendor.base_url,
        "description": "The API root; only its origin receives the credentials.",
        "x-env": vendor.env_var("base_url"),
    }
    schema: dict[str, Any] = {
        "$schema": DRAFT,
        "title": f"{vendor.title} credentials",
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    groups = [list(group) for group in vendor.auth.fields()]
    if len(groups) == 1:
        schema["required"] = groups[0]
    elif groups:
        schema["anyOf"] = [{"required": group} for group in groups]
    return schema


def params_schema(stream: Any) -> dict[str, Any]:
    """A stream's params as a JSON Schema; a list param also takes one value (``-p ids=1``)."""
    schema = object_schema(stream.params, lenient_lists=True)
    schema.pop("description", None)
    return {"$schema": DRAFT, "title": f"{stream.name} params", "description": stream.description, **schema}


def spec(vendor: Any, stream: str | None = None) -> dict[str, Any]:
    """``socialtap spec``: the credentials' schema and every stream's (or one stream's) params schema."""
    streams = [vendor.stream(stream)] if stream is not None else list(vendor.streams)
    document: dict[str, Any] = {"vendor": vendor.name, "title": vendor.title}
    if vendor.docs_url:
        document["docs_url"] = vendor.docs_url
    document["credentials"] = credentials_schema(vendor)
    document["streams"] = {s.name: params_schema(s) for s in streams}
    return document


# -- catalog ---------------------------------------------------------------------------


def record_schema(cls: type) -> dict[str, Any]:
    """One record type as a JSON Lines item: its fields plus the ``type`` field."""
    from socialtap.records import TYPE_NAMES

    schema = object_schema(cls)
    name = TYPE_NAMES[cls]
    schema["properties"] = {"type": {"const": name}, **schema["properties"]}
    schema["required"] = ["type", *schema.get("required", [])]
    return {"$schema": DRAFT, "title": name, **schema}


def catalog(vendor: Any) -> dict[str, Any]:
    """``socialtap catalog``: per stream, the record types it yields with schema and natural key."""
    from socialtap.records import TYPE_NAMES

    return {
        "vendor": vendor.name,
        "streams": [
            {
                "name": s.name,
                "description": s.description,
                "method": s.method,
                "path": s.path,
                "records": [
                    {"type": TYPE_NAMES[cls], "natural_key": list(cls.natural_key), "schema": record_schema(cls)}
                    for cls in s.records
                ],
            }
            for s in vendor.streams
        ],
    }


def item_schema(vendor: Any, stream: str) -> dict[str, Any]:
    """The schema any one JSON Lines item of ``stream`` matches: one of its record types."""
    declared = vendor.stream(stream)
    return {"$schema": DRAFT, "oneOf": [record_schema(cls) for cls in declared.records]}


# -- commands --------------------------------------------------------------------------


_SINGER_FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "singer"]),
    default="json",
    show_default=True,
    help="singer: a Singer tap's --about (spec) or --discover catalog (catalog).",
)


@click.command("spec")
@click.argument("vendor")
@click.argument("stream", required=False)
@_SINGER_FORMAT
def spec_command(vendor: str, stream: str | None, fmt: str) -> None:
    """Print JSON Schema (draft 2020-12) of VENDOR's credentials and its streams' params."""
    from socialtap.cli import handled
    from socialtap.plugins import get_registry

    with handled():
        declared = get_registry().get(vendor)
        if fmt == "singer":
            from socialtap.singer import about

            click.echo(json.dumps(about(declared), indent=2))
            return
        click.echo(json.dumps(spec(declared, stream), indent=2))


@click.command("catalog")
@click.argument("vendor")
@_SINGER_FORMAT
def catalog_command(vendor: str, fmt: str) -> None:
    """Print each of VENDOR's streams with its record types' JSON Schema and natural keys."""
    from socialtap.cli import handled
    from socialtap.plugins import get_registry

    with handled():
        declared = get_registry().get(vendor)
        if fmt == "singer":
            from socialtap import singer

            click.echo(json.dumps(singer.catalog(declared), indent=2))
            return
        click.echo(json.dumps(catalog(declared), indent=2))
