#!/usr/bin/env bash
# `npm run bench`: builds what is missing, then runs bench/run.ts (every kernel and training
# steps on our WASM variants, our pure TS, TensorFlow.js cpu and wasm, and numpy with the book's
# layers in float32 and float64), which writes
# bench/results/latest.{json,md}, then bench/threads.ts (1 thread against 2). Extra arguments go
# to both (--quick, --steps N). docs/performance.md explains the results.
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
# numpy (the book's layers, bench/numpy_book.py) runs as a child process of bench/run.ts, so it
# inherits the pinning: same core, one BLAS thread. Without python3 or numpy the run says so and
# goes on without those columns.
if ! python3 -c 'import numpy' >/dev/null 2>&1; then
  echo "[bench] python3 with numpy not found: the numpy columns stay empty (pip install numpy; offline: pip install --no-index --find-links /opt/wheels numpy)" >&2
fi
"${pin[@]}" node "${RELAXED_NODE_FLAGS[@]}" --import tsx bench/run.ts "$@"
# One thread against two (bench/threads.ts → bench/results/threads.{json,md}), not pinned: the
# workers need the other cores. Skipped on a one-core machine.
if (( $(nproc) >= 2 )); then
  node --import tsx bench/threads.ts "$@"
  node --import tsx bench/scaling.ts "$@" # Amdahl's model for 4, 8, 16 cores from s and e measured here
  node --import tsx bench/mlp_threads.ts "$@" # the MLPs on 2 threads against numpy on one (issue 22)
else
  echo "[bench] one CPU: the threads comparison (bench/threads.ts) needs at least two" >&2
fi
