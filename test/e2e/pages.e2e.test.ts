import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic } from '../../demo/serve.js';
import { buildDemo } from '../../scripts/build-demo.js';
import { buildGraphPage } from '../../scripts/build-graph-page.js';
import { DEEP_CONFIG, DEEP_EPOCHS } from '../../demo/recipes.js';
import { readSafetensors } from '../../ts/index.js';
import { setValue, strokeOn, text, waitFor, withTab, type Browser, type Tab } from './browser.js';
import { engineMissing, ENGINES } from './engines.js';
import type { ParityReport } from './kernel_parity.js';

// The scenarios every browser engine runs, written once against test/e2e/browser.ts: the MNIST
// page trains, predicts a drawn digit, downloads its model, resets and loads it back; both pages
// fit a 390 px phone; the graph page steps through; the WASM kernels agree with TS inside the
// engine; the graph tour goes through all its figures in both languages. Screenshots per engine
// and page go to build/e2e/.
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
  // The graph tour with its script held back until the test calls loadMain(), as a slow network
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
  activations: { name: string; shape: number[]; max: number }[];
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
/** The height in CSS px of the smallest text of the graph tour's figure, as drawn. */
const smallestFigureText = (tab: Tab) =>
  tab.eval<number>("Math.min(...Array.from(document.querySelectorAll('#graph svg text'), (t) => t.getBoundingClientRect().height))");
const FITS_DESKTOP = { ...FITS, innerWidth: DESKTOP.width };
const FIGURES = ['apple', 'chain-rule', 'add', 'mul', 'shopping', 'relu', 'sigmoid', 'affine', 'softmax-with-loss', 'two-layer-net'];
/** What the tour page says it shows. */
const tour = (tab: Tab) =>
  tab.eval<{ figures: string[]; figure: string; lang: string; step: number; steps: number; ready: boolean; nudged: unknown }>(
    'window.graphTour',
  );

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
        // The speed says which threads it came from: all of them, or one while the others did not help.
        const speedThreads = await text(tab, '#speed-threads');
        if (given.shared) expect(speedThreads).toMatch(new RegExp(`^on (1 of )?${untrained.threads} threads$`));
        else expect(speedThreads).toBe('');

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

        // Reset: a new untrained net, nothing of the old one shown; on the one thread the control now asks for.
        await setValue(tab, '#threads', '1');
        await tab.click('#reset');
        await waitForState(tab, "s.phase === 'paused' && s.evals.length === 1 && s.probs !== null", 'the new net');
        expect((await demoState(tab)).evals[0].testAccuracy).toBeLessThan(0.3);
        expect((await demoState(tab)).threads).toBe(1);
        expect(await text(tab, '#status')).toContain(' · 1 thread: ');

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

    it('at 390 px, the MNIST page does not scroll sideways while training', async () => {
      await withTab(browser, url, PHONE, async (mnist) => {
        await waitForState(mnist, "s.phase === 'paused'", 'the untrained net');
        await mnist.click('#start');
        await waitForState(mnist, 's.evals.length >= 3', 'two evaluations while training');
        expect(await overflow(mnist)).toEqual(FITS);
        await mnist.screenshot(join(SCREENSHOTS, `${slug}-mnist-390.png`));
        await mnist.click('#pause');
      });
    }, 240_000);

    it("at 390 px, the page offers the book's DeepConvNet: its recipe, a short training, every layer's activations for a drawn digit", async () => {
      await withTab(browser, url, PHONE, async (tab) => {
        await waitForState(tab, "s.phase === 'paused'", 'the untrained net');
        await setValue(tab, '#model', 'deep');
        // the CLI's recipe for --model deep; hidden sizes do not apply
        expect(await tab.eval("['optimizer', 'lr', 'batch', 'epochs'].map((id) => document.getElementById(id).value)")).toEqual([
          DEEP_CONFIG.optimizer,
          String(DEEP_CONFIG.lr),
          String(DEEP_CONFIG.batch),
          String(DEEP_EPOCHS),
        ]);
        expect(await tab.eval("document.getElementById('hidden').disabled")).toBe(true);
        // its recipe's Dropout ratio, which applies to it; batch norm and weight decay do not
        expect(
          await tab.eval(
            "['dropout', 'batchnorm', 'weight-decay'].map((id) => [document.getElementById(id).value, document.getElementById(id).disabled])",
          ),
        ).toEqual([
          [String(DEEP_CONFIG.dropout), false],
          ['off', true],
          ['0', true],
        ]);
        await setValue(tab, '#epochs', '1');
        await tab.click('#start'); // "Reset and start": the model changed
        await waitForState(tab, "s.phase === 'done'", 'one epoch of the DeepConvNet', 300_000);
        expect(await text(tab, '#status')).toContain(
          `DeepConvNet (conv 16, 16, 32, 32, 64, 64 ×3×3 → 3 pools → 50 → 10, dropout ${DEEP_CONFIG.dropout})`,
        );
        expect((await demoState(tab)).evals.at(-1)!.testAccuracy).toBeGreaterThan(0.5);
        expect(await tab.eval("Array.from(document.querySelectorAll('#weights canvas'), (c) => c.width + '×' + c.height)")).toEqual(
          Array(16).fill('3×3'),
        );
        // a "1" drawn with the engine's pointer: every layer's output is drawn, in the net's order
        await strokeOn(
          tab,
          '#draw',
          Array.from({ length: 13 }, (_, i) => [0.5 - i * 0.004, 0.15 + i * 0.06] as const),
        );
        await waitForState(tab, 's.activations.length > 0', "the drawing's activations", 30_000);
        const { activations } = await demoState(tab);
        expect(activations.map((a) => `${a.name} ${a.shape.join('×')}`)).toEqual([
          'Conv1 16×28×28',
          'Relu1 16×28×28',
          'Conv2 16×28×28',
          'Relu2 16×28×28',
          'Pool1 16×14×14',
          'Conv3 32×14×14',
          'Relu3 32×14×14',
          'Conv4 32×16×16',
          'Relu4 32×16×16',
          'Pool2 32×8×8',
          'Conv5 64×8×8',
          'Relu5 64×8×8',
          'Conv6 64×8×8',
          'Relu6 64×8×8',
          'Pool3 64×4×4',
          'Affine1 50',
          'Relu7 50',
          'Dropout1 50',
          'Affine2 10',
          'Dropout2 10',
        ]);
        expect(activations.every((a) => a.max > 0)).toBe(true); // no layer is blank for a stroke
        // each layer is one picture: Conv4's 32 maps of 16×16 in 6 columns and 6 rows, with 1-pixel gaps
        expect(await tab.eval("Array.from(document.querySelectorAll('#activations canvas'), (c) => c.width + '×' + c.height)[7]")).toBe(
          `${6 * 17 - 1}×${6 * 17 - 1}`,
        );
        expect(await overflow(tab)).toEqual(FITS);
        await tab.screenshot(join(SCREENSHOTS, `${slug}-mnist-deep-390.png`));
        // Clear takes the drawing's activations away with its probabilities
        await tab.click('#clear');
        expect(await tab.eval("[document.getElementById('activations-section').hidden, window.demoState.activations.length]")).toEqual([
          true,
          0,
        ]);
      });
    }, 420_000);

    // The graph tour: every step of every figure at 1280 px in one language, and each figure's
    // first and last step at 390 px in the other (the engines alternate which is which).
    const [wide, narrow] = ENGINES.indexOf(engine) % 2 === 0 ? (['en', 'ko'] as const) : (['ko', 'en'] as const);

    it(`the graph tour steps through all ten figures at 1280 px in ${wide}, numbers and nudge included`, async () => {
      await withTab(browser, `${url}graph/?lang=${wide}`, DESKTOP, async (tab) => {
        await waitFor(tab, 'window.graphTour?.ready', 'the first figure drawn', 60_000);
        expect(await tour(tab)).toMatchObject({ figure: 'apple', lang: wide, step: 0, steps: 5, figures: FIGURES });
        expect(await tab.eval('document.documentElement.lang')).toBe(wide);
        const seen: Record<string, string[]> = {};
        for (const figure of FIGURES) {
          if (figure !== 'apple') {
            await setValue(tab, '#figure', figure);
            await waitFor(tab, `graphTour.figure === '${figure}' && graphTour.ready`, `figure ${figure}`);
          }
          const { steps } = await tour(tab);
          seen[figure] = [];
          for (let step = 1; step < steps; step++) {
            await tab.click('#next');
            await waitFor(tab, `graphTour.step === ${step} && graphTour.ready`, `${figure} step ${step}`);
            seen[figure].push(await text(tab, '#explain'));
          }
          expect(await tab.eval("document.getElementById('next').disabled"), figure).toBe(true);
          expect(await overflow(tab), figure).toEqual(FITS_DESKTOP);
          if (['shopping', 'sigmoid', 'softmax-with-loss', 'two-layer-net'].includes(figure))
            await tab.screenshot(join(SCREENSHOTS, `${slug}-graph-${figure}-${wide}.png`));
        }
        const swap = wide === 'en' ? 'the inputs swap' : '입력을 서로 바꿔 곱한다';
        expect(seen.shopping[0]).toBe('mul1: 100 × 2 = 200');
        expect(seen.shopping[3]).toMatch(/^(price|지불 금액): 650 × 1.1 = 715$/);
        expect(seen.shopping[7]).toContain(swap);
        expect(seen.shopping[7]).toContain('= 2.2');
        expect(seen.shopping[7]).toContain('= 110');
        expect(seen.sigmoid.at(-1)).toContain(`dx = ${0.19661193324148188}`); // the graph's dx, next to y(1 − y) and the layer's
        expect(seen['softmax-with-loss']).toHaveLength(37);
        // the last figure: the scores table after forward, and the digit drawn
        expect(await tab.eval("document.querySelector('#digit canvas') && !document.getElementById('digit').hidden")).toBe(true);
        // the nudge, on the shopping figure: 3 apples instead of 2 make 715 into 825, +110
        await setValue(tab, '#figure', 'shopping');
        await waitFor(tab, "graphTour.figure === 'shopping' && graphTour.ready", 'the shopping figure');
        await setValue(tab, '#nudge-input', wide === 'en' ? 'apple num' : '사과 개수');
        await tab.click('#nudge-1');
        await waitFor(tab, 'graphTour.nudged && graphTour.ready', 'the nudge');
        expect(await tour(tab)).toMatchObject({ nudged: { from: 2, to: 3, before: 715.0000000000001, after: 825.0000000000001 } });
        expect(await text(tab, '#nudge-result')).toContain('715 → 825');
        expect(await text(tab, '#nudge-result')).toContain('110 × 1 = 110');
        // the drawn gradients of the shopping figure, red under the edges, after End
        await tab.eval("document.dispatchEvent(new KeyboardEvent('keydown', { key: 'End', bubbles: true }))");
        await waitFor(tab, 'graphTour.step === 8 && graphTour.ready', 'the last step');
        const gradients = await tab.eval<string[]>(
          `Array.from(document.querySelectorAll('#graph svg text[fill="red"]'), (e) => e.textContent)`,
        );
        expect(gradients).toEqual(expect.arrayContaining(['2.2', '110', '3.3', '165', '650']));
        expect(await tab.eval('document.querySelectorAll(\'#graph svg [fill="#ffe08a"]\').length')).toBe(1); // the highlighted node
      });
    }, 300_000);

    it(`the graph tour in ${narrow} at 390 px: each figure's first and last step fit, with no sideways scroll`, async () => {
      for (const figure of FIGURES) {
        await withTab(browser, `${url}graph/?figure=${figure}&lang=${narrow}`, PHONE, async (tab) => {
          await waitFor(tab, 'window.graphTour?.ready', `${figure} drawn`, 60_000);
          expect(await tour(tab)).toMatchObject({ figure, lang: narrow, step: 0 });
          expect(await overflow(tab), `${figure} first step`).toEqual(FITS);
          await tab.eval("document.dispatchEvent(new KeyboardEvent('keydown', { key: 'End', bubbles: true }))");
          await waitFor(tab, 'graphTour.step === graphTour.steps - 1 && graphTour.ready', `${figure} last step`);
          expect(await overflow(tab), `${figure} last step`).toEqual(FITS);
          // readable: a wide figure keeps its text at ≥ 9 px and scrolls in its box instead
          expect(await smallestFigureText(tab), `${figure} text height`).toBeGreaterThanOrEqual(9);
          expect(await text(tab, '#phase')).toMatch(narrow === 'ko' ? /^(역전파|정리) / : /^(backward|conclusion) /);
          if (['apple', 'sigmoid', 'softmax-with-loss', 'two-layer-net'].includes(figure))
            await tab.screenshot(join(SCREENSHOTS, `${slug}-graph-390-${figure}-${narrow}.png`));
        });
      }
    }, 300_000);

    it("the graph tour's language follows the browser's unless ?lang= says otherwise", async () => {
      await withTab(browser, `${url}graph/?figure=mul`, DESKTOP, async (tab) => {
        await waitFor(tab, 'window.graphTour?.ready', 'the figure');
        const language = await tab.eval<string>('navigator.language');
        expect((await tour(tab)).lang).toBe(/^ko/i.test(language) ? 'ko' : 'en');
        await tab.click('#lang-ko');
        await waitFor(tab, "graphTour.lang === 'ko' && graphTour.ready", 'Korean');
        expect(await text(tab, '#fig-title')).toBe('곱셈 노드의 역전파');
        expect(await tab.eval('location.search')).toBe('?figure=mul&lang=ko');
      });
    }, 120_000);

    it('the graph tour keeps clicks and keys made before its script and Graphviz have loaded, and says so', async () => {
      await withTab(browser, `${url}graph/held.html?figure=shopping&lang=en`, DESKTOP, async (tab) => {
        for (let i = 0; i < 3; i++) await tab.click('#next');
        await tab.eval("document.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }))");
        await tab.click('#back');
        expect(await text(tab, '#status')).toBe("Loading the page's script… (5 clicks waiting)");
        await tab.eval('window.loadMain()');
        await waitFor(tab, 'window.graphTour?.ready', 'the graph', 60_000);
        // next, next, next, →, back: step 3
        expect(await tour(tab)).toMatchObject({ figure: 'shopping', step: 3, steps: 9 });
        expect(await text(tab, '#phase')).toBe('forward 3/4');
        expect(await text(tab, '#explain')).toBe('add1: 200 + 450 = 650');
      });
    }, 120_000);

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
