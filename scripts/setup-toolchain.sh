#!/usr/bin/env bash
# Makes sure a Rust toolchain that can build crate/ for wasm32-unknown-unknown is present, and a
# host `cargo` for `cargo test`. Idempotent: when everything is there it prints nothing and
# returns at once.
#
# Two routes are recognised (detected in scripts/lib.sh, which build-wasm.sh uses too):
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
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib.sh setup-toolchain # wasm_route, host_cargo

APT_PACKAGES=(rustc-web cargo-web rust-web-src lld-19)

if [[ "${1:-}" == --route ]]; then
  wasm_route
  exit
fi

if wasm_route >/dev/null && host_cargo >/dev/null 2>&1; then
  exit 0
fi

# Missing: try apt-get (root, or sudo), then rustup.
if ! wasm_route >/dev/null && command -v apt-get >/dev/null 2>&1; then
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && { sudo -n true 2>/dev/null || [[ -t 0 ]]; }; then
      sudo=(sudo)
    else
      sudo=(none)
    fi
  fi
  if [[ "${sudo[*]}" != none ]]; then
    say "installing ${APT_PACKAGES[*]} with apt-get"
    if "${sudo[@]}" apt-get update >&2 &&
       "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${APT_PACKAGES[@]}" >&2; then
      :
    else
      say "apt-get could not install ${APT_PACKAGES[*]}"
    fi
  fi
fi

if ! wasm_route >/dev/null && command -v rustup >/dev/null 2>&1; then
  say "adding the wasm32-unknown-unknown target with rustup"
  rustup target add wasm32-unknown-unknown >&2 || say "rustup could not add the target"
fi

if ! wasm_route >/dev/null; then
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

if ! host_cargo >/dev/null 2>&1; then
  say "no host cargo for 'cargo test': install cargo-web (apt) or rustup (https://rustup.rs)"
  exit 1
fi
