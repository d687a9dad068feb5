import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

// What a user gets from `npm install backprop-wasm`: the packed tarball, installed into an
// empty project (without the optional peer @viz-js/viz), imported by name from plain Node, with
// no .wasm path configured anywhere.
const root = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'backprop-wasm-pack-'));
const app = join(work, 'app');
afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(() => {
  for (const file of ['index.js', 'render.js']) {
    if (!existsSync(join(root, 'dist', file))) throw new Error(`dist/${file} is missing: run \`npm run build\` (npm test does it) before this test`);
  }
  const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: root, encoding: 'utf8' }).trim().split('\n').pop()!;
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--silent', join(work, tarball)], { cwd: app });
}, 120_000);

/** Runs an ES module in the installed app and parses the JSON it prints. */
function runInApp(code: string): Record<string, unknown> {
  writeFileSync(join(app, 'main.js'), code);
  return JSON.parse(execFileSync('node', ['main.js'], { cwd: app, encoding: 'utf8' }));
}

it('installs from the packed tarball and runs in Node by its package name', () => {
  const out = runInApp(`import { createBackend, MulLayer, TwoLayerNet } from 'backprop-wasm';
const wasm = await createBackend('wasm');
const a = wasm.tensor([[1, 2], [3, 4]]);
const c = wasm.zeros([2, 2]);
wasm.gemmNN(2, 2, 2, a, a, c);
const net = new TwoLayerNet(wasm, 4, 3, 2);
console.log(JSON.stringify({ name: wasm.name, product: [...c.data], price: new MulLayer().forward(100, 2), params: Object.keys(net.params) }));
`);
  expect(out).toEqual({ name: 'wasm-simd128', product: [7, 10, 15, 22], price: 200, params: ['W1', 'b1', 'W2', 'b2'] });
});

it('backprop-wasm/render works from the tarball; toSvg names its optional peer', () => {
  const out = runInApp(`import { shoppingGraph } from 'backprop-wasm';
import { toDot, toSvg } from 'backprop-wasm/render';
const { graph, price, apple } = shoppingGraph();
graph.forward();
graph.backward(price);
const svgError = await toSvg(graph).then(() => 'no error', (e) => e.message);
console.log(JSON.stringify({ price: price.value, apple: apple.grad, dot: toDot(graph).includes('>2.2<'), svgError }));
`);
  expect(out).toMatchObject({ price: 715.0000000000001, apple: 2.2, dot: true });
  expect(out.svgError).toContain('toSvg needs the optional peer dependency @viz-js/viz (npm install @viz-js/viz)');
});

it('ships types: the tarball holds dist/index.d.ts with the public classes', () => {
  const listing = execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: root, encoding: 'utf8' });
  const files = (JSON.parse(listing) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
  expect(files).toContain('dist/index.js');
  expect(files).toContain('dist/index.d.ts');
  expect(files.some((f) => f.startsWith('ts/') || f.startsWith('crate/'))).toBe(false);
});
