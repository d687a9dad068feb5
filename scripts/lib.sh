# Shared by the scripts in scripts/ (sourced, not run): `source scripts/lib.sh <tag>` from the
# repository root. Messages go to stderr (`say`), so that stdout carries only what a command
# is asked for (`npm run --silent mnist -- --json | jq .` gets the CLI's JSON alone).

NN_TAG=${1:-script}

# say MESSAGE...: one "[tag] message" line on stderr.
say() { echo "[$NN_TAG] $*" >&2; }

# The Debian "web" Rust route (see scripts/setup-toolchain.sh and ../shared/TOOLCHAIN.md).
DEBIAN_RUSTC=/usr/bin/rustc
DEBIAN_CARGO=/usr/bin/cargo
DEBIAN_VENDOR=/usr/lib/rustlib/src/rust/library/vendor
WASM_LD=/usr/lib/llvm-19/bin/wasm-ld

have_debian_route() {
  [[ -x $DEBIAN_RUSTC && -x $DEBIAN_CARGO && -d $DEBIAN_VENDOR && -x $WASM_LD ]]
}

have_rustup_route() {
  command -v rustup >/dev/null 2>&1 && command -v cargo >/dev/null 2>&1 &&
    rustup target list --installed 2>/dev/null | grep -qx 'wasm32-unknown-unknown'
}

# wasm_route: prints the route that builds wasm32 (debian|rustup), or fails. NN_WASM_ROUTE
# picks one when both are usable; otherwise debian first.
wasm_route() {
  case "${NN_WASM_ROUTE:-}" in
    debian) have_debian_route && { echo debian; return; } ;;
    rustup) have_rustup_route && { echo rustup; return; } ;;
  esac
  if have_debian_route; then echo debian
  elif have_rustup_route; then echo rustup
  else return 1
  fi
}

# host_cargo: prints the cargo for host builds (`cargo test`): the one on PATH, else Debian's.
host_cargo() {
  if command -v cargo >/dev/null 2>&1; then command -v cargo
  elif [[ -x $DEBIAN_CARGO ]]; then echo "$DEBIAN_CARGO"
  else say "no cargo found: run scripts/setup-toolchain.sh"; return 1
  fi
}

# wasm_cargo ROUTE SUBCOMMAND...: sets the array WASM_CARGO to the cargo command line that
# builds crate/ for wasm32-unknown-unknown on ROUTE, e.g. `wasm_cargo debian build --release`.
# On the Debian route std is built from the vendored sources and the linker is named; those
# settings stay here on the command line, not in a .cargo/config.toml that would break the
# rustup route. The caller sets RUSTFLAGS.
wasm_cargo() {
  local route=$1
  shift
  if [[ $route == debian ]]; then
    export RUSTC=$DEBIAN_RUSTC RUSTC_BOOTSTRAP=1
    WASM_CARGO=("$DEBIAN_CARGO" "$@" --target wasm32-unknown-unknown
      -Zbuild-std=std,panic_abort
      --config 'source.crates-io.replace-with="rust-std-vendor"'
      --config "source.rust-std-vendor.directory=\"$DEBIAN_VENDOR\""
      --config "target.wasm32-unknown-unknown.linker=\"$WASM_LD\"")
  else
    WASM_CARGO=(cargo "$@" --target wasm32-unknown-unknown)
  fi
}

# relaxed_node_flags: sets the array RELAXED_NODE_FLAGS to the V8 flag Node 20 needs to compile
# relaxed-SIMD modules, when this node knows it (later Nodes have the feature on by default
# and may drop the flag), else to nothing.
relaxed_node_flags() {
  RELAXED_NODE_FLAGS=()
  if node --experimental-wasm-relaxed-simd -e 0 >/dev/null 2>&1; then
    RELAXED_NODE_FLAGS=(--experimental-wasm-relaxed-simd)
  fi
}

# ensure: brings the checkout up to date (scripts/ensure.sh) once per command: NN_ENSURED,
# exported afterwards, makes every later ensure.sh of this command and its children (such as
# scripts/build.sh under scripts/test.sh) return at once.
ensure() {
  bash scripts/ensure.sh
  export NN_ENSURED=1 NN_TOOLCHAIN_READY=1
}
