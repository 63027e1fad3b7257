"""The example API's emulator."""

from __future__ import annotations

import datetime as dt

from socialtap.testing.emulator import Request, Rule, SandboxApp, bearer_token, json_response, page_of

TEST_TOKEN = "example-test-token"


class ExampleSandbox(SandboxApp):
    base_path = "/v2"

    def __init__(self, seed: int = 0, posts_per_profile: int = 12, mentions: int = 7):
        self.posts_per_profile = posts_per_profile
        self.mentions_count = mentions
        super().__init__(seed)

    def routes(self):
        return [
            Rule("/profiles/<profile_id>", endpoint="profile", methods=["GET"]),
            Rule("/profiles/<profile_id>/posts", endpoint="posts", methods=["GET"]),
            Rule("/profiles/<profile_id>/mentions", endpoint="mentions", methods=["GET"]),
            Rule("/series", endpoint="series", methods=["POST"]),
        ]

    def dispatch(self, request: Request):
        if bearer_token(request) != TEST_TOKEN:
            return json_response({"detail": "Invalid token."}, 401)
        return super().dispatch(request)

    def profile(self, request, profile_id):
        if profile_id.startswith("missing"):
            return json_response({"detail": "Not found."}, 404)
        rng = self.rng("profile", profile_id)
        pending = profile_id.startswith("new")
        return json_response(
            {
                "id": profile_id,
                "handle": f"@{profile_id}",
                "name": profile_id.title(),
                "followers": None if pending else rng.randint(10, 10_000_000),
                "following": rng.randint(0, 5000),
                "status": "pending" if pending else "available",
            }
        )

    def posts(self, request, profile_id):
        page = int(request.args.get("page", 1))
        if page < 1:
            return json_response({"detail": "page must be >= 1"}, 400)
        items = [self._post(profile_id, i) for i in range(self.posts_per_profile)]
        return json_response({"data": page_of(items, page, 5, base=1), "page": page, "total": len(items)})

    def _post(self, profile_id, index):
        rng = self.rng("post", profile_id, index)
        created = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(hours=rng.randint(0, 5000))
        return {
            "id": f"{profile_id}-{index}",
            "profile_id": profile_id,
            "text": f"post {index}",
            "created_at": created.isoformat(),
            "likes": rng.randint(0, 900),
            "comments": rng.randint(0, 90),
        }

    def mentions(self, request, profile_id):
        offset = int(request.args.get("offset", 0))
        everyone = [
            {
                "source": profile_id,
                "target": f"u{i}",
                "target_name": f"User {i}",
                "count": self.rng("m", profile_id, i).randint(1, 50),
            }
            for i in range(self.mentions_count)
        ]
        chunk = everyone[offset : offset + 3]
        more = offset + 3 < len(everyone)
        next_link = (
            f"{request.host_url.rstrip('/')}{self.base_path}/profiles/{profile_id}/mentions?offset={offset + 3}" if more else None
        )
        return json_response({"results": chunk, "next": next_link})

    def series(self, request):
        body = request.get_json(silent=True) or {}
        ids, start, end = body.get("ids"), body.get("start_date"), body.get("end_date")
        if not isinstance(ids, list) or not ids:
            return json_response({"errors": ["'ids' field is required"]}, 422)
        if len(ids) > 3:
            return json_response({"errors": ["at most 3 ids per request"]}, 422)
        first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
        days = [(first + dt.timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
        return json_response(
            {
                "items": [
                    {"id": i, "views": [{"date": d, "value": self.rng("v", i, d).randint(0, 999)} for d in days]} for i in ids
                ]
            }
        )
