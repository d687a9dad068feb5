/**
 * Turns the measurements into `bench/results/latest.json` and the markdown table
 * `bench/results/latest.md` (docs/performance.md explains it), including the
 * targets of issue 3 as measured ratios.
 */
import type { KernelResult } from './kernels.js';
import type { Machine } from './machine.js';
import type { MemoryResult } from './memory.js';
import type { TrainResult } from './train.js';
import { gflops } from './util.js';

export interface Results {
  machine: Machine;
  rounds: number;
  skipped: string[];
  kernels: KernelResult[];
  training: TrainResult[];
  memory: MemoryResult[];
  targets: Target[];
}

export interface Target {
  target: string;
  measured: string;
  met: boolean | null;
}

/** The variant targets are judged on: what Node 20 and engines without relaxed SIMD load. */
export const REFERENCE = 'wasm-simd128';
/** numpy/OpenBLAS, one thread, from the issue (not measured here): 784→50→10 step. */
const NUMPY_STEP_MS = 0.425;

/** Columns in a fixed order: our WASM variants, our TS, then TensorFlow.js. */
function columns(names: Iterable<string>): string[] {
  const order = ['wasm-relaxed-simd', 'wasm-simd128', 'wasm-scalar', 'ts', 'tfjs-wasm', 'tfjs-cpu'];
  const present = new Set(names);
  return [...order.filter((n) => present.has(n)), ...[...present].filter((n) => !order.includes(n))];
}

const fmt = (v: number, digits: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(digits));

/**
 * The book's SimpleConvNet step in numpy (float32, one thread), from `bench/numpy_conv.py`'s
 * bench/results/numpy_conv.json when it was run on this machine (`npm run bench` runs it first).
 */
export interface NumpyConv {
  median_ms: number;
  load_average: number;
}

export function computeTargets(
  kernels: KernelResult[],
  training: TrainResult[],
  memory: MemoryResult[],
  numpyConv: NumpyConv | null = null,
): Target[] {
  const targets: Target[] = [];
  const ref = REFERENCE;
  const gemm = (prefix: string, shapes: string[]) => kernels.filter((k) => k.kernel.startsWith(prefix) && shapes.includes(k.shape));
  const add = (target: string, measured: string, met: boolean | null) => targets.push({ target, measured, met });
  const list = (rows: KernelResult[], f: (k: KernelResult) => number, unit: string, d = 1) =>
    rows.map((k) => `${fmt(f(k), d)}${unit} (${k.shape})`).join(', ');

  const nn = gemm('gemmNN', ['100×784·784×50', '128×784·784×256']);
  const bwd = [...gemm('gemmTN', ['100×784ᵀ·100×50']), ...gemm('gemmNT', ['100×50·784×50ᵀ'])];
  for (const [rows, name, minGf, minRatio] of [
    [nn, 'GEMM A·B at the MNIST shapes', 25, 1.2],
    [bwd, 'GEMM Aᵀ·B and A·Bᵀ at the backward shapes', 20, 10],
  ] as const) {
    if (rows.length === 0) continue;
    const gf = (k: KernelResult) => gflops(k.flops, k.us[ref]);
    add(
      `${name}: ≥ ${minGf} GFLOP/s`,
      list(rows, gf, ' GFLOP/s'),
      rows.every((k) => gf(k) >= minGf),
    );
    if (rows.every((k) => k.us['tfjs-wasm'] !== undefined)) {
      const ratio = (k: KernelResult) => k.us['tfjs-wasm'] / k.us[ref];
      add(
        `${name}: ≥ ${minRatio}× TensorFlow.js wasm`,
        list(rows, ratio, '×'),
        rows.every((k) => ratio(k) >= minRatio),
      );
    }
  }

  const [small, big] = training;
  if (small) {
    const ms = small.ms[ref];
    add(`Training step ${small.net}, batch ${small.batch}: ≤ 0.6 ms`, `${ms.toFixed(3)} ms (${fmt(1000 / ms, 0)} steps/s)`, ms <= 0.6);
    if (small.ms['tfjs-wasm'])
      add('… ≥ 8× TensorFlow.js wasm', `${(small.ms['tfjs-wasm'] / ms).toFixed(1)}×`, small.ms['tfjs-wasm'] / ms >= 8);
    if (small.ms.ts) add('… ≥ 10× our pure-TS backend', `${(small.ms.ts / ms).toFixed(1)}×`, small.ms.ts / ms >= 10);
    add(
      `… within 1.5× numpy on one thread (${NUMPY_STEP_MS} ms, from the issue, not measured here)`,
      `${(ms / NUMPY_STEP_MS).toFixed(2)}×`,
      ms / NUMPY_STEP_MS <= 1.5,
    );
  }
  if (big) {
    const ms = big.ms[ref];
    add(`Training step ${big.net}, batch ${big.batch}: ≤ 5 ms`, `${ms.toFixed(3)} ms (${fmt(1000 / ms, 0)} steps/s)`, ms <= 5);
    if (big.ms['tfjs-wasm']) add('… ≥ 8× TensorFlow.js wasm', `${(big.ms['tfjs-wasm'] / ms).toFixed(1)}×`, big.ms['tfjs-wasm'] / ms >= 8);
  }

  const cnn = training.find((t) => t.net.startsWith('SimpleConvNet'));
  if (cnn) {
    const ms = cnn.ms[ref];
    add(`Training step ${cnn.net}, batch ${cnn.batch}: ≤ 20 ms`, `${ms.toFixed(2)} ms (${fmt(1000 / ms, 0)} steps/s)`, ms <= 20);
    if (cnn.ms['tfjs-wasm']) add('… ≥ 3× TensorFlow.js wasm', `${(cnn.ms['tfjs-wasm'] / ms).toFixed(1)}×`, cnn.ms['tfjs-wasm'] / ms >= 3);
    if (numpyConv)
      add(
        `… ≥ 4× the book's numpy in float32, one thread (${numpyConv.median_ms.toFixed(1)} ms, bench/numpy_conv.py at load ${numpyConv.load_average.toFixed(1)})`,
        `${(numpyConv.median_ms / ms).toFixed(1)}×`,
        numpyConv.median_ms / ms >= 4,
      );
    else add("… ≥ 4× the book's numpy in float32, one thread", 'not measured: run bench/numpy_conv.py (needs python3 with numpy)', null);
  }

  for (const [shape, limitUs, text] of [
    ['(1024, 1000)', 2500, '≤ 2.5 ms (numpy)'],
    ['(100, 10)', 10, '≤ 10 µs'],
  ] as const) {
    const row = kernels.find((k) => k.kernel === 'softmax-CE fwd+bwd' && k.shape === shape);
    if (row) add(`Softmax + cross-entropy ${shape} fwd+bwd: ${text}`, `${fmt(row.us[ref], 1)} µs`, row.us[ref] <= limitUs);
  }

  const wasmMemory = memory.filter((m) => m.backend.startsWith('wasm'));
  if (wasmMemory.length) {
    const flat = wasmMemory.every((m) => m.allocationsAfterFirstStep === 0 && m.linearMemoryBytes[0] === m.linearMemoryBytes[1]);
    add(
      'A training step allocates nothing (after the first)',
      wasmMemory
        .map(
          (m) => `${m.backend}: ${m.allocationsAfterFirstStep} allocations, memory ${m.linearMemoryBytes[0]} → ${m.linearMemoryBytes[1]} B`,
        )
        .join('; '),
      flat,
    );
  }

  const gemms = kernels.filter((k) => k.kernel.startsWith('gemm'));
  if (gemms.length && gemms[0].us['wasm-relaxed-simd'] !== undefined) {
    const ratios = gemms.map((k) => k.us[ref] / k.us['wasm-relaxed-simd']);
    add(
      'Relaxed-SIMD GEMM ≥ 1.15× the SIMD128 build',
      `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}× over ${gemms.length} GEMM shapes`,
      ratios.every((r) => r >= 1.15),
    );
  } else {
    add('Relaxed-SIMD GEMM ≥ 1.15× the SIMD128 build', 'not measured: this engine rejects relaxed SIMD', null);
  }
  return targets;
}

export function markdown(r: Results): string {
  const m = r.machine;
  const lines: string[] = [];
  lines.push(
    `Measured ${m.date.slice(0, 10)} on ${m.cpu}, ${m.logicalCores} logical cores (process pinned to CPU ${m.affinity}; load average ${m.loadAverage.toFixed(1)} at the start), Node ${m.node} (V8 ${m.v8})${m.execArgv.length ? ` with ${m.execArgv.join(' ')}` : ''}. One thread everywhere. Medians of ${r.rounds} interleaved rounds; TensorFlow.js 4.22.0 (\`cpu\`, and \`wasm\` = XNNPACK with SIMD, threads off).`,
  );
  if (r.skipped.length) lines.push('', `Skipped: ${r.skipped.join('; ')}.`);

  const trainCols = columns(r.training.flatMap((t) => Object.keys(t.ms)));
  lines.push('', '**Training step** (forward + backward + SGD; ms per step, steps/s in brackets)', '');
  lines.push(`| net | batch | ${trainCols.join(' | ')} |`, `|---|---:|${trainCols.map(() => '---:').join('|')}|`);
  for (const t of r.training) {
    lines.push(
      `| ${t.net} | ${t.batch} | ${trainCols.map((c) => (t.ms[c] === undefined ? '–' : `${t.ms[c].toFixed(3)} (${fmt(1000 / t.ms[c], 0)})`)).join(' | ')} |`,
    );
  }

  const kCols = columns(r.kernels.flatMap((k) => Object.keys(k.us)));
  lines.push('', '**Kernels** (µs per call; GFLOP/s in brackets for the GEMMs and Affine passes)', '');
  lines.push(`| kernel | shape | ${kCols.join(' | ')} |`, `|---|---|${kCols.map(() => '---:').join('|')}|`);
  for (const k of r.kernels) {
    const cell = (c: string) => {
      const us = k.us[c];
      if (us === undefined) return '–';
      return k.flops ? `${fmt(us, 1)} (${gflops(k.flops, us).toFixed(1)})` : fmt(us, 2);
    };
    lines.push(`| ${k.kernel} | ${k.shape} | ${kCols.map(cell).join(' | ')} |`);
  }

  lines.push('', `**Memory over ${r.memory[0]?.steps ?? 0} training steps** (784→50→10, batch 100)`, '');
  lines.push(
    '| backend | tensors allocated after step 1 | live tensors (step 1 → last) | WASM linear memory, bytes (step 1 → last) |',
    '|---|---:|---:|---:|',
  );
  for (const mm of r.memory) {
    lines.push(
      `| ${mm.backend} | ${mm.allocationsAfterFirstStep} | ${mm.liveTensors[0]} → ${mm.liveTensors[1]} | ${mm.backend.startsWith('wasm') ? `${mm.linearMemoryBytes[0]} → ${mm.linearMemoryBytes[1]}` : '–'} |`,
    );
  }

  lines.push('', `**Targets of issue 3** (judged on \`${REFERENCE}\`, the build Node 20 loads)`, '');
  lines.push('| target | measured | met |', '|---|---|:-:|');
  for (const t of r.targets) lines.push(`| ${t.target} | ${t.measured} | ${t.met === null ? '–' : t.met ? 'yes' : '**no**'} |`);
  return `${lines.join('\n')}\n`;
}
