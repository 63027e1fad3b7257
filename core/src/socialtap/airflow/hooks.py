"""``SocialtapHook``: an Airflow Connection of type ``socialtap`` -> vendor credentials.

The connection names the vendor in its extra (``{"vendor": "metrika"}``). Its fields map
onto the vendor's declared credential fields: a vendor with one secret takes it from
``password``; a vendor with a key and a secret takes them from ``login`` and ``password``.
``host`` (``https://host/path``, or a bare host plus ``port`` and ``schema`` as path)
overrides the vendor's base URL, e.g. to point at a proxy or a sandbox. Airflow masks
``password`` in task logs; this hook never logs a credential either.
"""

from __future__ import annotations

from typing import Any

from socialtap.airflow.connection import ConnectionConfig, base_url_from, credentials_from
from socialtap.airflow.provider import CONN_TYPE
from socialtap.errors import ConfigError

try:  # Airflow 3: the Task SDK
    from airflow.sdk import BaseHook
except ImportError:  # pragma: no cover - Airflow 2.x
    from airflow.hooks.base import BaseHook  # type: ignore[no-redef]


class SocialtapHook(BaseHook):
    """Reads a ``socialtap`` Airflow Connection into a vendor, credentials and base URL."""

    conn_name_attr = "socialtap_conn_id"
    default_conn_name = "socialtap_default"
    conn_type = CONN_TYPE
    hook_name = "Socialtap"

    def __init__(self, socialtap_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.socialtap_conn_id = socialtap_conn_id

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Relabel the connection form for what socialtap reads from it."""
        return {
            "hidden_fields": [],
            "relabeling": {
                "login": "API key (vendors with a key and a secret)",
                "password": "Secret or API token",
                "host": "Base URL override (optional)",
                "schema": "Base path (with a bare host)",
            },
            "placeholders": {
                "extra": '{"vendor": "metrika"}',
                "host": "https://api.vendor.example/v1",
            },
        }

    def get_conn(self) -> ConnectionConfig:
        """The vendor, its credentials and the base URL override of this connection."""
        from socialtap.plugins import get_registry

        conn = self.get_connection(self.socialtap_conn_id)
        extra = conn.extra_dejson or {}
        name = extra.get("vendor")
        if not name:
            raise ConfigError(
                f'Airflow connection {self.socialtap_conn_id!r} names no vendor: set its extra to {{"vendor": "<name>"}} '
                f"(installed vendors: {', '.join(v.name for v in get_registry().vendors()) or 'none'})"
            )
        vendor = get_registry().get(name)
        credentials = credentials_from(vendor, conn.login, conn.password)
        base_url = extra.get("base_url") or base_url_from(conn.host, conn.port, conn.schema)
        return ConnectionConfig(vendor.name, credentials, base_url)

    def test_connection(self) -> tuple[bool, str]:
        """The Airflow UI's "Test" button: resolve the connection without calling the vendor."""
        try:
            config = self.get_conn()
        except Exception as exc:
            return False, str(exc)
        return True, f"vendor {config.vendor}, credential fields: {', '.join(sorted(config.credentials))}"
