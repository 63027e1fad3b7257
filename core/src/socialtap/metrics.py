"""The canonical metric vocabulary.

Every vendor maps its own field names onto these, so the same metric from two vendors is
comparable row for row. A vendor field with no canonical twin keeps its own name and is
marked ``canonical=False`` on the Observation.
"""

from __future__ import annotations

from collections.abc import Mapping

CANONICAL_METRICS: dict[str, str] = {
    "followers": "People following the account (fans, subscribers, page likes).",
    "following": "Accounts the account follows.",
    "posts": "Pieces of content published.",
    "likes": "Likes (or reactions counted as likes) on content.",
    "reactions": "All reactions on content (Facebook reactions, including likes).",
    "comments": "Comments or replies on content.",
    "shares": "Shares, retweets, reposts.",
    "saves": "Saves or bookmarks.",
    "views": "Content views as the platform counts them.",
    "video_views": "Video views.",
    "plays": "Plays of a video or reel (counting replays).",
    "impressions": "Times content was shown.",
    "reach": "Distinct people who saw content.",
    "profile_views": "Visits to the account's profile.",
    "engagements": "Total interactions (likes + comments + shares + ...).",
    "engagement_rate": "Engagements relative to followers, in percent.",
    "audience_size": "Distinct people in an audience segment.",
}


def canonical_metric(vendor_name: str, mapping: Mapping[str, str] | None = None) -> tuple[str, bool]:
    """Return ``(metric name, is canonical)`` for a vendor's field name."""
    if mapping and vendor_name in mapping:
        name = mapping[vendor_name]
        return name, name in CANONICAL_METRICS
    return vendor_name, vendor_name in CANONICAL_METRICS
