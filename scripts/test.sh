#!/usr/bin/env bash
# The whole test suite: set up, type-check, lint, then every test (real QEMU, cyclictest and SQLite included).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== type-check"; npx tsc -p tsconfig.json --noEmit
echo "== lint"; npx biome check .
echo "== tests"; npx vitest run
