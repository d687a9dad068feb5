#!/usr/bin/env bash
# Installs the browsers of the end-to-end suite (test/e2e/) from Debian's packages, as no test
# tool's own browser download is reachable here: Chromium (driven by playwright-core), Firefox
# ESR (puppeteer-core over WebDriver BiDi), WebKitGTK's WebDriver with its MiniBrowser, and Xvfb
# for WebKitGTK's window; and a Korean font (the graph tour has a Korean edition, and its layout
# is checked at 390 px: without the font, browsers draw empty boxes of another width). Idempotent: returns at once when all are there. Needs root or
# passwordless sudo for apt-get; otherwise it explains and exits 1.
set -euo pipefail
# The file by which each package is known to be installed.
declare -A FILE_OF=(
  [chromium]=/usr/bin/chromium
  [firefox-esr]=/usr/bin/firefox-esr
  [webkit2gtk-driver]=/usr/bin/WebKitWebDriver
  [xvfb]=/usr/bin/Xvfb
  [fonts-nanum]=/usr/share/fonts/truetype/nanum/NanumGothic.ttf
)
missing=()
for package in "${!FILE_OF[@]}"; do
  [[ -e ${FILE_OF[$package]} ]] || missing+=("$package")
done
(( ${#missing[@]} == 0 )) && exit 0
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo=(sudo)
  else
    echo "[setup-browsers] missing ${missing[*]}, and apt-get needs root: run 'apt-get install -y ${missing[*]}' as root" >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "[setup-browsers] missing ${missing[*]}, and there is no apt-get; install them, or set CHROMIUM_PATH, FIREFOX_PATH, WEBKIT_DRIVER_PATH" >&2
  exit 1
fi
echo "[setup-browsers] installing ${missing[*]} with apt-get" >&2
"${sudo[@]}" apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
for package in "${missing[@]}"; do
  [[ -e ${FILE_OF[$package]} ]] || { echo "[setup-browsers] apt-get finished but ${FILE_OF[$package]} is still missing" >&2; exit 1; }
done
