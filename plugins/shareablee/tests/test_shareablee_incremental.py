"""Shareablee's date windows: which streams declare one, with the docs' limits, and
incremental runs against the sandbox (days set with ``clock.frozen``, faults injected)."""

from __future__ import annotations

import datetime as dt
import sqlite3

import attrs
import pytest

from socialtap import Task, clock
from socialtap.errors import ConfigError, VendorError
from socialtap.runner import Options, prepare, run_to_output
from socialtap.testing import serve_sandbox
from socialtap.testing.faults import FaultInjector, Faults
from socialtap_shareablee import catalog
from socialtap_shareablee.plugin import SHAREABLEE
from socialtap_shareablee.sandbox import ShareableeSandbox

ENTITY = next(iter(ShareableeSandbox().entities))
UNDATED = {
    "user_realtime_time_series",  # day offsets from today, not dates
    "category_realtime_rankings",  # one `date`, not a window
    "user_cross_platform",
    "category_members",
    "category_cross_platform",
    "me_properties",
    "me_categories",
    "find_user",
}


def test_every_stream_with_start_and_end_dates_declares_its_window_and_the_realtime_ones_do_not():
    for stream in SHAREABLEE.streams:
        names = {field.name: field for field in attrs.fields(stream.params)}
        if stream.name in UNDATED:
            assert stream.window is None, stream.name
            continue
        window = stream.window
        assert window is not None, f"{stream.name} takes start_date/end_date but declares no window"
        assert {window.start, window.end} <= set(names), stream.name
    by_name = {s.name: s.window for s in SHAREABLEE.streams}
    assert by_name["user_affinity_comparison"].earliest == by_name["user_affinity_ranking"].earliest == catalog.AFFINITY_EARLIEST
    assert by_name["page_insights"].earliest == catalog.INSIGHTS_EARLIEST
    assert by_name["page_insights"].default_days == 30, "the docs: the last 30 days without dates"


def test_a_first_incremental_window_never_starts_before_the_documented_earliest_day(tmp_path):
    with serve_sandbox("shareablee") as sandbox, clock.frozen("2015-12-20"):
        options = Options(base_url=sandbox.base_url, sandbox=True, incremental=True, state=str(tmp_path / "s.sqlite"))
        params = {"entity_id": ENTITY}
        prepared = prepare(Task("shareablee", "user_affinity_ranking", params, sandbox.credentials, options))
        assert prepared.window == ("2015-12-01", "2015-12-20"), "30 days back, clamped to 2015-12-01"
        early = attrs.evolve(options, start=dt.date(2015, 11, 1))
        with pytest.raises(ConfigError, match="before the earliest date this endpoint serves"):
            prepare(Task("shareablee", "user_affinity_ranking", params, sandbox.credentials, early))


def test_daily_incremental_time_series_refetch_a_failed_day_and_build_history_in_sqlite(tmp_path):
    state, out = tmp_path / "state.sqlite", tmp_path / "history.sqlite"
    params = {"entity_id": ENTITY, "service": "facebook", "fields": ["total_actions"]}

    def run_day(day: str, faults: Faults | None = None):
        wrap = FaultInjector.wrapping(faults) if faults else None
        with serve_sandbox("shareablee", wrap=wrap) as sandbox, clock.frozen(day):
            options = Options(
                base_url=sandbox.base_url,
                sandbox=True,
                incremental=True,
                state=str(state),
                max_attempts=1,
                start=dt.date(2026, 3, 1),
            )
            return run_to_output(Task("shareablee", "user_time_series", params, sandbox.credentials, options), "sqlite", str(out))

    assert run_day("2026-03-05T10:00:00Z").window == {"start": "2026-03-01", "end": "2026-03-05"}
    with pytest.raises(VendorError):
        run_day("2026-03-06T10:00:00Z", Faults(first_errors=1))  # 503 and no retry left
    report = run_day("2026-03-07T10:00:00Z")
    assert report.window == {"start": "2026-03-05", "end": "2026-03-07"}, "from the bookmark (03-05), not from 03-06"
    with sqlite3.connect(out) as db:
        days = [row[0] for row in db.execute('SELECT DISTINCT date FROM "observation" ORDER BY date')]
    assert days == [f"2026-03-0{d}" for d in range(1, 8)], "every day once, none missing"
