import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic } from '../demo/serve.js';
import { buildGraphPage } from '../scripts/build-graph-page.js';
import { chromiumMissing, launchChromium } from './chromium.js';

// The graph page in headless Chromium: step through the shopping example forward, then
// backward, and read what the page shows after each step.
const missing = chromiumMissing();

describe.skipIf(missing !== null)('graph page in Chromium', () => {
  let browser: Browser;
  let server: Server;
  let url: string;
  const work = mkdtempSync(join(tmpdir(), 'backprop-wasm-graph-page-'));

  beforeAll(async () => {
    ({ server, url } = await serveStatic(await buildGraphPage(join(work, 'graph')), 0));
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('steps forward then backward one node at a time, highlighting the local computation', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
    await page.goto(url); // url ends in /, so index.html is served
    const explain = page.locator('#explain');
    await expect.poll(() => explain.textContent(), { timeout: 20_000 }).toContain('Nothing computed yet') // Graphviz loads first;
    const seen: string[] = [];
    for (let i = 0; i < 8; i++) {
      const before = await page.locator('#graph').innerHTML();
      await page.click('#next');
      await expect.poll(() => page.locator('#graph').innerHTML()).not.toBe(before);
      seen.push((await explain.textContent()) ?? '');
    }
    expect(seen[0]).toBe('mul1: 100 × 2 = 200');
    expect(seen[3]).toBe('mul3: 650 × 1.1 = 715');
    expect(seen[4]).toBe('mul3: the inputs swap — ∂/∂add1 = 1 × 1.1 = 1.1, ∂/∂tax = 1 × 650 = 650');
    expect(seen[7]).toBe('mul1: the inputs swap — ∂/∂apple = 1.1 × 2 = 2.2, ∂/∂apple num = 1.1 × 100 = 110');
    expect(await page.locator('#graph svg text[fill="red"]').allTextContents()).toEqual(expect.arrayContaining(['2.2', '110', '3.3', '165', '650']));
    expect(await page.locator('#graph svg [fill="#ffe08a"]').count()).toBe(1); // the highlighted node
    expect(await page.isDisabled('#next')).toBe(true);
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => explain.textContent()).toContain('mul2: the inputs swap');
    expect(errors).toEqual([]);
  }, 60_000);

  it('fits a 360 px phone at every step: nothing pushes the page sideways', async () => {
    const page = await browser.newPage({ viewport: { width: 360, height: 740 } });
    await page.goto(url);
    await page.waitForSelector('#graph svg', { timeout: 20_000 });
    const widths: number[] = [];
    for (let i = 0; i < 8; i++) {
      await page.click('#next');
      await expect.poll(() => page.locator('#phase').textContent()).toContain(`${(i % 4) + 1}/4`);
      widths.push(await page.evaluate(() => document.documentElement.scrollWidth));
    }
    expect(widths).toEqual(Array(8).fill(360)); // "backward 1/4" once overflowed by 14 px
    await page.screenshot({ path: 'build/e2e/graph-360.png', fullPage: true });
  }, 60_000);
});
