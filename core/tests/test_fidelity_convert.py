"""``fidelity.walk(convert=...)``: a documented conversion lets a value count as carried
in the form a record holds it, and nothing else."""

from __future__ import annotations

import datetime as dt

from socialtap import Observation
from socialtap.testing import fidelity


def observation(**fields) -> Observation:
    return Observation("v", "p", "account", "123", "m", 5, **fields)


def test_an_id_held_as_text_is_carried_only_with_its_conversion():
    payload = {"entity_id": 123, "value": 5}
    without = fidelity.walk([(payload, "", [observation()])], not_carried={})
    assert "entity_id" not in without.carried and any(p.startswith("entity_id:") for p in without.problems)
    with_it = fidelity.walk([(payload, "", [observation()])], not_carried={}, convert={"entity_id": str})
    assert with_it.problems == () and with_it.summary == "2 of 2 documented fields carried"


def test_a_conversion_is_named_by_field_name_or_by_path_and_a_failing_one_does_not_carry():
    payload = {"points": [{"date": "2015-12-07", "value": 5}], "when": "not a date"}
    records = [observation(date=dt.date(2015, 12, 7))]
    by_path = fidelity.walk(
        [(payload, "", records)],
        not_carried={},
        convert={"points[].date": dt.date.fromisoformat, "when": dt.date.fromisoformat},
    )
    assert by_path.carried == {"points[].date", "points[].value"}
    assert [p.split(":")[0] for p in by_path.problems] == ["when"]
    by_name = fidelity.walk([(payload, "", records)], not_carried={"when": "x"}, convert={"date": dt.date.fromisoformat})
    assert by_name.problems == ()


def test_a_conversion_to_a_value_the_records_do_not_hold_is_not_carried():
    payload = {"entity_id": 124}
    result = fidelity.walk([(payload, "", [observation()])], not_carried={}, convert={"entity_id": str})
    assert result.carried == frozenset()
