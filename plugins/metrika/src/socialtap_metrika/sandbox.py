"""Metrika's API emulated from its docs, for offline runs and tests.

What it does, and what of it the docs say (the rest is our choice, marked *assumed*):

- ``POST /api/v1/resources/search`` with ``Authorization: Bearer <token>``; anything
  else but :data:`TEST_TOKEN` is a 401 (body *assumed*: ``{"errors": [...]}`` quoting
  the docs' text).
- Validation failures are 422 ``{"errors": [...]}`` listing every problem: the
  documented ``'resources' field is required``, more than 10 resources (counted as
  sent, before de-duplication), an unknown platform or type, a missing identifier.
- Duplicates (same platform + type + identifier) are removed; ``data`` has one entry
  per remaining resource, in request order.
- Accounts are deterministic for a seed. The docs' two example accounts
  (instagram natgeo and nasa) always have the documented follower counts.
  Identifiers starting with ``unknown``, ``missing``, ``notfound`` or ``no_such`` are
  ``not_found``; ``new`` or ``pending`` are ``pending``; ``private`` are
  ``unavailable``; every metric of those is null.
- Metrics: only ``followers``, the one metric the docs show. A ``private`` account's
  ``followers`` is ``unavailable``, a ``pending`` one's ``pending``, a ``not_found``
  one's ``unavailable``, each with a null value.
- Rate limit: ``requests_per_minute`` (default 60) per token on a paid subscription,
  or ``free_quota`` requests per 30 days with ``tier="free"``. Over it: 429 with an
  ``{"errors": [...]}`` body naming the window (*assumed*: the docs give no body) and,
  as documented, no ``Retry-After``. ``retry_after=True`` adds one (the sandbox's own,
  for tests that shorten the window with ``window=`` and must not wait for the minute).

``stats`` counts ``search`` (every authorized search), ``rate_limited`` (429s) and
``resources`` (resources answered); ``batches`` keeps each answered request's resources.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from socialtap.testing.emulator import RateWindow, Request, Rule, SandboxApp, bearer_token, json_response
from socialtap_metrika.params import PLATFORMS, RESOURCE_TYPES

TEST_TOKEN = "metrika-sandbox-token"
MAX_RESOURCES = 10
MINUTE = 60.0
THIRTY_DAYS = 30 * 24 * 3600.0

DOCUMENTED_FOLLOWERS = {("instagram", "natgeo"): 284_000_000, ("instagram", "nasa"): 96_800_000}
METRICS = ("followers",)  # the docs show no other metric
STATUS_PREFIXES = (
    (("unknown", "missing", "notfound", "no_such"), "not_found"),
    (("new", "pending"), "pending"),
    (("private",), "unavailable"),
)
UNAUTHORIZED = "The request did not include a valid API token. Include it in the Authorization: Bearer header."


def resource_status(identifier: str) -> str:
    """The sandbox's resource status for an identifier (see the module docstring)."""
    lowered = identifier.lower()
    for prefixes, status in STATUS_PREFIXES:
        if lowered.startswith(prefixes):
            return status
    return "available"


class MetrikaSandbox(SandboxApp):
    base_path = "/api/v1"

    def __init__(
        self,
        seed: int = 0,
        requests_per_minute: int = 60,
        tier: str = "paid",
        free_quota: int = 100,
        window: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        retry_after: bool = False,
    ):
        """``window`` shortens the paid window (default a minute) so tests need not wait one;
        ``retry_after`` adds a ``Retry-After`` header to 429s (Metrika documents none)."""
        if tier not in ("paid", "free"):
            raise ValueError("tier must be 'paid' or 'free'")
        self.tier = tier
        self.retry_after = retry_after
        self.limit = requests_per_minute if tier == "paid" else free_quota
        self.window = RateWindow(self.limit, window or (MINUTE if tier == "paid" else THIRTY_DAYS), clock=clock)
        self.batches: list[list[tuple[str, str, str]]] = []
        super().__init__(seed)

    def routes(self):
        return [Rule("/resources/search", endpoint="search", methods=["POST"])]

    def dispatch(self, request: Request):
        token = bearer_token(request)
        if token != TEST_TOKEN:
            return json_response({"errors": [UNAUTHORIZED]}, 401, headers={"WWW-Authenticate": "Bearer"})
        return super().dispatch(request)

    # -- the endpoint -----------------------------------------------------------------

    def search(self, request: Request):
        wait = self.window.hit(TEST_TOKEN)
        if wait is not None:
            with self.lock:
                self.stats["rate_limited"] += 1
            return self.rate_limited(wait)
        body = request.get_json(silent=True)
        resources, errors = self.validate(body)
        if errors:
            return json_response({"errors": errors}, 422)
        unique = list(dict.fromkeys(resources))
        with self.lock:
            self.stats["resources"] += len(unique)
            self.batches.append(unique)
        return json_response({"data": [self.resource(platform, identifier) for platform, _, identifier in unique]})

    def rate_limited(self, wait: float):
        retry_after = max(1, math.ceil(wait))
        if self.tier == "paid":
            message = (
                f"Rate limit exceeded: this paid subscription allows {self.limit} requests per minute; "
                f"the window resets every minute (retry in {retry_after}s)."
            )
        else:
            message = (
                f"Rate limit exceeded: free-tier access allows {self.limit} requests per 30 days; "
                f"the window resets every 30 days (retry in {retry_after}s), or upgrade to a paid subscription."
            )
        headers = {"Retry-After": str(retry_after)} if self.retry_after else {}
        return json_response({"errors": [message]}, 429, headers=headers)

    @staticmethod
    def validate(body: Any) -> tuple[list[tuple[str, str, str]], list[str]]:
        """``(platform, type, identifier)`` of each resource, or the 422 error messages."""
        if not isinstance(body, dict) or "resources" not in body:
            return [], ["'resources' field is required"]
        items = body["resources"]
        if not isinstance(items, list):
            return [], ["'resources' must be an array"]
        errors: list[str] = []
        if not items:
            errors.append("'resources' must contain at least 1 resource")
        if len(items) > MAX_RESOURCES:
            errors.append(f"'resources' may contain at most {MAX_RESOURCES} resources per request, got {len(items)}")
        resources = []
        for index, item in enumerate(items):
            where = f"'resources[{index}]"
            if not isinstance(item, dict):
                errors.append(f"{where}' must be an object")
                continue
            platform, kind, identifier = item.get("platform"), item.get("type"), item.get("identifier")
            if platform is None:
                errors.append(f"{where}.platform' field is required")
            elif platform not in PLATFORMS:
                errors.append(f"{where}.platform' must be one of: {', '.join(PLATFORMS)}")
            if kind is None:
                errors.append(f"{where}.type' field is required")
            elif kind not in RESOURCE_TYPES:
                errors.append(f"{where}.type' must be one of: {', '.join(RESOURCE_TYPES)}")
            if not isinstance(identifier, str) or not identifier:
                errors.append(f"{where}.identifier' field is required")
            resources.append((platform, kind, identifier))
        return resources, errors

    # -- data -------------------------------------------------------------------------

    def resource(self, platform: str, identifier: str) -> dict[str, Any]:
        status = resource_status(identifier)
        if status != "available":
            metric_status = "pending" if status == "pending" else "unavailable"
            metrics = {name: {"value": None, "status": metric_status} for name in METRICS}
        else:
            rng = self.rng("resource", platform, identifier)
            followers = DOCUMENTED_FOLLOWERS.get((platform, identifier)) or rng.randint(50, 50_000_000)
            metrics = {"followers": {"value": followers, "status": "available"}}
        return {"platform": platform, "identifier": identifier, "status": status, "metrics": metrics}
