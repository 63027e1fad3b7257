"""The ``apache_airflow_provider`` entry point: what Airflow's ProvidersManager reads.

Airflow calls :func:`get_provider_info` for every installed provider when it lists
providers or connection types; a malformed answer breaks ``airflow providers list`` for
the whole installation, so this module imports nothing from Airflow and returns plain data.
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
        "connection-types": [{"hook-class-name": "socialtap.airflow.hooks.SocialtapHook", "connection-type": CONN_TYPE}],
    }
