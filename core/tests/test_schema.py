"""``socialtap spec`` and ``socialtap catalog``: JSON Schema generated from the declarations."""

from __future__ import annotations

import json

import jsonschema
import pytest

from socialtap.errors import ConfigError
from socialtap.params import validate_params
from socialtap.plugins import get_registry
from socialtap.records import Observation, to_item
from socialtap.schema import catalog, item_schema, spec
from socialtap.testing.contract import schema_validator


@pytest.mark.parametrize("vendor", [v.name for v in get_registry().vendors()])
def test_every_schema_of_every_vendor_is_valid_draft_2020_12(vendor):
    declared = get_registry().get(vendor)
    document = spec(declared)
    jsonschema.Draft202012Validator.check_schema(document["credentials"])
    assert set(document["streams"]) == {s.name for s in declared.streams}
    for schema in document["streams"].values():
        jsonschema.Draft202012Validator.check_schema(schema)
    for stream in catalog(declared)["streams"]:
        for record in stream["records"]:
            jsonschema.Draft202012Validator.check_schema(record["schema"])


def test_spec_cli_shows_credentials_with_env_vars_and_params_with_their_limits(run_socialtap):
    done = run_socialtap("spec", "shareablee", "user_top_content")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    credentials = document["credentials"]
    assert credentials["properties"]["api_key"]["x-env"] == "SOCIALTAP_SHAREABLEE_API_KEY"
    assert credentials["properties"]["api_secret"]["writeOnly"] is True
    assert {"required": ["token"]} in credentials["anyOf"]
    params = document["streams"]["user_top_content"]
    assert params["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert params["required"] == ["entity_id"]
    assert params["properties"]["limit"]["maximum"] == 100
    assert params["properties"]["realtime"]["default"] is False
    assert params["properties"]["start_date"]["format"] == "date"
    assert "instagram" in json.dumps(params["properties"]["services"])


@pytest.mark.parametrize(
    ("stream", "params"),
    [
        ("user_metrics", {"entity_id": ["1"], "service": "myspace"}),
        ("user_top_content", {"entity_id": ["1"], "limit": 101}),
        ("user_top_content", {"entity_id": ["../me"]}),
        ("user_metrics", {"entity_id": ["1"], "service": "facebook", "start_date": "yesterday"}),
        ("user_metrics", {"entity_id": ["1"]}),
        ("user_metrics", {"entity_id": ["1"], "service": "facebook", "color": "red"}),
    ],
)
def test_the_spec_refuses_what_socialtap_refuses(stream, params):
    shareablee = get_registry().get("shareablee")
    schema = spec(shareablee, stream)["streams"][stream]
    assert list(schema_validator(schema).iter_errors(params))
    with pytest.raises(ConfigError):
        validate_params(shareablee.stream(stream).params, params)


def test_metrika_resources_in_both_written_forms():
    schema = spec(get_registry().get("metrika"))["streams"]["accounts"]
    validator = schema_validator(schema)
    assert not list(validator.iter_errors({"resources": ["instagram:natgeo", {"platform": "x", "identifier": "nasa"}]}))
    assert list(validator.iter_errors({"resources": ["myspace:tom"]}))
    assert list(validator.iter_errors({"resources": [{"platform": "instagram"}]}))


def test_catalog_names_record_types_natural_keys_and_closed_schemas(run_socialtap):
    done = run_socialtap("catalog", "metrika")
    assert done.returncode == 0, done.stderr
    (stream,) = json.loads(done.stdout)["streams"]
    assert [r["type"] for r in stream["records"]] == ["account", "observation"]
    observation = stream["records"][1]
    assert observation["natural_key"] == list(Observation.natural_key)
    validator = schema_validator(observation["schema"])
    good = to_item(Observation("metrika", "instagram", "account", "natgeo", "followers", 5, fetched_at=None))
    assert not list(validator.iter_errors(good))
    assert list(validator.iter_errors({**good, "status": "bogus"}))
    assert list(validator.iter_errors({**good, "extra": 1}))
    assert list(validator.iter_errors({**good, "as_of": "30/11/2026"}))
    assert list(validator.iter_errors({k: v for k, v in good.items() if k != "entity_id"}))


def test_item_schema_takes_only_the_streams_record_types():
    metrika = get_registry().get("metrika")
    validator = schema_validator(item_schema(metrika, "accounts"))
    relation = {"type": "relation", "vendor": "metrika", "platform": "x", "entity_id": "a", "relation": "r", "other_id": "b"}
    assert list(validator.iter_errors(relation))


def test_spec_of_an_unknown_stream_is_a_config_error(run_socialtap):
    done = run_socialtap("spec", "shareablee", "user_metric")
    assert done.returncode == 2
    assert "user_metrics" in done.stderr


def test_streams_lists_allowed_values_bounds_and_credential_env_vars(run_socialtap):
    done = run_socialtap("streams", "shareablee")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert (
        lines[0] == "credentials: SOCIALTAP_SHAREABLEE_API_KEY + SOCIALTAP_SHAREABLEE_API_SECRET, or SOCIALTAP_SHAREABLEE_TOKEN"
    )
    # Shareablee's params carry the docs' own description after the colon.
    assert '    service (str, required; one of: facebook, twitter): The service is the platform i.e "facebook".' in lines
    assert any(line.strip().startswith("limit (") and "at least 1; at most 100" in line for line in lines)
    as_json = json.loads(run_socialtap("streams", "shareablee", "--json").stdout)
    ranking = next(s for s in as_json if s["name"] == "category_ranking")
    metric = next(p for p in ranking["params"] if p["name"] == "metric")
    assert metric["allowed"] and metric["default"] in metric["allowed"]
