"""The config file: per-vendor credentials, base URL and default params, with named profiles.

A TOML file (read with :mod:`tomllib`), found at ``--config PATH``, else
``$SOCIALTAP_CONFIG``, else ``config.toml`` in the user's config dir (platformdirs:
``~/.config/socialtap/config.toml`` on Linux)::

    [shareablee]                      # the default profile
    api_key = "..."
    api_secret = "..."

    [shareablee.params]               # defaults for every stream that has the param
    service = "facebook"

    [profiles.prod.shareablee]        # --profile prod: these keys replace the default's
    token = "..."
    base_url = "https://proxy.internal/shareablee/v1.4"

Precedence, highest first: the command line (``--base-url``, ``-p``), then the
environment (``SOCIALTAP_<VENDOR>_<FIELD>``; if any credential variable of a vendor is set,
the file's credentials for it are not used at all, so two halves of different key pairs
never mix), then the profile, then the file's default tables. A file that others may read
gets a warning (it holds secrets); ``socialtap config show`` prints what is resolved, with
secrets masked and where each value came from.
"""

from __future__ import annotations

import json
import os
import stat
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import click

from socialtap.errors import ConfigError
from socialtap.secrets import MASK
from socialtap.suggest import did_you_mean

ENV_PATH = "SOCIALTAP_CONFIG"
ENV_PROFILE = "SOCIALTAP_PROFILE"
SETTINGS = ("base_url", "params")


def default_config_path() -> Path:
    """``config.toml`` in the user's config dir (``~/.config/socialtap`` on Linux, platformdirs)."""
    import platformdirs

    return Path(platformdirs.user_config_dir("socialtap", appauthor=False)) / "config.toml"


@attrs.frozen
class ConfigFile:
    """A loaded config file: its tables, the chosen profile and what was wrong but not fatal."""

    path: Path | None
    data: Mapping[str, Any] = attrs.field(factory=dict, repr=False)
    profile: str | None = None
    warnings: tuple[str, ...] = ()

    def vendor_table(self, vendor: str) -> tuple[dict[str, Any], dict[str, str]]:
        """The vendor's settings (its default table, overlaid key by key by the profile's) and
        where each key came from."""
        table = dict(self.data.get(vendor) or {})
        sources = dict.fromkeys(table, "config file")
        if self.profile is not None:
            overlay = self.data.get("profiles", {}).get(self.profile, {}).get(vendor) or {}
            table.update(overlay)
            sources.update(dict.fromkeys(overlay, f"config file (profile {self.profile})"))
        return table, sources


@attrs.frozen
class VendorSettings:
    """What the config file and the environment give a vendor, and where each value came from."""

    vendor: str
    credentials: dict[str, str] = attrs.field(factory=dict, repr=False)
    base_url: str | None = None
    params: dict[str, Any] = attrs.field(factory=dict)
    sources: dict[str, str] = attrs.field(factory=dict)

    def params_for(self, stream: Any) -> dict[str, Any]:
        """The default params that ``stream`` takes (others would be refused as unknown)."""
        names = {f.alias or f.name for f in attrs.fields(stream.params)}
        return {k: v for k, v in self.params.items() if k in names}


def load_config(path: str | None = None, profile: str | None = None) -> ConfigFile:
    """Read the config file (``path``, else ``$SOCIALTAP_CONFIG``, else the default).

    A missing default file is an empty config; a missing file that was named, TOML that does
    not parse, or an unknown ``profile`` is a ConfigError saying what to fix.
    """
    named = path or os.environ.get(ENV_PATH)
    target = Path(named).expanduser() if named else default_config_path()
    profile = profile or os.environ.get(ENV_PROFILE) or None
    if not target.exists():
        if named:
            raise ConfigError(f"config file {target} does not exist; create it or drop --config / ${ENV_PATH}")
        if profile:
            raise ConfigError(f"--profile {profile} needs a config file, but {target} does not exist")
        return ConfigFile(None)
    try:
        data = tomllib.loads(target.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {target} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {target}: {exc.strerror or exc}") from None
    profiles = data.get("profiles", {})
    if not isinstance(profiles, Mapping) or not all(isinstance(v, Mapping) for v in profiles.values()):
        raise ConfigError(f"config file {target}: [profiles] holds tables named for profiles, like [profiles.prod.<vendor>]")
    if profile is not None and profile not in profiles:
        known = ", ".join(sorted(profiles)) or "none"
        raise ConfigError(f"config file {target} has no profile {profile!r}{did_you_mean(profile, profiles)} (profiles: {known})")
    warnings = []
    mode = stat.S_IMODE(target.stat().st_mode)
    if mode & 0o077:
        warnings.append(
            f"config file {target} can be read by other users (mode {mode:04o}) and may hold credentials; run: chmod 600 {target}"
        )
    return ConfigFile(target, data, profile, tuple(warnings))


def check_tables(config: ConfigFile, vendors: list[str]) -> list[str]:
    """Warnings for tables named for no installed vendor (a typo would otherwise be ignored)."""
    names = [k for k in config.data if k != "profiles"]
    for tables in config.data.get("profiles", {}).values():
        names += list(tables)
    return [
        f"config file {config.path}: [{name}] is not an installed vendor{did_you_mean(name, vendors)}; it is ignored"
        for name in dict.fromkeys(names)
        if name not in vendors
    ]


def settings_for(config: ConfigFile, vendor: Any) -> VendorSettings:
    """The vendor's credentials, base URL and default params from the file, under the environment."""
    table, where = config.vendor_table(vendor.name)
    fields = list(dict.fromkeys([*(c.name for c in vendor.credentials), *(n for g in vendor.auth.fields() for n in g)]))
    for key in table:
        if key not in fields and key not in SETTINGS:
            raise ConfigError(
                f"config file {config.path}: [{vendor.name}] has no setting {key!r}{did_you_mean(key, [*fields, *SETTINGS])}; "
                f"it takes {', '.join([*fields, *SETTINGS])}"
            )
    sources: dict[str, str] = {}
    credentials: dict[str, str] = {}
    from_env = {name: os.environ[vendor.env_var(name)] for name in fields if os.environ.get(vendor.env_var(name))}
    if from_env:
        credentials = from_env
        sources.update({name: vendor.env_var(name) for name in from_env})
    else:
        for name in fields:
            value = table.get(name)
            if value in (None, ""):
                continue
            if not isinstance(value, str):
                raise ConfigError(f"config file {config.path}: [{vendor.name}] {name} must be a string, got {json.dumps(value)}")
            credentials[name] = value
            sources[name] = where[name]
    base_url = None
    if os.environ.get(vendor.env_var("base_url")):
        sources["base_url"] = vendor.env_var("base_url")  # the runner reads it: not passed as an override
    elif table.get("base_url"):
        base_url = str(table["base_url"])
        sources["base_url"] = where["base_url"]
    params = table.get("params") or {}
    if not isinstance(params, Mapping):
        raise ConfigError(f"config file {config.path}: [{vendor.name}.params] must be a table of param = value")
    sources.update({f"params.{k}": where["params"] for k in params})
    return VendorSettings(vendor.name, credentials, base_url, dict(params), sources)


def resolve(vendor_name: str, path: str | None, profile: str | None) -> tuple[VendorSettings, list[str]]:
    """The settings of one vendor from the config file, and the warnings to show the user."""
    from socialtap.plugins import get_registry

    registry = get_registry()
    vendor = registry.get(vendor_name)
    config = load_config(path, profile)
    warnings = [*config.warnings, *check_tables(config, [v.name for v in registry.vendors()])]
    return settings_for(config, vendor), warnings


def config_options(command: Any) -> Any:
    """``--config PATH`` and ``--profile NAME`` for a command that reads the config file."""
    command = click.option(
        "--profile", metavar="NAME", envvar=ENV_PROFILE, help="A [profiles.NAME] of the config file (replaces its keys)."
    )(command)
    return click.option(
        "--config",
        "config_path",
        metavar="PATH",
        envvar=ENV_PATH,
        help="TOML config file [default: config.toml in the user config dir].",
    )(command)


def show(vendor: Any, settings: VendorSettings) -> list[str]:
    """``config show`` lines for one vendor: each resolved value (secrets masked) and its source."""
    secret = {c.name for c in vendor.credentials if c.secret} | {n for g in vendor.auth.fields() for n in g}
    secret -= {c.name for c in vendor.credentials if not c.secret}
    lines = [f"[{vendor.name}]"]
    for name, value in settings.credentials.items():
        lines.append(f"{name} = {MASK if name in secret else json.dumps(value)}  # {settings.sources[name]}")
    if not settings.credentials:
        lines.append(
            f"# no credentials: set {' or '.join(' and '.join(vendor.env_var(n) for n in g) for g in vendor.auth.fields())}"
        )
    base_url = settings.base_url or os.environ.get(vendor.env_var("base_url")) or vendor.base_url
    lines.append(f"base_url = {json.dumps(base_url)}  # {settings.sources.get('base_url', 'the vendor default')}")
    for name, value in settings.params.items():
        lines.append(f"params.{name} = {json.dumps(value)}  # {settings.sources[f'params.{name}']}")
    return lines


@click.group("config")
def config_group() -> None:
    """The config file: credentials, base URLs and default params per vendor, with profiles."""


@config_group.command("show")
@click.argument("vendor", required=False)
@config_options
def show_command(vendor: str | None, config_path: str | None, profile: str | None) -> None:
    """Print the settings socialtap would use (secrets masked) and where each comes from."""
    from socialtap.cli import handled
    from socialtap.plugins import get_registry

    with handled():
        registry = get_registry()
        config = load_config(config_path, profile)
        for warning in [*config.warnings, *check_tables(config, [v.name for v in registry.vendors()])]:
            click.echo(f"socialtap: warning: {warning}", err=True)
        where = f"{config.path}" if config.path else f"none ({default_config_path()} does not exist)"
        click.echo(f"# config file: {where}{f', profile {config.profile}' if config.profile else ''}")
        vendors = [registry.get(vendor)] if vendor else registry.vendors()
        for declared in vendors:
            click.echo("\n".join(show(declared, settings_for(config, declared))))


@config_group.command("path")
def path_command() -> None:
    """Print the config file's path (``$SOCIALTAP_CONFIG``, else the default)."""
    click.echo(os.environ.get(ENV_PATH) or default_config_path())
