#!/usr/bin/env bash
# Builds crate/ into the four WebAssembly modules the package ships:
#   build/wasm/nn_simd128.wasm         (+simd128, the default)        → ts/wasm/generated/simd128.ts
#   build/wasm/nn_relaxed-simd.wasm    (+simd128,+relaxed-simd: FMA)  → ts/wasm/generated/relaxed-simd.ts
#   build/wasm/nn_scalar.wasm          (no SIMD, the fallback)        → ts/wasm/generated/scalar.ts
#   build/wasm/nn_simd128-threads.wasm (+simd128,+atomics: shared memory, the worker pool of
#                                       crate/src/parallel.rs)       → ts/wasm/generated/simd128-threads.ts
# and, for the tests only (never shipped), build/wasm/nn_simd128-threads-hooks.wasm: the threaded
# build with the crate's `test-hooks` feature (nn_pool_fail_next_part), which
# test/kernels/threads.test.ts loads to make a worker trap.
# each from its own cargo target dir (target/wasm-<variant>). The .ts files
# embed the module as base64; scripts/embed-wasm.mjs first checks that it imports only its memory and
# exports `memory` and every `nn_*` function of crate/src/abi.rs (the threaded build also the
# TLS and stack symbols ts/wasm/threads.ts sets up each worker with).
#
# Usage: scripts/build-wasm.sh [--force]
# Exits at once when every output is newer than crate/, Cargo.toml, Cargo.lock and these scripts.
# The toolchain comes from scripts/setup-toolchain.sh (Debian "web" Rust with -Zbuild-std, or
# rustup with the wasm32 target); the cargo command line from `wasm_cargo` in scripts/lib.sh.
# Everything it prints goes to stderr.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib.sh build-wasm

VARIANTS=(simd128 relaxed-simd scalar simd128-threads)
outputs=()
for v in "${VARIANTS[@]}"; do outputs+=("build/wasm/nn_$v.wasm" "ts/wasm/generated/$v.ts"); done
outputs+=(build/wasm/nn_simd128-threads-hooks.wasm)
inputs=(crate Cargo.toml scripts/build-wasm.sh scripts/lib.sh scripts/embed-wasm.mjs scripts/setup-toolchain.sh)
[[ -f Cargo.lock ]] && inputs+=(Cargo.lock)

up_to_date() {
  local oldest=""
  for o in "${outputs[@]}"; do
    [[ -f $o ]] || return 1
    if [[ -z $oldest || $o -ot $oldest ]]; then oldest=$o; fi
  done
  [[ -z $(find "${inputs[@]}" -newer "$oldest" -print -quit) ]]
}

if [[ "${1:-}" != --force ]] && up_to_date; then
  say "up to date (build/wasm/nn_{simd128,relaxed-simd,scalar,simd128-threads,simd128-threads-hooks}.wasm, ts/wasm/generated/*.ts)"
  exit 0
fi

# ensure.sh has just run setup-toolchain.sh when it sets NN_TOOLCHAIN_READY.
[[ -n ${NN_TOOLCHAIN_READY:-} ]] || bash scripts/setup-toolchain.sh
route=$(wasm_route)
command -v node >/dev/null 2>&1 || { say "node is needed to check and embed the modules"; exit 1; }

# Flags for every variant: no name section / debug info in the shipped module; the memory is
# imported (and re-exported) so that ts/wasm/load.ts creates it with the maximum a backend asks
# for (createBackend's maxMemoryBytes): a full memory then fails cleanly at that limit.
common_flags="-C link-arg=--strip-all -C link-arg=--import-memory -C link-arg=--export-memory"
wasm_cargo "$route" build --release
# On the Debian route std is rebuilt anyway, so drop the panic-message machinery too (a panic is
# a trap either way; the TS side validates before calling). Only if this rustc knows the option.
if [[ $route == debian ]] &&
  "$DEBIAN_RUSTC" -Zunstable-options -Cpanic=immediate-abort --print cfg --target wasm32-unknown-unknown >/dev/null 2>&1; then
  common_flags+=" -Zunstable-options -Cpanic=immediate-abort"
fi

mkdir -p build/wasm ts/wasm/generated
for v in "${VARIANTS[@]}"; do
  case $v in
    simd128) flags="-C target-feature=+simd128 $common_flags" ;;
    relaxed-simd) flags="-C target-feature=+simd128,+relaxed-simd $common_flags" ;;
    scalar) flags="$common_flags" ;;
    # Shared memory needs std rebuilt with atomics (-Zbuild-std, as wasm_cargo does on the Debian
    # route); its declared maximum is 4 GiB, and the memory the loader creates may ask for less.
    # The TLS and stack symbols are exported so that each worker's instance gets its own.
    simd128-threads) flags="-C target-feature=+simd128,+atomics,+bulk-memory,+mutable-globals $common_flags
      -C link-arg=--shared-memory -C link-arg=--max-memory=4294967296 -C link-arg=--export=__wasm_init_tls
      -C link-arg=--export=__tls_size -C link-arg=--export=__tls_align -C link-arg=--export=__tls_base
      -C link-arg=--export=__stack_pointer" ;;
  esac
  flags=$(echo $flags) # one line
  say "$v ($route route): RUSTFLAGS=\"$flags\""
  cargo_line=("${WASM_CARGO[@]}")
  # std must be rebuilt with atomics for shared memory: the Debian route always does; rustup needs
  # the rust-src component and the same unstable flag (RUSTC_BOOTSTRAP lets a stable cargo take it).
  [[ $v == *-threads && $route == rustup ]] && cargo_line=(env RUSTC_BOOTSTRAP=1 "${WASM_CARGO[@]}" -Zbuild-std=std,panic_abort)
  RUSTFLAGS="$flags" "${cargo_line[@]}" --target-dir "target/wasm-$v"
  built="target/wasm-$v/wasm32-unknown-unknown/release/nn.wasm"
  RELAXED_NODE_FLAGS=()
  [[ $v == relaxed-simd ]] && relaxed_node_flags # Node 20 validates the module only with it
  EMBED_FLAGS=()
  [[ $v == *-threads ]] && EMBED_FLAGS=(--threads) # also checks the exports the pool needs
  node "${RELAXED_NODE_FLAGS[@]}" scripts/embed-wasm.mjs "$built" "ts/wasm/generated/$v.ts" "${EMBED_FLAGS[@]}"
  cp "$built" "build/wasm/nn_$v.wasm.tmp"
  mv "build/wasm/nn_$v.wasm.tmp" "build/wasm/nn_$v.wasm"
  say "build/wasm/nn_$v.wasm $(wc -c <"build/wasm/nn_$v.wasm") bytes"
  if [[ $v == simd128-threads ]]; then
    # The same build with the test hooks, for test/kernels/threads.test.ts only (same target dir:
    # only the crate itself is rebuilt with the feature).
    RUSTFLAGS="$flags" "${cargo_line[@]}" --target-dir "target/wasm-$v" -p backprop-wasm-kernels --features test-hooks
    cp "$built" build/wasm/nn_simd128-threads-hooks.wasm.tmp
    mv build/wasm/nn_simd128-threads-hooks.wasm.tmp build/wasm/nn_simd128-threads-hooks.wasm
    say "build/wasm/nn_simd128-threads-hooks.wasm (tests only) $(wc -c <build/wasm/nn_simd128-threads-hooks.wasm) bytes"
  fi
done
