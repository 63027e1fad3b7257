"""Params of InfluencerDB's streams, checked before any request (and any credit) is spent.

Channel ids and search usernames take lists: each value is its own request chain (the
docs' endpoints take one). The choices the docs list are enforced here, so a mistake is
a ConfigError naming the allowed values rather than a paid call the API refuses:
``media`` only ``instagram`` ("Currently the only supported value"), ``period`` only
90, 180 or 360 days, ``page`` from 1.
"""

from __future__ import annotations

from typing import Any

import attrs

MEDIA: tuple[str, ...] = ("instagram",)
"""The one ``media`` the docs support."""

PERIODS: tuple[int, ...] = (90, 180, 360)
"""``period`` values of ``follower-changes``, in days."""


def _texts(what: str, example: str):
    def check(_instance: Any, _attribute: Any, value: list[str] | str) -> None:
        if isinstance(value, str):  # one chain's value (fan-out), already checked as part of the list
            value = [value]
        if not value:
            raise ValueError(f"give at least one {what}, e.g. -p {_attribute.name}={example}")
        blank = [index for index, item in enumerate(value) if not item.strip()]
        if blank:
            raise ValueError(f"{what} {blank[0]} is empty; give a {what} like {example}")

    return check


def _page(_instance: Any, attribute: Any, value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or value < 1):
        raise ValueError(f"{attribute.name} counts from 1 (the first page), got {value!r}")


CHANNEL_IDS = {"doc": "InfluencerDB channel ids (channel_search finds them by username); each is its own chain"}


@attrs.frozen
class NoParams:
    """Streams that take no params (``meta``, ``balance``)."""


@attrs.frozen
class SearchParams:
    """``GET /channels/search``: channels by username, in pages from 1."""

    username: list[str] = attrs.field(
        validator=_texts("username", "dior"), metadata={"doc": "usernames to find; each is its own search"}
    )
    media: str | None = attrs.field(
        default=None,
        validator=attrs.validators.optional(attrs.validators.in_(MEDIA)),
        metadata={"doc": "channel media; the docs support only instagram"},
    )
    page: int | None = attrs.field(default=None, validator=_page, metadata={"doc": "first page to fetch (from 1)"})


@attrs.frozen
class ChannelParams:
    """A channel id list: ``channel`` and the analytics streams without options."""

    id: list[str] = attrs.field(validator=_texts("channel id", "d15ea3bc-c59a-49da-a6d2-f5e66fd44b71"), metadata=CHANNEL_IDS)


@attrs.frozen
class FollowerChangesParams:
    """``GET /channels/{id}/analytics/follower-changes``: over ``period`` days."""

    id: list[str] = attrs.field(validator=_texts("channel id", "d15ea3bc-c59a-49da-a6d2-f5e66fd44b71"), metadata=CHANNEL_IDS)
    period: int | None = attrs.field(
        default=None,
        validator=attrs.validators.optional(attrs.validators.in_(PERIODS)),
        metadata={"doc": "period in days: 90, 180 or 360 (the API's default when not given)"},
    )


@attrs.frozen
class ContentParams:
    """``GET /channels/{id}/content``: a channel's posts, in pages from 1."""

    id: list[str] = attrs.field(validator=_texts("channel id", "d15ea3bc-c59a-49da-a6d2-f5e66fd44b71"), metadata=CHANNEL_IDS)
    page: int | None = attrs.field(default=None, validator=_page, metadata={"doc": "first page to fetch (from 1)"})
