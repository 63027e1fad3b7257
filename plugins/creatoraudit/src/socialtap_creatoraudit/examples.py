"""The example payloads of CreatorAudit's API docs ("Track a video", ``POST /videos``), verbatim.

Kept in the package so tests can hold the plugin to the docs without the docs at hand:
``tests/test_creatoraudit_fields.py`` walks every documented response field and fails
unless it reaches a record or is listed under "Fields not carried" in the README, and
(when the docs file is at hand) that these are still the docs' own examples.
"""

from __future__ import annotations

from typing import Any

# The curl example's --data body. It omits ``platform``, which the schema marks required.
EXAMPLE_REQUEST: dict[str, Any] = {"identifier": "<string>", "metadata": {}, "is_active": True, "scrape_interval_hours": 24}

# "Response" > 200 "Successful Response": ``{"data": VideoResponse}``.
VIDEO_RESPONSE: dict[str, Any] = {
    "data": {
        "id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
        "external_id": "<string>",
        "type": "video",
        "shortcode": "<string>",
        "is_active": True,
        "scrape_interval_hours": 24,
        "metadata": {},
        "added_at": "2023-11-07T05:31:56Z",
        "updated_at": "2023-11-07T05:31:56Z",
        "first_scrape_time": "2023-11-07T05:31:56Z",
        "last_scrape_time": "2023-11-07T05:31:56Z",
        "description": "<string>",
        "create_time": "2023-11-07T05:31:56Z",
        "media_type": "<string>",
        "duration": 123,
        "is_unavailable": True,
        "cover_image_url": "<string>",
        "cover_image_url_original": "<string>",
        "video_url": "<string>",
        "video_url_original": "<string>",
        "view_count": 123,
        "like_count": 123,
        "comment_count": 123,
        "share_count": 123,
        "play_count": 123,
        "saved_count": 123,
        "total_views": 123,
        "total_plays": 123,
        "account_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
        "account_username": "<string>",
        "platform_account_id": "<string>",
        "platform_data": {},
    }
}

RESPONSES: dict[str, dict[str, Any]] = {"track_video": VIDEO_RESPONSE}
"""Every documented response body, by the stream it answers (the docs print no error body)."""
