"""Values that stay valid: no NaN/Infinity in any JSON output, integers exact at any size.

Policy (socialtap.records): a non-finite Observation value becomes null with status
"unavailable"; a non-finite Relation value or Post metric becomes null; anything else
non-finite is a PayloadError naming the field. SQLite keeps integers beyond 64 bits as
their exact decimal TEXT.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from werkzeug.wrappers import Response as WsgiResponse

sys.path.insert(0, os.path.dirname(__file__))
from engine_support import TOKEN, KeysParams, VendorPlugin

from socialtap import Observation, Options, Post, Relation, Stream, Task, Vendor
from socialtap.auth import Bearer
from socialtap.declarations import Credential
from socialtap.errors import PayloadError
from socialtap.n8n import write_items
from socialtap.outputs import CsvWriter, JsonLinesWriter, SqliteWriter
from socialtap.plugins import make_plugin_manager
from socialtap.records import dumps, observation, to_item
from socialtap.runner import run_to_output
from socialtap.serve import _json, _ndjson
from socialtap.testing import serve_app


def strict_loads(text: str) -> Any:
    """json.loads that rejects NaN/Infinity literals, as every non-Python JSON parser does."""

    def reject(constant: str) -> Any:
        raise ValueError(f"invalid JSON literal {constant}")

    return json.loads(text, parse_constant=reject)


def records_for(value: Any) -> list[Any]:
    return [
        Observation("v", "web", "account", "a", "followers", value),
        Relation("v", "web", "a", "mentions", "b", value=value),
        Post("v", "web", "p1", metrics={"likes": value}),
    ]


def through_every_output(records: list[Any]) -> dict[str, list[dict[str, Any]]]:
    """Write records with every writer and surface; read back what a consumer would see."""
    results: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for writer in (
            JsonLinesWriter(root / "out.jsonl"),
            CsvWriter(root / "csv"),
            SqliteWriter(root / "out.sqlite"),
        ):
            for record in records:
                writer.write(record)
            writer.close()
        results["jsonl"] = [strict_loads(line) for line in (root / "out.jsonl").read_text().splitlines()]
        results["csv"] = []
        for name in ("observation", "relation", "post"):
            with open(root / "csv" / f"{name}.csv", newline="") as file:
                results["csv"] += [{"type": name, **row} for row in csv.DictReader(file)]
        with sqlite3.connect(root / "out.sqlite") as db:
            db.row_factory = sqlite3.Row
            for name in ("observation", "relation", "post"):
                results["sqlite"] = results.get("sqlite", []) + [
                    {"type": name, **dict(row)} for row in db.execute(f'SELECT * FROM "{name}"')
                ]
    results["serve"] = [strict_loads(line) for line in b"".join(_ndjson(records[0], iter(records[1:]))).decode().splitlines()]
    out = io.StringIO()
    assert write_items(out, ({"json": to_item(r), "pairedItem": {"item": 0}} for r in records)) is None
    results["n8n"] = [item["json"] for item in strict_loads(out.getvalue())]
    return results


def by_type(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["type"]: row for row in rows}


def number(fmt: str, cell: Any, kind: type) -> Any:
    """A value as a consumer of ``fmt`` reads it back (CSV cells are text; empty is null)."""
    if fmt == "csv":
        return None if cell == "" else kind(cell)
    if fmt == "sqlite" and isinstance(cell, str):
        return int(cell)  # an integer beyond SQLite's 64 bits, kept as exact decimal TEXT
    return cell


def metrics(fmt: str, cell: Any) -> dict[str, Any]:
    return strict_loads(cell) if fmt in ("csv", "sqlite") else cell


@settings(max_examples=60, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True))
@example(math.nan)
@example(math.inf)
@example(-math.inf)
def test_a_float_is_kept_exactly_or_becomes_null_in_every_output(value):
    finite = math.isfinite(value)
    for fmt, rows in through_every_output(records_for(value)).items():
        rows = by_type(rows)
        obs, rel, post = rows["observation"], rows["relation"], rows["post"]
        expected = value if finite else None
        assert number(fmt, obs["value"], float) == expected, fmt
        assert obs["status"] == ("available" if finite else "unavailable"), fmt
        assert number(fmt, rel["value"], float) == expected, fmt
        assert metrics(fmt, post["metrics"]) == {"likes": expected}, fmt


BIG = st.one_of(
    st.integers(),
    st.integers(min_value=2**63 - 2, max_value=2**63 + 2),
    st.integers(min_value=-(2**63) - 2, max_value=-(2**63) + 2),
    st.integers(min_value=10**30, max_value=10**60),
    st.integers(min_value=-(10**60), max_value=-(10**30)),
)


@settings(max_examples=60, deadline=None)
@given(BIG)
@example(2**63)
@example(-(2**63) - 1)
@example(10**100)
def test_an_integer_of_any_size_round_trips_exactly_through_every_output(value):
    for fmt, rows in through_every_output(records_for(value)).items():
        rows = by_type(rows)
        got = number(fmt, rows["observation"]["value"], int)
        assert got == value and type(got) is int, (fmt, got)
        assert number(fmt, rows["relation"]["value"], int) == value, fmt
        assert metrics(fmt, rows["post"]["metrics"]) == {"likes": value}, fmt


def test_a_status_the_vendor_gave_is_kept_when_the_value_is_not_finite():
    assert Observation("v", "web", "account", "a", "m", math.nan, status="pending").status == "pending"
    assert Observation("v", "web", "account", "a", "m", math.inf).status == "unavailable"
    assert Observation("v", "web", "account", "a", "m", None).status == "available", "a plain null is left alone"


def test_sqlite_keeps_only_integers_beyond_64_bits_as_text(tmp_path):
    writer = SqliteWriter(tmp_path / "out.sqlite")
    for n, value in enumerate([2**63 - 1, 2**63, -(2**63), -(2**63) - 1]):
        writer.write(Observation("v", "web", "account", str(n), "followers", value))
    writer.close()
    with sqlite3.connect(tmp_path / "out.sqlite") as db:
        rows = db.execute('SELECT value, typeof(value) FROM "observation" ORDER BY entity_id').fetchall()
    assert rows == [(2**63 - 1, "integer"), ("9223372036854775808", "text"), (-(2**63), "integer"), ("-9223372036854775809", "text")]


def test_a_non_finite_number_elsewhere_is_a_payload_error_naming_the_field_never_invalid_json(tmp_path):
    smuggled = attrs.evolve(Observation("v", "web", "account", "a", "followers", 1), dimensions={"share": math.nan})
    with pytest.raises(PayloadError, match=r"dimensions\.share"):
        dumps(to_item(smuggled))
    with pytest.raises(PayloadError, match=r"dimensions\.share"):
        JsonLinesWriter(tmp_path / "out.jsonl").write(smuggled)
    out = io.StringIO()
    error = write_items(out, iter([{"json": to_item(Observation("v", "web", "account", "a", "m", 1))}, {"json": to_item(smuggled)}]))
    assert isinstance(error, PayloadError)
    assert len(strict_loads(out.getvalue())) == 1, "the n8n array stays valid JSON and holds the good item"
    assert strict_loads(_json({"value": 2**70}).get_data(as_text=True)) == {"value": 2**70}


# -- end to end: a vendor body with NaN/Infinity literals ------------------------------

BODY = '{"data": [1, NaN, Infinity, -Infinity, 1e999, 123456789012345678901234567890, 0.1]}'


def normalize(payload: Any, request: Any):
    for index, value in enumerate(payload["data"]):
        yield observation("nan", "web", "account", request.params.key, f"m{index}", value)


NAN_VENDOR = Vendor(
    name="nan",
    title="NaN API",
    base_url="https://nan.example/api",
    auth=Bearer("token"),
    credentials=(Credential("token"),),
    streams=(Stream("values", "/values/{key}", KeysParams, normalize, (Observation,), fan_out="key"),),
)


def nan_app(environ, start_response):
    return WsgiResponse(BODY, content_type="application/json")(environ, start_response)


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "sqlite"])
def test_nan_and_infinity_in_a_vendor_body_give_valid_output_with_unavailable_values(tmp_path, fmt):
    out = tmp_path / ("out" if fmt == "csv" else f"out.{fmt}")
    with serve_app(nan_app) as served:
        task = Task("nan", "values", {"key": ["a"]}, {"token": TOKEN}, Options(base_url=served.url + "/api", max_attempts=1))
        run_to_output(task, fmt, str(out), plugin_manager=make_plugin_manager(extra=(VendorPlugin(NAN_VENDOR),)))
    if fmt == "jsonl":
        rows = [strict_loads(line) for line in out.read_text().splitlines()]
    elif fmt == "csv":
        with open(out / "observation.csv", newline="") as file:
            rows = [{**row, "value": None if row["value"] == "" else row["value"]} for row in csv.DictReader(file)]
    else:
        with sqlite3.connect(out) as db:
            db.row_factory = sqlite3.Row
            rows = [dict(row) for row in db.execute('SELECT * FROM "observation" ORDER BY metric')]
    got = {row["metric"]: (row["value"], row["status"]) for row in rows}
    big = 123456789012345678901234567890
    as_read = {"jsonl": (1, big, 0.1), "csv": ("1", str(big), "0.1"), "sqlite": (1, str(big), 0.1)}[fmt]
    assert got == {
        "m0": (as_read[0], "available"),
        "m1": (None, "unavailable"),
        "m2": (None, "unavailable"),
        "m3": (None, "unavailable"),
        "m4": (None, "unavailable"),
        "m5": (as_read[1], "available"),
        "m6": (as_read[2], "available"),
    }
