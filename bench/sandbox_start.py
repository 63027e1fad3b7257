"""How long a vendor sandbox takes to start serving and to stop, per installed vendor.

    .venv/bin/python bench/sandbox_start.py [ROUNDS]

Prints a table: median and worst start-to-first-answer and stop times over ROUNDS
rounds (default 20). Start is measured until the server answers a TCP connect.
"""

from __future__ import annotations

import socket
import statistics
import sys
import time

from socialtap.plugins import get_registry
from socialtap.testing import serve_sandbox


def measure(vendor: str, rounds: int) -> tuple[list[float], list[float]]:
    starts, stops = [], []
    for _ in range(rounds):
        began = time.perf_counter()
        context = serve_sandbox(vendor)
        running = context.__enter__()
        with socket.create_connection(("127.0.0.1", running.served.port), timeout=5):
            pass
        starts.append(time.perf_counter() - began)
        began = time.perf_counter()
        context.__exit__(None, None, None)
        stops.append(time.perf_counter() - began)
    return starts, stops


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    print(f"{'vendor':<14}{'start median ms':>16}{'start max ms':>14}{'stop median ms':>16}{'stop max ms':>13}")
    for vendor in sorted(v.name for v in get_registry().vendors()):
        starts, stops = measure(vendor, rounds)
        print(
            f"{vendor:<14}{statistics.median(starts) * 1000:>16.1f}{max(starts) * 1000:>14.1f}"
            f"{statistics.median(stops) * 1000:>16.1f}{max(stops) * 1000:>13.1f}"
        )


if __name__ == "__main__":
    main()
