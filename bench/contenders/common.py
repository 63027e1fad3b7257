"""What every contender script shares: its command line and the one line of JSON it prints.

A contender is run as ``python contenders/<name>.py URL PAGES`` in its own process (and,
for a peer library, its own virtualenv). It fetches every page of ``URL`` (a DRF
``/api/items`` endpoint of ``bench/servers.py``), iterating every record, and prints
``{"records": n, "wall": s, "cpu": s, "maxrss_kb": n}`` measured around the fetch loop
only (imports and set-up are start-up, measured apart); ``maxrss_kb`` is the process's
peak resident memory at the end.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any


def main(run: Callable[[str, int], Iterable[Any]]) -> None:
    url, pages = sys.argv[1], int(sys.argv[2])
    wall, cpu = time.perf_counter(), time.process_time()
    records = sum(1 for _ in run(url, pages))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"records": records, "wall": wall, "cpu": cpu, "maxrss_kb": peak}))
