"""Map an Airflow connection's fields onto a vendor's credentials and base URL.

Airflow-free (plain strings in, plain data out) so the mapping is tested in the fast
suite; :class:`socialtap.airflow.hooks.SocialtapHook` reads the connection and calls it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from socialtap.errors import ConfigError


@attrs.frozen
class ConnectionConfig:
    """What a socialtap connection resolves to. ``credentials`` never goes in a repr."""

    vendor: str
    credentials: dict[str, str] = attrs.field(repr=False)
    base_url: str | None = None


def base_url_from(host: str | None, port: int | None = None, schema: str | None = None) -> str | None:
    """A base URL from a connection's host/port/schema, or None when host is empty."""
    host = (host or "").strip()
    if not host:
        return None
    if "://" in host:
        if port and host.count(":") == 1:  # scheme only, no port in the host yet
            scheme, _, rest = host.partition("://")
            netloc, slash, path = rest.partition("/")
            host = f"{scheme}://{netloc}:{port}{slash}{path}"
        return host.rstrip("/")
    netloc = f"{host}:{port}" if port else host
    path = f"/{schema.strip('/')}" if schema and schema.strip("/") else ""
    return f"https://{netloc}{path}"


def extra_value(extra: Mapping[str, Any], name: str) -> str:
    """A form field from a connection's extra: Airflow 3 stores it as ``name``, older forms as
    ``extra__socialtap__name``. Empty when absent."""
    value = extra.get(name) or extra.get(f"extra__socialtap__{name}")
    return str(value).strip() if value not in (None, "") else ""


def credentials_from(
    vendor: Any, login: str | None, password: str | None, extra: Mapping[str, Any] | None = None
) -> dict[str, str]:
    """The vendor's credentials from the form's fields in ``extra`` (by the vendor's field
    names), else from login/password mapped onto its credential sets (see the module doc)."""
    sets = vendor.auth.fields()
    named = {name: extra_value(extra or {}, name) for fields in sets for name in fields}
    for fields in sets:
        if all(named[name] for name in fields):
            return {name: named[name] for name in fields}
    login, password = login or "", password or ""
    if login and password:
        for fields in sets:
            if len(fields) == 2:
                return {fields[0]: login, fields[1]: password}
    if password:
        for fields in sets:
            if len(fields) == 1:
                return {fields[0]: password}
    wanted = " or ".join("password" if len(f) == 1 else "login and password" if len(f) == 2 else "+".join(f) for f in sets)
    described = "; ".join(" + ".join(f) for f in sets)
    raise ConfigError(
        f"the socialtap connection for {vendor.name} has no usable credentials: set {wanted} (the vendor takes {described})"
    )
