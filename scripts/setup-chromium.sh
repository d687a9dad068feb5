#!/usr/bin/env bash
# Installs Debian's Chromium for the browser end-to-end test (test/demo.e2e.test.ts), which
# drives it with playwright-core (no browser download: playwright's own is not reachable here).
# Idempotent: returns at once when /usr/bin/chromium is there. Needs root or passwordless sudo
# for apt-get; otherwise it explains and exits 1.
set -euo pipefail
CHROMIUM=/usr/bin/chromium
[[ -x $CHROMIUM ]] && exit 0
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo=(sudo)
  else
    echo "[setup-chromium] $CHROMIUM is missing and apt-get needs root: run 'apt-get install -y chromium' as root" >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "[setup-chromium] $CHROMIUM is missing and there is no apt-get; install Chromium and set CHROMIUM_PATH to it" >&2
  exit 1
fi
echo "[setup-chromium] installing chromium with apt-get" >&2
"${sudo[@]}" apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
[[ -x $CHROMIUM ]] || { echo "[setup-chromium] apt-get finished but $CHROMIUM is still missing" >&2; exit 1; }
