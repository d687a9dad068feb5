#!/usr/bin/env bash
# Builds the npm package into dist/: one ESM file with both .wasm builds inlined (so no .wasm
# path needs configuring anywhere) and the .d.ts types.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure.sh
rm -rf dist
npx esbuild ts/index.ts --bundle --format=esm --platform=neutral --target=es2022 --outfile=dist/index.js --log-level=warning
npx tsc -p tsconfig.build.json
echo "[build] dist/index.js $(wc -c < dist/index.js) bytes"
