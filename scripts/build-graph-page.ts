/**
 * Builds the graph tour (demo/graph/) into a static folder (default build/graph): esbuild bundles
 * demo/graph/main.ts with the graph, the renderer and Graphviz (@viz-js/viz, WASM inlined), and
 * two-layer-net.json holds what the two-layer-net figure shows: a TwoLayerNet trained here for a
 * few seconds on the embedded MNIST digits, and a test "2" (demo/graph/tour_data.ts). The page
 * fetches nothing from elsewhere. `npm run demo` builds it into build/demo/graph, next to the
 * MNIST page, and serves both; any static server will do.
 *
 * Usage: npx tsx scripts/build-graph-page.ts [out-dir]    (npm run demo:graph)
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeTourData } from '../demo/graph/tour_data.js';
import { bundlePage } from './bundle-page.js';
import { precompress } from './precompress.js';

export async function buildGraphPage(out = resolve(import.meta.dirname, '..', 'build', 'graph')): Promise<string> {
  const root = resolve(import.meta.dirname, '..');
  await bundlePage({ main: join(root, 'demo/graph/main.ts') }, out);
  copyFileSync(join(root, 'demo/graph/index.html'), join(out, 'index.html'));
  writeFileSync(join(out, 'two-layer-net.json'), JSON.stringify(await makeTourData()));
  precompress(out);
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const out = await buildGraphPage(process.argv[2] ? resolve(process.argv[2]) : undefined);
  console.log(`[build-graph-page] ${out}/index.html`);
}
