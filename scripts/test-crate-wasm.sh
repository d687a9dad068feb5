#!/usr/bin/env bash
# The crate's own tests (its #[test] functions) compiled to wasm32 with SIMD128 and with
# relaxed SIMD, and run under Node: native `cargo test` never compiles the SIMD code (the GEMM
# micro-kernel, the packing's transpose, exp_f32x4, the row maximum), so this is where it is
# tested. The test binary's runner is crate/src/wasm_harness.rs; scripts/run-wasm-tests.mjs
# runs each test in a fresh instance and reports like `cargo test`.
#
# Usage: scripts/test-crate-wasm.sh [filter]   (only the tests whose name contains filter)
# Builds into target/wasm-test-simd128 and target/wasm-test-relaxed-simd; cold, each builds
# std from source first (a minute or two), then only what changed in crate/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib.sh test-crate-wasm

[[ -n ${NN_TOOLCHAIN_READY:-} ]] || bash scripts/setup-toolchain.sh
wasm_cargo "$(wasm_route)" test --lib --no-run --message-format=json-render-diagnostics
# The runner is a #![test_runner] (custom_test_frameworks): a nightly feature, which the stable
# compilers of both routes accept with RUSTC_BOOTSTRAP=1 (Debian's route needs it anyway).
export RUSTC_BOOTSTRAP=1
# Optimised (one exp test alone evaluates three million of them) but with debug assertions and
# overflow checks kept; std itself unoptimised, which halves a cold build.
profile=(--config profile.test.opt-level=2 --config profile.test.debug=false
  --config 'profile.test.package."*".opt-level=0')

failed=()
for v in simd128 relaxed-simd; do
  case $v in
    simd128) features=+simd128 ;;
    relaxed-simd) features=+simd128,+relaxed-simd ;;
  esac
  say "building the crate's tests for wasm32 $features"
  exe=$(RUSTFLAGS="-C target-feature=$features" "${WASM_CARGO[@]}" "${profile[@]}" --target-dir "target/wasm-test-$v" |
    grep -o '"executable":"[^"]*"' | tail -n 1 | cut -d '"' -f 4)
  [[ -n $exe ]] || { say "cargo reported no test executable for $v"; exit 1; }
  RELAXED_NODE_FLAGS=()
  [[ $v == relaxed-simd ]] && relaxed_node_flags # Node 20 validates the module only with it
  node "${RELAXED_NODE_FLAGS[@]}" scripts/run-wasm-tests.mjs "$exe" "$v" "${1:-}" || failed+=("$v")
done
if (( ${#failed[@]} )); then
  say "failures on wasm32 ${failed[*]}"
  exit 1
fi
