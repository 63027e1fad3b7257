"""Vendor fidelity: every field of the docs' example responses reaches a record, or the
README says why not ("Fields not carried"), and nothing in the records is invented.

The examples are the docs' own (``socialtap_shareablee.examples``, checked here against
the docs file when it is at hand). Each stream's example is structured into its payload
model and normalized; every documented field path (``results[].name``) is looked up on
the records built from the piece of the payload it belongs to: a list item is normalized
alone (the response with that one item), so its value must reach *its* records.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import attrs
import pytest

from socialtap import Account, Observation, Post, Relation, Request, Task, iter_records
from socialtap.metrics import canonical_metric
from socialtap.normalize import structure_payload
from socialtap.plugins import make_plugin_manager
from socialtap.testing import fidelity, sandbox_task_options, serve_sandbox
from socialtap_shareablee import examples
from socialtap_shareablee import normalize as n
from socialtap_shareablee.plugin import STREAMS, TERMS

DOCS = Path("/work/shared/vendor-docs/shareablee.md")
PLUGIN_README = Path(__file__).resolve().parents[1] / "README.md"
ROOT_README = Path(__file__).resolve().parents[3] / "README.md"
BY_NAME = {stream.name: stream for stream in STREAMS}

MAPS = {"data"}
"""Objects keyed by data: page insights' ``data`` is keyed by day."""

LISTS: dict[str, str] = {
    "user_content": "content",
    "user_top_content": "top_content",
    "category_top_content": "top_content",
    "user_overlap_comparison": "results",
    "user_affinity_comparison": "results",
    "user_overlap_ranking": "results",
    "user_affinity_ranking": "results",
    "category_members": "members",
    "category_cross_platform": "members",
    "category_ranking": "ranking",
    "category_realtime_rankings": "members",
    "find_user": "results",
}
"""The list of items in each response (``me_*`` responses are a list themselves)."""


def canonical(name: str) -> str:
    return canonical_metric(name, n.METRICS)[0]


CONVERT: dict[str, Callable[[Any], Any]] = {
    # ids are text in records (keys, dimensions, Relation ids); attributes keep them as sent
    **dict.fromkeys(("entity_id", "object_id", "category_id", "post_id", "id", "date_offset", "rank"), str),
    "date": dt.date.fromisoformat,
    "data.<name>": dt.date.fromisoformat,
    "created_at": lambda raw: n.parse_time(raw, "created_at"),
    "created_time": lambda raw: n.parse_time(raw, "created_time"),
    "metric": canonical,  # category ranking's metric names its Observations' metric
    "authorized": n.authorized_value,
}
"""The documented conversions from a value in the docs' example to the record's form."""


# -- the examples are the docs' ------------------------------------------------------


def doc_example_blocks(text: str) -> list[str]:
    """The text after each "Example response:" up to the first ``}`` or ``]`` at column 0."""
    lines = text.splitlines()
    blocks = []
    for i, line in enumerate(lines):
        if line.strip() != "Example response:":
            continue
        j = i + 1
        while not lines[j].strip():
            j += 1
        body = [lines[j]]
        while lines[j] not in ("}", "]"):
            j += 1
            body.append(lines[j])
        blocks.append("\n".join(body))
    return blocks


def repair(block: str) -> str:
    """The docs' JSON typos fixed, and nothing else (``examples.py`` names them)."""
    if not block.lstrip().startswith(("{", "[")):
        block = "{\n" + block  # the overlap comparison's missing opening brace
    # the category time series' total_actions list is never closed before likes_count
    block = block.replace('        },\n            "likes_count": [', '        }\n    ],\n    "likes_count": [')
    block = re.sub(r'([\d"\]}])(\s*\n\s*")', r"\1,\2", block)  # a missing comma between members
    return re.sub(r",(\s*[}\]])", r"\1", block)  # a trailing comma


REPAIRED = {
    "user_time_series",
    "user_realtime_time_series",
    "user_overlap_comparison",
    "user_affinity_comparison",
    "user_affinity_ranking",
    "user_top_content",
    "category_time_series",
    "category_ranking",
    "category_top_content",
    "find_user",
}
"""Streams whose docs example is not valid JSON as printed; the rest parse as they are."""


@pytest.mark.skipif(not DOCS.exists(), reason="the vendor docs file is not at hand")
def test_the_examples_are_the_docs_examples():
    blocks = doc_example_blocks(DOCS.read_text())
    assert len(blocks) == len(examples.STREAMS) == len(STREAMS)
    repaired = set()
    for stream, block in zip(examples.STREAMS, blocks, strict=True):
        try:
            parsed = json.loads(block)
        except ValueError:
            repaired.add(stream)
            parsed = json.loads(repair(block))
        assert parsed == examples.example(stream), f"{stream}: examples.py is not the docs' example"
    assert repaired == REPAIRED


def test_the_repair_only_fixes_typos():
    assert json.loads(repair('{\n    "a": 1\n    "b": [1, 2,]\n}')) == {"a": 1, "b": [1, 2]}
    assert json.loads(repair('{"a": "x"}')) == {"a": "x"}


# -- normalizing an example ----------------------------------------------------------


def params_of(stream: str, payload: Any) -> SimpleNamespace:
    """The params a request for this example would have had: its own ids where it names them."""
    head = payload if isinstance(payload, dict) else {}
    fields: dict[str, Any] = {"service": head.get("service", "facebook"), "services": ["facebook", "twitter", "instagram"]}
    if "{category_id}" in BY_NAME[stream].path:
        fields["category_id"] = str(head.get("category_id", head.get("object_id", "example")))
    elif "{entity_id}" in BY_NAME[stream].path:
        fields["entity_id"] = str(head.get("entity_id", "example"))
    if "comparison" in stream:
        fields["object_ids"] = [str(r["object_id"]) for r in head["results"]]
    return SimpleNamespace(**fields)


def normalized(stream: str, payload: Any) -> list[Any]:
    declared = BY_NAME[stream]
    structured = structure_payload(payload, declared.payload_model, vendor="shareablee", where=stream)
    request = Request("GET", declared.path, params=params_of(stream, payload))
    return list(declared.normalize(structured, request))


def pieces(stream: str) -> Iterator[tuple[Any, str, list[Any]]]:
    """``(payload piece, path prefix, the records built from it)`` of a stream's example."""
    payload = examples.example(stream)
    if isinstance(payload, list):  # /me/properties/, /me/categories/
        for item in payload:
            yield item, "[]", normalized(stream, [item])
        return
    records = normalized(stream, payload)
    key = LISTS.get(stream)
    if key is None and stream in ("user_cross_platform",):
        for service in ("facebook", "twitter", "instagram"):
            yield {service: payload[service]}, "", [r for r in records if r.platform == service]
        yield {k: v for k, v in payload.items() if k not in ("facebook", "twitter", "instagram")}, "", records
        return
    if key is None:
        yield payload, "", records
        return
    yield {k: v for k, v in payload.items() if k != key}, "", records
    for item in payload[key]:
        yield item, f"{key}[]", normalized(stream, {**payload, key: [item]})


def not_carried() -> dict[str, str]:
    """``{field path: reason}`` of the Shareablee section's "Fields not carried" table.

    The root README's Shareablee section when there is one (a checkout), else the plugin's.
    """
    text = ROOT_README.read_text() if ROOT_README.exists() else ""
    section = text[text.find("### Shareablee") :] if "### Shareablee" in text else ""
    return fidelity.not_carried(section or PLUGIN_README)


def walk(stream: str) -> fidelity.FieldWalk:
    return fidelity.walk(pieces(stream), not_carried=not_carried(), maps=MAPS, convert=CONVERT)


# -- the walk -------------------------------------------------------------------------


@pytest.mark.parametrize("stream", examples.STREAMS)
def test_every_documented_field_reaches_a_record(stream):
    result = walk(stream)
    print(f"{stream}: {result.summary}")
    assert result.problems == ()


def readme_counts(text: str) -> dict[str, tuple[int, int]]:
    """``{stream: (carried, documented)}`` from the "Fields carried" table of a README."""
    shareablee = text[text.find("### Shareablee") :] if "### Shareablee" in text else text
    section = shareablee[shareablee.index("Fields carried") :]
    rows = re.findall(r"^\| `(\w+)` \| (\d+) of (\d+) \|", section, re.MULTILINE)
    return {stream: (int(carried), int(documented)) for stream, carried, documented in rows}


@pytest.mark.parametrize("readme", [PLUGIN_README, ROOT_README], ids=["plugin README", "root README"])
def test_the_readme_counts_are_the_walks(readme):
    if not readme.exists():
        pytest.skip("not a checkout")
    measured = {}
    for stream in examples.STREAMS:
        result = walk(stream)
        measured[stream] = (len(result.carried), len(result.documented))
    assert readme_counts(readme.read_text()) == measured


def test_every_not_carried_entry_is_a_documented_field_with_a_reason():
    listed = not_carried()
    assert listed, "the Shareablee README section has no 'Fields not carried' table"
    documented = {path for stream in examples.STREAMS for path in walk(stream).documented}
    for path, reason in listed.items():
        assert path in documented, f"{path!r} is listed as not carried but no docs example has it"
        assert len(reason.split()) >= 4, f"{path!r}: say why it is not carried"


def test_the_plugin_readme_lists_the_same_fields_not_carried():
    plugin = PLUGIN_README.read_text()
    assert set(fidelity.not_carried(plugin)) == set(not_carried())


def test_the_walk_catches_a_field_that_is_dropped(monkeypatch):
    # A normalizer that forgets a profile's website, or a post's thumbnail, fails the walk.
    monkeypatch.setattr(n, "PROFILE_ATTRIBUTES", ("about", "profile_picture", "description"))
    monkeypatch.setattr(n, "POST_ATTRIBUTES", tuple(a for a in n.POST_ATTRIBUTES if a != "thumbnail"))
    problems = walk("user_cross_platform").problems + walk("category_top_content").problems
    assert any(p.startswith("facebook.website:") for p in problems)
    assert any(p.startswith("top_content[].fields.thumbnail:") for p in problems)


def test_a_null_post_metric_stays_null_and_an_absent_one_is_absent():
    payload = examples.example("user_content")
    payload["content"][0]["share_count"] = None
    del payload["content"][0]["impression_count"]
    (post,) = normalized("user_content", payload)
    assert "shares" in post.metrics and post.metrics["shares"] is None
    assert "impressions" not in post.metrics


# -- nothing is invented ---------------------------------------------------------------


def example_values(stream: str) -> list[Any]:
    """Every value and key of the example, with its documented conversions, and the request's ids."""
    payload = examples.example(stream)
    found: list[Any] = list(vars(params_of(stream, payload)).values())
    for path, value in fidelity.leaves(payload, maps=MAPS):
        found += fidelity.converted(path, value, CONVERT)
    keys: list[Any] = []

    def collect(value: Any) -> None:
        if isinstance(value, dict):
            keys.extend(value)
            for inner in value.values():
                collect(inner)
        elif isinstance(value, list):
            for inner in value:
                collect(inner)

    collect(payload)
    names = [k for k in keys if isinstance(k, str)]
    renamed = [canonical_metric(k, mapping)[0] for k in names for mapping in (n.METRICS, n.POST_METRICS, n.INSIGHTS_METRICS)]
    return found + keys + renamed + [f"{k}_percent" for k in names if k == "fans_by_country"]


DERIVED = {"vendor", "platform", "entity_type", "fetched_at", "as_of", "canonical", "status", "metric", "relation"}
"""Fields set by socialtap, not taken from a payload value: tags (the relation's kind
among them), the run's time, the canonical metric name (``metric`` is checked against the
example's field names, canonical twins and ``fans_by_country_percent`` below)."""


def is_held(value: Any, values: list[Any]) -> bool:
    return any(value == held and type(value) is type(held) for held in values)


def invented(record: Any, values: list[Any]) -> list[str]:
    """The fields of a record whose value does not come from the example."""
    out = []
    for field in attrs.fields(type(record)):
        value = getattr(record, field.name)
        default = field.default.factory() if isinstance(field.default, attrs.Factory) else field.default
        if field.name in DERIVED or value == default:
            continue
        if isinstance(value, dict):
            items = list(value.items())
        elif isinstance(value, tuple):
            items = [(i, v) for i, v in enumerate(value)]
        else:
            items = [(None, value)]
        for key, inner in items:
            where = f"{type(record).__name__}.{field.name}" + (f".{key}" if key is not None else "")
            if key == "period":  # start/end of the range the response is about
                ok = all(is_held(part, values) for part in inner.split("/"))
            elif key == "rank" and field.name == "dimensions":  # the position in a ranked list
                ok = inner.isdigit()
            elif isinstance(record, Relation) and field.name == "value":  # authorized: 1 listed, 0 not
                ok = inner in (0, 1)
            elif isinstance(record, Relation) and field.name == "entity_id" and inner == "me":  # the token
                ok = True
            elif isinstance(inner, dict):
                ok = all(is_held(v, values) for _, v in fidelity.leaves(inner))
            else:
                ok = is_held(inner, values)
            if not ok:
                out.append(f"{where}={inner!r}")
    if isinstance(record, Observation) and not is_held(record.metric, values):
        out.append(f"Observation.metric={record.metric!r}")
    return out


@pytest.mark.parametrize("stream", examples.STREAMS)
def test_nothing_is_invented(stream):
    values = example_values(stream)
    records = [r for _, _, built in pieces(stream) for r in built]
    assert records
    problems = [problem for record in records for problem in invented(record, values)]
    assert problems == []


def test_the_invented_check_catches_an_invented_value():
    values = example_values("user_cross_platform")
    made_up = Account("shareablee", "twitter", "1234", url="https://twitter.com/theexample")
    assert invented(made_up, values) == ["Account.url='https://twitter.com/theexample'"]


# -- the vendor's terms cover what is now carried ------------------------------------------


PERSONAL = {
    "user_cross_platform": {
        "account.username",
        "account.display_name",
        "account.url",
        "account.ids.object_id",
        "account.attributes.name",
        "account.attributes.website",
        "account.attributes.profile_picture",
        "account.attributes.about",
        "account.attributes.description",
    },
    "user_top_content": {
        "post.attributes.username",
        "post.attributes.user_id",
        "post.attributes.link",
        "post.attributes.thumbnail",
    },
    "user_content": {"post.url", "post.attributes.link", "post.attributes.username", "post.attributes.user"},
    "user_overlap_comparison": {
        "observation.attributes.name",
        "observation.attributes.object_id",
        "observation.attributes.compared_name",
        "observation.attributes.compared_object_id",
    },
    "category_members": {"relation.other_name", "account.ids.object_id", "account.attributes.name"},
}


def personal_values(record: Any) -> dict[str, Any]:
    """``{type.field: value}`` of the record's declared personal fields that hold something."""
    kind = type(record).__name__.lower()
    out = {}
    for name in TERMS.personal_fields.get(kind, ()):
        field, _, key = name.partition(".")
        value = getattr(record, field)
        if key:
            value = value.get(key)
        if value not in (None, {}):
            out[f"{kind}.{name}"] = value
    return out


def run_example(stream: str, keep: bool) -> list[Any]:
    params = {"entity_id": "example"} if "{entity_id}" in BY_NAME[stream].path else {"category_id": "example"}
    params.update({"service": "facebook"} if "{service}" in BY_NAME[stream].path else {})
    if "comparison" in stream:
        params["object_ids"] = ["987654", "123987"]
    with serve_sandbox("shareablee", plugin_manager=make_plugin_manager()) as sandbox:
        options = sandbox_task_options(sandbox, keep_personal_data=keep)
        task = Task("shareablee", stream, params, sandbox.credentials, options)
        return list(iter_records(task, plugin_manager=make_plugin_manager()))


@pytest.mark.parametrize("stream", sorted(PERSONAL))
def test_the_default_run_leaves_the_personal_fields_out_and_an_agreement_keeps_them(stream, monkeypatch):
    monkeypatch.delenv("SOCIALTAP_SHAREABLEE_KEEP_PERSONAL_DATA", raising=False)
    kept = {name for record in run_example(stream, keep=True) for name in personal_values(record)}
    assert PERSONAL[stream] <= kept
    left = [(type(r).__name__, personal_values(r)) for r in run_example(stream, keep=False) if personal_values(r)]
    assert left == []


def test_the_other_carried_fields_stay_in_a_default_run(monkeypatch):
    monkeypatch.delenv("SOCIALTAP_SHAREABLEE_KEEP_PERSONAL_DATA", raising=False)
    posts = run_example("category_top_content", keep=False)
    assert {p.attributes.get("category_id") for p in posts} == {"1234"}
    (account, _relation, *_) = run_example("category_members", keep=False)
    assert isinstance(account, Account) and account.account_id == "111" and account.ids == {}
    observations = [r for r in run_example("user_metrics", keep=False) if r.dimensions.get("country") == "US"]
    assert {o.attributes.get("full_name") for o in observations} == {"United States"}
    assert all(isinstance(p, Post) for p in posts)
