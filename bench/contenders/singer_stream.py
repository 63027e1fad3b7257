"""A Singer SDK ``RESTStream`` iterating its records in-process, as the SDK's docs show a stream."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from common import main
from singer_sdk import RESTStream, Tap
from singer_sdk import typing as th
from singer_sdk.pagination import BaseHATEOASPaginator


class NextLink(BaseHATEOASPaginator):
    def get_next_url(self, response: Any) -> str | None:
        return response.json().get("next")


class Items(RESTStream):
    name = "items"
    path = "/items"
    records_jsonpath = "$.results[*]"
    primary_keys = ("id",)
    schema = th.PropertiesList(
        th.Property("id", th.IntegerType),
        th.Property("username", th.StringType),
        th.Property("platform", th.StringType),
        th.Property("country", th.StringType),
        th.Property("followers", th.IntegerType),
        th.Property("following", th.IntegerType),
        th.Property("posts", th.IntegerType),
        th.Property("engagement_rate", th.NumberType),
    ).to_dict()

    @property
    def url_base(self) -> str:
        return self.config["base"]

    def get_new_paginator(self) -> NextLink:
        return NextLink()

    def get_url_params(self, context: Any, next_page_token: Any) -> dict[str, Any]:
        return dict(parse_qsl(next_page_token.query)) if next_page_token else {}


class BenchTap(Tap):
    name = "tap-bench"
    config_jsonschema = th.PropertiesList(th.Property("base", th.StringType, required=True)).to_dict()

    def discover_streams(self) -> list[Items]:
        return [Items(self)]


def run(url: str, pages: int) -> Iterator[Any]:
    tap = BenchTap(config={"base": url.rsplit("/items", 1)[0]}, setup_mapper=False)
    yield from tap.streams["items"].get_records(context=None)


if __name__ == "__main__":
    main(run)
