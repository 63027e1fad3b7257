"""Upload-Post payloads -> socialtap records.

What each response becomes (entity ``profile`` is an Upload-Post profile, ``entity_id``
its ``profile_username``; ``platform`` the social platform, or ``all`` for a total
across platforms):

- **analytics**: per platform an ``Account`` (``account_id`` the profile; ``attributes``
  hold ``metric_type``, ``primary_impressions_field``, ``available_metrics``,
  ``metric_labels``), one snapshot ``Observation`` per documented number (as fetched:
  history is one row per UTC day), and ``reach_timeseries`` as dated observations named
  by ``metric_type``. A platform answered with a "not supported" message becomes an
  ``unavailable`` Account carrying the message, and a warning.
- **total-impressions**: the total (``platform`` ``all``, ``start_date``/``end_date``
  dimensions), per-platform parts and per-day totals (dated, ``platform`` ``all``).
- **post-analytics**: a ``Post`` per platform, the two profile snapshots as dated
  observations, and for a ``post_metrics_error`` a warning and an ``unavailable``
  ``post_metrics`` observation carrying the error.
- **platform-metrics**: ``Relation`` rows: each platform's primary impressions field,
  available metrics and labels.

Canonical names only where the meaning is the same everywhere. The docs say
``impressions`` is views on YouTube and TikTok, so there it is ``views``; ``profileViews``
is "accounts engaged" on Instagram, so there it keeps its vendor name (not canonical);
Upload-Post's deduplicated ``total_impressions`` is its own metric. In total-impressions'
``metrics`` mode a total and its parts keep the vendor's name, so the parts add up to the
total; a metric whose meaning differs by platform (``impressions``, ``profileViews``) is
marked ``canonical: false`` there. Totals sit on ``platform: all`` rows and parts on their
platform's rows, so adding up the parts of one metric never counts a total too.

Warnings (an unsupported platform, a post whose metrics could not be fetched) go to the
``socialtap.uploadpost`` logger: a normalizer has no channel to the run's report.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterator, Mapping
from typing import Any

from socialtap.errors import PayloadError, VendorError
from socialtap.metrics import canonical_metric
from socialtap.normalize import structure_payload
from socialtap.records import Account, Observation, Post, Record, Relation, utcnow
from socialtap_uploadpost.models import (
    PROFILE_METRICS,
    ImpressionTotals,
    MetricTotals,
    PlatformAnalytics,
    PlatformConfig,
    PlatformPost,
    PostAnalytics,
    unsupported_message,
)

VENDOR = "uploadpost"
ALL = "all"
"""``platform`` of a total across platforms (total-impressions without a per-platform breakdown)."""

log = logging.getLogger("socialtap.uploadpost")

VIEWS_PLATFORMS = ("youtube", "tiktok")
"""Where the docs say ``impressions`` are views: "(views for YouTube/TikTok)"."""

SERIES_METRIC_TYPES: dict[str, str] = {
    "facebook": "reach",
    "instagram": "reach",
    "linkedin": "reach",
    "youtube": "views",
    "tiktok": "views",
    "threads": "views",
    "x": "impressions",
    "pinterest": "impressions",
    "reddit": "score",
}
"""What ``reach_timeseries`` holds per platform, from the docs' ``metric_type`` list: used
only when a response leaves ``metric_type`` out (the docs' own example does)."""

MIXED_ACROSS_PLATFORMS = frozenset({"impressions", "profileViews"})
"""total-impressions metrics whose meaning differs by platform: their cross-platform total is not canonical."""

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}$")


def metric_name(platform: str, field: str) -> tuple[str, bool]:
    """``(metric, canonical)`` for a profile-level field on one platform (see the module docs)."""
    if field == "impressions" and platform in VIEWS_PLATFORMS:
        return "views", True
    if field == "profileViews":
        return ("profileViews", False) if platform == "instagram" else ("profile_views", True)
    return canonical_metric(field)


def day(value: Any, where: str) -> dt.date:
    """A documented ``YYYY-MM-DD`` day, or a PayloadError naming where it was."""
    if isinstance(value, str) and _DAY.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise PayloadError(f"uploadpost {where} is not a YYYY-MM-DD day: {value!r}", vendor=VENDOR)


def upload_time(value: str | None) -> dt.datetime | None:
    """``upload_timestamp`` (``2026-02-10 14:30:00``, no zone in the docs) read as UTC."""
    if value is None:
        return None
    if not _TIMESTAMP.match(value):
        raise PayloadError(f"uploadpost post.upload_timestamp is not 'YYYY-MM-DD HH:MM:SS': {value!r}", vendor=VENDOR)
    try:
        return dt.datetime.fromisoformat(value.replace(" ", "T")).replace(tzinfo=dt.UTC)
    except ValueError:
        raise PayloadError(f"uploadpost post.upload_timestamp is not a time: {value!r}", vendor=VENDOR) from None


def _status(value: Any) -> str:
    return "available" if value is not None else "unavailable"


def profile_value(platform: str, profile: str, metric: str, value: Any, **fields: Any) -> Observation:
    """An observation of an Upload-Post profile on one platform (or ``all``); no number is ``unavailable``."""
    fields.setdefault("status", _status(value))
    return Observation(VENDOR, platform, "profile", profile, metric, value, **fields)


def _sent(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _platform_key(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PayloadError(f"uploadpost {where}: a platform key must be a name, got {value!r}", vendor=VENDOR)
    return value


def _object(payload: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(payload, Mapping):
        raise PayloadError(f"uploadpost {where} response is not a JSON object: {type(payload).__name__} @ $", vendor=VENDOR)
    return payload


def _same(asked: Any, answered: str, what: str) -> None:
    """The answer is about what was asked: a record must never name another profile or post."""
    if isinstance(asked, str) and asked != answered:
        raise PayloadError(
            f"uploadpost asked for {what} {asked!r} but the answer is about {answered!r}; report it to Upload-Post",
            vendor=VENDOR,
        )


def _succeeded(success: bool, where: str) -> None:
    if not success:
        raise VendorError(
            f"Upload-Post answered {where} with success: false and no error status; retry later, "
            f"and report it if it persists (the docs document no such answer)",
            vendor=VENDOR,
        )


# -- analytics -------------------------------------------------------------------------


def normalize_profile_analytics(payload: Any, request: Any) -> Iterator[Record]:
    """Records of one profile's analytics (``GET /analytics/{profile_username}``)."""
    params = request.params
    profile = str(params.profile_username)
    fetched = utcnow()
    body = _object(payload, "profile_analytics")
    for requested in params.platforms:
        if requested not in body:
            log.warning("uploadpost: analytics of %s answered nothing for %s, which was requested", profile, requested)
    for key, entry in body.items():
        platform = _platform_key(key, "profile_analytics @ $")
        if platform not in params.platforms:
            # "each key corresponds to a requested platform": anything else is not analytics.
            log.warning("uploadpost: analytics of %s answered %r, which was not requested; skipped", profile, platform)
            continue
        message = unsupported_message(entry)
        if message is not None:
            log.warning("uploadpost: analytics of %s on %s are not available: %s", profile, platform, message)
            yield Account(VENDOR, platform, profile, status="unavailable", attributes={"message": message})
            continue
        data = structure_payload(entry, PlatformAnalytics, vendor=VENDOR, where=f"profile_analytics {platform}")
        yield from platform_records(platform, profile, data, params, fetched)


def platform_records(platform: str, profile: str, data: PlatformAnalytics, params: Any, fetched: dt.datetime) -> Iterator[Record]:
    """The Account, snapshots and daily series of one platform of one profile."""
    ids = {}
    dimensions = {}
    if platform == "facebook" and params.page_id:
        ids["page_id"] = dimensions["page_id"] = params.page_id
    if platform == "linkedin" and params.page_urn:
        ids["page_urn"] = dimensions["page_urn"] = params.page_urn
    kept = _sent(metric_type=data.metric_type, primary_impressions_field=data.primary_impressions_field)
    yield Account(
        VENDOR,
        platform,
        profile,
        ids=ids,
        attributes={**kept, **_sent(available_metrics=data.available_metrics, metric_labels=data.metric_labels)},
    )
    labels = data.metric_labels or {}
    for field in PROFILE_METRICS:
        value = getattr(data, field)
        if value is None:
            continue  # a platform reports only some fields; absent is not a null value
        metric, canonical = metric_name(platform, field)
        yield profile_value(
            platform,
            profile,
            metric,
            value,
            fetched_at=fetched,
            dimensions=dimensions,
            canonical=canonical,
            attributes={**kept, **_sent(metric_label=labels.get(field))},
        )
    series = data.metric_type or SERIES_METRIC_TYPES.get(platform, "reach_timeseries")
    metric, canonical = canonical_metric(series)
    for index, point in enumerate(data.reach_timeseries):
        yield profile_value(
            platform,
            profile,
            metric,
            point.value,
            date=day(point.date, f"profile_analytics {platform}.reach_timeseries[{index}].date"),
            dimensions=dimensions,
            canonical=canonical,
            attributes=kept,
        )


# -- total impressions ------------------------------------------------------------------


def normalize_total_impressions(payload: Any, request: Any) -> Iterator[Record]:
    """Records of one total-impressions answer, in either documented shape."""
    body = _object(payload, "total_impressions")
    fetched = utcnow()
    if "metrics" in body:
        data: ImpressionTotals | MetricTotals = structure_payload(
            body, MetricTotals, vendor=VENDOR, where="total_impressions (metrics)"
        )
    else:
        data = structure_payload(body, ImpressionTotals, vendor=VENDOR, where="total_impressions")
    _succeeded(data.success, "total-impressions")
    _same(getattr(request.params, "profile_username", None), data.profile_username, "profile_username")
    if isinstance(data, MetricTotals):
        yield from metric_totals(data, fetched)
    else:
        yield from impression_totals(data, fetched)


def _window(data: ImpressionTotals | MetricTotals) -> tuple[dict[str, str], dict[str, str], dict[str, Any]]:
    """(range dimensions, filter dimensions, filter attributes) of a total-impressions answer.

    The range and the platform filter change a total, so both are in its key; a per-day
    value depends on the filter but not on the range it was asked in.
    """
    day(data.start_date, "total_impressions.start_date")
    day(data.end_date, "total_impressions.end_date")
    window = {"start_date": data.start_date, "end_date": data.end_date}
    if not data.platforms_filter:
        return window, {}, {}
    return window, {"platforms_filter": ",".join(sorted(data.platforms_filter))}, {"platforms_filter": data.platforms_filter}


def impression_totals(data: ImpressionTotals, fetched: dt.datetime) -> Iterator[Record]:
    """Default mode: the deduplicated total, its per-platform parts and per-day totals."""
    window, only, kept = _window(data)
    profile = data.profile_username

    def total(platform: str, value: Any, **fields: Any) -> Observation:
        return profile_value(platform, profile, "total_impressions", value, canonical=False, **fields)

    yield total(ALL, data.total_impressions, fetched_at=fetched, dimensions={**window, **only}, attributes=kept)
    for key, value in (data.per_platform or {}).items():
        yield total(_platform_key(key, "total_impressions.per_platform"), value, fetched_at=fetched, dimensions=window)
    for key, value in (data.per_day or {}).items():
        yield total(ALL, value, date=day(key, "total_impressions.per_day key"), dimensions=only, attributes=kept)


def metric_totals(data: MetricTotals, fetched: dt.datetime) -> Iterator[Record]:
    """Custom-metrics mode: each metric's total, its per-platform parts and per-day totals."""
    window, only, kept = _window(data)
    profile = data.profile_username

    def value_of(platform: str, field: str, value: Any, **fields: Any) -> Observation:
        # One name for a total and its parts, so the parts of a metric add up to it: the
        # vendor's, canonical only where the meaning is the same on every platform.
        metric, canonical = canonical_metric(field)
        canonical = canonical and field not in MIXED_ACROSS_PLATFORMS
        return profile_value(platform, profile, metric, value, canonical=canonical, **fields)

    for field, value in data.metrics.items():
        yield value_of(ALL, field, value, fetched_at=fetched, dimensions={**window, **only}, attributes=kept)
    for field, parts in (data.per_platform or {}).items():
        for key, value in parts.items():
            platform = _platform_key(key, f"total_impressions.per_platform.{field}")
            yield value_of(platform, field, value, fetched_at=fetched, dimensions=window)
    for field, days in (data.per_day or {}).items():
        for key, value in days.items():
            when = day(key, f"total_impressions.per_day.{field} key")
            yield value_of(ALL, field, value, date=when, dimensions=only, attributes=kept)


# -- post analytics ---------------------------------------------------------------------


def normalize_post_analytics(payload: PostAnalytics, request: Any) -> Iterator[Record]:
    """A Post per platform the upload went to, with its profile snapshots."""
    _succeeded(payload.success, "post-analytics")
    post = payload.post
    _same(getattr(request.params, "request_id", None), post.request_id, "request_id")
    created = upload_time(post.upload_timestamp)
    fetched = utcnow()
    for key, entry in payload.platforms.items():
        platform = _platform_key(key, "post_analytics.platforms")
        yield from post_records(platform, post, entry, created, fetched)


def post_records(
    platform: str, post: Any, entry: PlatformPost, created: dt.datetime | None, fetched: dt.datetime
) -> Iterator[Record]:
    """The Post on one platform, its metrics' status and the two profile snapshots."""
    metrics = {canonical_metric(name)[0]: value for name, value in (entry.post_metrics or {}).items()}
    yield Post(
        VENDOR,
        platform,
        post.request_id,
        account_id=post.profile_username,
        url=entry.post_url,
        created_at=created,
        text=post.post_caption,
        media_type=post.media_type,
        metrics=metrics,
        ids=_sent(platform_post_id=entry.platform_post_id),
        attributes=_sent(
            post_title=post.post_title,
            upload_timestamp=post.upload_timestamp,
            success=entry.success,
            post_metrics_source=entry.post_metrics_source,
            post_metrics_error=entry.post_metrics_error,
        ),
    )
    if entry.post_metrics_error is not None:
        # "success" means published, not "metrics fetched": the post and its snapshots stay.
        log.warning(
            "uploadpost: metrics of post %s on %s could not be fetched: %s",
            post.request_id,
            platform,
            entry.post_metrics_error,
        )
        yield Observation(
            VENDOR,
            platform,
            "post",
            post.request_id,
            "post_metrics",
            None,
            fetched_at=fetched,
            status="unavailable",
            canonical=False,
            attributes={"post_metrics_error": entry.post_metrics_error},
        )
    at_post = created.date() if created is not None else None
    latest = None
    if entry.profile_snapshot_latest_date is not None:
        latest = day(entry.profile_snapshot_latest_date, f"post_analytics {platform}.profile_snapshot_latest_date")
    snapshots = (
        ("at_post_date", entry.profile_snapshot_at_post_date, at_post),
        ("latest", entry.profile_snapshot_latest, latest),
    )
    for name, snapshot, when in snapshots:
        for field, value in (snapshot or {}).items():
            metric, canonical = metric_name(platform, field)
            yield profile_value(
                platform,
                post.profile_username,
                metric,
                value,
                date=when,
                fetched_at=None if when else fetched,
                dimensions={"snapshot": name},
                canonical=canonical,
            )


# -- platform metrics -------------------------------------------------------------------


def normalize_platform_metrics(payload: Any, request: Any) -> Iterator[Record]:
    """Each platform's metrics configuration as relations of the platform to its metrics."""
    for key, entry in _object(payload, "platform_metrics").items():
        platform = _platform_key(key, "platform_metrics @ $")
        config = structure_payload(entry, PlatformConfig, vendor=VENDOR, where=f"platform_metrics {platform}")
        if config.primary_impressions_field is not None:
            yield Relation(VENDOR, platform, platform, "primary_impressions_field", config.primary_impressions_field)
        for metric in config.available_metrics:
            yield Relation(VENDOR, platform, platform, "available_metric", metric, config.metric_labels.get(metric))
        for metric, label in config.metric_labels.items():
            if metric not in config.available_metrics:
                yield Relation(VENDOR, platform, platform, "metric_label", metric, label)
