"""Vendor fidelity: every field of the docs' example responses reaches a record, or the
README says why not ("Fields not carried").

The examples are the docs' own (``socialtap_uploadpost.examples``, checked against the docs
file when it is at hand). The analytics example shows four of the thirteen fields its
"Field Descriptions" document, so the sandbox's analytics answer (every documented field)
is walked too.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import attrs
import pytest
import requests

from socialtap import Request
from socialtap.normalize import structure_payload
from socialtap.params import validate_params
from socialtap.testing import fidelity, serve_sandbox
from socialtap_uploadpost import examples
from socialtap_uploadpost.models import PostAnalytics
from socialtap_uploadpost.normalize import (
    normalize_platform_metrics,
    normalize_post_analytics,
    normalize_profile_analytics,
    normalize_total_impressions,
)
from socialtap_uploadpost.params import PLATFORMS, ProfileAnalyticsParams
from socialtap_uploadpost.sandbox import TEST_API_KEY

DOCS = Path("/work/shared/vendor-docs/uploadpost.md")
README = Path(__file__).resolve().parents[1] / "README.md"
ROOT_README = Path(__file__).resolve().parents[3] / "README.md"
MAPS = {
    "profile_analytics": {"", "metric_labels"},
    "total_impressions": {"per_platform", "per_day", "metrics", "<name>"},
    "post_analytics": {"platforms", "post_metrics"},
    "platform_metrics": {"", "metric_labels"},
}


# -- the examples are the docs' ------------------------------------------------------


@pytest.mark.skipif(not DOCS.exists(), reason="the vendor docs file is not at hand")
def test_the_examples_are_the_docs_examples():
    text = DOCS.read_text()
    assert fidelity.doc_json_blocks(text) == [
        examples.ANALYTICS,
        examples.TOTAL,
        examples.PERIOD,
        examples.METRICS,
        examples.SINGLE_DATE,
        examples.FILTER,
        examples.POST,
        examples.PLATFORM_METRICS,
    ]
    queries = [dict(parse_qsl(urlsplit(url).query)) for url in re.findall(r"curl '([^']+)'", text)]
    assert queries == [
        examples.ANALYTICS_QUERY,
        *(query for query, _ in examples.TOTAL_EXAMPLES),
        {},
        {"platform": "youtube"},
    ]
    assert "// ... more date entries" in text  # the one repair is still needed


# -- the walks ------------------------------------------------------------------------


def request_for(stream: str, **params: Any) -> Request:
    return Request("GET", f"/{stream}", params=type("Params", (), params)())


def sandbox_analytics() -> tuple[dict[str, Any], Any]:
    """The sandbox's analytics answer for every platform (every documented field), and its params."""
    query = {"platforms": ",".join(PLATFORMS), "page_id": "99"}
    with serve_sandbox("uploadpost") as running:
        answer = requests.get(
            f"{running.base_url}/analytics/profile1",
            params=query,
            headers={"Authorization": f"Apikey {TEST_API_KEY}"},
            timeout=10,
        )
    params = validate_params(ProfileAnalyticsParams, {"profile_username": "profile1", **query})
    return answer.json(), attrs.evolve(params, profile_username="profile1")


def walk(stream: str) -> fidelity.FieldWalk:
    """The field walk of one stream's documented examples."""
    pieces: list[tuple[Any, str, list[Any]]] = []
    if stream == "profile_analytics":
        params = validate_params(ProfileAnalyticsParams, {"profile_username": "test", **examples.ANALYTICS_QUERY})
        params = attrs.evolve(params, profile_username="test")
        request = Request("GET", "/analytics/test", params=params)
        pieces.append((examples.ANALYTICS, "", list(normalize_profile_analytics(examples.ANALYTICS, request))))
        full, params = sandbox_analytics()
        pieces.append((full, "", list(normalize_profile_analytics(full, Request("GET", "/analytics/profile1", params=params)))))
    elif stream == "total_impressions":
        for body in examples.RESPONSES[stream]:
            rest = {k: v for k, v in body.items() if k != "success"}
            pieces.append(({"success": body["success"]}, "", []))  # no record is built from it
            pieces.append((rest, "", list(normalize_total_impressions(body, request_for(stream)))))
    elif stream == "post_analytics":
        records = list(normalize_post_analytics(structure_payload(examples.POST, PostAnalytics), request_for(stream)))
        pieces.append(({"success": examples.POST["success"]}, "", []))
        pieces.append(({"post": examples.POST["post"]}, "", [r for r in records if type(r).__name__ == "Post"]))
        pieces.append(({"platforms": {name: {} for name in examples.POST["platforms"]}}, "", records))
        for name, entry in examples.POST["platforms"].items():
            pieces.append((entry, "platforms.<name>", [r for r in records if r.platform == name]))
    else:
        pieces.append((examples.PLATFORM_METRICS, "", list(normalize_platform_metrics(examples.PLATFORM_METRICS, None))))
    return fidelity.walk(pieces, not_carried=not_carried(), maps=MAPS[stream])


def not_carried() -> dict[str, str]:
    """``{field path: reason}`` of the "Fields not carried" table: the root README's
    Upload-Post section in a checkout, else the plugin's README."""
    text = ROOT_README.read_text() if ROOT_README.exists() else ""
    start = text.find("### Upload-Post")
    if start >= 0:
        end = text.find("\n### ", start + 1)
        return fidelity.not_carried(text[start : end if end > 0 else None])
    return fidelity.not_carried(README)


@pytest.mark.parametrize("stream", list(examples.RESPONSES))
def test_every_documented_field_reaches_a_record_or_is_listed(stream):
    result = walk(stream)
    assert result.problems == ()
    listed = set(not_carried()) & result.documented
    assert result.carried == result.documented - listed
    print(stream, result.summary)


def test_the_counts_per_stream():
    counts = {stream: (len(walk(stream).carried), len(walk(stream).documented)) for stream in examples.RESPONSES}
    assert counts == {
        "profile_analytics": (15, 15),
        "total_impressions": (10, 11),
        "post_analytics": (24, 25),
        "platform_metrics": (4, 4),
    }


def test_every_listed_field_is_documented_with_a_reason_in_both_readmes():
    listed = not_carried()
    assert listed, "the README has no 'Fields not carried' table"
    documented = set().union(*(walk(stream).documented for stream in examples.RESPONSES))
    plugin_readme = README.read_text()
    for path, reason in listed.items():
        assert path in documented, f"{path!r} is listed as not carried but no docs example has it"
        assert len(reason.split()) >= 4, f"{path!r}: say why it is not carried"
        assert f"`{path}`" in plugin_readme[plugin_readme.index("Fields not carried") :]


def test_the_walk_catches_a_dropped_field(monkeypatch):
    import socialtap_uploadpost.normalize as normalize

    original = normalize.Post

    def without_title(*args, **kwargs):
        kwargs["attributes"] = {k: v for k, v in kwargs.get("attributes", {}).items() if k != "post_title"}
        return original(*args, **kwargs)

    monkeypatch.setattr(normalize, "Post", without_title)
    result = walk("post_analytics")
    assert any(problem.startswith("post.post_title:") for problem in result.problems)
