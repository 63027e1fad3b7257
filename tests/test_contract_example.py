"""The example plugin passes the contract suite (as every vendor plugin must)."""

from socialtap.testing.contract import ContractSuite


class TestExampleContract(ContractSuite):
    vendor = "example"
    sample_params = {
        "profiles": {"profile_id": ["natgeo", "nasa", "new_one"]},
        "posts": {"profile_id": ["natgeo", "nasa"], "per_page": 5},
        "mentions": {"profile_id": "natgeo"},
        "views": {"ids": ["a", "b", "c", "d", "a"], "start_date": "2026-01-01", "end_date": "2026-01-03"},
    }
    invalid_params = {
        "posts": {"profile_id": ["x"], "per_page": 500},
        "views": {"ids": ["a"], "start_date": "2026-02-01", "end_date": "2026-01-01"},
        "profiles": {"profile_id": ["a"], "unknown": 1},
    }
