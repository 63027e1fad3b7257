"""Vendor fidelity: every field of the docs' example responses reaches a record, or the
README says why not ("Fields not carried"), and nothing in the records is invented.

The examples are the docs' own (``socialtap_metrika.examples``, checked against the docs
file when it is at hand). Each documented field path (``data[].metrics.<name>.value``)
is looked up by normalizing the example and finding the example's value on the records
of the same resource.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import attrs
import pytest

from socialtap import Account, Observation, Request
from socialtap.normalize import structure_payload
from socialtap.testing import fidelity
from socialtap_metrika import examples
from socialtap_metrika.models import SearchResponse
from socialtap_metrika.normalize import normalize_accounts
from socialtap_metrika.params import Resource

DOCS = Path("/work/shared/vendor-docs/metrika.md")
ROOT = Path(__file__).resolve().parents[3]
METRIC_MAPS = {"metrics"}  # objects keyed by a name the docs leave open (the metric's name)


# -- the examples are the docs' ------------------------------------------------------


def doc_json_blocks(text: str) -> list[Any]:
    """The JSON blocks of the docs page: a ``{`` line through the next ``}`` line."""
    blocks, current = [], None
    for line in text.splitlines():
        if current is None and line.strip() == "{" and not line.startswith(" "):
            current = [line]
        elif current is not None:
            current.append(line)
            if line.rstrip() == "}" and not line.startswith(" "):
                blocks.append(json.loads("\n".join(current)))
                current = None
    return blocks


@pytest.mark.skipif(not DOCS.exists(), reason="the vendor docs file is not at hand")
def test_the_examples_are_the_docs_examples_verbatim():
    text = DOCS.read_text()
    assert doc_json_blocks(text) == [examples.SEARCH_REQUEST, examples.SEARCH_RESPONSE, examples.VALIDATION_ERROR]
    curl = re.search(r"-d '(\{.*?\})'", text, re.DOTALL)
    assert curl is not None and json.loads(curl.group(1)) == examples.EXAMPLE_REQUEST


def test_the_docs_block_parser_finds_nested_blocks():
    assert doc_json_blocks('x\n{\n  "a": {\n    "b": 1\n  }\n}\ny') == [{"a": {"b": 1}}]


# -- field paths ----------------------------------------------------------------------


def leaves(value: Any, path: str = "") -> list[tuple[str, Any]]:
    return fidelity.leaves(value, path, METRIC_MAPS)


def documented_paths(payload: Any) -> list[str]:
    return fidelity.documented_paths(payload, maps=METRIC_MAPS)


def test_field_paths_of_the_search_example():
    assert documented_paths(examples.SEARCH_RESPONSE) == [
        "data[].platform",
        "data[].identifier",
        "data[].status",
        "data[].metrics.<name>",
        "data[].metrics.<name>.value",
        "data[].metrics.<name>.status",
    ]


# -- "Fields not carried" in the README ---------------------------------------------


def not_carried() -> dict[str, str]:
    """``{field path: reason}`` of the Metrika section's "Fields not carried" table.

    The root README's Metrika section when there is one (a checkout), else the plugin's.
    """
    readme = ROOT / "README.md"
    text = readme.read_text() if readme.exists() else ""
    section = text[text.find("### Metrika") :] if "### Metrika" in text else ""
    return fidelity.not_carried(section or Path(__file__).resolve().parents[1] / "README.md")


def test_every_not_carried_entry_is_a_documented_field_with_a_reason():
    listed = not_carried()
    assert listed, "the Metrika README section has no 'Fields not carried' table"
    documented = {path for payload in examples.RESPONSES.values() for path in documented_paths(payload)}
    for path, reason in listed.items():
        assert path in documented, f"{path!r} is listed as not carried but no docs example has it"
        assert len(reason.split()) >= 4, f"{path!r}: say why it is not carried"


def test_the_plugin_readme_lists_the_same_fields_not_carried():
    plugin_readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for path in not_carried():
        assert f"`{path}`" in plugin_readme[plugin_readme.index("Fields not carried") :]


# -- the walk -------------------------------------------------------------------------


def normalized_example() -> list[Any]:
    requested = [Resource(r["platform"], r["identifier"], r["type"]) for r in examples.EXAMPLE_REQUEST["resources"]]
    params = type("Params", (), {"resources": requested})()
    request = Request("POST", "/resources/search", params=params)
    payload = structure_payload(examples.SEARCH_RESPONSE, SearchResponse, vendor="metrika", where="accounts")
    return list(normalize_accounts(payload, request))


def records_of(records: list[Any], platform: str, identifier: str) -> list[Any]:
    """The Account of one resource and its Observations."""
    return [
        r
        for r in records
        if (isinstance(r, Account) and (r.platform, r.account_id) == (platform, identifier))
        or (isinstance(r, Observation) and (r.platform, r.entity_id) == (platform, identifier))
    ]


def walk(stream: str) -> tuple[set[str], set[str], list[str]]:
    """(documented paths, carried paths, problems) of one stream's example response."""
    assert stream == "accounts", "a new stream needs its normalizer here"
    records = normalized_example()
    pieces = []
    for entry in examples.SEARCH_RESPONSE["data"]:
        own = records_of(records, entry["platform"], entry["identifier"])
        assert own, f"no record for {entry['platform']}:{entry['identifier']}"
        pieces.append((entry, "data[]", own))
    result = fidelity.walk(pieces, not_carried=not_carried(), maps=METRIC_MAPS)
    return set(result.documented), set(result.carried), list(result.problems)


def test_every_documented_field_of_the_search_response_reaches_a_record():
    documented, carried_paths, problems = walk("accounts")
    assert problems == []
    assert len(documented) == 6 and carried_paths == documented  # 6 of 6 carried


def test_error_bodies_reach_no_record_and_are_listed():
    listed = not_carried()
    for status, payload in examples.RESPONSES.items():
        if status == "accounts":
            continue
        missing = [path for path in documented_paths(payload) if path not in listed]
        assert missing == [], f"the documented {status} body's {missing} must be listed under 'Fields not carried'"


def test_the_walk_catches_a_field_that_is_dropped(monkeypatch):
    # A normalizer that forgets the metric status must fail the walk.
    import socialtap_metrika.normalize as normalize

    monkeypatch.setattr(normalize, "record_status", lambda status, documented, where: "pending")
    _, carried_paths, problems = walk("accounts")
    assert "data[].status" not in carried_paths and "data[].metrics.<name>.status" not in carried_paths
    assert any(p.startswith("data[].metrics.<name>.status:") for p in problems)


def test_nothing_is_invented():
    # Every non-default field of every record comes from the example (besides the vendor and
    # entity tags and the run's own fetch time and day).
    records = normalized_example()
    values = {value for _, value in leaves(examples.SEARCH_RESPONSE)}
    for record in records:
        for field in attrs.fields(type(record)):
            value = getattr(record, field.name)
            if field.name in ("vendor", "entity_type", "fetched_at", "as_of", "canonical") or value == field.default:
                continue
            if isinstance(field.default, attrs.Factory) and value == field.default.factory():
                continue
            assert value in values, f"{type(record).__name__}.{field.name}={value!r} is not in the docs' example"
