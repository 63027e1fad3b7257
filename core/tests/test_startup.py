"""Start-up stays lean: what ``import socialtap`` and plugin discovery must not load.

An Airflow DAG file is parsed every few seconds, and a plugin imports ``socialtap`` for
its declarations only. The runner, the HTTP engine, retries, rate-limit buckets, the
outputs and the CLI load on first use. Checked by structure (``sys.modules`` in a fresh
interpreter), not by timing; ``make bench`` measures the milliseconds.
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = (
    "socialtap.runner",
    "socialtap.engine",
    "socialtap.outputs",
    "socialtap.state",
    "socialtap.cli",
    "pyrate_limiter",
    "tenacity",
    "sqlite3",
    "click",
    "tqdm",
    "werkzeug",
    "redis",
    # The warehouse hand-offs: socialtap.dlt loads only when imported, by a dlt user.
    "dlt",
    "duckdb",
)


def loaded_after(code: str) -> set[str]:
    program = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL)
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_import_and_plugin_discovery_load_none_of_the_heavy_modules():
    loaded = loaded_after("import socialtap\nfrom socialtap.plugins import get_registry\nget_registry()")
    assert sorted(loaded & set(HEAVY)) == []


def test_the_runner_names_still_come_from_the_package_root():
    loaded = loaded_after("from socialtap import Task, Options, run\nassert Task.__module__ == 'socialtap.runner'")
    assert "socialtap.runner" in loaded
    # Only the shared buckets need pyrate-limiter; a run with the in-memory one never loads it.
    assert "pyrate_limiter" not in loaded


def test_the_cli_and_the_singer_output_never_import_dlt():
    # socialtap[dlt] is an extra: only `import socialtap.dlt` (a dlt user's pipeline) may load it.
    loaded = loaded_after("import socialtap.cli, socialtap.singer, socialtap.warehouse, socialtap.schema")
    assert not {name for name in loaded if name.split(".")[0] in ("dlt", "duckdb")}
