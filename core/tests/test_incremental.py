"""Incremental windows: where a scheduled run starts, where it ends, when its bookmark moves.

Days are simulated with ``clock.frozen``; the server is a real WSGI app on 127.0.0.1
(``DailyApp``) that answers one item per day of the window it is asked for and records
every window it saw, so "which window was fetched" is measured at the server.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.wrappers import Request as WsgiRequest
from werkzeug.wrappers import Response as WsgiResponse

from socialtap import Observation, Stream, Vendor, clock, hookimpl
from socialtap.auth import Bearer
from socialtap.declarations import Credential, Window
from socialtap.errors import ChainsFailedError, ConfigError, VendorError
from socialtap.incremental import plan_window
from socialtap.pagination import PageNumber
from socialtap.plugins import make_plugin_manager
from socialtap.runner import Options, Task, iter_records, prepare, run_to_output
from socialtap.state import StateStore
from socialtap.testing import serve_app

TOKEN = "daily-test-token-5678"
EARLIEST = dt.date(2026, 1, 1)
WINDOW = Window(earliest=EARLIEST, lookback_days=2, default_days=7)


@attrs.frozen
class DailyParams:
    key: list[str]
    metric: str = "views"
    start_date: dt.date | None = None
    end_date: dt.date | None = None


def normalize(payload: Any, request: Any):
    for day in payload["data"]:
        # A day is a time series, keyed by the vendor's day (a refetched day is updated, never
        # added); "now" is the snapshot stream's value as fetched, keyed by the UTC day fetched.
        date = None if day == "now" else dt.date.fromisoformat(day)
        yield Observation("daily", "web", "account", request.params.key, "views", 1, date=date)


def query(params: DailyParams) -> dict[str, Any]:
    return {"metric": params.metric, "start_date": params.start_date.isoformat(), "end_date": params.end_date.isoformat()}


DAILY = Vendor(
    name="daily",
    title="Daily API",
    base_url="https://daily.example/api",
    auth=Bearer("token"),
    credentials=(Credential("token"),),
    streams=(
        Stream("series", "/series/{key}", DailyParams, normalize, (Observation,), fan_out="key", query=query, window=WINDOW),
        Stream(
            "paged",
            "/series/{key}",
            DailyParams,
            normalize,
            (Observation,),
            fan_out="key",
            query=query,
            window=WINDOW,
            pagination=PageNumber(param="page", base=1, items="data", total="total"),
        ),
        Stream("snapshot", "/snapshot/{key}", DailyParams, normalize, (Observation,), fan_out="key"),
    ),
)


class DailyPlugin:
    @hookimpl
    def socialtap_register_vendors(self, register):
        register(DAILY)


class DailyApp:
    """``GET /api/series/<key>?start_date=&end_date=``: one item per day; records each window."""

    def __init__(self) -> None:
        self.windows: list[tuple[str, str, str]] = []
        self.fail_keys: set[str] = set()
        self.down = False

    def __call__(self, environ: dict, start_response: Any):
        request = WsgiRequest(environ)
        key = request.path.rstrip("/").rsplit("/", 1)[-1]
        start, end = request.args.get("start_date", ""), request.args.get("end_date", "")
        self.windows.append((key, start, end))
        if self.down:
            return WsgiResponse("{}", status=500, mimetype="application/json")(environ, start_response)
        if key in self.fail_keys:
            return WsgiResponse('{"detail": "no such key"}', status=404, mimetype="application/json")(environ, start_response)
        if not start:  # the snapshot stream: values as of now
            return WsgiResponse('{"data": ["now"]}', mimetype="application/json")(environ, start_response)
        first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
        days = [(first + dt.timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
        payload: dict[str, Any] = {"data": days}
        if "page" in request.args:  # the paged stream: 3 days a page
            page = int(request.args["page"])
            payload = {"data": days[(page - 1) * 3 : page * 3], "total": len(days)}
        return WsgiResponse(json.dumps(payload), mimetype="application/json")(environ, start_response)


@pytest.fixture
def daily():
    app = DailyApp()
    with serve_app(app) as served:
        yield app, served.url + "/api"


def pm():
    return make_plugin_manager(extra=(DailyPlugin(),))


def options(url: str, state: Path, **extra: Any) -> Options:
    return Options(base_url=url, state=str(state), max_attempts=1, incremental=True, **extra)


def run_on(day: str, url: str, state: Path, out: Path, keys=("a",), token=TOKEN, stream="series", params=None, **extra):
    task = Task("daily", stream, {"key": list(keys), **(params or {})}, {"token": token}, options(url, state, **extra))
    with clock.frozen(day):
        return run_to_output(task, "sqlite", str(out), plugin_manager=pm())


def bookmark_of(state: Path, keys=("a",), url: str = "") -> dt.date | None:
    store = StateStore(state)
    try:
        marks = store.bookmarks()
    finally:
        store.close()
    found = [m for m in marks if m["params"]["key"] == list(keys)]
    return dt.date.fromisoformat(found[0]["window"]["end"]) if found else None


def days_in(out: Path) -> list[str]:
    with sqlite3.connect(out) as db:
        return sorted(row[0] for row in db.execute('SELECT date FROM "observation"'))


# -- the first run ------------------------------------------------------------------------


def test_the_first_run_fetches_the_default_window_ending_today(daily, tmp_path):
    app, url = daily
    report = run_on("2026-03-10T08:00:00Z", url, tmp_path / "state.sqlite", tmp_path / "out.sqlite")
    assert app.windows == [("a", "2026-03-04", "2026-03-10")], "default_days=7, today included"
    assert report.window == {"start": "2026-03-04", "end": "2026-03-10"}
    assert days_in(tmp_path / "out.sqlite")[0] == "2026-03-04" and len(days_in(tmp_path / "out.sqlite")) == 7
    assert bookmark_of(tmp_path / "state.sqlite") == dt.date(2026, 3, 10)


def test_the_first_run_starts_at_start_and_a_default_window_never_before_the_earliest_day(daily, tmp_path):
    app, url = daily
    run_on("2026-03-10", url, tmp_path / "s1.sqlite", tmp_path / "o1.sqlite", start=dt.date(2026, 2, 1))
    run_on("2026-01-03", url, tmp_path / "s2.sqlite", tmp_path / "o2.sqlite")
    assert app.windows == [("a", "2026-02-01", "2026-03-10"), ("a", "2026-01-01", "2026-01-03")]


def test_a_day_later_the_window_starts_at_the_bookmark_minus_lookback_and_ends_today(daily, tmp_path):
    app, url = daily
    state, out = tmp_path / "state.sqlite", tmp_path / "out.sqlite"
    run_on("2026-03-10T23:00:00Z", url, state, out, start=dt.date(2026, 3, 1))
    report = run_on("2026-03-11T06:00:00Z", url, state, out, start=dt.date(2026, 3, 1))  # --start: first run only
    assert app.windows[-1] == ("a", "2026-03-08", "2026-03-11"), "bookmark 03-10 minus the declared 2 days"
    assert report.window == {"start": "2026-03-08", "end": "2026-03-11"}
    run_on("2026-03-12", url, state, out, lookback_days=0)
    assert app.windows[-1] == ("a", "2026-03-11", "2026-03-12"), "--lookback 0 still refetches the bookmark day"
    assert days_in(out) == [f"2026-03-{d:02d}" for d in range(1, 13)], "history without a gap, each day once"


# -- the bookmark moves only with a successful run -----------------------------------------


def test_a_failed_run_leaves_the_bookmark_and_the_next_run_refetches_its_window(daily, tmp_path):
    app, url = daily
    state, out = tmp_path / "state.sqlite", tmp_path / "out.sqlite"
    run_on("2026-03-10", url, state, out, lookback_days=0)
    app.down = True
    with pytest.raises(VendorError):
        run_on("2026-03-11", url, state, out, lookback_days=0)
    assert bookmark_of(state) == dt.date(2026, 3, 10)
    app.down = False
    run_on("2026-03-12", url, state, out, lookback_days=0)
    assert app.windows[-1] == ("a", "2026-03-10", "2026-03-12"), "the failed day 03-11 is fetched again"
    assert bookmark_of(state) == dt.date(2026, 3, 12)


def test_a_partially_failed_run_does_not_move_the_bookmark(daily, tmp_path):
    app, url = daily
    state, out = tmp_path / "state.sqlite", tmp_path / "out.sqlite"
    run_on("2026-03-10", url, state, out, keys=("a", "b"))
    app.fail_keys = {"b"}
    with pytest.raises(ChainsFailedError):
        run_on("2026-03-11", url, state, out, keys=("a", "b"))
    assert bookmark_of(state, keys=("a", "b")) == dt.date(2026, 3, 10), "chain a succeeded, the run did not"


def test_a_run_stopped_by_its_consumer_does_not_move_the_bookmark(daily, tmp_path):
    _app, url = daily
    state = tmp_path / "state.sqlite"
    run_on("2026-03-10", url, state, tmp_path / "out.sqlite")
    task = Task("daily", "series", {"key": ["a"]}, {"token": TOKEN}, options(url, state))
    with clock.frozen("2026-03-11"):
        records = iter_records(task, plugin_manager=pm())
        next(records)
        records.close()  # what a killed worker or an interrupted n8n pipe amounts to
    assert bookmark_of(state) == dt.date(2026, 3, 10)
    store = StateStore(state)
    assert [t["status"] for t in store.tasks()] == ["stopped", "succeeded"], "most recent first"
    store.close()


def test_a_run_cut_short_by_max_pages_does_not_move_the_bookmark(daily, tmp_path):
    app, url = daily
    state = tmp_path / "state.sqlite"
    run_on("2026-03-10", url, state, tmp_path / "out.sqlite", stream="paged")  # 7 days: 3 pages
    report = run_on("2026-03-15", url, state, tmp_path / "out.sqlite", stream="paged", max_pages=1)
    assert any("bookmark was not moved" in w for w in report.warnings), report.warnings
    assert bookmark_of(state) == dt.date(2026, 3, 10)
    run_on("2026-03-15", url, state, tmp_path / "out.sqlite", stream="paged")
    assert bookmark_of(state) == dt.date(2026, 3, 15)
    assert app.windows[-1] == ("a", "2026-03-08", "2026-03-15")


# -- what the bookmark is keyed by -----------------------------------------------------


def test_bookmarks_are_keyed_without_the_window_params_and_without_credentials(daily, tmp_path):
    _app, url = daily
    state = tmp_path / "state.sqlite"
    first = run_on("2026-03-10", url, state, tmp_path / "o.sqlite", token=TOKEN)
    second = run_on("2026-03-11", url, state, tmp_path / "o.sqlite", token="another-token-9999")
    assert first.task_id != second.task_id, "the task id hashes the window"
    store = StateStore(state)
    marks, tasks = store.bookmarks(), store.tasks()
    store.close()
    assert len(marks) == 1, "another token is the same bookmark"
    assert marks[0]["window"]["end"] == "2026-03-11"
    assert "start_date" not in marks[0]["params"] and "end_date" not in marks[0]["params"]
    assert marks[0]["params"] == {"key": ["a"], "metric": "views"}
    assert {t["bookmark_id"] for t in tasks} == {marks[0]["bookmark_id"]}
    blob = b"".join(p.read_bytes() for p in tmp_path.glob("state.sqlite*"))
    assert TOKEN.encode() not in blob and b"another-token-9999" not in blob
    # Other params, another bookmark: its first run uses the default window.
    run_on("2026-03-11", url, state, tmp_path / "o.sqlite", params={"metric": "likes"})
    assert _app.windows[-1] == ("a", "2026-03-05", "2026-03-11")


# -- refused before any request -------------------------------------------------------------


@pytest.mark.parametrize(
    ("stream", "params", "extra", "match"),
    [
        ("series", {"start_date": "2026-03-01"}, {}, "computes start_date and end_date itself"),
        ("series", {"end_date": "2026-03-01"}, {}, "do not pass end_date"),
        ("snapshot", {}, {}, "has no date window"),
        ("series", {}, {"incremental": False, "start": dt.date(2026, 3, 1)}, "--start only apply with --incremental"),
        ("series", {}, {"incremental": False, "lookback_days": 3}, "--lookback only apply"),
        ("series", {}, {"start": dt.date(2026, 3, 20)}, "--start 2026-03-20 is after today"),
    ],
)
def test_window_options_that_cannot_work_are_refused_before_any_request(daily, tmp_path, stream, params, extra, match):
    app, url = daily
    kwargs = {"incremental": True, **extra}
    task = Task(
        "daily", stream, {"key": ["a"], **params}, {"token": TOKEN}, Options(base_url=url, state=str(tmp_path / "s"), **kwargs)
    )
    with clock.frozen("2026-03-10"), pytest.raises(ConfigError, match=match):
        run_to_output(task, "sqlite", str(tmp_path / "o.sqlite"), plugin_manager=pm())
    assert app.windows == []


def test_a_bookmark_after_today_is_refused_with_what_to_do(daily, tmp_path):
    _app, url = daily
    state = tmp_path / "state.sqlite"
    run_on("2026-03-10", url, state, tmp_path / "o.sqlite")
    with pytest.raises(ConfigError, match=r"clock went back.*state clear"):
        run_on("2026-03-01", url, state, tmp_path / "o.sqlite")


# -- sandboxes: a stable identity ---------------------------------------------------------


def test_a_sandbox_run_has_the_same_task_id_whatever_port_it_was_served_on(tmp_path):
    from socialtap.testing import serve_sandbox

    ids = []
    for _ in range(2):
        with serve_sandbox("example") as running:
            task = Task(
                "example",
                "profiles",
                {"profile_id": ["a"]},
                running.credentials,
                Options(base_url=running.base_url, sandbox=True),
            )
            ids.append(prepare(task).task_id)
    assert ids[0] == ids[1]
    real = prepare(Task("example", "profiles", {"profile_id": ["a"]}, {"token": "t0k3n-for-test"})).task_id
    assert real != ids[0], "a sandbox run never resumes a run against the vendor"
    with pytest.raises(ConfigError, match="sandbox served on this machine"):
        prepare(Task("example", "profiles", {"profile_id": ["a"]}, {"token": "t0k3n-for-test"}, Options(sandbox=True)))


# -- the window arithmetic, for any days ----------------------------------------------------

DAYS = st.dates(min_value=dt.date(2025, 6, 1), max_value=dt.date(2027, 6, 1))


@settings(max_examples=200, deadline=None)
@given(
    window=st.builds(
        Window,
        earliest=st.none() | DAYS,
        lookback_days=st.integers(0, 10),
        default_days=st.integers(1, 60),
    ),
    today=DAYS,
    bookmark=st.none() | DAYS,
    lookback=st.none() | st.integers(0, 10),
)
def test_a_planned_window_ends_today_and_starts_where_the_rules_say(window, today, bookmark, lookback):
    try:
        start, end = plan_window(window, today=today, bookmark=bookmark, lookback_days=lookback)
    except ConfigError:
        assert (
            bookmark is not None and bookmark - dt.timedelta(days=window.lookback_days if lookback is None else lookback) > today
        )
        return
    assert end == today and start <= end
    if bookmark is None:
        expected = today - dt.timedelta(days=window.default_days - 1)
        expected = max(expected, window.earliest) if window.earliest else expected
        assert start == min(expected, today), "the default window, never before earliest, never after today"
    else:
        expected = bookmark - dt.timedelta(days=window.lookback_days if lookback is None else lookback)
        expected = max(expected, window.earliest) if window.earliest else expected
        assert start == min(expected, today), "bookmark minus lookback, never before earliest, never after today"


@settings(max_examples=100, deadline=None)
@given(
    first=st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2026, 12, 1)),
    runs=st.lists(st.tuples(st.integers(1, 5), st.booleans()), min_size=1, max_size=12),
    lookback=st.integers(0, 3),
)
def test_daily_runs_that_sometimes_fail_leave_no_gap_in_history(first, runs, lookback):
    """Whatever days the scheduler runs on and whichever runs fail, the successful windows
    cover every day from the first window's start to the last success, today included."""
    window = Window(lookback_days=lookback, default_days=3)
    bookmark, today, covered, origin = None, first, set(), None
    for gap, succeeds in runs:
        start, end = plan_window(window, today=today, bookmark=bookmark)
        origin = origin or start
        if succeeds:
            covered |= {start + dt.timedelta(days=n) for n in range((end - start).days + 1)}
            bookmark = end
        today += dt.timedelta(days=gap)
    if bookmark is not None:
        wanted = {origin + dt.timedelta(days=n) for n in range((bookmark - origin).days + 1)}
        first_success_start = min(covered)
        assert {d for d in wanted if d >= first_success_start} <= covered


def test_an_incremental_run_in_python_uses_the_default_state_file_when_given_none(daily, tmp_path, monkeypatch):
    from socialtap.state import default_state_path

    _app, url = daily
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("SOCIALTAP_STATE", raising=False)
    task = Task("daily", "series", {"key": ["a"]}, {"token": TOKEN}, Options(base_url=url, incremental=True))
    with clock.frozen("2026-03-10"):
        records = list(iter_records(task, plugin_manager=pm()))
    assert len(records) == 7
    assert str(default_state_path()).startswith(str(tmp_path / "xdg"))
    assert bookmark_of(default_state_path()) == dt.date(2026, 3, 10), "without a state file nothing could move"


def test_a_partially_failed_incremental_run_resumed_the_same_day_fetches_only_the_failed_chain(daily, tmp_path):
    app, url = daily
    state, out = tmp_path / "state.sqlite", tmp_path / "out.sqlite"
    app.fail_keys = {"b"}
    with pytest.raises(ChainsFailedError):
        run_on("2026-03-10T06:00:00Z", url, state, out, keys=("a", "b"))
    app.fail_keys, app.windows = set(), []
    report = run_on("2026-03-10T07:00:00Z", url, state, out, keys=("a", "b"), resume=True)
    assert app.windows == [("b", "2026-03-04", "2026-03-10")], "same day, same window, same task: chain a was done"
    assert [c.status for c in report.chains] == ["skipped", "done"]
    assert bookmark_of(state, keys=("a", "b")) == dt.date(2026, 3, 10)


def test_serve_in_sandbox_mode_gives_its_tasks_the_sandbox_identity():
    from werkzeug.test import EnvironBuilder

    from socialtap.serve import ServeApp

    ids = []
    for _ in range(2):  # two servers, two sandboxes on two ports
        app = ServeApp(sandbox=True)
        try:
            body = {"vendor": "example", "stream": "profiles", "params": {"profile_id": ["a"]}}
            task = app._task(EnvironBuilder(method="POST", path="/run", json=body).get_request())
            assert task.options.sandbox and task.options.base_url.startswith("http://127.0.0.1:")
            ids.append(prepare(task).task_id)
        finally:
            app.close()
    assert ids[0] == ids[1]


def test_window_params_name_the_streams_own_params_for_a_fixed_window():
    from socialtap.incremental import window_params

    series, snapshot = DAILY.stream("series"), DAILY.stream("snapshot")
    assert window_params(series, dt.date(2026, 3, 1), dt.date(2026, 3, 1)) == {
        "start_date": "2026-03-01",
        "end_date": "2026-03-01",
    }
    with pytest.raises(ConfigError, match="declares no date window"):
        window_params(snapshot, dt.date(2026, 3, 1), dt.date(2026, 3, 2))
    with pytest.raises(ConfigError, match="after its end"):
        window_params(series, dt.date(2026, 3, 2), dt.date(2026, 3, 1))
