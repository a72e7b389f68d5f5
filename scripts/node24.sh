#!/bin/sh
# Runs a command with Node.js 24 first on PATH.
#
# Tessera needs Node.js >= 24 (oidc-provider 9 refuses older runtimes and the embedded store uses
# node:sqlite). When the machine's own `node` is older, this fetches the official Node.js binary
# package `node-<platform>-<arch>@$TESSERA_NODE_VERSION` from the npm registry into
# ~/.cache/tessera (once), puts it first on PATH and points npm_config_nodedir at its headers so
# any native build targets the same ABI. Usage: sh scripts/node24.sh <command> [args...]
set -eu

NODE_VERSION="${TESSERA_NODE_VERSION:-24.21.0}"
CACHE_DIR="${TESSERA_CACHE_DIR:-$HOME/.cache/tessera}"

current_major() {
  command -v node >/dev/null 2>&1 || { echo 0; return; }
  node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

if [ "$(current_major)" -ge 24 ]; then
  exec "$@"
fi

case "$(uname -s)" in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  *) echo "node24.sh: unsupported OS $(uname -s); install Node.js 24 yourself" >&2; exit 1 ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "node24.sh: unsupported CPU $(uname -m); install Node.js 24 yourself" >&2; exit 1 ;;
esac

pkg="node-$os-$arch"
home="$CACHE_DIR/node-v$NODE_VERSION-$os-$arch"
bin="$home/node_modules/$pkg/bin"

if [ ! -x "$bin/node" ]; then
  echo "node24.sh: fetching $pkg@$NODE_VERSION from the npm registry into $home" >&2
  mkdir -p "$CACHE_DIR"
  staging=$(mktemp -d "$CACHE_DIR/.node-staging.XXXXXX")
  (cd "$staging" && npm install --prefix "$staging" --no-save --no-package-lock --no-audit \
    --no-fund --loglevel=error "$pkg@$NODE_VERSION" >&2)
  # Another process may have finished first; either copy is complete, keep the one in place.
  mv "$staging" "$home" 2>/dev/null || rm -rf "$staging"
  [ -x "$bin/node" ] || { echo "node24.sh: $bin/node missing after install" >&2; exit 1; }
fi

PATH="$bin:$PATH"
npm_config_nodedir="$home/node_modules/$pkg"
export PATH npm_config_nodedir
exec "$@"
