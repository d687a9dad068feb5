#!/usr/bin/env bash
# Builds the npm package into dist/: the ESM library (index.js) with each .wasm build inlined as
# base64 in a chunk of its own (dist/wasm-*.js, imported by a relative path only when that
# variant is chosen, so no .wasm path needs configuring anywhere and an engine loads one build),
# the renderer entry point (dist/render/index.js), the .d.ts types and the compiled MNIST CLI (dist/mnist-cli.js).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure.sh
rm -rf dist
npx esbuild ts/index.ts --bundle --splitting --format=esm --platform=neutral --target=es2022 --outdir=dist --chunk-names=wasm-[name]-[hash] --log-level=warning
# backprop-wasm/render: the graph renderer, a second entry point. It imports the core as
# '../index.js' (the package's main entry), which stays an import here, so dist/render/index.js
# reaches dist/index.js and shares its Graph class (instanceof holds) instead of bundling a copy;
# only the renderer and the graph's display data (ts/graph/op_info.ts) are bundled. Graphviz
# (@viz-js/viz) stays an external, optional peer dependency, so the core bundle never contains it.
npx esbuild ts/render/index.ts --bundle --format=esm --platform=neutral --target=es2022 --outfile=dist/render/index.js --external:../index.js --external:@viz-js/viz --log-level=warning
# backprop-wasm/onnx (ONNX export) is bundled the same way: its `../index.js` import stays an
# import of the core, and only the exporter, its schema and the pure window geometry it shares
# with the core (ts/core/window.ts: functions, no classes) go into dist/onnx/index.js. protobufjs
# stays an optional peer. backprop-wasm/node (model files on disk) is compiled as one file.
npx esbuild ts/onnx/index.ts --bundle --format=esm --platform=neutral --target=es2022 --outfile=dist/onnx/index.js --external:../index.js --external:protobufjs --log-level=warning
npx esbuild ts/io/node.ts --format=esm --platform=node --target=es2022 --outdir=dist/io --log-level=warning
npx tsc -p tsconfig.build.json
# The `backprop-wasm-mnist` bin: the CLI compiled for plain Node, importing ./index.js.
npx tsx scripts/build-cli.ts
echo >&2 "[build] dist/index.js $(wc -c < dist/index.js) bytes, dist/render/index.js $(wc -c < dist/render/index.js) bytes, wasm chunks:" $(wc -c dist/wasm-*.js | head -n -1 | awk '{print $1}')
# The figures the README and docs/guide.md show (deterministic: it changes only when the graph or renderer does).
npx tsx scripts/render-docs.ts
