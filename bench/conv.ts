/**
 * Chapter 7 in the benchmark: a SimpleConvNet training step (batch 100, forward + backward +
 * Adam) on each of our backends and on TensorFlow.js, and the convolution and max-pool kernels
 * at its shapes (x 100×1×28×28, 30 filters of 5×5, pool 2×2 stride 2).
 *
 * TensorFlow.js is written as its users write it: NHWC `conv2d` and `maxPool`, with the gradients
 * its kernels provide (tfjs-core registers no gradient functions in Node, so the backward is
 * spelled out): `MaxPoolGrad` for the pool, and for the filter gradient the `Conv2DBackpropFilter`
 * kernel where the backend has one (cpu) and otherwise (wasm has none) the standard rewrite as a
 * convolution of the input with the output gradient (dW = conv2d(xᵀ, doutᵀ)).
 */
import { Adam, SimpleConvNet, type Backend } from '../ts/index.js';
import { tfName, type Contenders } from './contenders.js';
import { onTfBackend, tf, type TfBackendName } from './tfjs.js';
import { numpyContenders, type TrainResult } from './train.js';
import { seededLabels, seededValues, sink, timeInterleavedWith, type Contender, type TimingOptions } from './util.js';

const N = 100,
  H = 28,
  F = 30,
  K = 5,
  OH = H - K + 1,
  P = OH / 2,
  HIDDEN = 100,
  CLASSES = 10;
export const CNN_NET = 'SimpleConvNet (Adam)';
/** Multiply-adds ×2 of the convolution's forward (and of its dW, and of its dx). */
const CONV_FLOPS = 2 * N * OH * OH * K * K * F;

export async function benchConvTraining(c: Contenders, timing: TimingOptions): Promise<TrainResult> {
  const xVals = seededValues(N * H * H, 40).map((v) => (v + 1) / 2);
  const labels = seededLabels(N, CLASSES, 41);
  const mine = c.ours.map((be) => {
    const net = new SimpleConvNet(be, { weightInitStd: 'he', seed: 1 });
    const x = be.tensor(xVals, [N, 1, H, H]);
    const t = be.tensor(labels, [N]);
    const adam = new Adam({ lr: 0.001 });
    return { name: c.label(be), run: () => adam.update(net.params, net.gradient(x, t)) };
  });
  const theirs = tfWasmOnly(c).map((name) => tfConvStep(name, xVals, labels));
  const numpy = await numpyContenders(c, 'cnn');
  const { us, load } = await timeInterleavedWith([...mine, ...theirs, ...numpy], {
    ...timing,
    minSampleMs: Math.max(timing.minSampleMs ?? 3, 100),
  });
  const ms = Object.fromEntries([...us].map(([k, v]) => [k, v / 1000]));
  console.log(
    `  ${CNN_NET.padEnd(18)} batch ${N}  ${Object.entries(ms)
      .map(([k, v]) => `${k} ${v.toFixed(3)}ms`)
      .join('  ')}  (load ${load.loadAverage.toFixed(2)}, other processes ${load.otherCores?.toFixed(2) ?? '?'} cores)`,
  );
  return { net: CNN_NET, batch: N, ms, load };
}

export function benchConvKernels(
  c: Contenders,
  record: (kernel: string, shape: string, flops: number, contenders: Contender[]) => void,
): void {
  // the windows as the kernels take them: n, c, h, w, fh, fw, stride, pad
  const G = [N, 1, H, H, K, K, 1, 0] as const;
  const PG = [N, F, OH, OH, 2, 2, 2, 0] as const;
  const xVals = seededValues(N * H * H, 42),
    wVals = seededValues(F * K * K, 43),
    dVals = seededValues(N * F * OH * OH, 44),
    rVals = seededValues(N * F * OH * OH, 45),
    pdVals = seededValues(N * F * P * P, 46);
  const convShape = `${N}×1×${H}×${H} ∗ ${F}×1×${K}×${K}`,
    poolShape = `${N}×${F}×${OH}×${OH}, 2×2 s2`;
  const ours = (make: (be: Backend) => () => unknown) => c.ours.map((be) => ({ name: c.label(be), run: make(be) }));
  const tfs = (make: (name: TfBackendName) => () => unknown) => tfWasmOnly(c).map((name) => ({ name: tfName(name), run: make(name) }));
  const tensors = (be: Backend) => ({
    x: be.tensor(xVals, [N, 1, H, H]),
    W: be.tensor(wVals, [F, 1, K, K]),
    b: be.zeros([F]),
    col: be.zeros([N, K * K, OH * OH]),
    out: be.zeros([N, F, OH, OH]),
    dout: be.tensor(dVals, [N, F, OH, OH]),
    dW: be.zeros([F, 1, K, K]),
    db: be.zeros([F]),
    dcol: be.zeros([K * K, OH * OH]),
    dx: be.zeros([N, 1, H, H]),
  });
  const tfTensors = (name: TfBackendName) =>
    onTfBackend(name, () => ({
      x: tf.tensor4d(xVals, [N, H, H, 1]),
      W: tf.tensor4d(wVals, [K, K, 1, F]),
      b: tf.zeros([F]),
      dout: tf.tensor4d(dVals, [N, OH, OH, F]),
      r: tf.tensor4d(rVals, [N, OH, OH, F]),
      pd: tf.tensor4d(pdVals, [N, P, P, F]),
    }));

  record('convForward (im2col + GEMM + b)', convShape, CONV_FLOPS, [
    ...ours((be) => {
      const a = tensors(be);
      return () => be.convForward(...G, F, a.x, a.W, a.b, a.col, a.out);
    }),
    ...tfs((name) => {
      const a = tfTensors(name);
      return () => onTfBackend(name, () => tf.tidy(() => sink(tf.add(tf.conv2d(a.x, a.W, 1, 'valid'), a.b).shape.length)));
    }),
  ]);
  record('convBackward, dW db', convShape, CONV_FLOPS, [
    ...ours((be) => {
      const a = tensors(be);
      be.convForward(...G, F, a.x, a.W, a.b, a.col, a.out);
      return () => be.convBackward(...G, F, a.col, a.W, a.dout, a.dW, a.db, null, null);
    }),
    ...tfs((name) => {
      const a = tfTensors(name);
      return () =>
        onTfBackend(name, () => tf.tidy(() => sink(filterGrad(name, a.x, a.dout).shape.length + tf.sum(a.dout, [0, 1, 2]).shape.length)));
    }),
  ]);
  record(
    'convBackward, dW db dx',
    convShape,
    2 * CONV_FLOPS,
    ours((be) => {
      const a = tensors(be);
      be.convForward(...G, F, a.x, a.W, a.b, a.col, a.out);
      return () => be.convBackward(...G, F, a.col, a.W, a.dout, a.dW, a.db, a.dcol, a.dx);
    }),
  );
  // The first layers' backward as SimpleConvNet runs it (crate/src/conv_pool.rs), against the three
  // kernels it replaces; only on backends that have it (a comparison with an older build may not).
  const withFused = c.ours.filter((be) => typeof (be as Partial<Backend>).convReluPoolBackward === 'function');
  const fusedSetup = (be: Backend) => {
    const a = tensors(be);
    be.convForward(...G, F, a.x, a.W, a.b, a.col, a.out);
    const r = be.zeros([N, F, OH, OH]);
    be.reluForward(a.out, r);
    const [pooled, argmax, pd, dpool, dr] = [
      be.zeros([N, F, P, P]),
      be.zeros([N, F, P, P]),
      be.tensor(pdVals, [N, F, P, P]),
      be.zeros([N, F, OH, OH]),
      be.zeros([N, F, OH, OH]),
    ];
    be.maxPoolForward(...PG, r, pooled, argmax);
    return { ...a, r, pooled, argmax, pd, dpool, dr };
  };
  record(
    'Conv → ReLU → pool backward, dW db',
    `${convShape}, pool 2×2 s2`,
    0,
    withFused.map((be) => {
      const a = fusedSetup(be);
      return { name: c.label(be), run: () => be.convReluPoolBackward(...G, F, 2, 2, 2, 0, a.x, a.pooled, a.argmax, a.pd, a.dW, a.db) };
    }),
  );
  record(
    '… the same as maxPoolBackward, reluBackward, convBackward',
    `${convShape}, pool 2×2 s2`,
    0,
    ours((be) => {
      const a = fusedSetup(be);
      return () => {
        be.maxPoolBackward(...PG, a.pd, a.argmax, a.dpool);
        be.reluBackward(a.r, a.dpool, a.dr);
        be.convBackward(...G, F, a.col, a.W, a.dr, a.dW, a.db, null, null);
      };
    }),
  );
  record('maxPoolForward', poolShape, 0, [
    ...ours((be) => {
      const [x, o, a] = [be.tensor(rVals, [N, F, OH, OH]), be.zeros([N, F, P, P]), be.zeros([N, F, P, P])];
      return () => be.maxPoolForward(...PG, x, o, a);
    }),
    ...tfs((name) => {
      const a = tfTensors(name);
      return () => onTfBackend(name, () => tf.tidy(() => sink(tf.maxPool(a.r, 2, 2, 'valid').shape.length)));
    }),
  ]);
  record('maxPoolBackward', poolShape, 0, [
    ...ours((be) => {
      const [x, o, a, d, dx] = [
        be.tensor(rVals, [N, F, OH, OH]),
        be.zeros([N, F, P, P]),
        be.zeros([N, F, P, P]),
        be.tensor(pdVals, [N, F, P, P]),
        be.zeros([N, F, OH, OH]),
      ];
      be.maxPoolForward(...PG, x, o, a);
      return () => be.maxPoolBackward(...PG, d, a, dx);
    }),
    ...tfs((name) => {
      const a = tfTensors(name);
      const p = onTfBackend(name, () => tf.maxPool(a.r, 2, 2, 'valid'));
      return () => onTfBackend(name, () => tf.tidy(() => sink(maxPoolGrad(a.pd, a.r, p).shape.length)));
    }),
  ]);
}

/**
 * tfjs's wasm backend only: its cpu backend (plain JS) takes over 20 s per filter gradient at
 * these shapes, which would stretch the benchmark by minutes to show what the MLP rows already do.
 */
function tfWasmOnly(c: Contenders): TfBackendName[] {
  return c.tfjs.filter((name) => name === 'wasm');
}

/** dW [K, K, C, F] of a stride-1 'valid' conv2d from its input x [N, H, W, C] and output gradient dy [N, OH, OW, F]. */
export function filterGrad(name: TfBackendName, x: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor {
  const filterShape: [number, number, number, number] = [
    x.shape[1] - dy.shape[1] + 1,
    x.shape[2] - dy.shape[2] + 1,
    x.shape[3],
    dy.shape[3],
  ];
  if (tf.getKernel('Conv2DBackpropFilter', name)) {
    return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
      strides: 1,
      pad: 'valid',
      dataFormat: 'NHWC',
      dimRoundingMode: undefined,
      filterShape,
    } as never) as tf.Tensor;
  }
  // dW[i, j, c, f] = Σ_{n, y, x} x[n, y + i, x + j, c]·dy[n, y, x, f]: a conv of xᵀ [C, H, W, N] with the filter dyᵀ [OH, OW, N, F]
  const out = tf.conv2d(tf.transpose(x, [3, 1, 2, 0]) as tf.Tensor4D, tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D, 1, 'valid');
  return tf.transpose(out, [1, 2, 0, 3]);
}

export function maxPoolGrad(dy: tf.Tensor4D, input: tf.Tensor4D, output: tf.Tensor4D): tf.Tensor {
  return tf.engine().runKernel('MaxPoolGrad', { dy, input, output }, {
    filterSize: 2,
    strides: 2,
    pad: 'valid',
    dimRoundingMode: undefined,
  } as never) as tf.Tensor;
}

/** The SimpleConvNet step in tfjs ops (NHWC), the backward written out as ours runs it, Adam from tfjs-core. */
function tfConvStep(name: TfBackendName, xVals: Float32Array, labels: Float32Array): Contender {
  const s = onTfBackend(name, () => {
    const v = (shape: number[], fanIn: number, seed: number, id: string) =>
      tf.variable(tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', seed), true, `${name}-${id}`);
    return {
      x: tf.tensor4d(xVals, [N, H, H, 1]),
      t: tf.cast(tf.oneHot(tf.tensor1d(Int32Array.from(labels), 'int32'), CLASSES), 'float32'),
      W1: v([K, K, 1, F], K * K, 1, 'W1'),
      b1: tf.variable(tf.zeros([F]), true, `${name}-b1`),
      W2: v([F * P * P, HIDDEN], F * P * P, 2, 'W2'),
      b2: tf.variable(tf.zeros([HIDDEN]), true, `${name}-b2`),
      W3: v([HIDDEN, CLASSES], HIDDEN, 3, 'W3'),
      b3: tf.variable(tf.zeros([CLASSES]), true, `${name}-b3`),
      adam: tf.train.adam(0.001),
    };
  });
  const step = () => {
    const r1 = tf.relu(tf.add(tf.conv2d(s.x, s.W1 as tf.Tensor4D, 1, 'valid'), s.b1)) as tf.Tensor4D;
    const p1 = tf.maxPool(r1, 2, 2, 'valid');
    const flat = tf.reshape(p1, [N, F * P * P]) as tf.Tensor2D;
    const r2 = tf.relu(tf.add(tf.matMul(flat, s.W2), s.b2)) as tf.Tensor2D;
    const z3 = tf.add(tf.matMul(r2, s.W3), s.b3) as tf.Tensor2D;
    const loss = tf.div(tf.neg(tf.sum(tf.mul(s.t, tf.logSoftmax(z3)))), N);
    const d3 = tf.div(tf.sub(tf.softmax(z3), s.t), N);
    const d2 = tf.mul(tf.matMul(d3, s.W3, false, true), tf.step(r2));
    const dp = tf.reshape(tf.matMul(d2, s.W2, false, true), [N, P, P, F]) as tf.Tensor4D;
    const d1 = tf.mul(maxPoolGrad(dp, r1, p1), tf.step(r1)) as tf.Tensor4D;
    const grads: Record<string, tf.Tensor> = {
      [`${name}-W1`]: filterGrad(name, s.x, d1),
      [`${name}-b1`]: tf.sum(d1, [0, 1, 2]),
      [`${name}-W2`]: tf.matMul(flat, d2, true, false),
      [`${name}-b2`]: tf.sum(d2, 0),
      [`${name}-W3`]: tf.matMul(r2, d3, true, false),
      [`${name}-b3`]: tf.sum(d3, 0),
    };
    s.adam.applyGradients(grads as tf.NamedTensorMap as never);
    return loss.dataSync()[0];
  };
  return { name: tfName(name), run: () => onTfBackend(name, () => tf.tidy(step)) };
}
