"""The Airflow tests run only in the Airflow virtualenv (``make test-airflow``).

The fast suite collects ``tests/`` with the core venv, which has no Airflow and must
never import it: unless ``SOCIALTAP_AIRFLOW_TESTS=1`` (set by the make target), nothing
here is collected. When it is set, Airflow is pointed at a fresh temporary AIRFLOW_HOME
before anything imports it (Airflow reads its configuration at import time).
"""

from __future__ import annotations

import os
import tempfile

if os.environ.get("SOCIALTAP_AIRFLOW_TESTS") != "1":
    collect_ignore_glob = ["*"]
else:
    _home = tempfile.mkdtemp(prefix="socialtap-airflow-home-")
    os.environ.update(
        {
            "AIRFLOW_HOME": _home,
            "AIRFLOW__CORE__DAGS_FOLDER": os.path.join(_home, "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_home}/airflow.db",
            "SOCIALTAP_TEST_OUT": os.path.join(_home, "out"),
            "SOCIALTAP_STATE": os.path.join(_home, "socialtap-state.sqlite"),
        }
    )
