"""Params of the ``track_video`` stream, checked as the docs bound them before any request.

``identifier`` is a list: each item starts one ``POST /videos``. An item is one of the
documented forms ("a full URL (instagram.com/p/{shortcode}, tiktok.com/@user/video/{id}),
a numeric id, or — for Instagram only — a bare shortcode"), 1 to 512 characters. It is
parsed into a :class:`VideoRef` that keeps the text the user gave (that is what is sent:
the server resolves it) and the video it names (the shortcode or the numeric id), so two
spellings of one video are one item: de-duplicated in a task, one idempotency key.

Importing this module registers the structure hook on ``socialtap.params.converter``.
"""

from __future__ import annotations

import re
from typing import Any

import attrs

from socialtap.params import converter

PLATFORMS: tuple[str, ...] = ("instagram", "tiktok")
MAX_IDENTIFIER = 512
MAX_METADATA_KEYS = 20
MAX_METADATA_CHARS = 255
MIN_INTERVAL, MAX_INTERVAL, DEFAULT_INTERVAL = 6, 720, 24
MAX_KEY = 255

_SHORTCODE = r"[A-Za-z0-9_-]+"
_REST = r"/?(?:[?#]\S*)?"
INSTAGRAM_URL = re.compile(rf"(?:https?://)?(?:www\.)?instagram\.com/p/({_SHORTCODE}){_REST}", re.IGNORECASE)
TIKTOK_URL = re.compile(rf"(?:https?://)?(?:www\.)?tiktok\.com/@([^/?#\s]+)/video/(\d+){_REST}", re.IGNORECASE)
NUMERIC = re.compile(r"\d+")
SHORTCODE = re.compile(_SHORTCODE)
FORMS = (
    "give a full URL (instagram.com/p/{shortcode} or tiktok.com/@user/video/{id}), a numeric id, "
    "or, for Instagram only, a bare shortcode"
)


@attrs.frozen
class VideoRef:
    """One video to track: the text given and what it names.

    - ``given``: the identifier as the user wrote it; sent as it is.
    - ``kind``: ``url``, ``numeric`` or ``shortcode``.
    - ``video``: the shortcode (Instagram) or the numeric id it names; two refs with the
      same ``video`` and ``platform`` are the same video.
    - ``platform``: the platform a URL belongs to; None for a bare id or shortcode.
    """

    given: str
    kind: str
    video: str
    platform: str | None = None

    @property
    def dedupe_key(self) -> tuple[str, str]:
        """What makes two refs one item (``socialtap.batching.dedupe``): kind of id and video
        (a TikTok URL names a numeric id, an Instagram URL a shortcode)."""
        return ("numeric" if self.kind == "numeric" or self.platform == "tiktok" else "code", self.video)

    def __str__(self) -> str:
        return self.given

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """What a user writes, in JSON Schema, for ``socialtap spec`` (see :func:`parse_identifier`)."""
        return {
            "anyOf": [{"type": "string", "minLength": 1, "maxLength": 512}, {"type": "integer", "minimum": 0}],
            "description": FORMS,
            "examples": ["https://www.instagram.com/p/Cx1AbC2dEfG/", "https://www.tiktok.com/@user/video/7234567890123456789"],
        }


def parse_identifier(value: Any) -> VideoRef:
    """A :class:`VideoRef` from an identifier, or ValueError saying what the documented forms are.

    A JSON number (``-p identifier=123``) is a numeric id. Whether the form suits the
    task's platform is checked by :meth:`TrackVideoParams.problems`.
    """
    if isinstance(value, VideoRef):
        return value
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError(f"identifier must be a string, got {value!r}; {FORMS}")
    text = str(value)
    if not 1 <= len(text) <= MAX_IDENTIFIER:
        raise ValueError(f"identifier must be 1 to {MAX_IDENTIFIER} characters (the API's limit), got {len(text)}")
    if match := INSTAGRAM_URL.fullmatch(text):
        return VideoRef(text, "url", match.group(1), "instagram")
    if match := TIKTOK_URL.fullmatch(text):
        return VideoRef(text, "url", match.group(2), "tiktok")
    if NUMERIC.fullmatch(text):
        return VideoRef(text, "numeric", text)
    if SHORTCODE.fullmatch(text):
        return VideoRef(text, "shortcode", text)
    shown = text if len(text) <= 80 else text[:80] + "..."
    raise ValueError(f"identifier {shown!r} is not a form CreatorAudit accepts: {FORMS}")


def form_problem(platform: str, ref: VideoRef) -> str | None:
    """Why ``ref`` cannot be tracked on ``platform`` (a URL of the other platform, a
    shortcode on TikTok), or None."""
    if ref.platform is not None and ref.platform != platform:
        return f"identifier {ref.given!r} is a {ref.platform} URL, but platform is {platform!r}; fix one of them"
    if ref.kind == "shortcode" and platform != "instagram":
        return (
            f"identifier {ref.given!r} is a bare shortcode, which CreatorAudit accepts for Instagram only; "
            f"give the TikTok URL (tiktok.com/@user/video/{{id}}) or the numeric video id"
        )
    return None


def _platform(_instance: Any, _attribute: Any, value: str) -> None:
    if value not in PLATFORMS:
        raise ValueError(f"unknown platform {value!r}; CreatorAudit tracks: {', '.join(PLATFORMS)}")


def _identifiers(_instance: Any, _attribute: Any, value: list[VideoRef]) -> None:
    if not value:
        raise ValueError(f"give at least one identifier to track, e.g. -p identifier=instagram.com/p/CODE; {FORMS}")


def _metadata(_instance: Any, _attribute: Any, value: dict[str, str]) -> None:
    if len(value) > MAX_METADATA_KEYS:
        raise ValueError(f"metadata may hold at most {MAX_METADATA_KEYS} keys (the API's limit), got {len(value)}")
    for key, text in value.items():
        for what, item in (("key", key), ("value", text)):
            if len(item) > MAX_METADATA_CHARS:
                raise ValueError(
                    f"metadata {what} {key[:40]!r} has {len(item)} characters; the API allows at most {MAX_METADATA_CHARS}"
                )


def _interval(_instance: Any, _attribute: Any, value: int) -> None:
    if not MIN_INTERVAL <= value <= MAX_INTERVAL:
        raise ValueError(f"scrape_interval_hours must be {MIN_INTERVAL} to {MAX_INTERVAL} (the API's range), got {value}")


def _key(_instance: Any, _attribute: Any, value: str | None) -> None:
    # Sent in a header: visible ASCII only, so it cannot split or smuggle a header.
    if value is not None and not re.fullmatch(rf"[\x21-\x7e]{{1,{MAX_KEY}}}", value):
        raise ValueError(f"idempotency_key must be 1 to {MAX_KEY} visible ASCII characters (no spaces)")


@attrs.frozen
class TrackVideoParams:
    """Params of ``track_video``: the body of ``POST /videos``, one request per identifier."""

    platform: str = attrs.field(validator=_platform, metadata={"doc": "instagram or tiktok (required, for every identifier)"})
    identifier: list[VideoRef] = attrs.field(
        validator=_identifiers,
        metadata={
            "doc": "the videos to track, one POST each: instagram.com/p/{shortcode} or tiktok.com/@user/video/{id} "
            "URLs, numeric ids, or Instagram shortcodes (1-512 characters)"
        },
    )
    metadata: dict[str, str] = attrs.field(
        factory=dict, validator=_metadata, metadata={"doc": "key/value tags, at most 20 keys, each at most 255 characters"}
    )
    is_active: bool = attrs.field(default=True, metadata={"doc": "track as active"})
    scrape_interval_hours: int = attrs.field(
        default=DEFAULT_INTERVAL, validator=_interval, metadata={"doc": "refresh cadence in hours, 6 to 720"}
    )
    idempotency_key: str | None = attrs.field(
        default=None,
        validator=_key,
        metadata={
            "doc": "your own Idempotency-Key for a task with one identifier (default: derived from the task and the identifier)"
        },
    )

    def problems(self) -> list[str]:
        """Checks across params: each identifier's form suits the platform; one key names one request."""
        found = []
        for index, ref in enumerate(self.identifier if isinstance(self.identifier, list) else [self.identifier]):
            problem = form_problem(self.platform, ref)
            if problem:
                found.append(f"{problem} @ $.identifier[{index}]")
        distinct = {ref.dedupe_key for ref in (self.identifier if isinstance(self.identifier, list) else [])}
        if self.idempotency_key is not None and len(distinct) > 1:
            found.append(
                f"idempotency_key names one request, but {len(distinct)} identifiers were given; give one identifier "
                f"with it, or leave it out to have a key derived for each @ $.idempotency_key"
            )
        return found


def _structure_ref(value: Any, _type: Any) -> VideoRef:
    return parse_identifier(value)


converter.register_structure_hook(VideoRef, _structure_ref)
converter.register_unstructure_hook(VideoRef, lambda ref: ref.given)
