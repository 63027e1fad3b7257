"""The CreatorAudit vendor (``creatoraudit``): one write stream, ``track_video``, and no custom hooks.

``track_video`` is ``POST /videos``: it starts tracking a video, so it creates something
and must never do it twice. It declares itself a write (``Write``): the core derives an
``Idempotency-Key`` for each identifier from the task and the identifier (the video it
names, the platform and the settings; a key of the user's own via ``idempotency_key``),
retries a keyed POST on timeouts, resets and 5xx and never an unkeyed one, and remembers
every confirmed item in the state file so no run sends it again (see
:mod:`socialtap.idempotency`).

The docs list no error responses: the engine's mapping applies (401 AuthError, 400/422
ConfigError quoting the server's validation detail, 5xx retried with the same key); a
409 that returns the original object is success (``Write.existing``), as is any 2xx. No
rate limit is documented, so none is declared.
"""

from __future__ import annotations

from typing import Any

from socialtap import Account, Check, Credential, Post, Request, Stream, Vendor, hookimpl
from socialtap.auth import Bearer
from socialtap.idempotency import Write
from socialtap.sandbox import Sandbox
from socialtap_creatoraudit.normalize import VENDOR, normalize_video
from socialtap_creatoraudit.params import TrackVideoParams

BASE_URL = "https://api.creatoraudit.com/v2"
NOT_FOUND_ADVICE = (
    "CreatorAudit documents no 404 for POST /videos, so the endpoint itself was not found: check the base URL "
    f"(--base-url or SOCIALTAP_CREATORAUDIT_BASE_URL; the documented one is {BASE_URL})."
)


def track_body(params: TrackVideoParams) -> dict[str, Any]:
    """The documented body of one ``POST /videos``: every field, in the docs' order, platform first."""
    return {
        "platform": params.platform,
        "identifier": str(params.identifier),  # one VideoRef per chain: the text the user gave
        "metadata": dict(params.metadata),
        "is_active": params.is_active,
        "scrape_interval_hours": params.scrape_interval_hours,
    }


def track_identity(request: Request) -> Any:
    """What makes two requests one item: the platform, the video named (whatever the
    spelling: a URL and its bare shortcode are one) and the settings asked for."""
    params = request.params
    ref = params.identifier
    return [params.platform, list(ref.dedupe_key), dict(params.metadata), params.is_active, params.scrape_interval_hours]


TRACK_VIDEO = Stream(
    "track_video",
    "/videos",
    TrackVideoParams,
    normalize_video,
    (Post, Account),
    description="Start tracking videos (one POST /videos per identifier, never twice): the tracked Post and its owner.",
    method="POST",
    body=track_body,
    fan_out="identifier",
    write=Write("Idempotency-Key", key_param="idempotency_key", existing=frozenset({409}), identity=track_identity),
)


def sandbox() -> Sandbox:
    """The CreatorAudit emulator and its test token (imported only when served)."""
    from socialtap_creatoraudit.sandbox import TEST_TOKEN, CreatorAuditSandbox

    return Sandbox(app=CreatorAuditSandbox, credentials={"token": TEST_TOKEN})


CREATORAUDIT = Vendor(
    name=VENDOR,
    title="CreatorAudit",
    base_url=BASE_URL,
    auth=Bearer("token"),
    credentials=(Credential("token", "CreatorAudit API token, sent as Authorization: Bearer <token>"),),
    streams=(TRACK_VIDEO,),
    status_advice={404: NOT_FOUND_ADVICE},
    sandbox=sandbox,
    check=Check.none_possible(
        "its only documented endpoint, POST /videos, starts tracking the video it is sent; "
        "run track_video with a video you want tracked to check the token"
    ),
)


@hookimpl
def socialtap_register_vendors(register):
    register(CREATORAUDIT)
