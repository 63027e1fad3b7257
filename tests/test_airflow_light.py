"""The Airflow provider's Airflow-free parts, in the fast suite (which never imports Airflow)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socialtap.airflow import get_provider_info, param_sets
from socialtap.airflow.connection import base_url_from, credentials_from
from socialtap.airflow.windows import coerce_day, destination_id, interval_days, plan_window
from socialtap.declarations import Window
from socialtap.errors import ConfigError
from socialtap.plugins import get_registry
from socialtap.runner import Task, prepare


def test_import_socialtap_never_imports_airflow():
    code = (
        "import sys, socialtap, socialtap.cli, socialtap.airflow, socialtap.airflow.connection, socialtap.airflow.windows; "
        "assert 'airflow' not in sys.modules, sorted(m for m in sys.modules if m.startswith('airflow'))"
    )
    subprocess.run([sys.executable, "-c", code], check=True, stdin=subprocess.DEVNULL, timeout=120)


def test_provider_info_names_the_connection_type():
    info = get_provider_info()
    assert info["package-name"] == "socialtap"
    (conn,) = info["connection-types"]
    assert (conn["hook-class-name"], conn["connection-type"]) == ("socialtap.airflow.hooks.SocialtapHook", "socialtap")
    assert info["versions"] and info["description"]


def test_connection_form_fields_come_from_the_installed_vendors():
    import jsonschema

    (conn,) = get_provider_info()["connection-types"]
    fields = conn["conn-fields"]
    installed = [v.name for v in get_registry().vendors()]
    assert fields["vendor"]["schema"]["enum"] == installed
    assert fields["token"]["schema"]["format"] == "password"  # Airflow masks it
    assert "SOCIALTAP_METRIKA_TOKEN" in fields["token"]["description"]
    assert {"api_key", "api_secret", "base_url"} <= set(fields)
    for field in fields.values():
        assert field["label"] and field["description"]
        jsonschema.Draft202012Validator.check_schema(field["schema"])
    assert set(conn["ui-field-behaviour"]["hidden-fields"]) == {"login", "password", "host", "port", "schema"}


def test_form_fields_in_the_extra_win_over_login_and_password():
    shareablee = get_registry().get("shareablee")
    extra = {"api_key": "k-from-form", "extra__socialtap__api_secret": "s-from-form"}
    assert credentials_from(shareablee, "login", "password", extra) == {"api_key": "k-from-form", "api_secret": "s-from-form"}
    assert credentials_from(shareablee, "login", "password", {}) == {"api_key": "login", "api_secret": "password"}


def test_provider_entry_point_is_registered():
    from importlib.metadata import entry_points

    (ep,) = [ep for ep in entry_points(group="apache_airflow_provider") if ep.value.startswith("socialtap.")]
    assert ep.load() is get_provider_info


@given(
    ids=st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=60),
    chunk=st.none() | st.integers(min_value=1, max_value=25),
)
def test_param_sets_cover_every_id_once_in_order(ids, chunk):
    sets = param_sets(ids, "profile_id", chunk_size=chunk, base={"per_page": 5})
    assert all(s["per_page"] == 5 for s in sets)
    values = [s["profile_id"] for s in sets]
    flat = values if chunk is None else [i for chunk_ids in values for i in chunk_ids]
    assert flat == list(dict.fromkeys(ids))
    if chunk is not None:
        assert all(1 <= len(v) <= chunk for v in values)
        assert all(len(v) == chunk for v in values[:-1])


@pytest.mark.parametrize(
    ("ids", "kwargs", "message"),
    [
        ([], {}, "at least one id"),
        ("alice", {}, "not one string"),
        (["a"], {"chunk_size": 0}, "positive integer"),
        (["a"], {"base": {"profile_id": "x"}}, "remove it from base"),
    ],
)
def test_param_sets_refuse_bad_input(ids, kwargs, message):
    with pytest.raises(ConfigError, match=message):
        param_sets(ids, "profile_id", **kwargs)


@pytest.mark.parametrize(
    ("host", "port", "schema", "expected"),
    [
        ("", None, None, None),
        ("https://api.example.test/v2/", None, None, "https://api.example.test/v2"),
        ("http://127.0.0.1", 8080, None, "http://127.0.0.1:8080"),
        ("http://127.0.0.1:9/v2", 8080, None, "http://127.0.0.1:9/v2"),
        ("proxy.internal", 8443, "v2", "https://proxy.internal:8443/v2"),
    ],
)
def test_base_url_from_connection_fields(host, port, schema, expected):
    assert base_url_from(host, port, schema) == expected


def test_credentials_map_onto_the_vendor_fields():
    example = get_registry().get("example")  # one secret: the token
    assert credentials_from(example, None, "tok") == {"token": "tok"}
    assert credentials_from(example, "ignored-login", "tok") == {"token": "tok"}
    with pytest.raises(ConfigError, match="set password") as err:
        credentials_from(example, "login-only", None)
    assert "login-only" not in str(err.value)


def test_key_and_secret_go_to_login_and_password():
    from types import SimpleNamespace

    from socialtap.auth import Basic

    vendor = SimpleNamespace(name="keyed", auth=Basic())
    assert credentials_from(vendor, "key", "secret") == {"api_key": "key", "api_secret": "secret"}
    assert credentials_from(vendor, None, "b64token") == {"token": "b64token"}


# --- Scheduled pulls: the DAG run's data interval -> a stream's date window -----------------

UTC = dt.UTC
OFFSETS = st.integers(-1439, 1439).map(lambda minutes: dt.timezone(dt.timedelta(minutes=minutes)))
AWARE = st.datetimes(
    min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.timezones() | OFFSETS | st.just(UTC)
)


def utc_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=UTC)


@given(start=AWARE, end=AWARE)
def test_interval_days_are_exactly_the_utc_days_inside_the_interval(start, end):
    days = interval_days(start, end)
    if end <= start:
        assert days is None  # a point in time (trigger timetables) or a reversed interval: no window
        return
    assert days is not None
    first, last = days
    assert first <= last
    # The first day holds the interval's start; the last day holds its last instant (the end is
    # exclusive): every day in [first, last] meets [start, end), and no day outside it does.
    assert utc_midnight(first) <= start < utc_midnight(first + dt.timedelta(days=1))
    assert utc_midnight(last) < end <= utc_midnight(last + dt.timedelta(days=1))


@given(day=st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2099, 12, 31)), n=st.integers(1, 400))
def test_whole_utc_days_map_onto_themselves(day, n):
    """n whole days from midnight UTC (a daily or weekly schedule in UTC, a catchup range) -> those n days."""
    start = utc_midnight(day)
    assert interval_days(start, start + dt.timedelta(days=n)) == (day, day + dt.timedelta(days=n - 1))


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # A daily interval fetches the single day it starts on: the end is exclusive.
        ("2026-01-01T00:00:00+00:00", "2026-01-02T00:00:00+00:00", ("2026-01-01", "2026-01-01")),
        # One microsecond past midnight already touches the next day.
        ("2026-01-01T00:00:00+00:00", "2026-01-02T00:00:00.000001+00:00", ("2026-01-01", "2026-01-02")),
        # An hourly run covers the UTC day it falls in.
        ("2026-01-01T05:00:00+00:00", "2026-01-01T06:00:00+00:00", ("2026-01-01", "2026-01-01")),
        # A daily DAG in Europe/Berlin: midnight there is 23:00 UTC the day before, two UTC days.
        ("2026-01-01T00:00:00+01:00", "2026-01-02T00:00:00+01:00", ("2025-12-31", "2026-01-01")),
        # A point in time (CronTriggerTimetable, Airflow 3's default for "@daily"): no window.
        ("2026-01-01T00:00:00+00:00", "2026-01-01T00:00:00+00:00", None),
    ],
)
def test_interval_days_examples(start, end, expected):
    days = interval_days(dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(end))
    assert (None if days is None else tuple(d.isoformat() for d in days)) == expected


def test_interval_days_in_a_named_timezone_and_without_bounds():
    berlin = ZoneInfo("Europe/Berlin")
    assert interval_days(dt.datetime(2026, 7, 1, 2, tzinfo=berlin), dt.datetime(2026, 7, 2, 2, tzinfo=berlin)) == (
        dt.date(2026, 7, 1),
        dt.date(2026, 7, 1),
    )
    assert interval_days(None, dt.datetime(2026, 1, 1, tzinfo=UTC)) is None  # a run without a logical date
    assert interval_days(dt.datetime(2026, 1, 1, tzinfo=UTC), None) is None


DAY1 = dt.datetime(2026, 1, 1, tzinfo=UTC)
DAY2 = dt.datetime(2026, 1, 2, tzinfo=UTC)


def test_data_interval_fills_an_unset_window_and_wins_over_incremental():
    plan = plan_window(Window(), {"ids": ["a"]}, data_interval_start=DAY1, data_interval_end=DAY2, incremental=True)
    assert plan.params == {"ids": ["a"], "start_date": "2026-01-01", "end_date": "2026-01-01"}
    assert plan.source == "data_interval" and plan.incremental is False
    assert plan.window_dict == {"start": "2026-01-01", "end": "2026-01-01"}
    custom = plan_window(Window(start="since", end="until"), {}, data_interval_start=DAY1, data_interval_end=DAY2)
    assert custom.params == {"since": "2026-01-01", "until": "2026-01-01"}


def test_window_params_given_by_the_user_win():
    given_params = {"ids": ["a"], "start_date": "2025-06-01", "end_date": "2025-06-30"}
    plan = plan_window(Window(), given_params, data_interval_start=DAY1, data_interval_end=DAY2, incremental=True)
    assert plan.params == given_params and plan.source == "params" and plan.incremental is False
    assert plan.window_dict == {"start": "2025-06-01", "end": "2025-06-30"}  # reported as given
    # One of the two is enough to count as "the user gave a window" (validation names the other).
    assert plan_window(Window(), {"end_date": "2025-06-30"}, data_interval_start=DAY1, data_interval_end=DAY2).source == "params"


def test_without_an_interval_incremental_decides():
    for start, end in [(None, None), (DAY1, DAY1)]:  # no logical date; a trigger timetable's point in time
        plan = plan_window(Window(), {"ids": ["a"]}, data_interval_start=start, data_interval_end=end, incremental=True)
        assert plan.params == {"ids": ["a"]} and plan.incremental is True and plan.source == "incremental"
        plain = plan_window(Window(), {"ids": ["a"]}, data_interval_start=start, data_interval_end=end)
        assert plain.source == "none" and plain.declared and plain.incremental is False


def test_a_stream_without_a_window_is_left_alone():
    plan = plan_window(None, {"profile_id": ["a"]}, data_interval_start=DAY1, data_interval_end=DAY2, incremental=True)
    assert plan.params == {"profile_id": ["a"]} and plan.source == "none" and not plan.declared
    assert plan.incremental is True  # passed through: the runner says what it means for such a stream


def test_destination_id_leaves_the_window_out():
    """Each data interval is its own run (own checkpoints), but all write to one destination."""
    credentials = {"token": "example-test-token"}

    def prepared(params):
        return prepare(Task("example", "views", params, credentials))

    jan1 = prepared({"ids": ["a", "b"], "start_date": "2026-01-01", "end_date": "2026-01-01"})
    jan2 = prepared({"ids": ["a", "b"], "start_date": "2026-01-02", "end_date": "2026-01-02"})
    other = prepared({"ids": ["c"], "start_date": "2026-01-02", "end_date": "2026-01-02"})
    assert jan1.task_id != jan2.task_id
    assert destination_id(jan1) == destination_id(jan2) != destination_id(other)
    assert len(destination_id(jan1)) == 16
    profiles = prepare(Task("example", "profiles", {"profile_id": ["a"]}, credentials))
    assert destination_id(profiles) == profiles.task_id  # no window: the runner's id, as before


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("2026-01-05", dt.date(2026, 1, 5)),
        (dt.date(2026, 1, 5), dt.date(2026, 1, 5)),
        (dt.datetime(2026, 1, 5, 23, 30, tzinfo=ZoneInfo("America/New_York")), dt.date(2026, 1, 6)),
    ],
)
def test_start_takes_a_day(value, expected):
    assert coerce_day(value) == expected


def test_start_refuses_what_is_not_a_day():
    with pytest.raises(ConfigError, match="ISO 8601"):
        coerce_day("last tuesday")
