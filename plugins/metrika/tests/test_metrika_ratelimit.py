"""The declared rate limit against the sandbox's per-minute window (shortened to a second,
announced with the sandbox's own ``Retry-After`` so no retry waits for the real minute).

Speed is not asserted, only "no faster than the limit allows" and "zero 429s".
"""

from __future__ import annotations

from socialtap import Account, RateLimit, Task, iter_records
from socialtap.plugins import make_plugin_manager
from socialtap.runner import RunReport
from socialtap.testing import sandbox_task_options, serve_sandbox

SEVENTY = [f"instagram:creator{i:02d}" for i in range(70)]  # 7 requests of 10


def fetch(rate_limit, **sandbox_options):
    with serve_sandbox("metrika", plugin_manager=make_plugin_manager(), **sandbox_options) as sandbox:
        options = sandbox_task_options(sandbox, rate_limit=rate_limit)
        report = RunReport("metrika", "accounts", "")
        task = Task("metrika", "accounts", {"resources": SEVENTY}, sandbox.credentials, options)
        records = list(iter_records(task, report=report, plugin_manager=make_plugin_manager()))
    return records, report, sandbox.app


def account_ids(records):
    return [f"{r.platform}:{r.account_id}" for r in records if isinstance(r, Account)]


def test_a_limit_matching_the_servers_meets_zero_429s_and_is_no_faster_than_allowed():
    records, report, app = fetch(RateLimit(3, 1.0), requests_per_minute=3, window=1.0, retry_after=True)
    assert app.stats.get("rate_limited", 0) == 0
    assert app.stats["search"] == 7
    assert account_ids(records) == SEVENTY
    # 7 requests at 3 per second: the 7th cannot start before 2 s after the 1st.
    assert report.duration >= 2.0


def test_429s_from_a_stricter_server_are_retried_and_lose_nothing():
    records, report, app = fetch(RateLimit(100, 1.0), requests_per_minute=3, window=1.0, retry_after=True)
    assert app.stats["rate_limited"] >= 1
    assert report.retries >= app.stats["rate_limited"]
    assert account_ids(records) == SEVENTY
