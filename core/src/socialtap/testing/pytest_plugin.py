"""pytest fixtures for plugin authors, loaded automatically through the ``pytest11`` entry point.

- ``socialtap_plugin_manager``: a fresh plugin manager with every installed plugin.
- ``sandbox_server``: a factory ``sandbox_server(vendor, seed=0, faults=None, **options)``
  serving a vendor's sandbox on 127.0.0.1 for the test's duration.
- ``redis_url``: the ``redis://`` URL of a throwaway ``redis-server`` on 127.0.0.1 for the
  test (skipped when none is installed): a rate-limit bucket shared by processes.
- ``hostile_server``: a factory ``hostile_server(behaviour, **options)`` serving a
  :class:`~socialtap.testing.hostile.HostileApp` and its foreign traps for the test's
  duration (see :mod:`socialtap.testing.hostile`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from socialtap.plugins import make_plugin_manager
from socialtap.testing import RunningSandbox, serve_sandbox
from socialtap.testing.hostile import HostileServer, serve_hostile


@pytest.fixture
def socialtap_plugin_manager():
    return make_plugin_manager()


@pytest.fixture
def sandbox_server() -> Iterator[Any]:
    with ExitStack() as stack:

        def start(vendor: str, **options: Any) -> RunningSandbox:
            return stack.enter_context(serve_sandbox(vendor, **options))

        yield start


@pytest.fixture
def redis_url(tmp_path: Any) -> Iterator[str]:
    from socialtap.testing.server import serve_redis

    with serve_redis(str(tmp_path)) as url:
        if url is None:
            pytest.skip("redis-server not found: install it (make redis-server) to test the Redis rate-limit backend")
        yield url


@pytest.fixture
def hostile_server() -> Iterator[Any]:
    """A factory serving hostile servers (``hostile_server("foreign_next", form="backslash")``)."""
    with ExitStack() as stack:

        def start(behaviour: str = "none", **options: Any) -> HostileServer:
            return stack.enter_context(serve_hostile(behaviour, **options))

        yield start


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """One line with what the contract suite's proofs exercised, when any ran."""
    import sys

    contract = sys.modules.get("socialtap.testing.contract")
    if contract is None:
        return
    faults = sum(n for kind, n in contract.FAULT_TALLY.items() if kind != "requests")
    kills, payloads = contract.KILL_TALLY["kills"], contract.FUZZ_TALLY["payloads"]
    if faults or kills or payloads:
        kinds = f" ({dict(contract.FAULT_TALLY)})" if terminalreporter.verbosity > 0 else ""
        terminalreporter.write_line(
            f"socialtap proofs: {faults} fault-injected requests{kinds}, {kills} runs SIGKILLed, {payloads} fuzzed payloads normalized"
        )
