"""The example payloads of Upload-Post's analytics docs, verbatim (``vendor-docs/uploadpost.md``).

Kept in the package so the sandbox can answer them and tests can hold the plugin to the
docs without the docs at hand (``tests/test_uploadpost_fields.py`` walks every documented
response field and, when the docs file is available, checks these are still its examples).

One repair: the analytics example is not valid JSON; its ``// ... more date entries``
line (a comment inside ``reach_timeseries``) is removed and nothing else, so the example
keeps its three printed days.
"""

from __future__ import annotations

from typing import Any

# "GET /api/analytics/profile_username" > "Example Successful Response (200 OK)"
# (curl 'https://api.upload-post.com/api/analytics/test?platforms=instagram,youtube,threads,pinterest,reddit')
ANALYTICS_QUERY = {"platforms": "instagram,youtube,threads,pinterest,reddit"}
ANALYTICS: dict[str, Any] = {
    "instagram": {
        "followers": 47,
        "impressions": 0,
        "profileViews": 0,
        "reach": 0,
        "reach_timeseries": [
            {"date": "2025-07-04", "value": 0},
            {"date": "2025-07-05", "value": 0},
            {"date": "2025-08-02", "value": 0},
        ],
    }
}

# "Total Impressions API" > "Example Response (200 OK)"
TOTAL_QUERY = {"start_date": "2026-01-01", "end_date": "2026-01-31", "breakdown": "true"}
TOTAL: dict[str, Any] = {
    "success": True,
    "profile_username": "myprofile",
    "start_date": "2026-01-01",
    "end_date": "2026-01-31",
    "total_impressions": 45230,
    "per_platform": {"instagram": 12500, "youtube": 18730, "tiktok": 8000, "facebook": 6000},
    "per_day": {"2026-01-01": 1200, "2026-01-02": 1450, "2026-01-03": 980},
}

# "Example with Period Shortcut"
PERIOD_QUERY = {"period": "last_week"}
PERIOD: dict[str, Any] = {
    "success": True,
    "profile_username": "myprofile",
    "start_date": "2026-02-13",
    "end_date": "2026-02-20",
    "total_impressions": 8523,
}

# "Example with Custom Metrics"
METRICS_QUERY = {"period": "last_month", "metrics": "likes,comments,shares", "breakdown": "true"}
METRICS: dict[str, Any] = {
    "success": True,
    "profile_username": "myprofile",
    "start_date": "2026-01-21",
    "end_date": "2026-02-20",
    "metrics": {"likes": 4520, "comments": 312, "shares": 189},
    "per_platform": {
        "likes": {"instagram": 2100, "youtube": 1200, "tiktok": 1220},
        "comments": {"instagram": 150, "youtube": 80, "tiktok": 82},
        "shares": {"instagram": 90, "youtube": 45, "tiktok": 54},
    },
    "per_day": {
        "likes": {"2026-01-21": 150, "2026-01-22": 160},
        "comments": {"2026-01-21": 10, "2026-01-22": 12},
        "shares": {"2026-01-21": 6, "2026-01-22": 8},
    },
}

# "Example with Single Date"
SINGLE_DATE_QUERY = {"date": "2026-02-15"}
SINGLE_DATE: dict[str, Any] = {
    "success": True,
    "profile_username": "myprofile",
    "start_date": "2026-02-15",
    "end_date": "2026-02-15",
    "total_impressions": 1523,
}

# "Example with Platform Filter"
FILTER_QUERY = {"platform": "youtube,tiktok", "breakdown": "true"}
FILTER: dict[str, Any] = {
    "success": True,
    "profile_username": "myprofile",
    "start_date": "2026-01-20",
    "end_date": "2026-02-19",
    "total_impressions": 26730,
    "platforms_filter": ["youtube", "tiktok"],
    "per_platform": {"youtube": 18730, "tiktok": 8000},
    "per_day": {"2026-01-20": 850, "2026-01-21": 920},
}

TOTAL_EXAMPLES: tuple[tuple[dict[str, str], dict[str, Any]], ...] = (
    (TOTAL_QUERY, TOTAL),
    (PERIOD_QUERY, PERIOD),
    (METRICS_QUERY, METRICS),
    (SINGLE_DATE_QUERY, SINGLE_DATE),
    (FILTER_QUERY, FILTER),
)
"""Each total-impressions example with the query of its curl (profile ``myprofile``)."""

# "GET /api/uploadposts/post-analytics/request_id" > "Example Response (200 OK)"
POST_REQUEST_ID = "abc123-def456"
POST: dict[str, Any] = {
    "success": True,
    "post": {
        "request_id": "abc123-def456",
        "profile_username": "myprofile",
        "post_title": "My Video",
        "post_caption": "Check this out!",
        "media_type": "video",
        "upload_timestamp": "2026-02-10 14:30:00",
    },
    "platforms": {
        "youtube": {
            "success": True,
            "platform_post_id": "dQw4w9WgXcQ",
            "post_url": "https://youtube.com/watch?v=dQw4w9WgXcQ",
            "post_metrics": {"views": 5200, "likes": 120, "comments": 8, "favorites": 3},
            "post_metrics_source": "platform_api",
            "profile_snapshot_at_post_date": {"followers": 1500, "impressions": 45000, "likes": 320, "comments": 15, "shares": 8},
            "profile_snapshot_latest": {"followers": 1650, "impressions": 52000, "likes": 410, "comments": 22, "shares": 12},
            "profile_snapshot_latest_date": "2026-02-20",
        },
        "tiktok": {
            "success": True,
            "platform_post_id": "7123456789",
            "post_url": "https://tiktok.com/@user/video/7123456789",
            "post_metrics_error": "TikTok video not found (ID: 7123456789). The token may need to be refreshed.",
            "profile_snapshot_at_post_date": {"followers": 800, "impressions": 12000, "likes": 500, "comments": 30},
            "profile_snapshot_latest": {"followers": 950, "impressions": 18500, "likes": 780, "comments": 45},
            "profile_snapshot_latest_date": "2026-02-20",
        },
    },
}

# "GET /api/uploadposts/platform-metrics" > "Example Response (200 OK)"
PLATFORM_METRICS: dict[str, Any] = {
    "instagram": {
        "primary_impressions_field": "reach",
        "available_metrics": ["followers", "reach", "impressions", "profileViews", "likes", "comments", "shares", "saves"],
        "metric_labels": {"reach": "Unique Reach", "impressions": "Content Views", "profileViews": "Accounts Engaged"},
    },
    "youtube": {
        "primary_impressions_field": "impressions",
        "available_metrics": ["followers", "impressions", "likes", "comments", "shares"],
        "metric_labels": {"impressions": "Video Views", "followers": "Subscribers"},
    },
}

RESPONSES: dict[str, list[dict[str, Any]]] = {
    "profile_analytics": [ANALYTICS],
    "total_impressions": [TOTAL, PERIOD, METRICS, SINGLE_DATE, FILTER],
    "post_analytics": [POST],
    "platform_metrics": [PLATFORM_METRICS],
}
"""Every documented response body, by the stream it feeds."""
