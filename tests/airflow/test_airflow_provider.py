"""The provider against real Apache Airflow 3: ``dag.test()`` runs DAGs from a dags folder.

Run by ``make test-airflow`` with the Airflow venv's python (see conftest.py). All
``dag.test()`` calls share this one process: the first costs ~10 s, later ones < 1 s.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from socialtap.records import from_item
from socialtap.testing import EchoSecrets, serve_sandbox
from socialtap.testing.echo import base64_forms, echo_values

pytestmark = [
    pytest.mark.airflow,
    # Airflow's API server imports raise these inside every task; under `error` each task would fail.
    pytest.mark.filterwarnings("ignore:Using .httpx. with .starlette.testclient."),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
]

HERE = Path(__file__).parent
AIRFLOW = Path(sys.executable).with_name("airflow")
OUT = Path(os.environ.get("SOCIALTAP_TEST_OUT", "/nonexistent"))


class MalformedPage2Once:
    """Answer page 2 of each posts listing with broken JSON (whole, not cut off: a body cut
    off on the way is retried by the engine), once: the first attempt of a
    task fails after page 1's records were produced, the retry succeeds."""

    def __init__(self, app):
        self.app = app
        self.broken: set[str] = set()
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.endswith("/posts") and "page=2" in environ.get("QUERY_STRING", ""):
            with self.lock:
                first = path not in self.broken
                self.broken.add(path)
            if first:
                start_response("200 OK", [("Content-Type", "application/json")])
                return [b'{"data": [{"id": trunc}]}']
        return self.app(environ, start_response)


class RecordSeries:
    """Remember the window (and ids) of every ``POST /series`` the sandbox answers."""

    def __init__(self):
        self.seen: list[dict] = []
        self.lock = threading.Lock()

    def wrap(self, app):
        def recording(environ, start_response):
            if environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO", "").endswith("/series"):
                body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
                environ["wsgi.input"] = io.BytesIO(body)
                sent = json.loads(body or b"{}")
                with self.lock:
                    self.seen.append({k: sent.get(k) for k in ("ids", "start_date", "end_date")})
            return app(environ, start_response)

        return recording

    def take(self) -> list[dict]:
        with self.lock:
            seen, self.seen = self.seen, []
        return seen


SERIES = RecordSeries()


def connection(base_url: str, token: str) -> str:
    return json.dumps({"conn_type": "socialtap", "host": base_url, "password": token, "extra": {"vendor": "example"}})


@pytest.fixture(scope="module")
def airflow_home():
    home = Path(os.environ["AIRFLOW_HOME"])
    dags = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    dags.mkdir(parents=True, exist_ok=True)
    shutil.copy(HERE / "dags" / "socialtap_test_dags.py", dags)
    subprocess.run([str(AIRFLOW), "db", "migrate"], check=True, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    with (
        serve_sandbox("example") as sandbox,
        serve_sandbox("example", wrap=MalformedPage2Once) as flaky,
        serve_sandbox("example", wrap=SERIES.wrap) as recorded,
    ):
        os.environ["AIRFLOW_CONN_SOCIALTAP_SANDBOX"] = connection(sandbox.base_url, sandbox.credentials["token"])
        os.environ["AIRFLOW_CONN_SOCIALTAP_RECORDED"] = connection(recorded.base_url, recorded.credentials["token"])
        os.environ["AIRFLOW_CONN_SOCIALTAP_BAD_TOKEN"] = connection(sandbox.base_url, "not-the-token")
        os.environ["AIRFLOW_CONN_SOCIALTAP_FLAKY"] = connection(flaky.base_url, flaky.credentials["token"])
        yield home


@pytest.fixture(scope="module")
def dagbag(airflow_home):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    assert not bag.import_errors, bag.import_errors
    return bag


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def tis_by_task(dag_run) -> dict:
    found: dict = {}
    for ti in dag_run.get_task_instances():
        found.setdefault(ti.task_id, []).append(ti)
    return found


def test_provider_and_connection_type_listed(airflow_home):
    env = {**os.environ, "AIRFLOW__LOGGING__LOGGING_LEVEL": "ERROR"}
    providers = subprocess.run(
        [str(AIRFLOW), "providers", "list", "-o", "json"], env=env, capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL
    )
    listed = {p["package_name"]: p for p in json.loads(providers.stdout)}
    assert "socialtap" in listed, sorted(listed)
    hooks = subprocess.run(
        [str(AIRFLOW), "providers", "hooks", "-o", "json"], env=env, capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL
    )
    rows = json.loads(hooks.stdout)
    ours = [r for r in rows if r.get("connection_type") == "socialtap"]
    assert ours and ours[0]["class"] == "socialtap.airflow.hooks.SocialtapHook", rows


def test_mapped_operator_over_three_accounts(dagbag):
    dag = dagbag.get_dag("socialtap_mapped")
    run = dag.test()
    assert run.state == "success", tis_by_task(run)
    fetch = sorted(tis_by_task(run)["fetch_profiles"], key=lambda ti: ti.map_index)
    assert [ti.map_index for ti in fetch] == [0, 1, 2]
    assert all(ti.state == "success" for ti in fetch)

    reports = json.loads((OUT / "mapped" / "xcom.json").read_text())
    assert len(reports) == 3
    seen_accounts = set()
    for index, report in enumerate(sorted(reports, key=lambda r: r["destination"])):
        dest = Path(report["destination"])
        assert dest == OUT / "mapped" / f"profiles-{index}.jsonl"
        records = [from_item(item) for item in read_jsonl(dest)]
        # one Account and two Observations (followers, following) per profile
        assert report["records"] == {"account": 1, "observation": 2}
        assert report["total_records"] == len(records) == 3
        accounts = [r.account_id for r in records if type(r).__name__ == "Account"]
        seen_accounts.update(accounts)
        # XCom carries the small report only: no records, no credentials
        text = json.dumps(report)
        assert "example-test-token" not in text and "followers" not in text
        assert len(text) < 2000
    assert seen_accounts == {"alice", "bob", "carol"}
    assert not list((OUT / "mapped").glob(".*.part"))


def test_auth_error_fails_without_retry(dagbag):
    run = dagbag.get_dag("socialtap_auth_fails").test()
    assert run.state == "failed"
    (ti,) = tis_by_task(run)["fetch_bad_token"]
    assert ti.state == "failed"
    assert ti.try_number == 1  # retries=3, yet no retry: a retry cannot fix a bad key
    assert not (OUT / "auth" / "profiles.jsonl").exists()


def test_retry_after_partial_failure_never_duplicates(dagbag):
    run = dagbag.get_dag("socialtap_retry").test()
    assert run.state == "success", tis_by_task(run)
    tis = tis_by_task(run)
    for task_id in ("fetch_posts", "fetch_posts_sqlite"):
        (ti,) = tis[task_id]
        assert ti.try_number == 2, f"{task_id} should have failed once on the malformed page, then succeeded"
    reports = json.loads((OUT / "retry" / "xcom.json").read_text())
    for report in reports.values():
        # the retry resumed after page 1 (checkpointed before the malformed page 2)
        assert report["resumed"] is True and report["try_number"] == 2
        assert report["pages"] == 2 and report["total_records"] == 7
    (jsonl,) = (OUT / "retry").glob("posts-*.jsonl")
    assert jsonl.name == f"posts-{reports['jsonl']['socialtap_id']}.jsonl"
    posts = [item["post_id"] for item in read_jsonl(jsonl)]
    assert len(posts) == len(set(posts)) == 12
    import sqlite3

    with sqlite3.connect(OUT / "retry" / "posts.sqlite") as db:
        assert db.execute('SELECT COUNT(*), COUNT(DISTINCT post_id) FROM "post"').fetchone() == (12, 12)
    assert not list((OUT / "retry").glob(".*.part"))


def test_first_try_starts_over_even_with_old_checkpoints(dagbag):
    """A new run of the same task (same stable id) must not resume yesterday's checkpoints."""
    run = dagbag.get_dag("socialtap_retry").test()
    assert run.state == "success"
    reports = json.loads((OUT / "retry" / "xcom.json").read_text())
    for report in reports.values():
        assert report["resumed"] is False and report["try_number"] == 1
        assert report["pages"] == 3 and report["total_records"] == 12
    (jsonl,) = (OUT / "retry").glob("posts-*.jsonl")
    assert len(jsonl.read_text().splitlines()) == 12


def test_object_storage_destinations(dagbag):
    import fsspec

    memory = fsspec.filesystem("memory")
    run = dagbag.get_dag("socialtap_object_storage").test()
    assert run.state == "success", tis_by_task(run)
    (jsonl,) = [p for p in memory.find("/socialtap") if p.endswith("profiles.jsonl")]
    assert re.fullmatch(r"/socialtap/[0-9a-f]{16}/profiles.jsonl", jsonl), jsonl  # {socialtap_id} filled in
    lines = [json.loads(line) for line in memory.cat(jsonl).decode().splitlines()]
    assert {r["account_id"] for r in lines if r["type"] == "account"} == {"alice", "bob"}
    assert len(lines) == 6
    posts = memory.cat("/socialtap/csv/post.csv").decode().splitlines()
    assert posts[0].startswith("vendor,") and len(posts) == 1 + 12
    assert not [p for p in memory.find("/socialtap") if p.endswith(".part")]


def test_no_secret_in_task_errors_or_logs(dagbag, airflow_home, monkeypatch, caplog, capfd):
    """Sandboxes that quote the token back (401, 422, 404): the failed tasks' exceptions, as
    logged with their tracebacks, and every task log hold neither the token nor its header."""
    caplog.set_level(logging.DEBUG)
    with contextlib.ExitStack() as stack:
        for status in (401, 422, 404):
            echo = stack.enter_context(serve_sandbox("example", wrap=EchoSecrets.wrapper(status=status)))
            monkeypatch.setenv(f"AIRFLOW_CONN_SOCIALTAP_ECHO_{status}", connection(echo.base_url, echo.credentials["token"]))
        token = echo.credentials["token"]
        run = dagbag.get_dag("socialtap_secret_echo").test()
    assert run.state == "failed"
    tis = tis_by_task(run)
    assert all(ti.state == "failed" for (ti,) in tis.values()), tis
    captured = capfd.readouterr()
    logs = [p.read_text(errors="replace") for p in (airflow_home / "logs").rglob("*") if p.is_file()]
    text = "\n".join([caplog.text, captured.out, captured.err, *logs])
    # The scan proves something only if the task errors were written where it looked.
    assert "AuthError" in text and "ConfigError" in text and "NotFoundError" in text, text[-3000:]
    secrets = {token, *echo_values(f"Bearer {token}")}
    for secret in {*secrets, *(form for s in secrets for form in base64_forms(s))}:
        assert secret not in text


def test_daily_runs_fetch_their_data_interval_into_one_sqlite_file(dagbag):
    """Two runs of a daily data-interval DAG: each fetches the one day of its interval (the
    interval's end is exclusive), both write to one SQLite file (``{socialtap_id}`` leaves the
    window out), so after the second run the file holds both days. A templated window
    (``{{ ds }}``) is the user's own and stays as rendered."""
    import sqlite3
    from datetime import UTC, date, datetime

    dag = dagbag.get_dag("socialtap_daily_history")
    SERIES.take()
    reports, windows = [], []
    # dag.test infers a manual run's interval as the last complete period before its logical
    # date: 01-02T00:00 -> [01-01, 01-02), the interval of the scheduled run of 01-01.
    for day in (date(2026, 1, 1), date(2026, 1, 2)):
        run = dag.test(logical_date=datetime(day.year, day.month, day.day + 1, tzinfo=UTC))
        assert run.state == "success", tis_by_task(run)
        assert (run.data_interval_start.date(), run.data_interval_end.date()) == (day, date(2026, 1, day.day + 1))
        windows.append(SERIES.take())
        reports.append(json.loads((OUT / "history" / f"xcom-{day.isoformat()}.json").read_text()))

    # The sandbox saw each run's own window: one day each, different days.
    for day, seen in zip(("2026-01-01", "2026-01-02"), windows, strict=True):
        daily = [w for w in seen if w["ids"] == ["alice", "bob"]]
        assert daily == [{"ids": ["alice", "bob"], "start_date": day, "end_date": day}], seen
    # The templated window rendered per run (ds is the logical date, 01-02 then 01-03).
    assert [w for w in windows[0] if w["ids"] == ["carol"]] == [
        {"ids": ["carol"], "start_date": "2025-12-31", "end_date": "2026-01-02"}
    ]
    assert [w for w in windows[1] if w["ids"] == ["carol"]] == [
        {"ids": ["carol"], "start_date": "2026-01-01", "end_date": "2026-01-03"}
    ]

    first, second = (r["daily"] for r in reports)
    assert first["window"] == {"start": "2026-01-01", "end": "2026-01-01"} and first["window_source"] == "data_interval"
    assert second["window"] == {"start": "2026-01-02", "end": "2026-01-02"}
    assert first["socialtap_id"] == second["socialtap_id"] and first["destination"] == second["destination"]
    assert first["total_records"] == second["total_records"] == 2
    assert reports[1]["templated"]["window_source"] == "params"
    assert reports[1]["templated"]["window"] == {"start": "2026-01-01", "end": "2026-01-03"}

    destination = Path(second["destination"])
    assert destination == OUT / "history" / f"views-{second['socialtap_id']}.sqlite"
    assert [p.name for p in (OUT / "history").glob("views-*.sqlite")] == [destination.name]
    with sqlite3.connect(destination) as db:
        rows = db.execute("SELECT entity_id, date FROM observation ORDER BY date, entity_id").fetchall()
    assert rows == [
        ("alice", "2026-01-01"),
        ("bob", "2026-01-01"),
        ("alice", "2026-01-02"),
        ("bob", "2026-01-02"),
    ]

    # A rerun of the first interval (a backfill, a clear) fetches that day again and replaces it.
    run = dag.test(logical_date=datetime(2026, 1, 2, tzinfo=UTC))
    assert run.state == "success"
    assert [w for w in SERIES.take() if w["ids"] == ["alice", "bob"]] == [
        {"ids": ["alice", "bob"], "start_date": "2026-01-01", "end_date": "2026-01-01"}
    ]
    with sqlite3.connect(destination) as db:
        assert db.execute("SELECT COUNT(*) FROM observation").fetchone() == (4,)


def test_operator_passes_incremental_options_when_there_is_no_interval(airflow_home):
    """A run without a data interval (a trigger timetable's point in time, or no logical date)
    leaves the window to incremental; lookback_days and start pass through to the runner."""
    from datetime import UTC, date, datetime

    from socialtap.airflow.operators import SocialtapOperator
    from socialtap.errors import ConfigError

    point = datetime(2026, 1, 5, tzinfo=UTC)
    no_interval = {"data_interval_start": point, "data_interval_end": point}
    op = SocialtapOperator(
        task_id="incremental_views",
        stream="views",
        stream_params={"ids": ["alice"]},
        socialtap_conn_id="socialtap_sandbox",
        destination=str(OUT / "incremental" / "views.sqlite"),
        incremental=True,
        lookback_days=3,
        start="2025-12-01",
    )
    task = op.build_task(no_interval)
    assert task.params == {"ids": ["alice"]}
    assert (task.options.incremental, task.options.lookback_days, task.options.start) == (True, 3, date(2025, 12, 1))
    # With an interval, the interval wins and the run is a plain windowed one.
    task = op.build_task({"data_interval_start": point, "data_interval_end": datetime(2026, 1, 6, tzinfo=UTC)})
    assert task.params == {"ids": ["alice"], "start_date": "2026-01-05", "end_date": "2026-01-05"}
    assert task.options.incremental is False

    # Neither params, nor an interval, nor incremental: the error says the three ways out.
    plain = SocialtapOperator(
        task_id="unwindowed_views",
        stream="views",
        stream_params={"ids": ["alice"]},
        socialtap_conn_id="socialtap_sandbox",
        destination=str(OUT / "incremental" / "plain.sqlite"),
    )
    with pytest.raises(ConfigError, match=r"has a date window.*data interval.*incremental=True"):
        plain._execute(context=no_interval)


def test_operator_passes_max_credits_and_a_budget_stop_is_not_retried(airflow_home):
    from socialtap.airflow.operators import SocialtapOperator, is_retryable
    from socialtap.credits import BudgetExceeded

    op = SocialtapOperator(
        task_id="budgeted_views",
        stream="profiles",
        stream_params={"profile_id": ["alice"]},
        socialtap_conn_id="socialtap_sandbox",
        destination=str(OUT / "budget" / "profiles.jsonl"),
        max_credits=12,
    )
    assert op.build_task().options.max_credits == 12
    # A retry with the same budget would spend it again: a budget stop fails the task at once.
    assert not is_retryable(BudgetExceeded("credit budget reached"))


def test_busy_output_is_retried_other_config_errors_are_not():
    """Catchup runs of one task share its SQLite file: finding it busy is worth a retry."""
    from socialtap.airflow.operators import is_retryable
    from socialtap.errors import ConfigError, OutputBusyError

    assert is_retryable(OutputBusyError("output /data/views.sqlite is busy"))
    assert not is_retryable(ConfigError("start_date: expected a date"))


def test_connection_form_fields_reach_airflow(airflow_home):
    """Airflow 3.3 reads the form from the provider info (no hook import): vendor choice,
    credential fields (secrets masked), base URL, and the hidden standard fields."""
    from airflow.providers_manager import ProvidersManager

    manager = ProvidersManager()
    widgets = manager.connection_form_widgets
    vendor = widgets["extra__socialtap__vendor"]
    assert {"example", "metrika", "shareablee"} <= set(vendor.field["schema"]["enum"])
    assert vendor.field["schema"]["title"] == "Vendor"
    assert widgets["extra__socialtap__token"].is_sensitive
    assert widgets["extra__socialtap__api_secret"].is_sensitive
    assert "SOCIALTAP_SHAREABLEE_API_KEY" in widgets["extra__socialtap__api_key"].field["description"]
    assert not widgets["extra__socialtap__base_url"].is_sensitive
    behaviour = manager.field_behaviours["socialtap"]
    assert set(behaviour["hidden_fields"]) == {"login", "password", "host", "port", "schema"}
    assert manager.hooks["socialtap"].connection_type == "socialtap"


def test_the_test_button_calls_the_vendor_check(airflow_home):
    """Connection.test_connection() is what the UI's Test button runs (through the API server)."""
    from airflow.models.connection import Connection

    def tested(conn_id: str) -> tuple[bool, str]:
        return Connection.get_connection_from_secrets(conn_id).test_connection()

    ok, message = tested("socialtap_sandbox")
    assert ok, message
    assert message.startswith("Example API answered GET /profiles/alice:")
    refused, why = tested("socialtap_bad_token")
    assert not refused and why.startswith("AuthError:") and "not-the-token" not in why
    with serve_sandbox("example") as sandbox:
        # The form's fields land in the extra under the vendor's own credential names.
        extra = {"vendor": "example", "token": sandbox.credentials["token"], "base_url": sandbox.base_url}
        os.environ["AIRFLOW_CONN_SOCIALTAP_FORM"] = json.dumps({"conn_type": "socialtap", "extra": extra})
        try:
            form_ok, form_message = tested("socialtap_form")
        finally:
            del os.environ["AIRFLOW_CONN_SOCIALTAP_FORM"]
    assert form_ok, form_message
    os.environ["AIRFLOW_CONN_SOCIALTAP_PAID"] = json.dumps(
        {"conn_type": "socialtap", "extra": {"vendor": "metrika", "token": "t"}}
    )
    try:
        paid, paid_message = tested("socialtap_paid")
    finally:
        del os.environ["AIRFLOW_CONN_SOCIALTAP_PAID"]
    assert not paid and "allow_paid_check" in paid_message and "one search request" in paid_message
