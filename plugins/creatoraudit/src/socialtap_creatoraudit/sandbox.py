"""CreatorAudit's ``POST /videos`` emulated from its docs, for offline runs and tests.

What it does, and what of it the docs say (the rest is our choice, marked *assumed*):

- ``POST /v2/videos`` with ``Authorization: Bearer <token>``; anything but
  :data:`TEST_TOKEN` is a 401 ``{"detail": "Not authenticated"}`` (*assumed*: the docs
  print no error body; this is the FastAPI shape their schema comes from).
- The body as documented, validated as strictly: ``platform`` required (instagram,
  tiktok; the docs' curl omits it, the schema requires it), ``identifier`` a string of
  1-512 characters in a documented form (a URL of the other platform, or a bare
  shortcode on TikTok, cannot be resolved), ``metadata`` an object of at most 20 string
  keys and values of at most 255 characters each, ``is_active`` a boolean,
  ``scrape_interval_hours`` an integer 6-720. Unknown fields are refused (*assumed*,
  so a client bug shows). Failures are 422 ``{"detail": [{"loc": [...], "msg": ...,
  "type": ...}]}`` listing every problem (*assumed*: FastAPI's validation shape).
- Every accepted POST creates a new tracked video (an in-memory store): the docs say
  nothing of the server refusing a video it already tracks, so the sandbox is the
  worst case, where only the client's keys stand between a retry and a duplicate.
  ``conflict=True`` answers a video already tracked with 409 and the original object
  instead (the issue's "409 returning the original object").
- ``Idempotency-Key`` (documented: "best-effort in-process dedup over a 10-minute
  window"): the same key with the same body within ``key_window`` seconds (600) answers
  the first answer again and creates nothing; the same key with another body is a 422.
- Answers are 201 with ``{"data": VideoResponse}``; values are deterministic for a
  seed (ids, counts, times), so two runs compare equal. An identifier whose video
  starts with ``new`` is not scraped yet: its content, counts and scrape times are null.

Faults for tests: ``drop_rate`` drops that fraction of answers *after* the video was
created (the connection is shut, no status line is sent), drawn per body and attempt
from the seed, so the same requests meet the same drops whatever the concurrency;
``hold_after=N`` holds every creation after the N-th until :meth:`release`, which
answers the held ones 503 without creating anything (a test can kill a client at a
known count).

``stats`` counts ``videos`` (POSTs that reached the endpoint), ``created``,
``replayed``, ``dropped``, ``conflicts``, ``rejected`` (422) and ``held``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from socialtap.testing.emulator import Request, Response, Rule, SandboxApp, bearer_token, json_response
from socialtap_creatoraudit.params import (
    MAX_IDENTIFIER,
    MAX_INTERVAL,
    MAX_METADATA_CHARS,
    MAX_METADATA_KEYS,
    MIN_INTERVAL,
    PLATFORMS,
    VideoRef,
    form_problem,
    parse_identifier,
)

TEST_TOKEN = "creatoraudit-sandbox-token"
KEY_WINDOW = 600.0
FIELDS = ("platform", "identifier", "metadata", "is_active", "scrape_interval_hours")
EPOCH = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


class _Dropped:
    """An answer the sandbox drops on the floor (the connection is shut instead)."""


DROPPED = _Dropped()


def _problem(field: str, msg: str, kind: str) -> dict[str, Any]:
    return {"loc": ["body", field], "msg": msg, "type": kind}


class CreatorAuditSandbox(SandboxApp):
    base_path = "/v2"

    def __init__(
        self,
        seed: int = 0,
        drop_rate: float = 0.0,
        hold_after: int | None = None,
        conflict: bool = False,
        key_window: float = KEY_WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ):
        """``drop_rate`` (0-1) drops answers after creating; ``hold_after`` holds creations
        past that count until :meth:`release`; ``conflict`` answers a video tracked before
        with 409; ``key_window`` is how long keys are honoured (seconds, on ``clock``)."""
        if not 0 <= drop_rate <= 1:
            raise ValueError("drop_rate must be between 0 and 1")
        self.drop_rate = drop_rate
        self.hold_after = hold_after
        self.conflict = conflict
        self.key_window = key_window
        self.clock = clock
        self.tracked: list[dict[str, Any]] = []
        self.keys: dict[str, tuple[float, str, int, dict[str, Any]]] = {}
        self.attempts: dict[str, int] = {}
        self.released = threading.Event()
        super().__init__(seed)

    def routes(self):
        return [Rule("/videos", endpoint="videos", methods=["POST"])]

    def dispatch(self, request: Request):
        if bearer_token(request) != TEST_TOKEN:
            return json_response({"detail": "Not authenticated"}, 401, headers={"WWW-Authenticate": "Bearer"})
        return super().dispatch(request)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        answer = self.dispatch(Request(environ))
        if answer is DROPPED:
            # The video exists; the client never hears of it: no status line, a closed connection.
            connection = environ.get("werkzeug.socket")
            if connection is not None:
                connection.shutdown(socket.SHUT_RDWR)
            start_response("500 Dropped", [("Content-Length", "0")])
            return []
        return answer(environ, start_response)

    def release(self) -> None:
        """Let the held creations go: each answers 503 and creates nothing."""
        self.released.set()

    # -- the endpoint -----------------------------------------------------------------

    def videos(self, request: Request) -> Response | _Dropped:
        body = request.get_json(silent=True)
        problems = self.validate(body)
        if problems:
            with self.lock:
                self.stats["rejected"] += 1
            return json_response({"detail": problems}, 422)
        key = request.headers.get("Idempotency-Key")
        fingerprint = json.dumps(body, sort_keys=True)
        with self.lock:
            if key is not None:
                seen = self.keys.get(key)
                if seen is not None and self.clock() - seen[0] < self.key_window:
                    if seen[1] != fingerprint:
                        self.stats["rejected"] += 1
                        detail = [_problem("Idempotency-Key", "key already used with a different body", "value_error")]
                        return json_response({"detail": detail}, 422)
                    self.stats["replayed"] += 1
                    return self.answer(fingerprint, seen[2], seen[3])
            if self.hold_after is not None and self.stats["created"] >= self.hold_after:
                self.stats["held"] += 1
                hold = True
            else:
                hold = False
                status, data = self.create(body)
                if key is not None:
                    self.keys[key] = (self.clock(), fingerprint, status, data)
        if hold:
            self.released.wait()
            return json_response({"detail": "Service Unavailable"}, 503)
        return self.answer(fingerprint, status, data)

    def answer(self, body: str, status: int, data: dict[str, Any]) -> Response | _Dropped:
        """The answer to a body, or DROPPED: drawn from the seed, the body and how many
        times it was answered, so a run meets the same drops whatever its concurrency."""
        with self.lock:
            attempt = self.attempts[body] = self.attempts.get(body, 0) + 1
            if self.drop_rate and self.rng("drop", body, attempt).random() < self.drop_rate:
                self.stats["dropped"] += 1
                return DROPPED
        return json_response({"data": data}, status)

    @staticmethod
    def validate(body: Any) -> list[dict[str, Any]]:
        """The 422 ``detail`` entries for a body, or [] when it is valid."""
        if not isinstance(body, dict):
            return [_problem("__root__", "the body must be a JSON object", "type_error.dict")]
        problems = [_problem(name, "extra fields not permitted", "value_error.extra") for name in body if name not in FIELDS]
        platform = body.get("platform")
        if platform is None:
            problems.append(_problem("platform", "field required", "value_error.missing"))
        elif platform not in PLATFORMS:
            problems.append(
                _problem(
                    "platform", "value is not a valid enumeration member; permitted: 'instagram', 'tiktok'", "type_error.enum"
                )
            )
        identifier = body.get("identifier")
        if identifier is None:
            problems.append(_problem("identifier", "field required", "value_error.missing"))
        elif not isinstance(identifier, str) or not 1 <= len(identifier) <= MAX_IDENTIFIER:
            problems.append(
                _problem(
                    "identifier", f"ensure this value is a string of 1 to {MAX_IDENTIFIER} characters", "value_error.any_str"
                )
            )
        else:
            try:
                ref = parse_identifier(identifier)
            except ValueError as exc:
                problems.append(_problem("identifier", str(exc), "value_error"))
            else:
                problem = form_problem(platform, ref) if platform in PLATFORMS else None
                if problem:
                    problems.append(_problem("identifier", problem, "value_error"))
        metadata = body.get("metadata", {})
        if not isinstance(metadata, dict):
            problems.append(_problem("metadata", "value is not a valid dict", "type_error.dict"))
        else:
            if len(metadata) > MAX_METADATA_KEYS:
                problems.append(_problem("metadata", f"at most {MAX_METADATA_KEYS} keys", "value_error"))
            for name, value in metadata.items():
                if not isinstance(value, str) or len(value) > MAX_METADATA_CHARS or len(name) > MAX_METADATA_CHARS:
                    problems.append(
                        _problem(
                            "metadata",
                            f"key {name[:40]!r}: keys and values are strings of at most {MAX_METADATA_CHARS} characters",
                            "value_error",
                        )
                    )
        if not isinstance(body.get("is_active", True), bool):
            problems.append(_problem("is_active", "value could not be parsed to a boolean", "type_error.bool"))
        hours = body.get("scrape_interval_hours", 24)
        if isinstance(hours, bool) or not isinstance(hours, int):
            problems.append(_problem("scrape_interval_hours", "value is not a valid integer", "type_error.integer"))
        elif not MIN_INTERVAL <= hours <= MAX_INTERVAL:
            problems.append(
                _problem(
                    "scrape_interval_hours",
                    f"ensure this value is between {MIN_INTERVAL} and {MAX_INTERVAL}",
                    "value_error.number",
                )
            )
        return problems

    # -- data -------------------------------------------------------------------------

    def create(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Track the video of a valid body (under ``self.lock``): its status and object."""
        ref = parse_identifier(body["identifier"])
        platform = body["platform"]
        same = [v for v in self.tracked if v["_platform"] == platform and v["_video"] == ref.dedupe_key]
        if self.conflict and same:
            self.stats["conflicts"] += 1
            return 409, self.public(same[0])
        video = self.video(platform, ref, len(same), body)
        self.tracked.append(video)
        self.stats["created"] += 1
        return 201, self.public(video)

    @staticmethod
    def public(video: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in video.items() if not k.startswith("_")}

    def video(self, platform: str, ref: VideoRef, copy: int, body: dict[str, Any]) -> dict[str, Any]:
        """A tracked video, deterministic for the seed, the video and how many times it was tracked before."""
        rng = self.rng("video", platform, *ref.dedupe_key, copy)
        user = f"creator{rng.randint(1, 999)}"
        if ref.kind == "url" and platform == "tiktok":
            user = ref.given.split("@", 1)[1].split("/", 1)[0]
        if platform == "tiktok":
            external_id = ref.video if ref.kind != "shortcode" else str(rng.randint(10**18, 10**19))
            shortcode = None
            url = f"https://www.tiktok.com/@{user}/video/{external_id}"
        else:
            external_id = ref.video if ref.kind == "numeric" else str(rng.randint(10**17, 10**18))
            alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
            shortcode = ref.video if ref.kind != "numeric" else "".join(rng.choice(alphabet) for _ in range(11))
            url = f"https://www.instagram.com/p/{shortcode}/"
        added = EPOCH + dt.timedelta(minutes=rng.randint(0, 60 * 24 * 30))
        fresh = ref.video.lower().startswith("new")
        created = added - dt.timedelta(hours=rng.randint(1, 24 * 365))
        stamp = lambda when: when.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
        owner = uuid.UUID(bytes=hashlib.sha256(f"{self.seed}:{platform}:{user}".encode()).digest()[:16], version=4)
        counts = {
            name: None if fresh else rng.randint(0, 5_000_000)
            for name in ("view_count", "like_count", "comment_count", "share_count", "play_count", "saved_count")
        }
        return {
            "_platform": platform,
            "_video": ref.dedupe_key,
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "external_id": external_id,
            "type": "video",
            "shortcode": shortcode,
            "is_active": body.get("is_active", True),
            "scrape_interval_hours": body.get("scrape_interval_hours", 24),
            "metadata": body.get("metadata", {}),
            "added_at": stamp(added),
            "updated_at": stamp(added),
            "first_scrape_time": None if fresh else stamp(added),
            "last_scrape_time": None if fresh else stamp(added),
            "description": None if fresh else f"Sandbox video {ref.video} #{rng.randint(1, 99)}",
            "create_time": None if fresh else stamp(created),
            "media_type": None if fresh else rng.choice(["video", "reel", "carousel"] if platform == "instagram" else ["video"]),
            "duration": None if fresh else rng.randint(5, 600),
            "is_unavailable": False,
            "cover_image_url": None if fresh else f"https://cdn.sandbox.invalid/{platform}/{external_id}/cover.jpg",
            "cover_image_url_original": None if fresh else f"https://{platform}.sandbox.invalid/{external_id}/cover.jpg",
            "video_url": None if fresh else url,
            "video_url_original": None if fresh else url,
            **counts,
            "total_views": None if fresh else counts["view_count"] + rng.randint(0, 1000),
            "total_plays": None if fresh else counts["play_count"] + rng.randint(0, 1000),
            "account_id": str(owner),
            "account_username": user,
            "platform_account_id": str(int(hashlib.sha256(user.encode()).hexdigest()[:12], 16)),
            "platform_data": {},
        }
