#!/bin/sh
# Install what the warehouse tests load into, in a cache outside the clone, keyed by version
# (never in .venv: the fast suite and `make demo` stay free of warehouse libraries):
#   - dlt with DuckDB in a virtualenv of its own, with this clone's core (the dlt extra) and
#     the vendor plugins installed editable, re-installed whenever the clone or its
#     pyproject files changed, so the cached venv tests this clone;
#   - a real Singer target (target-jsonl) in another virtualenv: its old pins (singer-python
#     5, jsonschema 2.6) conflict with socialtap's, and a Singer target runs as its own
#     process anyway, reading messages on stdin.
# Prints "venv=DIR" and "target=PATH" lines.
set -eu
DLT_VERSION=${DLT_VERSION:-1.31.0}
TARGET_JSONL_VERSION=${TARGET_JSONL_VERSION:-0.1.4}
PYTHON=${PYTHON:-python3}
CACHE=${SOCIALTAP_DEV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/socialtap-dev}
DEST=$CACHE/warehouse-dlt-$DLT_VERSION
TARGET=$CACHE/target-jsonl-$TARGET_JSONL_VERSION
ROOT=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$CACHE"
if ! [ -f "$DEST/.installed" ]; then
    echo "installing dlt $DLT_VERSION with DuckDB into $DEST (cold: about a minute)" >&2
    rm -rf "$DEST"
    "$PYTHON" -m venv "$DEST"
    "$DEST/bin/python" -m pip install --quiet --upgrade pip setuptools wheel >&2
    "$DEST/bin/python" -m pip install --quiet "dlt[duckdb]==$DLT_VERSION" "pytest>=8" "hypothesis>=6.100" >&2
    touch "$DEST/.installed"
fi
if ! [ -f "$TARGET/.installed" ]; then
    echo "installing target-jsonl $TARGET_JSONL_VERSION into $TARGET" >&2
    rm -rf "$TARGET"
    "$PYTHON" -m venv "$TARGET"
    "$TARGET/bin/python" -m pip install --quiet --upgrade pip setuptools wheel >&2
    "$TARGET/bin/python" -m pip install --quiet "target-jsonl==$TARGET_JSONL_VERSION" >&2
    touch "$TARGET/.installed"
fi
set -- -e "$ROOT/core[dlt,testing]" -e "$ROOT/tests/example_plugin"
for d in "$ROOT"/plugins/*/; do
    [ -f "$d/pyproject.toml" ] && set -- "$@" -e "$d"
done
# Skip the editable installs when this clone and its pyproject files are what was installed last.
SIGNATURE=$( (echo "$ROOT"; cat "$ROOT/core/pyproject.toml" "$ROOT/tests/example_plugin/pyproject.toml" "$ROOT"/plugins/*/pyproject.toml 2>/dev/null) | cksum)
if [ "$(cat "$DEST/.editables" 2>/dev/null)" != "$SIGNATURE" ]; then
    # Never let a plugin's requirements move dlt's own pin.
    echo "dlt==$DLT_VERSION" >"$DEST/constraints.txt"
    "$DEST/bin/python" -m pip install --quiet -c "$DEST/constraints.txt" "$@" >&2
    echo "$SIGNATURE" >"$DEST/.editables"
fi
echo "venv=$DEST"
echo "target=$TARGET/bin/target-jsonl"
