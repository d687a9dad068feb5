/**
 * Every kernel of the backend interface, timed on each of our backends (and the GEMMs and
 * softmax-cross-entropy on TensorFlow.js too): median µs per call, GFLOP/s where it is a GEMM.
 * Inputs are seeded; outputs are preallocated, as in a training step.
 */
import type { Backend, Tensor } from '../ts/index.js';
import { benchConvKernels } from './conv.js';
import { tfName, type Contenders } from './contenders.js';
import { onTfBackend, tf, type TfBackendName } from './tfjs.js';
import { loadavg } from 'node:os';
import { cpuSample, otherCores } from './machine.js';
import { seededLabels, seededValues, sink, timeInterleaved, type Contender, type RowLoad, type TimingOptions } from './util.js';

export interface KernelResult {
  kernel: string;
  /** Dimensions as written in the table, e.g. `100×784·784×50`. */
  shape: string;
  /** Floating-point operations per call (GEMMs only; 0 otherwise). */
  flops: number;
  /** Median µs per call, by contender. */
  us: Record<string, number>;
  /** The load the row was measured under. */
  load?: RowLoad;
}

type Form = 'nn' | 'nt' | 'tn';

/** GEMM shapes (m, k, n) of the two benchmark nets' training steps, by form. */
const GEMMS: { form: Form; m: number; k: number; n: number; what: string }[] = [
  { form: 'nn', m: 100, k: 784, n: 50, what: 'x·W1, 784→50→10' },
  { form: 'nn', m: 128, k: 784, n: 256, what: 'x·W1, 784→256→128→10' },
  { form: 'nn', m: 128, k: 256, n: 128, what: 'h·W2, 784→256→128→10' },
  { form: 'tn', m: 784, k: 100, n: 50, what: 'dW1 = xᵀ·dout, 784→50→10' },
  { form: 'tn', m: 784, k: 128, n: 256, what: 'dW1, 784→256→128→10' },
  { form: 'nt', m: 100, k: 50, n: 784, what: 'dx = dout·W1ᵀ, 784→50→10' },
  { form: 'nt', m: 128, k: 256, n: 128, what: 'dx2 = dout·W2ᵀ, 784→256→128→10' },
];

function gemmShapeText(form: Form, m: number, k: number, n: number): string {
  const a = form === 'tn' ? `${k}×${m}ᵀ` : `${m}×${k}`;
  const b = form === 'nt' ? `${n}×${k}ᵀ` : `${k}×${n}`;
  return `${a}·${b}`;
}

export function benchKernels(c: Contenders, timing: TimingOptions): KernelResult[] {
  const results: KernelResult[] = [];
  const record = (kernel: string, shape: string, flops: number, contenders: Contender[]) => {
    const before = cpuSample();
    const us = Object.fromEntries(timeInterleaved(contenders, timing));
    const others = otherCores(before, cpuSample());
    results.push({ kernel, shape, flops, us, load: { loadAverage: loadavg()[0], otherCores: others ?? null } });
    console.log(
      `  ${kernel.padEnd(26)} ${shape.padEnd(22)} ${Object.entries(us)
        .map(([k, v]) => `${k} ${v.toFixed(1)}µs`)
        .join('  ')}`,
    );
  };

  for (const g of GEMMS) {
    const { form, m, k, n } = g;
    const aShape = form === 'tn' ? [k, m] : [m, k];
    const bShape = form === 'nt' ? [n, k] : [k, n];
    const aVals = seededValues(m * k, 1),
      bVals = seededValues(k * n, 2);
    const mine = c.ours.map((be) => {
      const [a, b, out] = [be.tensor(aVals, aShape), be.tensor(bVals, bShape), be.zeros([m, n])];
      const gemm = (form === 'nn' ? be.gemmNN : form === 'nt' ? be.gemmNT : be.gemmTN).bind(be);
      return { name: c.label(be), run: () => gemm(m, k, n, a, b, out) };
    });
    const theirs = c.tfjs.map((name) => {
      const [a, b] = onTfBackend(name, () => [
        tf.tensor2d(aVals, aShape as [number, number]),
        tf.tensor2d(bVals, bShape as [number, number]),
      ]);
      return {
        name: tfName(name),
        run: () =>
          onTfBackend(name, () => {
            const out = tf.matMul(a, b, form === 'tn', form === 'nt');
            out.dispose();
          }),
      };
    });
    record(`gemm${form.toUpperCase()} (${g.what})`, gemmShapeText(form, m, k, n), 2 * m * k * n, [...mine, ...theirs]);
  }

  for (const [rows, cols] of [
    [100, 10],
    [1024, 1000],
  ]) {
    const xVals = seededValues(rows * cols, 3).map((v) => v * 5);
    const labels = seededLabels(rows, cols, 4);
    const onehot = new Float32Array(rows * cols);
    labels.forEach((l, i) => (onehot[i * cols + l] = 1));
    const shape = `(${rows}, ${cols})`;
    const mine = c.ours.map((be) => {
      const [x, t, y, dx] = [be.tensor(xVals, [rows, cols]), be.tensor(labels, [rows]), be.zeros([rows, cols]), be.zeros([rows, cols])];
      return { name: c.label(be), run: () => be.softmaxXentGrad(rows, cols, x, t, 'labels', y, dx) };
    });
    const theirs = c.tfjs.map((name) => tfSoftmaxXent(name, rows, cols, xVals, onehot));
    record('softmax-CE fwd+bwd', shape, 0, [...mine, ...theirs]);
  }

  // The rest of the kernel set, ours only, at the 784→50→10 shapes.
  const others: { kernel: string; shape: string; make: (be: Backend) => () => unknown }[] = [
    {
      kernel: 'affineForward (x·W + b)',
      shape: '100×784·784×50',
      make: (be) => {
        const [x, W, b, o] = [t(be, [100, 784]), t(be, [784, 50]), t(be, [50]), be.zeros([100, 50])];
        return () => be.affineForward(100, 784, 50, x, W, b, o);
      },
    },
    {
      kernel: 'affineBackward, dW db dx',
      shape: '100×784·784×50',
      make: (be) => {
        const [x, W, d, dW, db, dx] = [
          t(be, [100, 784]),
          t(be, [784, 50]),
          t(be, [100, 50]),
          be.zeros([784, 50]),
          be.zeros([50]),
          be.zeros([100, 784]),
        ];
        return () => be.affineBackward(100, 784, 50, x, W, d, dW, db, dx);
      },
    },
    {
      kernel: 'affineBackward, dW db only',
      shape: '100×784·784×50',
      make: (be) => {
        const [x, W, d, dW, db] = [t(be, [100, 784]), t(be, [784, 50]), t(be, [100, 50]), be.zeros([784, 50]), be.zeros([50])];
        return () => be.affineBackward(100, 784, 50, x, W, d, dW, db, null);
      },
    },
    {
      kernel: 'softmaxXent (fwd)',
      shape: '(1024, 1000)',
      make: (be) => {
        const [x, l, y] = [t(be, [1024, 1000]), labelsOf(be, 1024, 1000), be.zeros([1024, 1000])];
        return () => be.softmaxXent(1024, 1000, x, l, 'labels', y);
      },
    },
    {
      kernel: 'softmaxXentBackward',
      shape: '(1024, 1000)',
      make: (be) => {
        const [y, l, dx] = [t(be, [1024, 1000]), labelsOf(be, 1024, 1000), be.zeros([1024, 1000])];
        return () => be.softmaxXentBackward(1024, 1000, y, l, 'labels', dx);
      },
    },
    {
      kernel: 'addBias',
      shape: '100×50',
      make: (be) => {
        const [x, b] = [t(be, [100, 50]), t(be, [50])];
        return () => be.addBias(100, 50, x, b);
      },
    },
    {
      kernel: 'colSum',
      shape: '100×50',
      make: (be) => {
        const [x, o] = [t(be, [100, 50]), be.zeros([50])];
        return () => be.colSum(100, 50, x, o);
      },
    },
    {
      kernel: 'reluForward',
      shape: '100×50',
      make: (be) => {
        const [x, o] = [t(be, [100, 50]), be.zeros([100, 50])];
        return () => be.reluForward(x, o);
      },
    },
    {
      kernel: 'reluBackward',
      shape: '100×50',
      make: (be) => {
        const [y, d, o] = [t(be, [100, 50]), t(be, [100, 50]), be.zeros([100, 50])];
        return () => be.reluBackward(y, d, o);
      },
    },
    {
      kernel: 'sigmoidForward',
      shape: '100×50',
      make: (be) => {
        const [x, o] = [t(be, [100, 50]), be.zeros([100, 50])];
        return () => be.sigmoidForward(x, o);
      },
    },
    {
      kernel: 'sigmoidBackward',
      shape: '100×50',
      make: (be) => {
        const [y, d, o] = [t(be, [100, 50]), t(be, [100, 50]), be.zeros([100, 50])];
        return () => be.sigmoidBackward(y, d, o);
      },
    },
    {
      kernel: 'sgd',
      shape: '784×50',
      make: (be) => {
        const [p, g] = [t(be, [784, 50]), t(be, [784, 50])];
        return () => be.sgd(1e-9, p, g);
      },
    },
    // Chapter 6 at the first hidden layer of 784→256→128→10, batch 100.
    {
      kernel: 'batchNormForwardTrain',
      shape: '100×256',
      make: (be) => {
        const [x, g, b, rm, rv, xn, inv, o] = [
          t(be, [100, 256]),
          t(be, [256]),
          t(be, [256]),
          t(be, [256]),
          t(be, [256]),
          be.zeros([100, 256]),
          be.zeros([256]),
          be.zeros([100, 256]),
        ];
        return () => be.batchNormForwardTrain(100, 256, 0.9, x, g, b, rm, rv, xn, inv, o);
      },
    },
    {
      kernel: 'batchNormBackward',
      shape: '100×256',
      make: (be) => {
        const [d, xn, inv, g, dg, db, dx] = [
          t(be, [100, 256]),
          t(be, [100, 256]),
          t(be, [256]),
          t(be, [256]),
          be.zeros([256]),
          be.zeros([256]),
          be.zeros([100, 256]),
        ];
        return () => be.batchNormBackward(100, 256, d, xn, inv, g, dg, db, dx);
      },
    },
    {
      kernel: 'applyMask (dropout)',
      shape: '100×256',
      make: (be) => {
        const [x, m, o] = [t(be, [100, 256]), t(be, [100, 256]), be.zeros([100, 256])];
        return () => be.applyMask(x, m, o);
      },
    },
  ];
  benchConvKernels(c, record);

  for (const o of others) {
    const flops = o.kernel.startsWith('affineForward')
      ? 2 * 100 * 784 * 50
      : o.kernel.includes('dW db dx')
        ? 4 * 100 * 784 * 50
        : o.kernel.includes('dW db only')
          ? 2 * 100 * 784 * 50
          : 0;
    record(
      o.kernel,
      o.shape,
      flops,
      c.ours.map((be) => ({ name: c.label(be), run: o.make(be) })),
    );
  }
  return results;
}

let seed = 10;
/** A tensor of seeded values in [-1, 1). */
function t(be: Backend, shape: number[]): Tensor {
  return be.tensor(
    seededValues(
      shape.reduce((a, d) => a * d, 1),
      seed++,
    ),
    shape,
  );
}
function labelsOf(be: Backend, rows: number, classes: number): Tensor {
  return be.tensor(seededLabels(rows, classes, seed++), [rows]);
}

/** tfjs: the mean softmax cross-entropy (read back, as ours returns it) and its gradient (softmax(x) − t)/N. */
function tfSoftmaxXent(name: TfBackendName, rows: number, cols: number, xVals: Float32Array, onehot: Float32Array): Contender {
  const [x, t] = onTfBackend(name, () => [tf.tensor2d(xVals, [rows, cols]), tf.tensor2d(onehot, [rows, cols])]);
  return {
    name: tfName(name),
    run: () =>
      onTfBackend(name, () =>
        tf.tidy(() => {
          const loss = tf.div(tf.neg(tf.sum(tf.mul(t, tf.logSoftmax(x)))), rows);
          const dx = tf.div(tf.sub(tf.softmax(x), t), rows);
          sink(dx.shape.length);
          return loss.dataSync()[0];
        }),
      ),
  };
}
