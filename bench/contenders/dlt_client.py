"""dlt's ``RESTClient.paginate`` following DRF ``next`` links, as dlt's REST client docs show."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from common import main
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator


def run(url: str, pages: int) -> Iterator[Any]:
    base, _, path = url.rpartition("/")
    client = RESTClient(base_url=base, paginator=JSONLinkPaginator(next_url_path="next"), data_selector="results")
    for page in client.paginate(path):
        yield from page


if __name__ == "__main__":
    main(run)
