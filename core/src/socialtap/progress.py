"""A progress bar on stderr for long runs, quiet otherwise.

tqdm draws it: it shows only when stderr is a terminal (``disable=None``) and only once
the run has lasted a second (``delay=1``), so short runs, pipes, Airflow logs and n8n
output never see a bar. The bar counts chains; after it come the run's counters with
short labels (``450 rec 135 pg 135 req 2 retry 28 wait``).

It stays readable on a narrow terminal: the counters are dropped, least useful first,
before the bar gets shorter than :data:`MIN_BAR` columns, and the label goes last. When
the run ends the line is cleared, so whatever is printed next (the summary) starts at
column 0 of an empty line.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from typing import IO, Any

MIN_BAR = 10
# "100%|" + "|" around the bar and " [00:02<00:01, ]" (past an hour the times grow and
# tqdm takes the few columns from the bar).
_FIXED = len("100%||") + len(" [00:00<00:00, ]")


def counters(*, pages: int, records: int, requests: int, retries: int, waits: int) -> list[str]:
    """The counters shown after the bar, most useful first; retries and waits only when there are some."""
    shown = [f"{records} rec", f"{pages} pg", f"{requests} req"]
    if retries:
        shown.append(f"{retries} retry")
    if waits:
        shown.append(f"{waits} wait")
    return shown


def fit(label: str, chains: str, shown: list[str], columns: int) -> tuple[str, str]:
    """The label and counters text that leave the bar at least :data:`MIN_BAR` columns of ``columns``."""
    shown = list(shown)

    def width(label_: str, items: list[str]) -> int:
        return len(label_) + (1 if label_ else 0) + _FIXED + 1 + len(chains) + len(" ".join(items))

    while shown and columns - width(label, shown) < MIN_BAR:
        shown.pop()
    if columns - width(label, shown) < MIN_BAR:
        label = ""
    return label, " ".join(shown)


class Progress:
    """Chains done out of total, with run counters; a no-op when not shown."""

    def __init__(self, total_chains: int, *, label: str = "", stream: IO[str] | None = None, enabled: bool | None = None):
        self.bar: Any = None
        self.started = time.monotonic()
        self.last_drawn = 0.0
        self.drawn = False
        self.label = label
        self.total = total_chains
        self.stream = stream or sys.stderr
        if enabled is False:
            return
        if enabled is None and not (hasattr(self.stream, "isatty") and self.stream.isatty()):
            return
        from tqdm import tqdm

        self.bar = tqdm(
            total=total_chains,
            desc=label,
            file=self.stream,
            delay=1.0,
            leave=False,
            dynamic_ncols=True,
            # tqdm puts ", " before a postfix: "[00:02<00:01, 450 rec 135 pg]"
            bar_format="{desc}{percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}{postfix}]",
        )

    def columns(self) -> int:
        """The width of the terminal the bar is drawn on, now (it may be resized during a run)."""
        try:
            return os.get_terminal_size(self.stream.fileno()).columns
        except (AttributeError, OSError, ValueError):  # not a real terminal (a test's stand-in)
            return shutil.get_terminal_size((80, 24)).columns

    def update(self, *, chains_done: int, pages: int, records: int, requests: int, retries: int, waits: int) -> None:
        """Record the run's progress; redraw at most ten times a second, and not in the first second."""
        if self.bar is None:
            return
        self.bar.n = chains_done
        shown = counters(pages=pages, records=records, requests=requests, retries=retries, waits=waits)
        label, text = fit(self.label, f"{chains_done}/{self.total}", shown, self.columns())
        self.bar.desc = f"{label} " if label else ""
        self.bar.postfix = text
        now = time.monotonic()
        if now - self.started >= self.bar.delay and now - self.last_drawn >= 0.1:  # refresh() ignores delay
            self.bar.refresh()
            self.drawn = True
            self.last_drawn = now

    def close(self) -> None:
        """Clear the bar's line (tqdm would not: it drew through refresh(), not update())."""
        if self.bar is None:
            return
        if self.drawn:
            self.bar.clear()
            self.stream.write("\r")
            self.stream.flush()
        self.bar.close()
        self.bar = None
