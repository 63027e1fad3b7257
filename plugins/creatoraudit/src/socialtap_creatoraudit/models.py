"""The payload model of ``POST /videos``: ``{"data": VideoResponse}``, field by field as documented.

The core structures every answer into :class:`VideoEnvelope` before normalization, so an
answer that drifts from the documented types (a number where a string belongs) fails as
a PayloadError naming the field path instead of writing wrong records. Only ``id`` is
required: a video just added has no content or metrics yet, so every other field may be
null or absent (the docs mark none of them required in the response).

Types are held strictly (:data:`converter`): cattrs' usual structuring would turn ``"12"``
into 12, ``1.5`` into 1 and ``true`` into 1; a server that sends those gets a
PayloadError, not a quietly different number. Timestamps must parse as ISO 8601.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import cattrs
from cattrs.preconf.json import make_converter

from socialtap.errors import PayloadError


@attrs.frozen
class VideoResponse:
    """``data``: "A tracked post/video with its content fields and latest metrics"."""

    id: str
    external_id: str | None = None
    type: str | None = None
    shortcode: str | None = None
    is_active: bool | None = None
    scrape_interval_hours: int | None = None
    metadata: dict[str, Any] | None = None
    added_at: str | None = None
    updated_at: str | None = None
    first_scrape_time: str | None = None
    last_scrape_time: str | None = None
    description: str | None = None
    create_time: str | None = None
    media_type: str | None = None
    duration: int | float | None = None
    is_unavailable: bool | None = None
    cover_image_url: str | None = None
    cover_image_url_original: str | None = None
    video_url: str | None = None
    video_url_original: str | None = None
    view_count: int | None = None
    like_count: int | None = None
    comment_count: int | None = None
    share_count: int | None = None
    play_count: int | None = None
    saved_count: int | None = None
    total_views: int | None = None
    total_plays: int | None = None
    account_id: str | None = None
    account_username: str | None = None
    platform_account_id: str | None = None
    platform_data: dict[str, Any] | None = None


@attrs.frozen
class VideoEnvelope:
    """The whole answer: ``{"data": VideoResponse}`` (``data`` required)."""

    data: VideoResponse


def _strict(kind: type | tuple[type, ...], what: str) -> Any:
    def structure(value: Any, _type: Any) -> Any:
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            raise ValueError(f"expected {what}, got {value!r}")
        if not isinstance(value, kind):
            raise ValueError(f"expected {what}, got {type(value).__name__}")
        return value

    return structure


converter = make_converter(forbid_extra_keys=False, detailed_validation=True)
"""Structures answers without coercion: a value of the wrong JSON type is an error."""
converter.register_structure_hook(str, _strict(str, "a string"))
converter.register_structure_hook(int, _strict(int, "an integer"))
converter.register_structure_hook(bool, _strict(bool, "true or false"))
converter.register_structure_hook_func(
    lambda tp: tp == int | float | None, lambda v, _: None if v is None else _strict((int, float), "a number")(v, _)
)
converter.register_structure_hook_func(lambda tp: tp == dict[str, Any], _strict(dict, "an object"))

TIMESTAMPS = ("added_at", "updated_at", "first_scrape_time", "last_scrape_time", "create_time")


def parse_time(value: str | None, field: str) -> dt.datetime | None:
    """An ISO 8601 timestamp of the answer (``Z`` is UTC; no zone is taken as UTC), or PayloadError."""
    if value is None:
        return None
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise PayloadError(
            f"creatoraudit track_video response: data.{field} is not an ISO 8601 time ({value[:40]!r}). "
            f"The vendor may have changed its API: report it with this message.",
            vendor="creatoraudit",
        ) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def parse_envelope(payload: Any) -> VideoEnvelope:
    """``payload`` as a :class:`VideoEnvelope`, or PayloadError naming every bad field."""
    try:
        envelope = converter.structure(payload, VideoEnvelope)
    except (cattrs.BaseValidationError, ValueError, TypeError, KeyError, AttributeError) as exc:
        problems = cattrs.transform_error(exc) if isinstance(exc, cattrs.BaseValidationError) else [str(exc)]
        raise PayloadError(
            'creatoraudit track_video response is not the documented shape ({"data": VideoResponse}): '
            + "; ".join(problems)
            + ". The vendor may have changed its API: report it with this message.",
            vendor="creatoraudit",
        ) from None
    for field in TIMESTAMPS:
        parse_time(getattr(envelope.data, field), field)
    if not envelope.data.id:
        raise PayloadError(
            "creatoraudit track_video response: data.id is empty; report it to CreatorAudit", vendor="creatoraudit"
        )
    return envelope
