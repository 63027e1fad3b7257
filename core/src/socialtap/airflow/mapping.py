"""Build the param sets a mapped ``SocialtapOperator`` expands over.

Dynamic task mapping gives one Airflow task per param set; how many ids go into one
task is a trade-off the user makes (one task per account isolates failures and retries;
chunks of 50 cut scheduling overhead and let the vendor's batch endpoints work), so the
chunk size is an argument, not a guess. Airflow-free: usable (and tested) without Airflow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from socialtap.errors import ConfigError


def param_sets(
    ids: Iterable[Any],
    key: str,
    *,
    chunk_size: int | None = None,
    base: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """One params dict per id (``chunk_size=None``: ``{key: id}``) or per chunk of ids
    (``chunk_size=n``: ``{key: [up to n ids]}``), each merged over ``base``.

    Ids keep their order; repeats are dropped (fetching an id twice in one run only
    duplicates records). Raises ConfigError on an empty id list or a bad chunk size.
    """
    if chunk_size is not None and (not isinstance(chunk_size, int) or isinstance(chunk_size, bool) or chunk_size < 1):
        raise ConfigError(f"chunk_size must be a positive integer or None, got {chunk_size!r}")
    if isinstance(ids, (str, bytes)):
        raise ConfigError(f"ids must be a list of ids, not one string ({ids!r}); wrap it in a list")
    unique = list(dict.fromkeys(ids))
    if not unique:
        raise ConfigError(f"no ids to build {key!r} param sets from; pass at least one id")
    common = dict(base or {})
    if key in common:
        raise ConfigError(f"base params already set {key!r}; the ids fill it, so remove it from base")
    if chunk_size is None:
        return [{**common, key: one} for one in unique]
    return [{**common, key: unique[i : i + chunk_size]} for i in range(0, len(unique), chunk_size)]
