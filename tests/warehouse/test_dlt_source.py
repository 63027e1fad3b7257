"""socialtap.dlt end to end: a real ``dlt.pipeline(destination="duckdb")`` against the shareablee sandbox.

The days are set with ``clock.frozen`` (socialtap's clock, which the sandbox's data and
every window follow); dlt keeps its state in a pipelines dir of the test's own.
"""

from __future__ import annotations

import collections
import datetime as dt
import json

import dlt
import duckdb
import pytest
from warehouse_support import ENTITY, PARAMS, SERIES, QueryLog

from socialtap import Task, clock
from socialtap.dlt import columns, socialtap_source
from socialtap.errors import ConfigError
from socialtap.records import RECORD_TYPES, from_item
from socialtap.runner import Options, run_to_output
from socialtap.testing import serve_sandbox
from socialtap.warehouse import key_text, table_name

START = dt.date(2026, 3, 1)


def pipeline(tmp_path, name="social"):
    return dlt.pipeline(
        name,
        destination=dlt.destinations.duckdb(str(tmp_path / "warehouse.duckdb")),
        dataset_name="social",
        pipelines_dir=str(tmp_path / "pipelines"),
    )


def table_counts(tmp_path) -> dict[str, int]:
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as db:
        names = [
            row[0]
            for row in db.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'social'").fetchall()
        ]
        return {
            name: db.execute(f'SELECT COUNT(*) FROM social."{name}"').fetchone()[0]
            for name in names
            if not name.startswith("_dlt")
        }


def load(tmp_path, day, streams=tuple(PARAMS), *, wrap=None, name="social"):
    with serve_sandbox("shareablee", wrap=wrap) as sandbox, clock.frozen(day):
        options = Options(base_url=sandbox.base_url, sandbox=True, start=START)
        source = socialtap_source("shareablee", list(streams), {s: PARAMS[s] for s in streams}, sandbox.credentials, options)
        pipeline(tmp_path, name).run(source)
        return sandbox


def jsonl_keys(tmp_path, day) -> dict[str, list[str]]:
    """Natural keys per table of the same tasks run into JSON Lines (same days, same windows)."""
    keys: dict[str, list[str]] = collections.defaultdict(list)
    with serve_sandbox("shareablee") as sandbox, clock.frozen(day):
        for stream, params in PARAMS.items():
            windowed = stream != "category_members"
            options = Options(
                base_url=sandbox.base_url,
                sandbox=True,
                state=str(tmp_path / "state.sqlite"),
                incremental=windowed,
                start=START if windowed else None,
            )
            out = tmp_path / f"{stream}.jsonl"
            run_to_output(Task("shareablee", stream, params, sandbox.credentials, options), "jsonl", str(out))
            for line in out.read_text().splitlines():
                item = json.loads(line)
                data = {k: v for k, v in item.items() if k != "type"}
                keys[table_name("shareablee", item["type"])].append(key_text(type(from_item(item)), data))
    return keys


def test_row_counts_per_table_equal_the_json_lines_of_the_same_tasks_and_a_second_run_adds_no_duplicates(tmp_path):
    day = "2026-03-05T10:00:00Z"
    load(tmp_path, day)
    counts = table_counts(tmp_path)
    keys = jsonl_keys(tmp_path / "jsonl", day)
    assert all(len(set(k)) == len(k) for k in keys.values()), "each JSON Lines record is one row: no key repeats"
    expected = {table: len(k) for table, k in keys.items()}
    print("duckdb rows per table:", json.dumps(counts, sort_keys=True))
    assert counts == expected
    assert set(counts) == {table_name("shareablee", t) for t in ("post", "observation", "account", "relation")}
    assert all(n > 0 for n in counts.values())
    load(tmp_path, day)  # the same day again: every row merges onto itself
    assert table_counts(tmp_path) == counts


def test_an_incremental_second_run_fetches_only_the_new_days(tmp_path):
    first = load(tmp_path, "2026-03-05T10:00:00Z", ["user_time_series"], wrap=QueryLog)
    assert first.served.app.windows("/time_series/") == [("2026-03-01", "2026-03-05")]
    second = load(tmp_path, "2026-03-07T10:00:00Z", ["user_time_series"], wrap=QueryLog)
    # From the last loaded day (the stream's lookback is 0 days), not from START again.
    assert second.served.app.windows("/time_series/") == [("2026-03-05", "2026-03-07")]
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as db:
        days = db.execute('SELECT date, COUNT(*) FROM social."shareablee_observation" GROUP BY date ORDER BY date').fetchall()
    assert [d for d, _ in days] == [START + dt.timedelta(days=n) for n in range(7)], "every day once, none missing"
    assert {n for _, n in days} == {1}, "the refetched day 03-05 merged onto its row"
    third = load(tmp_path, "2026-03-07T18:00:00Z", ["user_time_series"], wrap=QueryLog)
    assert third.served.app.windows("/time_series/") == [("2026-03-07", "2026-03-07")], "same day: only today again"


def test_column_types_come_from_the_record_classes(tmp_path):
    load(tmp_path, "2026-03-05T10:00:00Z", ["user_time_series", "category_members"])
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as db:
        described = {
            table: {row[0]: row[1] for row in db.execute(f'DESCRIBE social."{table}"').fetchall()}
            for table in ("shareablee_observation", "shareablee_account")
        }
    observation, account = described["shareablee_observation"], described["shareablee_account"]
    assert (observation["date"], observation["as_of"], observation["value"]) == ("DATE", "DATE", "DOUBLE")
    assert (observation["dimensions"], observation["attributes"], observation["canonical"]) == ("JSON", "JSON", "BOOLEAN")
    assert observation["fetched_at"].startswith("TIMESTAMP")
    assert (account["ids"], account["categories"]) == ("JSON", "JSON"), "dicts and lists are JSON, not child tables"
    assert not any("__" in name for name in observation), "no column unnested from a dict"
    for name, cls in RECORD_TYPES.items():
        hints = columns(cls)
        assert [c for c, h in hints.items() if h.get("primary_key")] == ["_key"], name


def test_credentials_resolve_through_dlt_secrets_and_bad_params_fail_before_any_request(tmp_path, monkeypatch):
    with serve_sandbox("shareablee", wrap=QueryLog) as sandbox, clock.frozen("2026-03-05T10:00:00Z"):
        for name, value in sandbox.credentials.items():
            monkeypatch.setenv(f"SOURCES__SOCIALTAP__SHAREABLEE__{name.upper()}", value)
        monkeypatch.setenv("SOURCES__SOCIALTAP__SHAREABLEE__BASE_URL", sandbox.base_url)
        for name in ("API_KEY", "API_SECRET", "TOKEN", "BASE_URL"):
            monkeypatch.delenv(f"SOCIALTAP_SHAREABLEE_{name}", raising=False)
        source = socialtap_source("shareablee", "user_time_series", SERIES, options=Options(sandbox=True, start=START))
        pipeline(tmp_path).run(source)
        assert table_counts(tmp_path)["shareablee_observation"] == 5
        with pytest.raises(ConfigError, match="service"):
            socialtap_source("shareablee", "user_time_series", {"entity_id": ENTITY, "service": "myspace"})
        assert len(sandbox.served.app.seen) == 1, "the bad task sent nothing"


def test_importing_socialtap_and_its_warehouse_modules_never_imports_dlt():
    import subprocess
    import sys

    code = "import sys, socialtap, socialtap.cli, socialtap.singer, socialtap.warehouse; print('dlt' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL)
    assert done.stdout.strip() == "False"


def test_the_lookback_of_a_stream_is_dlts_lag_so_revised_days_are_fetched_again_and_merged(tmp_path):
    params = {"profile_username": "myprofile", "breakdown": True}  # Upload-Post: lookback_days=1
    windows, counts = [], []
    for day in ("2026-03-05T10:00:00Z", "2026-03-07T10:00:00Z"):
        with serve_sandbox("uploadpost", wrap=QueryLog) as sandbox, clock.frozen(day):
            options = Options(base_url=sandbox.base_url, sandbox=True, start=START)
            pipeline(tmp_path).run(socialtap_source("uploadpost", "total_impressions", params, sandbox.credentials, options))
            windows += sandbox.served.app.windows("total-impressions")
        with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as db:
            counts.append(db.execute('SELECT COUNT(*), COUNT(DISTINCT _key) FROM social."uploadpost_observation"').fetchone())
    assert windows == [("2026-03-01", "2026-03-05"), ("2026-03-04", "2026-03-07")], "the bookmark day minus one"
    assert all(rows == keys for rows, keys in counts) and counts[1][0] > counts[0][0]


def test_no_credential_reaches_the_pipeline_files_or_the_warehouse_even_when_the_vendor_echoes_it(tmp_path):
    # The sandbox quotes the Authorization header back in every body and header: the
    # records are redacted (socialtap.runner), and nothing dlt keeps may hold a secret.
    from socialtap.plugins import get_registry
    from socialtap.secrets import secret_values
    from socialtap.testing import EchoSecrets
    from socialtap.testing.echo import base64_forms

    echo = EchoSecrets.wrapper(status=None)
    sandbox = load(tmp_path, dt.date(2026, 3, 5), wrap=echo)
    assert sandbox.served.app.echoed > 0, "the vendor must have echoed the credentials for this test to mean anything"
    vendor = get_registry().get("shareablee")
    secrets = {s for s in secret_values(sandbox.credentials, scheme=vendor.auth) if len(s) >= 8}
    forms = {form.encode() for secret in secrets for form in [secret, *base64_forms(secret)]}
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert any(path.suffix == ".duckdb" for path in files) and len(files) > 3
    leaks = [(str(path.relative_to(tmp_path)), form) for path in files for form in forms if form in path.read_bytes()]
    assert leaks == []
