import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';

// The graph from the installed package, drawn by the `backprop-wasm/render` subpath. The app
// does not install the optional peer @viz-js/viz: DOT must work without it, and toSvg must say
// what to install.
const root = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'backprop-wasm-render-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

it('backprop-wasm/render works from the packed tarball; toSvg names its optional peer', () => {
  if (!existsSync(join(root, 'dist', 'render.js'))) throw new Error('dist/render.js is missing: run `npm run build` (npm test does it) before this test');
  const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: root, encoding: 'utf8' }).trim().split('\n').pop()!;
  const app = join(work, 'app');
  execFileSync('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--silent', join(work, tarball)], { cwd: app });
  writeFileSync(
    join(app, 'main.js'),
    `import { shoppingGraph } from 'backprop-wasm';
import { toDot, toSvg } from 'backprop-wasm/render';
const { graph, price, apple } = shoppingGraph();
graph.forward();
graph.backward(price);
const svgError = await toSvg(graph).then(() => 'no error', (e) => e.message);
console.log(JSON.stringify({ price: price.value, apple: apple.grad, dot: toDot(graph).includes('>2.2<'), svgError }));
`,
  );
  const out = JSON.parse(execFileSync('node', ['main.js'], { cwd: app, encoding: 'utf8' }));
  expect(out).toMatchObject({ price: 715.0000000000001, apple: 2.2, dot: true });
  expect(out.svgError).toContain('toSvg needs the optional peer dependency @viz-js/viz (npm install @viz-js/viz)');
}, 120_000);
