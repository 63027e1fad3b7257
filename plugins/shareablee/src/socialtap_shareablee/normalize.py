"""Small functions mapping Shareablee payloads onto socialtap records.

- content, top content -> ``Post`` with canonical metrics (each service's field names);
- metrics -> ``Observation`` per field (``fans_by_country`` -> a ``country`` dimension);
- time series -> dated Observations; realtime -> a ``date_offset`` dimension;
- overlap / affinity -> a ``compared_entity`` dimension; ``'-'`` is status
  ``unavailable`` and ``'*'`` is ``below_threshold``, both with value None (never 0);
- rankings -> a ``rank`` dimension; page insights -> dated Observations, nested
  feedback maps -> dimensions;
- cross platform info and category members -> one ``Account`` per service (members also
  a ``category_member`` Relation from the category);
- ``/me`` lists and find -> ``Relation``\\ s from the token (``me``) with ``authorized`` as value.

An aggregate over a date range carries a ``period`` dimension (``start/end``) so runs for
different periods do not overwrite each other where records are upserted.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from socialtap.errors import PayloadError
from socialtap.http import Request
from socialtap.normalize import structure_payload
from socialtap.records import Account, Observation, Post, Relation, observation, utcnow
from socialtap_shareablee import catalog, models

VENDOR = "shareablee"
CROSS_PLATFORM = "cross_platform"
"""Platform of records that span services (a token's access lists, multi-service rankings)."""

log = logging.getLogger("socialtap.shareablee")

METRICS: dict[str, str] = {
    "latest_fans": "followers",
    "latest_followers": "followers",
    "followers_count": "followers",
    "fans": "followers",
    "fans_by_country": "followers",
    "likes_count": "likes",
    "comments_count": "comments",
    "shares_count": "shares",
    "total_actions": "engagements",
    "native_video_views": "video_views",
    "total_modeled_impressions_count": "impressions",
}
"""Shareablee metric fields with a canonical twin; every other field keeps its own name."""

POST_METRICS: dict[str, str] = {
    "likes_count": "likes",
    "like_count": "likes",
    "reactions_count": "reactions",
    "comments_count": "comments",
    "comment_count": "comments",
    "shares_count": "shares",
    "share_count": "shares",
    "retweet_count": "shares",
    "total_actions": "engagements",
    "native_video_views": "video_views",
    "impression_count": "impressions",
}
"""Post fields per service (facebook likes/reactions/shares/comments, twitter retweet/like,
instagram likes/comments; the content example's singular spellings too)."""

INSIGHTS_METRICS: dict[str, str] = {
    "page_impressions": "impressions",
    "page_reach": "reach",
    "page_video_views": "video_views",
    "page_views": "profile_views",
}

STATUS_MARKERS: dict[str, str] = {"-": "unavailable", "*": "below_threshold"}
"""Overlap values that are not numbers: '-' unavailable, '*' below the reporting threshold."""


# --- small helpers ---------------------------------------------------------------------


def value_status(raw: Any, path: str) -> tuple[int | float | None, str]:
    """``(value, status)`` of a metric value: a number, None, ``'-'`` or ``'*'``."""
    if isinstance(raw, bool):
        raise PayloadError(f"shareablee: expected a number at {path}, got {raw!r}", vendor=VENDOR)
    if isinstance(raw, (int, float)):
        return raw, "available"
    if raw is None:
        return None, "unavailable"
    if isinstance(raw, str):
        marker = raw.strip()
        if marker in STATUS_MARKERS:
            return None, STATUS_MARKERS[marker]
        try:
            number = float(marker)
        except ValueError:
            pass
        else:
            return (int(number) if number.is_integer() and "." not in marker else number), "available"
    raise PayloadError(
        f"shareablee: expected a number, '-' or '*' at {path}, got {raw!r}. The vendor may have changed its API.",
        vendor=VENDOR,
    )


def unit_of(metric: str) -> str | None:
    return "percent" if "percent" in metric else None


def period(start: dt.date | None, end: dt.date | None) -> dict[str, str]:
    """The ``period`` dimension of an aggregate over a date range (none without dates)."""
    if start is None or end is None:
        return {}
    return {"period": f"{start.isoformat()}/{end.isoformat()}"}


def params_period(request: Request) -> dict[str, str]:
    params = request.params
    return period(getattr(params, "start_date", None), getattr(params, "end_date", None))


def parse_time(raw: str | None, path: str) -> dt.datetime | None:
    """ISO 8601 (``...+00:00``, ``...Z``) or Twitter's ``Mon Jul 29 00:37:26 +0000 2013``."""
    if not raw:
        return None
    try:
        parsed = dt.datetime.fromisoformat(raw)
    except ValueError:
        try:
            parsed = dt.datetime.strptime(raw, "%a %b %d %H:%M:%S %z %Y")
        except ValueError:
            raise PayloadError(f"shareablee: unreadable time {raw!r} at {path}", vendor=VENDOR) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def metric_obs(
    platform: str,
    entity_type: str,
    entity_id: Any,
    name: str,
    raw: Any,
    path: str,
    *,
    mapping: Mapping[str, str] = METRICS,
    **fields: Any,
) -> Observation:
    value, status = value_status(raw, path)
    return observation(
        VENDOR, platform, entity_type, entity_id, name, value, mapping=mapping, status=status, unit=unit_of(name), **fields
    )


def platform_of(services: list[str]) -> str:
    return services[0] if len(services) == 1 else CROSS_PLATFORM


# --- posts -----------------------------------------------------------------------------


def to_post(item: models.ContentItem, platform: str, account_id: str | None, path: str) -> Post:
    post_id = item.post_id if item.post_id is not None else item.status_id
    if post_id is None:
        raise PayloadError(f"shareablee: a post without post_id or status_id at {path}", vendor=VENDOR)
    metrics: dict[str, Any] = {}
    for name in models.CONTENT_METRICS:
        raw = getattr(item, name)
        if raw is not None:
            metrics[POST_METRICS.get(name, name)] = raw
    return Post(
        VENDOR,
        platform,
        str(post_id),
        account_id=str(item.entity_id) if item.entity_id is not None else account_id,
        url=item.post_url or item.link,
        created_at=parse_time(item.created_at or item.created_time, path),
        text=item.content,
        media_type=item.post_type,
        metrics=metrics,
    )


def normalize_content(page: models.UserContentPage, request: Request) -> Iterator[Post]:
    params = request.params
    for i, item in enumerate(page.content):
        yield to_post(item, params.service, params.entity_id, f"$.content[{i}]")


def normalize_top_content(payload: models.TopContent, request: Request) -> Iterator[Post]:
    account = getattr(request.params, "entity_id", None)
    for i, entry in enumerate(payload.top_content):
        yield to_post(entry.fields, entry.service, account, f"$.top_content[{i}].fields")


# --- metrics and series ----------------------------------------------------------------


def _chain_entity(request: Request) -> tuple[str, str]:
    """``(entity type, id)`` of the chain: a user's entity_id or a category_id."""
    params = request.params
    if hasattr(params, "category_id"):
        return "category", str(params.category_id)
    return "account", str(params.entity_id)


def normalize_metrics(payload: models.MetricsResponse, request: Request) -> Iterator[Observation]:
    entity_type, entity_id = _chain_entity(request)
    platform = request.params.service
    common = {"fetched_at": utcnow()}
    dims = params_period(request)
    for name, raw in payload.metrics.items():
        path = f"$.metrics.{name}"
        if name == "fans_by_country":
            shares = structure_payload(raw, list[models.CountryShare], vendor=VENDOR, where=path)
            for share in shares:
                country = {**dims, "country": share.code}
                yield metric_obs(platform, entity_type, entity_id, name, share.value, path, dimensions=country, **common)
                yield metric_obs(
                    platform, entity_type, entity_id, f"{name}_percent", share.percent, path, dimensions=country, **common
                )
        elif isinstance(raw, (dict, list)):
            log.debug("shareablee: skipping nested metric %s (no documented shape)", name)
        else:
            yield metric_obs(platform, entity_type, entity_id, name, raw, path, dimensions=dims, **common)


def normalize_time_series(payload: models.TimeSeries, request: Request) -> Iterator[Observation]:
    entity_type, entity_id = _chain_entity(request)
    platform = request.params.service
    for name, points in payload.series.items():
        for i, point in enumerate(points):
            yield metric_obs(platform, entity_type, entity_id, name, point.value, f"$.{name}[{i}].value", date=point.date)


def normalize_realtime_time_series(payload: models.RealtimeTimeSeries, request: Request) -> Iterator[Observation]:
    entity_type, entity_id = _chain_entity(request)
    platform = request.params.service
    fetched = utcnow()
    for name, points in payload.series.items():
        for i, point in enumerate(points):
            yield metric_obs(
                platform,
                entity_type,
                entity_id,
                name,
                point.value,
                f"$.{name}[{i}].value",
                dimensions={"date_offset": str(point.date_offset)},
                fetched_at=fetched,
            )


# --- audience overlap and affinity -----------------------------------------------------


def _overlap(payload: models.OverlapResponse, request: Request, *, ranked: bool) -> Iterator[Observation]:
    platform = payload.service or request.params.service
    entity_id = str(request.params.entity_id)
    fetched = utcnow()
    dims = period(payload.start_date, payload.end_date)
    for i, result in enumerate(payload.results):
        other = result.entity_id if result.entity_id is not None else result.object_id
        extra = {"compared_entity": str(other), **({"rank": str(i + 1)} if ranked else {})}
        yield metric_obs(
            platform,
            "account",
            entity_id,
            "audience_percent_overlap",
            result.audience_percent_overlap,
            f"$.results[{i}].audience_percent_overlap",
            dimensions={**dims, **extra},
            fetched_at=fetched,
        )


def normalize_overlap_comparison(payload: models.OverlapResponse, request: Request) -> Iterator[Observation]:
    return _overlap(payload, request, ranked=False)


def normalize_overlap_ranking(payload: models.OverlapResponse, request: Request) -> Iterator[Observation]:
    return _overlap(payload, request, ranked=True)


def _affinity(payload: models.AffinityResponse, request: Request, *, ranked: bool) -> Iterator[Observation]:
    platform = payload.service or request.params.service
    entity_id = str(request.params.entity_id)
    fetched = utcnow()
    dims = period(payload.start_date, payload.end_date)
    if payload.unique_engaged_users is not None:
        yield metric_obs(
            platform,
            "account",
            entity_id,
            "unique_engaged_users",
            payload.unique_engaged_users,
            "$.unique_engaged_users",
            dimensions=dims,
            fetched_at=fetched,
        )
    for i, result in enumerate(payload.results):
        extra = {"compared_entity": str(result.object_id), **({"rank": str(i + 1)} if ranked else {})}
        for name in ("affinity", "unique_engaged_users"):
            yield metric_obs(
                platform,
                "account",
                entity_id,
                name,
                getattr(result, name),
                f"$.results[{i}].{name}",
                dimensions={**dims, **extra},
                fetched_at=fetched,
            )


def normalize_affinity_comparison(payload: models.AffinityResponse, request: Request) -> Iterator[Observation]:
    return _affinity(payload, request, ranked=False)


def normalize_affinity_ranking(payload: models.AffinityResponse, request: Request) -> Iterator[Observation]:
    return _affinity(payload, request, ranked=True)


# --- page insights ---------------------------------------------------------------------


def breakdown_dimension(metric: str) -> str:
    """``page_negative_feedback_by_type`` -> ``type``; any other nested map -> ``key``."""
    return metric.rsplit("_by_", 1)[1] if "_by_" in metric else "key"


def normalize_page_insights(payload: models.PageInsights, request: Request) -> Iterator[Observation]:
    entity_id = str(request.params.entity_id)
    platform = request.params.service
    for day, metrics in payload.data.items():
        for name, raw in metrics.items():
            path = f"$.data['{day.isoformat()}'].{name}"
            if isinstance(raw, dict):
                dimension = breakdown_dimension(name)
                for key, value in raw.items():
                    yield metric_obs(
                        platform,
                        "account",
                        entity_id,
                        name,
                        value,
                        f"{path}.{key}",
                        mapping=INSIGHTS_METRICS,
                        date=day,
                        dimensions={dimension: str(key)},
                    )
            else:
                yield metric_obs(platform, "account", entity_id, name, raw, path, mapping=INSIGHTS_METRICS, date=day)


# --- accounts --------------------------------------------------------------------------

PROFILE_URLS = {"twitter": "https://twitter.com/{}", "instagram": "https://www.instagram.com/{}/"}


def accounts_of(user: models.CrossPlatformUser, categories: Iterable[str] = ()) -> Iterator[Account]:
    """One Account per service the entity is on; ``account_id`` is the Shareablee entity_id,
    the id every other stream takes and reports, so records join across streams."""
    for service in catalog.SERVICES:
        profile: models.ServiceProfile | None = getattr(user, service)
        if profile is None:
            continue
        url = profile.link
        if url is None and profile.user_name and service in PROFILE_URLS:
            url = PROFILE_URLS[service].format(profile.user_name)
        yield Account(
            VENDOR,
            service,
            str(user.entity_id),
            username=profile.user_name,
            display_name=profile.display_name or user.name,
            url=url,
            categories=tuple(categories),
        )


def normalize_cross_platform(payload: models.CrossPlatformUser, request: Request) -> Iterator[Account]:
    return accounts_of(payload)


def normalize_members(payload: models.CategoryMembers, request: Request) -> Iterator[Account | Relation]:
    """Each member's Accounts (tagged with the category), and a ``category_member``
    Relation from the category per service: an entity in two requested categories keeps
    both memberships even where its Account is upserted by natural key."""
    category = str(request.params.category_id)
    for member in payload.members:
        for account in accounts_of(member, categories=(category,)):
            yield account
            yield Relation(VENDOR, account.platform, category, "category_member", account.account_id, member.name)


# --- rankings --------------------------------------------------------------------------


def normalize_category_ranking(payload: models.CategoryRanking, request: Request) -> Iterator[Observation]:
    category = str(request.params.category_id)
    platform = request.params.service
    fetched = utcnow()
    dims = {**params_period(request), "category": category}
    for i, item in enumerate(payload.ranking):
        yield metric_obs(
            platform,
            "account",
            item.object_id,
            payload.metric,
            item.value,
            f"$.ranking[{i}].value",
            dimensions={**dims, "rank": str(i + 1)},
            fetched_at=fetched,
        )


def normalize_realtime_rankings(payload: models.RealtimeRankings, request: Request) -> Iterator[Observation]:
    category = str(request.params.category_id)
    platform = platform_of(request.params.services)
    fetched = utcnow()
    names = ("total_actions", "fans", "total_posts")
    for i, member in enumerate(payload.members):
        dims = {"category": category, "rank": str(member.rank)}
        for name in (*names, "page_score"):
            raw = getattr(member, name)
            if raw is not None:
                yield metric_obs(
                    platform,
                    "account",
                    member.entity_id,
                    name,
                    raw,
                    f"$.members[{i}].{name}",
                    date=payload.date,
                    dimensions=dims,
                    fetched_at=fetched,
                )
    for name in names:
        raw = getattr(payload, name)
        if raw is not None:
            yield metric_obs(platform, "category", category, name, raw, f"$.{name}", date=payload.date, fetched_at=fetched)


# --- /me -------------------------------------------------------------------------------


def authorized_value(raw: bool | str | None) -> int | None:
    """``authorized`` as 1 or 0 (the docs send the strings "true"/"false")."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        return int(raw)
    if raw.strip().lower() in ("true", "1", "yes"):
        return 1
    if raw.strip().lower() in ("false", "0", "no"):
        return 0
    raise PayloadError(f"shareablee: 'authorized' is {raw!r}, expected true or false", vendor=VENDOR)


def access_normalizer(kind: str):
    """Normalizer of ``/me/properties/`` (kind ``property``) or ``/me/categories/`` (``category``)."""
    relation = f"authorized_{kind}"

    def normalize(payload: models.AccessList, request: Request) -> Iterator[Relation]:
        if payload.all:
            yield Relation(VENDOR, CROSS_PLATFORM, "me", relation, "all", f"all ({kind} access is not limited)", 1)
            return
        for item in payload.items:
            yield Relation(VENDOR, CROSS_PLATFORM, "me", relation, str(item.id), item.name, 1)

    normalize.__name__ = f"normalize_{kind}_access"
    return normalize


def normalize_find(payload: models.FindResponse, request: Request) -> Iterator[Relation]:
    """Properties matching the term; ``value`` is 1 when the token may read them, else 0."""
    for result in payload.results:
        yield Relation(
            VENDOR,
            CROSS_PLATFORM,
            "me",
            "authorized_property",
            str(result.object_id),
            result.name,
            authorized_value(result.authorized),
        )
