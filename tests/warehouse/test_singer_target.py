"""``socialtap run --format singer`` piped into a real Singer target (target-jsonl, installed
from the registry into a virtualenv of its own by ``make install-warehouse``).

Each run is the real command line (``python -m socialtap``) with ``--sandbox`` and the day
set by ``SOCIALTAP_NOW``; its stdout is the target's stdin, and the target's stdout is the
state it emits, which the next run takes with ``--state``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from warehouse_support import CATEGORY, ENTITY

from socialtap.records import from_item
from socialtap.warehouse import key_text

SERIES = ["-p", f"entity_id={ENTITY}", "-p", "service=facebook", "-p", "fields=total_actions"]


@pytest.fixture
def target() -> str:
    path = os.environ.get("SOCIALTAP_SINGER_TARGET")
    if not path or not os.access(path, os.X_OK):
        pytest.fail("SOCIALTAP_SINGER_TARGET must name the Singer target's executable: run `make test-warehouse`")
    return path


def socialtap(args: list[str], now: str, tmp_path) -> subprocess.Popen:
    env = {**os.environ, "SOCIALTAP_NOW": now, "XDG_STATE_HOME": str(tmp_path / "xdg")}
    env.pop("SOCIALTAP_STATE", None)
    return subprocess.Popen(
        [sys.executable, "-m", "socialtap", "run", *args, "--sandbox"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=env,
    )


def pipe(args: list[str], now: str, tmp_path, target: str, into: str) -> dict:
    """Run socialtap into the target; return the last state the target emitted."""
    out = tmp_path / into
    out.mkdir(exist_ok=True)
    config = tmp_path / "target.json"
    config.write_text(json.dumps({"destination_path": str(out), "do_timestamp_file": False}))
    tap = socialtap([*args, "--format", "singer"], now, tmp_path)
    done = subprocess.run([target, "--config", str(config)], stdin=tap.stdout, capture_output=True, text=True, check=False)
    tap.stdout.close()
    tap_err = tap.stderr.read().decode()
    assert tap.wait() == 0, tap_err
    assert done.returncode == 0, done.stderr
    states = [line for line in done.stdout.splitlines() if line.strip()]
    return json.loads(states[-1])


def landed(tmp_path, into: str, table: str) -> list[dict]:
    path = tmp_path / into / f"{table}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def jsonl_rows(args: list[str], now: str, tmp_path, record_type: str) -> list[dict]:
    """What ``--format jsonl`` writes of one record type for the same task, as rows: ``_key`` added, ``type`` dropped."""
    tap = socialtap(args, now, tmp_path)
    stdout, stderr = tap.communicate()
    assert tap.returncode == 0, stderr.decode()
    rows = []
    for line in stdout.decode().splitlines():
        item = json.loads(line)
        if item["type"] != record_type:
            continue
        data = {k: v for k, v in item.items() if k != "type"}
        rows.append({"_key": key_text(type(from_item(item)), data), **data})
    return rows


def test_a_singer_pipe_lands_every_record_in_the_target_and_the_state_round_trips(tmp_path, target):
    first = pipe(
        ["shareablee", "user_time_series", *SERIES, "--incremental", "--start", "2026-03-01"],
        "2026-03-05T10:00:00Z",
        tmp_path,
        target,
        "one",
    )
    rows = landed(tmp_path, "one", "shareablee_observation")
    fixed = ["shareablee", "user_time_series", *SERIES, "-p", "start_date=2026-03-01", "-p", "end_date=2026-03-05"]
    assert rows == jsonl_rows(fixed, "2026-03-05T10:00:00Z", tmp_path, "observation"), (
        "the target holds exactly the JSON Lines records"
    )
    assert [r["date"] for r in rows] == [f"2026-03-0{d}" for d in range(1, 6)]
    (entry,) = first["bookmarks"]["shareablee.user_time_series"].values()
    assert (entry["window_start"], entry["window_end"]) == ("2026-03-01", "2026-03-05")

    state = tmp_path / "state.json"
    state.write_text(json.dumps(first))
    second = pipe(
        ["shareablee", "user_time_series", *SERIES, "--incremental", "--state", str(state)],
        "2026-03-07T10:00:00Z",
        tmp_path,
        target,
        "two",
    )
    assert [r["date"] for r in landed(tmp_path, "two", "shareablee_observation")] == ["2026-03-05", "2026-03-06", "2026-03-07"], (
        "only the days after the bookmark (and the bookmark day, refetched)"
    )
    (entry,) = second["bookmarks"]["shareablee.user_time_series"].values()
    assert (entry["window_start"], entry["window_end"]) == ("2026-03-05", "2026-03-07")


def test_a_stream_of_two_record_types_lands_in_two_tables_with_their_keys(tmp_path, target):
    args = ["shareablee", "category_members", "-p", f"category_id={CATEGORY}", "-p", "service=facebook"]
    state = pipe(args, "2026-03-05T10:00:00Z", tmp_path, target, "members")
    accounts, relations = landed(tmp_path, "members", "shareablee_account"), landed(tmp_path, "members", "shareablee_relation")
    assert accounts == jsonl_rows(args, "2026-03-05T10:00:00Z", tmp_path, "account")
    assert relations == jsonl_rows(args, "2026-03-05T10:00:00Z", tmp_path, "relation")
    assert len(accounts) == len({r["_key"] for r in accounts}) > 0
    assert len(relations) == len({r["_key"] for r in relations}) > 0
    assert state == {}, "no window, no bookmark: the state passes through"
