"""Payload models of the example API."""

from __future__ import annotations

import attrs


@attrs.frozen
class Profile:
    id: str
    handle: str
    name: str
    followers: int | None
    following: int
    status: str


@attrs.frozen
class PostItem:
    id: str
    profile_id: str
    text: str
    created_at: str
    likes: int
    comments: int


@attrs.frozen
class PostPage:
    data: list[PostItem]
    page: int
    total: int


@attrs.frozen
class Mention:
    source: str
    target: str
    target_name: str
    count: int


@attrs.frozen
class MentionPage:
    results: list[Mention]
    next: str | None


@attrs.frozen
class DailyValue:
    date: str
    value: int


@attrs.frozen
class SeriesItem:
    id: str
    views: list[DailyValue]


@attrs.frozen
class SeriesResponse:
    items: list[SeriesItem]
