#!/usr/bin/env bash
# Prints the cargo to use for host builds (cargo test): the one on PATH, else Debian's.
if command -v cargo >/dev/null 2>&1; then command -v cargo
elif [ -x /usr/bin/cargo ]; then echo /usr/bin/cargo
else echo "no cargo found: run scripts/setup-toolchain.sh" >&2; exit 1
fi
