"""Credits: priced without spending, budgets kept at the sandbox's own ledger, retries billed."""

from __future__ import annotations

import sqlite3

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialtap.cli import main
from socialtap.cost import estimate
from socialtap.credits import BudgetExceeded
from socialtap.errors import QuotaError
from socialtap.runner import Options, RunReport, Task, iter_records, run_to_output
from socialtap.testing import serve_sandbox
from socialtap_influencerdb.examples import CHANNEL_ID
from socialtap_influencerdb.sandbox import TOKEN_NO_CREDITS, InfluencerDBSandbox

SECOND = InfluencerDBSandbox().channel_id_of("chanel")
PRICE = 5


def content_task(sandbox, ids, **options) -> Task:
    return Task("influencerdb", "content", {"id": ids}, sandbox.credentials, Options(base_url=sandbox.base_url, **options))


def gets(app) -> list[str]:
    return [path for method, path in app.log if method == "GET"]


def run(task: Task) -> tuple[list, RunReport]:
    report = RunReport("influencerdb", task.stream, "")
    return list(iter_records(task, report=report)), report


# -- spending exactly the budget, and not one call past it ----------------------------------


def test_a_run_may_spend_exactly_its_budget():
    # 25 posts, 10 a page: 3 pages at 5 credits.
    with serve_sandbox("influencerdb") as sandbox:
        records, report = run(content_task(sandbox, [CHANNEL_ID], max_credits=3 * PRICE))
        assert len(records) == 25
        assert report.credits == sandbox.app.spent == 3 * PRICE
        assert report.error is None


def test_a_run_stops_before_the_call_that_would_pass_the_budget():
    with serve_sandbox("influencerdb") as sandbox:
        report = RunReport("influencerdb", "content", "")
        kept = []
        with pytest.raises(BudgetExceeded) as caught:
            for record in iter_records(content_task(sandbox, [CHANNEL_ID], max_credits=3 * PRICE - 1), report=report):
                kept.append(record)
        app = sandbox.app
        assert app.spent == 2 * PRICE == report.credits  # the sandbox's ledger: nothing past the budget
        assert not any("page=3" in path for path in gets(app)), "the call past the budget reached the vendor"
        assert len(kept) == 20  # the paid pages were kept
    message = str(caught.value)
    assert isinstance(caught.value, QuotaError)
    assert "10 of the run's 14 credits spent" in message and "page=3, needs 5" in message
    assert "--max-credits" in message


def test_a_run_whose_first_pages_exceed_the_budget_does_not_start():
    with serve_sandbox("influencerdb") as sandbox:
        with pytest.raises(QuotaError, match=r"refusing to start.*10 credits.*budget of 9"):
            run(content_task(sandbox, [CHANNEL_ID, SECOND], max_credits=9))
        assert gets(sandbox.app) == [] and sandbox.app.spent == 0


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(budget=st.integers(min_value=15, max_value=80), concurrency=st.integers(min_value=1, max_value=4))
def test_concurrent_chains_never_pass_the_budget_together(budget, concurrency):
    # Three channels of 3 pages each (45 credits in all), fetched at once.
    ids = [CHANNEL_ID, SECOND, InfluencerDBSandbox().channel_id_of("gucci")]
    with serve_sandbox("influencerdb") as sandbox:
        task = content_task(sandbox, ids, max_credits=budget, concurrency=concurrency)
        report = RunReport("influencerdb", "content", "")
        records = []
        try:
            for record in iter_records(task, report=report):
                records.append(record)
        except BudgetExceeded:
            assert budget < 45
        else:
            assert budget >= 45
        assert sandbox.app.spent == report.credits <= budget
        # Every paid page reached the output: none was thrown away when the budget stopped the run.
        assert report.pages == sandbox.app.spent // PRICE == len(gets(sandbox.app))
        assert len(records) == sum(c.records for c in report.chains)


# -- retries are billed, the vendor's refusals are not ----------------------------------------


class LoseFirstAnswer:
    """The vendor carries out (and bills) the first GET, then the answer is lost as a 500."""

    def __init__(self, app):
        self.app = app
        self.lost = 0

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] == "GET" and not self.lost:
            self.lost += 1
            list(self.app(environ, lambda *args: None))
            start_response("500 Internal Server Error", [("Content-Type", "application/json")])
            return [b'{"detail": "Internal error"}']
        return self.app(environ, start_response)


def test_a_retried_call_is_billed_twice_as_the_vendor_bills_it():
    with serve_sandbox("influencerdb", wrap=LoseFirstAnswer) as sandbox:
        task = Task(
            "influencerdb",
            "audience",
            {"id": [CHANNEL_ID]},
            sandbox.credentials,
            Options(base_url=sandbox.base_url, backoff_initial=0.01),
        )
        records, report = run(task)
        assert records and report.retries == 1
        assert report.credits == sandbox.app.spent == 2 * PRICE


def test_no_credits_is_a_quota_error_at_once_never_retried():
    with serve_sandbox("influencerdb") as sandbox:
        task = Task(
            "influencerdb", "audience", {"id": [CHANNEL_ID]}, {"token": TOKEN_NO_CREDITS}, Options(base_url=sandbox.base_url)
        )
        with pytest.raises(QuotaError) as caught:
            run(task)
        assert sandbox.app.stats["not_enough_credits"] == 1  # no retry
    assert "Not enough credits" in str(caught.value) and "credits" in str(caught.value).split("Not enough credits")[1]


def test_balance_reports_what_the_ledger_debited():
    with serve_sandbox("influencerdb", credits=100) as sandbox:
        run(content_task(sandbox, [CHANNEL_ID]))
        task = Task("influencerdb", "balance", {}, sandbox.credentials, Options(base_url=sandbox.base_url))
        (balance,), report = run(task)
    assert balance.metric == "credits" and balance.value == 100 - 3 * PRICE and report.credits == 0


# -- cost, the report and socialtap_runs ----------------------------------------------------


def test_cost_prices_every_chain_without_spending():
    with serve_sandbox("influencerdb") as sandbox:
        found = estimate(content_task(sandbox, [CHANNEL_ID, SECOND], max_pages=4))
        assert sandbox.app.spent == 0 and gets(sandbox.app) == []
    assert found.first_pages == 2 * PRICE and found.paginated and found.most == 8 * PRICE
    assert found.chains == ((f"id={CHANNEL_ID}", PRICE), (f"id={SECOND}", PRICE))


def test_cost_command_says_further_pages_are_estimated():
    result = CliRunner().invoke(main, ["cost", "influencerdb", "content", "-p", f"id={CHANNEL_ID}", "--sandbox"])
    assert result.exit_code == 0, result.output
    assert "5 credits for the first page of 1 chain(s), priced without spending" in result.output
    assert "further pages: estimated" in result.output
    single = CliRunner().invoke(main, ["cost", "influencerdb", "audience", "-p", f"id={CHANNEL_ID}", "--sandbox"])
    assert "total: 5 credits (one page per chain)" in single.output


def test_cost_of_a_vendor_without_pricing_is_a_config_error():
    result = CliRunner().invoke(main, ["cost", "metrika", "accounts", "-p", "resources=instagram:nasa", "--sandbox"])
    assert result.exit_code == 2 and "declares no pricing" in result.output


def test_socialtap_runs_records_the_credits_spent(tmp_path):
    out = tmp_path / "idb.sqlite"
    with serve_sandbox("influencerdb") as sandbox:
        run_to_output(content_task(sandbox, [CHANNEL_ID]), "sqlite", str(out))
        with pytest.raises(BudgetExceeded):
            run_to_output(content_task(sandbox, [SECOND], max_credits=PRICE), "sqlite", str(out))
    rows = sqlite3.connect(out).execute("SELECT credits, outcome FROM socialtap_runs ORDER BY id").fetchall()
    assert rows[0] == (15.0, "ok")
    assert rows[1][0] == 5.0 and rows[1][1].startswith("BudgetExceeded")


def test_the_cli_stops_at_the_budget_with_exit_code_4():
    args = ["run", "influencerdb", "content", "-p", f"id={CHANNEL_ID}", "--sandbox", "--max-credits", "12"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 4
    assert "10 of the run's 12 credits spent" in result.output and "needs 5" in result.output


def test_cost_of_a_chained_task_prices_the_search_and_says_what_follows():
    with serve_sandbox("influencerdb") as sandbox:
        task = Task(
            "influencerdb", "audience", {"username": ["dior", "chanel"]}, sandbox.credentials, Options(base_url=sandbox.base_url)
        )
        found = estimate(task)
        assert sandbox.app.spent == 0 and gets(sandbox.app) == []
        assert all("/search" in path for method, path in sandbox.app.log)  # no child was probed with a stand-in id
    assert found.chains == (("username=dior", PRICE), ("username=chanel", PRICE)) and found.most is None
    assert "audience for each id the channel_search records give" in found.lines("x")[-1]


def test_resume_after_a_budget_stop_pays_only_for_the_pages_left(tmp_path):
    out, state = tmp_path / "content.jsonl", str(tmp_path / "state.sqlite")
    with serve_sandbox("influencerdb") as sandbox:
        with pytest.raises(BudgetExceeded):
            run_to_output(content_task(sandbox, [CHANNEL_ID], max_credits=2 * PRICE, state=state), "jsonl", str(out))
        report = run_to_output(
            content_task(sandbox, [CHANNEL_ID], max_credits=2 * PRICE, state=state, resume=True), "jsonl", str(out)
        )
        assert report.credits == PRICE and sandbox.app.spent == 3 * PRICE
    assert len(out.read_text().splitlines()) == 25
