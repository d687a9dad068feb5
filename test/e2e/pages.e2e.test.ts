import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic } from '../../demo/serve.js';
import { buildDemo } from '../../scripts/build-demo.js';
import { buildGraphPage } from '../../scripts/build-graph-page.js';
import { readSafetensors } from '../../ts/index.js';
import { setValue, strokeOn, text, waitFor, withTab, type Browser, type Tab } from './browser.js';
import { engineMissing, ENGINES } from './engines.js';
import type { ParityReport } from './kernel_parity.js';

// The scenarios every browser engine runs, written once against test/e2e/browser.ts: the MNIST
// page trains, predicts a drawn digit, downloads its model, resets and loads it back; both pages
// fit a 390 px phone; the graph page steps through; the WASM kernels agree with TS inside the
// engine. One screenshot per engine and page goes to build/e2e/.
const root = resolve(import.meta.dirname, '..', '..');
const SCREENSHOTS = join(root, 'build', 'e2e');
const DESKTOP = { width: 1280, height: 1000 };
const PHONE = { width: 390, height: 800 };

let server: Server;
let url: string;
const work = mkdtempSync(join(tmpdir(), 'backprop-wasm-pages-'));

beforeAll(async () => {
  // One site: the MNIST page at /, the graph page at /graph/, the built package and the parity page at /pkg/.
  const site = await buildDemo(join(work, 'site'));
  await buildGraphPage(join(site, 'graph'));
  // The graph page with its script held back until the test calls loadMain(), as a slow network
  // holds it (main.js, then Graphviz's 1.5 MB): what the page does with clicks made meanwhile.
  const page = readFileSync(join(site, 'graph', 'index.html'), 'utf8');
  const script = '<script type="module" src="./main.js"></script>';
  if (!page.includes(script)) throw new Error(`graph/index.html: expected ${script} to hold back`);
  writeFileSync(
    join(site, 'graph', 'held.html'),
    page.replace(script, "<script>window.loadMain = () => import('./main.js').then(() => true)</script>"),
  );
  const pkg = join(site, 'pkg');
  mkdirSync(pkg);
  for (const file of readdirSync(join(root, 'dist')).filter((f) => f.endsWith('.js')))
    copyFileSync(join(root, 'dist', file), join(pkg, file));
  await build({
    entryPoints: [join(import.meta.dirname, 'parity_page.ts')],
    bundle: true,
    format: 'esm',
    outfile: join(pkg, 'parity.js'),
    logLevel: 'warning',
    // the library is the built package next to the page, as a user's page imports it
    plugins: [
      { name: 'package', setup: (b) => b.onResolve({ filter: /\/ts\/index\.js$/ }, () => ({ path: './index.js', external: true })) },
    ],
  });
  copyFileSync(join(import.meta.dirname, 'parity.html'), join(pkg, 'parity.html'));
  ({ server, url } = await serveStatic(site, 0));
  mkdirSync(SCREENSHOTS, { recursive: true });
}, 180_000);

afterAll(() => {
  server?.close();
  rmSync(work, { recursive: true, force: true });
});

interface DemoState {
  phase: string;
  backend: string;
  threads: number;
  threadsUnavailable: string | null;
  loadedModel: string | null;
  downloadedBytes: number;
  evals: { step: number; epoch: number; testAccuracy: number }[];
  prediction: number | null;
  probs: number[] | null;
}
const demoState = (tab: Tab) => tab.eval<DemoState>('window.demoState');
const waitForState = (tab: Tab, predicate: string, what: string, timeout = 120_000) =>
  waitFor(tab, `(() => { const s = window.demoState; return s && (${predicate}); })()`, what, timeout);
/**
 * What pushes a page sideways at its width: the document wider than its visible width (the
 * window less a classic scrollbar, as Firefox and WebKit draw one), or an element cut off.
 */
const overflow = (tab: Tab) =>
  tab.eval<{ innerWidth: number; sideways: number; cut: string[] }>(`(() => {
  const visible = document.documentElement.clientWidth;
  return {
    innerWidth,
    sideways: document.documentElement.scrollWidth - visible,
    cut: Array.from(document.querySelectorAll('button, label, .stat, .bar, .note, #status, h1, h2, #explain'))
      // an inline box has no clientWidth of its own (Firefox reports its text's scrollWidth against 0)
      .filter((e) => (getComputedStyle(e).display !== 'inline' && e.scrollWidth > e.clientWidth + 1) || e.getBoundingClientRect().right > visible + 0.5)
      .map((e) => e.tagName.toLowerCase() + '#' + (e.id || e.className) + ' ends at ' + Math.round(e.getBoundingClientRect().right) + ' of ' + visible + ' px: ' + e.textContent.trim().slice(0, 40)),
  };
})()`);
const FITS = { innerWidth: PHONE.width, sideways: 0, cut: [] };

for (const engine of ENGINES) {
  const slug = engine.label.toLowerCase().replace(/[^a-z]+/g, '-');
  describe.skipIf(engineMissing(engine) !== null)(`in ${engine.label}`, () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await engine.open();
      console.log(`[e2e] ${engine.label}: ${browser.version}`);
    }, 60_000);
    afterAll(() => browser?.close());

    it('the MNIST page trains to ≥ 0.9 test accuracy, predicts a digit drawn with the pointer, downloads its model, resets and loads it back', async () => {
      await withTab(browser, url, DESKTOP, async (tab) => {
        await waitForState(tab, "s.phase === 'paused'", 'the untrained net');
        const untrained = await demoState(tab);
        expect(untrained.backend).toMatch(/^wasm-/);
        expect(untrained.evals[0].testAccuracy).toBeLessThan(0.3);
        // Threads wherever the engine gives shared memory to a cross-origin isolated page; else one, with the reason on the page.
        const given = await tab.eval<{ shared: boolean; cores: number }>(
          '({ shared: crossOriginIsolated && typeof SharedArrayBuffer === "function", cores: navigator.hardwareConcurrency })',
        );
        if (given.shared) expect(untrained).toMatchObject({ threads: Math.min(8, given.cores), threadsUnavailable: null });
        else {
          expect(untrained.threads).toBe(1);
          expect(await text(tab, '#status')).toContain(`1 thread (${untrained.threadsUnavailable}`);
        }

        await setValue(tab, '#epochs', '3');
        await tab.click('#start');
        await waitForState(tab, "s.phase === 'done'", 'three epochs', 240_000); // evaluated at its last step
        const trained = (await demoState(tab)).evals.at(-1)!;
        expect(trained.testAccuracy).toBeGreaterThanOrEqual(0.9);
        expect(Number(await text(tab, '#test-acc'))).toBeCloseTo(trained.testAccuracy, 3);
        expect(await text(tab, '#weights-key')).toContain('white: unchanged'); // the pictures show W − W at init

        // A "1": one stroke down the pad, drawn with the engine's pointer.
        await strokeOn(
          tab,
          '#draw',
          Array.from({ length: 13 }, (_, i) => [0.5 - i * 0.004, 0.15 + i * 0.06] as const),
        );
        await waitForState(tab, 's.prediction !== null', 'a prediction of the drawing', 20_000);
        const drawn = await demoState(tab);
        expect(drawn.probs!.reduce((a, p) => a + p, 0)).toBeCloseTo(1, 5);
        expect(drawn.prediction).toBe(1);
        expect(await text(tab, '#prediction')).toBe('1');
        await tab.screenshot(join(SCREENSHOTS, `${slug}-mnist.png`));

        // Download model: the page hands a .safetensors file to a link; the test takes its bytes there.
        await tab.eval(
          `(() => { window.downloads = []; HTMLAnchorElement.prototype.click = function () { downloads.push({ name: this.download, href: this.href }); }; })()`,
        );
        await tab.click('#download');
        await waitFor(tab, 'window.downloads.length === 1', 'the download', 20_000);
        const download = await tab.eval<{ name: string; base64: string }>(`(async () => {
          const { name, href } = downloads[0];
          const bytes = new Uint8Array(await (await fetch(href)).arrayBuffer());
          let s = ''; for (const b of bytes) s += String.fromCharCode(b);
          return { name, base64: btoa(s) };
        })()`);
        const bytes = Buffer.from(download.base64, 'base64');
        expect(download.name).toBe('mnist.safetensors');
        expect(bytes.length).toBe((await demoState(tab)).downloadedBytes);
        expect(readSafetensors(new Uint8Array(bytes)).tensors.get('W1')!.shape).toEqual([784, 256]);

        // Reset: a new untrained net, nothing of the old one shown.
        await tab.click('#reset');
        await waitForState(tab, "s.phase === 'paused' && s.evals.length === 1 && s.probs !== null", 'the new net');
        expect((await demoState(tab)).evals[0].testAccuracy).toBeLessThan(0.3);

        // Load model: the downloaded file, chosen in the file input, brings the trained net back,
        // and the controls follow the file's net: chapter-6 settings changed meanwhile are dropped.
        await setValue(tab, '#batchnorm', 'on');
        await setValue(tab, '#dropout', '0.2');
        expect(await tab.eval("document.getElementById('pending').hidden")).toBe(false);
        await tab.eval(`(() => {
          const bytes = Uint8Array.from(atob(${JSON.stringify(download.base64)}), (c) => c.charCodeAt(0));
          const input = document.getElementById('model-file');
          const files = new DataTransfer();
          files.items.add(new File([bytes], 'mnist.safetensors'));
          input.files = files.files;
          input.dispatchEvent(new Event('change', { bubbles: true }));
        })()`);
        await waitForState(tab, "s.loadedModel === 'mnist.safetensors' && s.phase === 'paused'", 'the loaded model');
        expect((await demoState(tab)).evals.at(-1)!.testAccuracy).toBeCloseTo(trained.testAccuracy, 6);
        expect(await text(tab, '#status')).toContain('784→256→128→10 from mnist.safetensors');
        expect(
          await tab.eval(
            "['batchnorm', 'dropout', 'weight-decay'].map((id) => document.getElementById(id).value).concat(document.getElementById('pending').hidden)",
          ),
        ).toEqual(['off', '0', '0', true]);
        // a loaded net's pictures are its weights (the file keeps no init to subtract), and the key says so
        expect(await text(tab, '#weights-key')).toContain('white: zero weight');
      });
    }, 420_000);

    it('at 390 px, neither page scrolls sideways: the MNIST page while training, the graph page at every step', async () => {
      await withTab(browser, url, PHONE, async (mnist) => {
        await waitForState(mnist, "s.phase === 'paused'", 'the untrained net');
        await mnist.click('#start');
        await waitForState(mnist, 's.evals.length >= 3', 'two evaluations while training');
        expect(await overflow(mnist)).toEqual(FITS);
        await mnist.screenshot(join(SCREENSHOTS, `${slug}-mnist-390.png`));
        await mnist.click('#pause');
      });
      await withTab(browser, `${url}graph/`, PHONE, async (graph) => {
        await waitFor(graph, "document.querySelector('#graph svg')", 'the graph');
        for (let i = 0; i < 8; i++) {
          await graph.click('#next');
          await waitFor(graph, `document.getElementById('phase').textContent.includes('${(i % 4) + 1}/4')`, `step ${i + 1}`);
          expect(await overflow(graph), `step ${i + 1}`).toEqual(FITS);
        }
        await graph.screenshot(join(SCREENSHOTS, `${slug}-graph-390.png`));
      });
    }, 240_000);

    it('the graph page steps forward then backward one node at a time, highlighting the local computation', async () => {
      await withTab(browser, `${url}graph/`, DESKTOP, async (tab) => {
        await waitFor(tab, "document.getElementById('explain').textContent.includes('Nothing computed yet')", 'Graphviz to load', 30_000);
        const seen: string[] = [];
        for (let i = 0; i < 8; i++) {
          const before = await tab.eval<string>("document.getElementById('graph').innerHTML");
          await tab.click('#next');
          await waitFor(tab, `document.getElementById('graph').innerHTML !== ${JSON.stringify(before)}`, `step ${i + 1} drawn`);
          seen.push(await text(tab, '#explain'));
        }
        expect(seen[0]).toBe('mul1: 100 × 2 = 200');
        expect(seen[3]).toBe('mul3: 650 × 1.1 = 715');
        expect(seen[4]).toBe('mul3: the inputs swap — ∂/∂add1 = 1 × 1.1 = 1.1, ∂/∂tax = 1 × 650 = 650');
        expect(seen[7]).toBe('mul1: the inputs swap — ∂/∂apple = 1.1 × 2 = 2.2, ∂/∂apple num = 1.1 × 100 = 110');
        const gradients = await tab.eval<string[]>(
          `Array.from(document.querySelectorAll('#graph svg text[fill="red"]'), (e) => e.textContent)`,
        );
        expect(gradients).toEqual(expect.arrayContaining(['2.2', '110', '3.3', '165', '650']));
        expect(await tab.eval('document.querySelectorAll(\'#graph svg [fill="#ffe08a"]\').length')).toBe(1); // the highlighted node
        expect(await tab.eval("document.getElementById('next').disabled")).toBe(true);
        await tab.screenshot(join(SCREENSHOTS, `${slug}-graph.png`));
        await tab.eval("document.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft', bubbles: true }))");
        await waitFor(tab, "document.getElementById('explain').textContent.includes('mul2: the inputs swap')", 'one step back');
      });
    }, 120_000);

    it('the graph page keeps Step clicks and keys made before its script and Graphviz have loaded', async () => {
      await withTab(browser, `${url}graph/held.html`, DESKTOP, async (tab) => {
        for (let i = 0; i < 3; i++) await tab.click('#next');
        await tab.eval("document.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }))");
        await tab.click('#back');
        expect(await text(tab, '#graph')).toBe('Loading Graphviz…');
        await tab.eval('window.loadMain()');
        await waitFor(tab, "document.querySelector('#graph svg')", 'the graph', 30_000);
        // next, next, next, →, back: step 3
        expect(await text(tab, '#phase')).toBe('forward 3/4');
        expect(await text(tab, '#explain')).toBe('add1: 200 + 450 = 650');
      });
    }, 60_000);

    it("the WASM kernels agree with TS in this engine's compiler: GEMM edge shapes, softmax, convolution, pooling, batch norm, the optimizers", async () => {
      await withTab(browser, `${url}pkg/parity.html`, DESKTOP, async (tab) => {
        await waitFor(tab, 'window.parity', 'the parity module to start', 20_000);
        // This page leaves navigator.language alone: it shows the locale the MNIST page ran under.
        if (engine.language !== undefined) expect(await tab.eval('navigator.language')).toBe(engine.language);
        const reports = await tab.eval<ParityReport[] | { error: string }>('window.parity');
        if (!Array.isArray(reports)) throw new Error(`the parity run failed in the page: ${reports.error}`);
        console.log(`[e2e] ${engine.label} kernel parity: ${reports.map((r) => `${r.variant} ${r.compared} outputs`).join(', ')}`);
        expect(reports.map((r) => r.variant)).toContain('simd128'); // every engine tested has SIMD128
        for (const r of reports) {
          expect(r.failures, r.variant).toEqual([]);
          expect(r.compared, r.variant).toBeGreaterThan(100);
        }
      });
    }, 180_000);
  });
}
