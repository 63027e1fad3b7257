"""Payload models: one attrs class per documented Shareablee v1.4 response.

Payloads are structured into these before normalization (``Stream.payload_model``), so a
response that is not the documented shape fails with a PayloadError naming the field
path instead of a KeyError deep in a normalizer. Unknown keys are ignored: vendors add
fields. Ids are ``str | int`` because the docs show both (``"entity_id": "123"`` and
``"entity_id": 123``). Three responses have keys that are data (time series keyed by
field name, the ``me`` lists that may be ``"all"``): they get a structure hook here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import attrs
from cattrs.gen import make_dict_structure_fn

from socialtap.normalize import payload_converter

Id = str | int
Number = int | float
Overlap = int | float | str | None
"""``audience_percent_overlap``: a number, ``'-'`` (unavailable) or ``'*'`` (below threshold)."""


# --- content ---------------------------------------------------------------------------


_CONTENT_TEXT = frozenset(
    "post_id status_id entity_id user_id username user_name related_user_name content post_url link link_to_likes "
    "thumbnail post_type created_at created_time sent".split()
)


@attrs.frozen
class ContentItem:
    """One post. Field names differ by service and endpoint (the docs list both spellings)."""

    post_id: Id | None = None
    status_id: Id | None = None
    entity_id: Id | None = None
    user_id: Id | None = None
    username: str | None = None
    user_name: str | None = None
    related_user_name: str | None = None
    content: str | None = None
    post_url: str | None = None
    link: str | None = None
    thumbnail: str | None = None
    post_type: str | None = None
    created_at: str | None = None
    created_time: str | None = None
    fans: Number | None = None
    word_count: Number | None = None
    like_count: Number | None = None
    likes_count: Number | None = None
    reactions_count: Number | None = None
    comment_count: Number | None = None
    comments_count: Number | None = None
    share_count: Number | None = None
    shares_count: Number | None = None
    retweet_count: Number | None = None
    total_actions: Number | None = None
    total_actions_percent_fans: Number | None = None
    native_video_views: Number | None = None
    impression_count: Number | None = None
    impressions_percent_fans: Number | None = None
    link_to_likes: str | None = None
    sent: frozenset[str] = frozenset()
    """The keys the payload holds (set when structured): a metric sent as null stays null
    in ``Post.metrics``, one not sent is left out."""


CONTENT_METRICS: tuple[str, ...] = tuple(f.name for f in attrs.fields(ContentItem) if f.name not in _CONTENT_TEXT)
"""The numeric fields of a post: each becomes an entry of ``Post.metrics``."""


@attrs.frozen
class UserContentPage:
    content: list[ContentItem]
    next_page: str | None = None
    entity_id: Id | None = None
    object_id: Id | None = None
    name: str | None = None


@attrs.frozen
class TopContentItem:
    fields: ContentItem
    service: str


@attrs.frozen
class TopContent:
    top_content: list[TopContentItem]
    entity_id: Id | None = None
    category_id: Id | None = None


# --- metrics and time series -----------------------------------------------------------


@attrs.frozen
class CountryShare:
    code: str
    value: Number | None = None
    percent: Number | None = None
    full_name: str | None = None


@attrs.frozen
class MetricsResponse:
    """User metrics and category metrics: numbers by field name, plus ``fans_by_country``."""

    metrics: dict[str, Any]
    entity_id: Id | None = None
    object_id: Id | None = None
    name: str | None = None
    isin: str | None = None


@attrs.frozen
class DatedValue:
    date: dt.date
    value: Overlap = None


@attrs.frozen
class OffsetValue:
    date_offset: int
    value: Overlap = None


@attrs.frozen
class TimeSeries:
    """``{"entity_id": ..., "<field>": [{"date": ..., "value": ...}], ...}``: every list is a series."""

    series: dict[str, list[DatedValue]]
    entity_id: Id | None = None
    object_id: Id | None = None
    name: str | None = None


@attrs.frozen
class RealtimeTimeSeries:
    series: dict[str, list[OffsetValue]]
    entity_id: Id | None = None
    object_id: Id | None = None
    name: str | None = None


# --- audience overlap and affinity -----------------------------------------------------


@attrs.frozen
class OverlapResult:
    audience_percent_overlap: Overlap
    entity_id: Id | None = None
    object_id: Id | None = None
    name: str | None = None


@attrs.frozen
class OverlapResponse:
    results: list[OverlapResult]
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    entity_id: Id | None = None
    object_id: Id | None = None
    service: str | None = None
    name: str | None = None


@attrs.frozen
class AffinityResult:
    object_id: Id
    affinity: Overlap = None
    unique_engaged_users: Number | None = None
    name: str | None = None


@attrs.frozen
class AffinityResponse:
    results: list[AffinityResult]
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    unique_engaged_users: Number | None = None
    object_id: Id | None = None
    service: str | None = None
    name: str | None = None


# --- page insights ---------------------------------------------------------------------


@attrs.frozen
class InsightsObject:
    start: dt.date | None = None
    end: dt.date | None = None
    name: str | None = None


@attrs.frozen
class PageInsights:
    """``data`` maps a day to its metrics; a metric is a number or a map of numbers (by type)."""

    data: dict[dt.date, dict[str, Any]]
    object: InsightsObject = attrs.field(factory=InsightsObject)


# --- profiles, members, rankings -------------------------------------------------------


@attrs.frozen
class ServiceProfile:
    object_id: Id | None = None
    user_name: str | None = None
    display_name: str | None = None
    website: str | None = None
    about: str | None = None
    profile_picture: str | None = None
    description: str | None = None
    link: str | None = None


@attrs.frozen
class CrossPlatformUser:
    """An entity with one profile per service it is on (cross platform info, category members)."""

    entity_id: Id
    name: str | None = None
    facebook: ServiceProfile | None = None
    twitter: ServiceProfile | None = None
    instagram: ServiceProfile | None = None


@attrs.frozen
class CategoryMembers:
    members: list[CrossPlatformUser]
    object_id: Id | None = None
    name: str | None = None
    isin: str | None = None


@attrs.frozen
class RankItem:
    object_id: Id
    value: Number | None = None
    name: str | None = None


@attrs.frozen
class CategoryRanking:
    ranking: list[RankItem]
    metric: str = "total_actions"
    object_id: Id | None = None
    name: str | None = None
    isin: str | None = None


@attrs.frozen
class RankedMember:
    entity_id: Id
    rank: int
    total_actions: Number | None = None
    fans: Number | None = None
    total_posts: Number | None = None
    page_score: Number | None = None


@attrs.frozen
class RealtimeRankings:
    members: list[RankedMember]
    date: dt.date | None = None
    category_id: Id | None = None
    total_actions: Number | None = None
    fans: Number | None = None
    total_posts: Number | None = None


# --- /me -------------------------------------------------------------------------------


@attrs.frozen
class Named:
    id: Id
    name: str | None = None


@attrs.frozen
class AccessList:
    """``/me/properties/`` and ``/me/categories/``: a list of ``{id, name}``, or ``"all"``
    ("due to limitations of underlying databases")."""

    items: list[Named] = attrs.field(factory=list)
    all: bool = False


@attrs.frozen
class FindResult:
    object_id: Id
    name: str | None = None
    authorized: bool | str | None = None


@attrs.frozen
class FindResponse:
    results: list[FindResult]
    term: str | None = None


# --- structure hooks for the responses whose keys are data ------------------------------


def _series_hook(cls: type) -> Callable[[Any, Any], Any]:
    """Gather every key that is not a declared header field into ``series``, then
    structure with the class's generated hook (so errors keep their field paths)."""
    attrs.resolve_types(cls)
    header = tuple(f.name for f in attrs.fields(cls) if f.name != "series")
    generated = make_dict_structure_fn(cls, payload_converter)

    def structure(value: Any, _type: Any) -> Any:
        if not isinstance(value, dict):
            raise TypeError(f"expected an object of series, got {type(value).__name__}")
        data: dict[str, Any] = {k: value[k] for k in header if k in value}
        # Every list is a series; other unknown keys are ignored like anywhere else.
        data["series"] = {k: v for k, v in value.items() if k not in header and isinstance(v, list)}
        return generated(data, cls)

    return structure


def _access_list(value: Any, _type: Any) -> AccessList:
    if isinstance(value, str) and value.lower() == "all":
        return AccessList(all=True)
    if isinstance(value, dict) and isinstance(value.get("results"), list):
        value = value["results"]
    if not isinstance(value, list):
        raise TypeError(f'expected a list of {{id, name}} or "all", got {type(value).__name__}')
    if any(isinstance(item, str) and item.lower() == "all" for item in value):
        return AccessList(all=True)
    return AccessList(items=payload_converter.structure(value, list[Named]))


def _content_item_hook() -> Callable[[Any, Any], ContentItem]:
    generated = make_dict_structure_fn(ContentItem, payload_converter)

    def structure(value: Any, _type: Any) -> ContentItem:
        if not isinstance(value, dict):
            return generated(value, ContentItem)  # fails with the payload error it should
        item = generated({k: v for k, v in value.items() if k != "sent"}, ContentItem)
        return attrs.evolve(item, sent=frozenset(value))

    return structure


payload_converter.register_structure_hook(ContentItem, _content_item_hook())
payload_converter.register_structure_hook(TimeSeries, _series_hook(TimeSeries))
payload_converter.register_structure_hook(RealtimeTimeSeries, _series_hook(RealtimeTimeSeries))
payload_converter.register_structure_hook(AccessList, _access_list)
