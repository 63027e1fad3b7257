"""The example payloads of Metrika's API docs, verbatim (https://metrika.run, "Endpoints").

Kept in the package so tests can hold the plugin to the docs without the docs at hand:
``tests/test_metrika_fields.py`` walks every documented response field and fails unless
it reaches a record or is listed under "Fields not carried" in the README, and (when the
docs file is available) that these are still the docs' own examples.
"""

from __future__ import annotations

from typing import Any

# "POST /api/v1/resources/search" > "Request Body"
SEARCH_REQUEST: dict[str, Any] = {
    "resources": [
        {
            "platform": "instagram",
            "type": "account",
            "identifier": "natgeo",
        }
    ]
}

# "POST /api/v1/resources/search" > "Example Request" (the curl -d body)
EXAMPLE_REQUEST: dict[str, Any] = {
    "resources": [
        {"platform": "instagram", "type": "account", "identifier": "natgeo"},
        {"platform": "instagram", "type": "account", "identifier": "nasa"},
    ]
}

# "POST /api/v1/resources/search" > "Success Response" (200 OK), the answer to EXAMPLE_REQUEST
SEARCH_RESPONSE: dict[str, Any] = {
    "data": [
        {
            "platform": "instagram",
            "identifier": "natgeo",
            "status": "available",
            "metrics": {
                "followers": {
                    "value": 284000000,
                    "status": "available",
                }
            },
        },
        {
            "platform": "instagram",
            "identifier": "nasa",
            "status": "available",
            "metrics": {
                "followers": {
                    "value": 96800000,
                    "status": "available",
                }
            },
        },
    ]
}

# "Error Responses" > "Validation Error" (422 Unprocessable Entity)
VALIDATION_ERROR: dict[str, Any] = {
    "errors": [
        "'resources' field is required",
    ]
}

RESPONSES: dict[str, dict[str, Any]] = {"accounts": SEARCH_RESPONSE, "422": VALIDATION_ERROR}
"""Every documented response body, by the stream it feeds (or the status of an error body)."""
