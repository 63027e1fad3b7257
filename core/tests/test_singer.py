"""Singer output (``run --format singer``), Singer state and ``spec``/``catalog --format singer``.

These run in the core venv against the shareablee sandbox over real HTTP; the pipe into a
real Singer target is in ``tests/warehouse`` (``make test-warehouse``).
"""

from __future__ import annotations

import datetime as dt
import io
import json

import jsonschema
import pytest

from socialtap import Task, clock
from socialtap.errors import ConfigError, VendorError
from socialtap.plugins import get_registry
from socialtap.runner import Options, RunReport
from socialtap.singer import about, catalog, read_state, run_singer
from socialtap.testing import serve_sandbox
from socialtap.testing.faults import FaultInjector, Faults
from socialtap_shareablee.sandbox import ShareableeSandbox

ENTITY = next(iter(ShareableeSandbox().entities))
SERIES = {"entity_id": ENTITY, "service": "facebook", "fields": ["total_actions"]}


def singer_run(day: str, stream: str, params: dict, *, state=None, faults=None, **options) -> list[dict]:
    """The Singer messages of one in-process run (raises what the run raises, with the messages on ``.messages``)."""
    wrap = FaultInjector.wrapping(faults) if faults else None
    out = io.StringIO()
    with serve_sandbox("shareablee", wrap=wrap) as sandbox, clock.frozen(day):
        task = Task(
            "shareablee", stream, params, sandbox.credentials, Options(base_url=sandbox.base_url, sandbox=True, **options)
        )
        try:
            run_singer(task, None, state=state, report=RunReport("shareablee", stream, ""), stdout=out)
        except Exception as exc:
            exc.messages = [json.loads(line) for line in out.getvalue().splitlines()]  # type: ignore[attr-defined]
            raise
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_messages_follow_the_singer_spec_and_every_record_matches_its_schema():
    messages = singer_run("2026-03-05T10:00:00Z", "user_time_series", SERIES, incremental=True, start=dt.date(2026, 3, 1))
    kinds = [m["type"] for m in messages]
    assert kinds == ["SCHEMA", *["RECORD"] * 5, "STATE"]
    (schema,) = [m for m in messages if m["type"] == "SCHEMA"]
    assert (schema["stream"], schema["key_properties"], schema["bookmark_properties"]) == (
        "shareablee_observation",
        ["_key"],
        ["as_of"],
    )
    for validator in (jsonschema.Draft4Validator, jsonschema.Draft202012Validator):  # targets use draft 4
        validator.check_schema(schema["schema"])
        for message in messages[1:-1]:
            assert message["stream"] == "shareablee_observation"
            validator(schema["schema"]).validate(message["record"])
    keys = [m["record"]["_key"] for m in messages if m["type"] == "RECORD"]
    assert len(set(keys)) == len(keys)
    (entry,) = messages[-1]["value"]["bookmarks"]["shareablee.user_time_series"].values()
    assert (entry["window_start"], entry["window_end"]) == ("2026-03-01", "2026-03-05")
    with serve_sandbox("shareablee") as sandbox:
        secrets = list(sandbox.credentials.values())
    assert not any(secret in json.dumps(messages) for secret in secrets), "credentials never reach messages or state"


def test_the_state_a_target_emitted_starts_the_next_window_and_other_bookmarks_pass_through():
    first = singer_run("2026-03-05T10:00:00Z", "user_time_series", SERIES, incremental=True, start=dt.date(2026, 3, 1))
    state = {**first[-1]["value"], "other": [1]}
    state["bookmarks"]["metrika.visits"] = {"abc": {"window_end": "2026-01-01"}}
    second = singer_run("2026-03-07T10:00:00Z", "user_time_series", SERIES, state=state, incremental=True)
    assert [m["record"]["date"] for m in second if m["type"] == "RECORD"] == ["2026-03-05", "2026-03-06", "2026-03-07"]
    value = second[-1]["value"]
    assert value["other"] == [1] and value["bookmarks"]["metrika.visits"] == {"abc": {"window_end": "2026-01-01"}}
    (entry,) = value["bookmarks"]["shareablee.user_time_series"].values()
    assert (entry["window_start"], entry["window_end"]) == ("2026-03-05", "2026-03-07")
    other_params = {**SERIES, "service": "twitter"}
    fresh = singer_run("2026-03-07T10:00:00Z", "user_time_series", other_params, state=value, incremental=True)
    assert fresh[1]["record"]["date"] == "2026-02-06", "another task's bookmark is its own: a first run, 30 days back"
    assert len(fresh[-1]["value"]["bookmarks"]["shareablee.user_time_series"]) == 2


def test_a_failed_run_keeps_its_messages_but_emits_no_state():
    with pytest.raises(VendorError) as failed:
        singer_run(
            "2026-03-05T10:00:00Z", "user_time_series", SERIES, faults=Faults(first_errors=1), max_attempts=1, incremental=True
        )
    assert [m["type"] for m in failed.value.messages] == ["SCHEMA"]  # type: ignore[attr-defined]


def test_a_snapshot_stream_has_no_bookmark_properties_and_passes_the_state_on():
    category = next(iter(ShareableeSandbox().categories))
    messages = singer_run(
        "2026-03-05T10:00:00Z", "category_members", {"category_id": category, "service": "facebook"}, state={"x": 1}
    )
    schemas = {m["stream"]: m for m in messages if m["type"] == "SCHEMA"}
    assert set(schemas) == {"shareablee_account", "shareablee_relation"}
    assert not any("bookmark_properties" in m for m in schemas.values())
    assert {m["stream"] for m in messages if m["type"] == "RECORD"} == set(schemas)
    assert messages[-1] == {"type": "STATE", "value": {"x": 1}}


@pytest.mark.parametrize(
    "text",
    [
        '{"bookmarks": {"a": {}}}',
        '{"type": "STATE", "value": {"bookmarks": {"a": {}}}}',
        '{"type": "STATE", "value": {}}\n{"type": "STATE", "value": {"bookmarks": {"a": {}}}}\n',
        '{"bookmarks": {"b": {}}}\n{"bookmarks": {"a": {}}}\n',
    ],
)
def test_a_state_file_is_a_value_a_state_message_or_messages_ending_with_one(tmp_path, text):
    path = tmp_path / "state.json"
    path.write_text(text)
    assert read_state(path) == {"bookmarks": {"a": {}}}


@pytest.mark.parametrize("text", ["[1, 2]", "not json", '{"type": "STATE", "value": 3}'])
def test_a_state_file_that_holds_no_state_is_a_config_error_naming_it(tmp_path, text):
    path = tmp_path / "state.json"
    path.write_text(text)
    with pytest.raises(ConfigError, match=r"state\.json"):
        read_state(path)


def test_cli_singer_state_needs_incremental_and_socialtap_state_env_stays_a_checkpoint_file(run_socialtap, tmp_path):
    state = tmp_path / "state.json"
    state.write_text("{}")
    base = ["run", "shareablee", "user_time_series", "-p", f"entity_id={ENTITY}", "-p", "service=facebook", "--sandbox"]
    done = run_socialtap(*base, "--format", "singer", "--state", str(state))
    assert done.returncode == 2 and "add --incremental" in done.stderr, done.stderr
    done = run_socialtap("run", "shareablee", "user_time_series", "-p", "service=facebook", "--sandbox", "--format", "singer")
    assert (done.returncode, done.stdout) == (2, ""), "a bad task says so before any message"
    done = run_socialtap(*base, "--format", "singer", "--resume")
    assert done.returncode == 2 and "--resume does not apply to --format singer" in done.stderr, done.stderr
    env = {"SOCIALTAP_STATE": str(tmp_path / "checkpoints.sqlite"), "SOCIALTAP_NOW": "2026-03-05T10:00:00Z"}
    done = run_socialtap(*base, "-p", "start_date=2026-03-01", "-p", "end_date=2026-03-02", "--format", "singer", env=env)
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["type"] for line in done.stdout.splitlines()] == ["SCHEMA", "RECORD", "RECORD", "STATE"]


@pytest.mark.parametrize("vendor", [v.name for v in get_registry().vendors()])
def test_singer_catalog_and_about_of_every_vendor(vendor, run_socialtap):
    declared = get_registry().get(vendor)
    document = catalog(declared)
    ids = [entry["tap_stream_id"] for entry in document["streams"]]
    assert len(ids) == len(set(ids))
    for entry in document["streams"]:
        jsonschema.Draft4Validator.check_schema(entry["schema"])
        assert entry["key_properties"] == ["_key"] and entry["stream"].startswith(f"{vendor}_")
        top = entry["metadata"][0]["metadata"]
        assert top["socialtap-stream"] in {s.name for s in declared.streams}
        incremental = declared.stream(top["socialtap-stream"]).window is not None and "as_of" in entry["schema"]["properties"]
        assert top["forced-replication-method"] == ("INCREMENTAL" if incremental else "FULL_TABLE")
    assert about(declared)["settings"]["properties"]
    if vendor == "shareablee":
        done = run_socialtap("catalog", vendor, "--format", "singer")
        assert done.returncode == 0 and json.loads(done.stdout) == document
        done = run_socialtap("spec", vendor, "--format", "singer")
        assert done.returncode == 0 and json.loads(done.stdout)["capabilities"] == ["discover", "catalog", "state"]
