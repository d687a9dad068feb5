/**
 * Builds the browser page into a static folder (default build/demo): esbuild bundles
 * demo/web/main.ts and demo/web/worker.ts (with the library; each inlined .wasm build in a chunk
 * of its own that the worker imports only if its engine runs that build) as ES modules, and the
 * page, uPlot's stylesheet and the embedded digits are copied next to them, each also written
 * brotli- and gzip-compressed for demo/serve.ts. Everything the page needs is in that folder;
 * nothing is fetched from elsewhere.
 *
 * Usage: npx tsx scripts/build-demo.ts [out-dir]    (run by scripts/demo.sh and the e2e test)
 */
import { copyFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { bundlePage } from './bundle-page.js';
import { precompress } from './precompress.js';
import { EMBEDDED_MNIST } from '../demo/mnist_data.js';

export async function buildDemo(out = resolve(import.meta.dirname, '..', 'build', 'demo')): Promise<string> {
  const root = resolve(import.meta.dirname, '..');
  if (!existsSync(EMBEDDED_MNIST)) throw new Error(`${EMBEDDED_MNIST} is missing: run \`bash scripts/ensure.sh\` first`);
  await bundlePage({ main: join(root, 'demo/web/main.ts'), worker: join(root, 'demo/web/worker.ts') }, out);
  const uplotCss = join(dirname(createRequire(import.meta.url).resolve('uplot')), 'uPlot.min.css');
  copyFileSync(join(root, 'demo/web/index.html'), join(out, 'index.html'));
  copyFileSync(uplotCss, join(out, 'uPlot.min.css'));
  copyFileSync(EMBEDDED_MNIST, join(out, 'mnist.bin'));
  precompress(out);
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const out = await buildDemo(process.argv[2] ? resolve(process.argv[2]) : undefined);
  console.error(`[build-demo] ${out}`);
}
