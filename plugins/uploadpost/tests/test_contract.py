"""Upload-Post against the shared plugin contract (socialtap.testing.contract)."""

from socialtap.testing.contract import ContractSuite
from socialtap_uploadpost import examples


class TestContract(ContractSuite):
    vendor = "uploadpost"
    payload_examples = dict(examples.RESPONSES)
    # profile_analytics first: the credential checks run the first stream, and
    # platform_metrics is public (it needs none).
    sample_params = {
        "profile_analytics": {
            "profile_username": ["test", "profile1"],
            "platforms": "instagram,youtube,Twitter,reddit,linkedin,bluesky",
            "page_urn": "urn:li:organization:42",
        },
        "total_impressions": {
            "profile_username": ["profile1", "profile2"],
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
            "breakdown": True,
            "platform": ["youtube", "tiktok", "instagram"],
        },
        "post_analytics": {"request_id": ["abc123-def456", "profile1-post1", "profile2-post2"]},
        "platform_metrics": {},
    }
    invalid_params = {
        "profile_analytics": {"profile_username": ["test"], "platforms": "instagram,facebook"},
        "total_impressions": {"profile_username": ["profile1"], "period": "last_week", "start_date": "2026-01-01"},
        "post_analytics": {"request_id": ["abc123-def456"], "platform": "myspace"},
    }
