"""What the warehouse tests share: the shareablee tasks they load, and a sandbox that records queries."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from socialtap_shareablee.sandbox import ShareableeSandbox

_SANDBOX = ShareableeSandbox()
ENTITY = next(iter(_SANDBOX.entities))
CATEGORY = next(iter(_SANDBOX.categories))
SERIES = {"entity_id": ENTITY, "service": "facebook", "fields": ["total_actions"]}
# One stream per record type: posts and a time series with date windows, accounts and relations without.
PARAMS = {
    "user_content": {"entity_id": ENTITY, "service": "facebook"},
    "user_time_series": SERIES,
    "category_members": {"category_id": CATEGORY, "service": "facebook"},
}


class QueryLog:
    """WSGI middleware keeping each request's path and query: what a run asked the vendor for."""

    def __init__(self, app: Callable[..., Any]):
        self.app = app
        self.seen: list[tuple[str, dict[str, list[str]]]] = []
        self._lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Callable[..., Any]) -> Any:
        with self._lock:
            self.seen.append((environ.get("PATH_INFO", ""), parse_qs(environ.get("QUERY_STRING", ""))))
        return self.app(environ, start_response)

    def windows(self, fragment: str) -> list[tuple[str, str]]:
        """``(start_date, end_date)`` of each request whose path holds ``fragment``."""
        return [(q["start_date"][0], q["end_date"][0]) for path, q in self.seen if fragment in path and "start_date" in q]
