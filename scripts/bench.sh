#!/usr/bin/env bash
# `npm run bench`: builds what is missing, then runs bench/run.ts (every kernel and training
# steps on our WASM variants, our pure TS, TensorFlow.js cpu and wasm), which writes
# bench/results/latest.{json,md}. Extra arguments go to bench/run.ts (--quick, --steps N).
#
# Node 20 validates the relaxed-SIMD build only with --experimental-wasm-relaxed-simd, so the
# flag is passed when this node knows it, and the relaxed variant is measured too. The process
# is pinned to one CPU with taskset when available (fewer migrations, steadier medians): the
# last one, or BENCH_CPU=n.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib.sh bench
ensure

relaxed_node_flags
pin=()
if command -v taskset >/dev/null 2>&1; then
  pin=(taskset -c "${BENCH_CPU:-$(( $(nproc) - 1 ))}")
fi
exec "${pin[@]}" node "${RELAXED_NODE_FLAGS[@]}" --import tsx bench/run.ts "$@"
