"""``make bench``: socialtap against a raw requests loop and its peers, one table of ratios.

Every server runs in a process of its own (``bench/servers.py``); every contender runs in
a process of its own too (``bench/contenders/``), peers in their own virtualenvs
(``scripts/install_bench.sh``), so no contender pays for another's imports or threads.
Contenders are interleaved, each repetition in a rotated order, and every figure is a
ratio to the raw loop measured in the same repetition (median, with min-max over the
repetitions): the machine's load moves both sides of a ratio together.

    .venv/bin/python bench/run.py [--pages N] [--reps R] [--rate-runs K] [--only SECTION,...]

Sections: pages (per-page cost with records, and peers), startup, rate, concurrency,
output (SQLite vs JSON Lines) and memory.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CONTENDERS = HERE / "contenders"
sys.path.insert(0, str(HERE))

from socialtap.testing.server import serve_app_in_subprocess  # noqa: E402

PYTHON = sys.executable


def peers() -> dict[str, str]:
    """``name -> python`` of each peer's virtualenv (installed by scripts/install_bench.sh)."""
    found = {}
    try:
        lines = subprocess.run(
            ["sh", str(ROOT / "scripts" / "install_bench.sh")], capture_output=True, text=True, check=True
        ).stdout.split()
    except subprocess.CalledProcessError as exc:
        print(f"peers not installed ({exc.stderr.strip()[-200:]}); comparing socialtap with the raw loop only", file=sys.stderr)
        return found
    for line in lines:
        name, _, venv = line.partition("=")
        found[name] = str(Path(venv) / "bin" / "python")
    return found


def contend(python: str, script: str, url: str, pages: int, *extra: str) -> dict[str, Any]:
    done = subprocess.run(
        [python, str(CONTENDERS / script), url, str(pages), *extra],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{script} {' '.join(extra)} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def spread(values: Sequence[float], digits: int = 2) -> str:
    return f"{statistics.median(values):.{digits}f} [{min(values):.{digits}f}-{max(values):.{digits}f}]"


# -- 1. per page --------------------------------------------------------------------------


def pages_section(pages: int, reps: int, peer_pythons: dict[str, str]) -> list[list[str]]:
    """Per-page cost: each contender / the raw loop in the same interpreter, same repetition."""
    contenders: list[tuple[str, str, str, tuple[str, ...]]] = [
        ("raw requests loop", PYTHON, "raw.py", ()),
        ("socialtap engine alone (no model, no records)", PYTHON, "socialtap_records.py", ("engine",)),
        ("socialtap stream (payload model + a record per item)", PYTHON, "socialtap_records.py", ("records",)),
    ]
    scripts = {"dlt": "dlt_client.py", "singer-sdk": "singer_stream.py", "airbyte-cdk": "airbyte_stream.py"}
    labels = {
        "dlt": "dlt RESTClient.paginate",
        "singer-sdk": "Singer SDK RESTStream.get_records",
        "airbyte-cdk": "Airbyte CDK HttpStream.read_records",
    }
    for name, python in peer_pythons.items():
        contenders.append((f"raw loop in the {name} venv", python, "raw.py", ()))
        contenders.append((labels[name], python, scripts[name], ()))
    results: dict[str, list[dict[str, Any]]] = {label: [] for label, *_ in contenders}
    with serve_app_in_subprocess(
        "servers:PagesApp", kwargs={"pages": pages, "items": 100}, sys_path=(str(HERE),), keep_alive=True
    ) as server:
        url = server.url + "/api/items"
        for rep in range(reps):
            order = contenders[rep % len(contenders) :] + contenders[: rep % len(contenders)]
            for label, python, script, extra in order:
                results[label].append(contend(python, script, url, pages, *extra))
    raw_of = {PYTHON: "raw requests loop", **{p: f"raw loop in the {n} venv" for n, p in peer_pythons.items()}}
    rows = []
    for label, python, _, _ in contenders:
        if label.startswith("raw loop in"):
            continue
        raw = results[raw_of[python]]
        wall = [r["wall"] / b["wall"] for r, b in zip(results[label], raw, strict=True)]
        cpu = [r["cpu"] / b["cpu"] for r, b in zip(results[label], raw, strict=True)]
        per_page = statistics.median(r["wall"] for r in results[label]) / pages * 1e6
        rows.append(
            ["pages", label, spread(wall), spread(cpu), f"{per_page:.0f} us/page, {results[label][0]['records']} records"]
        )
    return rows


# -- 2. start-up -----------------------------------------------------------------------


def startup_section(reps: int) -> list[list[str]]:
    """``import socialtap`` + plugin discovery against ``import requests``, each in a fresh interpreter."""
    commands = {
        "requests": "import requests",
        "socialtap": "import socialtap; from socialtap.plugins import get_registry; get_registry()",
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for rep in range(reps):
        for name in list(commands) if rep % 2 == 0 else list(reversed(commands)):
            started = time.perf_counter()
            subprocess.run([PYTHON, "-c", commands[name]], check=True, stdin=subprocess.DEVNULL)
            times[name].append(time.perf_counter() - started)
    extra = [(s - r) * 1000 for s, r in zip(times["socialtap"], times["requests"], strict=True)]
    return [
        [
            "startup",
            "import socialtap + discover plugins, minus import requests",
            f"+{spread(extra, 0)} ms",
            "",
            f"requests alone {statistics.median(times['requests']) * 1000:.0f} ms (interpreter included)",
        ]
    ]


# -- 3. rate ---------------------------------------------------------------------------


# One fan-out run of `requests` one-page chains: argv = server URL, rate limit per second
# (0: none), the engine tests' folder (engine_support), requests, concurrency. Prints the
# seconds the run itself took, without the interpreter's start.
FANOUT_PROGRAM = """
import sys, time
import attrs
from socialtap import Options, Task, iter_records
from socialtap.declarations import RateLimit
from socialtap.pagination import NextLink
from socialtap.plugins import make_plugin_manager
url, limit, tests, requests, concurrency = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
sys.path.insert(0, tests)
from engine_support import TOKEN, VendorPlugin, make_vendor
vendor = make_vendor("bench_fanout", RateLimit(limit, 1.0) if limit else None)
stream = attrs.evolve(vendor.streams[0], pagination=NextLink("next"), normalize=lambda payload, request: ())
vendor = attrs.evolve(vendor, streams=(stream,))
pm = make_plugin_manager(extra=(VendorPlugin(vendor),))
keys = [f"k{i}" for i in range(requests)]
task = Task(vendor.name, "items", {"key": keys}, {"token": TOKEN}, Options(base_url=url + "/api", concurrency=concurrency))
started = time.perf_counter()
for _ in iter_records(task, plugin_manager=pm):
    pass
print(time.perf_counter() - started)
"""


def fan_out(url: str, *, limit: int, requests: int, concurrency: int) -> float:
    """Run FANOUT_PROGRAM in a fresh interpreter; the seconds the run took."""
    done = subprocess.run(
        [PYTHON, "-c", FANOUT_PROGRAM, url, str(limit), str(ROOT / "core" / "tests"), str(requests), str(concurrency)],
        check=True,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


def rate_section(runs: int, requests: int = 150, limit: int = 5) -> list[list[str]]:
    """Against a server answering 429 past ``limit`` per sliding second: rate reached, 429s seen."""
    fractions, throttled = [], 0
    for _ in range(runs):
        with serve_app_in_subprocess(
            "servers:RateApp", kwargs={"limit": limit, "per": 1.0}, sys_path=(str(HERE),), keep_alive=True
        ) as server:
            fan_out(server.url, limit=limit, requests=requests, concurrency=8)
            state = server.state("arrivals", "throttled")
        arrivals = sorted(state["arrivals"])
        # The first window's burst is free; the sustained rate is what follows it.
        fractions.append((len(arrivals) - limit) / (arrivals[-1] - arrivals[0]) / limit)
        throttled += state["throttled"]
    return [
        [
            "rate",
            f"{requests} requests at concurrency 8 vs a {limit} req/s sliding-window server, {runs} run(s)",
            spread(fractions, 3),
            "",
            f"429s at the server: {throttled} in {runs} run(s)",
        ]
    ]


# -- 4. concurrency --------------------------------------------------------------------


def concurrency_section(requests: int = 200, latency: float = 0.05) -> list[list[str]]:
    """``requests`` independent requests at ``latency`` server latency: fraction of the ideal time."""
    rows = []
    for concurrency in (1, 4, 8, 16):
        with serve_app_in_subprocess(
            "servers:LatencyApp", kwargs={"latency": latency}, sys_path=(str(HERE),), keep_alive=True
        ) as server:
            elapsed = fan_out(server.url, limit=0, requests=requests, concurrency=concurrency)
            peak = server.state("peak_in_flight")["peak_in_flight"]
        ideal = math.ceil(requests / concurrency) * latency
        rows.append(
            [
                "concurrency",
                f"{requests} requests, {latency * 1000:.0f} ms latency, concurrency {concurrency}",
                f"{ideal / elapsed:.3f}",
                "",
                f"{elapsed:.2f}s (ideal {ideal:.2f}s), peak in flight {peak}",
            ]
        )
    return rows


# -- 5. output, 6. memory ------------------------------------------------------------------


def output_section(pages: int, reps: int) -> list[list[str]]:
    """CPU per page written to SQLite against JSON Lines (same records, same run shape)."""
    results: dict[str, list[dict[str, Any]]] = {"jsonl": [], "sqlite": [], "records": []}
    with serve_app_in_subprocess(
        "servers:PagesApp", kwargs={"pages": pages, "items": 100}, sys_path=(str(HERE),), keep_alive=True
    ) as server:
        url = server.url + "/api/items"
        for rep in range(reps):
            for mode in ("records", "jsonl", "sqlite") if rep % 2 == 0 else ("sqlite", "jsonl", "records"):
                results[mode].append(contend(PYTHON, "socialtap_records.py", url, pages, mode))
    cpu = [s["cpu"] / j["cpu"] for s, j in zip(results["sqlite"], results["jsonl"], strict=True)]
    per_page = {mode: statistics.median(r["cpu"] for r in runs) / pages * 1000 for mode, runs in results.items()}
    return [
        [
            "output",
            f"{pages} pages x 100 records: sqlite / jsonl (client CPU)",
            "",
            spread(cpu),
            f"CPU per page: fetch+records {per_page['records']:.2f} ms, jsonl {per_page['jsonl']:.2f} ms, "
            f"sqlite {per_page['sqlite']:.2f} ms",
        ]
    ]


def memory_section(small: int = 100, large: int = 1000) -> list[list[str]]:
    """Peak RSS of a run to SQLite over ``large`` pages minus over ``small`` pages."""
    peaks = {}
    for pages in (small, large):
        with serve_app_in_subprocess(
            "servers:PagesApp", kwargs={"pages": pages, "items": 100}, sys_path=(str(HERE),), keep_alive=True
        ) as server:
            peaks[pages] = contend(PYTHON, "socialtap_records.py", server.url + "/api/items", pages, "sqlite")["maxrss_kb"]
    growth = (peaks[large] - peaks[small]) / 1024
    return [
        [
            "memory",
            f"peak RSS, {large} pages to SQLite minus {small} pages",
            f"{growth:+.1f} MB",
            "",
            f"peaks {peaks[small] / 1024:.0f} MB and {peaks[large] / 1024:.0f} MB",
        ]
    ]


# -- the table -----------------------------------------------------------------------------


def print_table(rows: list[list[str]]) -> None:
    header = ["section", "workload", "ratio to raw / result (median [min-max])", "client CPU ratio", "notes"]
    rows = [header, *rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for i, row in enumerate(rows):
        print(" | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        if i == 0:
            print("-+-".join("-" * width for width in widths))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=500, help="pages of 100 items per contender run (default 500)")
    parser.add_argument("--reps", type=int, default=5, help="alternated repetitions (default 5)")
    parser.add_argument("--rate-runs", type=int, default=1, help="runs of the rate section (20 to look for any 429)")
    parser.add_argument("--only", default="pages,startup,rate,concurrency,output,memory")
    args = parser.parse_args(argv)
    sections = args.only.split(",")
    load = os.getloadavg()
    print(
        f"# {platform.node()}: {os.cpu_count()} CPUs, {platform.python_implementation()} {platform.python_version()}, "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at start",
        flush=True,
    )
    steps: dict[str, Callable[[], list[list[str]]]] = {
        "pages": lambda: pages_section(args.pages, args.reps, peers()),
        "startup": lambda: startup_section(max(10, args.reps)),
        "rate": lambda: rate_section(args.rate_runs),
        "concurrency": concurrency_section,
        "output": lambda: output_section(args.pages, args.reps),
        "memory": memory_section,
    }
    rows: list[list[str]] = []
    for name in sections:
        rows.extend(steps[name]())
    load = os.getloadavg()
    print_table(rows)
    print(f"# load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end")


if __name__ == "__main__":
    main()
