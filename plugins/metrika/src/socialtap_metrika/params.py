"""Params of the ``accounts`` stream: the ``resources`` list and how users may write it.

A resource is written either as an object (``{"platform": "instagram", "identifier":
"natgeo", "type": "account"}``, as the API takes it) or as the short string
``"instagram:natgeo"`` that fits on a command line (``-p resources=instagram:natgeo``).
Both become one :class:`Resource`, so de-duplication (same platform + type +
identifier, as the API counts duplicates) works whichever form the user chose.

Importing this module registers the structure hook on ``socialtap.params.converter``,
which is how the core's params validation learns the type.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from socialtap.params import converter

PLATFORMS: tuple[str, ...] = ("facebook", "instagram", "linkedin", "threads", "tiktok", "x", "youtube")
"""Platform codes Metrika documents for ``resources[].platform``."""

RESOURCE_TYPES: tuple[str, ...] = ("account",)
"""Resource types Metrika documents for ``resources[].type``."""

_KEYS = ("platform", "identifier", "type")


@attrs.frozen
class Resource:
    """One social resource to look up. Equal resources are the API's duplicates."""

    platform: str
    identifier: str
    type: str = "account"

    def as_body(self) -> dict[str, str]:
        """The resource as the API's request body item (field order as documented)."""
        return {"platform": self.platform, "type": self.type, "identifier": self.identifier}

    def __str__(self) -> str:
        return f"{self.platform}:{self.identifier}"

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """Both written forms, in JSON Schema, for ``socialtap spec`` (see :func:`parse_resource`)."""
        return {
            "anyOf": [
                {"type": "string", "pattern": f"^({'|'.join(PLATFORMS)}):.*\\S", "examples": ["instagram:natgeo"]},
                {
                    "type": "object",
                    "properties": {
                        "platform": {"enum": list(PLATFORMS)},
                        "identifier": {"type": ["string", "integer"]},
                        "type": {"enum": list(RESOURCE_TYPES), "default": "account"},
                    },
                    "required": ["platform", "identifier"],
                    "additionalProperties": False,
                },
            ]
        }


def _text(value: Any, what: str) -> str:
    # Numeric ids arrive as JSON numbers from --params; they are still identifiers.
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError(f"{what} must be a string, got {value!r}")
    return str(value).strip()


def _platform(value: Any) -> str:
    platform = _text(value, "platform").lower()
    if platform not in PLATFORMS:
        raise ValueError(f"unknown platform {value!r}; Metrika supports: {', '.join(PLATFORMS)}")
    return platform


def _type(value: Any) -> str:
    kind = _text(value, "type").lower()
    if kind not in RESOURCE_TYPES:
        raise ValueError(f"unknown resource type {value!r}; Metrika supports: {', '.join(RESOURCE_TYPES)}")
    return kind


def _identifier(value: Any) -> str:
    identifier = _text(value, "identifier")
    if not identifier:
        raise ValueError("identifier must not be empty; give a username or id, e.g. instagram:natgeo")
    return identifier


def parse_resource(value: Any) -> Resource:
    """A :class:`Resource` from an object, a ``"platform:identifier"`` string or a Resource.

    Raises ValueError with a message that says what a valid resource looks like; the
    core's params validation reports it with the item's path (``$.resources[2]``).
    """
    if isinstance(value, Resource):
        return parse_resource(value.as_body())
    if isinstance(value, str):
        platform, sep, identifier = value.partition(":")
        if not sep:
            raise ValueError(
                f"resource {value!r} must look like platform:identifier (e.g. instagram:natgeo) "
                f'or be an object {{"platform": ..., "identifier": ..., "type": "account"}}'
            )
        return Resource(_platform(platform), _identifier(identifier))
    if isinstance(value, Mapping):
        extra = sorted(str(k) for k in value if k not in _KEYS)
        if extra:
            raise ValueError(f"unexpected key(s) {', '.join(map(repr, extra))} in resource; a resource has: {', '.join(_KEYS)}")
        missing = [k for k in ("platform", "identifier") if value.get(k) is None]
        if missing:
            raise ValueError(f"resource {dict(value)!r} is missing {' and '.join(map(repr, missing))}")
        return Resource(_platform(value["platform"]), _identifier(value["identifier"]), _type(value.get("type", "account")))
    raise ValueError(f"resource must be a platform:identifier string or an object, got {value!r}")


def _structure_resource(value: Any, _type: Any) -> Resource:
    return parse_resource(value)


def _check_resources(_instance: Any, _attribute: Any, value: list[Resource]) -> None:
    if not value:
        raise ValueError("give at least one resource, e.g. -p resources=instagram:natgeo")


@attrs.frozen
class AccountsParams:
    """Params of the ``accounts`` stream."""

    resources: list[Resource] = attrs.field(
        validator=_check_resources,
        metadata={
            "doc": "accounts to look up: platform:identifier strings or "
            '{"platform", "identifier", "type"} objects; platforms: ' + ", ".join(PLATFORMS)
        },
    )


converter.register_structure_hook(Resource, _structure_resource)
converter.register_unstructure_hook(Resource, lambda r: r.as_body())
