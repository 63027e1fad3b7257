"""An Airbyte CDK ``HttpStream`` read with ``read_records``, as the CDK's docs show a stream."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from airbyte_cdk.models import SyncMode
from airbyte_cdk.sources.streams.http import HttpStream
from common import main


class Items(HttpStream):
    primary_key = "id"

    def __init__(self, base: str):
        self._base = base
        super().__init__()

    @property
    def url_base(self) -> str:
        return self._base

    def get_cursor(self) -> None:
        # No resumable-full-refresh cursor: read_records then walks every page in one call
        # (with that cursor it reads one page per call and Airbyte's read loop drives it).
        return None

    def path(self, **kwargs: Any) -> str:
        return "items"

    def next_page_token(self, response: Any) -> Mapping[str, Any] | None:
        link = response.json().get("next")
        return dict(parse_qsl(urlsplit(link).query)) if link else None

    def request_params(
        self, stream_state: Any = None, stream_slice: Any = None, next_page_token: Any = None
    ) -> Mapping[str, Any]:
        return next_page_token or {}

    def parse_response(self, response: Any, **kwargs: Any) -> Iterator[Mapping[str, Any]]:
        yield from response.json()["results"]


def run(url: str, pages: int) -> Iterator[Any]:
    yield from Items(url.rsplit("/items", 1)[0] + "/").read_records(sync_mode=SyncMode.full_refresh)


if __name__ == "__main__":
    main(run)
