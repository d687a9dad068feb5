/**
 * Builds the graph page (demo/graph/) into a static folder (default build/graph): esbuild bundles
 * demo/graph/main.ts with the graph, the renderer and Graphviz (@viz-js/viz, WASM inlined), so
 * the page fetches nothing from elsewhere. Open build/graph/index.html through any static server.
 *
 * Usage: npx tsx scripts/build-graph-page.ts [out-dir]    (npm run demo:graph)
 */
import { copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bundlePage } from './bundle-page.js';

export async function buildGraphPage(out = resolve(import.meta.dirname, '..', 'build', 'graph')): Promise<string> {
  const root = resolve(import.meta.dirname, '..');
  await bundlePage({ main: join(root, 'demo/graph/main.ts') }, out);
  copyFileSync(join(root, 'demo/graph/index.html'), join(out, 'index.html'));
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const out = await buildGraphPage(process.argv[2] ? resolve(process.argv[2]) : undefined);
  console.log(`[build-graph-page] ${out}/index.html`);
}
