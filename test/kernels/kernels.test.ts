import { describe, expect, it } from 'vitest';
import type { Backend, Tensor } from '../../ts/index.js';
import { allBackends, integerValues, randomValues, toleranceRatio } from '../helpers/backends.js';
import { GEMM_SHAPES } from '../helpers/tolerance.js';
import { naiveGemm, naiveIm2col, naiveSoftmaxXent } from '../helpers/naive.js';

const [tsBackend, ...wasmBackends] = await allBackends();

interface Input {
  values: Float32Array;
  shape: number[];
}

/**
 * Runs one kernel call on `backend` with fresh input tensors and an output pre-filled with NaN
 * (so an element the kernel forgot stays NaN), between two NaN guard tensors allocated just
 * before and after it (so a write past either end shows up). Returns the output, the kernel's
 * return value and whether the guards survived.
 */
function runKernel(backend: Backend, inputs: Input[], outShape: number[], call: (ins: Tensor[], out: Tensor) => unknown) {
  const ins = inputs.map((i) => backend.tensor(i.values, i.shape));
  const before = backend.zeros([8]);
  const out = backend.zeros(outShape);
  const after = backend.zeros([8]);
  for (const t of [before, out, after]) t.data.fill(NaN);
  const result = call(ins, out);
  const guardsIntact = [...before.data, ...after.data].every(Number.isNaN);
  const output = out.toArray();
  for (const t of [...ins, before, out, after]) t.dispose();
  return { output, result, guardsIntact };
}

const FORMS = ['nn', 'nt', 'tn'] as const;
const gemmOf = (b: Backend, form: (typeof FORMS)[number]) => (form === 'nn' ? b.gemmNN : form === 'nt' ? b.gemmNT : b.gemmTN).bind(b);

function gemmInputs(
  form: (typeof FORMS)[number],
  m: number,
  k: number,
  n: number,
  values: (size: number, seed: number) => Float32Array,
): Input[] {
  const aShape = form === 'tn' ? [k, m] : [m, k];
  const bShape = form === 'nt' ? [n, k] : [k, n];
  return [
    { values: values(m * k, m * 1000 + k), shape: aShape },
    { values: values(k * n, k * 1000 + n + 7), shape: bShape },
  ];
}

describe('the TS backend (the oracle) against textbook references', () => {
  for (const form of FORMS) {
    it(`gemm ${form.toUpperCase()} equals the naive triple loop on every shape`, () => {
      for (const [m, k, n] of GEMM_SHAPES) {
        const inputs = gemmInputs(form, m, k, n, randomValues);
        const { output, guardsIntact } = runKernel(tsBackend, inputs, [m, n], ([a, b], c) => gemmOf(tsBackend, form)(m, k, n, a, b, c));
        expect(guardsIntact).toBe(true);
        expect(
          toleranceRatio(output, naiveGemm(form, m, k, n, inputs[0].values, inputs[1].values)),
          `${form} ${m}×${k}×${n}`,
        ).toBeLessThanOrEqual(1);
      }
    });
  }

  it('gemm on a hand-computed 2×3·3×2 product', () => {
    const { output } = runKernel(
      tsBackend,
      [
        { values: Float32Array.of(1, 2, 3, 4, 5, 6), shape: [2, 3] },
        { values: Float32Array.of(7, 8, 9, 10, 11, 12), shape: [3, 2] },
      ],
      [2, 2],
      ([a, b], c) => tsBackend.gemmNN(2, 3, 2, a, b, c),
    );
    expect([...output]).toEqual([58, 64, 139, 154]);
  });

  it('softmax + cross-entropy equals the definition, with one-hot and label targets', () => {
    for (const [rows, cols] of [
      [1, 1],
      [1, 10],
      [3, 5],
      [100, 10],
      [7, 1000],
    ]) {
      const x = randomValues(rows * cols, rows + cols).map((v) => v * 20);
      const labels = Float32Array.from({ length: rows }, (_, i) => (i * 7) % cols);
      const onehot = new Float32Array(rows * cols);
      labels.forEach((l, i) => {
        onehot[i * cols + l] = 1;
      });
      const ref = naiveSoftmaxXent(rows, cols, x, labels, true);
      for (const [t, kind] of [
        [labels, 'labels'],
        [onehot, 'onehot'],
      ] as const) {
        const tShape = kind === 'labels' ? [rows] : [rows, cols];
        const { output, result } = runKernel(
          tsBackend,
          [
            { values: x, shape: [rows, cols] },
            { values: t, shape: tShape },
          ],
          [rows, cols],
          ([xt, tt], y) => tsBackend.softmaxXent(rows, cols, xt, tt, kind, y),
        );
        expect(toleranceRatio(output, ref.y, 1e-7, 1e-5)).toBeLessThanOrEqual(1);
        expect(result as number).toBeCloseTo(ref.loss, 4);
      }
    }
  });

  it('softmax does not overflow on scores of ±1000', () => {
    const { output, result } = runKernel(
      tsBackend,
      [
        { values: Float32Array.of(1000, 0, -1000), shape: [1, 3] },
        { values: Float32Array.of(1), shape: [1] },
      ],
      [1, 3],
      ([x, t], y) => tsBackend.softmaxXent(1, 3, x, t, 'labels', y),
    );
    expect([...output]).toEqual([1, 0, 0]);
    expect(result).toBeCloseTo(1000, 3);
  });
});

/** Each element-wise or reduction kernel: inputs, output shape, and the call. */
function otherKernelCases(rows: number, cols: number, seed: number) {
  const size = rows * cols;
  const x = randomValues(size, seed).map((v) => v * 6);
  const y = randomValues(size, seed + 1).map((v) => v * 0.5 + 0.5); // a sigmoid output lies in (0, 1)
  const dout = randomValues(size, seed + 2);
  const bias = randomValues(cols, seed + 3);
  const labels = Float32Array.from({ length: rows }, (_, i) => (i * 5 + seed) % cols);
  const probs = new Float32Array(size).fill(1 / cols);
  const onehot = new Float32Array(size);
  labels.forEach((l, i) => {
    onehot[i * cols + l] = 1;
  });
  const m = (values: Float32Array, shape: number[]): Input => ({ values, shape });
  const rc = [rows, cols];
  return [
    {
      name: 'addBias',
      inputs: [m(x, rc), m(bias, [cols])],
      out: rc,
      call: (b: Backend, [xt, bt]: Tensor[], o: Tensor) => {
        o.data.set(xt.data);
        b.addBias(rows, cols, o, bt);
      },
    },
    { name: 'colSum', inputs: [m(x, rc)], out: [cols], call: (b: Backend, [xt]: Tensor[], o: Tensor) => b.colSum(rows, cols, xt, o) },
    { name: 'reluForward', inputs: [m(x, rc)], out: rc, call: (b: Backend, [xt]: Tensor[], o: Tensor) => b.reluForward(xt, o) },
    {
      name: 'reluBackward',
      inputs: [
        m(
          x.map((v) => Math.max(v, 0)),
          rc,
        ),
        m(dout, rc),
      ],
      out: rc,
      call: (b: Backend, [yt, dt]: Tensor[], o: Tensor) => b.reluBackward(yt, dt, o),
    },
    { name: 'sigmoidForward', inputs: [m(x, rc)], out: rc, call: (b: Backend, [xt]: Tensor[], o: Tensor) => b.sigmoidForward(xt, o) },
    {
      name: 'sigmoidBackward',
      inputs: [m(y, rc), m(dout, rc)],
      out: rc,
      call: (b: Backend, [yt, dt]: Tensor[], o: Tensor) => b.sigmoidBackward(yt, dt, o),
    },
    {
      name: 'softmaxXent (labels)',
      inputs: [m(x, rc), m(labels, [rows])],
      out: rc,
      call: (b: Backend, [xt, tt]: Tensor[], o: Tensor) => b.softmaxXent(rows, cols, xt, tt, 'labels', o),
    },
    {
      name: 'softmaxXent (one-hot)',
      inputs: [m(x, rc), m(onehot, rc)],
      out: rc,
      call: (b: Backend, [xt, tt]: Tensor[], o: Tensor) => b.softmaxXent(rows, cols, xt, tt, 'onehot', o),
    },
    {
      name: 'softmaxXentBackward (labels)',
      inputs: [m(probs, rc), m(labels, [rows])],
      out: rc,
      call: (b: Backend, [yt, tt]: Tensor[], o: Tensor) => b.softmaxXentBackward(rows, cols, yt, tt, 'labels', o),
    },
    {
      name: 'softmaxXentBackward (one-hot)',
      inputs: [m(probs, rc), m(onehot, rc)],
      out: rc,
      call: (b: Backend, [yt, tt]: Tensor[], o: Tensor) => b.softmaxXentBackward(rows, cols, yt, tt, 'onehot', o),
    },
    {
      name: 'sgd',
      inputs: [m(dout, rc)],
      out: rc,
      call: (b: Backend, [gt]: Tensor[], o: Tensor) => {
        o.data.set(x);
        b.sgd(0.1, o, gt);
      },
    },
  ];
}

/** rows × cols: empty, one, odd, not multiples of 4, and the MNIST batch shapes. */
const ELEMENTWISE_SHAPES: [number, number][] = [
  [0, 5],
  [1, 1],
  [1, 3],
  [2, 5],
  [3, 7],
  [4, 4],
  [5, 9],
  [17, 13],
  [33, 10],
  [100, 10],
  [100, 50],
  [64, 784],
];

describe.each(wasmBackends.map((b) => [b.name, b] as const))('%s matches the TS backend', (_name, wasm) => {
  for (const form of FORMS) {
    it(`gemm ${form.toUpperCase()}: exact on small integers, within f32 tolerance on random values, nothing written outside C`, () => {
      for (const [m, k, n] of GEMM_SHAPES) {
        for (const [values, exact] of [
          [integerValues, true],
          [randomValues, false],
        ] as const) {
          const inputs = gemmInputs(form, m, k, n, values);
          const call = (b: Backend) => runKernel(b, inputs, [m, n], ([a, bt], c) => gemmOf(b, form)(m, k, n, a, bt, c));
          const got = call(wasm);
          const want = call(tsBackend);
          const label = `${form} ${m}×${k}×${n}`;
          expect(got.guardsIntact, label).toBe(true);
          if (exact) expect([...got.output], label).toEqual([...want.output]);
          else expect(toleranceRatio(got.output, want.output), label).toBeLessThanOrEqual(1);
        }
      }
    });
  }

  it('every element-wise, reduction, softmax and update kernel, on every shape', () => {
    for (const [rows, cols] of ELEMENTWISE_SHAPES) {
      for (const k of otherKernelCases(rows, cols, rows * 31 + cols)) {
        const got = runKernel(wasm, k.inputs, k.out, (ins, o) => k.call(wasm, ins, o));
        const want = runKernel(tsBackend, k.inputs, k.out, (ins, o) => k.call(tsBackend, ins, o));
        const label = `${k.name} ${rows}×${cols}`;
        expect(got.guardsIntact, label).toBe(true);
        expect(toleranceRatio(got.output, want.output, 1e-6, 1e-5), label).toBeLessThanOrEqual(1);
        if (typeof want.result === 'number')
          expect(toleranceRatio([got.result as number], [want.result], 1e-6, 1e-5), label).toBeLessThanOrEqual(1);
      }
    }
  });
});

// ---- fused kernels: the composition they replace, on the oracle; then every WASM variant -------

/** Like `runKernel` with several outputs, each pre-filled with NaN and followed by a NaN guard. */
function runFused(backend: Backend, inputs: Input[], outShapes: number[][], call: (ins: Tensor[], outs: Tensor[]) => unknown) {
  const ins = inputs.map((i) => backend.tensor(i.values, i.shape));
  const first = backend.zeros([8]);
  const outs: Tensor[] = [];
  const guards: Tensor[] = [first];
  for (const shape of outShapes) {
    outs.push(backend.zeros(shape));
    guards.push(backend.zeros([8]));
  }
  for (const t of [...outs, ...guards]) t.data.fill(NaN);
  const result = call(ins, outs);
  const guardsIntact = guards.every((g) => g.data.every(Number.isNaN));
  const outputs = outs.map((o) => o.toArray());
  for (const t of [...ins, ...outs, ...guards]) t.dispose();
  return { outputs, result, guardsIntact };
}

/** m (batch), k (inputs), n (outputs) for the Affine kernels. */
const AFFINE_SHAPES: [number, number, number][] = [
  [0, 3, 5],
  [3, 0, 5],
  [3, 5, 0],
  [1, 1, 1],
  [2, 3, 4],
  [5, 7, 9],
  [7, 1, 13],
  [9, 17, 5],
  [13, 11, 31],
  [33, 64, 65],
  [100, 784, 50],
  [100, 50, 10],
];

function affineCases(m: number, k: number, n: number, values: (size: number, seed: number) => Float32Array) {
  const x = { values: values(m * k, m * 100 + k), shape: [m, k] };
  const W = { values: values(k * n, k * 100 + n + 1), shape: [k, n] };
  const b = { values: values(n, n + 2), shape: [n] };
  const dout = { values: values(m * n, m * 100 + n + 3), shape: [m, n] };
  return [
    {
      name: 'affineForward',
      inputs: [x, W, b],
      outs: [[m, n]],
      call: (be: Backend, [xt, wt, bt]: Tensor[], [o]: Tensor[]) => be.affineForward(m, k, n, xt, wt, bt, o),
    },
    {
      name: 'affineBackward',
      inputs: [x, W, dout],
      outs: [[k, n], [n], [m, k]],
      call: (be: Backend, [xt, wt, dt]: Tensor[], [dW, db, dx]: Tensor[]) => be.affineBackward(m, k, n, xt, wt, dt, dW, db, dx),
    },
    {
      name: 'affineBackward without dx',
      inputs: [x, W, dout],
      outs: [[k, n], [n], [m, k]],
      call: (be: Backend, [xt, wt, dt]: Tensor[], [dW, db]: Tensor[]) => be.affineBackward(m, k, n, xt, wt, dt, dW, db, null),
    },
  ];
}

/** The same results from the unfused kernels, on the TS backend. */
function unfusedAffine(name: string, m: number, k: number, n: number, ins: Tensor[], outs: Tensor[]): void {
  const [x, W, third] = ins;
  if (name === 'affineForward') {
    tsBackend.gemmNN(m, k, n, x, W, outs[0]);
    tsBackend.addBias(m, n, outs[0], third);
    return;
  }
  tsBackend.gemmTN(k, m, n, x, third, outs[0]);
  tsBackend.colSum(m, n, third, outs[1]);
  if (name === 'affineBackward') tsBackend.gemmNT(m, n, k, third, W, outs[2]);
}

function softmaxGradCases(rows: number, cols: number, seed: number) {
  const x = { values: randomValues(rows * cols, seed).map((v) => v * 20), shape: [rows, cols] };
  const labels = Float32Array.from({ length: rows }, (_, i) => (i * 3 + seed) % cols);
  const onehot = new Float32Array(rows * cols);
  labels.forEach((l, i) => {
    onehot[i * cols + l] = 1;
  });
  return (['labels', 'onehot'] as const).map((kind) => ({
    kind,
    inputs: [x, kind === 'labels' ? { values: labels, shape: [rows] } : { values: onehot, shape: [rows, cols] }],
  }));
}

const SOFTMAX_SHAPES: [number, number][] = [
  [0, 5],
  [1, 1],
  [1, 3],
  [2, 5],
  [3, 7],
  [5, 9],
  [17, 13],
  [100, 10],
  [33, 1000],
];

describe('fused kernels on the TS backend equal the kernels they fuse', () => {
  it('affineForward = gemmNN + addBias; affineBackward = gemmTN + colSum (+ gemmNT), exact on small integers', () => {
    for (const [m, k, n] of AFFINE_SHAPES) {
      for (const c of affineCases(m, k, n, integerValues)) {
        const got = runFused(tsBackend, c.inputs, c.outs, (ins, outs) => c.call(tsBackend, ins, outs));
        const want = runFused(tsBackend, c.inputs, c.outs, (ins, outs) => unfusedAffine(c.name, m, k, n, ins, outs));
        const label = `${c.name} ${m}×${k}×${n}`;
        expect(got.guardsIntact, label).toBe(true);
        got.outputs.forEach((o, i) => {
          expect([...o], `${label} output ${i}`).toEqual([...want.outputs[i]]);
        });
      }
    }
  });

  it('softmaxXentGrad = softmaxXent + softmaxXentBackward, bit for bit', () => {
    for (const [rows, cols] of SOFTMAX_SHAPES) {
      for (const c of softmaxGradCases(rows, cols, rows + cols)) {
        const got = runFused(
          tsBackend,
          c.inputs,
          [
            [rows, cols],
            [rows, cols],
          ],
          ([x, t], [y, dx]) => tsBackend.softmaxXentGrad(rows, cols, x, t, c.kind, y, dx),
        );
        const want = runFused(
          tsBackend,
          c.inputs,
          [
            [rows, cols],
            [rows, cols],
          ],
          ([x, t], [y, dx]) => {
            const loss = tsBackend.softmaxXent(rows, cols, x, t, c.kind, y);
            tsBackend.softmaxXentBackward(rows, cols, y, t, c.kind, dx);
            return loss;
          },
        );
        const label = `softmaxXentGrad ${c.kind} ${rows}×${cols}`;
        expect(got.guardsIntact, label).toBe(true);
        expect(got.result, label).toBe(want.result);
        got.outputs.forEach((o, i) => {
          expect([...o], `${label} output ${i}`).toEqual([...want.outputs[i]]);
        });
      }
    }
  });
});

describe.each(wasmBackends.map((b) => [b.name, b] as const))('%s fused kernels match the TS backend', (_name, wasm) => {
  it('affineForward and affineBackward (with and without dx): exact on small integers, within tolerance on floats, dx untouched when skipped', () => {
    for (const [m, k, n] of AFFINE_SHAPES) {
      for (const [values, exact] of [
        [integerValues, true],
        [randomValues, false],
      ] as const) {
        for (const c of affineCases(m, k, n, values)) {
          const got = runFused(wasm, c.inputs, c.outs, (ins, outs) => c.call(wasm, ins, outs));
          const want = runFused(tsBackend, c.inputs, c.outs, (ins, outs) => c.call(tsBackend, ins, outs));
          const label = `${c.name} ${m}×${k}×${n}`;
          expect(got.guardsIntact, label).toBe(true);
          got.outputs.forEach((o, i) => {
            const skippedDx = c.name.endsWith('without dx') && i === 2; // must stay all NaN on both
            if (exact || skippedDx) expect([...o].map(String), `${label} output ${i}`).toEqual([...want.outputs[i]].map(String));
            else expect(toleranceRatio(o, want.outputs[i]), `${label} output ${i}`).toBeLessThanOrEqual(1);
          });
        }
      }
    }
  });

  it('softmaxXentGrad: y, dx and the loss within f32 tolerance, labels and one-hot', () => {
    for (const [rows, cols] of SOFTMAX_SHAPES) {
      for (const c of softmaxGradCases(rows, cols, rows * 7 + cols)) {
        const call = (b: Backend) =>
          runFused(
            b,
            c.inputs,
            [
              [rows, cols],
              [rows, cols],
            ],
            ([x, t], [y, dx]) => b.softmaxXentGrad(rows, cols, x, t, c.kind, y, dx),
          );
        const got = call(wasm);
        const want = call(tsBackend);
        const label = `softmaxXentGrad ${c.kind} ${rows}×${cols}`;
        expect(got.guardsIntact, label).toBe(true);
        got.outputs.forEach((o, i) => {
          expect(toleranceRatio(o, want.outputs[i], 1e-6, 1e-5), `${label} output ${i}`).toBeLessThanOrEqual(1);
        });
        expect(toleranceRatio([got.result as number], [want.result as number], 1e-6, 1e-5), label).toBeLessThanOrEqual(1);
      }
    }
  });
});

describe.each([tsBackend, ...wasmBackends].map((b) => [b.name, b] as const))('accumulate on %s', (_name, backend) => {
  it('adds the source into the target exactly and checks its arguments', () => {
    const target = backend.tensor([1, 2, 3], [3]);
    backend.accumulate(target, backend.tensor([0.5, -2, 10], [3]));
    expect([...target.data]).toEqual([1.5, 0, 13]);
    expect(() => backend.accumulate(target, backend.zeros([4]))).toThrow(
      `${backend.name}.accumulate: expected source to hold [3] = 3 elements, got shape [4] (4 elements)`,
    );
  });
});

// ---- batch normalization and dropout (chapter 6) -------------------------------------------------

/** rows, cols: empty, one, odd, around the SIMD width and the Rust kernel's 64-column blocks, and MNIST's hidden layer. */
const BATCH_NORM_SHAPES: [number, number][] = [
  [0, 3],
  [3, 0],
  [1, 1],
  [2, 5],
  [7, 3],
  [5, 63],
  [3, 64],
  [4, 65],
  [9, 130],
  [100, 50],
];

describe.each([tsBackend, ...wasmBackends].map((b) => [b.name, b] as const))(
  'batch normalization and dropout kernels on %s',
  (_name, backend) => {
    it('batchNormForwardTest, applyMask and scale equal their formulas, nothing written outside the output', () => {
      for (const [rows, cols] of BATCH_NORM_SHAPES) {
        const x = randomValues(rows * cols, rows * 100 + cols),
          g = randomValues(cols, cols + 1),
          b = randomValues(cols, cols + 2);
        const rm = randomValues(cols, cols + 3),
          rv = randomValues(cols, cols + 4).map((v) => v + 1.5);
        const label = `${rows}×${cols}`;
        const test = runKernel(
          backend,
          [x, g, b, rm, rv].map((values, i) => ({ values, shape: [i === 0 ? rows * cols : cols] })),
          [rows * cols],
          ([xt, gt, bt, rmt, rvt], out) => backend.batchNormForwardTest(rows, cols, xt, gt, bt, rmt, rvt, out),
        );
        expect(test.guardsIntact, label).toBe(true);
        test.output.forEach((v, i) => {
          const j = i % cols;
          expect(v, `${label} test-mode [${i}]`).toBeCloseTo(((x[i] - rm[j]) * g[j]) / Math.sqrt(rv[j] + 1e-6) + b[j], 5);
        });
        const mask = Float32Array.from(x, (_, i) => (i % 3 === 1 ? 0 : 1));
        const masked = runKernel(
          backend,
          [
            { values: x, shape: [x.length] },
            { values: mask, shape: [x.length] },
          ],
          [x.length],
          ([xt, mt], out) => backend.applyMask(xt, mt, out),
        );
        expect(masked.guardsIntact, label).toBe(true);
        expect([...masked.output], label).toEqual([...x].map((v, i) => Math.fround(v * mask[i])));
        const scaled = runKernel(backend, [{ values: x, shape: [x.length] }], [x.length], ([xt], out) => backend.scale(0.7, xt, out));
        expect(scaled.guardsIntact, label).toBe(true);
        expect([...scaled.output], label).toEqual([...x].map((v) => Math.fround(v * Math.fround(0.7))));
      }
    });
  },
);

// ---- im2col (chapter 7): the columns convForward keeps for its backward ----------------------

/** n, c, h, w, fh, fw, stride, pad: empty batches and channels, 1×1, odd sizes, strides and pads, padding wider than the filter, MNIST. */
const IM2COL_SHAPES: [number, number, number, number, number, number, number, number][] = [
  [0, 3, 5, 5, 3, 3, 1, 0],
  [2, 0, 5, 5, 3, 3, 1, 1],
  [1, 1, 1, 1, 1, 1, 1, 0],
  [1, 1, 3, 3, 2, 2, 1, 0],
  [2, 3, 5, 7, 3, 3, 1, 1],
  [2, 3, 7, 5, 3, 2, 2, 1],
  [1, 2, 6, 6, 2, 2, 2, 0],
  [3, 1, 4, 5, 5, 5, 1, 2],
  [1, 1, 2, 2, 1, 1, 3, 3],
  [2, 2, 9, 9, 4, 3, 3, 2],
  [10, 1, 28, 28, 5, 5, 1, 0],
  [4, 3, 32, 32, 3, 3, 1, 1],
  [1, 2, 1, 1, 5, 5, 1, 2], // filters wider than the input: rows with no column inside
  [2, 1, 2, 3, 3, 5, 1, 2],
];

describe.each([tsBackend, ...wasmBackends].map((b) => [b.name, b] as const))("convForward's columns on %s", (_name, backend) => {
  it("are the book's im2col, transposed per sample ([c·fh·fw, oh·ow]), bit for bit, on every shape; nothing written outside col", () => {
    for (const [n, c, h, w, fh, fw, stride, pad] of IM2COL_SHAPES) {
      const x = randomValues(n * c * h * w, n * 1000 + h * 10 + w);
      const book = naiveIm2col(n, c, h, w, fh, fw, stride, pad, x); // rows (img, oy, ox), columns (ch, fy, fx)
      const k = c * fh * fw;
      const p = (Math.floor((h + 2 * pad - fh) / stride) + 1) * (Math.floor((w + 2 * pad - fw) / stride) + 1);
      const want: number[] = [];
      for (let img = 0; img < n; img++) for (let q = 0; q < k; q++) for (let r = 0; r < p; r++) want.push(book[(img * p + r) * k + q]);
      const [xt, weights, b, out] = [backend.tensor(x, [n, c, h, w]), backend.zeros([1, k]), backend.zeros([1]), backend.zeros([n * p])];
      const got = runKernel(backend, [], [n, k, p], (_ins, col) =>
        backend.convForward(n, c, h, w, fh, fw, stride, pad, 1, xt, weights, b, col, out),
      );
      const label = `im2col n${n} c${c} ${h}×${w} filter ${fh}×${fw} stride ${stride} pad ${pad}`;
      expect(got.guardsIntact, label).toBe(true);
      expect([...got.output], label).toEqual(want);
      for (const t of [xt, weights, b, out]) t.dispose();
    }
  });
});
