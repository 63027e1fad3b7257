"""Shareablee against the shared plugin contract (socialtap.testing.contract)."""

from socialtap.testing.contract import ContractSuite
from socialtap_shareablee import examples
from socialtap_shareablee.sandbox import ShareableeSandbox

WORLD = ShareableeSandbox(seed=0)
E1, E2, E3 = list(WORLD.entities)[:3]
C1, C2 = list(WORLD.categories)[:2]
DATES = {"start_date": "2016-01-01", "end_date": "2016-01-31"}


class TestContract(ContractSuite):
    vendor = "shareablee"
    payload_examples = {stream: examples.example(stream) for stream in examples.STREAMS}
    # 120 posts: user content takes two pages (100 + 20) following next_page.
    sandbox_options = {"posts_per_entity": 120}
    sample_params = {
        "user_content": {"entity_id": [E1, E2], "service": "facebook"},
        "user_metrics": {"entity_id": [E1, E2], "service": "facebook", **DATES},
        "user_time_series": {"entity_id": [E1], "service": "facebook", "fields": ["total_actions", "latest_fans"], **DATES},
        "user_realtime_time_series": {"entity_id": [E1], "service": "twitter", "start_offset": 0, "end_offset": 6},
        "user_overlap_comparison": {"entity_id": [E1], "object_ids": [E2, E3, "999"], **DATES},
        "user_affinity_comparison": {"entity_id": [E1], "object_ids": [E2, E3], **DATES},
        "user_overlap_ranking": {"entity_id": [E1], "limit": 10, **DATES},
        "user_affinity_ranking": {"entity_id": [E1], **DATES},
        "page_insights": {"entity_id": [E1], "start_date": "2017-07-01", "end_date": "2017-07-07"},
        "user_cross_platform": {"entity_id": [E1, E2, E3]},
        "user_top_content": {"entity_id": [E1], "limit": 20},
        "category_members": {"category_id": [C1, C2], "service": "facebook"},
        "category_metrics": {"category_id": [C1], "service": "twitter", **DATES},
        "category_time_series": {"category_id": [C1], "service": "twitter", "fields": ["followers_count"], **DATES},
        "category_ranking": {"category_id": [C1], "metric": "total_actions", **DATES},
        "category_cross_platform": {"category_id": [C1], "services": ["facebook", "instagram"]},
        "category_top_content": {"category_id": [C1], "limit": 15},
        "category_realtime_rankings": {"category_id": [C1], "services": ["facebook", "twitter"], "date": "2016-03-01"},
        "me_properties": {},
        "me_categories": {},
        "find_user": {"term": "e"},
    }
    invalid_params = {
        "user_content": {"entity_id": [E1], "service": "instagram"},
        "user_metrics": {"entity_id": [E1], "service": "facebook", "start_date": "2016-01-01"},
        "user_realtime_time_series": {"entity_id": [E1], "service": "facebook", "start_offset": 3, "end_offset": 3},
        "user_overlap_ranking": {"entity_id": [E1], "limit": 101, **DATES},
        "user_affinity_ranking": {"entity_id": [E1], "start_date": "2015-11-30", "end_date": "2015-12-31"},
        "page_insights": {"entity_id": [E1], "start_date": "2017-07-31", "end_date": "2017-07-01"},
        "user_top_content": {"entity_id": ["../me"]},
        "category_ranking": {"category_id": [C1], "metric": "likes_count"},
        "find_user": {"term": " "},
    }
