"""The engine keeps its connection to the vendor open from page to page.

A vendor's server keeps HTTP/1.1 connections alive; a client that closes its connection
after each page pays a TCP (and, against https, a TLS) handshake per page. The test
server here keeps connections alive too (``serve_app(keep_alive=True)``) and counts them.
"""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from engine_support import TOKEN, ItemsApp, VendorPlugin, make_vendor

from socialtap import Options, Task, iter_records
from socialtap.errors import ChainsFailedError
from socialtap.plugins import make_plugin_manager
from socialtap.testing import serve_app


def fetch(served, keys: list[str], **options) -> int:
    vendor = make_vendor("keepalive")
    pm = make_plugin_manager(extra=(VendorPlugin(vendor),))
    task = Task(vendor.name, "items", {"key": keys}, {"token": TOKEN}, Options(base_url=served.url + "/api", **options))
    return sum(1 for _ in iter_records(task, plugin_manager=pm))


def test_one_connection_serves_every_page_of_a_chain():
    app = ItemsApp(default_pages=12)
    with serve_app(app, keep_alive=True) as served:
        records = fetch(served, ["a"])
        assert records == 12 * 3 and len(app.requests) == 12
        assert served.connections == 1


def test_concurrent_chains_open_no_more_connections_than_workers():
    app = ItemsApp(default_pages=5)
    with serve_app(app, keep_alive=True) as served:
        fetch(served, [f"k{i}" for i in range(8)], concurrency=2)
        assert len(app.requests) == 40
        assert served.connections <= 2


def test_an_error_status_keeps_the_connection_too():
    app = ItemsApp(default_pages=3, fail={"bad": 404})
    with serve_app(app, keep_alive=True) as served:
        with pytest.raises(ChainsFailedError, match="key=bad"):
            fetch(served, ["a", "bad", "b"], concurrency=1)
        assert len(app.requests) == 3 + 1 + 3
        assert served.connections == 1
