"""InfluencerDB's API emulated from its docs (``influencerdb.apib``), for offline runs and tests.

What it does, and what of it the docs say (the rest is our choice, marked *assumed*):

- Every documented route under ``/v1``, for ``GET`` and ``OPTIONS``; any other method is
  a 405. ``Authorization: Token <key>``: the docs' three tokens behave as documented:
  :data:`TOKEN` has credits, :data:`TOKEN_NO_CREDITS` has none (every priced ``GET`` is a
  429 ``{"detail": "Not enough credits"}``), :data:`TOKEN_NOT_A_USER` (and anything
  else) is a 401 ``{"detail": "Not authorized"}``.
- Credits: ``OPTIONS`` on a route answers ``{"credits": <price>}`` and spends nothing; a
  ``GET`` whose price the user's balance covers is debited, one that it does not cover
  is a 429 and debits nothing. ``GET /v1/account/balance`` reports the balance. Prices:
  ``price`` (default 5, the docs' one example) for every route the docs give an
  ``OPTIONS`` for; ``/v1/`` and ``/v1/account/balance`` have no documented ``OPTIONS``
  and cost ``meta_price`` (default 0, *assumed*). Balances start at ``credits`` (default
  1,000,000) for :data:`TOKEN`, 0 for the no-credits token. Errors debit nothing (*assumed*).
- Lists are Django REST framework pages (``count``, ``next``, ``previous``, ``results``)
  numbered from 1, ``page_size`` (default 10) a page, with absolute ``next``/``previous``
  links on the sandbox's own origin. A page past the end is a 404 ``{"detail": "Invalid
  page."}`` (DRF's). A search for a username starting with ``nobody`` finds nothing
  (``count: 0``); any other finds the channel of that username and ``search_results - 1``
  more (``<username>.2``, ...), *assumed*.
- Channel ids are UUIDs, as the docs' examples: a search's channel id is derived from its
  username (the docs' ``dior`` has the docs' id and stats); any other UUID is a channel
  too; anything else is a 404 ``{"detail": "Not found"}``.
- Bad params are a 400 ``{"detail": "Invalid value"}`` (the docs' ErrorBadRequest): no
  ``username``, a ``media`` other than ``instagram``, a ``period`` other than 90, 180
  or 360, a ``page`` that is not a number from 1.

``stats`` counts requests by endpoint; ``ledger`` lists each debit ``(token, method, path, price)``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from urllib.parse import urlencode

from socialtap.testing.emulator import Request, Rule, SandboxApp, bearer_token, json_response
from socialtap_influencerdb import examples
from socialtap_influencerdb.params import MEDIA, PERIODS

TOKEN = examples.TOKEN_SUFFICIENT
TOKEN_NO_CREDITS = examples.TOKEN_NO_CREDITS
TOKEN_NOT_A_USER = examples.TOKEN_NOT_A_USER

CATEGORIES = ("travel", "fashion", "beauty", "food", "fitness", "music", "art", "tech")
COUNTRIES = ("US", "ID", "DE", "FR", "BR", "GB", "IT", "JP")
AGES = ("13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+")
TODAY = dt.date(2018, 9, 1)  # the docs' examples are from 2018; fixed so a seed gives the same data

# Routes that answer a list as DRF pages, and the generator of each one's items.
PAGED = ("search", "mentions_incoming", "mentions_outgoing", "follower_changes", "engaged", "content")
UNPRICED = ("meta", "balance")  # no documented OPTIONS


class InfluencerDBSandbox(SandboxApp):
    base_path = "/v1"

    def __init__(
        self,
        seed: int = 0,
        credits: int = 1_000_000,
        price: int = 5,
        meta_price: int = 0,
        page_size: int = 10,
        search_results: int = 1,
        posts: int = 25,
        mentions: int = 12,
        engaged: int = 15,
    ):
        """Sizes and prices are options so tests can ask for many pages or a tight budget."""
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.price, self.meta_price, self.page_size = price, meta_price, page_size
        self.sizes = {"search": search_results, "content": posts, "mentions": mentions, "engaged": engaged}
        self.balances = {TOKEN: credits, TOKEN_NO_CREDITS: 0}
        self.ledger: list[tuple[str, str, str, int]] = []
        self.names: dict[str, str] = {}  # channel id -> username, for channels a search found
        super().__init__(seed)

    def routes(self):
        both = ["GET", "OPTIONS"]
        channel = "/channels/<channel_id>"
        return [
            Rule("/", endpoint="meta", methods=both),
            Rule("/channels/search", endpoint="search", methods=both),
            Rule(channel, endpoint="channel", methods=both),
            Rule(channel + "/analytics/audience", endpoint="audience", methods=both),
            Rule(channel + "/analytics/quality", endpoint="quality", methods=both),
            Rule(channel + "/analytics/mentions/incoming", endpoint="mentions_incoming", methods=both),
            Rule(channel + "/analytics/mentions/outgoing", endpoint="mentions_outgoing", methods=both),
            Rule(channel + "/analytics/follower-changes", endpoint="follower_changes", methods=both),
            Rule(channel + "/analytics/engaged", endpoint="engaged", methods=both),
            Rule(channel + "/content", endpoint="content", methods=both),
            Rule("/account/balance", endpoint="balance", methods=both),
        ]

    # -- the gate every request passes ----------------------------------------------------

    def dispatch(self, request: Request):
        token = bearer_token(request, "Token")
        if token not in self.balances:
            return json_response(examples.ERROR_NOT_AUTHORIZED, 401)
        request.environ["sandbox.token"] = token
        return super().dispatch(request)

    def price_of(self, endpoint: str) -> int:
        """What a GET of ``endpoint`` costs."""
        return self.meta_price if endpoint in UNPRICED else self.price

    def answer(self, request: Request, endpoint: str, build: Any):
        """OPTIONS: the price. GET: refuse bad params (400) or ids (404), then debit and answer."""
        price = self.price_of(endpoint)
        if request.method == "OPTIONS":
            return json_response({"credits": price})
        problem = build(dry_run=True)
        if problem is not None:
            return problem
        token = request.environ["sandbox.token"]
        with self.lock:
            if self.balances[token] < price:
                self.stats["not_enough_credits"] += 1
                return json_response(examples.ERROR_THROTTLED, 429)
            self.balances[token] -= price
            self.ledger.append((token, request.method, request.path, price))
        return json_response(build(dry_run=False))

    @property
    def spent(self) -> int:
        """Credits debited so far, all tokens."""
        with self.lock:
            return sum(price for *_, price in self.ledger)

    # -- validation ---------------------------------------------------------------------

    @staticmethod
    def bad_request():
        return json_response(examples.ERROR_BAD_REQUEST, 400)

    @staticmethod
    def page_number(request: Request) -> int | None:
        raw = request.args.get("page", "1")
        return int(raw) if raw.isdigit() and int(raw) >= 1 else None

    def page(self, request: Request, items: list[Any]) -> dict[str, Any] | None:
        """The DRF page of ``items`` the request asks for, or None past the end."""
        number = self.page_number(request)
        size = self.page_size
        pages = max(1, -(-len(items) // size))
        if number is None or number > pages:
            return None
        base = request.host_url.rstrip("/") + request.path

        def link(n: int) -> str | None:
            if n < 1 or n > pages:
                return None
            query = [(k, v) for k, v in request.args.items(multi=True) if k != "page"] + [("page", str(n))]
            return f"{base}?{urlencode(query)}"

        start = (number - 1) * size
        return {
            "count": len(items),
            "next": link(number + 1),
            "previous": link(number - 1),
            "results": items[start : start + size],
        }

    def paged(self, request: Request, endpoint: str, items: Any, *, invalid: bool = False):
        def build(dry_run: bool):
            if invalid:
                return self.bad_request() if dry_run else None
            if self.page_number(request) is None:
                return self.bad_request() if dry_run else None
            body = self.page(request, items())
            if dry_run:
                return json_response({"detail": "Invalid page."}, 404) if body is None else None
            return body

        return self.answer(request, endpoint, build)

    def with_channel(
        self, request: Request, endpoint: str, channel_id: str, body: Any, *, paged: bool = False, invalid: bool = False
    ):
        if self.username_of(channel_id) is None:
            if request.method == "OPTIONS":
                return self.answer(request, endpoint, None)
            return json_response(examples.ERROR_NOT_FOUND, 404)
        if paged:
            return self.paged(request, endpoint, body, invalid=invalid)
        return self.answer(request, endpoint, lambda dry_run: None if dry_run else body())

    # -- the world ----------------------------------------------------------------------

    def channel_id_of(self, username: str) -> str:
        if username == examples.CHANNEL["username"]:
            return examples.CHANNEL_ID
        return str(uuid.UUID(int=self.rng("channel", username).getrandbits(128), version=4))

    def username_of(self, channel_id: str) -> str | None:
        if channel_id == examples.CHANNEL_ID:
            return examples.CHANNEL["username"]
        try:
            uuid.UUID(channel_id)
        except ValueError:
            return None
        with self.lock:
            known = self.names.get(channel_id)
        return known or f"creator_{channel_id[:8]}"

    def channel_body(self, channel_id: str) -> dict[str, Any]:
        username = self.username_of(channel_id) or ""
        if channel_id == examples.CHANNEL_ID:
            return examples.CHANNEL
        rng = self.rng("stats", channel_id)
        primary, secondary = rng.sample(CATEGORIES, 2)
        return {
            "id": channel_id,
            "username": username,
            "media": "instagram",
            "category": {"primary": [{"name": primary}], "secondary": [{"name": secondary}]},
            "country": rng.choice(COUNTRIES),
            "stats": {
                "followers": rng.randint(100, 5_000_000),
                "follows": rng.randint(0, 5_000),
                "post_count": rng.randint(0, 3_000),
            },
        }

    # -- the endpoints --------------------------------------------------------------------

    def meta(self, request: Request):
        return self.answer(request, "meta", lambda dry_run: None if dry_run else examples.API_METADATA)

    def balance(self, request: Request):
        token = request.environ["sandbox.token"]

        def build(dry_run: bool):
            if dry_run:
                return None
            with self.lock:
                return {"credits": self.balances[token]}

        return self.answer(request, "balance", build)

    def search(self, request: Request):
        username = request.args.get("username", "").strip()
        media = request.args.get("media")
        invalid = not username or (media is not None and media not in MEDIA)

        def items() -> list[dict[str, Any]]:
            if username.startswith("nobody"):
                return []
            names = [username] + [f"{username}.{n}" for n in range(2, self.sizes["search"] + 1)]
            found = []
            for name in names:
                channel_id = self.channel_id_of(name)
                with self.lock:
                    self.names[channel_id] = name
                found.append(self.channel_body(channel_id))
            return found

        return self.paged(request, "search", items, invalid=invalid)

    def channel(self, request: Request, channel_id: str):
        return self.with_channel(request, "channel", channel_id, lambda: self.channel_body(channel_id))

    def audience(self, request: Request, channel_id: str):
        def body() -> dict[str, Any]:
            if channel_id == examples.CHANNEL_ID:
                return examples.AUDIENCE
            rng = self.rng("audience", channel_id)
            male = round(rng.uniform(5, 95), 1)
            countries = rng.sample(COUNTRIES, 3)
            counts = [[label, rng.randint(0, 500)] for label in AGES]
            return {
                "genders": {"male": male, "femalte": round(100 - male, 1)},
                "countries": {code: round(rng.uniform(0.5, 40), 1) for code in countries},
                "ages": {"total": sum(count for _, count in counts), "counts": counts},
            }

        return self.with_channel(request, "audience", channel_id, body)

    def quality(self, request: Request, channel_id: str):
        def body() -> dict[str, Any]:
            if channel_id == examples.CHANNEL_ID:
                return examples.QUALITY
            rng = self.rng("quality", channel_id)
            weights = [rng.random() for _ in range(5)]
            total = sum(weights)
            distribution = {f"quality_distribution_{n + 1}": round(w / total, 8) for n, w in enumerate(weights)}
            return {"quality_grade": rng.randint(0, 100), "quality_distribution": distribution}

        return self.with_channel(request, "quality", channel_id, body)

    def _mentions(self, request: Request, channel_id: str, direction: str):
        def items() -> list[dict[str, Any]]:
            rng = self.rng("mentions", direction, channel_id)
            return [
                {
                    "username": f"{direction}_user_{n}_{rng.randint(0, 9999)}",
                    "profile_picture": f"https://scontent.cdninstagram.com/{direction}{n}.jpg",
                }
                for n in range(self.sizes["mentions"])
            ]

        return self.with_channel(request, f"mentions_{direction}", channel_id, items, paged=True)

    def mentions_incoming(self, request: Request, channel_id: str):
        return self._mentions(request, channel_id, "incoming")

    def mentions_outgoing(self, request: Request, channel_id: str):
        return self._mentions(request, channel_id, "outgoing")

    def follower_changes(self, request: Request, channel_id: str):
        raw = request.args.get("period", "90")
        period = int(raw) if raw.isdigit() else None

        def items() -> list[dict[str, Any]]:
            # One entry per 30 days of the period (assumed: the docs show one entry, no cadence).
            rng = self.rng("changes", channel_id, period)
            followers = rng.randint(1_000, 1_000_000)
            entries = []
            for n in range((period or 90) // 30, 0, -1):
                change = round(rng.uniform(-5, 10), 2)
                followers = max(0, round(followers * (1 + change / 100)))
                day = TODAY - dt.timedelta(days=30 * n)
                entries.append(
                    {"date": day.isoformat(), "followers": followers, "change": change, "follows": rng.randint(0, 3000)}
                )
            return entries

        return self.with_channel(request, "follower_changes", channel_id, items, paged=True, invalid=period not in PERIODS)

    def engaged(self, request: Request, channel_id: str):
        def items() -> list[dict[str, Any]]:
            rng = self.rng("engaged", channel_id)
            return [
                {
                    "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "profile_picture": f"https://scontent.cdninstagram.com/e{n}.jpg",
                }
                for n in range(self.sizes["engaged"])
            ]

        return self.with_channel(request, "engaged", channel_id, items, paged=True)

    def content(self, request: Request, channel_id: str):
        def items() -> list[dict[str, Any]]:
            rng = self.rng("content", channel_id)
            posts = []
            for n in range(self.sizes["content"]):
                created = dt.datetime(2018, 8, 13, 16, 53, 53) - dt.timedelta(hours=n * 17)
                tags = rng.sample(CATEGORIES, rng.randint(0, 3))
                posts.append(
                    {
                        "post_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                        "created_time": created.isoformat(),
                        "caption": f"post {n} " + " ".join(f"#{t}" for t in tags),
                        "tags": tags,
                        "link": f"https://www.instagram.com/p/{channel_id[:8]}{n}",
                    }
                )
            return posts

        return self.with_channel(request, "content", channel_id, items, paged=True)
