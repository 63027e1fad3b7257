"""History: scheduled runs keyed by ``as_of``, and a SQLite output a warehouse can read.

Days are simulated with :func:`socialtap.clock.frozen`; every run is real HTTP against a
sandbox on 127.0.0.1.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any, ClassVar

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialtap import clock
from socialtap.errors import AuthError, ChainsFailedError, PayloadError
from socialtap.outputs import SQLITE_SCHEMA_VERSION, SqliteWriter
from socialtap.records import Observation, Post, Relation, from_item, key_of, natural_key, to_item
from socialtap.runner import Options, RunReport, Task, run_to_output
from socialtap.testing import serve_sandbox

METRIKA_RESOURCES = {"resources": ["instagram:natgeo", "instagram:nasa"]}
DAY1, DAY2, DAY3 = "2026-01-02T09:00:00Z", "2026-01-03T09:00:00Z", "2026-01-04T23:59:59Z"


def run_into(running: Any, stream: str, params: dict[str, Any], fmt: str, output: Path, at: str):
    task = Task(running.vendor, stream, params, running.credentials, Options(base_url=running.base_url))
    with clock.frozen(at):
        return run_to_output(task, fmt, str(output))


def rows(path: Path, sql: str, *args: Any) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute(sql, args).fetchall()


# -- snapshots: one row per metric per UTC day --------------------------------------------


def test_three_daily_runs_keep_one_row_per_metric_per_day(tmp_path: Path):
    out = tmp_path / "history.sqlite"
    with serve_sandbox("metrika") as running:
        for day in (DAY1, DAY2, DAY3):
            run_into(running, "accounts", METRIKA_RESOURCES, "sqlite", out, day)
    per_metric = rows(
        out, "SELECT entity_id, metric, COUNT(*), GROUP_CONCAT(as_of) FROM observation GROUP BY entity_id, metric ORDER BY 1, 2"
    )
    # 2 accounts x 1 metric (followers, the one Metrika documents), each with three days.
    assert len(per_metric) == 2
    assert {(n, days) for _, _, n, days in per_metric} == {(3, "2026-01-02,2026-01-03,2026-01-04")}
    assert rows(out, "SELECT COUNT(*) FROM observation") == [(6,)]
    assert rows(out, "SELECT COUNT(*) FROM account") == [(2,)]  # an account's profile is latest-wins


def test_two_runs_on_one_utc_day_leave_one_row_with_the_later_fetch(tmp_path: Path):
    out = tmp_path / "history.sqlite"
    with serve_sandbox("metrika") as running:
        run_into(running, "accounts", METRIKA_RESOURCES, "sqlite", out, "2026-01-02T00:00:00Z")
        run_into(running, "accounts", METRIKA_RESOURCES, "sqlite", out, "2026-01-02T23:59:59Z")
    assert rows(out, "SELECT COUNT(*), COUNT(DISTINCT as_of), MIN(as_of) FROM observation") == [(2, 1, "2026-01-02")]
    assert {r[0] for r in rows(out, "SELECT fetched_at FROM observation")} == {"2026-01-02T23:59:59+00:00"}


def test_posts_and_relations_keep_a_row_per_day(tmp_path: Path):
    out = tmp_path / "history.sqlite"
    with serve_sandbox("example", posts_per_profile=6, mentions=4) as running:
        for day in (DAY1, DAY1, DAY2):
            run_into(running, "posts", {"profile_id": ["ann"]}, "sqlite", out, day)
            run_into(running, "mentions", {"profile_id": "ann"}, "sqlite", out, day)
    assert rows(out, "SELECT as_of, COUNT(*) FROM post GROUP BY as_of") == [("2026-01-02", 6), ("2026-01-03", 6)]
    assert rows(out, "SELECT as_of, COUNT(*) FROM relation GROUP BY as_of") == [("2026-01-02", 4), ("2026-01-03", 4)]


# -- time series: one row per vendor day, the newer value wins ------------------------------


def test_overlapping_windows_of_a_time_series_update_their_days(tmp_path: Path):
    out = tmp_path / "history.sqlite"
    first = {"ids": ["ann"], "start_date": "2026-01-01", "end_date": "2026-01-10"}
    second = {"ids": ["ann"], "start_date": "2026-01-05", "end_date": "2026-01-15"}
    # Two seeds: the vendor revised its numbers between the runs, which run on different days.
    with serve_sandbox("example", seed=0) as running:
        run_into(running, "views", first, "jsonl", tmp_path / "older.jsonl", DAY1)
        run_into(running, "views", first, "sqlite", out, DAY1)
    with serve_sandbox("example", seed=1) as running:
        run_into(running, "views", second, "jsonl", tmp_path / "newer.jsonl", DAY3)
        run_into(running, "views", second, "sqlite", out, DAY3)
    older, newer = (
        {i["date"]: i["value"] for i in map(json.loads, (tmp_path / f).read_text().splitlines())}
        for f in ("older.jsonl", "newer.jsonl")
    )
    overlap = [f"2026-01-{n:02d}" for n in range(5, 11)]
    assert any(older[d] != newer[d] for d in overlap), "the seeds gave the same values; the test would prove nothing"
    stored = rows(out, "SELECT date, as_of, value FROM observation ORDER BY date")
    assert [d for d, _, _ in stored] == [f"2026-01-{n:02d}" for n in range(1, 16)]  # one row per day: 15
    assert all(as_of == date for date, as_of, _ in stored)  # a dated value is as of its own date
    assert {d: v for d, _, v in stored} == {**older, **newer}  # the newer fetch wins where they overlap


# -- files: JSON Lines and CSV carry as_of ---------------------------------------------------


def test_json_lines_and_csv_carry_as_of(tmp_path: Path):
    with serve_sandbox("metrika") as running:
        run_into(running, "accounts", METRIKA_RESOURCES, "jsonl", tmp_path / "out.jsonl", "2026-03-04T22:00:00-05:00")
        run_into(running, "accounts", METRIKA_RESOURCES, "csv", tmp_path / "csv", "2026-03-04T22:00:00-05:00")
    items = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    observations = [i for i in items if i["type"] == "observation"]
    # 22:00 in New York is 03:00 UTC the next day: the UTC day is the key.
    assert observations and {i["as_of"] for i in observations} == {"2026-03-05"}
    assert all("as_of" not in i for i in items if i["type"] == "account")
    assert all(from_item(i) == from_item(json.loads(json.dumps(i))) for i in items)
    with open(tmp_path / "csv" / "observation.csv", newline="") as file:
        table = list(csv.DictReader(file))
    assert len(table) == len(observations) and {r["as_of"] for r in table} == {"2026-03-05"}


# -- the record rule, for any day ---------------------------------------------------------

instants = st.datetimes(
    min_value=dt.datetime(2000, 1, 1),
    max_value=dt.datetime(2100, 1, 1),
    timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=-7)), dt.timezone(dt.timedelta(hours=9))]),
)


def snapshot(at: dt.datetime, date: dt.date | None = None) -> Observation:
    return Observation("v", "p", "account", "a1", "followers", 5, date=date, fetched_at=at, dimensions={"country": "US"})


@settings(max_examples=200, deadline=None)
@given(instants, instants)
def test_snapshot_keys_are_equal_exactly_on_the_same_utc_day(first: dt.datetime, second: dt.datetime):
    same_day = first.astimezone(dt.UTC).date() == second.astimezone(dt.UTC).date()
    assert (natural_key(snapshot(first)) == natural_key(snapshot(second))) == same_day


@settings(max_examples=200, deadline=None)
@given(instants, instants, st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 1, 1)), st.dates())
def test_dated_keys_follow_the_vendor_date_never_the_fetch(first: dt.datetime, second: dt.datetime, day: dt.date, other: dt.date):
    assert natural_key(snapshot(first, day)) == natural_key(snapshot(second, day))
    assert (natural_key(snapshot(first, day)) == natural_key(snapshot(first, other))) == (day == other)
    # A snapshot fetched on the very day a vendor value is dated is another row.
    assert natural_key(snapshot(first, first.astimezone(dt.UTC).date())) != natural_key(snapshot(first))


def test_as_of_comes_from_the_clock_when_there_is_no_fetch_time():
    with clock.frozen("2026-05-06T23:30:00Z"):
        records = [
            Observation("v", "p", "account", "a", "followers", 1),
            Post("v", "p", "post1", metrics={"likes": 3}),
            Relation("v", "p", "a", "mentions", "b", value=2),
        ]
    assert {r.as_of for r in records} == {dt.date(2026, 5, 6)}
    with pytest.raises(PayloadError, match="as_of"):
        Observation("v", "p", "account", "a", "views", 1, date=dt.date(2026, 1, 1), as_of=dt.date(2026, 1, 2))
    # A JSON item from before as_of existed gets it from its fetch time.
    old = {k: v for k, v in to_item(snapshot(dt.datetime(2025, 12, 31, 23, tzinfo=dt.UTC))).items() if k != "as_of"}
    assert from_item(old).as_of == dt.date(2025, 12, 31)


record_values = st.one_of(
    st.none(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=5),
)
any_record = st.one_of(
    st.builds(
        Observation,
        vendor=st.just("v"),
        platform=st.sampled_from(["x", "ig"]),
        entity_type=st.sampled_from(["account", "post"]),
        entity_id=st.text(min_size=1, max_size=4),
        metric=st.sampled_from(["followers", "views"]),
        value=record_values,
        date=st.none() | st.dates(),
        fetched_at=st.none() | instants,
        dimensions=st.dictionaries(st.sampled_from(["country", "age", "é"]), st.text(max_size=3), max_size=2),
    ),
    st.builds(
        Post, vendor=st.just("v"), platform=st.just("x"), post_id=st.text(min_size=1, max_size=4), as_of=st.none() | st.dates()
    ),
    st.builds(
        Relation,
        vendor=st.just("v"),
        platform=st.just("x"),
        entity_id=st.text(max_size=3),
        relation=st.just("r"),
        other_id=st.text(max_size=3),
        value=record_values,
        as_of=st.none() | st.dates(),
    ),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(any_record, max_size=8))
def test_keys_recomputed_from_stored_rows_match_the_writer(tmp_path_factory: pytest.TempPathFactory, records: list[Any]):
    # The migration recomputes _key from rows: it must agree with what the writer stored.
    path = tmp_path_factory.mktemp("keys") / "out.sqlite"
    with SqliteWriter(path) as writer:
        for record in records:
            writer.write(record)
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        for name, cls in (("observation", Observation), ("post", Post), ("relation", Relation)):
            for row in db.execute(f"SELECT * FROM {name}"):
                data = {k: row[k] for k in row.keys()}
                if "dimensions" in data:
                    data["dimensions"] = json.loads(data["dimensions"])
                assert json.dumps(list(key_of(cls, data))) == row["_key"]
    assert sum(
        n
        for n in rows(
            path, "SELECT (SELECT COUNT(*) FROM observation) + (SELECT COUNT(*) FROM post) + (SELECT COUNT(*) FROM relation)"
        )[0]
    ) == len({(type(r), natural_key(r)) for r in records})


# -- SQLite: typed columns, migration, new fields ------------------------------------------


def test_columns_are_typed_from_the_record_classes(tmp_path: Path):
    path = tmp_path / "typed.sqlite"
    SqliteWriter(path).close()
    types = {
        name: dict((c, t) for _, c, t, *_ in rows(path, f'PRAGMA table_info("{name}")'))
        for name in ("observation", "post", "account")
    }
    assert types["observation"] == {
        "_key": "TEXT", "vendor": "TEXT", "platform": "TEXT", "entity_type": "TEXT", "entity_id": "TEXT", "metric": "TEXT",
        "value": "", "date": "TEXT", "fetched_at": "TEXT", "status": "TEXT", "dimensions": "TEXT", "unit": "TEXT",
        "canonical": "INTEGER", "as_of": "TEXT", "attributes": "TEXT", "_stored_on": "TEXT",
    }  # fmt: skip
    assert types["account"]["ids"] == types["account"]["attributes"] == types["post"]["ids"] == "TEXT"
    assert types["post"]["metrics"] == "TEXT" and types["post"]["created_at"] == "TEXT"
    assert types["account"]["categories"] == "TEXT" and "as_of" not in types["account"]
    # The day each row was last written, what a vendor's retention counts from (socialtap.terms).
    assert {types[name]["_stored_on"] for name in types} == {"TEXT"}
    assert rows(path, "PRAGMA user_version") == [(SQLITE_SCHEMA_VERSION,)]


# The schema and keys the writer used before as_of: untyped columns, _key without as_of.
OLD_COLUMNS = {
    "account": "vendor, platform, account_id, username, display_name, url, country, categories, status",
    "post": "vendor, platform, post_id, account_id, url, created_at, text, media_type, metrics",
    "observation": "vendor, platform, entity_type, entity_id, metric, value, date, fetched_at, status, dimensions, unit, canonical",
    "relation": "vendor, platform, entity_id, relation, other_id, other_name, value",
}


def old_file(path: Path) -> None:
    db = sqlite3.connect(path)
    for name, columns in OLD_COLUMNS.items():
        quoted = ", ".join(f'"{c.strip()}"' for c in columns.split(","))
        db.execute(f'CREATE TABLE "{name}" (_key TEXT PRIMARY KEY, {quoted})')

    def put(name: str, key: list[str], *values: Any) -> None:
        db.execute(f'INSERT INTO "{name}" VALUES ({", ".join("?" * (len(values) + 1))})', [json.dumps(key), *values])

    put("account", ["m", "ig", "natgeo"], "m", "ig", "natgeo", "@natgeo", None, None, None, "[]", "available")
    put("post", ["m", "ig", "p1"], "m", "ig", "p1", "natgeo", None, "2025-12-01T10:00:00+00:00", "hi", None, '{"likes": 5}')
    put("relation", ["m", "ig", "natgeo", "mentions", "nasa"], "m", "ig", "natgeo", "mentions", "nasa", None, 3)
    snap = ["m", "ig", "account", "natgeo", "followers", "None", "{}"]
    put(
        "observation",
        snap,
        "m",
        "ig",
        "account",
        "natgeo",
        "followers",
        100,
        None,
        "2026-01-02T09:00:00+00:00",
        "available",
        "{}",
        None,
        1,
    )
    put(
        "observation",
        ["m", "ig", "account", "natgeo", "posts", "None", "{}"],
        "m",
        "ig",
        "account",
        "natgeo",
        "posts",
        str(2**80),
        None,
        "2026-01-02T09:00:00+00:00",
        "available",
        "{}",
        None,
        1,
    )
    put(
        "observation",
        ["m", "ig", "account", "natgeo", "views", "2025-12-30", "{}"],
        "m",
        "ig",
        "account",
        "natgeo",
        "views",
        7,
        "2025-12-30",
        None,
        "available",
        "{}",
        None,
        1,
    )
    # Two rows that fall on one new key (here: a key written with dimensions out of order by
    # hand): the one fetched later is kept.
    put(
        "observation",
        ["x", "1"],
        "m",
        "ig",
        "account",
        "natgeo",
        "reach",
        1,
        None,
        "2026-01-02T10:00:00+00:00",
        "available",
        '{"b": "2", "a": "1"}',
        None,
        1,
    )
    put(
        "observation",
        ["x", "0"],
        "m",
        "ig",
        "account",
        "natgeo",
        "reach",
        2,
        None,
        "2026-01-02T08:00:00+00:00",
        "available",
        '{"a": "1", "b": "2"}',
        None,
        1,
    )
    db.commit()
    db.close()


def test_a_file_from_before_history_is_migrated_keeping_every_row(tmp_path: Path):
    path = tmp_path / "old.sqlite"
    old_file(path)
    SqliteWriter(path).close()
    assert rows(path, "SELECT username FROM account") == [("@natgeo",)]
    assert rows(path, "SELECT post_id, metrics, as_of FROM post") == [("p1", '{"likes": 5}', None)]  # day unknown
    assert rows(path, "SELECT other_id, value, as_of FROM relation") == [("nasa", 3, None)]
    observed = rows(path, "SELECT metric, value, typeof(value), date, as_of FROM observation ORDER BY metric")
    assert observed == [
        ("followers", 100, "integer", None, "2026-01-02"),
        ("posts", str(2**80), "text", None, "2026-01-02"),  # the exact big integer survives
        ("reach", 1, "integer", None, "2026-01-02"),  # the later of the two colliding rows
        ("views", 7, "integer", "2025-12-30", "2025-12-30"),
    ]
    assert dict((c, t) for _, c, t, *_ in rows(path, 'PRAGMA table_info("observation")'))["canonical"] == "INTEGER"
    # The recomputed keys are the writer's: a new run on the snapshot's day replaces it, the next day adds.
    with SqliteWriter(path) as writer:
        writer.write(
            Observation("m", "ig", "account", "natgeo", "followers", 101, fetched_at=dt.datetime(2026, 1, 2, 20, tzinfo=dt.UTC))
        )
        writer.write(
            Observation("m", "ig", "account", "natgeo", "followers", 102, fetched_at=dt.datetime(2026, 1, 3, 9, tzinfo=dt.UTC))
        )
        writer.write(Observation("m", "ig", "account", "natgeo", "views", 8, date=dt.date(2025, 12, 30)))
    assert rows(path, "SELECT as_of, value FROM observation WHERE metric = 'followers' ORDER BY as_of") == [
        ("2026-01-02", 101),
        ("2026-01-03", 102),
    ]
    assert rows(path, "SELECT value FROM observation WHERE metric = 'views'") == [(8,)]
    assert not rows(path, "SELECT name FROM sqlite_master WHERE name LIKE '%migrating%'")


@attrs.frozen
class NoteV1:
    """A record class as one version of socialtap had it..."""

    vendor: str
    note_id: str
    text: str | None = None
    natural_key: ClassVar[tuple[str, ...]] = ("vendor", "note_id")


@attrs.frozen
class NoteV2:
    """...and as the next one has it, with two more fields."""

    vendor: str
    note_id: str
    text: str | None = None
    score: float | None = None
    tags: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    natural_key: ClassVar[tuple[str, ...]] = ("vendor", "note_id")


def test_a_record_class_gaining_a_field_adds_a_typed_column_without_losing_rows(tmp_path: Path):
    path = tmp_path / "notes.sqlite"
    with SqliteWriter(path, record_types={"note": NoteV1}) as writer:
        writer.write(NoteV1("v", "n1", "first"))
        writer.write(NoteV1("v", "n2", "second"))
    with SqliteWriter(path, record_types={"note": NoteV2}) as writer:
        writer.write(NoteV2("v", "n2", "second, edited", 0.5, ("a",)))
        writer.write(NoteV2("v", "n3", "third", 1.5))
    columns = {c: t for _, c, t, *_ in rows(path, 'PRAGMA table_info("note")')}
    assert columns["score"] == "REAL" and columns["tags"] == "TEXT"
    assert rows(path, "SELECT note_id, text, score, tags FROM note ORDER BY note_id") == [
        ("n1", "first", None, None),
        ("n2", "second, edited", 0.5, '["a"]'),
        ("n3", "third", 1.5, "[]"),
    ]


# -- socialtap_runs ---------------------------------------------------------------------------


def test_every_run_leaves_a_row_in_socialtap_runs_failed_runs_too(tmp_path: Path):
    out = tmp_path / "runs.sqlite"
    with serve_sandbox("example") as running:
        run_into(running, "profiles", {"profile_id": ["ann", "bob"]}, "sqlite", out, DAY1)
        with pytest.raises(ChainsFailedError) as caught:
            run_into(running, "profiles", {"profile_id": ["cat", "missing-dan"]}, "sqlite", out, DAY2)
        run_into(running, "views", {"ids": ["ann"], "start_date": "2026-01-01", "end_date": "2026-01-03"}, "sqlite", out, DAY3)
    runs = rows(
        out, "SELECT task_id, vendor, stream, params, window, started, finished, records, outcome FROM socialtap_runs ORDER BY id"
    )
    assert len(runs) == 3
    ok, failed, views = runs
    assert ok[1:5] == ("example", "profiles", '{"profile_id": ["ann", "bob"]}', None)
    assert ok[5:7] == ("2026-01-02T09:00:00+00:00", "2026-01-02T09:00:00+00:00")
    assert json.loads(ok[7]) == {"account": 2, "observation": 4} and ok[8] == "ok"
    # The failed run kept what it wrote, and says why it failed (the report's error text).
    assert json.loads(failed[7]) == {"account": 1, "observation": 2}
    assert failed[8] == caught.value.report.error and failed[8].startswith("ChainsFailedError") and "missing-dan" in failed[8]
    assert rows(out, "SELECT account_id FROM account ORDER BY 1") == [("ann",), ("bob",), ("cat",)]
    assert ok[0] != failed[0] and views[2] == "views" and json.loads(views[7]) == {"observation": 3}


def test_a_run_that_fails_before_any_record_is_logged_only_into_an_existing_file(tmp_path: Path):
    out, absent = tmp_path / "runs.sqlite", tmp_path / "absent.sqlite"
    with serve_sandbox("example") as running:
        run_into(running, "profiles", {"profile_id": ["ann"]}, "sqlite", out, DAY1)
        wrong = {"token": "wrong-token-4242"}
        for path in (out, absent):
            task = Task("example", "profiles", {"profile_id": ["ann"]}, wrong, Options(base_url=running.base_url))
            with clock.frozen(DAY2), pytest.raises(AuthError):
                run_to_output(task, "sqlite", str(path))
    assert not absent.exists()  # nothing fetched, nothing created
    (first, _), (outcome, counts) = rows(out, "SELECT outcome, records FROM socialtap_runs ORDER BY id")
    assert first == "ok" and outcome.startswith("AuthError") and json.loads(counts) == {}
    assert "wrong-token-4242" not in outcome
    assert rows(out, "SELECT COUNT(*) FROM account") == [(1,)]  # the earlier run's rows are untouched


def test_the_run_window_is_stored_as_json(tmp_path: Path):
    path = tmp_path / "window.sqlite"
    report = RunReport("example", "views", "t1", records={"observation": 3}, window={"start": "2026-01-01", "end": "2026-01-03"})
    at = dt.datetime(2026, 1, 4, 1, 2, 3, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    with SqliteWriter(path) as writer:
        writer.log_run(report, params={"ids": ["ann"]}, started=at, finished=at + dt.timedelta(seconds=5))
    assert rows(path, "SELECT window, started, finished, outcome FROM socialtap_runs") == [
        ('{"end": "2026-01-03", "start": "2026-01-01"}', "2026-01-03T23:02:03+00:00", "2026-01-03T23:02:08+00:00", "ok")
    ]


def test_the_cli_builds_history_from_the_clock_in_its_environment(run_socialtap, example_sqlite_args, tmp_path: Path):
    db = tmp_path / "cli.sqlite"
    args = example_sqlite_args(db)
    for now in ("2026-02-01T08:00:00Z", "2026-02-01T20:00:00Z", "2026-02-02T08:00:00Z"):
        done = run_socialtap(*args, env={"SOCIALTAP_NOW": now})
        assert done.returncode == 0, done.stderr
    assert rows(db, "SELECT as_of, COUNT(*) FROM observation GROUP BY as_of") == [("2026-02-01", 4), ("2026-02-02", 4)]
    assert rows(db, "SELECT started, outcome FROM socialtap_runs ORDER BY id") == [
        ("2026-02-01T08:00:00+00:00", "ok"),
        ("2026-02-01T20:00:00+00:00", "ok"),
        ("2026-02-02T08:00:00+00:00", "ok"),
    ]


@attrs.frozen
class Counted:
    """A record class with a plain ``int`` field (an INTEGER column)."""

    vendor: str
    count: int
    natural_key: ClassVar[tuple[str, ...]] = ("vendor",)


def test_an_integer_column_refuses_a_number_it_would_round(tmp_path: Path):
    path = tmp_path / "ints.sqlite"
    with SqliteWriter(path, record_types={"counted": Counted}) as writer:
        writer.write(Counted("a", 2**63 - 1))
        with pytest.raises(PayloadError, match="count"):
            writer.write(Counted("b", 2**63))
    assert rows(path, "SELECT vendor, count, typeof(count) FROM counted") == [("a", 2**63 - 1, "integer")]
