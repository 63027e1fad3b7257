"""The Shareablee v1.4 vendor: one declarative Stream per documented endpoint.

Everything is declared: paths, params (the docs' names), the one paginated endpoint
(user content follows ``next_page`` as the docs print it: see ``pagination``), fan-out of ``entity_id`` / ``category_id`` lists,
payload models and normalizers. The plugin answers two hooks itself: registration, and
``socialtap_auth`` only to warn when HTTP Basic credentials would
travel over plain http to anything but this machine.
"""

from __future__ import annotations

import ipaddress
import warnings
from collections.abc import Callable, Collection, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests

from socialtap import Account, Check, Credential, DataTerms, Observation, Post, RateLimit, Relation, Stream, Vendor, hookimpl
from socialtap.auth import Basic, HeaderAuth
from socialtap.declarations import Window
from socialtap.errors import QuotaError
from socialtap.fetch import path_fields
from socialtap.params import converter as params_converter
from socialtap.sandbox import DocumentedError, Sandbox
from socialtap_shareablee import catalog, models
from socialtap_shareablee import normalize as n
from socialtap_shareablee import params as p
from socialtap_shareablee.pagination import NextPage

VENDOR = n.VENDOR
BASE_URL = "https://api.shareablee.com/v1.4"


def is_local(host: str) -> bool:
    """Loopback (127.0.0.0/8, ::1, localhost): traffic that never leaves this machine."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class InsecureTransportWarning(UserWarning):
    """Credentials are about to be sent over plain http to another machine."""


class BasicAuthWarnPlainHttp(HeaderAuth):
    """HTTP Basic that warns (once per host) before sending to a plain-http URL.

    The docs show ``http://api.shareablee.com``; Basic credentials over http can be read
    by anyone on the path, so the default is https and http is allowed but loud,
    except to loopback (127.0.0.1, localhost: the sandbox).
    """

    def __init__(self, value: str):
        super().__init__("Authorization", value)
        self._warned: set[str] = set()

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        parts = urlsplit(request.url or "")
        host = (parts.hostname or "").lower()
        if parts.scheme == "http" and not is_local(host) and host not in self._warned:
            self._warned.add(host)
            warnings.warn(
                f"sending Shareablee credentials over plain http to {host}: anyone on the network path can read "
                f"them. Use {BASE_URL} (https) unless you know this host is safe.",
                InsecureTransportWarning,
                stacklevel=2,
            )
        return super().__call__(request)

    def __repr__(self) -> str:
        return "BasicAuthWarnPlainHttp('***')"


def make_query(
    path: str,
    *,
    comma: Collection[str] = (),
    rename: Mapping[str, str] | None = None,
    drop: Collection[str] = (),
) -> Callable[[Any], dict[str, Any]]:
    """The query string of a stream: every param not in the path and not None, lists
    in ``comma`` joined with commas (``services=facebook,twitter``), others repeated."""
    skip = {*path_fields(path), *drop}
    rename = dict(rename or {})

    def query(params: Any) -> dict[str, Any]:
        data = params_converter.unstructure(params)
        out: dict[str, Any] = {}
        for name, value in data.items():
            if name in skip or value is None or value == []:
                continue
            out[rename.get(name, name)] = ",".join(value) if name in comma else value
        return out

    return query


def stream(
    name: str,
    path: str,
    params: type,
    normalize: Callable[..., Any],
    records: tuple[type, ...],
    model: type,
    description: str,
    *,
    comma: Collection[str] = (),
    rename: Mapping[str, str] | None = None,
    drop: Collection[str] = (),
    **kwargs: Any,
) -> Stream:
    fan_out = "category_id" if "{category_id}" in path else "entity_id" if "{entity_id}" in path else None
    return Stream(
        name,
        path,
        params,
        normalize,
        records,
        description=description,
        query=make_query(path, comma=comma, rename=rename, drop=drop),
        fan_out=fan_out,
        payload_model=model,
        **kwargs,
    )


# Date windows (start_date, end_date: inclusive days) for --incremental runs. The docs
# give an oldest start for affinity (2015-12-01) and page insights (2016-01-01), and a
# default window only for page insights ("the last 30 days"); elsewhere the Window's
# 30 days stand. They document no revision period, so no lookback is declared (an
# incremental run still refetches its bookmark day); pass --lookback for more. The
# realtime streams count days as offsets from today (or one `date`): no window.
WINDOW = Window()
AFFINITY_WINDOW = Window(earliest=catalog.AFFINITY_EARLIEST)
INSIGHTS_WINDOW = Window(earliest=catalog.INSIGHTS_EARLIEST, default_days=30)

USER = "/user/{entity_id}/{service}"
CATEGORY = "/category/{category_id}/{service}"

STREAMS = (
    stream(
        "user_content",
        USER + "/content/",
        p.UserContentParams,
        n.normalize_content,
        (Post,),
        models.UserContentPage,
        "Posts of an entity on facebook or twitter, 100 a page from 0-based `page`, following next_page.",
        pagination=NextPage(),
        window=WINDOW,
    ),
    stream(
        "user_metrics",
        USER + "/metrics/",
        p.UserMetricsParams,
        n.normalize_metrics,
        (Observation,),
        models.MetricsResponse,
        "Every metric of an entity on one service over a date range (fans_by_country as a country dimension).",
        window=WINDOW,
    ),
    stream(
        "user_time_series",
        USER + "/time_series/",
        p.UserTimeSeriesParams,
        n.normalize_time_series,
        (Observation,),
        models.TimeSeries,
        "Daily values of the requested `fields` (facebook, twitter).",
        comma=("fields",),
        window=WINDOW,
    ),
    stream(
        "user_realtime_time_series",
        "/realtime" + USER + "/time_series/",
        p.UserRealtimeTimeSeriesParams,
        n.normalize_realtime_time_series,
        (Observation,),
        models.RealtimeTimeSeries,
        "Realtime values by day offset from today (`start_offset` < `end_offset`, 0-6); realtime access only.",
        comma=("fields",),
    ),
    stream(
        "user_overlap_comparison",
        USER + "/overlap/comparison/property/",
        p.ComparisonParams,
        n.normalize_overlap_comparison,
        (Observation,),
        models.OverlapResponse,
        "Audience overlap of an entity with `object_ids` for one month ('-' unavailable, '*' below threshold).",
        rename={"object_ids": "object_id"},
        window=WINDOW,
    ),
    stream(
        "user_affinity_comparison",
        USER + "/affinity/comparison/property/",
        p.AffinityComparisonParams,
        n.normalize_affinity_comparison,
        (Observation,),
        models.AffinityResponse,
        "Audience affinity of an entity with `object_ids` for the latest month in range (from 2015-12-01).",
        rename={"object_ids": "object_id"},
        window=AFFINITY_WINDOW,
    ),
    stream(
        "user_overlap_ranking",
        USER + "/overlap/ranking/property/",
        p.OverlapRankingParams,
        n.normalize_overlap_ranking,
        (Observation,),
        models.OverlapResponse,
        "Properties ranked by audience overlap with an entity (`limit` up to 100).",
        window=WINDOW,
    ),
    stream(
        "user_affinity_ranking",
        USER + "/affinity/ranking/property/",
        p.AffinityRankingParams,
        n.normalize_affinity_ranking,
        (Observation,),
        models.AffinityResponse,
        "Properties ranked by audience affinity with an entity (from 2015-12-01).",
        window=AFFINITY_WINDOW,
    ),
    stream(
        "page_insights",
        USER + "/insights/page/",
        p.PageInsightsParams,
        n.normalize_page_insights,
        (Observation,),
        models.PageInsights,
        "Daily Facebook page insights (from 2016-01-01; last 30 days without dates); feedback maps as dimensions.",
        comma=("fields",),
        window=INSIGHTS_WINDOW,
    ),
    stream(
        "user_cross_platform",
        "/user/{entity_id}/cross_platform/",
        p.UserCrossPlatformParams,
        n.normalize_cross_platform,
        (Account,),
        models.CrossPlatformUser,
        "An entity's profile on each service, as Accounts.",
        comma=("services",),
    ),
    stream(
        "user_top_content",
        "{route}/user/{entity_id}/cross_platform/top_content/",
        p.UserTopContentParams,
        n.normalize_top_content,
        (Post,),
        models.TopContent,
        "An entity's top posts across `services` (`limit` up to 100; `realtime` for the realtime variant).",
        comma=("services",),
        drop=("realtime",),
        window=WINDOW,
    ),
    stream(
        "category_members",
        CATEGORY + "/",
        p.CategoryMembersParams,
        n.normalize_members,
        (Account, Relation),
        models.CategoryMembers,
        "Members of a category on one service: Accounts tagged with the category, and category_member Relations.",
    ),
    stream(
        "category_metrics",
        CATEGORY + "/metrics/",
        p.CategoryMetricsParams,
        n.normalize_metrics,
        (Observation,),
        models.MetricsResponse,
        "Every metric of a category (averages over its members) on one service.",
        window=WINDOW,
    ),
    stream(
        "category_time_series",
        CATEGORY + "/time_series/",
        p.CategoryTimeSeriesParams,
        n.normalize_time_series,
        (Observation,),
        models.TimeSeries,
        "Daily values of a category's `fields` (facebook, twitter).",
        comma=("fields",),
        window=WINDOW,
    ),
    stream(
        "category_ranking",
        CATEGORY + "/ranking/",
        p.CategoryRankingParams,
        n.normalize_category_ranking,
        (Observation,),
        models.CategoryRanking,
        "Members of a category ranked by `metric` (total_actions; Facebook).",
        window=WINDOW,
    ),
    stream(
        "category_cross_platform",
        "/category/{category_id}/cross_platform/",
        p.CategoryCrossPlatformParams,
        n.normalize_members,
        (Account, Relation),
        models.CategoryMembers,
        "Members of a category on each of `services`: Accounts and category_member Relations.",
        comma=("services",),
    ),
    stream(
        "category_top_content",
        "/category/{category_id}/cross_platform/top_content/",
        p.CategoryTopContentParams,
        n.normalize_top_content,
        (Post,),
        models.TopContent,
        "A category's top posts across `services` (`limit` up to 100; the docs document no realtime variant of it).",
        comma=("services",),
        window=WINDOW,
    ),
    stream(
        "category_realtime_rankings",
        "/realtime/category/{category_id}/cross_platform/rankings/",
        p.CategoryRealtimeRankingsParams,
        n.normalize_realtime_rankings,
        (Observation,),
        models.RealtimeRankings,
        "Realtime ranking of a category's members by total_actions for `date` (facebook, twitter).",
        comma=("services",),
    ),
    stream(
        "me_properties",
        "/me/properties/",
        p.NoParams,
        n.access_normalizer("property"),
        (Relation,),
        models.AccessList,
        "Properties the token may read, as Relations from `me` (other_id 'all' when unlimited).",
    ),
    stream(
        "me_categories",
        "/me/categories/",
        p.NoParams,
        n.access_normalizer("category"),
        (Relation,),
        models.AccessList,
        "Categories the token may read, as Relations from `me` (other_id 'all' when unlimited).",
    ),
    stream(
        "find_user",
        "/me/find/user/",
        p.FindUserParams,
        n.normalize_find,
        (Relation,),
        models.FindResponse,
        "Properties whose name contains `term` (max 50); value 1 when the token is authorized, else 0.",
    ),
)


def sandbox() -> Sandbox:
    """The offline emulator (imported only when a sandbox is served)."""
    from socialtap_shareablee.sandbox import TEST_API_KEY, TEST_API_SECRET, ShareableeSandbox

    return Sandbox(
        app=ShareableeSandbox,
        credentials={"api_key": TEST_API_KEY, "api_secret": TEST_API_SECRET},
        errors=DOCUMENTED_ERRORS,
    )


# The one error body the docs print ("Throttling": HTTP 429 with a json response, the
# message as a JSON string). "Errors" promises a human readable message but prints none.
DOCUMENTED_ERRORS = (DocumentedError(429, "Rate limit exceeded. Please try again later.", QuotaError, doc="Throttling"),)


# The docs' terms, "Must Do's and Don'ts", mapped onto record fields one by one:
# (1) "You may not request, collect, and/or store any personal data which may include
#     social URLs, labels, userIDs, friendly names or handles";
# (2) "Shareablee category, entity, object IDs and property names are Shareablee data and
#     not licensed except by express agreement. You may only use this information to
#     effect your requests for metrics or content";
# (3) "You may not store any Shareablee data more than 60 days" (retention_days).
# A field is declared when it holds what (1) names, or an object id or property name of (2).
# --keep-personal-data states the agreement both speak of, so it keeps both.
# - social URLs: Account.url (the profile's link), attributes.website and
#   attributes.profile_picture (URLs on a profile); Post.url (post_url), attributes.link,
#   attributes.link_to_likes and attributes.thumbnail (URLs of a post on the network).
# - handles: Account.username (user_name); a post's attributes.user_name (twitter's handle).
# - friendly names and property names: Account.display_name; attributes.name wherever it
#   is an entity's Shareablee name (Account; Observation, where it is the entity's or,
#   for a category's observations, the category's: one field, so all of it goes);
#   attributes.compared_name (overlap and affinity); Post attributes.username and
#   attributes.related_user_name (the page's name on a post), attributes.user (the page's
#   name and object_id on user_content's posts); Relation.other_name (a member's or a
#   property's name).
# - userIDs and object ids: Account.ids.object_id (the service's id of the account: a
#   network user id), a post's attributes.user_id, an Observation's attributes.object_id
#   (the entity's service id; the category id on category observations) and
#   attributes.compared_object_id (overlap's service id of the compared property).
# - labels: a profile's own texts about its holder, Account attributes.about and
#   attributes.description (the list says "may include": a page's self-description is
#   personal data where the page is a person's).
# Not declared, with the reason:
# - Shareablee entity ids (Account.account_id, Post.account_id, Observation.entity_id,
#   Relation ids, the compared_entity and category dimensions, attributes.compared_entity_id,
#   attributes.category_id of top content): (2) allows them "to effect your requests", they
#   are what every record joins on, and most are natural-key fields, which DataTerms
#   cannot leave out (distinct records would merge). The compared_entity dimension is the
#   id the user sent; a category ranking's entity_id is its object_id (attributes.id_kind).
# - Post.text (a post's content: the content (2) licenses), ISINs (a security's public
#   ISO 6166 number), a country's full_name, a category's name and isin on a membership
#   Relation or a ranking (a category is not a person; (2) names category ids, not names),
#   page-insights start/end, the search term, metric values.
TERMS = DataTerms(
    personal_fields={
        "account": (
            "username",
            "display_name",
            "url",
            "ids.object_id",
            "attributes.name",
            "attributes.website",
            "attributes.profile_picture",
            "attributes.about",
            "attributes.description",
        ),
        "post": (
            "url",
            "attributes.link",
            "attributes.link_to_likes",
            "attributes.thumbnail",
            "attributes.user_name",
            "attributes.username",
            "attributes.related_user_name",
            "attributes.user_id",
            "attributes.user",
        ),
        "observation": ("attributes.name", "attributes.object_id", "attributes.compared_name", "attributes.compared_object_id"),
        "relation": ("other_name",),
    },
    retention_days=60,
    doc="Shareablee API v1.4 docs, Must Do's and Don'ts",
)


def describe_access(records: list[Relation]) -> str:
    """What ``/me/properties/`` said: the properties the credentials may read."""
    if any(r.other_id == "all" for r in records):
        return "the credentials may read all properties"
    return f"the credentials may read {len(records)} propert{'y' if len(records) == 1 else 'ies'}"


# /me/properties/ reads the account's own access list: free, and refused with 401 for
# wrong credentials, so it is the cheapest proof that both the key and the URL work.
CHECK = Check("me_properties", describe=describe_access)

SHAREABLEE = Vendor(
    name=VENDOR,
    title="Shareablee API v1.4",
    base_url=BASE_URL,
    auth=Basic(username="api_key", password="api_secret", token="token"),
    credentials=(
        Credential("api_key", "API key from your Shareablee account representative", required=False),
        Credential("api_secret", "API secret that goes with the key", required=False),
        Credential("token", "or the API token: base64 of api_key:api_secret", required=False),
    ),
    streams=STREAMS,
    rate_limit=RateLimit(5, 1.0),
    sandbox=sandbox,
    terms=TERMS,
    check=CHECK,
)


@hookimpl
def socialtap_register_vendors(register):
    register(SHAREABLEE)


@hookimpl
def socialtap_auth(vendor, credentials):
    if vendor.name != VENDOR:
        return None
    built = vendor.auth.build(credentials)
    return BasicAuthWarnPlainHttp(built._value)
