"""A progress bar on stderr for long runs, quiet otherwise.

tqdm draws it: it shows only when stderr is a terminal (``disable=None``) and only once
the run has lasted a second (``delay=1``), so short runs, pipes, Airflow logs and n8n
output never see a bar. The bar counts chains; its postfix the pages, records, requests,
retries and rate-limit waits.
"""

from __future__ import annotations

import sys
import time
from typing import IO, Any


class Progress:
    """Chains done out of total, with run counters; a no-op when not shown."""

    def __init__(self, total_chains: int, *, label: str = "", stream: IO[str] | None = None, enabled: bool | None = None):
        self.bar: Any = None
        self.started = time.monotonic()
        self.last_drawn = 0.0
        stream = stream or sys.stderr
        if enabled is False:
            return
        if enabled is None and not (hasattr(stream, "isatty") and stream.isatty()):
            return
        from tqdm import tqdm

        self.bar = tqdm(total=total_chains, desc=label, unit="chain", file=stream, delay=1.0, leave=False, dynamic_ncols=True)

    def update(self, *, chains_done: int, pages: int, records: int, requests: int, retries: int, waits: int) -> None:
        if self.bar is None:
            return
        self.bar.n = chains_done
        self.bar.set_postfix(
            pages=pages, records=records, requests=requests, retries=retries, waits=waits, refresh=False
        )
        now = time.monotonic()
        if now - self.started >= self.bar.delay and now - self.last_drawn >= 0.1:  # refresh() ignores delay
            self.bar.refresh()
            self.last_drawn = now

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
