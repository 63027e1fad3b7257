"""De-duplication and batching of list params, order kept."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def dedupe(items: Iterable[T], key: Callable[[T], Hashable] | None = None) -> list[T]:
    """Items in first-seen order with later duplicates (by ``key``) dropped."""
    seen: set[Hashable] = set()
    kept: list[T] = []
    for item in items:
        marker = key(item) if key else _hashable(item)
        if marker not in seen:
            seen.add(marker)
            kept.append(item)
    return kept


def batches(items: Sequence[T], size: int | None) -> Iterator[list[T]]:
    """Consecutive slices of at most ``size`` items (one slice when size is None)."""
    if not items:
        return
    if size is None:
        yield list(items)
        return
    if size < 1:
        raise ValueError("batch size must be at least 1")
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _hashable(item: Any) -> Hashable:
    if hasattr(item, "dedupe_key"):
        return item.dedupe_key
    try:
        hash(item)
        return item
    except TypeError:
        return repr(item)
