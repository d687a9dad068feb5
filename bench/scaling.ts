/**
 * A scaling model for more cores than this machine has: Amdahl's law with the measured serial
 * fraction of each training step and the measured parallel efficiency of its split kernels.
 *
 * For each step (the two benchmark MLPs and the CNN, as in bench/threads.ts) it runs interleaved
 * rounds on one thread (the SIMD128 build) and on N threads (default 2), with every kernel call of
 * the backend wrapped in a timer, and splits the step's time into
 *   - split work: calls of the kernels that split over threads (GEMMs, affine, convolution, ReLU,
 *     max pooling, Adam) whose work is large enough to make at least two parts (the inline
 *     thresholds, read from the crate),
 *   - the rest: small kernels, inline GEMMs, the JavaScript around them (serial by design).
 * Serial fraction s = rest / step at one thread; efficiency e = split(1) / (N · split(N)); and
 * S(p) = 1 / (s + (1 − s) / (p · e)) for p = 4, 8, 16, with e assumed flat beyond N.
 *
 * A second prediction counts parts: a call cut into P parts (crate/src/parallel.rs `parts`: work /
 * the least work per part, at most one per thread for a GEMM and the convolution's filter
 * gradient and four for its forward, at most the output's row or column blocks or the
 * convolution's samples or filters) runs ceil(P / p) parts one after another on p threads, so it
 * speeds up by P / ceil(P / p), not p: a 784→50→10 forward GEMM has 3.9 M multiply-adds, so at
 * most 3 parts of 2²⁰, whatever p is.
 *
 * Usage: node --import tsx bench/scaling.ts [--threads N] [--wait-idle S] [--quick]    (`npm run
 * bench` runs it after bench/threads.ts). Writes bench/results/scaling.json and scaling.md.
 * Unpinned: the workers need the other cores. Each row says how many cores other processes kept
 * busy while it ran; `--wait-idle S` waits up to S seconds for them to leave before each step.
 * On a machine with p cores, `--threads p` measures S(p) to set against the prediction made from two.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBackend, Tensor, type Backend } from '../ts/index.js';
import type { WasmBackend } from '../ts/backends/wasm.js';
import { KERNELS } from '../ts/core/kernels.js';
import { convOutSize } from '../ts/core/window.js';
import { cpuSample, describeMachine, otherCores, waitForIdle } from './machine.js';
import { cnnStep, mlpStep } from './steps.js';
import { median, sinkTotal } from './util.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const threadsArg = args.indexOf('--threads');
const threads = threadsArg >= 0 ? Number(args[threadsArg + 1]) : 2;
if (!Number.isInteger(threads) || threads < 2)
  throw new Error(`bench/scaling: expected --threads to be a whole number ≥ 2, got ${args[threadsArg + 1]}`);
const ROUNDS = quick ? 3 : 15;
const waitIdleArg = args.indexOf('--wait-idle');
const waitIdleSeconds = waitIdleArg >= 0 ? Number(args[waitIdleArg + 1]) : 0;
const PREDICT = [4, 8, 16];

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** A crate constant such as `GEMM_MIN_MACS_PER_PART: usize = 1 << 16`, read from its source so the model follows the crate. */
function crateConstant(file: string, name: string): number {
  const m = new RegExp(`const ${name}: usize = ([^;]+);`).exec(readFileSync(join(root, 'crate', 'src', file), 'utf8'));
  if (!m) throw new Error(`bench/scaling: ${name} not found in crate/src/${file}`);
  const value = Function(`return (${m[1]});`)() as number; // e.g. "1 << 16"
  if (!Number.isInteger(value) || value < 1) throw new Error(`bench/scaling: ${name} = ${m[1]} is not a positive integer`);
  return value;
}
const GEMM_MIN = crateConstant('gemm/mod.rs', 'GEMM_MIN_MACS_PER_PART');
const CONV_MIN = crateConstant('conv.rs', 'CONV_MIN_MACS_PER_PART');
const CONV_POOL_MIN = crateConstant('conv_pool.rs', 'CONV_POOL_MIN_MACS_PER_PART');
const ELEMENTWISE_MIN = crateConstant('parallel.rs', 'ELEMENTWISE_MIN_PER_PART');
/** The SIMD128 GEMM's register tile (MR rows × NR columns): a GEMM part starts on a whole tile. */
const kernelSource = readFileSync(join(root, 'crate', 'src', 'gemm', 'kernel.rs'), 'utf8');
const MR = Number(/type Selected = Simd128<(\d+)>/.exec(kernelSource)?.[1]);
const NR = Number(/MicroKernel for Simd128<MR> \{\s*const MR: usize = MR;\s*const NR: usize = (\d+);/.exec(kernelSource)?.[1]);
if (!(MR > 0 && NR > 0)) throw new Error('bench/scaling: the SIMD128 tile (MR, NR) not found in crate/src/gemm/kernel.rs');

/**
 * One piece of a call that splits on its own: its work (multiply-adds, or elements for the
 * element-wise kernels), least work per part, most parts, and most parts per thread (as the
 * crate's call sites of `parallel::parts` pass them: crate/src/gemm/mod.rs, conv.rs,
 * activation.rs, pool.rs, optim.rs).
 */
interface Piece {
  work: number;
  minPerPart: number;
  most: number;
  perThread: number;
}
/** A GEMM writing C [rows×cols] splits along the longer side, in whole register tiles, one part per thread. */
const gemmPiece = (rows: number, k: number, cols: number): Piece => ({
  work: rows * k * cols,
  minPerPart: GEMM_MIN,
  most: rows >= cols ? Math.ceil(rows / MR) : Math.ceil(cols / NR),
  perThread: 1,
});

/**
 * The pieces of a call of a kernel that splits over threads (equal work each); null for kernels
 * that always run on the calling thread.
 */
function splitPieces(kernel: string, a: unknown[]): Piece[] | null {
  const [m, k, n] = a as number[];
  switch (kernel) {
    case 'gemmNN':
    case 'gemmNT':
    case 'gemmTN':
    case 'affineForward':
      return [gemmPiece(m, k, n)];
    case 'affineBackward': // dW [k×n] = xᵀ·dout, and dx [m×k] = dout·Wᵀ unless dx is null
      return a[8] === null ? [gemmPiece(k, m, n)] : [gemmPiece(k, m, n), gemmPiece(m, n, k)];
    case 'convForward': // by samples
    case 'convBackward': {
      // by filters (SimpleConvNet's first layer has no dx)
      const [samples, c, h, w, fh, fw, stride, pad, filters] = a as number[];
      const positions = convOutSize(h, fh, stride, pad) * convOutSize(w, fw, stride, pad);
      const forward = kernel === 'convForward';
      return [
        {
          work: samples * filters * c * fh * fw * positions,
          minPerPart: CONV_MIN,
          most: forward ? samples : filters,
          perThread: forward ? 4 : 1,
        },
      ];
    }
    case 'convReluPoolBackward': {
      // by filters (crate/src/conv_pool.rs): a patch of c·fh·fw per pooling window
      const [samples, c, h, w, fh, fw, stride, pad, filters, ph, pw, ps, pp] = a as number[];
      const [oh, ow] = [convOutSize(h, fh, stride, pad), convOutSize(w, fw, stride, pad)];
      const windows = convOutSize(oh, ph, ps, pp) * convOutSize(ow, pw, ps, pp);
      return [{ work: samples * filters * windows * c * fh * fw, minPerPart: CONV_POOL_MIN, most: filters, perThread: 1 }];
    }
    case 'reluForward': // element ranges of 16 (crate/src/activation.rs, optim.rs); the element
    case 'reluBackward': // count is not an argument of the Backend method but the first tensor's size
    case 'adam': {
      const size = (a.find((v) => v instanceof Tensor) as Tensor).size;
      return [{ work: size, minPerPart: ELEMENTWISE_MIN, most: Math.ceil(size / 16), perThread: 1 }];
    }
    case 'maxPoolForward': // by (sample, channel) planes (crate/src/pool.rs)
    case 'maxPoolBackward': {
      const [samples, channels, h, w] = a as number[];
      return [{ work: samples * channels * h * w, minPerPart: ELEMENTWISE_MIN, most: samples * channels, perThread: 1 }];
    }
    default:
      return null;
  }
}

/** crate/src/parallel.rs `parts`: work / least per part, at least 1, at most `perThread` per thread and `most`. */
const parts = (piece: Piece, threads: number): number =>
  Math.max(1, Math.min(Math.floor(piece.work / piece.minPerPart), threads * piece.perThread, piece.most));
/** Speed-up of a piece on p threads with perfect threads: P parts take ceil(P / p) rounds. */
const pieceSpeedup = (piece: Piece, p: number): number => {
  const P = parts(piece, p);
  return P / Math.ceil(P / p);
};
/** Speed-up of a call whose pieces have equal work and run one after another. */
const callSpeedup = (pieces: Piece[], p: number): number => pieces.length / pieces.reduce((t, piece) => t + 1 / pieceSpeedup(piece, p), 0);

/** Time spent in calls that split (at least two parts), in the others, and counts. */
interface Tally {
  splitMs: number;
  splitCalls: number;
  inlineCalls: number;
  /** The split calls' time by call shape, with their pieces (one-thread backend only). */
  calls: Map<string, { ms: number; pieces: Piece[] }>;
}

/** A call's sizes for the table: the leading dimensions, or the shape of the first tensor (ReLU, Adam). */
function callShape(kernel: string, a: unknown[]): string {
  if (kernel.startsWith('relu') || kernel === 'adam') return (a.find((v) => v instanceof Tensor) as Tensor).shape.join('×');
  return a
    .slice(0, kernel === 'convReluPoolBackward' ? 13 : kernel.startsWith('conv') ? 9 : kernel.startsWith('maxPool') ? 8 : 3)
    .join(',');
}

/** Wraps every kernel of `b` in a timer that adds split calls' time to `tally`. */
function instrument(b: Backend, tally: Tally): void {
  const target = b as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const kernel of Object.keys(KERNELS)) {
    const original = target[kernel].bind(b);
    target[kernel] = (...a: unknown[]) => {
      const pieces = splitPieces(kernel, a);
      if (!pieces || pieces.every((piece) => parts(piece, 2) < 2)) {
        tally.inlineCalls++;
        return original(...a);
      }
      const t0 = performance.now();
      const result = original(...a);
      const ms = performance.now() - t0;
      tally.splitMs += ms;
      tally.splitCalls++;
      const key = `${kernel}(${callShape(kernel, a)}${kernel === 'affineBackward' && a[8] !== null ? ', dx' : ''})`;
      const call = tally.calls.get(key) ?? tally.calls.set(key, { ms: 0, pieces }).get(key)!;
      call.ms += ms;
      return result;
    };
  }
}

interface Step {
  name: string;
  make: (b: Backend) => () => unknown;
}
const STEPS: Step[] = [
  { name: '784→50→10, batch 100', make: mlpStep([784, 50, 10], 100) },
  { name: '784→256→128→10, batch 128', make: mlpStep([784, 256, 128, 10], 128) },
  { name: 'SimpleConvNet (Adam), batch 100', make: cnnStep },
];

/** Medians over rounds, per thread count: ms per step, and ms of it in split calls. */
interface Measured {
  stepMs: number;
  splitMs: number;
  splitCallsPerStep: number;
  inlineCallsPerStep: number;
}
interface Row {
  step: string;
  one: Measured;
  many: Measured;
  /** Serial fraction at one thread, efficiency of the split work at N threads. */
  s: number;
  e: number;
  measuredSpeedup: number;
  predicted: Record<number, number>;
  /** Efficiency against the part-counted ideal at N, and the part-counted predictions. */
  eParts: number;
  predictedParts: Record<number, number>;
  /** The split calls of one step at one thread: shape, ms, parts at 16 threads. */
  calls: { call: string; ms: number; partsAt16: number[] }[];
  /** S(16) if the split work scaled perfectly (e = 1), and the limit 1/s of any number of cores. */
  ceiling16: number;
  limit: number;
  /** Cores other processes kept busy while the step was measured (Linux), the context of e. */
  otherCores: number | null;
}

const amdahl = (s: number, e: number, p: number): number => 1 / (s + (1 - s) / (p * e));

async function measureStep(step: Step): Promise<Row> {
  if (waitIdleSeconds > 0) await waitForIdle(waitIdleSeconds);
  const before = cpuSample();
  const backends = [await createBackend('wasm', { variant: 'simd128' }), await createBackend('wasm', { threads })];
  if (backends[1].threads !== threads)
    throw new Error(`bench/scaling: asked for ${threads} threads, got ${backends[1].threads} (${backends[1].threadsUnavailable})`);
  // The model needs the split's own efficiency: every call on all threads, never the governor's
  // pick of one thread on a loaded machine (bench/threads.ts measures what the governor gives).
  (backends[1] as WasmBackend).pinThreads();
  const tallies: Tally[] = backends.map(() => ({ splitMs: 0, splitCalls: 0, inlineCalls: 0, calls: new Map() }));
  backends.forEach((b, i) => {
    instrument(b, tallies[i]);
  });
  const runs = backends.map((b) => step.make(b));
  // Warm up, and find how many steps fill about 40 ms on one thread.
  let n = 0;
  const w0 = performance.now();
  while (performance.now() - w0 < (quick ? 50 : 300)) {
    runs[0]();
    runs[1]();
    n++;
  }
  const per = Math.max(1, Math.round((n * 40) / (performance.now() - w0)));
  const samples = backends.map(() => ({ stepMs: [] as number[], splitMs: [] as number[], splitCalls: 0, inlineCalls: 0 }));
  tallies[0].calls.clear();
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < backends.length; i++) {
      Object.assign(tallies[i], { splitMs: 0, splitCalls: 0, inlineCalls: 0 });
      const t0 = performance.now();
      for (let k = 0; k < per; k++) runs[i]();
      samples[i].stepMs.push((performance.now() - t0) / per);
      samples[i].splitMs.push(tallies[i].splitMs / per);
      samples[i].splitCalls = tallies[i].splitCalls / per;
      samples[i].inlineCalls = tallies[i].inlineCalls / per;
    }
  }
  const others = otherCores(before, cpuSample()) ?? null;
  for (const b of backends) b.dispose();
  const [one, many] = samples.map((s) => ({
    stepMs: median(s.stepMs),
    splitMs: median(s.splitMs),
    splitCallsPerStep: s.splitCalls,
    inlineCallsPerStep: s.inlineCalls,
  }));
  // Ratios per round (a round's two samples are taken back to back, under the same load), then medians.
  const [a, b] = samples;
  const s = median(a.stepMs.map((step, r) => 1 - a.splitMs[r] / step));
  const e = median(a.splitMs.map((split, r) => split / (threads * b.splitMs[r])));
  // The split calls' shares of the one-thread split time (summed over all rounds), scaled to its median.
  const calls = [...tallies[0].calls].map(([call, c]) => ({ call, ms: c.ms, pieces: c.pieces }));
  const total = calls.reduce((t, c) => t + c.ms, 0);
  for (const c of calls) c.ms *= one.splitMs / total;
  const ideal = (p: number) => calls.reduce((t, c) => t + c.ms / callSpeedup(c.pieces, p), 0); // split time on p perfect threads
  const eParts = (e * threads * ideal(threads)) / one.splitMs; // the ideal split time at N over the measured one
  const predictedParts = Object.fromEntries(PREDICT.map((p) => [p, 1 / (s + ((1 - s) * (ideal(p) / one.splitMs)) / eParts)]));
  return {
    step: step.name,
    one,
    many,
    s,
    e,
    measuredSpeedup: median(a.stepMs.map((step, r) => step / b.stepMs[r])),
    predicted: Object.fromEntries(PREDICT.map((p) => [p, amdahl(s, e, p)])),
    eParts,
    predictedParts,
    calls: calls.map((c) => ({ call: c.call, ms: c.ms, partsAt16: c.pieces.map((piece) => parts(piece, 16)) })),
    ceiling16: amdahl(s, 1, 16),
    limit: 1 / s,
    otherCores: others,
  };
}

const loadBefore = loadavg();
console.log(
  `[bench/scaling] ${describeMachine().cpu}; 1 thread vs ${threads}; inline below 2 parts (GEMM ${GEMM_MIN}, conv ${CONV_MIN} MACs per part); load average before: ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`,
);
const fmt = (ms: number): string => (ms >= 1 ? `${ms.toFixed(2)} ms` : `${(ms * 1000).toFixed(0)} µs`);
const rows: Row[] = [];
for (const step of STEPS) {
  const row = await measureStep(step);
  rows.push(row);
  console.log(
    `  ${row.step.padEnd(32)} s ${row.s.toFixed(3)}  e ${row.e.toFixed(2)}  S(${threads}) measured ${row.measuredSpeedup.toFixed(2)}× (Amdahl ${amdahl(row.s, row.e, threads).toFixed(2)}×)  others ${row.otherCores?.toFixed(2) ?? '?'} cores  ${PREDICT.map((p) => `S(${p}) ${row.predicted[p].toFixed(2)}× (parts ${row.predictedParts[p].toFixed(2)}×)`).join('  ')}`,
  );
  for (const c of row.calls)
    console.log(`      ${c.call.padEnd(44)} ${fmt(c.ms).padStart(9)} per step, ${c.partsAt16.join(' + ')} parts at 16 threads`);
}
const loadAfter = loadavg();

const md = [
  `| step | 1 thread: step, split kernels | serial fraction s | ${threads} threads: step, split kernels | e at ${threads} | S(${threads}) measured (Amdahl) | ${PREDICT.map((p) => `S(${p})`).join(' | ')} | S(16) if e = 1 | 1/s | other processes |`,
  `|---|---:|---:|---:|---:|---:|${PREDICT.map(() => '---:').join('|')}|---:|---:|---:|`,
  ...rows.map(
    (r) =>
      `| ${r.step} | ${fmt(r.one.stepMs)}, ${fmt(r.one.splitMs)} (${r.one.splitCallsPerStep} calls) | ${r.s.toFixed(3)} | ${fmt(r.many.stepMs)}, ${fmt(r.many.splitMs)} | ${r.e.toFixed(2)} | ${r.measuredSpeedup.toFixed(2)}× (${amdahl(r.s, r.e, threads).toFixed(2)}×) | ${PREDICT.map((p) => `${r.predicted[p].toFixed(2)}×`).join(' | ')} | ${r.ceiling16.toFixed(2)}× | ${r.limit.toFixed(1)}× | ${r.otherCores === null ? '' : `${r.otherCores.toFixed(1)} cores`} |`,
  ),
  '',
  `Counting parts (each split call's parts over p threads; e against that ideal at ${threads}):`,
  '',
  `| step | e (parts) | ${PREDICT.map((p) => `S(${p})`).join(' | ')} | split calls per step: time at 1 thread, parts at 16 threads |`,
  `|---|---:|${PREDICT.map(() => '---:').join('|')}|---|`,
  ...rows.map(
    (r) =>
      `| ${r.step} | ${r.eParts.toFixed(2)} | ${PREDICT.map((p) => `${r.predictedParts[p].toFixed(2)}×`).join(' | ')} | ${r.calls.map((c) => `${c.call} ${fmt(c.ms)}, ${c.partsAt16.join(' + ')}`).join('; ')} |`,
  ),
  '',
  `Measured ${new Date().toISOString().slice(0, 10)} on ${describeMachine().cpu}, ${describeMachine().logicalCores} logical cores, Node ${process.versions.node}; medians of ${ROUNDS} interleaved rounds; load average ${loadBefore[0].toFixed(2)} before, ${loadAfter[0].toFixed(2)} after (1 min). "Other processes": the cores other jobs kept busy while the step was measured (/proc/stat minus this process).`,
].join('\n');
const outDir = join(root, 'bench', 'results');
mkdirSync(outDir, { recursive: true });
writeFileSync(
  join(outDir, 'scaling.json'),
  `${JSON.stringify(
    {
      machine: describeMachine(),
      threads,
      rounds: ROUNDS,
      gemmMinMacsPerPart: GEMM_MIN,
      convMinMacsPerPart: CONV_MIN,
      loadBefore,
      loadAfter,
      rows,
    },
    null,
    2,
  )}\n`,
);
writeFileSync(join(outDir, 'scaling.md'), `${md}\n`);
console.log(`\n${md}\n[bench/scaling] wrote bench/results/scaling.json and scaling.md (sink ${sinkTotal()})`);
