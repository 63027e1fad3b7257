"""Params validation: every problem listed with its path, before any request."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from socialtap.cli import parse_param_pairs
from socialtap.errors import ConfigError
from socialtap.params import date_range_problems, validate_params


@attrs.frozen
class Params:
    ids: list[str]
    limit: int = attrs.field(default=10, validator=attrs.validators.le(100))
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    realtime: bool = False

    def problems(self):
        return list(date_range_problems(self.start_date, self.end_date))


def problems_of(raw):
    with pytest.raises(ConfigError) as caught:
        validate_params(Params, raw)
    return caught.value.problems


def test_valid_params_are_structured():
    params = validate_params(
        Params, {"ids": ["a", "b"], "limit": "7", "start_date": "2026-01-01", "end_date": "2026-01-31", "realtime": "true"}
    )
    assert params == Params(["a", "b"], 7, dt.date(2026, 1, 1), dt.date(2026, 1, 31), True)


def test_every_problem_is_listed_with_its_path():
    problems = problems_of({"limit": 500, "colour": "red", "start_date": "01/02/2026"})
    text = "\n".join(problems)
    assert "missing required param 'ids' @ $.ids" in text
    assert "unknown param 'colour'" in text and "@ $.colour" in text
    assert "@ $.limit" in text and "100" in text
    assert "YYYY-MM-DD" in text and "@ $.start_date" in text
    assert len(problems) == 4


def test_a_start_after_the_end_is_refused():
    problems = problems_of({"ids": ["a"], "start_date": "2026-02-01", "end_date": "2026-01-01"})
    assert problems == ["start_date 2026-02-01 is after end_date 2026-01-01; swap them @ $.start_date"]


def test_one_date_without_the_other_is_refused():
    assert "give both start_date and end_date" in problems_of({"ids": ["a"], "end_date": "2026-01-01"})[0]


def test_a_list_param_given_once_is_a_one_item_list():
    assert validate_params(Params, {"ids": "abc"}).ids == ["abc"]


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2999, 12, 31)))
def test_dates_round_trip_as_yyyy_mm_dd(day):
    assert validate_params(Params, {"ids": ["a"], "start_date": day.isoformat(), "end_date": day.isoformat()}).start_date == day


@given(st.text().filter(lambda s: not (len(s) == 10 and s[4] == "-" and s[7] == "-")))
def test_anything_but_yyyy_mm_dd_is_refused(text):
    problems = problems_of({"ids": ["a"], "start_date": text, "end_date": "2026-01-01"})
    assert any("@ $.start_date" in p for p in problems)


@given(
    st.dictionaries(
        st.text(min_size=1).filter(lambda k: k not in ("ids", "limit", "start_date", "end_date", "realtime")),
        st.integers(),
        min_size=1,
        max_size=4,
    )
)
def test_every_unknown_param_is_named(extra):
    problems = problems_of({"ids": ["a"], **extra})
    for key in extra:
        assert any(f"unknown param {key!r}" in p for p in problems)


@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", "c"]), st.one_of(st.integers(), st.text(alphabet="xyz", min_size=1))), max_size=8
    )
)
def test_repeated_p_keys_make_lists_in_order(pairs):
    parsed = parse_param_pairs(f"{k}={v}" for k, v in pairs)
    for key in {k for k, _ in pairs}:
        values = [v for k, v in pairs if k == key]
        assert parsed[key] == (values if len(values) > 1 else values[0])


def test_p_values_parse_as_json_when_they_can():
    assert parse_param_pairs(["n=3", "s=natgeo", 'o={"a": 1}', "b=true"]) == {"n": 3, "s": "natgeo", "o": {"a": 1}, "b": True}
    with pytest.raises(ConfigError):
        parse_param_pairs(["novalue"])


@attrs.frozen
class Place:
    country: str
    city: str


def test_a_plugins_own_types_are_checked_too():
    @attrs.frozen
    class WithPlaces:
        places: list[Place]

    problems = problems_of_class(WithPlaces, {"places": [{"country": "US", "city": "Boston\r"}]})
    assert problems == ["param 'places' contains the control character '\\r'; remove it @ $.places[0].city"]


def problems_of_class(cls, raw):
    with pytest.raises(ConfigError) as caught:
        validate_params(cls, raw)
    return caught.value.problems


@given(st.text(min_size=1), st.sampled_from(["\n", "\r", "\t", "\x00", "\x1b", "\x7f", "\x85", "\u2028"]), st.booleans())
def test_a_string_with_a_control_character_is_refused_by_name_and_path(text, control, as_list):
    value = text[: len(text) // 2] + control + text[len(text) // 2 :]
    problems = problems_of({"ids": [value] if as_list else value})
    assert len(problems) == 1 and "param 'ids'" in problems[0] and problems[0].endswith("@ $.ids[0]")


clean_text = st.text(st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\u2028\u2029"))


@given(clean_text, st.sampled_from([" ", "\u00a0", "\u3000"]), st.booleans())
def test_a_string_with_surrounding_whitespace_is_refused(text, space, leading):
    text = space + text if leading else text + space
    (problem,) = problems_of({"ids": ["ok", text]})
    assert "leading or trailing whitespace" in problem and problem.endswith("@ $.ids[1]")


@given(clean_text.map(str.strip))
def test_clean_strings_pass_unchanged(text):
    assert validate_params(Params, {"ids": [text]}).ids == [text]


def test_a_blank_value_keeps_the_plugins_own_message():
    def not_blank(_instance, attribute, value):
        if not value.strip():
            raise ValueError(f"{attribute.name} must not be empty")

    @attrs.frozen
    class Search:
        term: str = attrs.field(validator=not_blank)

    assert problems_of_class(Search, {"term": "  "}) == ["term must not be empty @ $.term"]


def test_p_values_with_surrounding_whitespace_stay_strings():
    assert parse_param_pairs(["a=123\n", "b= true", "c=7"]) == {"a": "123\n", "b": " true", "c": 7}
