#!/bin/sh
# Install Apache Airflow 3 into its own virtualenv in a cache outside the clone, keyed by
# version (Airflow is ~300 MB and `import airflow` costs seconds: it never goes into the
# core .venv, so `make demo` stays small). Then install this clone's core (with the
# airflow extra) and the vendor plugins editable into it, whenever the clone or its
# pyproject files changed: that points the cached venv at the clone that runs the tests.
# Prints the venv directory on its last line.
set -eu
AIRFLOW_VERSION=${AIRFLOW_VERSION:-3.3.2}
PYTHON=${PYTHON:-python3}
CACHE=${SOCIALTAP_DEV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/socialtap-dev}
DEST=$CACHE/airflow-$AIRFLOW_VERSION
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if ! [ -f "$DEST/.airflow-installed" ]; then
    echo "installing Apache Airflow $AIRFLOW_VERSION into $DEST (cold: ~2-4 min)" >&2
    rm -rf "$DEST"
    mkdir -p "$CACHE"
    "$PYTHON" -m venv "$DEST"
    "$DEST/bin/python" -m pip install --quiet --upgrade pip setuptools wheel
    "$DEST/bin/python" -m pip install --quiet "apache-airflow==$AIRFLOW_VERSION" "pytest>=8"
    touch "$DEST/.airflow-installed"
fi
set -- -e "$ROOT/core[airflow,redis]" -e "$ROOT/tests/example_plugin"
for d in "$ROOT"/plugins/*/; do
    [ -f "$d/pyproject.toml" ] && set -- "$@" -e "$d"
done
# Skip the editable installs when this clone and its pyproject files are what was installed last.
SIGNATURE=$( (echo "$ROOT"; cat "$0" "$ROOT/core/pyproject.toml" "$ROOT/tests/example_plugin/pyproject.toml" "$ROOT"/plugins/*/pyproject.toml 2>/dev/null) | cksum)
if [ "$(cat "$DEST/.editables" 2>/dev/null)" != "$SIGNATURE" ]; then
    # Never let a plugin's requirements move Airflow's own pins.
    echo "apache-airflow==$AIRFLOW_VERSION" >"$DEST/constraints.txt"
    "$DEST/bin/python" -m pip install --quiet -c "$DEST/constraints.txt" "$@"
    echo "$SIGNATURE" >"$DEST/.editables"
fi
echo "$DEST"
