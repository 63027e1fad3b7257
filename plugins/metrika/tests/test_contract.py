"""Metrika against the shared plugin contract (socialtap.testing.contract)."""

from socialtap.testing.contract import ContractSuite


class TestContract(ContractSuite):
    vendor = "metrika"
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
