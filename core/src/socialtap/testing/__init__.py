"""The plugin test kit: serve sandboxes, inject faults, run the contract suite.

Install with ``pip install socialtap[testing]``. ``serve_sandbox("metrika")`` serves a
vendor's emulator on 127.0.0.1 and gives the base URL and test credentials to point a
``Task`` at.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import attrs
import pluggy

from socialtap.errors import ConfigError
from socialtap.plugins import get_plugin_manager, get_registry
from socialtap.testing.echo import EchoSecrets
from socialtap.testing.hostile import HostileApp, HostileServer, serve_hostile
from socialtap.testing.server import CountingApp, ServedApp, serve_app

__all__ = [
    "CountingApp",
    "EchoSecrets",
    "HostileApp",
    "HostileServer",
    "RunningSandbox",
    "ServedApp",
    "sandbox_app",
    "serve_app",
    "serve_hostile",
    "serve_sandbox",
    "sandbox_task_options",
]


@attrs.frozen
class RunningSandbox:
    """A vendor sandbox being served: where it is and how to log in."""

    vendor: str
    base_url: str
    credentials: dict[str, str] = attrs.field(repr=False)
    app: Any
    served: ServedApp
    injector: Any = None

    @property
    def faults_seen(self) -> dict[str, int]:
        """Faults injected so far, by kind (empty without fault injection)."""
        return dict(self.injector.counts) if self.injector is not None else {}


@contextmanager
def serve_sandbox(
    vendor_name: str,
    *,
    seed: int = 0,
    port: int = 0,
    plugin_manager: pluggy.PluginManager | None = None,
    wrap: Any = None,
    faults: Any = None,
    **options: Any,
) -> Iterator[RunningSandbox]:
    """Serve ``vendor_name``'s sandbox on 127.0.0.1 for the duration of the block.

    ``options`` go to the sandbox's app factory (sizes, limits); ``faults`` (a
    :class:`~socialtap.testing.faults.Faults` or its spec string) injects faults; ``wrap``
    wraps the app in any other WSGI middleware before it is served.
    """
    from socialtap.testing.faults import FaultInjector, Faults

    pm = plugin_manager or get_plugin_manager()
    vendor = get_registry(plugin_manager).get(vendor_name)
    sandbox = pm.hook.socialtap_sandbox(vendor=vendor)
    if sandbox is None:
        raise ConfigError(f"vendor {vendor_name!r} ships no sandbox (no plugin answers socialtap_sandbox)")
    app = sandbox.app(seed=seed, **options)
    injector = None
    served_app = app
    if faults is not None:
        injector = FaultInjector(app, Faults.parse(faults) if isinstance(faults, str) else faults)
        served_app = injector
    if wrap is not None:
        served_app = wrap(served_app)
        injector = injector or (served_app if isinstance(served_app, FaultInjector) else None)
    with serve_app(served_app, port=port) as served:
        base_path = urlsplit(vendor.base_url).path.rstrip("/")
        yield RunningSandbox(vendor_name, served.url + base_path, dict(sandbox.credentials), app, served, injector)


def sandbox_app(vendor_name: str, *, seed: int = 0, **options: Any) -> Any:
    """A vendor's sandbox WSGI app, unserved: the factory to serve it from a child process with
    ``serve_app_in_subprocess("socialtap.testing:sandbox_app", kwargs={"vendor_name": ...})``."""
    vendor = get_registry().get(vendor_name)
    sandbox = get_plugin_manager().hook.socialtap_sandbox(vendor=vendor)
    if sandbox is None:
        raise ConfigError(f"vendor {vendor_name!r} ships no sandbox (no plugin answers socialtap_sandbox)")
    return sandbox.app(seed=seed, **options)


def sandbox_task_options(running: RunningSandbox, **options: Any) -> Any:
    """``Options`` pointing a task at a running sandbox."""
    from socialtap.runner import Options

    return Options(base_url=running.base_url, **options)
