"""The Metrika vendor (``metrika``): one declarative stream and no custom hooks.

``accounts`` is ``POST /resources/search``. The core's default hooks do the rest from
the declaration: ``batch="resources"`` with ``max_batch=10`` de-duplicates the user's
resources in order and sends them ten at a time (the API refuses more with 422), the
engine signs with ``Authorization: Bearer``, maps 401/422/429/5xx onto typed errors,
and retries what may be retried (the search is read-only, so ``idempotent=True``).

Rate limit: Metrika documents a per-account limit that resets every minute on paid
plans and every 30 days on the free tier, but no number. We declare 60 requests per
minute (600 resources a minute at 10 per request): a conservative guess that keeps a
typical paid account clear of 429s. A 429 the server still sends is retried after its
``Retry-After``; when waiting cannot help, the QuotaError quotes the server's body,
which says whether the free-tier (30 days) or paid (1 minute) window applies.
"""

from __future__ import annotations

from typing import Any

from socialtap import Account, Credential, Observation, RateLimit, Stream, Vendor, hookimpl
from socialtap.auth import Bearer
from socialtap.errors import ConfigError
from socialtap.sandbox import DocumentedError, Sandbox
from socialtap_metrika.models import SearchResponse
from socialtap_metrika.normalize import VENDOR, normalize_accounts
from socialtap_metrika.params import AccountsParams

BASE_URL = "https://metrika.run/api/v1"
MAX_RESOURCES_PER_REQUEST = 10
RATE_LIMIT = RateLimit(60, 60.0)


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
DOCUMENTED_ERRORS = (
    DocumentedError(422, {"errors": ["'resources' field is required"]}, ConfigError, doc="Error Responses: Validation Error"),
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
    sandbox=sandbox,
)


@hookimpl
def socialtap_register_vendors(register):
    register(METRIKA)
