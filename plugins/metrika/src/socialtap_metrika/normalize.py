"""Metrika payload -> socialtap records: one Account per resource, one Observation per metric.

Statuses pass through unchanged: the resource ``status`` (available, pending, not_found,
unavailable) goes on the Account, each metric's own ``status`` on its Observation, and a
null value stays null (never 0), so "not collected yet" is never mistaken for "zero".
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from socialtap.records import Account, Record, observation, utcnow
from socialtap_metrika.models import ResourceResult, SearchResponse
from socialtap_metrika.params import Resource

VENDOR = "metrika"

METRIC_NAMES: dict[str, str] = {"followers": "followers"}
"""Metrika metric names that differ from (or are) canonical names. A name not listed here
and not canonical keeps its Metrika name with ``canonical=False``."""


def _key(platform: str, identifier: str) -> tuple[str, str]:
    return platform.lower(), identifier.casefold()


def in_request_order(results: Sequence[ResourceResult], requested: Sequence[Resource]) -> list[ResourceResult]:
    """``results`` ordered like the request, later repeats dropped.

    Metrika documents ``data`` in request order; ordering by the request anyway keeps the
    user's order if that ever slips. Entries the request does not explain keep their
    place after the ones it does.
    """
    position = {}
    for index, resource in enumerate(requested):
        position.setdefault(_key(resource.platform, resource.identifier), index)
    seen: set[tuple[str, str]] = set()
    kept: list[ResourceResult] = []
    for result in results:
        key = _key(result.platform, result.identifier)
        if key not in seen:
            seen.add(key)
            kept.append(result)
    unknown = len(position)
    return sorted(kept, key=lambda r: position.get(_key(r.platform, r.identifier), unknown))


def normalize_accounts(response: SearchResponse, request: Any) -> Iterator[Record]:
    """Records of one batch, in the order the user listed its resources."""
    fetched = utcnow()
    requested = getattr(request.params, "resources", None) or []
    for result in in_request_order(response.data, requested):
        yield Account(VENDOR, result.platform, result.identifier, status=result.status)
        for name, metric in (result.metrics or {}).items():
            yield observation(
                VENDOR,
                result.platform,
                "account",
                result.identifier,
                name,
                metric.value,
                mapping=METRIC_NAMES,
                fetched_at=fetched,
                status=metric.status,
            )
