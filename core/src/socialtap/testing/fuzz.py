"""Hypothesis strategies for fuzzing normalizers: arbitrary JSON and near misses of the docs' examples.

A vendor's normalizer meets whatever its API sends. Two kinds of payload probe it:

- :func:`json_values`: any JSON document (what a broken proxy or a changed API could send);
- :func:`near_misses`: a documented example with one to three fields changed: a value of
  another type, a key deleted, a value wrapped in a list, an empty or absurd value where a
  number or a date was. Most of the example still parses, so the normalizer gets deep.

The contract suite (:mod:`socialtap.testing.contract`) feeds both to every stream's
normalizer and accepts only records or a PayloadError naming a field path.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from typing import Any

from hypothesis import strategies as st

__all__ = ["json_values", "near_misses", "paths", "documented_keys"]

# Values a field tends to hold by mistake: wrong types, empty, out of range, not quite a date.
ODD_VALUES = (None, "", "x", "12", "-1", "2024-13-45", "NaN", 0, -1, 1.5, 10**20, True, False, [], {}, [None], {"": None})


def json_values(max_leaves: int = 12) -> st.SearchStrategy[Any]:
    """Any JSON document (no NaN: JSON has none), small enough to normalize quickly."""
    scalars = (
        st.none()
        | st.booleans()
        | st.integers(-(2**63), 2**63)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=20)
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
        max_leaves=max_leaves,
    )


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path (keys and list indexes) inside ``value``, containers included, root excluded."""
    if isinstance(value, dict):
        items: Sequence[tuple[Any, Any]] = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        return
    for key, item in items:
        yield (*prefix, key)
        yield from paths(item, (*prefix, key))


def documented_keys(value: Any) -> set[str]:
    """Every key of every object inside ``value``."""
    if isinstance(value, dict):
        return {str(k) for k in value} | {k for v in value.values() for k in documented_keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in documented_keys(v)}
    return set()


def _mutate(document: Any, path: tuple[Any, ...], how: str, replacement: Any) -> Any:
    parent = document
    for key in path[:-1]:
        try:
            parent = parent[key]
        except (KeyError, IndexError, TypeError):
            return document  # an earlier change removed the path
    last = path[-1]
    try:
        current = parent[last]
    except (KeyError, IndexError, TypeError):
        return document
    if how == "delete":
        del parent[last]
    elif how == "wrap":
        parent[last] = [current]
    elif how == "unwrap" and isinstance(current, list):
        parent[last] = current[0] if current else None
    else:
        parent[last] = replacement
    return document


def near_misses(examples: Sequence[Any], max_changes: int = 3) -> st.SearchStrategy[Any]:
    """One of ``examples`` with 1..``max_changes`` fields changed (see the module docstring)."""
    examples = [e for e in examples if isinstance(e, (dict, list))]
    if not examples:
        return st.nothing()

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        document = copy.deepcopy(draw(st.sampled_from(examples)))
        candidates = list(paths(document))
        if not candidates:
            return document
        for _ in range(draw(st.integers(1, max_changes))):
            path = draw(st.sampled_from(candidates))
            how = draw(st.sampled_from(["replace", "replace", "delete", "wrap", "unwrap"]))
            replacement = draw(st.sampled_from(ODD_VALUES) | json_values(max_leaves=4))
            document = _mutate(document, path, how, copy.deepcopy(replacement))
        return document

    return build()
