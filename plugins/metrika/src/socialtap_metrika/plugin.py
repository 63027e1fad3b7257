"""The Metrika vendor (``metrika``): one declarative stream and no custom hooks.

``accounts`` is ``POST /resources/search``. The core's default hooks do the rest from
the declaration: ``batch="resources"`` with ``max_batch=10`` de-duplicates the user's
resources in order and sends them ten at a time (the API refuses more with 422), the
engine signs with ``Authorization: Bearer``, maps 401/422/429/5xx onto typed errors,
and retries what may be retried (the search is read-only, so ``idempotent=True``).

Rate limit: Metrika documents a per-account limit that resets every minute on paid
plans and every 30 days on the free tier, but no number. We declare 60 requests per
minute (600 resources a minute at 10 per request): a conservative guess that keeps a
typical paid account clear of 429s. Metrika's 429 documents no ``Retry-After``, so the
engine waits for the paid window (:func:`until_next_minute`, ``retry_after_default``)
inside the run's retry budget (120 s by default: enough for the minute, twice if the
window is not aligned to the clock's minutes); if the 429s go on, the QuotaError names
both documented windows, as the API's answer may not say which one applies.

A 404 cannot mean an unknown account (those are ``not_found`` entries of a 200), so
``status_advice`` points at the base URL instead of the engine's "check the ids".
"""

from __future__ import annotations

from typing import Any

from socialtap import Account, Check, Credential, Observation, RateLimit, Stream, Vendor, clock, hookimpl
from socialtap.auth import Bearer
from socialtap.errors import ConfigError
from socialtap.sandbox import DocumentedError, Sandbox
from socialtap_metrika.examples import VALIDATION_ERROR
from socialtap_metrika.models import SearchResponse
from socialtap_metrika.normalize import VENDOR, normalize_accounts
from socialtap_metrika.params import AccountsParams

BASE_URL = "https://metrika.run/api/v1"
MAX_RESOURCES_PER_REQUEST = 10
RATE_LIMIT = RateLimit(60, 60.0)


MINUTE = 60.0
RATE_LIMIT_ADVICE = (
    "Metrika's rate limit resets every minute on paid subscriptions and every 30 days on the free tier "
    "(the API does not say which applies to you). On a paid plan, run again in a minute or lower the request "
    "rate (RateLimit in socialtap_metrika/plugin.py); on the free tier, wait for the 30-day window or upgrade."
)
NOT_FOUND_ADVICE = (
    f"Metrika answers unknown accounts with status not_found, never 404, so the endpoint itself was not found: "
    f"check the base URL (--base-url or SOCIALTAP_METRIKA_BASE_URL; the documented one is {BASE_URL})."
)


def until_next_minute() -> float:
    """Seconds until the start of the next minute (socialtap.clock): the paid window's reset."""
    now = clock.now()
    return MINUTE - (now.second + now.microsecond / 1_000_000)


def search_body(params: AccountsParams) -> dict[str, Any]:
    """The documented request body for one batch of resources."""
    return {"resources": [resource.as_body() for resource in params.resources]}


ACCOUNTS = Stream(
    "accounts",
    "/resources/search",
    AccountsParams,
    normalize_accounts,
    (Account, Observation),
    description="Followers (and other metrics) of social accounts, 10 per request, in the order given.",
    method="POST",
    idempotent=True,
    body=search_body,
    batch="resources",
    payload_model=SearchResponse,
)


def sandbox() -> Sandbox:
    """The Metrika emulator and its test token (imported only when served)."""
    from socialtap_metrika.sandbox import TEST_TOKEN, MetrikaSandbox

    return Sandbox(app=MetrikaSandbox, credentials={"token": TEST_TOKEN}, errors=DOCUMENTED_ERRORS)


# The one error body the docs print ("Error Responses", Validation Error); their 401 and 429
# give a description but no body, so none is declared for them.
DOCUMENTED_ERRORS = (DocumentedError(422, VALIDATION_ERROR, ConfigError, doc="Error Responses: Validation Error"),)


# Metrika documents no free call (no account or balance endpoint): the cheapest is one
# search for one account, which counts against the plan's rate limit like any other.
CHECK = Check(
    "accounts",
    {"resources": ["instagram:instagram"]},
    free=False,
    cost="one search request for one account (instagram:instagram), counted against your plan's rate limit",
)

METRIKA = Vendor(
    name=VENDOR,
    title="Metrika",
    base_url=BASE_URL,
    auth=Bearer("token"),
    credentials=(Credential("token", "Metrika API token, sent as Authorization: Bearer <token>"),),
    streams=(ACCOUNTS,),
    rate_limit=RATE_LIMIT,
    max_batch=MAX_RESOURCES_PER_REQUEST,
    status_advice={404: NOT_FOUND_ADVICE, 429: RATE_LIMIT_ADVICE},
    retry_after_default=until_next_minute,
    sandbox=sandbox,
    check=CHECK,
)


@hookimpl
def socialtap_register_vendors(register):
    register(METRIKA)
