"""socialtap as its docs show a stream: a payload model, one record per item.

``argv[3]`` picks the mode: ``records`` (default: iterate the records), ``engine`` (the
engine alone: pages fetched, decoded and paginated, no model, no records), ``jsonl`` or
``sqlite`` (the records written to that output in a temporary directory, as ``socialtap
run -o`` does; the JSON line then also gives ``rss_growth_kb``, the peak RSS growth after
the first page).
"""

import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
from common import main

import socialtap
from socialtap import Account, Observation, Stream, Task, Vendor
from socialtap.auth import Bearer
from socialtap.declarations import Credential
from socialtap.pagination import NextLink
from socialtap.plugins import get_registry
from socialtap.runner import run_to_output

# Plugin discovery is start-up (measured by the startup section), as the peers' imports are.
get_registry()


@attrs.frozen
class Item:
    id: int
    username: str
    platform: str
    country: str
    followers: int
    following: int
    posts: int
    engagement_rate: float


@attrs.frozen
class Page:
    count: int
    next: str | None
    previous: str | None
    results: list[Item]


@attrs.frozen
class NoParams:
    pass


def records(page: Page, request: Any) -> Iterator[Any]:
    for item in page.results:
        yield Observation("bench", item.platform, "account", str(item.id), "followers", item.followers)


def passthrough(payload: Any, request: Any) -> Iterator[Any]:
    # The engine alone: pages fetched, decoded and paginated; no model, no records.
    return iter(())


def run(url: str, pages: int) -> Iterator[Any]:
    mode = sys.argv[3] if len(sys.argv) > 3 else "records"
    engine_only = mode == "engine"
    base = url.rsplit("/items", 1)[0]
    socialtap.register_vendor(
        Vendor(
            name="bench",
            title="Bench",
            auth=Bearer("token"),
            credentials=(Credential("token"),),
            base_url=base,
            streams=(
                Stream(
                    "items",
                    "/items",
                    NoParams,
                    passthrough if engine_only else records,
                    (Account, Observation),
                    pagination=NextLink("next"),
                    payload_model=None if engine_only else Page,
                ),
            ),
        )
    )
    task = Task("bench", "items", {}, {"token": "bench-token"})
    if mode in ("jsonl", "sqlite"):
        with tempfile.TemporaryDirectory() as directory:
            report = run_to_output(task, mode, str(Path(directory) / f"out.{mode}"))
        yield from range(sum(report.records.values()))
    else:
        yield from socialtap.iter_records(task)


if __name__ == "__main__":
    main(run)
