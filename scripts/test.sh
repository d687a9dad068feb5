#!/usr/bin/env bash
# The whole test suite: formatting and lint (cargo fmt --check, Biome), import cycles, Rust
# kernels natively (cargo test) and on wasm32 with SIMD128 and relaxed SIMD under Node
# (scripts/test-crate-wasm.sh), TypeScript types (tsc), the API reference (TypeDoc), the package
# build, then vitest (WASM vs TS parity, layers, nets, memory, errors, the built package, the
# pages in three browser engines).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib.sh test
ensure

say "cargo fmt --check (the crate is formatted by rustfmt, no exceptions)"
"$(host_cargo)" fmt --manifest-path crate/Cargo.toml --check

say "biome ci (the TypeScript is formatted and lint-free, warnings included: biome.jsonc)"
npx biome ci --error-on-warnings .

say "no import cycles among the modules (type imports count: scripts/check-cycles.ts)"
npx tsx scripts/check-cycles.ts

say "cargo test (Rust kernels against naive references, natively: the scalar paths)"
"$(host_cargo)" test --quiet --manifest-path crate/Cargo.toml

say "the same Rust tests on wasm32 (SIMD128, relaxed SIMD) under Node"
bash scripts/test-crate-wasm.sh

say "tsc --noEmit (types of the library, tests, demos)"
npx tsc -p tsconfig.json

say "typedoc --emit none (the API reference builds from the TSDoc comments without a warning: typedoc.jsonc)"
npx typedoc --emit none

bash scripts/build.sh

say "vitest"
npx vitest run

# Node 20 runs the relaxed-SIMD build only behind a V8 flag, so the suites that run on every
# backend of test/helpers/backends.ts (the test files that import it; it adds wasm-relaxed-simd when
# the engine accepts it) run once more with the flag. Engines that have relaxed SIMD on by
# default already covered it above; a Node that no longer knows the flag skips this.
relaxed_node_flags
relaxed_by_default() { node --input-type=module -e "const m = await import('./dist/index.js'); process.exit(m.relaxedSimdSupported() ? 0 : 1)"; }
if (( ${#RELAXED_NODE_FLAGS[@]} )) && ! relaxed_by_default; then
  mapfile -t parity_suites < <(grep -rl --include='*.test.ts' "helpers/backends.js'" test)
  say "vitest again with ${RELAXED_NODE_FLAGS[*]} (wasm-relaxed-simd parity): ${parity_suites[*]}"
  npx vitest run "${parity_suites[@]}" --execArgv="${RELAXED_NODE_FLAGS[0]}"
fi
