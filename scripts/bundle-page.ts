import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Bundles a page's entry points for the browser as minified ES modules into `out`, with the
 * library inside, so the folder needs nothing from elsewhere. Shared by the MNIST page
 * (build-demo.ts) and the graph page (build-graph-page.ts).
 *
 * The WebAssembly builds are not inlined as base64 as in the package's dist/: each build's module
 * (ts/wasm/generated/<build>.ts) is replaced by one that names `nn_<build>.wasm`, copied next to
 * the chunks, and ts/wasm/load.ts fetches the binary of the one build the engine runs. That is a
 * quarter smaller than base64 and leaves the page's JavaScript to the page.
 */
export async function bundlePage(entryPoints: Record<string, string>, out: string): Promise<void> {
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints,
    bundle: true,
    splitting: true,
    chunkNames: '[name]-[hash]',
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    outdir: out,
    logLevel: 'warning',
    plugins: [wasmFiles(out)],
  });
}

/** Resolves `./generated/<build>.js` to a module exporting the URL of `<out>/nn_<build>.wasm`, and copies that file. */
function wasmFiles(out: string): Plugin {
  return {
    name: 'wasm-files',
    setup(b) {
      b.onResolve({ filter: /\/generated\/[a-z0-9-]+\.js$/ }, (args) => {
        if (!args.resolveDir.endsWith(join('ts', 'wasm'))) return undefined;
        return { path: /([a-z0-9-]+)\.js$/.exec(args.path)![1], namespace: 'wasm-file' };
      });
      b.onLoad({ filter: /.*/, namespace: 'wasm-file' }, (args) => {
        const file = `nn_${args.path}.wasm`;
        copyFileSync(join(root, 'build', 'wasm', file), join(out, file));
        // Chunks sit at the top of `out`, so the file is next to the chunk that asks for it.
        return { contents: `export const WASM_URL = new URL(${JSON.stringify(`./${file}`)}, import.meta.url).href;`, loader: 'js' };
      });
    },
  };
}
