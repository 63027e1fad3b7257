"""Params of every Shareablee stream, under the names the v1.4 docs use.

Everything the docs say about a param is checked here, before a request is sent: dates
are ``YYYY-MM-DD`` (``datetime.date`` fields), both dates or neither, start not after end,
earliest dates, ``limit`` at most 100, realtime offsets 0-6 with start < end, which
services each endpoint serves, and the documented metric fields per service.
``entity_id`` and ``category_id`` take lists: each id is its own request chain
(``Stream.fan_out``), all within the 5 requests/second the vendor allows.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs

from socialtap.params import date_range_problems
from socialtap_shareablee import catalog

_ID = re.compile(r"[A-Za-z0-9_.:-]+")
"""Ids go into the URL path: no slashes, spaces or ``..`` that could reach another endpoint."""


def _check_id(name: str, value: str) -> None:
    if not _ID.fullmatch(value) or value in (".", ".."):  # fullmatch: "$" would let a trailing newline in
        raise ValueError(f"{name} {value!r} is not a Shareablee id (letters, digits, '_', '-', '.', ':' only)")


def ids_validator(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    """A non-empty list of ids (or, once fanned out, one id)."""
    if isinstance(value, str):
        _check_id(attribute.name, value)
        return
    if not value:
        raise ValueError(f"give at least one {attribute.name}")
    for item in value:
        _check_id(attribute.name, item)


# What the validators check, in JSON Schema, for ``socialtap spec`` (socialtap.schema reads it).
ids_validator.json_schema = {"minItems": 1, "items": {"pattern": f"^{_ID.pattern}$"}}  # type: ignore[attr-defined]


def one_of(allowed: Sequence[str], what: str = "this endpoint") -> Callable[[Any, attrs.Attribute, Any], None]:
    """The value must be one of ``allowed`` (a service, a metric)."""

    def check(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
        if value is not None and value not in allowed:
            raise ValueError(f"{attribute.name} {value!r} is not served by {what}; choose one of: {', '.join(allowed)}")

    check.json_schema = {"enum": list(allowed)}  # type: ignore[attr-defined]
    return check


def all_of(allowed: Sequence[str], what: str = "this endpoint") -> Callable[[Any, attrs.Attribute, Any], None]:
    """Every item of a list must be one of ``allowed``; no duplicates."""

    def check(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
        bad = [v for v in value if v not in allowed]
        if bad:
            raise ValueError(
                f"{attribute.name} {', '.join(map(repr, bad))} not served by {what}; choose from: {', '.join(allowed)}"
            )
        twice = sorted({v for v in value if value.count(v) > 1})
        if twice:
            raise ValueError(f"{attribute.name} lists {', '.join(map(repr, twice))} more than once")

    check.json_schema = {"uniqueItems": True, "items": {"enum": list(allowed)}}  # type: ignore[attr-defined]
    return check


def limit_validator(instance: Any, attribute: attrs.Attribute, value: int | None) -> None:
    if value is not None and not 1 <= value <= catalog.MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {catalog.MAX_LIMIT} (the highest the API serves), got {value}")


limit_validator.json_schema = {"minimum": 1, "maximum": catalog.MAX_LIMIT}  # type: ignore[attr-defined]


def offset_validator(instance: Any, attribute: attrs.Attribute, value: int | None) -> None:
    if value is not None and not 0 <= value <= catalog.MAX_OFFSET:
        raise ValueError(f"{attribute.name} is a day offset from today, 0 to {catalog.MAX_OFFSET}; got {value}")


offset_validator.json_schema = {"minimum": 0, "maximum": catalog.MAX_OFFSET}  # type: ignore[attr-defined]


def non_empty(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if isinstance(value, str) and not value.strip():
        raise ValueError(f"{attribute.name} must not be empty")
    if isinstance(value, list) and not value:
        raise ValueError(f"give at least one {attribute.name.rstrip('s')}")


def earliest_problems(start: dt.date | None, earliest: dt.date, name: str = "start_date") -> Iterable[str]:
    if start is not None and start < earliest:
        yield f"{name} {start} is before the earliest date this endpoint serves ({earliest}) @ $.{name}"


def fields_problems(fields: Sequence[str], service: str, *, category: bool = False) -> Iterable[str]:
    """Fields not listed in the docs for this service's time series."""
    allowed = catalog.time_series_fields(service, category=category)
    unknown = [f for f in fields if f not in allowed]
    if unknown:
        yield (
            f"{', '.join(map(repr, unknown))} not a documented {service} time series field "
            f"(see 'Fields by Service' in the Shareablee docs; e.g. {', '.join(allowed[:5])}) @ $.fields"
        )


# The docs' own words for each param (the "Parameters" lists of each endpoint), shown by
# `socialtap spec` and `streams` and as the n8n node's field hints. ``object_ids`` is the
# docs' repeated ``object_id``; ``realtime`` is socialtap's choice of the documented variant.
PARAM_DOCS = {
    "entity_id": "The entity_id is the unique ID for an entity.",
    "category_id": "The category_id is the unique ID for a category.",
    "service": 'The service is the platform i.e "facebook".',
    "services": 'List of services. i.e "facebook,twitter,instagram".',
    "start_date": 'Date string in the format "{year}-{month}-{day}" i.e "2014-01-01"',
    "end_date": 'Date string in the format "{year}-{month}-{day}" i.e "2014-01-01"',
    "date": 'Date string in the format "{year}-{month}-{day}" i.e "2014-01-01". Default is the current day.',
    "sort_ascending": "Optional parameter to specify sort direction. Defaults to true if not supplied",
    "page": 'Optional parameter to specify which page to retrieve. Page numbers are 0 based, "page=0" retrieves first page of results',
    "fields": "list of metrics fields. Available fields listed below in Fields by Service.",
    "start_offset": "Date offset from today from 0 to 6",
    "end_offset": "Date offset from today from 0 to 6",
    "limit": "The number of results to be returned. Defaults to 25 and maximum is 100.",
    "metric": "Currently only supports total_actions",
    "object_ids": "An entity's id to use for comparison against the entity_id in the url. Pass in multiple to compare "
    "the base entity_id to more than one target. (Required)",
    "term": "The search term (Required)",
    "realtime": "true: the /realtime/... variant of the endpoint (today's data); false: the dated one",
}


def _with_docs(cls: type, fields: list[attrs.Attribute]) -> list[attrs.Attribute]:
    """attrs' field transformer: each param's description from PARAM_DOCS, unless it has its own."""
    return [
        field.evolve(metadata={**field.metadata, "doc": PARAM_DOCS[field.name]})
        if field.name in PARAM_DOCS and "doc" not in field.metadata
        else field
        for field in fields
    ]


documented = attrs.frozen(field_transformer=_with_docs)


# --- /user/{entity_id}/{service}/... ---------------------------------------------------


@documented
class UserContentParams:
    """``/user/{entity_id}/{service}/content/``: 100 posts a page, from 0-based ``page``."""

    entity_id: list[str] = attrs.field(validator=ids_validator)
    service: str = attrs.field(validator=one_of(catalog.FACEBOOK_TWITTER, "user content"))
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    sort_ascending: bool | None = None
    page: int = attrs.field(default=0, validator=attrs.validators.ge(0))

    def problems(self) -> list[str]:
        return list(date_range_problems(self.start_date, self.end_date))


@documented
class UserMetricsParams:
    """``/user/{entity_id}/{service}/metrics/``."""

    entity_id: list[str] = attrs.field(validator=ids_validator)
    service: str = attrs.field(validator=one_of(catalog.SERVICES, "user metrics"))
    start_date: dt.date | None = None
    end_date: dt.date | None = None

    def problems(self) -> list[str]:
        return list(date_range_problems(self.start_date, self.end_date))


@documented
class UserTimeSeriesParams:
    """``/user/{entity_id}/{service}/time_series/``: daily values of ``fields``."""

    entity_id: list[str] = attrs.field(validator=ids_validator)
    service: str = attrs.field(validator=one_of(catalog.FACEBOOK_TWITTER, "user time series"))
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    fields: list[str] = attrs.field(factory=list)

    def problems(self) -> list[str]:
        return [*date_range_problems(self.start_date, self.end_date), *fields_problems(self.fields, self.service)]


@documented
class UserRealtimeTimeSeriesParams:
    """``/realtime/user/{entity_id}/{service}/time_series/``: values by day offset from today."""

    entity_id: list[str] = attrs.field(validator=ids_validator)
    service: str = attrs.field(validator=one_of(catalog.FACEBOOK_TWITTER, "user realtime time series"))
    start_offset: int | None = attrs.field(default=None, validator=offset_validator)
    end_offset: int | None = attrs.field(default=None, validator=offset_validator)
    fields: list[str] = attrs.field(factory=list)

    def problems(self) -> list[str]:
        problems = list(fields_problems(self.fields, self.service))
        if (self.start_offset is None) != (self.end_offset is None):
            missing = "start_offset" if self.start_offset is None else "end_offset"
            problems.append(f"give both start_offset and end_offset, or neither @ $.{missing}")
        elif self.start_offset is not None and self.end_offset is not None and self.start_offset >= self.end_offset:
            problems.append(
                f"start_offset ({self.start_offset}) must be less than end_offset ({self.end_offset}) @ $.start_offset"
            )
        return problems


@documented
class ComparisonParams:
    """Audience overlap / affinity comparison: the entity against ``object_ids``."""

    entity_id: list[str] = attrs.field(validator=ids_validator)
    object_ids: list[str] = attrs.field(validator=ids_validator)
    service: str = attrs.field(default="facebook", validator=one_of(catalog.FACEBOOK, "audience comparison"))
    start_date: dt.date | None = None
    end_date: dt.date | None = None

    def problems(self) -> list[str]:
        return list(date_range_problems(self.start_date, self.end_date))


@documented
class AffinityComparisonParams(ComparisonParams):
    def problems(self) -> list[str]:
        return [*super().problems(), *earliest_problems(self.start_date, catalog.AFFINITY_EARLIEST)]


@documented
class OverlapRankingParams:
    """Audience overlap ranking: the dates are required; ``limit`` defaults to 25."""

    entity_id: list[str] = attrs.field(validator=ids_validator)
    start_date: dt.date
    end_date: dt.date
    service: str = attrs.field(default="facebook", validator=one_of(catalog.FACEBOOK, "audience overlap ranking"))
    limit: int | None = attrs.field(default=None, validator=limit_validator)

    def problems(self) -> list[str]:
        return list(date_range_problems(self.start_date, self.end_date))


@documented
class AffinityRankingParams:
    """Audience affinity ranking: the dates are required, from 2015-12-01."""

    entity_id: list[str] = attrs.field(validator=ids_validator)
    start_date: dt.date
    end_date: dt.date
    service: str = attrs.field(default="facebook", validator=one_of(catalog.FACEBOOK, "audience affinity ranking"))

    def problems(self) -> list[str]:
        return [
            *date_range_problems(self.start_date, self.end_date),
            *earliest_problems(self.start_date, catalog.AFFINITY_EARLIEST),
        ]


@documented
class PageInsightsParams:
    """Page insights (Facebook): the last 30 days unless dates are given, from 2016-01-01."""

    entity_id: list[str] = attrs.field(validator=ids_validator)
    service: str = attrs.field(default="facebook", validator=one_of(catalog.FACEBOOK, "page insights"))
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    fields: list[str] = attrs.field(factory=list, validator=all_of(catalog.PAGE_INSIGHTS_FIELDS, "page insights"))

    def problems(self) -> list[str]:
        return [
            *date_range_problems(self.start_date, self.end_date),
            *earliest_problems(self.start_date, catalog.INSIGHTS_EARLIEST),
        ]


# --- /user/{entity_id}/cross_platform/... ----------------------------------------------


@documented
class UserCrossPlatformParams:
    entity_id: list[str] = attrs.field(validator=ids_validator)
    services: list[str] = attrs.field(factory=list, validator=all_of(catalog.SERVICES, "cross platform"))


@documented
class TopContentParams:
    """Top content across services."""

    services: list[str] = attrs.field(factory=list, validator=all_of(catalog.SERVICES, "top content"))
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    limit: int | None = attrs.field(default=None, validator=limit_validator)

    def problems(self) -> list[str]:
        return list(date_range_problems(self.start_date, self.end_date))


@documented
class UserTopContentParams(TopContentParams):
    """An entity's top content; ``realtime`` selects the documented ``/realtime/user/...`` variant."""

    entity_id: list[str] = attrs.field(kw_only=True, validator=ids_validator)
    realtime: bool = attrs.field(default=False, kw_only=True)

    @property
    def route(self) -> str:
        """Path prefix of the variant: ``/realtime`` or nothing."""
        return "/realtime" if self.realtime else ""


# --- /category/{category_id}/... -------------------------------------------------------


@documented
class CategoryMembersParams:
    category_id: list[str] = attrs.field(validator=ids_validator)
    service: str = attrs.field(validator=one_of(catalog.SERVICES, "category members"))


@documented
class CategoryMetricsParams:
    category_id: list[str] = attrs.field(validator=ids_validator)
    service: str = attrs.field(validator=one_of(catalog.SERVICES, "category metrics"))
    start_date: dt.date | None = None
    end_date: dt.date | None = None

    def problems(self) -> list[str]:
        return list(date_range_problems(self.start_date, self.end_date))


@documented
class CategoryTimeSeriesParams:
    category_id: list[str] = attrs.field(validator=ids_validator)
    service: str = attrs.field(validator=one_of(catalog.FACEBOOK_TWITTER, "category time series"))
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    fields: list[str] = attrs.field(factory=list)

    def problems(self) -> list[str]:
        return [
            *date_range_problems(self.start_date, self.end_date),
            *fields_problems(self.fields, self.service, category=True),
        ]


@documented
class CategoryRankingParams:
    """Members of a category ranked by ``metric`` (only total_actions), Facebook only."""

    category_id: list[str] = attrs.field(validator=ids_validator)
    service: str = attrs.field(default="facebook", validator=one_of(catalog.FACEBOOK, "category ranking"))
    metric: str = attrs.field(default="total_actions", validator=one_of(catalog.RANKING_METRICS, "category ranking"))
    start_date: dt.date | None = None
    end_date: dt.date | None = None

    def problems(self) -> list[str]:
        return list(date_range_problems(self.start_date, self.end_date))


@documented
class CategoryCrossPlatformParams:
    category_id: list[str] = attrs.field(validator=ids_validator)
    services: list[str] = attrs.field(factory=list, validator=all_of(catalog.SERVICES, "category cross platform"))


@documented
class CategoryTopContentParams(TopContentParams):
    """A category's top content. No realtime variant: the docs name only
    ``/realtime/user/{entity_id}/...`` (the user endpoint's) for it."""

    category_id: list[str] = attrs.field(kw_only=True, validator=ids_validator)


@documented
class CategoryRealtimeRankingsParams:
    """Realtime member rankings of a category (facebook, twitter) for ``date`` (default today)."""

    category_id: list[str] = attrs.field(validator=ids_validator)
    services: list[str] = attrs.field(factory=list, validator=all_of(catalog.FACEBOOK_TWITTER, "realtime rankings"))
    date: dt.date | None = None


# --- /me/... ---------------------------------------------------------------------------


@documented
class NoParams:
    """The endpoint takes no params."""


@documented
class FindUserParams:
    """``/me/find/user/?term=``: properties whose name contains ``term`` (at most 50)."""

    term: str = attrs.field(validator=non_empty)
