"""Metrika against the shared plugin contract (socialtap.testing.contract)."""

from socialtap.testing.contract import ContractSuite
from socialtap_metrika import examples


class TestContract(ContractSuite):
    vendor = "metrika"
    payload_examples = {"accounts": examples.SEARCH_RESPONSE}
    # Twelve resources: two batches, a duplicate, and every resource status.
    sample_params = {
        "accounts": {
            "resources": [
                "instagram:natgeo",
                "instagram:nasa",
                {"platform": "instagram", "identifier": "natgeo", "type": "account"},
                "youtube:unknown_channel",
                "tiktok:new_creator",
                "threads:private_person",
                *(f"x:user{i}" for i in range(7)),
            ]
        }
    }
    invalid_params = {"accounts": {"resources": [{"platform": "myspace", "identifier": "x"}]}}
