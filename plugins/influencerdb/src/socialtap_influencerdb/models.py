"""Payload models of InfluencerDB's responses, field by field as its "Data Structures" give them.

The core structures every 200 body into its stream's model before normalization, so a
body that drifts from the documented shape (a missing ``stats.followers``, text where a
number belongs) fails as a PayloadError naming the field instead of writing wrong
records. Fields the docs mark ``required`` are required here; the others (``category``
of a Channel, ``results`` of a search, ``next``/``previous`` of the analytics lists)
may be absent.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Generic, TypeVar

import attrs

Number = int | float
T = TypeVar("T")


def _no_bools(_instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    # JSON true is an int to Python, never a count or a share to InfluencerDB.
    found = _bool_in(value)
    if found is not None:
        raise ValueError(f"{attribute.name}{found} must be a number, got a boolean")


def _bool_in(value: Any, path: str = "") -> str | None:
    if isinstance(value, bool):
        return path
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, (list, tuple)) else ()
    for key, inner in items:
        found = _bool_in(inner, f"{path}[{key!r}]")
        if found is not None:
            return found
    return None


def _pairs(_instance: Any, _attribute: attrs.Attribute, value: Any) -> None:
    # Documented as [label, count] pairs; cattrs would quietly cut a longer list to two.
    for index, pair in enumerate(value):
        if len(pair) != 2:
            raise ValueError(f"ages.counts[{index}] must be a [label, count] pair, got {list(pair)!r}")


@attrs.frozen
class ApiMetadata:
    """``GET /v1/``: the API implementation's version."""

    version: str


@attrs.frozen
class Category:
    """One category of a channel."""

    name: str


@attrs.frozen
class ChannelCategories:
    """``category``: primary and secondary categories, kept apart."""

    primary: list[Category]
    secondary: list[Category]


@attrs.frozen
class ChannelStats:
    """``stats``: followers, follows (accounts the channel follows), post_count."""

    followers: Number
    follows: Number
    post_count: Number


@attrs.frozen
class Channel:
    """A channel (``GET /v1/channels/{id}``, and each search result)."""

    id: str
    username: str
    media: str
    country: str
    stats: ChannelStats
    category: ChannelCategories | None = None


@attrs.frozen
class ChannelSearchResult:
    """``GET /v1/channels/search``: a Django REST framework page of channels."""

    count: int
    next: str | None
    previous: str | None
    results: list[Channel] = attrs.field(factory=list)


@attrs.frozen
class Ages:
    """``ages``: audience size and ``[label, count]`` pairs per age bucket."""

    total: Number = attrs.field(validator=_no_bools)
    counts: list[tuple[str, Number]] = attrs.field(validator=[_no_bools, _pairs])


@attrs.frozen
class ChannelAudienceAnalytics:
    """``GET .../analytics/audience``: genders and countries (keyed by ISO 3166-1 alpha-2), ages."""

    genders: dict[str, Number] = attrs.field(validator=_no_bools)
    countries: dict[str, Number] = attrs.field(validator=_no_bools)
    ages: Ages


@attrs.frozen
class QualityDistribution:
    """``quality_distribution``: the five documented buckets."""

    quality_distribution_1: Number
    quality_distribution_2: Number
    quality_distribution_3: Number
    quality_distribution_4: Number
    quality_distribution_5: Number


@attrs.frozen
class ChannelAudienceQuality:
    """``GET .../analytics/quality``: a grade from 0 to 100 and the distribution."""

    quality_grade: Number
    quality_distribution: QualityDistribution


@attrs.frozen
class MentionEntry:
    """A user mentioning (or mentioned by) the channel: a username, no id."""

    username: str
    profile_picture: str


@attrs.frozen
class FollowerChangeEntry:
    """One day of ``follower-changes``; ``change`` is in percent (the docs: "Change in %")."""

    date: dt.date
    followers: Number
    change: Number
    follows: Number


@attrs.frozen
class EngagedInfluencerEntry:
    """One of the channel's top engaged followers: an id, no username."""

    id: str
    profile_picture: str


@attrs.frozen
class Post:
    """One content entry."""

    post_id: str
    created_time: str
    caption: str | None
    tags: list[str]
    link: str


@attrs.frozen
class ChannelContent:
    """``GET .../content``: a page of posts."""

    count: int
    next: str | None
    previous: str | None
    results: list[Post]


@attrs.frozen
class Credits:
    """``GET /v1/account/balance``: credits available to the user."""

    credits: Number


@attrs.frozen
class AnalyticsPage(Generic[T]):
    """A DRF page of an analytics list: ``count`` and ``results`` required, ``next`` and
    ``previous`` documented as optional (mentions, follower changes, engaged influencers)."""

    count: int
    results: list[T]
    next: str | None = None
    previous: str | None = None


ChannelMentions = AnalyticsPage[MentionEntry]
"""``GET .../analytics/mentions/incoming`` and ``.../outgoing``."""
ChannelFollowerChanges = AnalyticsPage[FollowerChangeEntry]
"""``GET .../analytics/follower-changes``."""
ChannelEngagedInfluencers = AnalyticsPage[EngagedInfluencerEntry]
"""``GET .../analytics/engaged``."""
