"""The docs' example payloads (``influencerdb.apib``, "Data Structures"), value for value.

The API Blueprint gives its examples as MSON attributes, not JSON: each payload here is
the documented structure with the sample value the docs print beside each field (a
``number`` sample as a JSON number, ``null`` as None). ``Category``'s one sample,
``travel``, fills both ``primary`` and ``secondary``; a test that must tell the two apart
uses :data:`CHANNEL_TWO_CATEGORIES`. Structures whose fields have no sample (``caption``,
``tags``) get none: they are absent from the walk's values, and the walk is given
:data:`POST_FILLED`, whose two extra values are marked as ours.
"""

from __future__ import annotations

from typing import Any

CHANNEL_ID = "d15ea3bc-c59a-49da-a6d2-f5e66fd44b71"

API_METADATA: dict[str, Any] = {"version": "1.0.0"}

CHANNEL: dict[str, Any] = {
    "id": CHANNEL_ID,
    "username": "dior",
    "media": "instagram",
    "category": {"primary": [{"name": "travel"}], "secondary": [{"name": "travel"}]},
    "country": "US",
    "stats": {"followers": 1234, "follows": 5678, "post_count": 345},
}

# Ours, not the docs': the same channel with two different categories, so a test can see
# that primary and secondary are kept apart.
CHANNEL_TWO_CATEGORIES: dict[str, Any] = {
    **CHANNEL,
    "category": {"primary": [{"name": "travel"}], "secondary": [{"name": "fashion"}]},
}

CHANNEL_SEARCH_RESULT: dict[str, Any] = {"count": 1, "next": None, "previous": None, "results": [CHANNEL]}

AUDIENCE: dict[str, Any] = {
    "genders": {"male": 43.7, "femalte": 56.3},
    "countries": {"US": 56.1, "ID": 1.8},
    "ages": {"total": 606, "counts": [["25-34", 123]]},
}

QUALITY: dict[str, Any] = {
    "quality_grade": 55,
    "quality_distribution": {
        "quality_distribution_1": 0.47638009,
        "quality_distribution_2": 0.15819005,
        "quality_distribution_3": 0.10895928,
        "quality_distribution_4": 0.15565611,
        "quality_distribution_5": 0.10081448,
    },
}

MENTIONS: dict[str, Any] = {
    "count": 1,
    "next": None,
    "previous": None,
    "results": [{"username": "someuser", "profile_picture": "https://scontent.cdninstagram.com/something.jpg"}],
}

FOLLOWER_CHANGES: dict[str, Any] = {
    "count": 1,
    "next": None,
    "previous": None,
    "results": [{"date": "2012-04-23", "followers": 5982, "change": 10, "follows": 132}],
}

ENGAGED: dict[str, Any] = {
    "count": 1,
    "next": None,
    "previous": None,
    "results": [{"id": CHANNEL_ID, "profile_picture": "https://scontent.cdninstagram.com/something.jpg"}],
}

POST: dict[str, Any] = {
    "post_id": CHANNEL_ID,
    "created_time": "2018-08-13T16:53:53",
    "link": "https://www.instagram.com/p/BmbS5r4Aant",
}
# ``caption`` (string) and ``tags`` (array[string]) are documented without a sample value.
POST_FILLED: dict[str, Any] = {**POST, "caption": "(ours) a caption", "tags": ["(ours)-tag"]}

CONTENT: dict[str, Any] = {"count": 1, "next": None, "previous": None, "results": [POST_FILLED]}

CREDITS: dict[str, Any] = {"credits": 10}

EMPTY_PAGE: dict[str, Any] = {"count": 0, "next": None, "previous": None, "results": []}

OPTIONS: dict[str, Any] = {"credits": 5}

ERROR_NOT_AUTHORIZED: dict[str, Any] = {"detail": "Not authorized"}
ERROR_FORBIDDEN: dict[str, Any] = {"detail": "Forbidden"}
ERROR_NOT_FOUND: dict[str, Any] = {"detail": "Not found"}
ERROR_BAD_REQUEST: dict[str, Any] = {"detail": "Invalid value"}
ERROR_INTERNAL: dict[str, Any] = {"detail": "Internal error"}
ERROR_THROTTLED: dict[str, Any] = {"detail": "Not enough credits"}

TOKEN_SUFFICIENT = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"
TOKEN_NO_CREDITS = "90f31a4946ba3dd8ce444c24f63720dab7324299"
TOKEN_NOT_A_USER = "a3a9cb7760b56e79a378890adf5808666c369ffd"

RESPONSES: dict[str, dict[str, Any]] = {
    "meta": API_METADATA,
    "channel_search": CHANNEL_SEARCH_RESULT,
    "channel": CHANNEL,
    "audience": AUDIENCE,
    "audience_quality": QUALITY,
    "mentions_incoming": MENTIONS,
    "mentions_outgoing": MENTIONS,
    "follower_changes": FOLLOWER_CHANGES,
    "engaged_influencers": ENGAGED,
    "content": CONTENT,
    "balance": CREDITS,
}
"""Each stream's documented 200 body."""

ERRORS: dict[str, dict[str, Any]] = {
    "400": ERROR_BAD_REQUEST,
    "401": ERROR_NOT_AUTHORIZED,
    "403": ERROR_FORBIDDEN,
    "404": ERROR_NOT_FOUND,
    "429": ERROR_THROTTLED,
    "500": ERROR_INTERNAL,
}
"""The documented error bodies by status (ErrorBadRequest and ErrorInternalError have no status in the docs)."""
