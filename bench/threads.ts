/**
 * One thread against N threads (default 2) on the WASM backend: the issue-14 targets (GEMM
 * 1024³, the 128×784·784×256 products of a training step, two MLP steps, the CNN step), every
 * split kernel over sizes around its inline threshold, and the kernels that stay on one thread
 * (a (100, 10) softmax must not get slower). "1 thread" is what `createBackend('wasm')` gives (the
 * ordinary SIMD128 build); "N threads" is `createBackend('wasm', { threads: N })` (the threaded
 * build with N − 1 workers). Both run the same calls, interleaved round by round, medians.
 *
 * Run unpinned (`npm run bench` runs it after the pinned single-thread table), on an otherwise idle
 * machine if possible: the load average is printed with the results because other processes take
 * cores from the workers. Writes bench/results/threads.json and threads.md (dated, with the
 * machine). `--threads N`
 * compares N threads (default 2); the targets are measured again with every core but one kept
 * busy by spinning processes the bench starts (`--no-busy` skips those rows); `--wait-idle S` waits up to S seconds before each row for
 * the other processes to leave the cores free (and measures a disturbed row again, twice at most); `--quick` runs fewer rounds; `--sweep` adds the threshold rows
 * to a quick run (a full run has them); `--only <regex>` measures the rows whose name matches.
 *
 * The thresholds: `GEMM_MIN_MACS_PER_PART` (crate/src/gemm/mod.rs) and `CONV_MIN_MACS_PER_PART`
 * (crate/src/conv.rs) come from the `--sweep` rows: the smallest work per part at which two
 * threads were not slower than one, rounded to a power of two.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBackend, type Backend, type Tensor } from '../ts/index.js';
import type { WasmBackend } from '../ts/backends/wasm.js';
import { cpuSample, describeMachine, otherCores, waitForIdle } from './machine.js';
import { cnnStep, mlpStep } from './steps.js';
import { seededLabels, seededValues, sinkTotal, timeInterleaved, type TimingOptions } from './util.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const threadsArg = args.indexOf('--threads');
const threads = threadsArg >= 0 ? Number(args[threadsArg + 1]) : 2;
const timing: TimingOptions = quick ? { rounds: 5, minSampleMs: 5, warmupMs: 20 } : { rounds: 21, minSampleMs: 10, warmupMs: 100 };

// The busy rows: every core but one kept busy by spinning processes of our own, as a laptop's
// browser, editor and build do; the case where two threads used to be slower than one.
let hogs: ChildProcess[] = [];
function startHogs(): void {
  hogs = Array.from({ length: Math.max(1, availableParallelism() - 1) }, () =>
    spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }),
  );
}
function stopHogs(): void {
  for (const p of hogs) p.kill();
  hogs = [];
}
process.on('exit', stopHogs);

const one = await createBackend('wasm', { variant: 'simd128' });
const many = await createBackend('wasm', { threads });
if (many.threads !== threads)
  throw new Error(`bench/threads: asked for ${threads} threads, got ${many.threads} (${many.threadsUnavailable})`);

interface Row {
  group: 'target' | 'kernel' | 'sweep' | 'step' | 'busy';
  what: string;
  /** Median µs per call on one thread and on N threads. */
  oneUs: number;
  manyUs: number;
  /** The issue's target ratio, if any. */
  target?: number;
  /** Cores other processes kept busy while the row ran (Linux), the honest context of its ratio. */
  otherCores?: number;
  /** Of the governor's windows during the row (ts/wasm/governor.ts), how many ran on one thread. */
  soloWindows?: string;
}

/** Warm-up per row for the governor to settle (ts/wasm/governor.ts: looks after 4, 8, 16 windows). */
const GOVERNOR_SETTLE_MS = quick ? 500 : 1500;

/** What the N-thread backend's governor decided so far. */
const governor = () => (many as WasmBackend).governorState();

const rows: Row[] = [];

const onlyArg = args.indexOf('--only');
const only = onlyArg >= 0 ? new RegExp(args[onlyArg + 1]) : undefined;

const waitIdleArg = args.indexOf('--wait-idle');
const waitIdleSeconds = waitIdleArg >= 0 ? Number(args[waitIdleArg + 1]) : 0;

/** Times `make(backend)()` on both backends, interleaved; records the medians (rows that `--only <regex>` names, if given). */
async function measure(
  group: Row['group'],
  what: string,
  make: (b: Backend) => () => unknown,
  target?: number,
  extra: TimingOptions = {},
): Promise<void> {
  if (only && !only.test(what)) return;
  const runs = [
    { name: 'one', run: make(one) },
    { name: 'many', run: make(many) },
  ];
  let row: Row | undefined;
  // With --wait-idle a row that other jobs disturbed anyway (over 0.3 cores) is measured again,
  // up to twice; the table keeps the least disturbed attempt and says how disturbed it was.
  for (let attempt = 0; attempt < (waitIdleSeconds > 0 && group !== 'busy' ? 3 : 1); attempt++) {
    if (waitIdleSeconds > 0 && group !== 'busy') await waitForIdle(waitIdleSeconds);
    const before = cpuSample();
    const governed = governor();
    // The governor needs a few windows of 40 ms to find the faster way for new work (and looks at
    // the other way now and then, which the medians keep): warm up past that, so a row measures
    // training that has been going for a while, not its first half second.
    const us = timeInterleaved(runs, { ...timing, ...extra, warmupMs: Math.max(timing.warmupMs ?? 0, GOVERNOR_SETTLE_MS) });
    const after = governor();
    const next: Row = {
      group,
      what,
      oneUs: us.get('one')!,
      manyUs: us.get('many')!,
      target,
      otherCores: otherCores(before, cpuSample()),
      soloWindows: after && governed ? `${after.soloWindows - governed.soloWindows}/${after.windows - governed.windows}` : undefined,
    };
    if (!row || (next.otherCores ?? 0) < (row.otherCores ?? 0)) row = next;
    if ((row.otherCores ?? 0) <= 0.3) break;
  }
  rows.push(row!);
  if (!row) return;
  console.log(
    `  ${what.padEnd(46)} 1 thread ${fmt(row.oneUs)}  ${threads} threads ${fmt(row.manyUs)}  ×${(row.oneUs / row.manyUs).toFixed(2)}${target ? ` (target ≥ ${target})` : ''}  others ${row.otherCores?.toFixed(2) ?? '?'} cores; solo windows ${row.soloWindows ?? '-'}`,
  );
}

const fmt = (us: number): string => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} µs`).padStart(9);
const filled = (b: Backend, shape: number[], seed: number): Tensor =>
  b.tensor(
    seededValues(
      shape.reduce((p, d) => p * d, 1),
      seed,
    ),
    shape,
  );

function gemm(form: 'NN' | 'NT' | 'TN', m: number, k: number, n: number) {
  return (b: Backend) => {
    const a = filled(b, form === 'TN' ? [k, m] : [m, k], 1);
    const bb = filled(b, form === 'NT' ? [n, k] : [k, n], 2);
    const c = b.zeros([m, n]);
    return () => b[`gemm${form}`](m, k, n, a, bb, c);
  };
}

console.log(
  `[bench/threads] ${describeMachine().cpu}; ${threads} threads; load average before: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);

// ---- the issue's targets, on a quiet machine and with a core kept busy ------------------------
const gemm1024 = gemm('NN', 1024, 1024, 1024);
const mlpBig = mlpStep([784, 256, 128, 10], 128);
const mlpSmall = mlpStep([784, 50, 10], 100);
await measure('target', 'gemmNN 1024×1024×1024', gemm1024, 1.8, { rounds: quick ? 3 : 9 });
await measure('target', 'gemmNN 128×784·784×256 (x·W)', gemm('NN', 128, 784, 256), 1.6);
await measure('target', 'gemmNT 128×256·(784×256)ᵀ (dx = dout·Wᵀ)', gemm('NT', 128, 256, 784), 1.6);
await measure('target', 'gemmTN (128×784)ᵀ·128×256 (dW = xᵀ·dout)', gemm('TN', 784, 128, 256), 1.6);

await measure('step', '784→256→128→10 step, batch 128', mlpBig, 1.5, { minSampleMs: 30 });
await measure('step', '784→50→10 step, batch 100', mlpSmall, 1.25, { minSampleMs: 30 });
await measure('step', 'SimpleConvNet step (Adam), batch 100', cnnStep, 1.6, { minSampleMs: 30, rounds: quick ? 3 : 11 });

if (!args.includes('--no-busy')) {
  startHogs();
  const busy = `${hogs.length} core${hogs.length === 1 ? '' : 's'} busy`;
  console.log(`[bench/threads] ${busy}: a spinning process of ours on each core but one`);
  await measure('busy', `gemmNN 1024×1024×1024, ${busy}`, gemm1024, 0.95, { rounds: quick ? 3 : 9 });
  await measure('busy', `784→256→128→10 step, batch 128, ${busy}`, mlpBig, 0.95, { minSampleMs: 30 });
  await measure('busy', `784→50→10 step, batch 100, ${busy}`, mlpSmall, 0.95, { minSampleMs: 30 });
  await measure('busy', `SimpleConvNet step (Adam), batch 100, ${busy}`, cnnStep, 0.95, { minSampleMs: 30, rounds: quick ? 3 : 11 });
  stopHogs();
}

// ---- kernels: split ones at their training shapes, and ones that stay inline ----------------
await measure('kernel', 'affineForward 100×784·784×50 + b', (b) => {
  const [x, w, bias, out] = [filled(b, [100, 784], 3), filled(b, [784, 50], 4), filled(b, [50], 5), b.zeros([100, 50])];
  return () => b.affineForward(100, 784, 50, x, w, bias, out);
});
await measure('kernel', 'affineBackward 100×784, 784×50 (no dx)', (b) => {
  const [x, w, dout, dw, db] = [
    filled(b, [100, 784], 3),
    filled(b, [784, 50], 4),
    filled(b, [100, 50], 6),
    b.zeros([784, 50]),
    b.zeros([50]),
  ];
  return () => b.affineBackward(100, 784, 50, x, w, dout, dw, db, null);
});
await measure('kernel', 'affineForward 100×50·50×10 + b', (b) => {
  const [x, w, bias, out] = [filled(b, [100, 50], 3), filled(b, [50, 10], 4), filled(b, [10], 5), b.zeros([100, 10])];
  return () => b.affineForward(100, 50, 10, x, w, bias, out);
});
const G = [100, 1, 28, 28, 5, 5, 1, 0] as const;
await measure('kernel', 'convForward 100×1×28×28 ∗ 30×5×5', (b) => {
  const [x, w, bias, col, out] = [
    filled(b, [100, 1, 28, 28], 7),
    filled(b, [30, 25], 8),
    b.zeros([30]),
    b.zeros([100 * 25 * 576]),
    b.zeros([100 * 30 * 576]),
  ];
  return () => b.convForward(...G, 30, x, w, bias, col, out);
});
await measure('kernel', 'convBackward 100×1×28×28 ∗ 30×5×5 (no dx)', (b) => {
  const [col, w, dout, dw, db] = [
    filled(b, [100 * 25 * 576], 9),
    filled(b, [30, 25], 8),
    filled(b, [100 * 30 * 576], 10),
    b.zeros([30 * 25]),
    b.zeros([30]),
  ];
  return () => b.convBackward(...G, 30, col, w, dout, dw, db, null, null);
});
await measure('kernel', 'softmaxXentGrad (100, 10), labels', (b) => {
  const [x, t, y, dx] = [filled(b, [100, 10], 11), b.tensor(seededLabels(100, 10, 12), [100]), b.zeros([100, 10]), b.zeros([100, 10])];
  return () => b.softmaxXentGrad(100, 10, x, t, 'labels', y, dx);
});
await measure('kernel', 'maxPoolForward 100×30×24×24, 2×2 s2', (b) => {
  const [x, out, argmax] = [filled(b, [100, 30, 24, 24], 16), b.zeros([100 * 30 * 144]), b.zeros([100 * 30 * 144])];
  return () => b.maxPoolForward(100, 30, 24, 24, 2, 2, 2, 0, x, out, argmax);
});
await measure('kernel', 'maxPoolBackward 100×30×24×24, 2×2 s2', (b) => {
  const [dout, argmax, dx] = [
    filled(b, [100 * 30 * 144], 17),
    b.tensor(seededLabels(100 * 30 * 144, 4, 18), [100 * 30 * 144]),
    b.zeros([100, 30, 24, 24]),
  ];
  return () => b.maxPoolBackward(100, 30, 24, 24, 2, 2, 2, 0, dout, argmax, dx);
});
await measure('kernel', 'reluForward 100×30×24×24', (b) => {
  const [x, out] = [filled(b, [100 * 30 * 576], 13), b.zeros([100 * 30 * 576])];
  return () => b.reluForward(x, out);
});
await measure('kernel', 'adam 4320×100', (b) => {
  const [p, g, m, v] = [filled(b, [4320 * 100], 14), filled(b, [4320 * 100], 15), b.zeros([4320 * 100]), b.zeros([4320 * 100])];
  return () => b.adam(0.001, 0.9, 0.999, 1e-8, p, g, m, v);
});
await measure('kernel', 'reluForward 100×256', (b) => {
  const [x, out] = [filled(b, [100 * 256], 13), b.zeros([100 * 256])];
  return () => b.reluForward(x, out);
});
await measure('kernel', 'adam 784×50', (b) => {
  const [p, g, m, v] = [filled(b, [784 * 50], 14), filled(b, [784 * 50], 15), b.zeros([784 * 50]), b.zeros([784 * 50])];
  return () => b.adam(0.001, 0.9, 0.999, 1e-8, p, g, m, v);
});

// ---- the threshold sweeps -------------------------------------------------------------------
if (args.includes('--sweep') || !quick) {
  for (const s of [8, 16, 24, 32, 40, 48, 64, 96]) await measure('sweep', `gemmNN ${s}×${s}×${s} (${s ** 3} MACs)`, gemm('NN', s, s, s));
  for (const [m, k, n] of [
    [100, 50, 10],
    [100, 10, 50],
    [10, 784, 50],
    [100, 100, 10],
  ])
    await measure('sweep', `gemmNN ${m}×${k}×${n} (${m * k * n} MACs)`, gemm('NN', m, k, n));
  for (const n of [1, 2, 4, 8]) {
    await measure('sweep', `convForward ${n}×1×28×28 ∗ 30×5×5 (${n * 30 * 25 * 576} MACs)`, (b) => {
      const [x, w, bias, col, out] = [
        filled(b, [n, 1, 28, 28], 7),
        filled(b, [30, 25], 8),
        b.zeros([30]),
        b.zeros([n * 25 * 576]),
        b.zeros([n * 30 * 576]),
      ];
      return () => b.convForward(n, 1, 28, 28, 5, 5, 1, 0, 30, x, w, bias, col, out);
    });
  }
}

const load = loadavg()
  .map((l) => l.toFixed(2))
  .join(' ');
const md = [
  `| ${threads} threads vs 1 | 1 thread | ${threads} threads | ratio | target | other processes | windows on 1 thread |`,
  '|---|---:|---:|---:|---:|---:|---:|',
  ...rows.map(
    (r) =>
      `| ${r.what} | ${fmt(r.oneUs).trim()} | ${fmt(r.manyUs).trim()} | ${(r.oneUs / r.manyUs).toFixed(2)}× | ${r.target ? `≥ ${r.target}×` : ''} | ${r.otherCores === undefined ? '' : `${r.otherCores.toFixed(1)} cores`} | ${r.soloWindows ?? ''} |`,
  ),
  '',
  `Measured ${new Date().toISOString().slice(0, 10)} on ${describeMachine().cpu}, ${cpus().length} logical cores, Node ${process.versions.node}; load average after the run ${load} (1, 5, 15 min). "Other processes": the cores other jobs kept busy while the row ran (/proc/stat minus this process).`,
].join('\n');
const outDir = join(dirname(fileURLToPath(import.meta.url)), 'results');
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'threads.json'), `${JSON.stringify({ threads, load: loadavg(), rows }, null, 2)}\n`);
writeFileSync(join(outDir, 'threads.md'), `${md}\n`);
console.log(`\n${md}`);
console.log(`[bench/threads] wrote bench/results/threads.json and threads.md (sink ${sinkTotal().toFixed(3)})`);
many.dispose();
