"""``SocialtapHook``: an Airflow Connection of type ``socialtap`` -> vendor credentials.

The connection names the vendor in its extra (``{"vendor": "metrika"}``). The form's fields
(see :mod:`socialtap.airflow.provider`) carry the vendor's credentials by their declared
names in the extra (``token``, ``api_key``...); a connection written as a URI may instead
use ``password`` for a vendor with one secret, ``login`` and ``password`` for a key and a secret.
``host`` (``https://host/path``, or a bare host plus ``port`` and ``schema`` as path)
overrides the vendor's base URL, e.g. to point at a proxy or a sandbox. Airflow masks
``password`` in task logs; this hook never logs a credential either.
"""

from __future__ import annotations

from typing import Any

from socialtap.airflow.connection import ConnectionConfig, base_url_from, credentials_from, extra_value
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

    def get_conn(self) -> ConnectionConfig:
        """The vendor, its credentials and the base URL override of this connection."""
        from socialtap.plugins import get_registry

        conn = self.get_connection(self.socialtap_conn_id)
        extra = conn.extra_dejson or {}
        name = extra_value(extra, "vendor")
        if not name:
            raise ConfigError(
                f'Airflow connection {self.socialtap_conn_id!r} names no vendor: set its extra to {{"vendor": "<name>"}} '
                f"(installed vendors: {', '.join(v.name for v in get_registry().vendors()) or 'none'})"
            )
        vendor = get_registry().get(name)
        credentials = credentials_from(vendor, conn.login, conn.password, extra)
        base_url = extra_value(extra, "base_url") or base_url_from(conn.host, conn.port, conn.schema)
        return ConnectionConfig(vendor.name, credentials, base_url)

    def test_connection(self) -> tuple[bool, str]:
        """The Airflow UI's "Test" button: the vendor's check call (:mod:`socialtap.check`).

        A vendor whose check is not free is called only when the connection's extra says
        ``"allow_paid_check": true``; otherwise the answer says what the check would spend.
        A check that needs params only the user knows (``Check.needs``) reads them from the
        extra's ``check_params`` object (``{"check_params": {"profile_username": "me"}}``).
        """
        from socialtap.check import run_check
        from socialtap.runner import Options

        try:
            config = self.get_conn()
            extra = self.get_connection(self.socialtap_conn_id).extra_dejson or {}
            yes = extra_value(extra, "allow_paid_check").lower() in ("true", "1", "yes")
            result = run_check(
                config.vendor,
                credentials=config.credentials,
                options=Options(base_url=config.base_url),
                yes=yes,
                how_to_agree='"allow_paid_check": true to the connection\'s extra',
                params=extra.get("check_params") if isinstance(extra.get("check_params"), dict) else None,
            )
        except Exception as exc:  # the button shows the message; any failure is a failed test
            return False, f"{type(exc).__name__}: {exc}"
        return True, result.message
