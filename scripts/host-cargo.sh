#!/usr/bin/env bash
# Prints the cargo to use for host builds (cargo test): the one on PATH, else Debian's.
# Usage: "$(bash scripts/host-cargo.sh)" test --manifest-path crate/Cargo.toml
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib.sh host-cargo
host_cargo
