#!/usr/bin/env bash
# Makes sure a Rust toolchain that can build crate/ for wasm32-unknown-unknown is present, and a
# host `cargo` for `cargo test`. Idempotent: when everything is there it prints nothing and
# returns at once.
#
# Two routes are recognised (build-wasm.sh uses the same detection):
#   debian  /usr/bin/rustc + /usr/bin/cargo (Debian's "web" Rust), the vendored std sources in
#           /usr/lib/rustlib/src/rust/library/vendor (std is built from source with
#           -Zbuild-std) and wasm-ld from LLVM 19. Installed with
#           apt-get install rustc-web cargo-web rust-web-src lld-19.
#   rustup  a rustup toolchain with the wasm32-unknown-unknown target installed.
#
# Usage: scripts/setup-toolchain.sh           install what is missing (apt-get as root/sudo,
#                                             else rustup), or explain and exit 1
#        scripts/setup-toolchain.sh --route   print the route to use (debian|rustup), or exit 1
# NN_WASM_ROUTE=debian|rustup forces a route when both are present (default: debian).
set -euo pipefail

DEBIAN_RUSTC=/usr/bin/rustc
DEBIAN_CARGO=/usr/bin/cargo
DEBIAN_VENDOR=/usr/lib/rustlib/src/rust/library/vendor
WASM_LD=/usr/lib/llvm-19/bin/wasm-ld
APT_PACKAGES=(rustc-web cargo-web rust-web-src lld-19)

have_debian() {
  [[ -x $DEBIAN_RUSTC && -x $DEBIAN_CARGO && -d $DEBIAN_VENDOR && -x $WASM_LD ]]
}

have_rustup() {
  command -v rustup >/dev/null 2>&1 && command -v cargo >/dev/null 2>&1 &&
    rustup target list --installed 2>/dev/null | grep -qx 'wasm32-unknown-unknown'
}

# The route to build with: NN_WASM_ROUTE if that route is usable, else debian, else rustup.
route() {
  case "${NN_WASM_ROUTE:-}" in
    debian) have_debian && { echo debian; return; } ;;
    rustup) have_rustup && { echo rustup; return; } ;;
  esac
  if have_debian; then echo debian
  elif have_rustup; then echo rustup
  else return 1
  fi
}

have_host_cargo() {
  command -v cargo >/dev/null 2>&1 || [[ -x $DEBIAN_CARGO ]]
}

if [[ "${1:-}" == --route ]]; then
  route
  exit
fi

if route >/dev/null && have_host_cargo; then
  exit 0
fi

# Missing: try apt-get (root, or sudo), then rustup.
if ! route >/dev/null && command -v apt-get >/dev/null 2>&1; then
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && { sudo -n true 2>/dev/null || [[ -t 0 ]]; }; then
      sudo=(sudo)
    else
      sudo=(none)
    fi
  fi
  if [[ "${sudo[*]}" != none ]]; then
    echo "[setup-toolchain] installing ${APT_PACKAGES[*]} with apt-get" >&2
    if "${sudo[@]}" apt-get update &&
       "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${APT_PACKAGES[@]}"; then
      :
    else
      echo "[setup-toolchain] apt-get could not install ${APT_PACKAGES[*]}" >&2
    fi
  fi
fi

if ! route >/dev/null && command -v rustup >/dev/null 2>&1; then
  echo "[setup-toolchain] adding the wasm32-unknown-unknown target with rustup" >&2
  rustup target add wasm32-unknown-unknown || echo "[setup-toolchain] rustup could not add the target" >&2
fi

if ! route >/dev/null; then
  cat >&2 <<EOF
[setup-toolchain] no Rust toolchain that can build wasm32-unknown-unknown was found.
  Found: rustc $(command -v rustc || echo none), cargo $(command -v cargo || echo none), rustup $(command -v rustup || echo none),
         $DEBIAN_VENDOR $([[ -d $DEBIAN_VENDOR ]] && echo present || echo missing), $WASM_LD $([[ -x $WASM_LD ]] && echo present || echo missing)
  Install one of:
    - Debian/Ubuntu (as root): apt-get install --no-install-recommends ${APT_PACKAGES[*]}
    - rustup (https://rustup.rs): rustup target add wasm32-unknown-unknown
EOF
  exit 1
fi

if ! have_host_cargo; then
  echo "[setup-toolchain] no host cargo for 'cargo test': install cargo-web (apt) or rustup (https://rustup.rs)" >&2
  exit 1
fi
