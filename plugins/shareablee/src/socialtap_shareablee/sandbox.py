"""The Shareablee v1.4 API emulated from its docs, for tests and offline development.

- every documented endpoint under ``/v1.4``, GET only (anything else: 405);
- HTTP Basic with the test key and secret (``TEST_API_KEY:TEST_API_SECRET``); a missing
  or wrong token is 401 with a human readable message, as the docs' "Errors" section says;
- 5 requests per second per token and per IP address (a sliding window, measured at
  arrival): the next one is 429 with ``{"detail": "Rate limit exceeded. Please try again
  later."}`` and a ``Retry-After`` header;
- seeded entities and categories (``entities``, ``categories``, ``members_per_category``,
  ``posts_per_entity`` are constructor params; the same seed gives the same data;
  categories are disjoint while there are enough entities);
  unknown ids are 404;
- user content in 0-based pages of 100 with ``next_page`` links in the docs' shape on
  the sandbox's own host (``http://HOST/v1.4/user/{entity_id}/user/content/?start_date=
  ...&end_date=...&page=N``: plain http, ``user`` where the service goes), ``null`` on
  the last page; that path is not served (``user`` is no service);
- list params as the docs give them: ``services`` and ``fields`` comma separated and
  sent once (repeated: 400), ``object_id`` repeated, one id each (a comma: 400); only
  the documented paths (no ``/realtime/category/.../top_content/``);
- the id ``example`` (or ``examples=True`` for every request) answers the docs' example
  response of the endpoint, with the docs' JSON typos fixed (see ``examples.py``);
- params checked as documented (400 with a message): dates, both-or-neither, order,
  earliest dates, services per endpoint, ``limit`` <= 100, offsets 0-6 with start < end,
  ``object_id`` and ``term`` required, ``metric=total_actions``;
- audience overlap with an ``object_id`` the sandbox does not know is ``'-'``
  (unavailable); a seeded overlap under 0.5 % is ``'*'`` (below the reporting threshold).
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
import time
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlencode

import attrs

from socialtap import clock as socialtap_clock
from socialtap.testing.emulator import (
    RateWindow,
    Request,
    Response,
    Rule,
    SandboxApp,
    basic_credentials,
    json_response,
    page_of,
)
from socialtap_shareablee import catalog
from socialtap_shareablee.examples import example

TEST_API_KEY = "shareablee-sandbox-key"
TEST_API_SECRET = "shareablee-sandbox-secret"
RATE_LIMITED = "Rate limit exceeded. Please try again later."
PAGE_SIZE = 100
OVERLAP_THRESHOLD = 0.5
EXAMPLE_ID = "example"
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")

_WORDS_A = ("Daily", "Global", "Urban", "Happy", "Bright", "Future", "Golden", "Wild", "Open", "True", "Blue", "Royal")
_WORDS_B = ("News", "Kitchen", "Sports", "Travel", "Media", "Studio", "Beauty", "Games", "Music", "Motors", "Style", "Tech")


class Problem(Exception):
    """An error answer: status and the human readable message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@attrs.frozen
class Entity:
    entity_id: str
    name: str
    services: tuple[str, ...]
    object_ids: dict[str, str]


@attrs.frozen
class Category:
    category_id: str
    name: str
    isin: str
    members: tuple[str, ...]


def _comma_list(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


class ShareableeSandbox(SandboxApp):
    base_path = "/v1.4"

    def __init__(
        self,
        seed: int = 0,
        entities: int = 40,
        categories: int = 4,
        members_per_category: int = 10,
        posts_per_entity: int = 230,
        rate_limit: int | None = 5,
        examples: bool = False,
        all_access: bool = False,
        today: dt.date | None = None,
        clock: Any = time.monotonic,
    ):
        self.posts_per_entity = posts_per_entity
        self.examples = examples
        self.all_access = all_access
        self.today = today or socialtap_clock.today()  # so tests (and SOCIALTAP_NOW) set the day
        self.clock = clock
        self.window = RateWindow(rate_limit, 1.0, clock=clock) if rate_limit else None
        self.arrivals: list[float] = []
        """Arrival time (``clock``) of every request, throttled or not: what the server saw."""
        super().__init__(seed)
        self.entities, self.categories = self._world(entities, categories, members_per_category)
        self.authorized = {e for i, e in enumerate(self.entities) if i % 3 != 2}
        """Entities the test token may read (find_user says ``authorized`` for these)."""

    # -- the seeded world ---------------------------------------------------------------

    def _world(self, n_entities: int, n_categories: int, per_category: int) -> tuple[dict[str, Entity], dict[str, Category]]:
        rng = self.rng("world")
        ids = rng.sample(range(100_000, 1_000_000), n_entities + n_categories)
        entities: dict[str, Entity] = {}
        for i, number in enumerate(ids[:n_entities]):
            services = ["facebook"] + [s for s in ("twitter", "instagram") if rng.random() < 0.75]
            name = f"{rng.choice(_WORDS_A)} {rng.choice(_WORDS_B)} {i}"
            object_ids = {s: str(rng.randint(10**9, 10**10)) for s in services}
            entities[str(number)] = Entity(str(number), name, tuple(services), object_ids)
        categories: dict[str, Category] = {}
        keys = list(entities)
        rng.shuffle(keys)
        disjoint = n_categories * per_category <= len(keys)
        for j, number in enumerate(ids[n_entities:]):
            # Disjoint while there are enough entities (as curated categories mostly are);
            # overlapping once there are not.
            if disjoint:
                members = tuple(keys[j * per_category : (j + 1) * per_category])
            else:
                members = tuple(rng.sample(keys, min(per_category, len(keys))))
            isin = f"US{rng.randint(10**9, 10**10 - 1)}{j % 10}"
            categories[str(number)] = Category(str(number), f"{rng.choice(_WORDS_B)} Category {j}", isin, members)
        return entities, categories

    def entity(self, entity_id: str) -> Entity:
        try:
            return self.entities[entity_id]
        except KeyError:
            raise Problem(404, f"Entity {entity_id} not found.") from None

    def category(self, category_id: str) -> Category:
        try:
            return self.categories[category_id]
        except KeyError:
            raise Problem(404, f"Category {category_id} not found.") from None

    def is_example(self, some_id: str | None = None) -> bool:
        return self.examples or some_id == EXAMPLE_ID

    # -- routing, auth, throttling ------------------------------------------------------

    def routes(self) -> Iterable[Rule]:
        user = "/user/<entity_id>/<service>"
        category = "/category/<category_id>/<service>"
        get = ["GET"]
        return [
            Rule(user + "/content/", endpoint="user_content", methods=get),
            Rule(user + "/metrics/", endpoint="user_metrics", methods=get),
            Rule(user + "/time_series/", endpoint="user_time_series", methods=get),
            Rule("/realtime" + user + "/time_series/", endpoint="user_realtime_time_series", methods=get),
            Rule(user + "/overlap/comparison/property/", endpoint="user_overlap_comparison", methods=get),
            Rule(user + "/affinity/comparison/property/", endpoint="user_affinity_comparison", methods=get),
            Rule(user + "/overlap/ranking/property/", endpoint="user_overlap_ranking", methods=get),
            Rule(user + "/affinity/ranking/property/", endpoint="user_affinity_ranking", methods=get),
            Rule(user + "/insights/page/", endpoint="page_insights", methods=get),
            Rule("/user/<entity_id>/cross_platform/", endpoint="user_cross_platform", methods=get),
            Rule("/user/<entity_id>/cross_platform/top_content/", endpoint="user_top_content", methods=get),
            Rule("/realtime/user/<entity_id>/cross_platform/top_content/", endpoint="user_top_content_realtime", methods=get),
            Rule(category + "/", endpoint="category_members", methods=get),
            Rule(category + "/metrics/", endpoint="category_metrics", methods=get),
            Rule(category + "/time_series/", endpoint="category_time_series", methods=get),
            Rule(category + "/ranking/", endpoint="category_ranking", methods=get),
            Rule("/category/<category_id>/cross_platform/", endpoint="category_cross_platform", methods=get),
            Rule("/category/<category_id>/cross_platform/top_content/", endpoint="category_top_content", methods=get),
            Rule(
                "/realtime/category/<category_id>/cross_platform/rankings/",
                endpoint="category_realtime_rankings",
                methods=get,
            ),
            Rule("/me/properties/", endpoint="me_properties", methods=get),
            Rule("/me/categories/", endpoint="me_categories", methods=get),
            Rule("/me/find/user/", endpoint="find_user", methods=get),
        ]

    def not_found(self, request: Request) -> Response:
        return json_response({"detail": "Not found."}, 404)

    def dispatch(self, request: Request) -> Response:
        with self.lock:
            self.arrivals.append(self.clock())
        header = request.headers.get("Authorization", "")
        wait = self._throttle(("ip", request.remote_addr), ("token", header))
        if wait is not None:
            with self.lock:
                self.stats["throttled"] += 1
            return json_response({"detail": RATE_LIMITED}, 429, headers={"Retry-After": str(max(1, math.ceil(wait)))})
        if not header:
            return self._unauthorized("Authentication credentials were not provided.")
        if basic_credentials(request) != (TEST_API_KEY, TEST_API_SECRET):
            return self._unauthorized("Invalid API token: use base64 of api_key:secret.")
        try:
            return super().dispatch(request)
        except Problem as problem:
            return json_response({"detail": problem.message}, problem.status)

    def _throttle(self, *keys: Any) -> float | None:
        """Count the request against every key's window; the wait when any is full."""
        if self.window is None:
            return None
        waits = [w for w in (self.window.hit(key) for key in keys) if w is not None]
        return max(waits) if waits else None

    def _unauthorized(self, message: str) -> Response:
        with self.lock:
            self.stats["unauthorized"] += 1
        return json_response({"detail": message}, 401, headers={"WWW-Authenticate": 'Basic realm="api"'})

    # -- param checks as the docs state them --------------------------------------------

    @staticmethod
    def _date(request: Request, name: str) -> dt.date | None:
        raw = request.args.get(name)
        if raw is None:
            return None
        if _DAY.match(raw):
            try:
                return dt.date.fromisoformat(raw)
            except ValueError:
                pass
        raise Problem(400, f'{name} must be a date string in the format "{{year}}-{{month}}-{{day}}" i.e "2014-01-01"')

    def dates(
        self, request: Request, *, required: bool = False, earliest: dt.date | None = None
    ) -> tuple[dt.date | None, dt.date | None]:
        start, end = self._date(request, "start_date"), self._date(request, "end_date")
        if (start is None) != (end is None):
            raise Problem(400, "If a start_date or end_date is provided, both must be provided.")
        if required and start is None:
            raise Problem(400, "start_date and end_date are required.")
        if start is not None and end is not None and start > end:
            raise Problem(400, "start_date must be before the end_date.")
        if earliest is not None and start is not None and start < earliest:
            raise Problem(400, f"Earliest start date is {earliest.isoformat()}.")
        return start, end

    @staticmethod
    def service(service: str, allowed: Sequence[str]) -> str:
        if service not in allowed:
            raise Problem(400, f"Service {service!r} is not supported by this endpoint; use {', '.join(allowed)}.")
        return service

    @staticmethod
    def comma_param(request: Request, name: str) -> list[str]:
        """A list param the docs give comma separated (``services=facebook,twitter``):
        sent once; a repeated one is a 400, not silently read."""
        values = request.args.getlist(name)
        if len(values) > 1:
            raise Problem(400, f"{name} is a comma separated list given once, i.e. {name}={','.join(values)}")
        return _comma_list(values[0] if values else None)

    @classmethod
    def services(cls, request: Request, allowed: Sequence[str]) -> list[str]:
        services = cls.comma_param(request, "services") or list(allowed)
        bad = [s for s in services if s not in allowed]
        if bad:
            raise Problem(400, f"Unsupported services: {', '.join(bad)}; use {', '.join(allowed)}.")
        return services

    @staticmethod
    def limit(request: Request, default: int) -> int:
        raw = request.args.get("limit")
        if raw is None:
            return default
        if not raw.isdigit() or not 1 <= int(raw) <= catalog.MAX_LIMIT:
            raise Problem(400, f"limit must be an integer from 1 to {catalog.MAX_LIMIT}.")
        return int(raw)

    @classmethod
    def fields(cls, request: Request) -> list[str]:
        return cls.comma_param(request, "fields")

    # -- seeded values ------------------------------------------------------------------

    def number(self, name: str, *keys: object) -> int | float:
        """A plausible value of metric ``name`` (percentages 0-100, averages as floats)."""
        rng = self.rng("metric", name, *keys)
        if "percent" in name:
            return round(rng.uniform(0, 100), 4)
        if name.endswith(("average", "per_day", "per_week", "per_post", "per_tweet", "per_engager", "_score")):
            return round(rng.uniform(0, 5000), 3)
        if name.startswith(("latest_fans", "latest_followers", "followers", "fan")):
            return rng.randint(1_000, 10_000_000)
        return rng.randint(0, 500_000)

    def _day_range(self, start: dt.date | None, end: dt.date | None, default_days: int = 30) -> list[dt.date]:
        if start is None or end is None:
            end = self.today - dt.timedelta(days=1)
            start = end - dt.timedelta(days=default_days - 1)
        return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]

    def posts(self, entity: Entity, service: str, *, realtime: bool = False) -> list[dict[str, Any]]:
        """The entity's posts on a service in creation order (one fixed set per seed)."""
        out = []
        origin = dt.datetime(2015, 1, 1, tzinfo=dt.UTC)
        span = (dt.datetime.combine(self.today, dt.time(), dt.UTC) - origin).total_seconds()
        for i in range(self.posts_per_entity):
            rng = self.rng("post", entity.entity_id, service, i, realtime)
            created = origin + dt.timedelta(seconds=span * (i + rng.random()) / self.posts_per_entity)
            likes, comments, shares = rng.randint(0, 9000), rng.randint(0, 900), rng.randint(0, 600)
            base = {"content": f"{entity.name} post {i} on {service}", "total_actions": likes + comments + shares}
            if service == "facebook":
                post_id = f"{entity.object_ids[service]}_{i}"
                item = {
                    **base,
                    "post_id": post_id,
                    "related_user_name": entity.name,
                    "created_time": created.isoformat(),
                    "word_count": rng.randint(3, 80),
                    "likes_count": likes,
                    "reactions_count": likes + rng.randint(0, 300),
                    "shares_count": shares,
                    "comments_count": comments,
                    "link_to_likes": f"https://facebook.com/{post_id}/likes",
                    # as in the docs' example: post_url is the post, link what it links to
                    "post_url": f"https://facebook.com/{post_id}",
                    "link": f"https://{entity.name.replace(' ', '').lower()}.example/{i}",
                    "post_type": rng.choice(("link", "photo", "video", "status")),
                    "native_video_views": rng.randint(0, 50_000),
                }
            elif service == "twitter":
                item = {
                    **base,
                    "status_id": str(10**17 + i * 7919 + int(entity.entity_id)),
                    "user_name": entity.name.replace(" ", "").lower(),
                    "user_id": entity.object_ids[service],
                    "created_at": created.isoformat(),
                    "retweet_count": shares,
                    "like_count": likes,
                    "total_actions": likes + shares,
                }
            else:
                item = {
                    **base,
                    "post_id": f"ig{entity.object_ids[service]}{i}",
                    "user_id": entity.object_ids[service],
                    "created_time": created.isoformat(),
                    "likes_count": likes,
                    "comments_count": comments,
                    "post_type": rng.choice(("picture", "video")),
                    "link": f"https://instagram.com/p/{entity.entity_id}{i}",
                    "total_actions": likes + comments,
                }
            out.append({"_created": created, **item})
        return out

    @staticmethod
    def _created(post: dict[str, Any]) -> dt.datetime:
        return post["_created"]

    @staticmethod
    def _public(post: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in post.items() if not k.startswith("_")}

    def _in_range(self, posts: list[dict[str, Any]], start: dt.date | None, end: dt.date | None) -> list[dict[str, Any]]:
        if start is None or end is None:
            return posts
        return [p for p in posts if start <= self._created(p).date() <= end]

    def profile(self, entity: Entity, service: str) -> dict[str, Any]:
        handle = entity.name.replace(" ", "").lower()
        profile: dict[str, Any] = {"user_name": handle, "object_id": entity.object_ids[service]}
        if service == "facebook":
            profile.update(
                {
                    "website": f"https://{handle}.example",
                    "about": f"Official Facebook page for {entity.name}.",
                    "profile_picture": f"https://graph.facebook.com/{entity.object_ids[service]}/picture",
                    "display_name": entity.name,
                    "description": f"Subscribe to {entity.name}",
                    "link": f"https://www.facebook.com/{handle}/",
                }
            )
        elif service == "twitter":
            profile["profile_picture"] = f"https://pbs.twimg.com/profile_images/{entity.object_ids[service]}.jpg"
        return profile

    def member(self, entity: Entity, services: Iterable[str]) -> dict[str, Any]:
        data: dict[str, Any] = {"entity_id": entity.entity_id, "name": entity.name}
        for service in services:
            if service in entity.services:
                data[service] = self.profile(entity, service)
        return data

    def overlap(self, entity_id: str, other_id: str, month: dt.date) -> float | str:
        """Seeded audience overlap in percent: '-' for an unknown id, '*' below the threshold."""
        if other_id not in self.entities:
            return "-"
        value = round(self.rng("overlap", *sorted((entity_id, other_id)), month).uniform(0, 8), 2)
        return "*" if value < OVERLAP_THRESHOLD else value

    def _month(self, start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
        """The one month served: the most recent month in range (the docs' priority rule)."""
        last = end or (self.today.replace(day=1) - dt.timedelta(days=1))
        first = last.replace(day=1)
        month_end = last.replace(day=calendar.monthrange(last.year, last.month)[1])
        return first, month_end

    # -- /user/{entity_id}/{service}/... ------------------------------------------------

    def user_content(self, request: Request, entity_id: str, service: str) -> Response:
        self.service(service, catalog.FACEBOOK_TWITTER)
        start, end = self.dates(request)
        raw_page = request.args.get("page", "0")
        if not raw_page.isdigit():
            raise Problem(400, "page must be a number from 0.")
        page = int(raw_page)
        if self.is_example(entity_id):
            # The docs' next_page has placeholders and another host: the example is one page.
            return json_response({**example("user_content"), "next_page": None})
        entity = self.entity(entity_id)
        if service not in entity.services:
            raise Problem(404, f"Entity {entity_id} has no {service} page.")
        posts = self._in_range(self.posts(entity, service), start, end)
        ascending = request.args.get("sort_ascending", "true").lower() not in ("false", "0")
        posts.sort(key=self._created, reverse=not ascending)
        chunk = page_of(posts, page, PAGE_SIZE)
        next_page = None
        if (page + 1) * PAGE_SIZE < len(posts):
            next_page = self.next_page_link(request, entity_id, start, end, page + 1)
        return json_response(
            {
                "name": entity.name,
                "object_id": entity.object_ids[service],
                "entity_id": entity.entity_id,
                "content": [self._public(p) for p in chunk],
                "next_page": next_page,
            }
        )

    def next_page_link(self, request: Request, entity_id: str, start: dt.date | None, end: dt.date | None, page: int) -> str:
        """``next_page`` exactly as the docs print it, on the sandbox's own host: plain http,
        the path ``/v1.4/user/{entity_id}/user/content/`` (``user`` where the service goes,
        so not the path requested), the dates when given and the 0-based ``page``; the
        request's other params (``sort_ascending``) are not in it."""
        query = [("start_date", start.isoformat()), ("end_date", end.isoformat())] if start and end else []
        query.append(("page", str(page)))
        return f"http://{request.host}{self.base_path}/user/{entity_id}/user/content/?{urlencode(query)}"

    def user_metrics(self, request: Request, entity_id: str, service: str) -> Response:
        self.service(service, catalog.SERVICES)
        start, end = self.dates(request)
        if self.is_example(entity_id):
            return json_response(example("user_metrics"))
        entity = self.entity(entity_id)
        fields = catalog.USER_FIELDS[service] + (catalog.AUDIENCE_FIELDS if service == "facebook" else ())
        metrics: dict[str, Any] = {f: self.number(f, entity_id, service, start, end) for f in fields}
        if service == "facebook":
            metrics["fans_by_country"] = self._fans_by_country(metrics["latest_fans"], entity_id, start, end)
        return json_response(
            {"entity_id": entity.entity_id, "name": entity.name, "object_id": entity.object_ids.get(service), "metrics": metrics}
        )

    def _fans_by_country(self, fans: int, *keys: object) -> list[dict[str, Any]]:
        rng = self.rng("countries", *keys)
        countries = (("US", "United States"), ("IN", "India"), ("GB", "United Kingdom"), ("BR", "Brazil"))
        shares = sorted((rng.uniform(1, 50) for _ in countries), reverse=True)
        return [
            {"code": code, "percent": share, "value": int(fans * share / 100), "full_name": name}
            for (code, name), share in zip(countries, shares, strict=True)
        ]

    def _series(self, request: Request, owner: dict[str, Any], service: str, allowed: Sequence[str], *keys: object) -> Response:
        start, end = self.dates(request)
        fields = self.fields(request) or ["total_actions"]
        unknown = [f for f in fields if f not in allowed]
        if unknown:
            raise Problem(400, f"Unknown fields for {service}: {', '.join(unknown)}.")
        days = self._day_range(start, end)
        data = dict(owner)
        for field in fields:
            data[field] = [{"date": d.isoformat(), "value": self.number(field, *keys, d)} for d in days]
        return json_response(data)

    def user_time_series(self, request: Request, entity_id: str, service: str) -> Response:
        self.service(service, catalog.FACEBOOK_TWITTER)
        if self.is_example(entity_id):
            self.dates(request)
            return json_response(example("user_time_series"))
        entity = self.entity(entity_id)
        owner = {"entity_id": entity.entity_id, "name": entity.name, "object_id": entity.object_ids.get(service)}
        return self._series(request, owner, service, catalog.time_series_fields(service), entity_id, service)

    def user_realtime_time_series(self, request: Request, entity_id: str, service: str) -> Response:
        self.service(service, catalog.FACEBOOK_TWITTER)
        raw = {name: request.args.get(name) for name in ("start_offset", "end_offset")}
        if (raw["start_offset"] is None) != (raw["end_offset"] is None):
            raise Problem(400, "If a start_offset or end_offset is provided, both must be provided.")
        start, end = 0, catalog.MAX_OFFSET
        if raw["start_offset"] is not None:
            if not all(v and v.isdigit() and int(v) <= catalog.MAX_OFFSET for v in raw.values()):
                raise Problem(400, f"Offsets are days from today, 0 to {catalog.MAX_OFFSET}.")
            start, end = int(raw["start_offset"] or 0), int(raw["end_offset"] or 0)
            if start >= end:
                raise Problem(400, "start_offset must be less than the end_offset.")
        if self.is_example(entity_id):
            return json_response(example("user_realtime_time_series"))
        entity = self.entity(entity_id)
        fields = self.fields(request) or ["total_actions"]
        unknown = [f for f in fields if f not in catalog.time_series_fields(service)]
        if unknown:
            raise Problem(400, f"Unknown fields for {service}: {', '.join(unknown)}.")
        data: dict[str, Any] = {"entity_id": entity.entity_id, "name": entity.name, "object_id": entity.object_ids.get(service)}
        for field in fields:
            data[field] = [
                {"date_offset": k, "value": self.number(field, entity_id, service, "realtime", self.today, k)}
                for k in range(start, end + 1)
            ]
        return json_response(data)

    def _object_ids(self, request: Request) -> list[str]:
        # "Pass in multiple": object_id repeated, one id each (not a comma separated list).
        ids = [i.strip() for i in request.args.getlist("object_id") if i.strip()]
        if any("," in i for i in ids):
            raise Problem(400, "object_id takes one id: pass several as repeated object_id params.")
        if not ids:
            raise Problem(400, "object_id is required: pass one or more entity ids to compare against.")
        return ids

    def user_overlap_comparison(self, request: Request, entity_id: str, service: str) -> Response:
        self.service(service, catalog.FACEBOOK)
        start, end = self.dates(request)
        others = self._object_ids(request)
        if self.is_example(entity_id):
            return json_response(example("user_overlap_comparison"))
        entity = self.entity(entity_id)
        first, last = self._month(start, end)
        results = [self._overlap_result(entity_id, other, first) for other in others]
        return json_response(self._overlap_body(entity, first, last, results))

    def _overlap_result(self, entity_id: str, other_id: str, month: dt.date) -> dict[str, Any]:
        other = self.entities.get(other_id)
        return {
            "audience_percent_overlap": self.overlap(entity_id, other_id, month),
            "entity_id": int(other_id) if other_id.isdigit() else other_id,
            "name": other.name if other else None,
            "object_id": other.object_ids["facebook"] if other else None,
        }

    @staticmethod
    def _overlap_body(entity: Entity, first: dt.date, last: dt.date, results: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "entity_id": int(entity.entity_id),
            "start_date": first.isoformat(),
            "end_date": last.isoformat(),
            "service": "facebook",
            "results": results,
            "object_id": entity.object_ids["facebook"],
            "name": entity.name,
        }

    def user_overlap_ranking(self, request: Request, entity_id: str, service: str) -> Response:
        self.service(service, catalog.FACEBOOK)
        start, end = self.dates(request, required=True)
        limit = self.limit(request, 25)
        if self.is_example(entity_id):
            return json_response(example("user_overlap_ranking"))
        entity = self.entity(entity_id)
        first, last = self._month(start, end)
        results = [self._overlap_result(entity_id, other, first) for other in self.entities if other != entity_id]

        def order(result: dict[str, Any]) -> tuple[int, float]:
            value = result["audience_percent_overlap"]
            return (0, -value) if isinstance(value, float) else (1, 0.0)

        results.sort(key=order)
        return json_response(self._overlap_body(entity, first, last, results[:limit]))

    def _affinity(self, entity_id: str, other_id: str, month: dt.date) -> dict[str, Any]:
        rng = self.rng("affinity", entity_id, other_id, month)
        return {
            "unique_engaged_users": rng.randint(100, 50_000),
            "affinity": round(rng.uniform(0.1, 9), 2),
            "object_id": int(other_id) if other_id.isdigit() else other_id,
            "name": self.entities[other_id].name,
        }

    def _affinity_body(self, entity: Entity, first: dt.date, last: dt.date, results: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "start_date": first.isoformat(),
            "end_date": last.isoformat(),
            "service": "facebook",
            "unique_engaged_users": self.rng("engaged", entity.entity_id, first).randint(10_000, 500_000),
            "results": results,
            "object_id": int(entity.entity_id),
            "name": entity.name,
        }

    def user_affinity_comparison(self, request: Request, entity_id: str, service: str) -> Response:
        self.service(service, catalog.FACEBOOK)
        start, end = self.dates(request, earliest=catalog.AFFINITY_EARLIEST)
        others = self._object_ids(request)
        if self.is_example(entity_id):
            return json_response(example("user_affinity_comparison"))
        entity = self.entity(entity_id)
        first, last = self._month(start, end)
        results = [self._affinity(entity_id, other, first) for other in others if other in self.entities]
        return json_response(self._affinity_body(entity, first, last, results))

    def user_affinity_ranking(self, request: Request, entity_id: str, service: str) -> Response:
        self.service(service, catalog.FACEBOOK)
        start, end = self.dates(request, required=True, earliest=catalog.AFFINITY_EARLIEST)
        if self.is_example(entity_id):
            return json_response(example("user_affinity_ranking"))
        entity = self.entity(entity_id)
        first, last = self._month(start, end)
        results = [self._affinity(entity_id, other, first) for other in self.entities if other != entity_id]
        results.sort(key=lambda r: -r["affinity"])
        return json_response(self._affinity_body(entity, first, last, results[:25]))

    def page_insights(self, request: Request, entity_id: str, service: str) -> Response:
        self.service(service, catalog.FACEBOOK)
        start, end = self.dates(request, earliest=catalog.INSIGHTS_EARLIEST)
        fields = self.fields(request) or list(catalog.PAGE_INSIGHTS_FIELDS)
        unknown = [f for f in fields if f not in catalog.PAGE_INSIGHTS_FIELDS]
        if unknown:
            raise Problem(400, f"Unknown page insights fields: {', '.join(unknown)}.")
        if self.is_example(entity_id):
            return json_response(example("page_insights"))
        entity = self.entity(entity_id)
        days = self._day_range(start, end)
        data: dict[str, Any] = {}
        for day in days:
            values: dict[str, Any] = {}
            for field in fields:
                if field == "page_negative_feedback_by_type":
                    kinds = ("unlike_page_clicks", "hide_all_clicks", "report_spam_clicks", "xbutton_clicks", "hide_clicks")
                    values[field] = {k: self.rng("nf", entity_id, day, k).randint(0, 900) for k in kinds}
                elif field == "page_positive_feedback_by_type":
                    kinds = ("comment", "claim", "like", "other", "link", "answer")
                    values[field] = {k: self.rng("pf", entity_id, day, k).randint(0, 90_000) for k in kinds}
                else:
                    values[field] = self.number(field, entity_id, day)
            data[day.isoformat()] = values
        return json_response(
            {"object": {"start": days[0].isoformat(), "end": days[-1].isoformat(), "name": entity.name}, "data": data}
        )

    # -- /user/{entity_id}/cross_platform/... -------------------------------------------

    def user_cross_platform(self, request: Request, entity_id: str) -> Response:
        services = self.services(request, catalog.SERVICES)
        if self.is_example(entity_id):
            return json_response(example("user_cross_platform"))
        return json_response(self.member(self.entity(entity_id), services))

    def _top_content(self, request: Request, entities: list[Entity], *, realtime: bool) -> list[dict[str, Any]]:
        services = self.services(request, catalog.SERVICES)
        start, end = self.dates(request)
        limit = self.limit(request, 10)
        found = []
        for entity in entities:
            for service in services:
                if service not in entity.services:
                    continue
                posts = self._in_range(self.posts(entity, service, realtime=realtime), start, end)
                for post in posts:
                    # The docs' top content fields: the page's name, its service id and a thumbnail with each post.
                    public = self._public(post)
                    post_id = public.get("post_id", public.get("status_id"))
                    fields = {
                        "username": entity.name,
                        "entity_id": entity.entity_id,
                        "user_id": entity.object_ids[service],
                        **public,
                        "thumbnail": f"https://{service}.example/thumbnail/{post_id}",
                    }
                    found.append({"fields": fields, "service": service})
        found.sort(key=lambda item: (-item["fields"]["total_actions"], item["service"], str(item["fields"].get("post_id"))))
        return found[:limit]

    def user_top_content(self, request: Request, entity_id: str, realtime: bool = False) -> Response:
        if self.is_example(entity_id):
            self.services(request, catalog.SERVICES)
            self.dates(request)
            self.limit(request, 10)
            return json_response(example("user_top_content"))
        entity = self.entity(entity_id)
        return json_response(
            {"entity_id": entity.entity_id, "top_content": self._top_content(request, [entity], realtime=realtime)}
        )

    def user_top_content_realtime(self, request: Request, entity_id: str) -> Response:
        return self.user_top_content(request, entity_id, realtime=True)

    # -- /category/{category_id}/... ----------------------------------------------------

    def _members(self, category: Category) -> list[Entity]:
        return [self.entities[m] for m in category.members]

    def category_members(self, request: Request, category_id: str, service: str) -> Response:
        self.service(service, catalog.SERVICES)
        if self.is_example(category_id):
            return json_response(example("category_members"))
        category = self.category(category_id)
        members = [self.member(e, [service]) for e in self._members(category) if service in e.services]
        return json_response(
            {"object_id": category.category_id, "name": category.name, "isin": category.isin, "members": members}
        )

    def category_metrics(self, request: Request, category_id: str, service: str) -> Response:
        self.service(service, catalog.SERVICES)
        start, end = self.dates(request)
        if self.is_example(category_id):
            return json_response(example("category_metrics"))
        category = self.category(category_id)
        fields = catalog.USER_FIELDS[service] + (catalog.AUDIENCE_FIELDS if service == "facebook" else ())
        metrics = {f: float(self.number(f, category_id, service, start, end)) for f in fields if f != "native_video_views"}
        if service == "facebook":
            metrics["native_video_views_average"] = float(self.number("native_video_views_average", category_id, start, end))
        return json_response(
            {"name": category.name, "object_id": category.category_id, "isin": category.isin, "metrics": metrics}
        )

    def category_time_series(self, request: Request, category_id: str, service: str) -> Response:
        self.service(service, catalog.FACEBOOK_TWITTER)
        if self.is_example(category_id):
            self.dates(request)
            return json_response(example("category_time_series"))
        category = self.category(category_id)
        owner = {"object_id": category.category_id, "name": category.name}
        allowed = catalog.time_series_fields(service, category=True)
        return self._series(request, owner, service, allowed, category_id, service)

    def category_ranking(self, request: Request, category_id: str, service: str) -> Response:
        self.service(service, catalog.FACEBOOK)
        metric = request.args.get("metric")
        if metric is None:
            raise Problem(400, "metric is required (currently only total_actions).")
        if metric not in catalog.RANKING_METRICS:
            raise Problem(400, f"metric {metric!r} is not supported; only total_actions.")
        start, end = self.dates(request)
        if self.is_example(category_id):
            return json_response(example("category_ranking"))
        category = self.category(category_id)
        ranking = [
            {"name": e.name, "object_id": int(e.entity_id), "value": self.number(metric, e.entity_id, "facebook", start, end)}
            for e in self._members(category)
        ]
        ranking.sort(key=lambda r: -r["value"])
        return json_response(
            {
                "name": category.name,
                "object_id": category.category_id,
                "isin": category.isin,
                "metric": metric,
                "ranking": ranking,
            }
        )

    def category_cross_platform(self, request: Request, category_id: str) -> Response:
        services = self.services(request, catalog.SERVICES)
        if self.is_example(category_id):
            return json_response(example("category_cross_platform"))
        category = self.category(category_id)
        members = [self.member(e, services) for e in self._members(category)]
        return json_response(
            {"object_id": category.category_id, "name": category.name, "isin": category.isin, "members": members}
        )

    def category_top_content(self, request: Request, category_id: str) -> Response:
        if self.is_example(category_id):
            self.services(request, catalog.SERVICES)
            self.dates(request)
            self.limit(request, 10)
            return json_response(example("category_top_content"))
        category = self.category(category_id)
        top = self._top_content(request, self._members(category), realtime=False)
        return json_response({"category_id": category.category_id, "top_content": top})

    def category_realtime_rankings(self, request: Request, category_id: str) -> Response:
        services = self.services(request, catalog.FACEBOOK_TWITTER)
        day = self._date(request, "date") or self.today
        if self.is_example(category_id):
            return json_response(example("category_realtime_rankings"))
        category = self.category(category_id)
        if len(category.members) > 100:
            raise Problem(400, "Rankings support categories with up to 100 members.")
        members = []
        for entity in self._members(category):
            rng = self.rng("rt-rank", category_id, entity.entity_id, day, *services)
            members.append(
                {
                    "entity_id": int(entity.entity_id),
                    "total_actions": rng.randint(0, 90_000),
                    "fans": rng.randint(1_000, 5_000_000),
                    "total_posts": rng.randint(0, 40),
                    "page_score": round(rng.uniform(0, 100), 1),
                }
            )
        members.sort(key=lambda m: (-m["total_actions"], m["entity_id"]))
        for rank, member in enumerate(members, 1):
            member["rank"] = rank
        totals = {k: sum(m[k] for m in members) for k in ("total_actions", "fans", "total_posts")}
        return json_response({"category_id": int(category.category_id), "date": day.isoformat(), "members": members, **totals})

    # -- /me/... ------------------------------------------------------------------------

    def me_properties(self, request: Request) -> Response:
        if self.examples:
            return json_response(example("me_properties"))
        if self.all_access:
            return json_response("all")
        return json_response([{"id": e, "name": self.entities[e].name} for e in self.entities if e in self.authorized])

    def me_categories(self, request: Request) -> Response:
        if self.examples:
            return json_response(example("me_categories"))
        if self.all_access:
            return json_response("all")
        return json_response([{"id": c.category_id, "name": c.name} for c in self.categories.values()])

    def find_user(self, request: Request) -> Response:
        term = (request.args.get("term") or "").strip()
        if not term:
            raise Problem(400, "term is required.")
        if self.examples:
            return json_response(example("find_user"))
        found = sorted(
            (e for e in self.entities.values() if term.lower() in e.name.lower()), key=lambda e: (len(e.name), e.name)
        )[:50]
        results = [
            {
                "name": e.name,
                "object_id": int(e.entity_id),
                "authorized": "true" if self.all_access or e.entity_id in self.authorized else "false",
            }
            for e in found
        ]
        return json_response({"term": term, "results": results})
