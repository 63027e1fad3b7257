"""Fan-out: chains run concurrently, records come out in order, a failing chain loses nothing else."""

from __future__ import annotations

import io
import os
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from engine_support import TOKEN, ItemsApp, VendorPlugin, make_vendor

from socialtap import Options, RunReport, Task, iter_records, run
from socialtap.errors import AuthError, ChainsFailedError, NotFoundError
from socialtap.plugins import make_plugin_manager
from socialtap.progress import Progress
from socialtap.testing import serve_app

VENDOR = make_vendor("fanned")


def task(url, keys, token=TOKEN, **options):
    return Task("fanned", "items", {"key": keys}, {"token": token}, Options(base_url=url + "/api", **options))


def pm():
    return make_plugin_manager(extra=(VendorPlugin(VENDOR),))


def ids(records):
    return [r.other_id for r in records]


def test_chains_run_concurrently_and_come_out_in_the_given_order():
    keys = [f"k{i}" for i in range(8)]
    # The first chains are the slowest: fetched concurrently, later chains finish first.
    app = ItemsApp(default_pages=3, latency={"k0": 0.3, "k1": 0.2, "k2": 0.1})
    with serve_app(app) as served:
        one = list(iter_records(task(served.url, keys, concurrency=1), plugin_manager=pm()))
        assert app.peak_in_flight == 1
        four = list(iter_records(task(served.url, keys, concurrency=4), plugin_manager=pm()))
    expected = [f"{k}-{p}-{i}" for k in keys for p in (1, 2, 3) for i in range(3)]
    assert ids(one) == expected
    assert ids(four) == expected
    assert app.peak_in_flight >= 2, "chains were not fetched concurrently"


def test_pages_within_a_chain_stay_sequential():
    app = ItemsApp(default_pages=4)
    with serve_app(app) as served:
        list(iter_records(task(served.url, ["a", "b", "c"], concurrency=3), plugin_manager=pm()))
    for key in "abc":
        assert [page for k, page in app.requests if k == key] == [1, 2, 3, 4]


def test_a_failing_chain_does_not_lose_the_others():
    keys = ["k0", "k1", "bad", "k3", "k4"]
    app = ItemsApp(default_pages=2, fail={"bad": 404})
    got = []
    with serve_app(app) as served, pytest.raises(ChainsFailedError) as caught:
        run(task(served.url, keys, concurrency=2), sink=got.append, plugin_manager=pm())
    assert ids(got) == [f"{k}-{p}-{i}" for k in keys if k != "bad" for p in (1, 2) for i in range(3)]
    message = str(caught.value)
    assert "key=bad" in message and "NotFoundError" in message and "1 chain(s) failed" in message
    report = caught.value.report
    assert [c.status for c in report.chains] == ["done", "done", "failed", "done", "done"]
    assert caught.value.exit_code == NotFoundError.exit_code


def test_fail_fast_stops_at_the_first_failing_chain():
    keys = ["bad"] + [f"k{i}" for i in range(20)]
    app = ItemsApp(default_pages=2, fail={"bad": 404}, latency=0.05)
    with serve_app(app) as served, pytest.raises(NotFoundError):
        list(iter_records(task(served.url, keys, concurrency=2, fail_fast=True), plugin_manager=pm()))
    assert len(app.requests) < 2 * len(keys)


def test_an_error_every_chain_would_meet_stops_the_run_at_once():
    app = ItemsApp(latency=0.05)
    with serve_app(app) as served, pytest.raises(AuthError):
        list(iter_records(task(served.url, [f"k{i}" for i in range(30)], token="wrong-token-0000"), plugin_manager=pm()))
    assert len(app.arrivals) < 30


def test_one_chain_raises_its_own_error():
    with serve_app(ItemsApp(fail={"only": 404})) as served, pytest.raises(NotFoundError):
        list(iter_records(task(served.url, ["only"]), plugin_manager=pm()))


def test_the_report_counts_requests_pages_bytes_and_chains():
    report = RunReport("", "", "")
    with serve_app(ItemsApp(default_pages=2)) as served:
        list(iter_records(task(served.url, ["a", "b"]), report=report, plugin_manager=pm()))
    assert (report.requests, report.pages, report.retries) == (4, 4, 0)
    assert report.bytes > 0
    assert [(c.chain, c.status, c.pages, c.records) for c in report.chains] == [("key=a", "done", 2, 6), ("key=b", "done", 2, 6)]


def test_abandoning_the_iterator_stops_the_workers():
    with serve_app(ItemsApp(default_pages=50, latency=0.01)) as served:
        records = iter_records(task(served.url, [f"k{i}" for i in range(8)]), plugin_manager=pm())
        next(records)
        records.close()  # must not hang on workers blocked on full buffers


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_shows_only_on_a_terminal_and_after_a_second():
    quiet = io.StringIO()
    bar = Progress(3, stream=quiet)
    bar.update(chains_done=1, pages=1, records=3, requests=1, retries=0, waits=0)
    bar.close()
    assert quiet.getvalue() == ""

    terminal = FakeTerminal()
    bar = Progress(3, label="x.items", stream=terminal)
    bar.update(chains_done=1, pages=1, records=3, requests=1, retries=0, waits=0)
    assert terminal.getvalue() == "", "a bar appeared before the run lasted a second"
    time.sleep(1.1)
    bar.update(chains_done=2, pages=5, records=15, requests=6, retries=1, waits=2)
    bar.close()
    shown = terminal.getvalue()
    assert "2/3" in shown and "15 rec" in shown and "1 retry" in shown and "2 wait" in shown
    assert shown.endswith("\r"), "the bar was not cleared when the run ended"
