#!/bin/sh
# Install the peers `make bench` compares against, each in its own virtualenv in the dev
# cache outside the clone (never in .venv: they are yardsticks, not dependencies, and
# their pins conflict with each other). Keyed by version; a warm cache installs nothing.
# Prints "name=venv" lines, one per peer.
set -eu
PYTHON=${PYTHON:-python3}
CACHE=${SOCIALTAP_DEV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/socialtap-dev}
for spec in "dlt==1.31.0" "singer-sdk==0.54.9" "airbyte-cdk==7.39.1"; do
    name=${spec%%==*}
    version=${spec##*==}
    dest=$CACHE/bench-$name-$version
    if ! [ -f "$dest/.installed" ]; then
        echo "installing $spec into $dest (cold: about a minute)" >&2
        rm -rf "$dest"
        mkdir -p "$CACHE"
        "$PYTHON" -m venv "$dest"
        "$dest/bin/python" -m pip install --quiet --upgrade pip >&2
        "$dest/bin/python" -m pip install --quiet "$spec" requests >&2
        touch "$dest/.installed"
    fi
    echo "$name=$dest"
done
