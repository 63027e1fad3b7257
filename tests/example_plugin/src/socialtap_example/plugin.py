"""The example vendor: four streams, one per way the core can fetch and page."""

from __future__ import annotations

import datetime as dt

import attrs

from socialtap import Account, Check, Credential, Observation, Post, RateLimit, Relation, Stream, Vendor, hookimpl
from socialtap.auth import Bearer
from socialtap.declarations import Window
from socialtap.errors import AuthError, ConfigError, NotFoundError, PayloadError
from socialtap.pagination import NextLink, PageNumber
from socialtap.params import date_range_problems
from socialtap.records import observation, utcnow
from socialtap.sandbox import DocumentedError, Sandbox
from socialtap_example import models

VENDOR = "example"
PLATFORM = "exampleverse"
METRICS = {"followers": "followers", "following": "following"}


@attrs.frozen
class ProfilesParams:
    profile_id: list[str]


@attrs.frozen
class PostsParams:
    profile_id: list[str]
    per_page: int = attrs.field(default=5, validator=[attrs.validators.ge(1), attrs.validators.le(50)])


@attrs.frozen
class MentionsParams:
    profile_id: str


@attrs.frozen
class SeriesParams:
    ids: list[str]
    start_date: dt.date
    end_date: dt.date

    def problems(self) -> list[str]:
        return list(date_range_problems(self.start_date, self.end_date))


def normalize_profile(profile: models.Profile, request):
    yield Account(VENDOR, PLATFORM, profile.id, username=profile.handle, display_name=profile.name, status=profile.status)
    fetched = utcnow()
    for name in ("followers", "following"):
        value = getattr(profile, name)
        yield observation(
            VENDOR,
            PLATFORM,
            "account",
            profile.id,
            name,
            value,
            mapping=METRICS,
            fetched_at=fetched,
            status="available" if value is not None else "pending",
        )


def _parsed(parse, value: str, path: str):
    """``parse(value)``, or a PayloadError naming the field: a vendor's bad date is its error, not a crash."""
    try:
        return parse(value)
    except ValueError:
        raise PayloadError(f"example: {path} {value!r} is not in the documented ISO 8601 form", vendor=VENDOR) from None


def normalize_posts(page: models.PostPage, request):
    for i, item in enumerate(page.data):
        yield Post(
            VENDOR,
            PLATFORM,
            item.id,
            account_id=item.profile_id,
            text=item.text,
            created_at=_parsed(dt.datetime.fromisoformat, item.created_at, f"data[{i}].created_at"),
            metrics={"likes": item.likes, "comments": item.comments},
        )


def normalize_mentions(page: models.MentionPage, request):
    for mention in page.results:
        yield Relation(VENDOR, PLATFORM, mention.source, "mentions", mention.target, mention.target_name, mention.count)


def normalize_series(response: models.SeriesResponse, request):
    for i, item in enumerate(response.items):
        for j, point in enumerate(item.views):
            day = _parsed(dt.date.fromisoformat, point.date, f"items[{i}].views[{j}].date")
            yield Observation(VENDOR, PLATFORM, "account", item.id, "views", point.value, date=day)


STREAMS = (
    Stream(
        "profiles",
        "/profiles/{profile_id}",
        ProfilesParams,
        normalize_profile,
        (Account, Observation),
        description="One profile per id, with follower counts.",
        fan_out="profile_id",
        payload_model=models.Profile,
    ),
    Stream(
        "posts",
        "/profiles/{profile_id}/posts",
        PostsParams,
        normalize_posts,
        (Post,),
        description="A profile's posts, 1-based pages.",
        fan_out="profile_id",
        payload_model=models.PostPage,
        pagination=PageNumber(param="page", base=1, items="data", total="total"),
    ),
    Stream(
        "mentions",
        "/profiles/{profile_id}/mentions",
        MentionsParams,
        normalize_mentions,
        (Relation,),
        description="Who a profile mentions; DRF-style next links.",
        payload_model=models.MentionPage,
        pagination=NextLink("next"),
    ),
    Stream(
        "views",
        "/series",
        SeriesParams,
        normalize_series,
        (Observation,),
        method="POST",
        idempotent=True,
        description="Daily views of many profiles, 3 per request.",
        batch="ids",
        payload_model=models.SeriesResponse,
        window=Window(),
    ),
)


def sandbox() -> Sandbox:
    from socialtap_example.sandbox import TEST_TOKEN, ExampleSandbox

    return Sandbox(app=ExampleSandbox, credentials={"token": TEST_TOKEN}, errors=DOCUMENTED_ERRORS)


# The example API's error bodies, as its sandbox answers them.
DOCUMENTED_ERRORS = (
    DocumentedError(401, {"detail": "Invalid token."}, AuthError),
    DocumentedError(404, {"detail": "Not found."}, NotFoundError, stream="profiles"),
    DocumentedError(422, {"errors": ["'ids' field is required"]}, ConfigError, stream="views"),
)


EXAMPLE = Vendor(
    name=VENDOR,
    title="Example API",
    base_url="https://api.example.test/v2",
    auth=Bearer("token"),
    credentials=(Credential("token", "API token from the example dashboard"),),
    streams=STREAMS,
    rate_limit=RateLimit(50, 1.0),
    max_batch=3,
    docs_url="https://example.test/docs",
    sandbox=sandbox,
    # One profile is the cheapest authenticated call the example API has.
    check=Check("profiles", {"profile_id": "alice"}),
)


@hookimpl
def socialtap_register_vendors(register):
    register(EXAMPLE)
