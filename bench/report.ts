/**
 * Turns the measurements into `bench/results/latest.json` and the markdown table
 * `bench/results/latest.md` (docs/performance.md explains it), including the
 * targets of issues 3 and 22 as measured ratios.
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
  /** numpy's version and the CPUs its child process ran on; null when it was not measured. */
  numpy: { version: string; cpus: string } | null;
  targets: Target[];
}

export interface Target {
  target: string;
  measured: string;
  met: boolean | null;
}

/** The variant targets are judged on: what Node 20 and engines without relaxed SIMD load. */
export const REFERENCE = 'wasm-simd128';
/** The numpy columns (bench/numpy.ts `numpyName`): the book's layers in f32 and f64, and f32 doing our work. */
const NUMPY_F32 = 'numpy-f32',
  NUMPY_F64 = 'numpy-f64',
  NUMPY_SAME = 'numpy-f32 same work';

/** Columns in a fixed order: our WASM variants, our TS, then TensorFlow.js. */
function columns(names: Iterable<string>): string[] {
  const order = ['wasm-relaxed-simd', 'wasm-simd128', 'wasm-scalar', 'ts', 'tfjs-wasm', 'tfjs-cpu', NUMPY_F32, NUMPY_F64, NUMPY_SAME];
  const present = new Set(names);
  return [...order.filter((n) => present.has(n)), ...[...present].filter((n) => !order.includes(n))];
}

const fmt = (v: number, digits: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(digits));

export function computeTargets(kernels: KernelResult[], training: TrainResult[], memory: MemoryResult[]): Target[] {
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
    numpyTargets(small, 1, add);
  }
  if (big) {
    const ms = big.ms[ref];
    add(`Training step ${big.net}, batch ${big.batch}: ≤ 5 ms`, `${ms.toFixed(3)} ms (${fmt(1000 / ms, 0)} steps/s)`, ms <= 5);
    if (big.ms['tfjs-wasm']) add('… ≥ 8× TensorFlow.js wasm', `${(big.ms['tfjs-wasm'] / ms).toFixed(1)}×`, big.ms['tfjs-wasm'] / ms >= 8);
    numpyTargets(big, null, add);
  }

  const cnn = training.find((t) => t.net.startsWith('SimpleConvNet'));
  if (cnn) {
    const ms = cnn.ms[ref];
    add(`Training step ${cnn.net}, batch ${cnn.batch}: ≤ 20 ms`, `${ms.toFixed(2)} ms (${fmt(1000 / ms, 0)} steps/s)`, ms <= 20);
    if (cnn.ms['tfjs-wasm'])
      add('… ≥ 12× TensorFlow.js wasm (issue 22)', `${(cnn.ms['tfjs-wasm'] / ms).toFixed(1)}×`, cnn.ms['tfjs-wasm'] / ms >= 12);
    numpyTargets(cnn, 6, add);
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

/**
 * A step against numpy in the same run: ≥ `times`× numpy float32 with the book's layers (null: no
 * target, only the ratio), and the ratios to float64 and to float32 doing our work.
 */
function numpyTargets(t: TrainResult, times: number | null, add: (target: string, measured: string, met: boolean | null) => void): void {
  const ms = t.ms[REFERENCE];
  const ratio = (c: string) => t.ms[c] / ms;
  const load = t.load
    ? ` (same run; load ${t.load.loadAverage.toFixed(1)}, other processes ${t.load.otherCores?.toFixed(1) ?? '?'} cores)`
    : '';
  if (t.ms[NUMPY_F32] === undefined) {
    add(`… against numpy with the book's layers, one thread`, 'not measured: python3 with numpy not found (see Skipped)', null);
    return;
  }
  const text =
    times === null
      ? "… numpy's time over ours, the book's layers in float32, one thread"
      : times === 1
        ? "… no slower than numpy with the book's layers in float32, one thread (issue 22)"
        : `… ≥ ${times}× numpy with the book's layers in float32, one thread (issue 22)`;
  add(
    `${text}${load}`,
    `${ratio(NUMPY_F32).toFixed(2)}× (numpy ${t.ms[NUMPY_F32].toFixed(3)} ms); float64 ${ratio(NUMPY_F64).toFixed(2)}×; float32 doing our work (no first-layer dx) ${ratio(NUMPY_SAME).toFixed(2)}×`,
    times === null ? null : ratio(NUMPY_F32) >= times,
  );
}

export function markdown(r: Results): string {
  const m = r.machine;
  const lines: string[] = [];
  lines.push(
    `Measured ${m.date.slice(0, 10)} on ${m.cpu}, ${m.logicalCores} logical cores (process pinned to CPU ${m.affinity}; load average ${m.loadAverage.toFixed(1)} at the start), Node ${m.node} (V8 ${m.v8})${m.execArgv.length ? ` with ${m.execArgv.join(' ')}` : ''}. One thread everywhere. Medians of ${r.rounds} interleaved rounds; TensorFlow.js 4.22.0 (\`cpu\`, and \`wasm\` = XNNPACK with SIMD, threads off).`,
  );
  if (r.numpy)
    lines.push(
      '',
      `numpy ${r.numpy.version} runs the book's layers (bench/numpy_book.py: float32, float64, and float32 without the first layer's dx, the work our nets do) in a child process on CPU ${r.numpy.cpus} with one BLAS thread, its samples interleaved with ours in the same rounds.`,
    );
  if (r.skipped.length) lines.push('', `Skipped: ${r.skipped.join('; ')}.`);

  const trainCols = columns(r.training.flatMap((t) => Object.keys(t.ms)));
  lines.push(
    '',
    '**Training step** (forward + backward + update: SGD for the MLPs, Adam for the CNN; ms per step, steps/s in brackets; the load each row ran under: 1-minute load average at its end, and the cores other processes kept busy during it)',
    '',
  );
  lines.push(`| net | batch | ${trainCols.join(' | ')} | load |`, `|---|---:|${trainCols.map(() => '---:').join('|')}|---|`);
  for (const t of r.training) {
    const load = t.load ? `${t.load.loadAverage.toFixed(2)}; others ${t.load.otherCores?.toFixed(2) ?? '?'} cores` : '–';
    lines.push(
      `| ${t.net} | ${t.batch} | ${trainCols.map((c) => (t.ms[c] === undefined ? '–' : `${t.ms[c].toFixed(3)} (${fmt(1000 / t.ms[c], 0)})`)).join(' | ')} | ${load} |`,
    );
  }

  const kCols = columns(r.kernels.flatMap((k) => Object.keys(k.us)));
  lines.push('', '**Kernels** (µs per call; GFLOP/s in brackets for the GEMMs and Affine passes; the load as for the steps)', '');
  lines.push(`| kernel | shape | ${kCols.join(' | ')} | load |`, `|---|---|${kCols.map(() => '---:').join('|')}|---|`);
  for (const k of r.kernels) {
    const cell = (c: string) => {
      const us = k.us[c];
      if (us === undefined) return '–';
      return k.flops ? `${fmt(us, 1)} (${gflops(k.flops, us).toFixed(1)})` : fmt(us, 2);
    };
    const load = k.load ? `${k.load.loadAverage.toFixed(2)}; others ${k.load.otherCores?.toFixed(2) ?? '?'} cores` : '–';
    lines.push(`| ${k.kernel} | ${k.shape} | ${kCols.map(cell).join(' | ')} | ${load} |`);
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

  lines.push('', `**Targets of issues 3 and 22** (judged on \`${REFERENCE}\`, the build Node 20 loads)`, '');
  lines.push('| target | measured | met |', '|---|---|:-:|');
  for (const t of r.targets) lines.push(`| ${t.target} | ${t.measured} | ${t.met === null ? '–' : t.met ? 'yes' : '**no**'} |`);
  return `${lines.join('\n')}\n`;
}
