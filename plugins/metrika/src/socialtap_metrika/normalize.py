"""Metrika payload -> socialtap records: one Account per resource, one Observation per metric.

Documented statuses pass through unchanged: the resource ``status`` (available, pending,
not_found, unavailable) goes on the Account, each metric's own ``status`` (available,
unavailable, pending) on its Observation, and a null value stays null (never 0), so "not
collected yet" is never mistaken for "zero".

A status the docs do not list keeps its record (and the metric its value): a value that
is itself a socialtap record status (say ``below_threshold``) is used as is, anything
else becomes ``unavailable``, and a warning naming the resource and the status Metrika
sent goes to the ``socialtap.metrika`` logger (a normalizer has no channel to the run's
report). One new status never costs the other resources of the batch.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any

from socialtap.records import STATUSES, Account, Record, observation, utcnow
from socialtap_metrika.models import METRIC_STATUSES, RESOURCE_STATUSES, ResourceResult, SearchResponse
from socialtap_metrika.params import Resource

VENDOR = "metrika"
log = logging.getLogger("socialtap.metrika")

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


def record_status(status: str, documented: Sequence[str], where: str) -> str:
    """The record status for a Metrika ``status``: documented ones as they are; any other
    kept if socialtap knows the word, else ``unavailable``, with a warning either way."""
    if status in documented:
        return status
    kept = status if status in STATUSES else "unavailable"
    log.warning(
        "metrika: %s has status %r, which Metrika does not document (documented: %s); recorded as %r. "
        "Check the vendor's docs for the new status and report it so the plugin can map it.",
        where,
        status,
        ", ".join(documented),
        kept,
    )
    return kept


def normalize_accounts(response: SearchResponse, request: Any) -> Iterator[Record]:
    """Records of one batch, in the order the user listed its resources."""
    fetched = utcnow()
    requested = getattr(request.params, "resources", None) or []
    for result in in_request_order(response.data, requested):
        where = f"{result.platform}:{result.identifier}"
        yield Account(VENDOR, result.platform, result.identifier, status=record_status(result.status, RESOURCE_STATUSES, where))
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
                status=record_status(metric.status, METRIC_STATUSES, f"{where} metric {name!r}"),
            )
