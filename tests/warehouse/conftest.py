"""The warehouse tests run only in the warehouse virtualenv (``make test-warehouse``).

dlt and DuckDB are not in the core .venv, and the fast suite must never need them: unless
``SOCIALTAP_WAREHOUSE_TESTS=1`` (set by the make target, with ``SOCIALTAP_SINGER_TARGET``
naming the real Singer target's executable), nothing here is collected.
"""

from __future__ import annotations

import os
import sys

if os.environ.get("SOCIALTAP_WAREHOUSE_TESTS") != "1":
    collect_ignore_glob = ["*"]
else:
    # --import-mode=importlib adds no test directory to sys.path: the shared helpers live beside.
    sys.path.insert(0, os.path.dirname(__file__))
    # Tests talk only to 127.0.0.1: no anonymous usage report from dlt to its makers.
    os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
