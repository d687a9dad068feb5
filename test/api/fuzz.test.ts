// Seeded differential fuzz of every kernel: random shapes (0, 1, primes, K ≥ 4096, tall-skinny)
// and random value styles (unit, wide exponents, integers, subnormals, the largest finite values a
// kernel can take without its true result overflowing f32), run on the TS backend and every WASM
// variant, each checked against an f64 reference with an error bound derived from the operation
// (the optimizer steps other than SGD are checked WASM against TS).
//
// Time-bounded (FUZZ_MS, default 8 s). A new seed each run unless FUZZ_SEED is set; every failure
// message starts with the seed, so `FUZZ_SEED=<seed> npx vitest run test/api/fuzz.test.ts` replays it.
import { expect, it } from 'vitest';
import { Random, type Backend, type Tensor } from '../../ts/index.js';
import { allBackends } from '../helpers/backends.js';
import { naiveGemm, naiveSoftmaxXent } from '../helpers/naive.js';

const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 32));
const BUDGET_MS = Number(process.env.FUZZ_MS ?? 8000);
const backends = await allBackends();
const U = 2 ** -24; // unit roundoff of f32
const F32_MAX = 3.4028234663852886e38;

/** One kernel call: inputs, outputs (with their starting values), the call, and what to expect. */
interface Case {
  what: string;
  tensors: { values: Float32Array; shape: number[] }[];
  /** Runs the kernel on tensors made from `tensors`; returns its number result if any. */
  call(b: Backend, t: Tensor[]): unknown;
  /** Indices into `tensors` of the outputs to compare. */
  outputs: number[];
  /** f64 expectation and tolerance per output (null: compare the WASM variants with TS instead). */
  expected: { want: ArrayLike<number>; tol: ArrayLike<number> }[] | null;
  /** Expected number result and its tolerance, if the kernel returns one. */
  result?: { want: number; tol: number };
}

class Gen {
  readonly r: Random;
  constructor(seed: number) {
    this.r = new Random(seed);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.r.int(xs.length)];
  }
  /** A dimension: 0, 1, small, a prime, or up to `max`. */
  dim(max = 300): number {
    const kind = this.r.int(5);
    if (kind === 0) return this.pick([0, 1, 1, 2, 3, 4]);
    if (kind === 1) return Math.min(max, this.pick([5, 7, 11, 13, 17, 31, 61, 127, 257]));
    return 1 + this.r.int(Math.max(1, Math.min(max, kind === 2 ? 16 : 300)));
  }
  /** `size` f32 values in one style, none above `maxAbs` in magnitude. */
  values(size: number, maxAbs: number, style = this.pick(['unit', 'wide', 'ints', 'tiny', 'extreme', 'sparse'] as const)): Float32Array {
    const out = new Float32Array(size);
    const logMax = Math.log10(maxAbs);
    for (let i = 0; i < size; i++) {
      const sign = this.r.uniform() < 0.5 ? -1 : 1;
      let v: number;
      switch (style) {
        case 'unit':
          v = sign * this.r.uniform();
          break;
        case 'wide':
          v = sign * 10 ** (-30 + this.r.uniform() * (logMax + 30));
          break;
        case 'ints':
          v = this.r.int(9) - 4;
          break;
        case 'tiny':
          v = sign * this.r.uniform() * 1e-38;
          break; // subnormal and near it
        case 'extreme':
          v = sign * maxAbs * (0.5 + 0.5 * this.r.uniform());
          break;
        case 'sparse':
          v = this.r.uniform() < 0.8 ? 0 : sign * this.r.uniform();
          break;
      }
      out[i] = Math.max(-maxAbs, Math.min(maxAbs, v));
    }
    return out;
  }
  labels(rows: number, cols: number): Float32Array {
    return Float32Array.from({ length: rows }, () => this.r.int(cols));
  }
  onehot(rows: number, cols: number): Float32Array {
    const t = new Float32Array(rows * cols);
    for (let i = 0; i < rows; i++) t[i * cols + this.r.int(cols)] = 1;
    return t;
  }
}

const abs = (x: ArrayLike<number>) => Array.from(x, Math.abs);
const mapped = (n: number, f: (i: number) => number) => Float64Array.from({ length: n }, (_, i) => f(i));

/** A GEMM and its bound: |fl(C) − C| ≤ (k + 2)·u·(|A|·|B|) elementwise, doubled for safety. */
function gemmCase(g: Gen): Case {
  const form = g.pick(['nn', 'nt', 'tn'] as const);
  const shape = g.r.int(4);
  let [m, k, n] = [g.dim(160), g.dim(160), g.dim(160)];
  if (shape === 0) [m, k, n] = [1 + g.r.int(6), 4096 + g.r.int(600), 1 + g.r.int(6)]; // long sums
  if (shape === 1) [m, k, n] = [500 + g.r.int(1500), g.dim(40), 1 + g.r.int(3)]; // tall and skinny
  const maxAbs = Math.sqrt(F32_MAX / 4 / Math.max(1, k));
  const a = g.values(m * k, maxAbs);
  const b = g.values(k * n, maxAbs);
  const want = naiveGemm(form, m, k, n, a, b);
  const bound = naiveGemm(form, m, k, n, abs(a), abs(b));
  const name = form === 'nn' ? 'gemmNN' : form === 'nt' ? 'gemmNT' : 'gemmTN';
  return {
    what: `${name}(${m}, ${k}, ${n})`,
    tensors: [
      { values: a, shape: form === 'tn' ? [k, m] : [m, k] },
      { values: b, shape: form === 'nt' ? [n, k] : [k, n] },
      { values: new Float32Array(m * n).fill(NaN), shape: [m, n] },
    ],
    call: (be, [ta, tb, tc]) => (form === 'nn' ? be.gemmNN : form === 'nt' ? be.gemmNT : be.gemmTN).call(be, m, k, n, ta, tb, tc),
    outputs: [2],
    expected: [{ want, tol: bound.map((s) => 2 * (k + 2) * U * s + 1e-38) }],
  };
}

function affineCase(g: Gen): Case {
  const longSum = g.r.uniform() < 0.2;
  const [m, k, n] = [g.dim(longSum ? 8 : 200), longSum ? 4096 + g.r.int(300) : g.dim(), g.dim(40)];
  const maxAbs = Math.sqrt(F32_MAX / 8 / Math.max(1, k, m));
  const [x, W, b] = [g.values(m * k, maxAbs), g.values(k * n, maxAbs), g.values(n, maxAbs)];
  if (g.r.uniform() < 0.5) {
    const xw = naiveGemm('nn', m, k, n, x, W);
    const bound = naiveGemm('nn', m, k, n, abs(x), abs(W));
    return {
      what: `affineForward(${m}, ${k}, ${n})`,
      tensors: [
        { values: x, shape: [m, k] },
        { values: W, shape: [k, n] },
        { values: b, shape: [n] },
        { values: new Float32Array(m * n).fill(NaN), shape: [m, n] },
      ],
      call: (be, [tx, tw, tb, out]) => be.affineForward(m, k, n, tx, tw, tb, out),
      outputs: [3],
      expected: [
        {
          want: mapped(m * n, (i) => xw[i] + b[i % n]),
          tol: mapped(m * n, (i) => 2 * (k + 3) * U * (bound[i] + Math.abs(b[i % n])) + 1e-38),
        },
      ],
    };
  }
  const dout = g.values(m * n, maxAbs);
  const withDx = g.r.uniform() < 0.7;
  const dW = naiveGemm('tn', k, m, n, x, dout);
  const dWBound = naiveGemm('tn', k, m, n, abs(x), abs(dout));
  const db = mapped(n, (j) => sumColumn(dout, m, n, j, false));
  const dbBound = mapped(n, (j) => sumColumn(dout, m, n, j, true));
  const dx = naiveGemm('nt', m, n, k, dout, W);
  const dxBound = naiveGemm('nt', m, n, k, abs(dout), abs(W));
  const gemmTol = (bound: Float64Array, depth: number) => bound.map((s) => 2 * (depth + 2) * U * s + 1e-38);
  return {
    what: `affineBackward(${m}, ${k}, ${n}, dx ${withDx ? 'wanted' : 'null'})`,
    tensors: [
      { values: x, shape: [m, k] },
      { values: W, shape: [k, n] },
      { values: dout, shape: [m, n] },
      { values: new Float32Array(k * n).fill(NaN), shape: [k, n] },
      { values: new Float32Array(n).fill(NaN), shape: [n] },
      { values: new Float32Array(m * k).fill(NaN), shape: [m, k] },
    ],
    call: (be, [tx, tw, td, tdw, tdb, tdx]) => be.affineBackward(m, k, n, tx, tw, td, tdw, tdb, withDx ? tdx : null),
    outputs: withDx ? [3, 4, 5] : [3, 4],
    expected: [
      { want: dW, tol: gemmTol(dWBound, m) },
      { want: db, tol: gemmTol(dbBound, m) },
      ...(withDx ? [{ want: dx, tol: gemmTol(dxBound, n) }] : []),
    ],
  };
}

function sumColumn(x: ArrayLike<number>, rows: number, cols: number, j: number, absolute: boolean): number {
  let s = 0;
  for (let i = 0; i < rows; i++) s += absolute ? Math.abs(x[i * cols + j]) : x[i * cols + j];
  return s;
}

function biasCase(g: Gen): Case {
  const [rows, cols] = g.r.uniform() < 0.3 ? [500 + g.r.int(3000), 1 + g.r.int(3)] : [g.dim(), g.dim()];
  if (g.r.uniform() < 0.5) {
    const [x, b] = [g.values(rows * cols, F32_MAX / 2), g.values(cols, F32_MAX / 2)];
    return {
      what: `addBias(${rows}, ${cols})`,
      tensors: [
        { values: x, shape: [rows, cols] },
        { values: b, shape: [cols] },
      ],
      call: (be, [tx, tb]) => be.addBias(rows, cols, tx, tb),
      outputs: [0],
      expected: [
        { want: mapped(rows * cols, (i) => x[i] + b[i % cols]), tol: mapped(rows * cols, (i) => U * Math.abs(x[i] + b[i % cols]) + 1e-45) },
      ],
    };
  }
  const x = g.values(rows * cols, F32_MAX / 2 / Math.max(1, rows));
  return {
    what: `colSum(${rows}, ${cols})`,
    tensors: [
      { values: x, shape: [rows, cols] },
      { values: new Float32Array(cols).fill(NaN), shape: [cols] },
    ],
    call: (be, [tx, out]) => be.colSum(rows, cols, tx, out),
    outputs: [1],
    expected: [
      {
        want: mapped(cols, (j) => sumColumn(x, rows, cols, j, false)),
        tol: mapped(cols, (j) => 2 * (rows + 1) * U * sumColumn(x, rows, cols, j, true) + 1e-45),
      },
    ],
  };
}

function activationCase(g: Gen): Case {
  const n = g.r.uniform() < 0.2 ? 1000 + g.r.int(5000) : g.dim();
  const kind = g.pick(['reluForward', 'reluBackward', 'sigmoidForward', 'sigmoidBackward'] as const);
  const shape = [n];
  const out = { values: new Float32Array(n).fill(NaN), shape };
  if (kind === 'reluForward' || kind === 'sigmoidForward') {
    const x = g.values(n, F32_MAX);
    const relu = kind === 'reluForward';
    return {
      what: `${kind}(${n})`,
      tensors: [{ values: x, shape }, out],
      call: (be, [tx, to]) => (relu ? be.reluForward(tx, to) : be.sigmoidForward(tx, to)),
      outputs: [1],
      expected: [
        relu
          ? { want: mapped(n, (i) => Math.max(x[i], 0)), tol: new Float64Array(n) }
          : { want: mapped(n, (i) => 1 / (1 + Math.exp(-x[i]))), tol: mapped(n, (i) => (8 * U) / (1 + Math.exp(-x[i])) + 1e-38) },
      ],
    };
  }
  const y = kind === 'reluBackward' ? g.values(n, F32_MAX) : Float32Array.from(g.values(n, 1, 'unit'), Math.abs);
  const dout = g.values(n, F32_MAX);
  const relu = kind === 'reluBackward';
  return {
    what: `${kind}(${n})`,
    tensors: [{ values: y, shape }, { values: dout, shape }, out],
    call: (be, [ty, td, to]) => (relu ? be.reluBackward(ty, td, to) : be.sigmoidBackward(ty, td, to)),
    outputs: [2],
    expected: [
      relu
        ? { want: mapped(n, (i) => (y[i] > 0 ? dout[i] : 0)), tol: new Float64Array(n) }
        : {
            want: mapped(n, (i) => dout[i] * (1 - y[i]) * y[i]),
            tol: mapped(n, (i) => 6 * U * Math.abs(dout[i] * (1 - y[i]) * y[i]) + 1e-44),
          },
    ],
  };
}

function softmaxCase(g: Gen): Case {
  const shape = g.r.int(5);
  const rows = shape === 0 ? 1000 + g.r.int(2000) : shape === 1 ? 1 + g.r.int(8) : g.dim(100); // many rows, or few
  const cols = shape === 1 ? 4096 + g.r.int(1000) : shape === 2 ? 1 : Math.max(1, g.dim(shape === 0 ? 20 : 300));
  const labels = g.r.uniform() < 0.5;
  const targets = labels ? 'labels' : 'onehot';
  const t = labels ? g.labels(rows, cols) : g.onehot(rows, cols);
  const tShape = labels ? [rows] : [rows, cols];
  const mat = [rows, cols];
  const size = rows * cols;
  const kind = g.pick(['softmaxXent', 'softmaxXentBackward', 'softmaxXentGrad'] as const);
  if (kind === 'softmaxXentBackward') {
    const y = Float32Array.from(g.values(size, 1, 'unit'), Math.abs);
    const tAt = (i: number) => (labels ? (t[Math.floor(i / cols)] === i % cols ? 1 : 0) : t[i]);
    return {
      what: `softmaxXentBackward(${rows}, ${cols}, ${targets})`,
      tensors: [
        { values: y, shape: mat },
        { values: t, shape: tShape },
        { values: new Float32Array(size).fill(NaN), shape: mat },
      ],
      call: (be, [ty, tt, dx]) => be.softmaxXentBackward(rows, cols, ty, tt, targets, dx),
      outputs: [2],
      expected: [
        { want: mapped(size, (i) => (y[i] - tAt(i)) / rows), tol: mapped(size, (i) => 3 * U * Math.abs((y[i] - tAt(i)) / rows) + 1e-44) },
      ],
    };
  }
  const x = g.values(size, 1e30);
  const ref = naiveSoftmaxXent(rows, cols, x, t, labels);
  // exp is accurate to a few ulp, and the max-subtracted scores are exact in f32, so y is good to
  // ~1e-6 relative; the loss sums log-softmax terms as large as the score spread.
  let spread = 0;
  for (let i = 0; i < rows; i++) {
    let [lo, hi] = [Infinity, -Infinity];
    for (let j = 0; j < cols; j++) [lo, hi] = [Math.min(lo, x[i * cols + j]), Math.max(hi, x[i * cols + j])];
    spread += hi - lo;
  }
  const lossTol = 1e-5 * (1 + spread / Math.max(1, rows) + Math.abs(ref.loss));
  const yTol = mapped(size, (i) => 1e-5 * ref.y[i] + 1e-6 * Math.sqrt(cols) * 1e-1);
  const dxRef = mapped(size, (i) => (ref.y[i] - (labels ? (t[Math.floor(i / cols)] === i % cols ? 1 : 0) : t[i])) / rows);
  const dxTol = mapped(size, (i) => (yTol[i] + U) / rows + 1e-44);
  const grad = kind === 'softmaxXentGrad';
  return {
    what: `${kind}(${rows}, ${cols}, ${targets})`,
    tensors: [
      { values: x, shape: mat },
      { values: t, shape: tShape },
      { values: new Float32Array(size).fill(NaN), shape: mat },
      { values: new Float32Array(size).fill(NaN), shape: mat },
    ],
    call: (be, [tx, tt, y, dx]) =>
      grad ? be.softmaxXentGrad(rows, cols, tx, tt, targets, y, dx) : be.softmaxXent(rows, cols, tx, tt, targets, y),
    outputs: grad ? [2, 3] : [2],
    expected: grad
      ? [
          { want: ref.y, tol: yTol },
          { want: dxRef, tol: dxTol },
        ]
      : [{ want: ref.y, tol: yTol }],
    result: { want: ref.loss, tol: lossTol },
  };
}

function optimizerCase(g: Gen): Case {
  const n = g.r.uniform() < 0.2 ? 1000 + g.r.int(5000) : g.dim();
  const kind = g.pick(['sgd', 'accumulate', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adam'] as const);
  const shape = [n];
  const param = g.values(n, 1e15);
  const grad = g.values(n, 1e15);
  const lr = g.pick([1e-4, 0.01, 0.1, 1]);
  const state = () => ({
    values: Float32Array.from(g.values(n, 1e15), (v) => (kind === 'adagrad' || kind === 'rmsprop' ? Math.abs(v) : v)),
    shape,
  });
  const tensors = [
    { values: param, shape },
    { values: grad, shape },
    state(),
    { values: Float32Array.from(g.values(n, 1e15), Math.abs), shape },
  ];
  const sgdLike = kind === 'sgd' || kind === 'accumulate';
  const step = kind === 'sgd' ? Math.fround(lr) : -1; // the kernels take lr as an f32
  return {
    what: `${kind}(${n}, lr ${lr})`,
    tensors,
    call: (be, [p, gr, s1, s2]) => {
      switch (kind) {
        case 'sgd':
          return be.sgd(lr, p, gr);
        case 'accumulate':
          return be.accumulate(p, gr);
        case 'momentum':
          return be.momentum(lr, 0.9, p, gr, s1);
        case 'nesterov':
          return be.nesterov(lr, 0.9, p, gr, s1);
        case 'adagrad':
          return be.adagrad(lr, 1e-7, p, gr, s1);
        case 'rmsprop':
          return be.rmsprop(lr, 0.99, 1e-7, p, gr, s1);
        case 'adam':
          return be.adam(lr, 0.9, 0.999, 1e-7, p, gr, s1, s2);
      }
    },
    outputs: kind === 'adam' ? [0, 2, 3] : sgdLike ? [0] : [0, 2],
    // SGD has an obvious reference; the other steps are compared WASM against TS.
    expected: sgdLike
      ? [
          {
            want: mapped(n, (i) => param[i] - step * grad[i]),
            tol: mapped(n, (i) => 2 * U * (Math.abs(param[i]) + Math.abs(step * grad[i])) + 1e-44),
          },
        ]
      : null,
  };
}

const MAKERS = [gemmCase, gemmCase, affineCase, biasCase, activationCase, softmaxCase, optimizerCase];

function close(got: number, want: number, tol: number): boolean {
  if (Number.isNaN(want)) return Number.isNaN(got);
  return got === want || Math.abs(got - want) <= tol;
}

/** Runs one case on one backend with fresh tensors; returns the outputs and the number result. */
function run(b: Backend, c: Case): { outputs: Float32Array[]; result: unknown } {
  const tensors = c.tensors.map((t) => {
    const tensor = b.zeros(t.shape);
    tensor.data.set(t.values); // through the view: outputs start as NaN, which tensor() refuses
    return tensor;
  });
  try {
    const result = c.call(b, tensors);
    return { outputs: c.outputs.map((i) => tensors[i].toArray()), result };
  } finally {
    for (const t of tensors) t.dispose();
  }
}

it(
  `every kernel on every backend agrees with an f64 reference on random shapes and values (seed ${SEED})`,
  () => {
    const g = new Gen(SEED);
    const start = performance.now();
    let cases = 0;
    const kernels = new Set<string>();
    while (performance.now() - start < BUDGET_MS) {
      const c = g.pick(MAKERS)(g);
      const where = (b: Backend) => `FUZZ_SEED=${SEED}, case ${cases}: ${c.what} on ${b.name}`;
      const oracle = run(backends[0], c);
      for (const b of backends) {
        const { outputs, result } = b === backends[0] ? oracle : run(b, c);
        outputs.forEach((got, o) => {
          // WASM against TS (optimizer steps): the update agrees to 0.1% of its size. The WASM steps
          // take (1 − β) in f32 from an f32 β (0.999 → 1.3e-5 off), which cancellation in
          // m + (1 − β1)(g − m) can magnify to ~2e-4 of the update.
          const before = c.tensors[c.outputs[o]].values;
          const ref = c.expected?.[o] ?? {
            want: oracle.outputs[o],
            tol: Float64Array.from(
              oracle.outputs[o],
              (v, i) => 1e-3 * Math.abs(v - before[i]) + 1e-5 * (Math.abs(v) + Math.abs(before[i])) + 1e-38,
            ),
          };
          for (let i = 0; i < got.length; i++) {
            if (!close(got[i], ref.want[i], ref.tol[i])) {
              const inputs = c.tensors.map((t) => t.values[i]).join(', ');
              expect.fail(
                `${where(b)}: output ${o} [${i}] = ${got[i]}, expected ${ref.want[i]} ± ${ref.tol[i]} (element ${i} of the tensors: ${inputs})`,
              );
            }
          }
        });
        if (c.result && !close(result as number, c.result.want, c.result.tol)) {
          expect.fail(`${where(b)}: returned ${result}, expected ${c.result.want} ± ${c.result.tol}`);
        }
        expect(b.memoryStats().liveTensors, where(b)).toBe(0);
      }
      kernels.add(c.what.slice(0, c.what.indexOf('(')));
      cases++;
    }
    console.log(
      `[fuzz] seed ${SEED}: ${cases} cases in ${Math.round(performance.now() - start)} ms over ${kernels.size} kernels on ${backends.map((b) => b.name).join(', ')}`,
    );
    expect(cases).toBeGreaterThan(20);
  },
  BUDGET_MS + 30_000,
);
