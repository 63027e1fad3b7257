"""Rate limits measured at real servers on 127.0.0.1: in memory, shared through SQLite and Redis.

Time here is only ever asserted as "no faster than the limit allows" (a lower bound),
never as an upper bound that a slow machine could break.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from engine_support import TOKEN, ItemsApp, VendorPlugin, make_vendor

from socialtap import Options, RunReport, Task, iter_records
from socialtap.declarations import RateLimit
from socialtap.errors import ConfigError
from socialtap.plugins import make_plugin_manager
from socialtap.ratelimit import Backend, credentials_key, parse_budget
from socialtap.testing import serve_app
from socialtap.testing.server import serve_app_in_subprocess

HERE = Path(__file__).parent


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"  # a fresh bucket key: no budget spent by another test


def run_keys(url: str, vendor, keys, **options):
    pm = make_plugin_manager(extra=(VendorPlugin(vendor),))
    report = RunReport("", "", "")
    task = Task(vendor.name, "items", {"key": keys}, {"token": TOKEN}, Options(base_url=url + "/api", **options))
    records = list(iter_records(task, report=report, plugin_manager=pm))
    return records, report


@pytest.mark.slow
def test_60_fanned_out_requests_against_a_5_per_second_server_see_no_429():
    vendor = make_vendor(unique("paced"), RateLimit(5, 1.0))
    keys = [f"k{i}" for i in range(60)]
    # The server in a process of its own: rates are measured where a vendor measures them,
    # not in a thread that shares the client's GIL and garbage collector.
    with serve_app_in_subprocess("engine_support:ItemsApp", kwargs={"limit": (5, 1.0)}, sys_path=(str(HERE),)) as served:
        started = time.monotonic()
        records, report = run_keys(served.url, vendor, keys, concurrency=8)
        elapsed = time.monotonic() - started
        seen = served.state("throttled", "arrivals")
    assert seen["throttled"] == 0, f"the server answered 429 {seen['throttled']} times"
    assert report.retries == 0 and report.requests == 60 and len(records) == 180
    app = ItemsApp()
    app.arrivals = seen["arrivals"]
    assert app.max_in_window(1.0) <= 5
    assert elapsed >= 11.0, "60 requests at 5/s cannot finish in under 11 s"
    assert report.rate_limit_waits > 0


def test_servers_that_announce_their_budget_are_listened_to_before_a_429():
    vendor = make_vendor(unique("announced"))  # no declared limit: only the headers slow the client
    app = ItemsApp(announce=(4, 1.0))
    with serve_app(app) as served:
        records, report = run_keys(served.url, vendor, [f"k{i}" for i in range(12)], concurrency=1)
    assert app.throttled == 0 and len(records) == 36
    assert report.rate_limit_waits > 0


SHARED_RUN = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {here!r})
    from engine_support import TOKEN, VendorPlugin, make_vendor
    from socialtap import Options, Task, run
    from socialtap.declarations import RateLimit
    from socialtap.plugins import make_plugin_manager

    vendor = make_vendor({name!r}, RateLimit(5, 1.0))
    pm = make_plugin_manager(extra=(VendorPlugin(vendor),))
    keys = [f"{{sys.argv[1]}}-{{i}}" for i in range(10)]
    options = Options(base_url={url!r}, concurrency=4, **{backend!r})
    report = run(Task(vendor.name, "items", {{"key": keys}}, {{"token": TOKEN}}, options), plugin_manager=pm)
    print(report.requests, report.retries)
    """
)


def run_two_processes(app: ItemsApp, url: str, backend: dict[str, str]) -> list[str]:
    script = SHARED_RUN.format(here=str(HERE), name=unique("shared"), url=url + "/api", backend=backend)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIALTAP_")}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, tag],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for tag in ("a", "b")
    ]
    outputs = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            outputs.append(out.strip())
    finally:
        for proc in procs:  # never leave a process behind when one failed or hung
            if proc.poll() is None:
                proc.kill()
                proc.communicate(timeout=10)
    return outputs


def assert_shared_limit_held(app: ItemsApp, outputs: list[str]) -> None:
    assert outputs == ["10 0", "10 0"], outputs
    assert app.throttled == 0, f"the server answered 429 {app.throttled} times"
    assert app.max_in_window(1.0) <= 5
    arrivals = sorted(app.arrivals)
    assert arrivals[-1] - arrivals[0] >= 3.0, "20 requests at 5/s span at least 3 s at the server"


@pytest.mark.slow
def test_two_processes_sharing_a_sqlite_bucket_stay_within_the_limit(tmp_path):
    app = ItemsApp(limit=(5, 1.0))
    with serve_app(app) as served:
        outputs = run_two_processes(app, served.url, {"rate_limit_db": str(tmp_path / "limits.sqlite")})
    assert_shared_limit_held(app, outputs)


@pytest.mark.slow
def test_two_processes_sharing_a_redis_bucket_stay_within_the_limit(redis_url):
    app = ItemsApp(limit=(5, 1.0))
    with serve_app(app) as served:
        outputs = run_two_processes(app, served.url, {"rate_limit_url": redis_url})
    assert_shared_limit_held(app, outputs)


# -- parsing and configuration ---------------------------------------------------------


def test_budget_headers_in_their_common_forms():
    assert parse_budget({"RateLimit-Limit": "100", "RateLimit-Remaining": "7", "RateLimit-Reset": "30"}) == (100, 7, 30.0)
    assert parse_budget({"ratelimit": "limit=10, remaining=0, reset=5"}) == (10, 0, 5.0)
    assert parse_budget({"RateLimit": '"default";r=3;t=12'}) == (None, 3, 12.0)
    assert parse_budget({"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "1", "X-RateLimit-Reset": "1700000030"}, now=1700000000) == (
        60,
        1,
        30.0,
    )
    assert parse_budget({"X-Rate-Limit-Remaining": "2"}) == (None, 2, None)
    assert parse_budget({"Content-Type": "application/json"}) == (None, None, None)
    assert parse_budget({"RateLimit-Remaining": "lots"}) == (None, None, None)


def test_the_bucket_key_is_a_hash_never_the_credential():
    one = credentials_key("paged", {"token": "secret-token-1"})
    assert "secret-token-1" not in one and one.startswith("paged-")
    assert one == credentials_key("paged", {"token": "secret-token-1"})
    assert one != credentials_key("paged", {"token": "secret-token-2"})
    assert one != credentials_key("other", {"token": "secret-token-1"})


def test_backends_from_options_and_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("SOCIALTAP_RATE_LIMIT_URL", raising=False)
    monkeypatch.delenv("SOCIALTAP_RATE_LIMIT_DB", raising=False)
    assert Backend.resolve() == Backend("memory")
    assert Backend.resolve(db=str(tmp_path / "l.sqlite")) == Backend("sqlite", str(tmp_path / "l.sqlite"))
    assert Backend.resolve(url="redis://user:pw@host:6379/0").kind == "redis"
    assert "pw" not in Backend.resolve(url="redis://user:pw@host:6379/0").describe()
    monkeypatch.setenv("SOCIALTAP_RATE_LIMIT_DB", str(tmp_path / "env.sqlite"))
    assert Backend.resolve() == Backend("sqlite", str(tmp_path / "env.sqlite"))
    with pytest.raises(ConfigError, match="redis://"):
        Backend.resolve(url="ftp://nowhere")
