"""Params of the Upload-Post streams, with the docs' names and rules, checked before any request.

Platform codes: the docs run their list together in mixed case
("instagramtiktokLinkedinFacebookX(Twitter)youtubethreadspinterestredditbluesky") while
every example sends lower case. We accept any case, send lower case, and take ``twitter``
as ``x`` (the docs' "X(Twitter)"). A comma list may be given as one string
(``-p platforms=instagram,youtube``) or as repeated values; duplicates are dropped.

Date params follow the total-impressions docs: ``date`` alone, or ``start_date`` and/or
``end_date`` (each defaults on the server: 30 days ago, today), or ``period``. The docs
say ``period`` "overrides" the dates and leave ``date`` with dates unexplained: any two of
the three forms together are refused here rather than guessed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import attrs

from socialtap import clock
from socialtap.params import date_range_problems

PLATFORMS: tuple[str, ...] = (
    "instagram",
    "tiktok",
    "linkedin",
    "facebook",
    "x",
    "youtube",
    "threads",
    "pinterest",
    "reddit",
    "bluesky",
)
"""The platform codes the docs list as supported, in the docs' order, as they are sent."""

ALIASES: dict[str, str] = {"twitter": "x"}
"""Other names the docs give a platform: "X(Twitter)"."""

DEFAULT_DAYS = 30
"""total-impressions' ``start_date`` "Defaults to 30 days ago"."""

PERIODS: tuple[str, ...] = ("last_day", "last_week", "last_month", "last_3months", "last_year")
"""``period`` shortcuts of total-impressions."""

METRICS: tuple[str, ...] = (
    "followers",
    "reach",
    "impressions",
    "likes",
    "comments",
    "shares",
    "saves",
    "profileViews",
    "video_count",
    "following",
)
"""Metric names total-impressions accepts in ``metrics``, spelled as the docs spell them."""


def _items(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Iterable):
        raise ValueError(f"expected a comma-separated list, got {value!r}")
    items: list[str] = []
    for item in value:
        if not isinstance(item, str):
            raise ValueError(f"expected a string, got {item!r}")
        items.extend(part.strip() for part in item.split(","))
    return items


def parse_platform(value: Any) -> str:
    """One platform code as it is sent: lower case, ``twitter`` as ``x``; ValueError naming the choices."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"a platform must be one of: {', '.join(PLATFORMS)} (got {value!r})")
    code = value.strip().lower()
    code = ALIASES.get(code, code)
    if code not in PLATFORMS:
        raise ValueError(f"unknown platform {value!r}; Upload-Post supports: {', '.join(PLATFORMS)} (twitter is x)")
    return code


def parse_platforms(value: Any) -> list[str] | None:
    """A comma list (or list) of platforms: codes as sent, duplicates dropped, order kept."""
    if value is None:
        return value
    codes = [parse_platform(item) for item in _items(value)]
    if not codes:
        raise ValueError(f"give at least one platform, e.g. instagram,youtube (one of: {', '.join(PLATFORMS)})")
    return list(dict.fromkeys(codes))


def parse_metrics(value: Any) -> list[str] | None:
    """total-impressions ``metrics``: the docs' names (any case accepted, sent as documented)."""
    if value is None:
        return None
    spelled = {name.lower(): name for name in METRICS}
    names = []
    for item in _items(value):
        if item.lower() not in spelled:
            raise ValueError(f"unknown metric {item!r}; Upload-Post aggregates: {', '.join(METRICS)}")
        names.append(spelled[item.lower()])
    if not names:
        raise ValueError(f"give at least one metric (one of: {', '.join(METRICS)}) or leave metrics out")
    return list(dict.fromkeys(names))


def _optional_platform(value: Any) -> str | None:
    return None if value is None else parse_platform(value)


def _check(parse):
    def validator(_instance: Any, _attribute: Any, value: Any) -> None:
        parse(value)

    return validator


def _ids_problems(name: str, values: Any, what: str) -> list[str]:
    items = values if isinstance(values, list) else [values]
    if not items:
        return [f"give at least one {what} @ $.{name}"]
    return [f"{name} must not be empty @ $.{name}[{i}]" for i, item in enumerate(items) if not str(item).strip()]


@attrs.frozen
class ProfileAnalyticsParams:
    """Params of ``profile_analytics`` (``GET /api/analytics/{profile_username}``)."""

    profile_username: list[str] = attrs.field(metadata={"doc": "Upload-Post profile(s) to read; each is its own request"})
    platforms: list[str] = attrs.field(
        converter=parse_platforms,
        validator=_check(parse_platforms),
        metadata={"doc": "platforms to fetch (comma list): " + ", ".join(PLATFORMS) + "; twitter is x"},
    )
    page_id: str | None = attrs.field(
        default=None, metadata={"doc": "the Facebook Page ID; required when platforms has facebook"}
    )
    page_urn: str | None = attrs.field(
        default=None,
        metadata={"doc": "LinkedIn organization URN/ID for a page (server default: me, the personal profile)"},
    )

    def problems(self) -> list[str]:
        """Cross-param rules: Facebook needs ``page_id``; the page params only with their platform."""
        problems = _ids_problems("profile_username", self.profile_username, "profile_username")
        profiles = self.profile_username if isinstance(self.profile_username, list) else [self.profile_username]
        if "facebook" in self.platforms:
            if not self.page_id:
                problems.append(
                    "facebook analytics need page_id (the ID of the Facebook Page): add -p page_id=<id>, "
                    "or drop facebook from platforms @ $.page_id"
                )
            elif len(profiles) > 1:
                problems.append(
                    "page_id names one Facebook Page, but several profiles were given: "
                    "run one task per profile when platforms has facebook @ $.profile_username"
                )
        elif self.page_id is not None:
            problems.append("page_id is only for facebook analytics: add facebook to platforms or drop page_id @ $.page_id")
        if self.page_urn is not None and "linkedin" not in self.platforms:
            problems.append("page_urn is only for linkedin analytics: add linkedin to platforms or drop page_urn @ $.page_urn")
        return problems


@attrs.frozen
class TotalImpressionsParams:
    """Params of ``total_impressions`` (``GET /api/uploadposts/total-impressions/{profile_username}``)."""

    profile_username: list[str] = attrs.field(metadata={"doc": "Upload-Post profile(s); each is its own request"})
    date: dt.date | None = attrs.field(default=None, metadata={"doc": "one day only (YYYY-MM-DD)"})
    start_date: dt.date | None = attrs.field(
        default=None, metadata={"doc": "first day, YYYY-MM-DD (server default: 30 days ago)"}
    )
    end_date: dt.date | None = attrs.field(default=None, metadata={"doc": "last day, YYYY-MM-DD (server default: today)"})
    period: str | None = attrs.field(
        default=None,
        validator=attrs.validators.optional(attrs.validators.in_(PERIODS)),
        metadata={"doc": "shortcut for the range: " + ", ".join(PERIODS)},
    )
    platform: list[str] | None = attrs.field(
        default=None,
        converter=parse_platforms,
        validator=_check(parse_platforms),
        metadata={"doc": "only these platforms (comma list; the docs' name is singular)"},
    )
    breakdown: bool | None = attrs.field(default=None, metadata={"doc": "true: per-platform and per-day breakdown"})
    metrics: list[str] | None = attrs.field(
        default=None,
        converter=parse_metrics,
        validator=_check(parse_metrics),
        metadata={"doc": "aggregate these instead of total impressions: " + ", ".join(METRICS)},
    )

    def problems(self) -> list[str]:
        """One way of giving the range: ``date``, or ``start_date``/``end_date``, or ``period``."""
        problems = _ids_problems("profile_username", self.profile_username, "profile_username")
        dates = [name for name in ("start_date", "end_date") if getattr(self, name) is not None]
        if self.period is not None and (self.date is not None or dates):
            given = ", ".join(["date"] * (self.date is not None) + dates)
            problems.append(
                f"period {self.period!r} overrides {given} at Upload-Post: give period alone, "
                f"or the dates without period @ $.period"
            )
        elif self.date is not None and dates:
            problems.append(f"date is one day; {', '.join(dates)} give a range: use date alone or start_date/end_date @ $.date")
        problems.extend(date_range_problems(self.start_date, self.end_date, both_or_neither=False))
        default_start = clock.today() - dt.timedelta(days=DEFAULT_DAYS)
        if self.end_date is not None and self.start_date is None and self.end_date < default_start:
            problems.append(
                f"end_date {self.end_date} is before the server's default start_date (30 days ago, {default_start}): "
                f"give start_date too @ $.end_date"
            )
        return problems


@attrs.frozen
class PostAnalyticsParams:
    """Params of ``post_analytics`` (``GET /api/uploadposts/post-analytics/{request_id}``)."""

    request_id: list[str] = attrs.field(metadata={"doc": "upload request id(s); each is its own request"})
    platform: str | None = attrs.field(
        default=None,
        converter=_optional_platform,
        validator=_check(_optional_platform),
        metadata={"doc": "only this one platform (faster): " + ", ".join(PLATFORMS)},
    )

    def problems(self) -> list[str]:
        """At least one non-empty request id."""
        return _ids_problems("request_id", self.request_id, "request_id")


@attrs.frozen
class PlatformMetricsParams:
    """``platform_metrics`` takes no params."""
