/**
 * Whole training steps (forward, backward, SGD update) of the two benchmark nets, on each of our
 * backends and on TensorFlow.js: median ms per step. Ours is the public API a user writes:
 * `sgd.update(net.params, net.gradient(x, t))` on a `Sequential.mlp` (He init, relu, labels).
 */
import { Sequential, SGD } from '../ts/index.js';
import { tfName, type Contenders } from './contenders.js';
import { numpyName, type NumpyDtype, type NumpyNet, type NumpyWork } from './numpy.js';
import { onTfBackend, tf, type TfBackendName } from './tfjs.js';
import {
  seededLabels,
  seededValues,
  timeInterleavedWith,
  type Contender,
  type ExternalContender,
  type RowLoad,
  type TimingOptions,
} from './util.js';

export interface TrainResult {
  net: string;
  batch: number;
  /** Median ms per training step, by contender. */
  ms: Record<string, number>;
  /** The load the row was measured under. */
  load?: RowLoad;
}

/**
 * The numpy contenders of a step (bench/numpy_book.py in the child process of `c.numpy`): the
 * book's layers in float32 and float64, and float32 without the first layer's dx (our work).
 */
export async function numpyContenders(c: Contenders, net: NumpyNet): Promise<ExternalContender[]> {
  const np = c.numpy;
  if (!np) return [];
  const kinds: [NumpyDtype, NumpyWork][] = [
    ['f32', 'book'],
    ['f64', 'book'],
    ['f32', 'same'],
  ];
  const out: ExternalContender[] = [];
  for (const [dtype, work] of kinds) {
    const id = await np.make(net, dtype, work);
    out.push({ name: numpyName(dtype, work), sample: (n) => np.run(id, n) });
  }
  return out;
}

export const NETS: { sizes: number[]; batch: number }[] = [
  { sizes: [784, 50, 10], batch: 100 },
  { sizes: [784, 256, 128, 10], batch: 128 },
];

const LR = 0.01;

export async function benchTraining(c: Contenders, timing: TimingOptions): Promise<TrainResult[]> {
  const results: TrainResult[] = [];
  for (const { sizes, batch } of NETS) {
    const [inputs, classes] = [sizes[0], sizes[sizes.length - 1]];
    const xVals = seededValues(batch * inputs, 20).map((v) => (v + 1) / 2); // pixel-like, in [0, 1)
    const labels = seededLabels(batch, classes, 21);
    const mine = c.ours.map((be) => {
      const net = Sequential.mlp(be, sizes, { seed: 1 });
      const x = be.tensor(xVals, [batch, inputs]);
      const t = be.tensor(labels, [batch]);
      const sgd = new SGD({ lr: LR });
      return { name: c.label(be), run: () => sgd.update(net.params, net.gradient(x, t)) };
    });
    const theirs = c.tfjs.map((name) => tfTrainStep(name, sizes, batch, xVals, labels));
    const numpy = await numpyContenders(c, sizes.join('-') as NumpyNet);
    const { us, load } = await timeInterleavedWith([...mine, ...theirs, ...numpy], {
      ...timing,
      minSampleMs: Math.max(timing.minSampleMs ?? 3, 20),
    });
    const ms = Object.fromEntries([...us].map(([k, v]) => [k, v / 1000]));
    results.push({ net: sizes.join('→'), batch, ms, load });
    console.log(
      `  ${sizes.join('→').padEnd(18)} batch ${batch}  ${Object.entries(ms)
        .map(([k, v]) => `${k} ${v.toFixed(3)}ms`)
        .join('  ')}  (load ${load.loadAverage.toFixed(2)}, other processes ${load.otherCores?.toFixed(2) ?? '?'} cores)`,
    );
  }
  return results;
}

/**
 * The same MLP step in TensorFlow.js ops, backward written out as ours runs it: softmax-CE
 * gradient (y − t)/N, then per layer dW = hᵀ·d, db = Σ d, d = d·Wᵀ masked by relu (skipped
 * for the first layer), and W ← W − lr·dW on variables. The loss is read back, as ours returns it.
 */
function tfTrainStep(name: TfBackendName, sizes: number[], batch: number, xVals: Float32Array, labels: Float32Array): Contender {
  const classes = sizes[sizes.length - 1];
  const { x, t, W, b } = onTfBackend(name, () => {
    const W: tf.Variable[] = [];
    const b: tf.Variable[] = [];
    for (let i = 1; i < sizes.length; i++) {
      W.push(tf.variable(tf.randomNormal([sizes[i - 1], sizes[i]], 0, Math.sqrt(2 / sizes[i - 1]), 'float32', i)));
      b.push(tf.variable(tf.zeros([sizes[i]])));
    }
    const x = tf.tensor2d(xVals, [batch, sizes[0]]);
    const t = tf.cast(tf.oneHot(tf.tensor1d(Int32Array.from(labels), 'int32'), classes), 'float32');
    return { x, t, W, b };
  });
  const step = () => {
    const h: tf.Tensor[] = [x];
    for (let i = 0; i < W.length; i++) {
      const a = tf.add(tf.matMul(h[i], W[i]), b[i]);
      h.push(i + 1 < W.length ? tf.relu(a) : a);
    }
    const logits = h[W.length];
    const loss = tf.div(tf.neg(tf.sum(tf.mul(t, tf.logSoftmax(logits)))), batch);
    let d = tf.div(tf.sub(tf.softmax(logits), t), batch);
    for (let i = W.length - 1; i >= 0; i--) {
      const dW = tf.matMul(h[i], d, true, false);
      const db = tf.sum(d, 0);
      if (i > 0) d = tf.mul(tf.matMul(d, W[i], false, true), tf.step(h[i]));
      W[i].assign(tf.sub(W[i], tf.mul(dW, LR)));
      b[i].assign(tf.sub(b[i], tf.mul(db, LR)));
    }
    return loss.dataSync()[0];
  };
  return { name: tfName(name), run: () => onTfBackend(name, () => tf.tidy(step)) };
}
