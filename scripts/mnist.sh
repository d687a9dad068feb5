#!/usr/bin/env bash
# Trains the book's TwoLayerNet on the embedded MNIST digits (WASM backend by default).
# Extra arguments go to the trainer: npm run mnist -- --backend ts --epochs 5
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure.sh
exec npx tsx demo/mnist.ts "$@"
