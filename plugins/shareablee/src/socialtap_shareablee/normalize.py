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

Every documented field reaches a record (the plugin README's "Fields not carried" lists
the exceptions): what has no common column goes into ``ids`` (a service-native
``object_id``) or ``attributes`` under Shareablee's own field name with its value as sent.
A response's header (the ``name``, ``object_id``, ``isin`` of the user or category it is
about) goes into the ``attributes`` of every record built from it. Nothing is invented:
no URL from a handle, no name copied from another field, no unit from a field's name
(the docs give none).
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


def header(payload: Any, *names: str) -> dict[str, Any]:
    """``attributes`` from a response's header fields (``name``, ``object_id``, ...), those sent."""
    return {name: getattr(payload, name) for name in names if getattr(payload, name, None) is not None}


def day_text(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


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
    return observation(VENDOR, platform, entity_type, entity_id, name, value, mapping=mapping, status=status, **fields)


def platform_of(services: list[str]) -> str:
    return services[0] if len(services) == 1 else CROSS_PLATFORM


# --- posts -----------------------------------------------------------------------------


POST_ATTRIBUTES = ("username", "user_name", "related_user_name", "user_id", "link", "link_to_likes", "thumbnail")
"""Post fields with no common column, kept in ``Post.attributes`` as sent. ``link`` is not
``Post.url``: in the content example it is what the post links to (``post_url`` is the
post's own), and the top content examples do not say which it is."""


def to_post(
    item: models.ContentItem,
    platform: str,
    account_id: str | None,
    path: str,
    attributes: Mapping[str, Any] | None = None,
) -> Post:
    post_id = item.post_id if item.post_id is not None else item.status_id
    if post_id is None:
        raise PayloadError(f"shareablee: a post without post_id or status_id at {path}", vendor=VENDOR)
    metrics: dict[str, Any] = {}
    for name in models.CONTENT_METRICS:
        raw = getattr(item, name)
        if raw is None and name not in item.sent:
            continue  # not sent: no entry; sent as null: null, never 0
        key = POST_METRICS.get(name, name)
        if raw is None and metrics.get(key) is not None:
            continue  # a null under one spelling does not hide the other spelling's value
        metrics[key] = raw
    return Post(
        VENDOR,
        platform,
        str(post_id),
        account_id=str(item.entity_id) if item.entity_id is not None else account_id,
        url=item.post_url,
        created_at=parse_time(item.created_at or item.created_time, path),
        text=item.content,
        media_type=item.post_type,
        metrics=metrics,
        attributes={**(attributes or {}), **header(item, *POST_ATTRIBUTES)},
    )


def normalize_content(page: models.UserContentPage, request: Request) -> Iterator[Post]:
    """Posts of a page; the page's own ``name`` and ``object_id`` (the response header) go
    into each Post's ``attributes.user``, beside its ``account_id`` (the entity_id)."""
    params = request.params
    user = header(page, "name", "object_id")
    attributes = {"user": user} if user else {}
    for i, item in enumerate(page.content):
        yield to_post(item, params.service, params.entity_id, f"$.content[{i}]", attributes)


def normalize_top_content(payload: models.TopContent, request: Request) -> Iterator[Post]:
    """Top posts; a category's (``category_top_content``) say which category in ``attributes.category_id``."""
    account = getattr(request.params, "entity_id", None)
    attributes = header(payload, "category_id")
    for i, entry in enumerate(payload.top_content):
        yield to_post(entry.fields, entry.service, account, f"$.top_content[{i}].fields", attributes)


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
    attributes = header(payload, "name", "object_id", "isin")
    for name, raw in payload.metrics.items():
        path = f"$.metrics.{name}"
        if name == "fans_by_country":
            shares = structure_payload(raw, list[models.CountryShare], vendor=VENDOR, where=path)
            for share in shares:
                country = {**dims, "country": share.code}
                named = {**attributes, **header(share, "full_name")}
                for metric, value in ((name, share.value), (f"{name}_percent", share.percent)):
                    yield metric_obs(
                        platform, entity_type, entity_id, metric, value, path, dimensions=country, attributes=named, **common
                    )
        elif isinstance(raw, (dict, list)):
            log.debug("shareablee: skipping nested metric %s (no documented shape)", name)
        else:
            yield metric_obs(platform, entity_type, entity_id, name, raw, path, dimensions=dims, attributes=attributes, **common)


def normalize_time_series(payload: models.TimeSeries, request: Request) -> Iterator[Observation]:
    entity_type, entity_id = _chain_entity(request)
    platform = request.params.service
    attributes = header(payload, "name", "object_id")
    for name, points in payload.series.items():
        for i, point in enumerate(points):
            path = f"$.{name}[{i}].value"
            yield metric_obs(platform, entity_type, entity_id, name, point.value, path, date=point.date, attributes=attributes)


def normalize_realtime_time_series(payload: models.RealtimeTimeSeries, request: Request) -> Iterator[Observation]:
    entity_type, entity_id = _chain_entity(request)
    platform = request.params.service
    fetched = utcnow()
    attributes = header(payload, "name", "object_id")
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
                attributes=attributes,
            )


# --- audience overlap and affinity -----------------------------------------------------


COMPARED_IDS = ("entity_id", "object_id")
"""The id fields of a compared property, in the docs' order of kind: Shareablee's entity_id
(the kind the ``object_id`` param takes: "an entity's id"), then ``object_id``."""


def compared(result: Any, sent: Iterable[Any]) -> tuple[str, dict[str, Any]]:
    """``(compared_entity, attributes)`` of an overlap or affinity result.

    One id kind in the dimension: the id the user sent as ``object_id`` (a comparison), so
    a result is keyed by what was asked for. The docs name that param "an entity's id",
    but since v1.4 an overlap result's ``object_id`` is the service's id and its
    ``entity_id`` the Shareablee id, while affinity results have ``object_id`` only (the
    examples: affinity's object_ids 123456 and 98765 are overlap's entity_ids). So the
    dimension is whichever of the result's ids was sent; a ranking (nothing sent) or a
    result echoing neither takes the first present of ``entity_id``, ``object_id``. Both
    ids, as sent, and the name go beside it: ``compared_entity_id``, ``compared_object_id``,
    ``compared_name``.
    """
    asked = {str(i) for i in sent}
    present = [getattr(result, kind, None) for kind in COMPARED_IDS]
    ids = [str(i) for i in present if i is not None]
    if not ids:
        raise PayloadError("shareablee: an overlap or affinity result without entity_id or object_id", vendor=VENDOR)
    dimension = next((i for i in ids if i in asked), ids[0])
    attributes = {f"compared_{kind}": raw for kind, raw in zip(COMPARED_IDS, present, strict=True) if raw is not None}
    if result.name is not None:
        attributes["compared_name"] = result.name
    return dimension, attributes


def _comparison(
    payload: models.OverlapResponse | models.AffinityResponse,
    request: Request,
    metrics: tuple[str, ...],
    *,
    ranked: bool,
) -> Iterator[Observation]:
    """Observations of an overlap or affinity response: the entity's own (``unique_engaged_users``
    of affinity) and per result, keyed by ``compared_entity`` (and ``rank`` in a ranking)."""
    platform = payload.service or request.params.service
    entity_id = str(request.params.entity_id)
    sent = getattr(request.params, "object_ids", None) or ()
    fetched = utcnow()
    dims = period(payload.start_date, payload.end_date)
    own = {
        **header(payload, "name", "object_id"),
        **{k: day_text(v) for k, v in (("start_date", payload.start_date), ("end_date", payload.end_date)) if v},
    }
    total = getattr(payload, "unique_engaged_users", None)
    if total is not None:
        path = "$.unique_engaged_users"
        yield metric_obs(
            platform,
            "account",
            entity_id,
            "unique_engaged_users",
            total,
            path,
            dimensions=dims,
            attributes=own,
            fetched_at=fetched,
        )
    for i, result in enumerate(payload.results):
        other, about = compared(result, sent)
        extra = {"compared_entity": other, **({"rank": str(i + 1)} if ranked else {})}
        for name in metrics:
            yield metric_obs(
                platform,
                "account",
                entity_id,
                name,
                getattr(result, name),
                f"$.results[{i}].{name}",
                dimensions={**dims, **extra},
                fetched_at=fetched,
                attributes={**own, **about},
            )


def normalize_overlap_comparison(payload: models.OverlapResponse, request: Request) -> Iterator[Observation]:
    return _comparison(payload, request, ("audience_percent_overlap",), ranked=False)


def normalize_overlap_ranking(payload: models.OverlapResponse, request: Request) -> Iterator[Observation]:
    return _comparison(payload, request, ("audience_percent_overlap",), ranked=True)


def normalize_affinity_comparison(payload: models.AffinityResponse, request: Request) -> Iterator[Observation]:
    return _comparison(payload, request, ("affinity", "unique_engaged_users"), ranked=False)


def normalize_affinity_ranking(payload: models.AffinityResponse, request: Request) -> Iterator[Observation]:
    return _comparison(payload, request, ("affinity", "unique_engaged_users"), ranked=True)


# --- page insights ---------------------------------------------------------------------


def breakdown_dimension(metric: str) -> str:
    """``page_negative_feedback_by_type`` -> ``type``; any other nested map -> ``key``."""
    return metric.rsplit("_by_", 1)[1] if "_by_" in metric else "key"


def normalize_page_insights(payload: models.PageInsights, request: Request) -> Iterator[Observation]:
    """Dated observations; the response's ``object`` (``start``, ``end``, ``name``) in each one's attributes."""
    entity_id = str(request.params.entity_id)
    platform = request.params.service
    info = payload.object
    attributes = {k: v for k, v in (("start", day_text(info.start)), ("end", day_text(info.end)), ("name", info.name)) if v}
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
                        attributes=attributes,
                    )
            else:
                yield metric_obs(
                    platform, "account", entity_id, name, raw, path, mapping=INSIGHTS_METRICS, date=day, attributes=attributes
                )


# --- accounts --------------------------------------------------------------------------

PROFILE_ATTRIBUTES = ("website", "about", "profile_picture", "description")
"""Profile fields with no common column, kept in ``Account.attributes`` as sent."""


def accounts_of(user: models.CrossPlatformUser, categories: Iterable[str] = ()) -> Iterator[Account]:
    """One Account per service the entity is on; ``account_id`` is the Shareablee entity_id,
    the id every other stream takes and reports, so records join across streams. The
    service's own id (``object_id``) is ``ids["object_id"]``, to join with the network;
    the entity's Shareablee ``name`` is ``attributes["name"]`` (the service's
    ``display_name`` is a field of its own: neither stands in for the other)."""
    for service in catalog.SERVICES:
        profile: models.ServiceProfile | None = getattr(user, service)
        if profile is None:
            continue
        yield Account(
            VENDOR,
            service,
            str(user.entity_id),
            username=profile.user_name,
            display_name=profile.display_name,
            url=profile.link,
            categories=tuple(categories),
            ids=header(profile, "object_id"),
            attributes={**header(user, "name"), **header(profile, *PROFILE_ATTRIBUTES)},
        )


def normalize_cross_platform(payload: models.CrossPlatformUser, request: Request) -> Iterator[Account]:
    return accounts_of(payload)


def normalize_members(payload: models.CategoryMembers, request: Request) -> Iterator[Account | Relation]:
    """Each member's Accounts (tagged with the category), and a ``category_member``
    Relation from the category per service: an entity in two requested categories keeps
    both memberships even where its Account is upserted by natural key. The Relation's
    ``other_name`` is the member's name; its attributes hold the category's ``name`` and ``isin``."""
    category = str(request.params.category_id)
    about = header(payload, "name", "isin")
    for member in payload.members:
        for account in accounts_of(member, categories=(category,)):
            yield account
            yield Relation(
                VENDOR, account.platform, category, "category_member", account.account_id, member.name, attributes=about
            )


# --- rankings --------------------------------------------------------------------------


def normalize_category_ranking(payload: models.CategoryRanking, request: Request) -> Iterator[Observation]:
    category = str(request.params.category_id)
    platform = request.params.service
    fetched = utcnow()
    dims = {**params_period(request), "category": category}
    # The ranking's ids are ``object_id``s, which the docs do not define (a member's entity
    # id, as /me/find/user/'s object_id is, or the service's id, as overlap's is): the
    # record holds the id as given and says which field it is (``id_kind``).
    own = {"id_kind": "object_id", **{f"category_{k}": v for k, v in header(payload, "name", "isin").items()}}
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
            attributes={**own, **header(item, "name")},
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
            yield Relation(VENDOR, CROSS_PLATFORM, "me", relation, "all", None, 1)
            return
        for item in payload.items:
            yield Relation(VENDOR, CROSS_PLATFORM, "me", relation, str(item.id), item.name, 1)

    normalize.__name__ = f"normalize_{kind}_access"
    return normalize


def normalize_find(payload: models.FindResponse, request: Request) -> Iterator[Relation]:
    """Properties matching the term; ``value`` is 1 when the token may read them, else 0;
    the search ``term`` in attributes."""
    about = header(payload, "term")
    for result in payload.results:
        yield Relation(
            VENDOR,
            CROSS_PLATFORM,
            "me",
            "authorized_property",
            str(result.object_id),
            result.name,
            authorized_value(result.authorized),
            attributes=about,
        )
