"""The InfluencerDB vendor (``influencerdb``): one declarative Stream per documented GET.

Base URL ``https://api.influencerdb.com/v1``: the docs' host plus the ``/v1`` every path
starts with. Auth ``Authorization: Token <key>`` (``SOCIALTAP_INFLUENCERDB_TOKEN``).

Credits: "Every call costs, even for the same data", and an ``OPTIONS`` to the same URL
returns the cost without spending, so the vendor declares ``pricing=OptionsProbe()`` and
the core prices, budgets (``--max-credits``) and records every call, retries included
(:mod:`socialtap.credits`). The docs print no ``OPTIONS`` for ``/`` and
``/account/balance``; DRF answers ``OPTIONS`` on every view and "each API call will
cost", so those are probed too rather than assumed free.

Statuses, as the docs' "Errors" section gives them: 429 means "insufficient credits to
issue this call", never a rate limit, so it is a QuotaError at once and never retried
(``status_errors``); 403 ("does not have access ... Credit balance is insufficient") is
a QuotaError when its body speaks of credits and an AuthError otherwise (the engine's
reading of 403); 401 AuthError; 404 NotFoundError naming the channel in the URL; 5xx
retried, then VendorError. Retries of a billed call are billed too; the ledger counts them.

Parent -> child: every stream taking channel ids declares ``parent=CHANNEL_IDS``, so a run
given ``username`` instead of ``id`` resolves the usernames with ``channel_search`` first
(:mod:`socialtap.chains`).
"""

from __future__ import annotations

from socialtap import Account, Check, Credential, Observation, Post, Relation, Stream, Vendor, hookimpl
from socialtap.auth import TokenPrefix
from socialtap.chains import Parent
from socialtap.credits import OptionsProbe
from socialtap.errors import AuthError, ConfigError, NotFoundError, QuotaError, VendorError
from socialtap.pagination import NextLink
from socialtap.sandbox import DocumentedError, Sandbox
from socialtap_influencerdb import examples, models
from socialtap_influencerdb import normalize as n
from socialtap_influencerdb import params as p

BASE_URL = "https://api.influencerdb.com/v1"
CHANNEL = "/channels/{id}"
ANALYTICS = CHANNEL + "/analytics"
PAGES = NextLink("next")  # Django REST framework: absolute ``next`` links, null on the last page
# Usernames instead of ids: search them first, fan out over the channels whose username
# is one of those given (a search also finds look-alikes, which are not fetched).
FROM_SEARCH = Parent("channel_search", into="id", params=("username", "media"), take="account_id", match="username")

NOT_FOUND_ADVICE = "InfluencerDB knows no channel with this id: check the ids, or find them by username with channel_search."
NOT_ALLOWED_ADVICE = "The endpoint refused the HTTP method socialtap sent: this is a plugin bug, report it."
NO_CREDITS_ADVICE = (
    "InfluencerDB answers 429 when the account has too few credits for this call (not a rate limit, so it is not retried): "
    "check the balance with `socialtap run influencerdb balance`, price a run first with `socialtap cost`, "
    "and ask InfluencerDB's sales team for more credits."
)


def stream(name: str, path: str, params: type, normalize, records, model: type, description: str, **kwargs) -> Stream:
    """A Stream of this vendor: channel-id streams fan out over ``id``."""
    kwargs.setdefault("fan_out", "id" if "{id}" in path else None)
    if "{id}" in path:
        kwargs.setdefault("parent", FROM_SEARCH)
    return Stream(
        name,
        path,
        params,
        normalize,
        records,
        description=description,
        payload_model=model,
        **kwargs,
    )


STREAMS = (
    stream("meta", "/", p.NoParams, n.normalize_meta, (Observation,), models.ApiMetadata, "The API implementation's version."),
    stream(
        "channel_search",
        "/channels/search",
        p.SearchParams,
        n.normalize_search,
        (Account, Observation),
        models.ChannelSearchResult,
        "Channels found by username (media instagram), following DRF `next` pages from 1.",
        fan_out="username",
        pagination=PAGES,
    ),
    stream(
        "channel",
        CHANNEL,
        p.ChannelParams,
        n.normalize_channel,
        (Account, Observation),
        models.Channel,
        "A channel: username, media, country, categories, followers, following, posts.",
    ),
    stream(
        "audience",
        ANALYTICS + "/audience",
        p.ChannelParams,
        n.normalize_audience,
        (Observation,),
        models.ChannelAudienceAnalytics,
        "Audience shares by gender and country, sizes by age bucket, and the audience's size.",
    ),
    stream(
        "audience_quality",
        ANALYTICS + "/quality",
        p.ChannelParams,
        n.normalize_quality,
        (Observation,),
        models.ChannelAudienceQuality,
        "Audience quality grade (0-100) and its five distribution buckets.",
    ),
    stream(
        "mentions_incoming",
        ANALYTICS + "/mentions/incoming",
        p.ChannelParams,
        n.normalize_mentions_incoming,
        (Relation,),
        models.ChannelMentions,
        "Users who mention the channel (by username).",
        pagination=PAGES,
    ),
    stream(
        "mentions_outgoing",
        ANALYTICS + "/mentions/outgoing",
        p.ChannelParams,
        n.normalize_mentions_outgoing,
        (Relation,),
        models.ChannelMentions,
        "Users the channel mentions (by username).",
        pagination=PAGES,
    ),
    stream(
        "follower_changes",
        ANALYTICS + "/follower-changes",
        p.FollowerChangesParams,
        n.normalize_follower_changes,
        (Observation,),
        models.ChannelFollowerChanges,
        "Dated followers, following and change in percent over `period` (90, 180 or 360) days.",
        pagination=PAGES,
    ),
    stream(
        "engaged_influencers",
        ANALYTICS + "/engaged",
        p.ChannelParams,
        n.normalize_engaged,
        (Relation,),
        models.ChannelEngagedInfluencers,
        "Top engaged influencers among the channel's followers (by id).",
        pagination=PAGES,
    ),
    stream(
        "content",
        CHANNEL + "/content",
        p.ContentParams,
        n.normalize_content,
        (Post,),
        models.ChannelContent,
        "A channel's posts with caption, link and tags, following DRF `next` pages from 1.",
        pagination=PAGES,
    ),
    stream(
        "balance",
        "/account/balance",
        p.NoParams,
        n.normalize_balance,
        (Observation,),
        models.Credits,
        # The docs' prose says `/balance`; the endpoint's own section (and its example) is /account/balance.
        "Credits available to the token's user (/account/balance).",
    ),
)

# The documented error bodies, with the typed error each must become. 403's body says only
# "Forbidden" (no credits word): the "no access" half of the docs' 403, an AuthError.
DOCUMENTED_ERRORS = (
    DocumentedError(401, examples.ERROR_NOT_AUTHORIZED, AuthError, doc="Errors: 401 Not authorized"),
    DocumentedError(403, examples.ERROR_FORBIDDEN, AuthError, doc="Errors: 403 Forbidden", stream="channel"),
    DocumentedError(404, examples.ERROR_NOT_FOUND, NotFoundError, doc="Errors: 404 Not found", stream="channel"),
    DocumentedError(429, examples.ERROR_THROTTLED, QuotaError, doc="Errors: 429 insufficient credits", stream="channel"),
    DocumentedError(400, examples.ERROR_BAD_REQUEST, ConfigError, doc="ErrorBadRequest", stream="channel"),
    DocumentedError(500, examples.ERROR_INTERNAL, VendorError, doc="ErrorInternalError", stream="channel"),
)


def sandbox() -> Sandbox:
    """The InfluencerDB emulator and the docs' token with credits (imported only when served)."""
    from socialtap_influencerdb.sandbox import TOKEN, InfluencerDBSandbox

    return Sandbox(app=InfluencerDBSandbox, credentials={"token": TOKEN}, errors=DOCUMENTED_ERRORS)


INFLUENCERDB = Vendor(
    name=n.VENDOR,
    title="InfluencerDB",
    base_url=BASE_URL,
    auth=TokenPrefix("token"),
    credentials=(Credential("token", "InfluencerDB API token, sent as Authorization: Token <key>"),),
    streams=STREAMS,
    pricing=OptionsProbe("credits"),
    status_errors={429: QuotaError},
    status_advice={404: NOT_FOUND_ADVICE, 405: NOT_ALLOWED_ADVICE, 429: NO_CREDITS_ADVICE},
    sandbox=sandbox,
    # The docs: every call costs credits, "even for the same data"; the balance is the
    # cheapest, and its price is what its OPTIONS says (the sandbox prices it at 0).
    check=Check(
        "balance",
        free=False,
        cost="the credits one balance call costs (its OPTIONS price)",
        describe=lambda records: ", ".join(f"{r.metric} {r.value}" for r in records) or "no balance",
    ),
)


@hookimpl
def socialtap_register_vendors(register):
    register(INFLUENCERDB)
