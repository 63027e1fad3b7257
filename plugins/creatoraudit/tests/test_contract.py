"""CreatorAudit against the shared plugin contract (socialtap.testing.contract).

Each run gets a state file of its own: the ledger of created items lives there, and a
shared one would answer a later run's items from an earlier run's (no request sent).
"""

import tempfile
from pathlib import Path
from typing import Any

from socialtap.testing.contract import ContractSuite
from socialtap_creatoraudit import examples


class TestContract(ContractSuite):
    vendor = "creatoraudit"
    payload_examples = dict(examples.RESPONSES)
    # Every documented identifier form, a duplicate spelling, and a video not scraped yet.
    sample_params = {
        "track_video": {
            "platform": "instagram",
            "identifier": [
                "https://www.instagram.com/p/Cx1AbC2dEfG/",
                "Cx1AbC2dEfG",
                "instagram.com/p/Z9y8X7w6v5u",
                "3216549870123456789",
                "newReel01",
            ],
            "metadata": {"campaign": "spring"},
            "scrape_interval_hours": 12,
        }
    }
    invalid_params = {"track_video": {"platform": "tiktok", "identifier": ["Cx1AbC2dEfG"], "scrape_interval_hours": 5}}

    def task(self, running: Any, stream: str, params: Any = None, credentials: Any = None, **options_: Any):
        options_.setdefault("state", str(Path(tempfile.mkdtemp(prefix="creatoraudit-contract-")) / "state.sqlite"))
        return super().task(running, stream, params, credentials, **options_)
