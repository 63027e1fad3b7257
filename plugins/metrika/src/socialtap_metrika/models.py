"""Payload models of ``POST /resources/search``, field by field as Metrika documents them.

The core structures every response into :class:`SearchResponse` before normalization, so
a response that drifts from the documented shape (a missing ``status``, a string where a
number belongs) fails as a PayloadError naming the field path instead of writing wrong
records. A status value the docs do not list is not a shape error: it is kept as a
string here, and the normalizer maps it (see :mod:`socialtap_metrika.normalize`), so one
new status does not lose the other resources of the batch.
"""

from __future__ import annotations

from typing import Literal, get_args

import attrs

ResourceStatus = Literal["available", "pending", "not_found", "unavailable"]
"""Resource-level ``status``: is the social account known and being collected."""

MetricStatus = Literal["available", "unavailable", "pending"]
"""Metric-level ``status``: is this number ready, impossible on the platform, or coming."""

RESOURCE_STATUSES: tuple[str, ...] = get_args(ResourceStatus)
METRIC_STATUSES: tuple[str, ...] = get_args(MetricStatus)


@attrs.frozen
class Metric:
    """``metrics.<name>``: a value (null when the account could not be resolved) and its status."""

    value: int | float | None
    status: str  # documented: MetricStatus


@attrs.frozen
class ResourceResult:
    """One entry of ``data``: one requested resource, in request order."""

    platform: str
    identifier: str
    status: str  # documented: ResourceStatus
    # Documented as always present; tolerate null/absent for an unresolved resource.
    metrics: dict[str, Metric] | None = None


@attrs.frozen
class SearchResponse:
    """The 200 body: ``{"data": [...]}``."""

    data: list[ResourceResult]
