import { mkdirSync } from 'node:fs';
import { build } from 'esbuild';

/**
 * Bundles a page's entry points for the browser as minified ES modules into `out`, with the
 * library (and its inlined .wasm) inside, so the folder needs nothing from elsewhere. Code
 * splitting keeps each .wasm build in a chunk of its own (ts/wasm/load.ts imports the one the
 * engine runs), as in dist/. Shared by the MNIST page (build-demo.ts) and the graph page
 * (build-graph-page.ts).
 */
export async function bundlePage(entryPoints: Record<string, string>, out: string): Promise<void> {
  mkdirSync(out, { recursive: true });
  await build({ entryPoints, bundle: true, splitting: true, chunkNames: '[name]-[hash]', format: 'esm', platform: 'browser', target: 'es2022', minify: true, outdir: out, logLevel: 'warning' });
}
