"""The plugin manager: internal default plugins, entry-point discovery, the vendor registry.

Entry points in the ``socialtap`` group are loaded one by one, so a plugin that fails to
import is named in a warning and the others still work. ``SOCIALTAP_LOAD_PLUGINS=a,b``
loads only the named entry points (an empty value loads none); ``SOCIALTAP_TRACE_PLUGINS=1``
traces every hook call to stderr.

The trace shows what was called, never the values passed: each line names the hook, the
plugins that implement it and a *summary* of each argument and of the result (its type,
a vendor's or stream's name, a request's method, chain and page, a response's status
and size, the length of a mapping or list). pluggy's own ``enable_tracing`` prints every
argument's ``repr``, which would write ``credentials=`` of ``socialtap_auth``, request
URLs and whole response payloads (a vendor may echo the token in them) to stderr; so it
is not used. A hook that raises is traced with the exception's type only.
"""

from __future__ import annotations

import importlib
import importlib.metadata as md
import os
import sys
import threading
import warnings
from typing import Any

import attrs
import pluggy

from socialtap import hookspecs
from socialtap.declarations import Vendor
from socialtap.errors import ConfigError

DEFAULT_PLUGINS = (
    "socialtap.default_auth",
    "socialtap.default_requests",
    "socialtap.default_pagination",
    "socialtap.default_normalize",
    "socialtap.default_sandbox",
)
ENTRY_POINT_GROUP = "socialtap"


class PluginLoadWarning(UserWarning):
    """A plugin's entry point could not be loaded; the other plugins still work."""


@attrs.define
class Registered:
    vendor: Vendor
    plugin_name: str
    distribution: str


class Registry:
    """Vendors registered by all plugins, by name."""

    def __init__(self, pm: pluggy.PluginManager):
        self.pm = pm
        self.entries: dict[str, Registered] = {}
        impls = pm.hook.socialtap_register_vendors.get_hookimpls()
        for impl in impls:
            # One hook call per plugin (still traced) so each vendor is tied to its distribution.
            others = [other.plugin for other in impls if other is not impl]
            caller = pm.subset_hook_caller("socialtap_register_vendors", remove_plugins=others)
            dist = distribution_of(pm, impl.plugin)
            caller(register=lambda vendor, _n=impl.plugin_name, _d=dist: self._add(vendor, _n, _d))

    def _add(self, vendor: Vendor, plugin_name: str, distribution: str) -> None:
        if not isinstance(vendor, Vendor):
            raise ConfigError(f"plugin {plugin_name!r} ({distribution}) registered {vendor!r}, not a socialtap Vendor")
        existing = self.entries.get(vendor.name)
        if existing is not None:
            raise ConfigError(
                f"vendor {vendor.name!r} is registered twice: by {existing.distribution} "
                f"(plugin {existing.plugin_name!r}) and by {distribution} (plugin {plugin_name!r}); "
                f"uninstall one of them, or pick one with SOCIALTAP_LOAD_PLUGINS"
            )
        self.entries[vendor.name] = Registered(vendor, plugin_name, distribution)

    def vendors(self) -> list[Vendor]:
        return [entry.vendor for entry in self.entries.values()]

    def get(self, name: str) -> Vendor:
        try:
            return self.entries[name].vendor
        except KeyError:
            from socialtap.suggest import unknown_vendor_advice

            known = ", ".join(sorted(self.entries)) or "none installed"
            advice = unknown_vendor_advice(name, self.entries)
            raise ConfigError(f"unknown vendor {name!r} (installed: {known}); {advice}") from None


class PluginManager(pluggy.PluginManager):
    """pluggy's manager, remembering which distribution each entry-point plugin came from."""

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT)
        self.distributions: dict[str, tuple[str, str]] = {}


def distribution_of(pm: pluggy.PluginManager, plugin: Any) -> str:
    name = pm.get_name(plugin) or ""
    dist = getattr(pm, "distributions", {}).get(name)
    if dist is not None:
        return f"{dist[0]} {dist[1]}"
    return "socialtap (internal)" if name in DEFAULT_PLUGINS else f"plugin {name!r} registered in code"


def _allow_list() -> set[str] | None:
    value = os.environ.get("SOCIALTAP_LOAD_PLUGINS")
    if value is None:
        return None
    return {name.strip() for name in value.split(",") if name.strip()}


def load_entry_points(pm: pluggy.PluginManager) -> None:
    allowed = _allow_list()
    for ep in md.entry_points(group=ENTRY_POINT_GROUP):
        if allowed is not None and ep.name not in allowed:
            continue
        if pm.get_plugin(ep.name) is not None or pm.is_blocked(ep.name):
            continue
        dist_name = ep.dist.name if ep.dist else "unknown distribution"
        try:
            plugin = ep.load()
        except Exception as exc:
            warnings.warn(
                f"socialtap plugin {ep.name!r} from {dist_name} failed to load and is skipped: "
                f"{type(exc).__name__}: {exc}. Reinstall or upgrade it, or leave it out with "
                f"SOCIALTAP_LOAD_PLUGINS.",
                PluginLoadWarning,
                stacklevel=2,
            )
            continue
        pm.register(plugin, name=ep.name)
        if ep.dist is not None:
            pm.distributions[ep.name] = (ep.dist.name, ep.dist.version)


def make_plugin_manager(*, load_entry_points_: bool = True, extra: tuple[Any, ...] = ()) -> pluggy.PluginManager:
    """A fresh plugin manager with the defaults, installed plugins and ``extra`` objects."""
    pm = PluginManager()
    pm.add_hookspecs(hookspecs)
    for module_name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(module_name), name=module_name)
    if load_entry_points_:
        load_entry_points(pm)
    for plugin in extra:
        pm.register(plugin)
    pm.check_pending()
    if os.environ.get("SOCIALTAP_TRACE_PLUGINS", "").lower() not in ("", "0", "false", "no"):
        enable_safe_tracing(pm)
    return pm


def summarize(value: Any) -> str:
    """A one-word account of a hook argument or result that never holds its content."""
    from socialtap.declarations import Stream
    from socialtap.http import Request, Response

    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    if isinstance(value, Vendor):
        return f"Vendor({value.name!r})"
    if isinstance(value, Stream):
        return f"Stream({value.name!r})"
    if isinstance(value, Request):
        return f"Request({value.method}, chain={value.chain!r}, page={value.page})"
    if isinstance(value, Response):
        return f"Response({value.status}, {value.size} bytes)"
    if isinstance(value, str):
        return f"str({len(value)} chars)"
    if isinstance(value, (dict, list, tuple, set, frozenset)):
        return f"{type(value).__name__}({len(value)} items)"
    return f"<{type(value).__name__}>"


def enable_safe_tracing(pm: pluggy.PluginManager, write: Any = None) -> Any:
    """Trace every hook call of ``pm`` to ``write`` (default stderr) as summaries only
    (see the module doc); returns pluggy's undo function."""
    local = threading.local()

    def out(line: str) -> None:
        (write or sys.stderr.write)("  " * getattr(local, "depth", 0) + line + "\n")

    def before(hook_name: str, hook_impls: list[Any], kwargs: dict[str, Any]) -> None:
        plugins = ", ".join(impl.plugin_name for impl in hook_impls)
        args = ", ".join(f"{name}={summarize(value)}" for name, value in kwargs.items())
        out(f"{hook_name}({args}) [{plugins}]")
        local.depth = getattr(local, "depth", 0) + 1

    def after(outcome: Any, hook_name: str, hook_impls: list[Any], kwargs: dict[str, Any]) -> None:
        local.depth = max(getattr(local, "depth", 1) - 1, 0)
        if outcome.exception is not None:
            out(f"{hook_name} raised {type(outcome.exception).__name__}")
        else:
            out(f"{hook_name} -> {summarize(outcome.get_result())}")

    return pm.add_hookcall_monitoring(before, after)


_lock = threading.RLock()
_pm: pluggy.PluginManager | None = None
_registry: Registry | None = None
_registry_plugins: tuple[int, ...] = ()
# The plugin objects the cached registry was built from, held so that none is freed while
# cached: a freed plugin's id() can be reused by a new one, which would look unchanged.
_registry_held: list[Any] = []


def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, built on first use."""
    global _pm
    with _lock:
        if _pm is None:
            _pm = make_plugin_manager()
        return _pm


def _plugin_ids(pm: pluggy.PluginManager) -> tuple[int, ...]:
    return tuple(sorted(id(plugin) for plugin in pm.get_plugins()))


def get_registry(pm: pluggy.PluginManager | None = None) -> Registry:
    """The vendors of ``pm`` (default: the process-wide manager).

    The process-wide registry is rebuilt whenever the manager's plugins changed since it
    was built, so a plugin registered after first use (with :func:`use_plugin`,
    :func:`register_vendor` or ``get_plugin_manager().register``) is seen, never ignored.
    """
    global _registry, _registry_plugins, _registry_held
    if pm is not None:
        return Registry(pm)
    pm = get_plugin_manager()
    with _lock:
        current = _plugin_ids(pm)
        if _registry is None or current != _registry_plugins:
            _registry = Registry(pm)
            _registry_plugins = current
            _registry_held = list(pm.get_plugins())
        return _registry


def reset() -> None:
    """Forget the process-wide manager (tests, or after installing a plugin)."""
    global _pm, _registry, _registry_plugins, _registry_held
    with _lock:
        _pm = None
        _registry = None
        _registry_plugins = ()
        _registry_held = []


def use_plugin(plugin: Any, *, name: str | None = None) -> str:
    """Add a plugin (a module or an object with ``@hookimpl`` methods) to the process-wide manager.

    For a plugin that is not installed as a distribution: a notebook, a test, a one-off
    script. It takes part in every later run exactly as an entry-point plugin would,
    including its vendors (the registry is rebuilt). ``name`` defaults to the module's
    name or the object's class name; a plugin already registered under that name is
    replaced, so re-running a notebook cell is harmless. Returns the name, for
    :func:`forget_plugin`. A misspelt hook raises at once (``check_pending``), and a
    vendor name another plugin already registers raises ConfigError naming both.
    """
    pm = get_plugin_manager()
    if name is None:
        name = getattr(plugin, "__name__", None) or f"{type(plugin).__module__}.{type(plugin).__qualname__}"
    with _lock:
        if pm.get_plugin(name) is not None:
            pm.unregister(name=name)
        pm.register(plugin, name=name)
        try:
            pm.check_pending()
            get_registry()  # a clash between vendor names is reported here, not at the first run
        except Exception:
            pm.unregister(name=name)
            raise
    return name


def forget_plugin(name: str) -> None:
    """Remove a plugin added with :func:`use_plugin` or :func:`register_vendor` (no error if absent)."""
    pm = get_plugin_manager()
    with _lock:
        if pm.get_plugin(name) is not None:
            pm.unregister(name=name)


class _InlineVendor:
    """The plugin :func:`register_vendor` registers: it declares one vendor and answers no other hook."""

    def __init__(self, vendor: Vendor):
        self.vendor = vendor

    @hookspecs.hookimpl
    def socialtap_register_vendors(self, register: Any) -> None:
        """Registers the one vendor this object was made for."""
        register(self.vendor)


def register_vendor(vendor: Vendor) -> str:
    """Run a :class:`~socialtap.declarations.Vendor` in this process without packaging it.

    ``socialtap.register_vendor(Vendor(...))`` then ``socialtap.run(Task(vendor.name, ...))``.
    The vendor is served by the default plugins only (declared auth, requests, pagination,
    normalization); a vendor that also needs its own hook implementations passes a module
    or object holding them to :func:`use_plugin` instead. Registering a vendor of the same
    name again replaces it. Returns the plugin's name (``vendor:<name>``), for
    :func:`forget_plugin`.
    """
    if not isinstance(vendor, Vendor):
        raise ConfigError(f"register_vendor takes a socialtap Vendor, not {type(vendor).__name__}")
    return use_plugin(_InlineVendor(vendor), name=f"vendor:{vendor.name}")


def plugin_info(pm: pluggy.PluginManager, *, include_internal: bool = False) -> list[dict[str, Any]]:
    """What ``socialtap plugins`` prints: name, version, hooks and vendors of each plugin."""
    registry = Registry(pm)
    vendors_by_plugin: dict[str, list[str]] = {}
    for name, entry in registry.entries.items():
        vendors_by_plugin.setdefault(entry.plugin_name, []).append(name)
    versions = getattr(pm, "distributions", {})
    rows = []
    for name, plugin in pm.list_name_plugin():
        internal = name in DEFAULT_PLUGINS
        if internal and not include_internal:
            continue
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
        dist, version = versions.get(name, ("socialtap", _core_version()) if internal else (None, None))
        rows.append(
            {
                "name": name,
                "distribution": dist,
                "version": version,
                "internal": internal,
                "hooks": hooks,
                "vendors": vendors_by_plugin.get(name, []),
            }
        )
    return rows


def _core_version() -> str:
    try:
        return md.version("socialtap")
    except md.PackageNotFoundError:
        return "unknown"
