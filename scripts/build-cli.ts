/**
 * Compiles the MNIST CLI (demo/mnist.ts) into dist/mnist-cli.js, the package's
 * `backprop-wasm-mnist` bin: one ES module for Node with a shebang that needs nothing but Node.
 * The library is not bundled again: its imports are pointed at ./index.js next to it, so the
 * tarball carries the WASM builds once.
 *
 * Usage: npx tsx scripts/build-cli.ts    (run by scripts/build.sh after dist/index.js exists)
 */
import { chmodSync } from 'node:fs';
import { resolve } from 'node:path';
import { build, type Plugin } from 'esbuild';

const root = resolve(import.meta.dirname, '..');
const out = resolve(root, 'dist', 'mnist-cli.js');

/** `../ts/index.js` (from demo/) → `./index.js`, the built library beside the CLI. */
const libraryFromDist: Plugin = {
  name: 'library-from-dist',
  setup(b) {
    b.onResolve({ filter: /(^|\/)ts\/index\.js$/ }, () => ({ path: './index.js', external: true }));
  },
};

await build({
  entryPoints: [resolve(root, 'demo', 'mnist.ts')],
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outfile: out,
  banner: { js: '#!/usr/bin/env node' },
  plugins: [libraryFromDist],
  logLevel: 'warning',
});
chmodSync(out, 0o755);
