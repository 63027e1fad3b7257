"""socialtap.testing.fidelity: the docs' JSON blocks, and days carried by a record's date."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from socialtap.records import Observation
from socialtap.testing import fidelity


def test_doc_json_blocks_counts_braces_and_drops_comment_lines():
    page = 'text\n{\n"a": {\n"b": [\n{\n"c": 1\n},\n// ... more entries\n{\n"c": 2\n}\n]\n}\n}\nmore\n{\n  "d": true\n}\n'
    assert fidelity.doc_json_blocks(page) == [{"a": {"b": [{"c": 1}, {"c": 2}]}}, {"d": True}]


def test_a_block_that_is_not_json_is_named_by_the_error():
    with pytest.raises(json.JSONDecodeError):
        fidelity.doc_json_blocks('{\n"a": 1\n"b": 2\n}\n')


def test_a_documented_day_is_carried_by_a_records_date_but_not_by_other_text():
    example = {"date": "2026-01-31", "value": 5, "label": "2026-01-31x"}
    record = Observation("v", "p", "account", "a", "m", 5, date=dt.date(2026, 1, 31))
    result = fidelity.walk([(example, "", [record])], not_carried={})
    assert result.carried == {"date", "value"}
    assert [p.split(":")[0] for p in result.problems] == ["label"]
    # a snapshot fetched on another day does not carry it
    stamped = Observation("v", "p", "account", "a", "m", 5, fetched_at=dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
    assert "date" not in fidelity.walk([(example, "", [stamped])], not_carried={}).carried
