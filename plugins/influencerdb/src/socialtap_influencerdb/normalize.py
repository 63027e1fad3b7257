"""InfluencerDB payloads -> socialtap records: small functions, one per documented structure.

Where each documented field goes (the README's "Fields not carried" lists the rest):

- Channel -> ``Account`` (``media`` as the platform, ``country``, primary categories in
  ``categories``, secondary ones apart in ``attributes["secondary_categories"]``) and
  observations ``followers``, ``following`` (``follows``), ``posts`` (``post_count``).
- Audience -> ``audience_share`` observations by ``gender`` (the docs' ``femalte`` and a
  corrected ``female`` both read as female) and by ``country`` (ISO 3166-1 alpha-2
  keys), ``audience_size`` by ``age`` bucket (the ``[label, count]`` pairs), and
  ``ages.total`` as the ``audience_size`` of the whole audience. The docs give the
  shares no unit, so none is recorded.
- Quality -> ``quality_grade`` (0 to 100, as documented) and the five
  ``quality_distribution_<n>`` buckets, under the vendor's names.
- Mentions -> ``Relation``s keyed by the other user's username (the only identifier the
  docs give a mention); engaged influencers -> ``Relation``s keyed by their id (the docs
  give them no username).
- Follower changes -> observations dated by the entry's ``date``: ``followers``,
  ``following``, and ``follower_change`` in percent ("Change in %").
- Content -> ``Post``s (``caption`` as text, ``link`` as url, ``tags`` in attributes).
- Balance -> a ``credits`` observation; meta -> an ``api_version`` observation.

The analytics endpoints take a channel id and return no media: their records carry
``instagram``, the one media the docs support, so they join the channel's Account.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import attrs

from socialtap.errors import PayloadError
from socialtap.records import Account, Observation, Post, Record, Relation, observation, utcnow
from socialtap_influencerdb import models

VENDOR = "influencerdb"
PLATFORM = "instagram"
"""The platform of records built from a channel id alone: the docs' only supported media."""
SERVICE = "influencerdb"
"""The platform of records about the InfluencerDB account itself (balance, API version)."""

METRIC_NAMES: dict[str, str] = {"follows": "following", "post_count": "posts"}
"""InfluencerDB field names that have a canonical twin under another name."""

GENDERS: dict[str, str] = {"male": "male", "female": "female", "femalte": "female"}
"""Gender keys as the docs spell them (``femalte``) and as a fixed API would."""

ISO_COUNTRY = re.compile(r"^[A-Z]{2}$")


def channel_id(request: Any) -> str:
    """The channel id of a request's chain (a fan-out chain holds one)."""
    value = getattr(request.params, "id", None)
    if isinstance(value, (list, tuple)):
        value = value[0] if len(value) == 1 else None
    if not isinstance(value, str):
        raise PayloadError("influencerdb: a channel stream's request carries no single channel id", vendor=VENDOR)
    return value


def country_code(value: str, where: str) -> str:
    """An ISO 3166-1 alpha-2 code as the docs promise, or a PayloadError naming ``where``."""
    if not ISO_COUNTRY.match(value):
        raise PayloadError(
            f"influencerdb {where}: {value!r} is not an ISO 3166-1 alpha-2 country code, as the docs promise; "
            f"report it to InfluencerDB",
            vendor=VENDOR,
        )
    return value


def channel_records(channel: models.Channel) -> Iterator[Record]:
    """The Account of a channel and its three stats."""
    fetched = utcnow()
    categories = channel.category
    attributes = {}
    if categories is not None:
        attributes["secondary_categories"] = [c.name for c in categories.secondary]
    yield Account(
        VENDOR,
        channel.media,
        channel.id,
        username=channel.username,
        country=country_code(channel.country, f"channel {channel.id}"),
        categories=[c.name for c in categories.primary] if categories is not None else (),
        attributes=attributes,
    )
    for name in ("followers", "follows", "post_count"):
        value = getattr(channel.stats, name)
        yield observation(VENDOR, channel.media, "account", channel.id, name, value, mapping=METRIC_NAMES, fetched_at=fetched)


def normalize_channel(payload: models.Channel, request: Any) -> Iterator[Record]:
    """``GET /channels/{id}``."""
    yield from channel_records(payload)


def normalize_search(payload: models.ChannelSearchResult, request: Any) -> Iterator[Record]:
    """One page of ``GET /channels/search``: every channel found (none: no records)."""
    for channel in payload.results:
        yield from channel_records(channel)


def normalize_audience(payload: models.ChannelAudienceAnalytics, request: Any) -> Iterator[Observation]:
    """Shares by gender and country, counts by age bucket, and the audience's size."""
    entity = channel_id(request)
    fetched = utcnow()

    def obs(metric: str, value: Any, **dimensions: str) -> Observation:
        return observation(VENDOR, PLATFORM, "account", entity, metric, value, fetched_at=fetched, dimensions=dimensions)

    seen: set[str] = set()
    for key, share in payload.genders.items():
        gender = GENDERS.get(key)
        if gender is None:
            raise PayloadError(
                f"influencerdb audience of {entity}: gender {key!r} is not documented (male, femalte/female); "
                f"report it so the plugin can map it",
                vendor=VENDOR,
            )
        if gender in seen:
            raise PayloadError(f"influencerdb audience of {entity}: both femalte and female were sent", vendor=VENDOR)
        seen.add(gender)
        yield obs("audience_share", share, gender=gender)
    for code, share in payload.countries.items():
        yield obs("audience_share", share, country=country_code(code, f"audience of {entity}"))
    yield obs("audience_size", payload.ages.total)
    for label, count in payload.ages.counts:
        yield obs("audience_size", count, age=label)


def normalize_quality(payload: models.ChannelAudienceQuality, request: Any) -> Iterator[Observation]:
    """The quality grade and its five distribution buckets, under the vendor's names."""
    entity = channel_id(request)
    fetched = utcnow()
    values = {"quality_grade": payload.quality_grade, **attrs.asdict(payload.quality_distribution)}
    for name, value in values.items():
        yield observation(VENDOR, PLATFORM, "account", entity, name, value, fetched_at=fetched)


def _mentions(relation: str):
    def normalize(payload: models.ChannelMentions, request: Any) -> Iterator[Relation]:
        entity = channel_id(request)
        for entry in payload.results:
            # The docs give a mention a username and no id: the username is its key.
            yield Relation(
                VENDOR,
                PLATFORM,
                entity,
                relation,
                entry.username,
                other_name=entry.username,
                attributes={"profile_picture": entry.profile_picture},
            )

    normalize.__doc__ = f"A page of mentions: one ``{relation}`` Relation per user."
    return normalize


normalize_mentions_incoming = _mentions("mentioned_by")
normalize_mentions_outgoing = _mentions("mentions")


def normalize_engaged(payload: models.ChannelEngagedInfluencers, request: Any) -> Iterator[Relation]:
    """A page of top engaged influencers: one ``engaged_influencer`` Relation each, by id (no username documented)."""
    entity = channel_id(request)
    for entry in payload.results:
        yield Relation(
            VENDOR, PLATFORM, entity, "engaged_influencer", entry.id, attributes={"profile_picture": entry.profile_picture}
        )


def normalize_follower_changes(payload: models.ChannelFollowerChanges, request: Any) -> Iterator[Observation]:
    """A page of daily follower changes: followers, following and the change in percent, dated."""
    entity = channel_id(request)
    for entry in payload.results:
        common = {"date": entry.date}
        yield observation(VENDOR, PLATFORM, "account", entity, "followers", entry.followers, **common)
        yield observation(VENDOR, PLATFORM, "account", entity, "follows", entry.follows, mapping=METRIC_NAMES, **common)
        yield observation(VENDOR, PLATFORM, "account", entity, "follower_change", entry.change, unit="percent", **common)


def created_at(value: str, where: str) -> dt.datetime:
    """``created_time`` as printed (ISO 8601); the docs give no timezone and none is assumed."""
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise PayloadError(f"influencerdb {where}: created_time {value!r} is not an ISO 8601 time", vendor=VENDOR) from None


def normalize_content(payload: models.ChannelContent, request: Any) -> Iterator[Post]:
    """A page of a channel's content."""
    entity = channel_id(request)
    for post in payload.results:
        yield Post(
            VENDOR,
            PLATFORM,
            post.post_id,
            account_id=entity,
            url=post.link,
            created_at=created_at(post.created_time, f"post {post.post_id}"),
            text=post.caption,
            attributes={"tags": list(post.tags)},
        )


def normalize_balance(payload: models.Credits, request: Any) -> Iterator[Observation]:
    """The credits available to the token's user, as fetched."""
    yield observation(VENDOR, SERVICE, "profile", "me", "credits", payload.credits, unit="credits", fetched_at=utcnow())


def normalize_meta(payload: models.ApiMetadata, request: Any) -> Iterator[Observation]:
    """The API implementation's version, as fetched."""
    yield observation(VENDOR, SERVICE, "profile", "api", "api_version", payload.version, fetched_at=utcnow())
