#!/usr/bin/env bash
# Prints the folder of a Node.js 24 LTS binary, installing it from the npm registry (the `node` package)
# into the tools cache when the machine's own node is older. `.ci/run` puts it first on PATH before
# `npm ci`, so that install and tests run on Node 24; `npm start` gets the same binary from the project's
# devDependency `node`.
#
#   export PATH="$(bash scripts/node24.sh):$PATH"
#
# LP_TOOLS_DIR overrides the cache folder (default ~/.cache/learning-platform).
set -euo pipefail
VERSION=24.21.0
TOOLS=${LP_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/learning-platform}
DEST=$TOOLS/node-$VERSION

current=$(node -v 2>/dev/null || true)
if [[ $current == v24.* ]]; then
  dirname "$(command -v node)"
  exit 0
fi
if [[ ! -x $DEST/node_modules/node/bin/node || $("$DEST/node_modules/node/bin/node" -v) != "v$VERSION" ]]; then
  command -v npm >/dev/null || { echo "node24: npm is needed to fetch Node $VERSION" >&2; exit 1; }
  echo "node24: installing Node $VERSION from the npm registry into $DEST (machine has ${current:-no node})" >&2
  rm -rf "$DEST"
  mkdir -p "$DEST"
  printf '{"name":"lp-node24","private":true}\n' >"$DEST/package.json"
  npm install --prefix "$DEST" --no-audit --no-fund --loglevel=error -E "node@$VERSION" >&2
fi
printf '%s\n' "$DEST/node_modules/node/bin"
