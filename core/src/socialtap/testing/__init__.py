"""The plugin test kit: serve sandboxes, inject faults, run the contract suite.

Install with ``pip install socialtap[testing]``. ``serve_sandbox("metrika")`` serves a
vendor's emulator on 127.0.0.1 and gives the base URL and test credentials to point a
``Task`` at.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
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
    "check_sandbox_options",
    "sandbox_option_names",
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


# serve_sandbox's own keyword arguments: a factory option of the same name could not be passed.
_RESERVED = frozenset({"seed", "port", "plugin_manager", "wrap", "faults", "vendor_name"})


def sandbox_option_names(factory: Callable[..., Any]) -> list[str] | None:
    """The keyword options a sandbox app factory accepts besides ``seed``, in declared
    order; None when it takes ``**kwargs`` (then any name may be right)."""
    try:
        parameters = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):  # a builtin or C callable: nothing to check against
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    keyword = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return [p.name for p in parameters if p.kind in keyword and p.name not in _RESERVED]


def _check_options(vendor_name: str, factory: Callable[..., Any], options: Mapping[str, Any]) -> None:
    accepted = sandbox_option_names(factory)
    unknown = sorted(name for name in options if name in _RESERVED or (accepted is not None and name not in accepted))
    if unknown:
        names = ", ".join(accepted) if accepted else "none"
        raise ConfigError(f"the {vendor_name} sandbox has no option {', '.join(map(repr, unknown))}; it accepts: {names}")


def _sandbox_of(vendor_name: str, plugin_manager: pluggy.PluginManager | None) -> tuple[Any, Any]:
    pm = plugin_manager or get_plugin_manager()
    vendor = get_registry(plugin_manager).get(vendor_name)
    sandbox = pm.hook.socialtap_sandbox(vendor=vendor)
    if sandbox is None:
        raise ConfigError(f"vendor {vendor_name!r} ships no sandbox (no plugin answers socialtap_sandbox)")
    return vendor, sandbox


def check_sandbox_options(
    vendor_name: str, options: Mapping[str, Any], *, plugin_manager: pluggy.PluginManager | None = None
) -> None:
    """ConfigError (one line) when ``options`` names something the vendor's sandbox factory
    does not take, listing the options it does: a typo must fail before a server starts,
    not as a TypeError from inside the factory. ``serve_sandbox`` checks the same."""
    _check_options(vendor_name, _sandbox_of(vendor_name, plugin_manager)[1].app, options)


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

    vendor, sandbox = _sandbox_of(vendor_name, plugin_manager)
    _check_options(vendor_name, sandbox.app, options)
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
    _, sandbox = _sandbox_of(vendor_name, None)
    _check_options(vendor_name, sandbox.app, options)
    return sandbox.app(seed=seed, **options)


def sandbox_task_options(running: RunningSandbox, **options: Any) -> Any:
    """``Options`` pointing a task at a running sandbox."""
    from socialtap.runner import Options

    return Options(base_url=running.base_url, **options)
