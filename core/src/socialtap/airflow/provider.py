"""The ``apache_airflow_provider`` entry point: what Airflow's ProvidersManager reads.

Airflow calls :func:`get_provider_info` for every installed provider when it lists
providers or connection types; a malformed answer breaks ``airflow providers list`` for
the whole installation, so this module imports nothing from Airflow and returns plain data.

The connection form (Airflow 3.2+ reads it from here, without importing the hook) is
declared as ``conn-fields``: a vendor choice of the installed vendors, one field per
credential they declare (secrets as password fields, which Airflow masks) and the base URL
override. Airflow stores them in the connection's extra; :mod:`socialtap.airflow.connection`
reads them back. Login and password still work for connections written as URIs.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

CONN_TYPE = "socialtap"


def _version() -> str:
    try:
        return version("socialtap")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


def connection_fields() -> dict[str, Any]:
    """The connection form's fields (``conn-fields``), from the installed vendors' declarations.

    A plugin that fails to load must not break ``airflow providers list``: the form then
    offers a free-text vendor field instead of a choice.
    """
    try:
        from socialtap.plugins import get_registry

        vendors = get_registry().vendors()
    except Exception:  # any plugin error: a plain form beats a broken provider listing
        vendors = []
    vendor_schema: dict[str, Any] = {"type": "string"}
    if vendors:
        vendor_schema["enum"] = [v.name for v in vendors]
    fields: dict[str, Any] = {
        "vendor": {
            "label": "Vendor",
            "description": "The socialtap vendor this connection reaches: "
            + (", ".join(f"{v.name} ({v.title})" for v in vendors) or "see `socialtap vendors`"),
            "schema": vendor_schema,
        }
    }
    credentials: dict[str, list[tuple[Any, Any]]] = {}
    for vendor in vendors:
        for credential in vendor.credentials:
            credentials.setdefault(credential.name, []).append((vendor, credential))
    for name, users in sorted(credentials.items()):
        schema: dict[str, Any] = {"type": ["string", "null"]}
        if any(c.secret for _, c in users):
            schema["format"] = "password"
        fields[name] = {
            "label": name.replace("_", " ").capitalize(),
            "description": "; ".join(f"{v.name}: {c.doc or name} (env {v.env_var(name)})" for v, c in users),
            "schema": schema,
        }
    fields["base_url"] = {
        "label": "Base URL override",
        "description": "Optional: another base URL for the vendor's API (a proxy, a sandbox); empty for the vendor's own",
        "schema": {"type": ["string", "null"]},
    }
    return fields


# Login, password, host, port and schema are hidden: the fields above say what each
# vendor needs by name; URIs that still carry login/password are read as before.
UI_FIELD_BEHAVIOUR = {
    "hidden-fields": ["login", "password", "host", "port", "schema"],
    "relabeling": {},
    "placeholders": {"vendor": "shareablee", "base_url": "https://api.vendor.example/v1"},
}


def get_provider_info() -> dict[str, Any]:
    """Provider metadata in the shape of Airflow's ``provider_info.schema.json``."""
    return {
        "package-name": "socialtap",
        "name": "socialtap",
        "description": "Social-media analytics from vendor APIs (through socialtap vendor plugins) into files and object storage.",
        "versions": [_version()],
        "integrations": [
            {
                "integration-name": "socialtap",
                "external-doc-url": "https://pypi.org/project/socialtap/",
                "tags": ["service"],
            }
        ],
        "operators": [{"integration-name": "socialtap", "python-modules": ["socialtap.airflow.operators"]}],
        "hooks": [{"integration-name": "socialtap", "python-modules": ["socialtap.airflow.hooks"]}],
        "connection-types": [
            {
                "hook-class-name": "socialtap.airflow.hooks.SocialtapHook",
                "connection-type": CONN_TYPE,
                "hook-name": "Socialtap",
                "conn-fields": connection_fields(),
                "ui-field-behaviour": UI_FIELD_BEHAVIOUR,
            }
        ],
    }
