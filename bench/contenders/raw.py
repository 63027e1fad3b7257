"""The yardstick: a plain ``requests.Session`` loop following DRF ``next`` links."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import requests
from common import main


def run(url: str, pages: int) -> Iterator[Any]:
    session = requests.Session()
    next_url: str | None = url
    while next_url:
        response = session.get(next_url, timeout=30)
        response.raise_for_status()
        body = response.json()
        yield from body["results"]
        next_url = body["next"]


if __name__ == "__main__":
    main(run)
