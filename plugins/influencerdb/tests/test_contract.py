"""InfluencerDB against the shared plugin contract (socialtap.testing.contract)."""

from socialtap.testing.contract import ContractSuite
from socialtap_influencerdb import examples
from socialtap_influencerdb.examples import CHANNEL_ID
from socialtap_influencerdb.sandbox import InfluencerDBSandbox

SECOND = InfluencerDBSandbox().channel_id_of("chanel")
IDS = {"id": [CHANNEL_ID, SECOND]}


class TestContract(ContractSuite):
    vendor = "influencerdb"
    payload_examples = dict(examples.RESPONSES)
    crash_stream = "content"  # pages of two posts
    # Three channels per search and 25 posts: searches and content take several DRF pages.
    sandbox_options = {"search_results": 3, "page_size": 2}
    run_options = {"backoff_initial": 0.01}
    # No throttle fault: InfluencerDB's 429 means "not enough credits", a QuotaError that is
    # never retried (the docs), so an injected rate-limit 429 would rightly stop the run.
    faults = "error_rate=0.1,reset_rate=0.05,malformed_rate=0.01,slow_rate=0.03,slow_body=1.5s,first_errors=1,seed=11"
    sample_params = {
        "meta": {},
        "channel_search": {"username": ["dior", "chanel"], "media": "instagram"},
        "channel": IDS,
        "audience": IDS,
        "audience_quality": IDS,
        "mentions_incoming": IDS,
        "mentions_outgoing": {"id": [CHANNEL_ID]},
        "follower_changes": {"id": [CHANNEL_ID], "period": 180},
        "engaged_influencers": IDS,
        "content": IDS,
        "balance": {},
    }
    invalid_params = {
        "channel_search": {"username": ["dior"], "media": "tiktok"},
        "follower_changes": {"id": [CHANNEL_ID], "period": 30},
        "content": {"id": [CHANNEL_ID], "page": 0},
        "channel": {"id": []},
    }
