"""docs/reference.md is generated from the code, complete, and in step with it."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

import socialtap.auth
import socialtap.pagination
from socialtap.hookdocs import building_blocks_reference, error_classes, undocumented
from socialtap.metrics import CANONICAL_METRICS
from socialtap.records import ENTITY_TYPES, STATUSES

REFERENCE = Path(__file__).parents[2] / "docs" / "reference.md"


def test_the_committed_reference_is_the_generated_one():
    assert REFERENCE.read_text() == building_blocks_reference(), "run `python -m socialtap.hookdocs --write`"


def test_every_public_building_block_is_documented():
    assert undocumented() == []


def test_the_reference_holds_what_a_plugin_author_looks_up():
    text = building_blocks_reference()
    for name in ("Vendor", "Stream", "Window", "RateLimit", "Credential", "Request", "Response"):
        assert f"### `{name}`" in text
    for needle in ("`Request.next_page(**changes: Any) -> Request`", "Request.with_query", "Request.query_value", "`items_seen`"):
        assert needle in text
    assert all(f"`{value}`" in text for value in (*ENTITY_TYPES, *STATUSES, *CANONICAL_METRICS))
    for cls in error_classes():
        row = next(line for line in text.splitlines() if line.startswith(f"| `{cls.__name__}` |"))
        assert "retry" in row.lower(), f"{cls.__name__}: say whether a retry helps"
    for module in (socialtap.auth, socialtap.pagination):
        for name in module.__all__:
            assert f"### `{name}" in text
    assert "`X-API-Key: k3y`" in text or "X-API-Key" in text


def test_an_undocumented_or_unexported_building_block_is_reported(monkeypatch):
    class NoDoc:
        pass

    def helper():
        pass

    @attrs.frozen
    class Scheme:
        """A scheme with a field nobody described."""

        secret_field: str = "x"

    for obj in (NoDoc, helper, Scheme):
        obj.__module__ = "socialtap.auth"
        monkeypatch.setattr(socialtap.auth, obj.__name__, obj, raising=False)
    monkeypatch.setattr(socialtap.auth, "__all__", [*socialtap.auth.__all__, "NoDoc", "Scheme"])
    found = undocumented()
    assert "socialtap.auth.NoDoc: no docstring" in found
    assert "socialtap.auth.helper: public but not in __all__" in found
    assert "socialtap.auth.Scheme.secret_field: no description" in found
    with pytest.raises(AssertionError):
        assert REFERENCE.read_text() == building_blocks_reference()


def test_the_reference_does_not_change_when_types_are_resolved():
    from socialtap import records

    before = building_blocks_reference()
    for cls in (records.Account, records.Post, records.Observation, records.Relation):
        attrs.resolve_types(cls)  # cattrs and other tests do this; field.type then stops being the text
    assert building_blocks_reference() == before
