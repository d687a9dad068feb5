import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic } from '../demo/serve.js';
import { buildDemo } from '../scripts/build-demo.js';
import { chromiumMissing, launchChromium } from './chromium.js';

// End to end in real headless Chromium: the MNIST page trains in its worker, accuracy rises, a
// drawn digit gets a prediction; and the built package imports in a bare page and runs a kernel.
const root = resolve(import.meta.dirname, '..');
const SCREENSHOTS = join(root, 'build', 'e2e'); // build/ is gitignored
const missing = chromiumMissing();

describe.skipIf(missing !== null)('in Chromium', () => {
  let browser: Browser;
  let server: Server;
  let url: string;
  const work = mkdtempSync(join(tmpdir(), 'backprop-wasm-e2e-'));

  beforeAll(async () => {
    const site = await buildDemo(join(work, 'demo'));
    // A bare page next to the built package's JS (index.js and the wasm chunks it imports on
    // demand): no bundler, just an ES module import of dist/index.js.
    if (!existsSync(join(root, 'dist', 'index.js'))) throw new Error('dist/index.js is missing: run `npm run build` (npm test does it) first');
    mkdirSync(join(site, 'pkg'));
    for (const file of readdirSync(join(root, 'dist')).filter((f) => f.endsWith('.js'))) copyFileSync(join(root, 'dist', file), join(site, 'pkg', file));
    writeFileSync(join(site, 'pkg', 'bare.html'), `<!doctype html><meta charset="utf-8"><script type="module">
import { createBackend } from './index.js';
try {
  const b = await createBackend('wasm');
  const a = b.tensor([[1, 2], [3, 4]]);
  const c = b.zeros([2, 2]);
  b.gemmNN(2, 2, 2, a, a, c);
  window.result = { name: b.name, product: [...c.data] };
} catch (e) { window.result = { error: String(e) }; }
</script>`);
    ({ server, url } = await serveStatic(site, 0));
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  async function openPage(path: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    // Nothing may be fetched from anywhere but the local server.
    page.on('request', (r) => {
      if (!r.url().startsWith(url)) errors.push(`external request: ${r.url()}`);
    });
    await page.goto(url + path);
    (page as Page & { errors: string[] }).errors = errors;
    return page;
  }

  it('imports dist/index.js as an ES module in a bare page and runs a WASM kernel, loading one build', async () => {
    const page = await openPage('pkg/bare.html');
    await page.waitForFunction(() => (window as unknown as { result?: unknown }).result !== undefined, null, { timeout: 20_000 });
    const result = await page.evaluate(() => (window as unknown as { result: unknown }).result);
    expect(result).toMatchObject({ product: [7, 10, 15, 22] });
    const name = (result as { name: string }).name;
    expect(name).toMatch(/^wasm-/);
    // Only the chosen variant's chunk is fetched (the others stay on the server).
    const fetched = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name));
    const wasmChunks = fetched.filter((u) => /\/wasm-[^/]*\.js$/.test(u));
    expect(wasmChunks).toHaveLength(1);
    expect(wasmChunks[0]).toContain(`/${name}-`);
    await page.close();
  }, 60_000);

  it('trains the MNIST page live: accuracy rises, a drawn digit gets a prediction', async () => {
    const page = await openPage('');
    type State = { backend: string; evals: { testAccuracy: number }[]; prediction: number | null; probs: number[] | null };
    const state = () => page.evaluate(() => (window as unknown as { demoState: State }).demoState);
    // Ready: the worker built the net and evaluated it once, untrained.
    await page.waitForFunction(() => (window as unknown as { demoState: State }).demoState.evals.length === 1, null, { timeout: 30_000 });
    expect(await page.isEnabled('#start')).toBe(true);
    const before = await state();
    expect(before.backend).toMatch(/^wasm-/);
    expect(before.evals).toHaveLength(1); // the untrained net, evaluated at reset
    await page.click('#start');
    // Two epochs of the default net (four evaluations after the first) take a few seconds.
    await page.waitForFunction(() => (window as unknown as { demoState: State }).demoState.evals.length >= 5, null, { timeout: 60_000 });
    await page.click('#pause');
    const after = await state();
    const first = before.evals[0].testAccuracy;
    const last = after.evals[after.evals.length - 1].testAccuracy;
    expect(first).toBeLessThan(0.3); // chance is 0.1
    expect(last).toBeGreaterThan(0.85);
    expect(Number(await page.textContent('#test-acc'))).toBeCloseTo(last, 3);
    expect(Number(await page.textContent('#speed'))).toBeGreaterThan(0);

    // Draw a "1": a vertical stroke on the pad.
    const box = (await page.locator('#draw').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.15);
    await page.mouse.down();
    for (let i = 1; i <= 12; i++) await page.mouse.move(box.x + box.width * (0.5 - i * 0.004), box.y + box.height * (0.15 + i * 0.06));
    await page.mouse.up();
    await page.waitForFunction(() => (window as unknown as { demoState: State }).demoState.prediction !== null, null, { timeout: 10_000 });
    const drawn = await state();
    expect(drawn.probs!.reduce((a, p) => a + p, 0)).toBeCloseTo(1, 5);
    expect(drawn.prediction).toBe(1);
    expect(await page.textContent('#prediction')).toBe('1');
    expect(await page.locator('#grid .digit').count()).toBe(40);
    expect(await page.locator('#weights canvas').count()).toBe(16);

    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'mnist-demo.png'), fullPage: true });

    // The toggle to pure TypeScript rebuilds the net on the other backend.
    await page.selectOption('#backend', 'ts');
    await page.click('#reset');
    await page.waitForFunction(() => (window as unknown as { demoState: State }).demoState.backend === 'ts', null, { timeout: 30_000 });
    expect(await page.textContent('#status')).toContain('ts: 784→256→128→10');
    expect((page as Page & { errors: string[] }).errors).toEqual([]);
    await page.close();
  }, 120_000);
});
