#!/usr/bin/env bash
# Builds both pages into one folder and serves it on localhost: the MNIST page
# (scripts/build-demo.ts → build/demo, at /) and the graph tour (scripts/build-graph-page.ts →
# build/demo/graph, at /graph/). PORT= chooses the port (default 8080).
# Extra arguments go to the server: npm run demo -- build/demo 9000   (folder, port)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib.sh demo
ensure
npx tsx scripts/build-demo.ts >&2
npx tsx scripts/build-graph-page.ts build/demo/graph >&2
exec npx tsx demo/serve.ts "$@"
