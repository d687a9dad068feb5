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

# Node 20 runs the relaxed-SIMD build only behind a V8 flag, so the parity suites run once more
# with it (test/backends.ts then adds wasm-relaxed-simd). Engines that have relaxed SIMD on by
# default already covered it above; a Node that no longer knows the flag skips this.
relaxed_by_default() { node --input-type=module -e "const m = await import('./dist/index.js'); process.exit(m.relaxedSimdSupported() ? 0 : 1)"; }
if node --experimental-wasm-relaxed-simd -e 0 >/dev/null 2>&1 && ! relaxed_by_default; then
  echo "[test] vitest again with --experimental-wasm-relaxed-simd (wasm-relaxed-simd parity)"
  npx vitest run test/kernels.test.ts test/layers.test.ts test/fused_layers.test.ts test/net.test.ts test/memory.test.ts test/optim.test.ts test/graph.test.ts --execArgv=--experimental-wasm-relaxed-simd
fi
