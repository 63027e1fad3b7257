"""Engine benchmarks on 127.0.0.1 (``make bench``): a table of achieved rate and throughput.

1. Rate: a server enforcing exactly 5 requests per sliding second (429 past it); a vendor
   declaring RateLimit(5, 1); 50 fanned-out requests at concurrency 8. The achieved rate
   is measured at the server, after the first window's burst: (N - 5) / (last - first
   arrival), as a fraction of 5. 429s seen at the server are reported too (should be 0).
2. Throughput: a server answering every request after 50 ms, no rate limit; 80 chains of
   one page at concurrency 1, 4 and 8. Ideal time = ceil(80 / c) x 50 ms; the fraction
   is ideal / measured.
"""

from __future__ import annotations

import math
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core" / "tests"))
from engine_support import TOKEN, ItemsApp, VendorPlugin, make_vendor

from socialtap import Options, RunReport, Task, iter_records
from socialtap.declarations import RateLimit
from socialtap.plugins import make_plugin_manager
from socialtap.testing import serve_app


def fetch(app: ItemsApp, vendor, keys, **options) -> tuple[float, RunReport]:
    pm = make_plugin_manager(extra=(VendorPlugin(vendor),))
    report = RunReport("", "", "")
    with serve_app(app) as served:
        task = Task(vendor.name, "items", {"key": keys}, {"token": TOKEN}, Options(base_url=served.url + "/api", **options))
        started = time.monotonic()
        for _ in iter_records(task, report=report, plugin_manager=pm):
            pass
        return time.monotonic() - started, report


def rate_row(n: int = 50, limit: int = 5) -> list[str]:
    vendor = make_vendor(f"bench_rate_{uuid.uuid4().hex[:6]}", RateLimit(limit, 1.0))
    app = ItemsApp(limit=(limit, 1.0))
    elapsed, report = fetch(app, vendor, [f"k{i}" for i in range(n)], concurrency=8)
    arrivals = sorted(app.arrivals)
    achieved = (len(arrivals) - limit) / (arrivals[-1] - arrivals[0])
    return [
        f"rate vs {limit} req/s server",
        f"{n} requests, concurrency 8",
        f"{achieved:.2f} req/s",
        f"{achieved / limit:.3f}",
        f"{elapsed:.2f}s, 429s at server: {app.throttled}, retries: {report.retries}",
    ]


def throughput_row(concurrency: int, n: int = 80, latency: float = 0.05) -> list[str]:
    vendor = make_vendor(f"bench_tp_{uuid.uuid4().hex[:6]}")
    app = ItemsApp(latency=latency)
    elapsed, _ = fetch(app, vendor, [f"k{i}" for i in range(n)], concurrency=concurrency)
    ideal = math.ceil(n / concurrency) * latency
    return [
        f"throughput, {latency * 1000:.0f} ms latency",
        f"{n} requests, concurrency {concurrency}",
        f"{n / elapsed:.1f} req/s",
        f"{ideal / elapsed:.3f}",
        f"{elapsed:.2f}s (ideal {ideal:.2f}s)",
    ]


def main() -> None:
    rows = [["benchmark", "workload", "achieved", "fraction of ideal", "notes"]]
    rows.append(rate_row())
    for concurrency in (1, 4, 8):
        rows.append(throughput_row(concurrency))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for i, row in enumerate(rows):
        print(" | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
        if i == 0:
            print("-+-".join("-" * w for w in widths))


if __name__ == "__main__":
    main()
