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


def in_request_order(results: Sequence[ResourceResult], requested: Sequence[Resource]) -> list[ResourceResult]:
    """``results`` ordered like the request, exact repeats dropped.

    Metrika documents ``data`` in request order; ordering by the request anyway keeps the
    user's order if that ever slips. An entry is placed by its exact platform and
    identifier, else case-insensitively (in case the API echoes a canonical spelling);
    entries the request does not explain keep their place after the ones it does.
    """
    exact: dict[tuple[str, str], int] = {}
    loose: dict[tuple[str, str], int] = {}
    for index, resource in enumerate(requested):
        exact.setdefault((resource.platform, resource.identifier), index)
        loose.setdefault((resource.platform.lower(), resource.identifier.casefold()), index)

    def place(result: ResourceResult) -> int:
        key = (result.platform, result.identifier)
        return exact.get(key, loose.get((key[0].lower(), key[1].casefold()), len(requested)))

    unique = {(r.platform, r.identifier): r for r in reversed(results)}  # first occurrence wins
    kept = [r for r in results if unique.get((r.platform, r.identifier)) is r]
    return sorted(kept, key=place)


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
