#!/usr/bin/env bash
# Builds the browser page (scripts/build-demo.ts → build/demo) and serves it on localhost.
# Extra arguments go to the server: npm run demo -- build/demo 9000   (folder, port; PORT= works too)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib.sh demo
ensure
npx tsx scripts/build-demo.ts >&2
exec npx tsx demo/serve.ts "$@"
