"""The ``resources`` param: both written forms, every error naming what is allowed, batching."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socialtap.errors import ConfigError
from socialtap.fetch import chains
from socialtap.params import validate_params
from socialtap_metrika.params import PLATFORMS, AccountsParams, Resource
from socialtap_metrika.plugin import ACCOUNTS, METRIKA, search_body

identifiers = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30).filter(lambda s: s.strip())
platforms = st.sampled_from(PLATFORMS)
resources = st.builds(Resource, platforms, identifiers.map(str.strip))


def written(resource: Resource, as_string: bool) -> object:
    if as_string:
        return f"{resource.platform}:{resource.identifier}"
    return {"platform": resource.platform, "identifier": resource.identifier, "type": resource.type}


def parse(*items: object) -> AccountsParams:
    return validate_params(AccountsParams, {"resources": list(items)})


@given(platforms, identifiers, st.booleans(), st.sampled_from([str.lower, str.upper, str.title]))
def test_string_and_object_forms_give_the_same_resource(platform, identifier, pad, case):
    text = f"{' ' if pad else ''}{case(platform)}:{identifier}"
    obj = {"platform": case(platform), "identifier": identifier}
    expected = Resource(platform, identifier.strip(), "account")
    assert parse(text).resources == [expected]
    assert parse(obj).resources == [expected]
    assert parse({**obj, "type": "account"}).resources == [expected]


@given(st.text(max_size=12).filter(lambda p: p.strip().lower() not in PLATFORMS and ":" not in p), identifiers)
def test_unknown_platform_is_a_config_error_naming_every_allowed_platform(platform, identifier):
    for item in (f"{platform}:{identifier}", {"platform": platform, "identifier": identifier}):
        with pytest.raises(ConfigError) as caught:
            parse("instagram:natgeo", item)
        (problem,) = caught.value.problems
        assert problem.endswith("@ $.resources[1]")
        assert all(name in problem for name in PLATFORMS)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["platform", "identifier", "type", "x"]), inner),
    max_leaves=6,
)


@given(st.lists(json_values, max_size=5) | json_values)
def test_any_input_is_either_valid_or_one_config_error(raw):
    try:
        params = validate_params(AccountsParams, {"resources": raw})
    except ConfigError as exc:
        assert exc.problems
    else:
        assert params.resources
        assert all(r.platform in PLATFORMS and r.type == "account" and r.identifier for r in params.resources)


@pytest.mark.parametrize(
    ("item", "says"),
    [
        ("natgeo", "platform:identifier"),
        ("instagram:", "identifier must not be empty"),
        ({"platform": "x"}, "missing 'identifier'"),
        ({"platform": "x", "identifier": "a", "kind": "account"}, "unexpected key(s) 'kind'"),
        ({"platform": "x", "identifier": "a", "type": "page"}, "Metrika supports: account"),
        ({"platform": "x", "identifier": True}, "identifier must be a string"),
        (42, "must be a platform:identifier string or an object"),
    ],
)
def test_invalid_resources_say_what_a_valid_one_looks_like(item, says):
    with pytest.raises(ConfigError) as caught:
        parse(item)
    assert says in str(caught.value)


def test_no_resources_is_a_config_error():
    with pytest.raises(ConfigError, match="at least one resource"):
        parse()
    with pytest.raises(ConfigError, match="missing required param 'resources'"):
        validate_params(AccountsParams, {})


def test_a_single_value_is_a_one_item_list():
    assert validate_params(AccountsParams, {"resources": "x:nasa"}).resources == [Resource("x", "nasa")]


def test_numeric_identifiers_are_strings():
    assert parse({"platform": "facebook", "identifier": 20531316728}).resources == [Resource("facebook", "20531316728")]


@given(st.lists(st.tuples(resources, st.booleans()), min_size=1, max_size=60))
def test_batches_are_deduplicated_in_user_order_and_at_most_ten(items):
    params = parse(*(written(r, as_string) for r, as_string in items))
    unique = list(dict.fromkeys(r for r, _ in items))
    batches = [chain_params.resources for _, chain_params in chains(METRIKA, ACCOUNTS, params)]
    assert len(batches) == math.ceil(len(unique) / 10)
    assert all(1 <= len(batch) <= 10 for batch in batches)
    assert [r for batch in batches for r in batch] == unique


def test_request_body_is_the_documented_shape():
    params = parse("instagram:natgeo", {"platform": "instagram", "identifier": "nasa"})
    assert search_body(params) == {
        "resources": [
            {"platform": "instagram", "type": "account", "identifier": "natgeo"},
            {"platform": "instagram", "type": "account", "identifier": "nasa"},
        ]
    }
