"""The Upload-Post vendor (``uploadpost``): four declarative streams and no custom hooks.

- ``profile_analytics``: ``GET /analytics/{profile_username}``, one request per profile.
- ``total_impressions``: ``GET /uploadposts/total-impressions/{profile_username}``, one
  request per profile; its ``start_date``/``end_date`` form an incremental window.
- ``post_analytics``: ``GET /uploadposts/post-analytics/{request_id}``, one per request id.
- ``platform_metrics``: ``GET /uploadposts/platform-metrics``, public: sent without
  credentials (``Stream(public=True)``), so it runs with none set.

The base URL is ``https://api.upload-post.com/api`` (the docs give paths from the host
root, ``/api/analytics/...``). Auth is ``Authorization: Apikey <key>``; the docs call the
key a JWT. Rate limit: none is documented. We declare **60 requests per minute** per key,
a conservative guess; raise ``RATE_LIMIT`` if your plan allows more.

Errors as documented: 400 (bad ``platforms``, date format or metric name) is a
ConfigError quoting the server, 401 an AuthError naming ``SOCIALTAP_UPLOADPOST_API_KEY``,
404 a NotFoundError (the URL names the profile or request id), 500 is retried and then a
VendorError. The docs print no error bodies, so the sandbox declares none to the
contract suite.
"""

from __future__ import annotations

from socialtap import Account, Check, Credential, Observation, Post, RateLimit, Relation, Stream, Vendor, Window, hookimpl
from socialtap.auth import ApikeyAuthorization
from socialtap.sandbox import Sandbox
from socialtap_uploadpost.models import PostAnalytics
from socialtap_uploadpost.normalize import (
    VENDOR,
    normalize_platform_metrics,
    normalize_post_analytics,
    normalize_profile_analytics,
    normalize_total_impressions,
)
from socialtap_uploadpost.params import (
    PlatformMetricsParams,
    PostAnalyticsParams,
    ProfileAnalyticsParams,
    TotalImpressionsParams,
)

BASE_URL = "https://api.upload-post.com/api"
RATE_LIMIT = RateLimit(60, 60.0)

NOT_FOUND_ADVICE = (
    "Upload-Post knows no such profile (analytics, total impressions) or upload (post analytics) for this API key: "
    "check the profile_username or request_id in the params (the URL above names it)."
)

PROFILE_ANALYTICS = Stream(
    "profile_analytics",
    "/analytics/{profile_username}",
    ProfileAnalyticsParams,
    normalize_profile_analytics,
    (Account, Observation),
    description="Followers, impressions, reach, engagement and 30 days of reach/views per platform of a profile.",
    fan_out="profile_username",
    comma_joined={"platforms"},
)

TOTAL_IMPRESSIONS = Stream(
    "total_impressions",
    "/uploadposts/total-impressions/{profile_username}",
    TotalImpressionsParams,
    normalize_total_impressions,
    (Observation,),
    description="Deduplicated total impressions (or chosen metrics) of a profile over a range, by platform and day.",
    fan_out="profile_username",
    comma_joined={"platform", "metrics"},
    # end_date defaults to today and start_date to 30 days before it: 31 days, today included.
    window=Window("start_date", "end_date", lookback_days=1, default_days=31),
)

POST_ANALYTICS = Stream(
    "post_analytics",
    "/uploadposts/post-analytics/{request_id}",
    PostAnalyticsParams,
    normalize_post_analytics,
    (Post, Observation),
    description="A post's metrics on each platform it was published to, with profile snapshots then and now.",
    fan_out="request_id",
    payload_model=PostAnalytics,
)

PLATFORM_METRICS = Stream(
    "platform_metrics",
    "/uploadposts/platform-metrics",
    PlatformMetricsParams,
    normalize_platform_metrics,
    (Relation,),
    description="Each platform's available metrics, their labels and the primary impressions field (public).",
    public=True,
)


def sandbox() -> Sandbox:
    """The Upload-Post emulator and its test key (imported only when served)."""
    from socialtap_uploadpost.sandbox import TEST_API_KEY, UploadPostSandbox

    return Sandbox(app=UploadPostSandbox, credentials={"api_key": TEST_API_KEY})


UPLOADPOST = Vendor(
    name=VENDOR,
    title="Upload-Post",
    base_url=BASE_URL,
    auth=ApikeyAuthorization(),
    credentials=(Credential("api_key", "Upload-Post API key (the docs call it a JWT), sent as Authorization: Apikey <key>"),),
    streams=(PROFILE_ANALYTICS, TOTAL_IMPRESSIONS, POST_ANALYTICS, PLATFORM_METRICS),
    rate_limit=RATE_LIMIT,
    status_advice={404: NOT_FOUND_ADVICE},
    sandbox=sandbox,
    # Upload-Post documents no "me" or account call: the cheapest authenticated one is one
    # day of a profile's impressions, and only the user knows their profile's name.
    check=Check(
        "total_impressions",
        {"period": "last_day"},
        needs=("profile_username",),
        sandbox_params={"profile_username": "myprofile"},
    ),
)


@hookimpl
def socialtap_register_vendors(register):
    """Register Upload-Post."""
    register(UPLOADPOST)
