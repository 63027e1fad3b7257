"""Payload models of the four Upload-Post endpoints, field by field as the docs give them.

Every response is structured into these before normalization, so a response that drifts
from the documented shape fails as a PayloadError naming the field. Every documented
field is optional where the docs say it varies by platform (``reach`` is not reported by
YouTube, ``post_metrics`` is absent when ``post_metrics_error`` is present).

Two responses are objects keyed by platform (analytics, platform-metrics); they are
structured one platform at a time by :mod:`socialtap_uploadpost.normalize`, so a platform
the API answers with a "not supported" message (the docs promise "a message indicating
this for that specific platform" but print no example of it) is told apart from one
with data: see :func:`unsupported_message`.
"""

from __future__ import annotations

from typing import Any

import attrs

Number = int | float
"""A documented count: Upload-Post sends JSON numbers."""


@attrs.frozen
class DayValue:
    """One entry of ``reach_timeseries``: a day and its value."""

    date: str
    value: Number | None


@attrs.frozen
class PlatformAnalytics:
    """One platform's object in the analytics response ("Field Descriptions for Platform Analytics")."""

    followers: Number | None = None
    impressions: Number | None = None
    profileViews: Number | None = None  # noqa: N815 - the vendor's field name
    reach: Number | None = None
    likes: Number | None = None
    comments: Number | None = None
    shares: Number | None = None
    saves: Number | None = None
    reach_timeseries: list[DayValue] = attrs.Factory(list)
    metric_type: str | None = None
    primary_impressions_field: str | None = None
    available_metrics: list[str] | None = None
    metric_labels: dict[str, str] | None = None


PROFILE_METRICS: tuple[str, ...] = ("followers", "impressions", "profileViews", "reach", "likes", "comments", "shares", "saves")
"""The numeric fields of :class:`PlatformAnalytics`, in the docs' order."""


def unsupported_message(entry: Any) -> str | None:
    """The "not yet supported" message of a platform entry, or None for an entry with data.

    The docs do not print that message's shape. Read as the vendor most plausibly sends it:
    a bare string, or an object carrying a ``message`` or ``error`` string and none of the
    documented analytics fields.
    """
    if isinstance(entry, str):
        return entry
    if isinstance(entry, dict) and not any(name in entry for name in attrs.fields_dict(PlatformAnalytics)):
        for key in ("message", "error"):
            if isinstance(entry.get(key), str):
                return entry[key]
    return None


@attrs.frozen
class ImpressionTotals:
    """total-impressions in its default mode: ``total_impressions`` and, with breakdown, per platform and per day."""

    success: bool
    profile_username: str
    start_date: str
    end_date: str
    total_impressions: Number | None
    per_platform: dict[str, Number | None] | None = None
    per_day: dict[str, Number | None] | None = None
    platforms_filter: list[str] | None = None


@attrs.frozen
class MetricTotals:
    """total-impressions with ``metrics``: a ``metrics`` object, and breakdowns keyed by metric first."""

    success: bool
    profile_username: str
    start_date: str
    end_date: str
    metrics: dict[str, Number | None]
    per_platform: dict[str, dict[str, Number | None]] | None = None
    per_day: dict[str, dict[str, Number | None]] | None = None
    platforms_filter: list[str] | None = None


@attrs.frozen
class PostInfo:
    """``post``: the upload's metadata."""

    request_id: str
    profile_username: str
    post_title: str | None = None
    post_caption: str | None = None
    media_type: str | None = None
    upload_timestamp: str | None = None


@attrs.frozen
class PlatformPost:
    """``platforms.<platform>`` of post-analytics ("Per-Platform Response Fields")."""

    success: bool
    platform_post_id: str | None = None
    post_url: str | None = None
    post_metrics: dict[str, Number | None] | None = None
    post_metrics_source: str | None = None
    post_metrics_error: str | None = None
    profile_snapshot_at_post_date: dict[str, Number | None] | None = None
    profile_snapshot_latest: dict[str, Number | None] | None = None
    profile_snapshot_latest_date: str | None = None


@attrs.frozen
class PostAnalytics:
    """The post-analytics response."""

    success: bool
    post: PostInfo
    platforms: dict[str, PlatformPost] = attrs.Factory(dict)


@attrs.frozen
class PlatformConfig:
    """One platform of platform-metrics: its primary impressions field, metrics and labels."""

    primary_impressions_field: str | None = None
    available_metrics: list[str] = attrs.Factory(list)
    metric_labels: dict[str, str] = attrs.Factory(dict)
