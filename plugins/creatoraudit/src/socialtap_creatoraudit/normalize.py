"""CreatorAudit's ``VideoResponse`` -> one ``Post`` and, when it names its owner, one ``Account``.

- ``Post.post_id`` is CreatorAudit's ``id`` (the UUID of the tracked video, the id its API
  knows it by); ``external_id`` and ``shortcode`` (the platform's own ids) go to
  ``Post.ids``. ``platform`` is the request's: the answer carries none.
- ``video_url`` -> ``url``, ``create_time`` -> ``created_at``, ``description`` -> ``text``,
  ``media_type`` as is, ``account_id`` (CreatorAudit's UUID of the owner) -> ``account_id``.
- Metrics in the canonical vocabulary: ``view_count`` -> ``views``, ``play_count`` ->
  ``plays``, ``like_count`` -> ``likes``, ``comment_count`` -> ``comments``,
  ``share_count`` -> ``shares``, ``saved_count`` -> ``saves``; ``total_views`` and
  ``total_plays`` keep their names. A null count stays null, never 0.
- The tracking settings and everything else documented without a column of its own
  (``is_active``, ``scrape_interval_hours``, ``metadata``, ``added_at``, ``updated_at``,
  ``first_scrape_time``, ``last_scrape_time``, ``type``, ``duration``, ``is_unavailable``,
  ``cover_image_url``, ``cover_image_url_original``, ``video_url_original``,
  ``platform_data``) go to ``Post.attributes`` under their own names, values unchanged.
- The owner: ``Account(account_id, username=account_username, ids={"platform_account_id": ...})``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from socialtap.records import Account, Post, Record
from socialtap_creatoraudit.models import VideoResponse, parse_envelope, parse_time

VENDOR = "creatoraudit"

METRICS: dict[str, str] = {
    "view_count": "views",
    "play_count": "plays",
    "like_count": "likes",
    "comment_count": "comments",
    "share_count": "shares",
    "saved_count": "saves",
    "total_views": "total_views",
    "total_plays": "total_plays",
}
"""CreatorAudit's count fields -> the metric names on ``Post.metrics``."""

ATTRIBUTES: tuple[str, ...] = (
    "type",
    "is_active",
    "scrape_interval_hours",
    "metadata",
    "added_at",
    "updated_at",
    "first_scrape_time",
    "last_scrape_time",
    "duration",
    "is_unavailable",
    "cover_image_url",
    "cover_image_url_original",
    "video_url_original",
    "platform_data",
)
"""Documented fields with no column of their own, kept under their names in ``Post.attributes``."""

IDS: tuple[str, ...] = ("external_id", "shortcode")


def post_of(video: VideoResponse, platform: str) -> Post:
    """The tracked video as a Post (``platform`` from the request)."""
    return Post(
        VENDOR,
        platform,
        video.id,
        account_id=video.account_id,
        url=video.video_url,
        created_at=parse_time(video.create_time, "create_time"),
        text=video.description,
        media_type=video.media_type,
        metrics={name: getattr(video, field) for field, name in METRICS.items()},
        ids={kind: getattr(video, kind) for kind in IDS},
        attributes={name: getattr(video, name) for name in ATTRIBUTES if getattr(video, name) is not None},
    )


def account_of(video: VideoResponse, platform: str) -> Account | None:
    """The video's owner, or None when the answer does not name one."""
    if not video.account_id:
        return None
    return Account(
        VENDOR,
        platform,
        video.account_id,
        username=video.account_username,
        ids={"platform_account_id": video.platform_account_id},
    )


def normalize_video(payload: Any, request: Any) -> Iterator[Record]:
    """Records of one ``POST /videos`` answer: the Post, then its owner's Account."""
    video = parse_envelope(payload).data
    platform = request.params.platform
    yield post_of(video, platform)
    account = account_of(video, platform)
    if account is not None:
        yield account
