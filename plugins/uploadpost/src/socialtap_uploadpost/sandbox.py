"""Upload-Post's analytics API emulated from its docs, for offline runs and tests.

What it does, and what of it the docs say (the rest is our choice, marked *assumed*):

- Routes under ``/api``: ``/analytics/<profile_username>``,
  ``/uploadposts/total-impressions/<profile_username>``,
  ``/uploadposts/post-analytics/<request_id>`` and the public
  ``/uploadposts/platform-metrics`` (answered without credentials, as documented).
- ``Authorization: Apikey <key>``; anything but :data:`TEST_API_KEY` is a 401. Error
  bodies are ``{"success": false, "message": ...}`` quoting the docs' sentences
  (*assumed*: the docs print no error body).
- Profiles: ``test`` (the analytics example: its ``instagram`` entry is the docs', repaired
  as :mod:`socialtap_uploadpost.examples` says), ``myprofile`` (instagram, youtube,
  tiktok, facebook: the total-impressions and post examples) and ``profile1`` ...
  ``profileN`` (``profiles=``, every platform). Each has 30 days of daily snapshots per
  platform, today (``socialtap.clock``) included, deterministic for a seed; an unknown
  profile is a 404 on every profile endpoint (documented for analytics, *assumed* for
  total-impressions, whose docs list no 404).
- analytics: ``platforms`` missing, empty or not lower-case words is the documented
  400. A word that is not a supported platform, a platform named in ``unsupported=``, or
  one the profile has not connected gets the docs' per-platform message, as
  ``{"message": ...}`` (*assumed* shape). facebook without ``page_id`` is a 400
  (the docs: "Required for Facebook analytics"). Totals are the 30 days' sums (followers:
  the level today); ``reach_timeseries`` is the 30 days of the platform's primary field.
- total-impressions: dates must be ``YYYY-MM-DD`` and metric names the documented ones
  (the documented 400s); an unknown ``period``, platform or ``breakdown`` value is a 400
  too (*assumed*). Ranges are inclusive: ``period`` counts back from today (``last_day`` 1
  day, ``last_week`` 7 as the docs' example 02-13..02-20 shows, ``last_month`` 30 as
  01-21..02-20 shows, ``last_3months`` 90, ``last_year`` 365: the last two *assumed*),
  overriding ``date``, which overrides ``start_date``/``end_date`` (default 30 days ago and
  today). The total is the sum over the range's days of each platform's primary
  impressions field only (reach on Instagram, views on YouTube...), so no platform counts
  twice; ``metrics`` sums each named metric over days and platforms instead (how the
  vendor aggregates followers is not documented: summed here too). ``per_platform`` and
  ``per_day`` come with ``breakdown=true``; each adds up to the total. ``myprofile``
  answers each documented query with the docs' example body when the range it computes is
  the example's (the period examples on 2026-02-20, the platform filter one on 2026-02-19).
- post-analytics: ``abc123-def456`` is the docs' example (``?platform=youtube`` keeps
  only youtube); seeded posts ``<profile>-post<N>`` (``posts_per_profile=``) on two or
  three platforms, the first post of each profile with one platform's metrics failing
  (``post_metrics_error``); an unknown id is the documented 404.
- platform-metrics: the docs' instagram and youtube entries, and the other platforms
  from the docs' statements (``primary_impressions_field``: reach on Facebook, Instagram,
  LinkedIn, else impressions; their metric lists and labels *assumed*).

No rate limit is documented, so none is emulated.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from socialtap import clock
from socialtap.testing.emulator import Request, Rule, SandboxApp, bearer_token, json_response
from socialtap_uploadpost import examples
from socialtap_uploadpost.params import METRICS, PERIODS, PLATFORMS

TEST_API_KEY = "uploadpost-sandbox-key"
DAYS = 30
PERIOD_DAYS = dict(zip(PERIODS, (1, 7, 30, 90, 365), strict=True))
"""Days each ``period`` counts back from today: last_day, last_week, last_month, last_3months, last_year."""

UNAUTHORIZED = "Unauthorized: the JWT is missing, invalid, or expired."
BAD_PLATFORMS = "Bad Request: the platforms query parameter is missing or invalid."
BAD_DATE = "Bad Request: invalid date format (must be YYYY-MM-DD)."
NO_PROFILE = "Not Found: the specified profile_username does not exist for the authenticated user."
NO_POST = "Not Found: no post found with the given request ID."
FLOWS = ("reach", "impressions", "likes", "comments", "shares", "saves", "profileViews", "video_count")
_WORD = re.compile(r"^[a-z]+$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# platform: (primary_impressions_field, metric_type of reach_timeseries, available metrics, labels)
PLATFORM_CONFIG: dict[str, tuple[str, str, tuple[str, ...], dict[str, str]]] = {
    "instagram": (
        "reach",
        "reach",
        tuple(examples.PLATFORM_METRICS["instagram"]["available_metrics"]),
        examples.PLATFORM_METRICS["instagram"]["metric_labels"],
    ),
    "youtube": (
        "impressions",
        "views",
        tuple(examples.PLATFORM_METRICS["youtube"]["available_metrics"]),
        examples.PLATFORM_METRICS["youtube"]["metric_labels"],
    ),
    "facebook": (
        "reach",
        "reach",
        ("followers", "reach", "impressions", "profileViews", "likes", "comments", "shares"),
        {"reach": "Unique Reach", "followers": "Page Followers"},
    ),
    "linkedin": (
        "reach",
        "reach",
        ("followers", "reach", "impressions", "likes", "comments", "shares"),
        {"reach": "Unique Reach"},
    ),
    "tiktok": (
        "impressions",
        "views",
        ("followers", "following", "impressions", "profileViews", "likes", "comments", "shares", "video_count"),
        {"impressions": "Video Views"},
    ),
    "threads": ("impressions", "views", ("followers", "impressions", "likes", "comments", "shares"), {"impressions": "Views"}),
    "x": (
        "impressions",
        "impressions",
        ("followers", "following", "impressions", "likes", "comments", "shares"),
        {"impressions": "Impressions"},
    ),
    "pinterest": (
        "impressions",
        "impressions",
        ("followers", "impressions", "saves", "comments"),
        {"impressions": "Pin Impressions"},
    ),
    "reddit": ("impressions", "score", ("followers", "impressions", "comments"), {"impressions": "Post Score"}),
    "bluesky": ("impressions", "impressions", ("followers", "following", "likes", "comments", "shares", "impressions"), {}),
}

# What a post's metrics are called on each platform (*assumed*, but youtube: the docs').
POST_METRICS: dict[str, tuple[str, ...]] = {
    "youtube": ("views", "likes", "comments", "favorites"),
    "tiktok": ("views", "likes", "comments", "shares"),
    "instagram": ("likes", "comments", "saves", "reach"),
    "facebook": ("reactions", "comments", "shares", "impressions"),
    "linkedin": ("impressions", "likes", "comments", "shares"),
    "threads": ("views", "likes", "replies", "reposts"),
    "x": ("impressions", "likes", "replies", "retweets"),
    "pinterest": ("impressions", "saves", "pin_clicks"),
    "reddit": ("score", "comments"),
    "bluesky": ("likes", "reposts", "replies"),
}


def message(text: str, status: int):
    """An error answer: ``{"success": false, "message": ...}`` (*assumed* shape)."""
    return json_response({"success": False, "message": text}, status)


class UploadPostSandbox(SandboxApp):
    base_path = "/api"

    def __init__(self, seed: int = 0, profiles: int = 3, posts_per_profile: int = 3, unsupported: Any = ()):
        """``profiles`` seeded profiles (``profile1``...), ``posts_per_profile`` posts each,
        ``unsupported``: platforms (a list or comma string) analytics answers with the
        "not supported" message."""
        if isinstance(unsupported, str):
            unsupported = [p for p in unsupported.split(",") if p]
        self.unsupported = frozenset(unsupported)
        self.profiles: dict[str, tuple[str, ...]] = {
            "test": PLATFORMS,
            "myprofile": ("instagram", "youtube", "tiktok", "facebook"),
        }
        self.profiles.update({f"profile{i}": PLATFORMS for i in range(1, profiles + 1)})
        self.posts_per_profile = posts_per_profile
        super().__init__(seed)

    def routes(self):
        return [
            Rule("/analytics/<profile_username>", endpoint="analytics", methods=["GET"]),
            Rule("/uploadposts/total-impressions/<profile_username>", endpoint="total_impressions", methods=["GET"]),
            Rule("/uploadposts/post-analytics/<request_id>", endpoint="post_analytics", methods=["GET"]),
            Rule("/uploadposts/platform-metrics", endpoint="platform_metrics", methods=["GET"]),
        ]

    def dispatch(self, request: Request):
        public = request.path.rstrip("/") == f"{self.base_path}/uploadposts/platform-metrics"
        if not public and bearer_token(request, "Apikey") != TEST_API_KEY:
            return message(UNAUTHORIZED, 401)
        return super().dispatch(request)

    # -- seeded data ------------------------------------------------------------------

    def days(self) -> list[dt.date]:
        """The days with snapshots: the last 30, today included."""
        today = clock.today()
        return [today - dt.timedelta(days=back) for back in range(DAYS - 1, -1, -1)]

    def daily(self, profile: str, platform: str, metric: str, when: dt.date) -> int:
        """One day's value of a metric on a platform of a profile (0 outside the 30 days)."""
        if metric not in PLATFORM_CONFIG[platform][2] or when not in self.days():
            return 0
        scale = {"reach": 900, "impressions": 1500, "likes": 120, "comments": 15, "shares": 8, "saves": 10}
        return self.rng(profile, platform, metric, when.isoformat()).randint(0, scale.get(metric, 40))

    def level(self, profile: str, platform: str, metric: str, when: dt.date) -> int:
        """A profile-level total as of a day: a seeded base plus the days so far."""
        base = self.rng(profile, platform, metric, "base").randint(50, 50_000)
        return base + sum(self.daily(profile, platform, metric, d) for d in self.days() if d <= when)

    # -- analytics --------------------------------------------------------------------

    def analytics(self, request: Request, profile_username: str):
        raw = request.args.get("platforms")
        words = raw.split(",") if raw else []
        if not words or not all(_WORD.match(word) for word in words):
            return message(BAD_PLATFORMS, 400)
        if profile_username not in self.profiles:
            return message(NO_PROFILE, 404)
        if "facebook" in words and not request.args.get("page_id"):
            return message("Bad Request: page_id is required for Facebook analytics.", 400)
        answer: dict[str, Any] = {}
        for platform in dict.fromkeys(words):
            if platform not in PLATFORMS or platform in self.unsupported:
                answer[platform] = {"message": f"Analytics for {platform} are not supported yet."}
            elif platform not in self.profiles[profile_username]:
                answer[platform] = {"message": f"No {platform} account is connected to profile {profile_username}."}
            elif profile_username == "test" and platform == "instagram":
                answer[platform] = examples.ANALYTICS["instagram"]
            else:
                answer[platform] = self.platform_analytics(profile_username, platform, request.args)
        return json_response(answer)

    def platform_analytics(self, profile: str, platform: str, args: Any) -> dict[str, Any]:
        # One set of snapshots per profile and platform, whichever page is asked for: the
        # same numbers total-impressions adds up.
        owner = profile
        primary, metric_type, available, labels = PLATFORM_CONFIG[platform]
        days = self.days()
        entry: dict[str, Any] = {}
        for metric in ("followers", "impressions", "profileViews", "reach", "likes", "comments", "shares", "saves"):
            if metric in available:
                if metric == "followers":
                    entry[metric] = self.level(owner, platform, metric, days[-1])
                else:
                    entry[metric] = sum(self.daily(owner, platform, metric, d) for d in days)
        entry["reach_timeseries"] = [{"date": d.isoformat(), "value": self.daily(owner, platform, primary, d)} for d in days]
        entry.update(
            metric_type=metric_type,
            primary_impressions_field=primary,
            available_metrics=list(available),
            metric_labels=dict(labels),
        )
        return entry

    # -- total impressions ------------------------------------------------------------

    def total_impressions(self, request: Request, profile_username: str):
        args = request.args
        problem, window = self.window(args)
        if problem:
            return message(problem, 400)
        assert window is not None
        start, end = window
        platforms = list(self.profiles.get(profile_username, ()))
        only = None
        if "platform" in args:
            only = args["platform"].split(",")
            if not all(p in PLATFORMS for p in only):
                return message(f"Bad Request: invalid platform filter {args['platform']!r}.", 400)
        metrics = None
        if "metrics" in args:
            metrics = args["metrics"].split(",")
            wrong = [m for m in metrics if m not in METRICS]
            if wrong:
                return message(f"Bad Request: invalid metric name {wrong[0]!r}. Available: {', '.join(METRICS)}.", 400)
        breakdown = args.get("breakdown")
        if breakdown not in (None, "true", "false"):
            return message("Bad Request: breakdown must be true.", 400)
        if profile_username not in self.profiles:
            return message(NO_PROFILE, 404)
        if profile_username == "myprofile":
            for query, body in examples.TOTAL_EXAMPLES:
                if dict(args) == query and (body["start_date"], body["end_date"]) == (start.isoformat(), end.isoformat()):
                    return json_response(body)
        if only is not None:
            platforms = [p for p in platforms if p in only]
        days = [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
        answer: dict[str, Any] = {
            "success": True,
            "profile_username": profile_username,
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
        }
        if metrics is None:
            # Each platform's primary impressions field only: reach and views of one
            # platform are never added together.
            cells = {(p, d): self.daily(profile_username, p, PLATFORM_CONFIG[p][0], d) for p in platforms for d in days}
            answer["total_impressions"] = sum(cells.values())
            if only is not None:
                answer["platforms_filter"] = only
            if breakdown == "true":
                answer["per_platform"] = {p: sum(cells[p, d] for d in days) for p in platforms}
                answer["per_day"] = {d.isoformat(): sum(cells[p, d] for p in platforms) for d in days if d in self.days()}
            return json_response(answer)
        metrics = list(dict.fromkeys(metrics))
        having = {m: [p for p in platforms if m in PLATFORM_CONFIG[p][2]] for m in metrics}
        cells = {(m, p, d): self.daily(profile_username, p, m, d) for m in metrics for p in having[m] for d in days}
        answer["metrics"] = {m: sum(cells[m, p, d] for p in having[m] for d in days) for m in metrics}
        if only is not None:
            answer["platforms_filter"] = only
        if breakdown == "true":
            answer["per_platform"] = {m: {p: sum(cells[m, p, d] for d in days) for p in having[m]} for m in metrics}
            answer["per_day"] = {
                m: {d.isoformat(): sum(cells[m, p, d] for p in having[m]) for d in days if d in self.days()} for m in metrics
            }
        return json_response(answer)

    @staticmethod
    def window(args: Any) -> tuple[str | None, tuple[dt.date, dt.date] | None]:
        """(the 400 message, or None; the inclusive days) of a total-impressions query."""
        today = clock.today()
        parsed: dict[str, dt.date] = {}
        for name in ("date", "start_date", "end_date"):
            if name in args:
                value = args[name]
                try:
                    if not _DAY.match(value):
                        raise ValueError(value)
                    parsed[name] = dt.date.fromisoformat(value)
                except ValueError:
                    return BAD_DATE, None
        if "period" in args:
            if args["period"] not in PERIOD_DAYS:
                return f"Bad Request: invalid period {args['period']!r}; use one of: {', '.join(PERIODS)}.", None
            return None, (today - dt.timedelta(days=PERIOD_DAYS[args["period"]]), today)
        if "date" in parsed:
            return None, (parsed["date"], parsed["date"])
        start = parsed.get("start_date", today - dt.timedelta(days=DAYS))
        end = parsed.get("end_date", today)
        if start > end:
            return "Bad Request: start_date is after end_date.", None
        return None, (start, end)

    # -- post analytics ---------------------------------------------------------------

    def post_analytics(self, request: Request, request_id: str):
        only = request.args.get("platform")
        if only is not None and only not in PLATFORMS:
            return message(f"Bad Request: invalid platform {only!r}.", 400)
        if request_id == examples.POST_REQUEST_ID:
            body = examples.POST
        else:
            body = self.seeded_post(request_id)
            if body is None:
                return message(NO_POST, 404)
        if only is not None:
            body = {**body, "platforms": {p: v for p, v in body["platforms"].items() if p == only}}
        return json_response(body)

    def seeded_post(self, request_id: str) -> dict[str, Any] | None:
        profile, sep, number = request_id.rpartition("-post")
        if not sep or profile not in self.profiles or profile == "myprofile" or not number.isdigit():
            return None
        index = int(number)
        if not 1 <= index <= self.posts_per_profile:
            return None
        rng = self.rng("post", request_id)
        platforms = rng.sample(sorted(self.profiles[profile]), rng.randint(2, 3))
        posted = self.days()[rng.randint(0, DAYS - 1)]
        stamp = f"{posted.isoformat()} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
        today = self.days()[-1]
        answer: dict[str, Any] = {}
        for position, platform in enumerate(platforms):
            post_id = str(rng.randint(10**9, 10**10))
            entry: dict[str, Any] = {
                "success": True,
                "platform_post_id": post_id,
                "post_url": f"https://{platform}.example/p/{post_id}",
            }
            if index == 1 and position == len(platforms) - 1:
                entry["post_metrics_error"] = f"{platform} post not found (ID: {post_id}). The token may need to be refreshed."
            else:
                entry["post_metrics"] = {m: rng.randint(0, 5000) for m in POST_METRICS[platform]}
                entry["post_metrics_source"] = "platform_api"
            available = PLATFORM_CONFIG[platform][2]
            entry["profile_snapshot_at_post_date"] = {m: self.level(profile, platform, m, posted) for m in available}
            entry["profile_snapshot_latest"] = {m: self.level(profile, platform, m, today) for m in available}
            entry["profile_snapshot_latest_date"] = today.isoformat()
            answer[platform] = entry
        return {
            "success": True,
            "post": {
                "request_id": request_id,
                "profile_username": profile,
                "post_title": f"Post {index} of {profile}",
                "post_caption": f"Caption of post {index}",
                "media_type": rng.choice(["video", "image", "text"]),
                "upload_timestamp": stamp,
            },
            "platforms": answer,
        }

    # -- platform metrics (public) ----------------------------------------------------

    def platform_metrics(self, request: Request):
        answer = {}
        for platform, (primary, _, available, labels) in PLATFORM_CONFIG.items():
            answer[platform] = examples.PLATFORM_METRICS.get(platform) or {
                "primary_impressions_field": primary,
                "available_metrics": list(available),
                "metric_labels": dict(labels),
            }
        return json_response(answer)
