import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic } from '../../demo/serve.js';
import { buildDemo } from '../../scripts/build-demo.js';
import { readSafetensors } from '../../ts/index.js';
import { CHROMIUM, launchChromium } from './drivers/chromium.js';
import { engineMissing } from './engines.js';
import { cliSummary } from '../helpers/cli.js';

// The page's Download model / Load model buttons in headless Chromium, and files moving both
// ways between the page and the CLI: a model trained on the page loads in the CLI with the
// same test accuracy, and one trained by the CLI loads on the page.
const missing = engineMissing({ label: 'Chromium', needs: [CHROMIUM] });

const cli = (...args: string[]) => cliSummary(args);

describe.skipIf(missing !== null)('model files on the page, in Chromium', () => {
  let browser: Browser;
  let server: Server;
  let url: string;
  const work = mkdtempSync(join(tmpdir(), 'backprop-wasm-io-e2e-'));

  beforeAll(async () => {
    ({ server, url } = await serveStatic(await buildDemo(join(work, 'demo')), 0));
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  type State = { phase: string; evals: { testAccuracy: number }[]; loadedModel: string | null; downloadedBytes: number };
  const state = (page: Page) => page.evaluate(() => (window as unknown as { demoState: State }).demoState);
  const waitFor = (page: Page, predicate: string) =>
    page.waitForFunction(`(() => { const s = window.demoState; return ${predicate}; })()`, null, { timeout: 60_000 });

  async function openPage(): Promise<Page & { errors: string[] }> {
    const page = (await browser.newPage({ acceptDownloads: true })) as Page & { errors: string[] };
    page.errors = [];
    page.on('pageerror', (e) => page.errors.push(e.message));
    await page.goto(url);
    await waitFor(page, "s.phase === 'paused'");
    return page;
  }

  it('Download model: a net trained on the page loads in the CLI and evaluates the same', async () => {
    const page = await openPage();
    await page.fill('#epochs', '1');
    await page.click('#start');
    await waitFor(page, "s.phase === 'done'"); // evaluated at its last step, so the accuracy is the downloaded net's
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    expect(download.suggestedFilename()).toBe('mnist.safetensors');
    const path = join(work, 'from-page.safetensors');
    await download.saveAs(path);
    const pageState = await state(page);
    const bytes = new Uint8Array(readFileSync(path));
    expect(bytes.length).toBe(pageState.downloadedBytes);
    const file = readSafetensors(bytes);
    expect(file.tensors.get('W1')!.shape).toEqual([784, 256]);
    expect(file.metadata.optimizer).toContain('Nesterov');

    const summary = cli('--load', path, '--epochs', '0');
    expect(summary.loaded).toEqual({ path, sizes: [784, 256, 128, 10], optimizer: 'nesterov' });
    // The same weights on the same 2,000 test digits (the page may run another WASM build, so
    // f32 sums may round differently and flip a borderline digit or two).
    expect(Math.abs(summary.testAccuracy - pageState.evals[pageState.evals.length - 1].testAccuracy)).toBeLessThanOrEqual(0.002);
    expect(page.errors).toEqual([]);
    await page.close();
  }, 180_000);

  it('Load model: a net trained by the CLI loads on the page with its sizes, chapter-6 options, optimizer and accuracy; a bad file is refused', async () => {
    const path = join(work, 'from-cli.safetensors');
    const summary = cli(
      '--hidden',
      '24',
      '--batchnorm',
      '--dropout',
      '0.1',
      '--weight-decay',
      '0.001',
      '--epochs',
      '1',
      '--optimizer',
      'adam',
      '--lr',
      '0.003',
      '--save',
      path,
    );
    const page = await openPage();
    await page.setInputFiles('#model-file', path);
    await waitFor(page, "s.loadedModel === 'from-cli.safetensors' && s.phase === 'paused'");
    const loaded = await state(page);
    expect(Math.abs(loaded.evals[loaded.evals.length - 1].testAccuracy - summary.testAccuracy)).toBeLessThanOrEqual(0.002);
    // The status and the controls describe the file's net, not the page's settings (no batch norm, no dropout).
    expect(await page.textContent('#status')).toContain(
      '784→24→10 with batch norm, dropout 0.1, weight decay 0.001 from from-cli.safetensors',
    );
    expect(await page.inputValue('#hidden')).toBe('24');
    expect([await page.inputValue('#batchnorm'), await page.inputValue('#dropout'), await page.inputValue('#weight-decay')]).toEqual([
      'on',
      '0.1',
      '0.001',
    ]);
    expect(await page.inputValue('#optimizer')).toBe('adam');
    expect(await page.isVisible('#pending')).toBe(false); // the controls show the loaded net: nothing pending
    // The charts start empty: the page says why, and the weights panel shows the loaded weights.
    expect(await page.textContent('#history-note')).toBe(
      "Loaded from from-cli.safetensors: the file holds the weights and the optimizer's state, not the training history, so the charts start here.",
    );
    expect(await page.textContent('#weights-what')).toContain('the net was loaded from a file, which keeps no initial weights to subtract');
    expect(await page.locator('#weights canvas').count()).toBe(16);
    // Training goes on from the loaded net.
    await page.click('#start');
    await waitFor(page, 's.evals.length >= 2');

    const junk = join(work, 'junk.safetensors');
    writeFileSync(junk, 'not a model');
    if (!(await page.isDisabled('#pause'))) await page.click('#pause');
    await waitFor(page, "s.phase === 'paused' || s.phase === 'done'");
    const before = await state(page);
    await page.setInputFiles('#model-file', junk);
    await page.waitForFunction(() => document.querySelector('#error')?.textContent !== '');
    expect(await page.textContent('#error')).toMatch(/^junk\.safetensors: safetensors: the header length at byte 0 says \d+ bytes/);
    // Refused before anything was reset: the loaded net, its evaluations and Start are still there.
    const after = await state(page);
    // (an evaluation of the last slice may still arrive after the pause, so the history may grow)
    expect(after.phase).not.toBe('error');
    expect(after.loadedModel).toBe('from-cli.safetensors');
    expect(after.evals.length).toBeGreaterThanOrEqual(before.evals.length);
    expect(await page.textContent('#status')).toContain(
      '784→24→10 with batch norm, dropout 0.1, weight decay 0.001 from from-cli.safetensors',
    );
    expect(await page.isDisabled('#start')).toBe(false);
    expect(page.errors).toEqual([]);
    await page.close();
  }, 180_000);

  it('a CNN downloaded from the page loads in the CLI, and a CLI-trained CNN loads on the page (the model select follows the file)', async () => {
    const page = await openPage();
    await page.selectOption('#model', 'cnn');
    await page.fill('#epochs', '1');
    await page.click('#start'); // "Reset and start": the model changed
    await waitFor(page, "s.phase === 'done'");
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    const fromPage = join(work, 'cnn-from-page.safetensors');
    await download.saveAs(fromPage);
    const pageState = await state(page);
    expect(JSON.parse(readSafetensors(new Uint8Array(readFileSync(fromPage))).metadata.architecture).class).toBe('SimpleConvNet');
    const evaluated = cli('--load', fromPage, '--model', 'cnn', '--epochs', '0');
    expect(evaluated.loaded).toEqual({ path: fromPage, sizes: [784, 100, 10], optimizer: 'adam' });
    expect(Math.abs(evaluated.testAccuracy - pageState.evals[pageState.evals.length - 1].testAccuracy)).toBeLessThanOrEqual(0.002);
    await page.close();

    // The other way, onto a page showing the MLP: it switches to the CNN.
    const fromCli = join(work, 'cnn-from-cli.safetensors');
    const summary = cli('--model', 'cnn', '--epochs', '1', '--lr', '0.002', '--save', fromCli);
    const fresh = await openPage();
    expect(await fresh.inputValue('#model')).toBe('mlp');
    // chapter-6 settings on the page that the file's net does not have: the load drops them
    await fresh.selectOption('#batchnorm', 'on');
    await fresh.fill('#weight-decay', '0.01');
    await fresh.setInputFiles('#model-file', fromCli);
    await waitFor(fresh, "s.loadedModel === 'cnn-from-cli.safetensors' && s.phase === 'paused'");
    const loaded = await state(fresh);
    expect(Math.abs(loaded.evals[loaded.evals.length - 1].testAccuracy - summary.testAccuracy)).toBeLessThanOrEqual(0.002);
    expect(await fresh.textContent('#status')).toContain(
      'SimpleConvNet (conv 30×5×5 → relu → pool 2×2 → 100 → 10) from cnn-from-cli.safetensors',
    );
    expect([await fresh.inputValue('#model'), await fresh.inputValue('#optimizer'), await fresh.inputValue('#lr')]).toEqual([
      'cnn',
      'adam',
      '0.002',
    ]);
    expect(await fresh.isDisabled('#hidden')).toBe(true);
    expect([await fresh.inputValue('#batchnorm'), await fresh.inputValue('#dropout'), await fresh.inputValue('#weight-decay')]).toEqual([
      'off',
      '0',
      '0',
    ]);
    expect(await fresh.isVisible('#pending')).toBe(false);
    expect(await fresh.locator('#weights canvas').count()).toBe(30); // its filters
    expect(await fresh.textContent('#weights-key')).toBe(
      'red: positive weight, blue: negative, white: zero (each filter scaled to its largest weight).',
    );
    await fresh.click('#start');
    await waitFor(fresh, 's.evals.length >= 2');
    expect(fresh.errors).toEqual([]);
    await fresh.close();
  }, 300_000);
});
