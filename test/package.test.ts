import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';

// What a user gets from `npm install backprop-wasm`: the packed tarball, installed into an
// empty project, imported by name from plain Node, with no .wasm path configured anywhere.
const root = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'backprop-wasm-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

it('installs from the packed tarball and runs in Node by its package name', () => {
  if (!existsSync(join(root, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it) before this test');
  const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: root, encoding: 'utf8' }).trim().split('\n').pop()!;
  const app = join(work, 'app');
  execFileSync('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--silent', join(work, tarball)], { cwd: app });
  writeFileSync(
    join(app, 'main.js'),
    `import { createBackend, MulLayer, TwoLayerNet } from 'backprop-wasm';
const wasm = await createBackend('wasm');
const a = wasm.tensor([[1, 2], [3, 4]]);
const c = wasm.zeros([2, 2]);
wasm.gemmNN(2, 2, 2, a, a, c);
const net = new TwoLayerNet(wasm, 4, 3, 2);
console.log(JSON.stringify({ name: wasm.name, product: [...c.data], price: new MulLayer().forward(100, 2), params: Object.keys(net.params) }));
`,
  );
  const out = JSON.parse(execFileSync('node', ['main.js'], { cwd: app, encoding: 'utf8' }));
  expect(out).toEqual({ name: 'wasm-simd128', product: [7, 10, 15, 22], price: 200, params: ['W1', 'b1', 'W2', 'b2'] });
}, 120_000);

it('ships types: the tarball holds dist/index.d.ts with the public classes', () => {
  const listing = execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: root, encoding: 'utf8' });
  const files = (JSON.parse(listing) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
  expect(files).toContain('dist/index.js');
  expect(files).toContain('dist/index.d.ts');
  expect(files.some((f) => f.startsWith('ts/') || f.startsWith('crate/'))).toBe(false);
});
