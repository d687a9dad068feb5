#!/usr/bin/env bash
# The whole test suite: Rust kernels natively (cargo test), TypeScript types (tsc), the package
# build, then vitest (WASM vs TS parity, layers, nets, memory, errors, the built package).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure.sh

echo "[test] cargo test (Rust kernels against naive references)"
"$(bash scripts/host-cargo.sh)" test --quiet --manifest-path crate/Cargo.toml

echo "[test] tsc --noEmit (types of the library, tests, demos)"
npx tsc -p tsconfig.json

bash scripts/build.sh

echo "[test] vitest"
npx vitest run
