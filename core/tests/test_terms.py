"""Vendor data terms (socialtap.terms): personal fields left out, retention honoured.

Shareablee declares its documented terms (no social URLs, friendly names or handles; no
data kept past 60 days). Every run is real HTTP against its sandbox on 127.0.0.1; days
are simulated with :func:`socialtap.clock.frozen` (``SOCIALTAP_NOW`` for the CLI).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

import attrs
import pytest

from socialtap import clock
from socialtap.errors import ConfigError
from socialtap.outputs import STORED_ON, SqliteWriter
from socialtap.plugins import get_registry
from socialtap.prune import prune
from socialtap.records import Account, Observation, Post, Relation
from socialtap.runner import Options, RunReport, Task, run_to_output
from socialtap.terms import DataTerms
from socialtap.testing import serve_sandbox
from socialtap_shareablee.sandbox import ShareableeSandbox

WORLD = ShareableeSandbox(seed=0)
CATEGORY = next(iter(WORLD.categories))
ENTITY = next(iter(WORLD.entities))
# facebook: its profiles have a display_name and a link (twitter's have neither, and none is made up)
MEMBERS = {"category_id": [CATEGORY], "service": "facebook"}
CONTENT = {"entity_id": [ENTITY], "service": "facebook"}
DAY0 = dt.datetime(2026, 1, 2, 9, tzinfo=dt.UTC)
PERSONAL = {"account.username", "account.display_name", "account.url", "relation.other_name"}
ENV = "SOCIALTAP_SHAREABLEE_KEEP_PERSONAL_DATA"


def day(n: int) -> dt.datetime:
    return DAY0 + dt.timedelta(days=n)


@pytest.fixture(autouse=True)
def no_agreement(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)


@pytest.fixture(scope="module")
def shareablee():
    with serve_sandbox("shareablee") as running:
        yield running


def run_into(
    running: Any, fmt: str, out: Path, *, stream: str = "category_members", params: dict | None = None, at=DAY0, **options: Any
) -> RunReport:
    task = Task("shareablee", stream, params or MEMBERS, running.credentials, Options(base_url=running.base_url, **options))
    with clock.frozen(at):
        return run_to_output(task, fmt, str(out))


def read_back(fmt: str, out: Path) -> dict[str, list[dict[str, Any]]]:
    """Rows per record type as the output holds them (CSV's empty cell read as None)."""
    if fmt == "jsonl":
        found: dict[str, list[dict[str, Any]]] = {}
        for line in out.read_text().splitlines():
            item = json.loads(line)
            found.setdefault(item.pop("type"), []).append(item)
        return found
    if fmt == "csv":
        return {
            name: [{k: (v or None) for k, v in row.items()} for row in csv.DictReader((out / f"{name}.csv").open())]
            for name in ("account", "relation")
        }
    with sqlite3.connect(out) as db:
        db.row_factory = sqlite3.Row
        return {name: [dict(row) for row in db.execute(f'SELECT * FROM "{name}"')] for name in ("account", "relation")}


def out_path(tmp_path: Path, fmt: str) -> Path:
    return tmp_path / {"jsonl": "out.jsonl", "csv": "out", "sqlite": "out.sqlite"}[fmt]


# -- the declaration --------------------------------------------------------------------


def test_shareablee_declares_the_documented_terms():
    terms = get_registry().get("shareablee").terms
    assert terms is not None and terms.retention_days == 60
    # The common fields the docs' words name; the ids and attributes Shareablee also
    # declares are pinned by plugins/shareablee/tests/test_shareablee_fields.py.
    declared = dict(terms.personal_fields)
    for kind, names in {"account": ("username", "display_name", "url"), "post": ("url",), "relation": ("other_name",)}.items():
        assert set(names) <= set(declared[kind])


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"profile": ("url",)}, "not a record type"),
        ({"account": ("handle",)}, "not a field of Account"),
        ({"account": ("account_id",)}, "natural key"),
        ({"observation": ("dimensions",)}, "natural key"),
        ({"account": ("url.host",)}, "only a dict field"),
    ],
)
def test_a_contradictory_declaration_fails_when_built(fields, message):
    with pytest.raises(ValueError, match=message):
        DataTerms(personal_fields=fields)


def test_redact_nulls_scalars_and_drops_dict_keys_and_names_only_what_held_a_value():
    terms = DataTerms(personal_fields={"account": ("username", "url"), "post": ("url", "metrics.author_id")})
    dropped: set[str] = set()
    account = terms.redact(Account("v", "x", "1", username="ann", display_name="Ann"), dropped)
    assert (account.username, account.url, account.display_name) == (None, None, "Ann")
    post = terms.redact(Post("v", "x", "p1", url="https://x/p1", metrics={"likes": 3, "author_id": 9}), dropped)
    assert (post.url, post.metrics) == (None, {"likes": 3})
    assert dropped == {"account.username", "post.url", "post.metrics.author_id"}  # account.url was already empty
    observation = Observation("v", "x", "account", "1", "followers", 5)
    assert terms.redact(observation) is observation  # no personal fields declared for it


# -- personal fields: left out by default, kept with an agreement --------------------------


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "sqlite"])
def test_personal_fields_are_null_by_default_and_the_report_says_so_once(shareablee, tmp_path, fmt):
    out = out_path(tmp_path, fmt)
    report = run_into(shareablee, fmt, out)
    stored = read_back(fmt, out)
    assert stored["account"] and stored["relation"]
    assert {(a["username"], a["display_name"], a["url"]) for a in stored["account"]} == {(None, None, None)}
    assert {r["other_name"] for r in stored["relation"]} == {None}
    assert all(a["account_id"] for a in stored["account"])  # the ids every record joins on stay
    personal = [w for w in report.warnings if "personal data" in w]
    assert len(personal) == 1
    for field in PERSONAL:
        assert field in personal[0]
    assert "--keep-personal-data" in personal[0] and f"{ENV}=1" in personal[0]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "sqlite"])
@pytest.mark.parametrize("how", ["option", "env"])
def test_personal_fields_are_kept_with_an_agreement(shareablee, tmp_path, monkeypatch, fmt, how):
    if how == "env":
        monkeypatch.setenv(ENV, "1")
    out = out_path(tmp_path, fmt)
    report = run_into(shareablee, fmt, out, keep_personal_data=how == "option")
    stored = read_back(fmt, out)
    assert all(a["username"] and a["display_name"] and a["url"] for a in stored["account"])
    assert all(r["other_name"] for r in stored["relation"])
    assert not [w for w in report.warnings if "personal data" in w]


def test_post_urls_are_left_out_but_their_metrics_kept(shareablee, tmp_path):
    out = tmp_path / "posts.jsonl"
    report = run_into(shareablee, "jsonl", out, stream="user_content", params=CONTENT)
    posts = [json.loads(line) for line in out.read_text().splitlines()]
    assert posts and {p["url"] for p in posts} == {None}
    assert all(p["metrics"] for p in posts)
    assert "post.url" in next(w for w in report.warnings if "personal data" in w)


def test_an_unreadable_agreement_setting_stops_the_run_before_any_request(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, "maybe")
    out = tmp_path / "out.jsonl"
    seen: list[str] = []

    def counting(app):
        def wrapped(environ, start_response):
            seen.append(environ["PATH_INFO"])
            return app(environ, start_response)

        return wrapped

    with serve_sandbox("shareablee", wrap=counting) as running, pytest.raises(ConfigError, match=ENV):
        run_into(running, "jsonl", out)
    assert seen == [] and not out.exists()


def test_a_vendor_without_terms_is_untouched(tmp_path):
    out = tmp_path / "example.jsonl"
    with serve_sandbox("example") as running:
        task = Task("example", "profiles", {"profile_id": ["a"]}, running.credentials, Options(base_url=running.base_url))
        report = run_to_output(task, "jsonl", str(out))
    assert report.warnings == []
    assert any(json.loads(line).get("username") for line in out.read_text().splitlines())


# -- retention ----------------------------------------------------------------------------


def counts(out: Path) -> dict[str, int]:
    with sqlite3.connect(out) as db:
        return {name: db.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in ("account", "relation", "post")}


def test_sqlite_output_deletes_rows_stored_more_than_60_days_ago_on_every_write(shareablee, tmp_path):
    out = tmp_path / "kept.sqlite"
    first = run_into(shareablee, "sqlite", out, at=day(0))
    members = counts(out)
    assert members["account"] and members["relation"]
    assert not [w for w in first.warnings if "60 days" in w]  # a SQLite output is pruned, not warned about
    # Day 60: the members fetched on day 0 are 60 days old, which the terms still allow.
    run_into(shareablee, "sqlite", out, stream="user_content", params=CONTENT, at=day(60))
    at_60 = counts(out)
    assert (at_60["account"], at_60["relation"]) == (members["account"], members["relation"]) and at_60["post"]
    # Day 61: they go; the posts written on day 60 stay, beside day 61's (a row per post per day).
    report = run_into(shareablee, "sqlite", out, stream="user_content", params=CONTENT, at=day(61))
    assert counts(out) == {"account": 0, "relation": 0, "post": 2 * at_60["post"]}
    deleted = next(w for w in report.warnings if "deleted its rows stored longer ago" in w)
    assert f"{members['account']} account" in deleted and f"{members['relation']} relation" in deleted


def test_a_row_written_again_counts_from_its_latest_write(shareablee, tmp_path):
    out = tmp_path / "refreshed.sqlite"
    run_into(shareablee, "sqlite", out, at=day(0))
    run_into(shareablee, "sqlite", out, at=day(50))  # the same accounts and relations, upserted
    run_into(shareablee, "sqlite", out, stream="user_content", params=CONTENT, at=day(100))
    assert counts(out)["account"] and counts(out)["relation"]  # 50 days since their last write
    with sqlite3.connect(out) as db:
        assert {row[0] for row in db.execute(f'SELECT "{STORED_ON}" FROM account')} == {"2026-02-21"}


def test_retention_leaves_other_vendors_rows(shareablee, tmp_path):
    out = tmp_path / "mixed.sqlite"
    with serve_sandbox("example") as example, clock.frozen(day(0)):
        task = Task("example", "profiles", {"profile_id": ["a", "b"]}, example.credentials, Options(base_url=example.base_url))
        run_to_output(task, "sqlite", str(out))
    with sqlite3.connect(out) as db:
        example_rows = db.execute("SELECT COUNT(*) FROM account WHERE vendor = 'example'").fetchone()[0]
    assert example_rows
    run_into(shareablee, "sqlite", out, at=day(0))
    run_into(shareablee, "sqlite", out, stream="user_content", params=CONTENT, at=day(90))
    with sqlite3.connect(out) as db:
        by_vendor = dict(db.execute("SELECT vendor, COUNT(*) FROM account GROUP BY vendor").fetchall())
    assert by_vendor == {"example": example_rows}


def test_prune_dry_run_counts_then_prune_deletes(shareablee, tmp_path):
    out = tmp_path / "prune.sqlite"
    run_into(shareablee, "sqlite", out, at=day(0))
    before = counts(out)
    with clock.frozen(day(60)):
        assert prune(out) == {}
    with clock.frozen(day(61)):
        assert prune(out, dry_run=True) == {"shareablee": {"account": before["account"], "relation": before["relation"]}}
        assert counts(out) == before
        assert prune(out) == {"shareablee": {"account": before["account"], "relation": before["relation"]}}
    assert counts(out) == {"account": 0, "relation": 0, "post": 0}


def test_prune_command(run_socialtap, tmp_path, shareablee):
    out = tmp_path / "cli.sqlite"
    run_into(shareablee, "sqlite", out, at=day(0))
    before = counts(out)
    later = {"SOCIALTAP_NOW": day(61).isoformat()}
    dry = run_socialtap("prune", str(out), "--dry-run", env=later)
    assert dry.returncode == 0, dry.stderr
    assert f"shareablee: would delete {before['account']} account, {before['relation']} relation" in dry.stdout
    assert counts(out) == before
    done = run_socialtap("prune", str(out), env=later)
    assert done.returncode == 0, done.stderr
    assert "shareablee: deleted" in done.stdout and counts(out)["account"] == 0
    again = run_socialtap("prune", str(out), env=later)
    assert "nothing to prune" in again.stdout and "shareablee 60 days" in again.stdout
    not_sqlite = tmp_path / "notes.txt"
    not_sqlite.write_text("hello")
    refused = run_socialtap("prune", str(not_sqlite))
    assert refused.returncode == 2 and "not a SQLite database" in refused.stderr
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE notes (text TEXT)")
    foreign = run_socialtap("prune", str(other))
    assert foreign.returncode == 2 and "no socialtap tables" in foreign.stderr
    with sqlite3.connect(other) as db:  # left as it was
        assert [row[0] for row in db.execute("SELECT name FROM sqlite_master")] == ["notes"]


def test_rows_stored_before_the_column_existed_count_from_their_as_of(tmp_path):
    out = tmp_path / "old.sqlite"
    with clock.frozen(day(0)), SqliteWriter(out) as writer:
        writer.write(Relation("shareablee", "twitter", "c1", "category_member", "e1"))
        writer.write(Account("shareablee", "twitter", "e1"))
    with sqlite3.connect(out) as db:  # what a file from before retention looked like
        for table in ("relation", "account"):
            db.execute(f'ALTER TABLE "{table}" DROP COLUMN "{STORED_ON}"')
    with clock.frozen(day(30)), SqliteWriter(out) as writer:
        pass
    with sqlite3.connect(out) as db:
        assert db.execute(f'SELECT "{STORED_ON}" FROM relation').fetchall() == [("2026-01-02",)]  # its as_of
        assert db.execute(f'SELECT "{STORED_ON}" FROM account').fetchall() == [("2026-02-01",)]  # no day: from now


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_file_outputs_warn_with_the_day_to_delete_by(shareablee, tmp_path, fmt):
    out = out_path(tmp_path, fmt)
    report = run_into(shareablee, fmt, out, at=day(0))
    warning = next(w for w in report.warnings if "60 days" in w)
    assert str(out) in warning and "2026-03-03" in warning and "shareablee's terms" in warning


def test_cli_keeps_personal_data_only_when_asked(run_socialtap):
    args = ["run", "shareablee", "category_members", "--sandbox", "-p", f"category_id={CATEGORY}", "-p", "service=twitter"]
    default = run_socialtap(*args)
    assert default.returncode == 0, default.stderr
    accounts = [json.loads(line) for line in default.stdout.splitlines() if '"account"' in line]
    assert accounts and {a["username"] for a in accounts} == {None}
    assert "warning: shareablee's terms" in default.stderr and "--keep-personal-data" in default.stderr
    assert "delete the rows of this output" in default.stderr
    kept = run_socialtap(*args, "--keep-personal-data")
    assert kept.returncode == 0, kept.stderr
    assert all(json.loads(line)["username"] for line in kept.stdout.splitlines() if '"type": "account"' in line)
    assert "personal data" not in kept.stderr
    assert attrs.fields(Options).keep_personal_data.default is False
