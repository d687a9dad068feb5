/**
 * Compiles the MNIST CLI (demo/mnist.ts) into dist/mnist-cli.js, the package's
 * `backprop-wasm-mnist` bin: one ES module for Node with a shebang that needs nothing but Node.
 * The library is not bundled again: its imports are pointed at ./index.js next to it, so the
 * tarball carries the WASM builds once.
 *
 * Usage: npx tsx scripts/build-cli.ts    (run by scripts/build.sh after dist/index.js exists)
 */
import { chmodSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';

const root = resolve(import.meta.dirname, '..');
const out = resolve(root, 'dist', 'mnist-cli.js');

/**
 * Every import of the library from demo/ (`../ts/index.js`, or a module such as `../ts/net.js`
 * that the trainer imports directly to keep the page's first download small) → `./index.js`,
 * the built library beside the CLI: one copy of its classes, so its `instanceof` checks hold.
 * Whatever demo/ imports from a module must therefore also be exported by ts/index.ts (demo/
 * uses the public API only): checked after the build below, so an internal fails the build here
 * instead of the installed bin at its first run.
 */
const libraryFromDist: Plugin = {
  name: 'library-from-dist',
  setup(b) {
    const library = `${resolve(root, 'ts')}/`;
    b.onResolve({ filter: /(^|\/)ts\/.+\.js$/ }, (args) => {
      if (!args.importer.startsWith(`${resolve(root, 'demo')}/`)) return undefined;
      const target = resolve(args.resolveDir, args.path);
      return target.startsWith(library) ? { path: './index.js', external: true } : undefined;
    });
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

// Every name the CLI imports from ./index.js must be one that dist/index.js exports.
const exported = new Set(Object.keys(await import(pathToFileURL(resolve(root, 'dist', 'index.js')).href)));
const imported = [...readFileSync(out, 'utf8').matchAll(/import\s*\{([^}]*)\}\s*from\s*"\.\/index\.js"/g)].flatMap((m) =>
  m[1].split(',').map((n) => n.trim().split(/\s+as\s+/)[0]),
);
const internal = imported.filter((name) => name !== '' && !exported.has(name));
if (internal.length > 0) {
  throw new Error(
    `build-cli: demo/ imports ${internal.join(', ')} from the library, which ts/index.ts does not export; the bin would fail to load (export it, or do without it in demo/)`,
  );
}
