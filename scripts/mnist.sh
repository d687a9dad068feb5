#!/usr/bin/env bash
# Trains the book's TwoLayerNet on the embedded MNIST digits (WASM backend by default).
# Extra arguments go to the trainer: npm run mnist -- --backend ts --epochs 5
# Only the trainer writes to stdout (the build steps report on stderr), so
# `npm run --silent mnist -- --json | jq .` sees the JSON alone.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib.sh mnist
ensure
exec npx tsx demo/mnist.ts "$@"
