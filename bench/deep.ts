/**
 * Chapter 8 in the benchmark: the book's DeepConvNet training step (batch 100, forward +
 * backward + Adam) on our WASM backend at 1 and 2 threads and on TensorFlow.js's wasm backend
 * (XNNPACK, one thread) with the same net, interleaved; then where our step's time goes, layer by
 * layer (each layer's forward and backward, and the Adam update), on 1 and on 2 threads.
 *
 *     npx tsx bench/deep.ts [--quick]      (writes bench/results/deep_conv_net.md and .json)
 *
 * The tfjs step is written as bench/conv.ts writes SimpleConvNet's: NHWC ops, the backward spelled
 * out with the kernels tfjs has (Conv2DBackpropInput through conv2dTranspose for dx, MaxPoolGrad,
 * the filter gradient as a convolution of the padded input with the output gradient), Dropout
 * masks drawn per step, Adam from tfjs-core.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Adam, createBackend, DeepConvNet, type Backend, type Layer, type Params } from '../ts/index.js';
import { filterGrad, maxPoolGrad } from './conv.js';
import { describeMachine } from './machine.js';
import { initTfjs, onTfBackend, tf } from './tfjs.js';
import { median, seededLabels, seededValues, timeInterleaved, type Contender } from './util.js';

const N = 100;
const CLASSES = 10;
/** The book's six convolutions: filters and pad (3×3, stride 1), a pool after every second. */
const CONVS = [
  [16, 1],
  [16, 1],
  [32, 1],
  [32, 2],
  [64, 1],
  [64, 1],
] as const;

const quick = process.argv.includes('--quick');
const timing = quick ? { rounds: 3, minSampleMs: 1, warmupMs: 300 } : { rounds: 9, minSampleMs: 1, warmupMs: 1000 };
const xVals = seededValues(N * 28 * 28, 40).map((v) => (v + 1) / 2);
const labels = seededLabels(N, CLASSES, 41);

/** Our step on a backend: net, batch and Adam made once, so a step allocates nothing. */
function ourStep(backend: Backend): { net: DeepConvNet; adam: Adam; gradient: () => Params; run: () => void } {
  const net = new DeepConvNet(backend, { seed: 1 });
  const x = backend.tensor(xVals, [N, 1, 28, 28]);
  const t = backend.tensor(labels, [N]);
  const adam = new Adam({ lr: 0.001 });
  const gradient = () => net.gradient(x, t);
  return { net, adam, gradient, run: () => adam.update(net.params, gradient()) };
}

/** The same step in tfjs ops on its wasm backend. */
function tfStep(): Contender {
  const s = onTfBackend('wasm', () => {
    let channels = 1;
    const v = (shape: number[], fanIn: number, seed: number, id: string) =>
      tf.variable(tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', seed), true, id);
    const convs = CONVS.map(([filters, pad], i) => {
      const W = v([3, 3, channels, filters], 9 * channels, i + 1, `deep-W${i + 1}`);
      const b = tf.variable(tf.zeros([filters]), true, `deep-b${i + 1}`);
      channels = filters;
      return { W, b, pad };
    });
    return {
      x: tf.tensor4d(xVals, [N, 28, 28, 1]),
      t: tf.cast(tf.oneHot(tf.tensor1d(Int32Array.from(labels), 'int32'), CLASSES), 'float32'),
      convs,
      W7: v([1024, 50], 1024, 7, 'deep-W7'),
      b7: tf.variable(tf.zeros([50]), true, 'deep-b7'),
      W8: v([50, CLASSES], 50, 8, 'deep-W8'),
      b8: tf.variable(tf.zeros([CLASSES]), true, 'deep-b8'),
      adam: tf.train.adam(0.001),
    };
  });
  const step = () => {
    // forward, keeping what backward needs: each conv's input and ReLU output, each pool's input and output
    const kept: { input: tf.Tensor4D; relu: tf.Tensor4D; pooled?: tf.Tensor4D }[] = [];
    let a = s.x as tf.Tensor4D;
    for (const [i, { W, b, pad }] of s.convs.entries()) {
      const relu = tf.relu(tf.add(tf.conv2d(a, W as tf.Tensor4D, 1, pad), b)) as tf.Tensor4D;
      kept.push({ input: a, relu });
      a = relu;
      if (i % 2 === 1) {
        a = tf.maxPool(relu, 2, 2, 'valid');
        kept[i].pooled = a;
      }
    }
    const flat = tf.reshape(a, [N, 1024]) as tf.Tensor2D;
    const h7 = tf.relu(tf.add(tf.matMul(flat, s.W7), s.b7)) as tf.Tensor2D;
    const mask1 = tf.step(tf.sub(tf.randomUniform([N, 50]), 0.5));
    const d7 = tf.mul(h7, mask1) as tf.Tensor2D;
    const z8 = tf.add(tf.matMul(d7, s.W8), s.b8) as tf.Tensor2D;
    const mask2 = tf.step(tf.sub(tf.randomUniform([N, CLASSES]), 0.5));
    const y = tf.mul(z8, mask2) as tf.Tensor2D;
    const loss = tf.div(tf.neg(tf.sum(tf.mul(s.t, tf.logSoftmax(y)))), N);
    // backward
    const dy = tf.mul(tf.div(tf.sub(tf.softmax(y), s.t), N), mask2) as tf.Tensor2D;
    const dd7 = tf.mul(tf.mul(tf.matMul(dy, s.W8, false, true), mask1), tf.step(h7)) as tf.Tensor2D;
    const grads: Record<string, tf.Tensor> = {
      'deep-W8': tf.matMul(d7, dy, true, false),
      'deep-b8': tf.sum(dy, 0),
      'deep-W7': tf.matMul(flat, dd7, true, false),
      'deep-b7': tf.sum(dd7, 0),
    };
    let d = tf.reshape(tf.matMul(dd7, s.W7, false, true), a.shape) as tf.Tensor4D;
    for (let i = s.convs.length - 1; i >= 0; i--) {
      const { input, relu, pooled } = kept[i];
      const { W, pad } = s.convs[i];
      if (pooled) d = maxPoolGrad(d, relu, pooled) as tf.Tensor4D;
      d = tf.mul(d, tf.step(relu)) as tf.Tensor4D;
      const padded = tf.pad(input, [
        [0, 0],
        [pad, pad],
        [pad, pad],
        [0, 0],
      ]) as tf.Tensor4D;
      grads[`deep-W${i + 1}`] = filterGrad('wasm', padded, d);
      grads[`deep-b${i + 1}`] = tf.sum(d, [0, 1, 2]);
      if (i > 0) d = tf.conv2dTranspose(d, W as tf.Tensor4D, input.shape, 1, pad);
    }
    s.adam.applyGradients(grads as tf.NamedTensorMap as never);
    return loss.dataSync()[0];
  };
  return { name: 'tfjs-wasm', run: () => onTfBackend('wasm', () => tf.tidy(step)) };
}

/**
 * Median ms of each layer's forward and backward (and of the Adam update) over `steps` steps:
 * every layer's methods are wrapped with a timer. The wrapping costs a few µs per call, nothing
 * next to these layers.
 */
function layerSplit(backend: Backend, steps: number): { part: string; ms: number }[] {
  const { net, adam, gradient } = ourStep(backend);
  const times = new Map<string, number[]>();
  const timed = <A extends unknown[], R>(key: string, fn: (...a: A) => R) => {
    return (...args: A): R => {
      const t0 = performance.now();
      const r = fn(...args);
      times.get(key)!.push(performance.now() - t0);
      return r;
    };
  };
  for (const [name, layer] of net.layers as Map<string, Layer>) {
    for (const method of ['forward', 'backward', 'backwardParams'] as const) {
      const fn = layer[method];
      if (!fn) continue;
      // Conv1 runs backwardParams (no dx: nothing uses the input's gradient); it is its backward
      const key = `${name} ${method === 'forward' ? 'forward' : 'backward'}`;
      times.set(key, []);
      (layer as unknown as Record<string, unknown>)[method] = timed(key, fn.bind(layer) as (...a: unknown[]) => unknown);
    }
  }
  const lastLayer = net.lastLayer;
  for (const method of ['forward', 'backward'] as const) {
    const key = `SoftmaxWithLoss ${method}`;
    times.set(key, []);
    (lastLayer as unknown as Record<string, unknown>)[method] = timed(
      key,
      lastLayer[method].bind(lastLayer) as (...a: unknown[]) => unknown,
    );
  }
  for (const part of ['step', 'gradient', 'Adam update']) times.set(part, []);
  const grad = timed('gradient', gradient);
  const update = timed('Adam update', (g: Params) => adam.update(net.params, g));
  const step = timed('step', () => update(grad()));
  for (let i = 0; i < 3; i++) step(); // warm-up
  for (const list of times.values()) list.length = 0;
  for (let i = 0; i < steps; i++) step();
  // each part's median; the gradient less its layers is Sequential's own bookkeeping
  const ms = (part: string) => median(times.get(part)!);
  const layers = [...times].filter(([part, list]) => list.length > 0 && / (forward|backward)$/.test(part));
  const rows = layers.map(([part, list]) => ({ part, ms: median(list) }));
  const layersMs = rows.reduce((a, r) => a + r.ms, 0);
  return [
    ...rows,
    { part: 'the rest of gradient (Sequential)', ms: ms('gradient') - layersMs },
    { part: 'Adam update', ms: ms('Adam update') },
    { part: 'step', ms: ms('step') },
  ];
}

const machine = describeMachine();
console.log(`[deep] ${machine.cpu}; Node ${machine.node}; load average ${machine.loadAverage.toFixed(2)}`);
const one = await createBackend('wasm', { variant: 'simd128', threads: 1 });
const two = await createBackend('wasm', { variant: 'simd128', threads: 2 });
const contenders: Contender[] = [
  { name: 'wasm-simd128 1 thread', run: ourStep(one).run },
  { name: `wasm-simd128 ${two.threads} threads`, run: ourStep(two).run },
];
if ((await initTfjs()).includes('wasm')) contenders.push(tfStep());
console.log('[deep] training step, batch 100, interleaved');
const stepUs = timeInterleaved(contenders, timing);
const stepMs = Object.fromEntries([...stepUs].map(([k, v]) => [k, v / 1000]));
for (const [k, v] of Object.entries(stepMs)) console.log(`  ${k.padEnd(24)} ${v.toFixed(1)} ms`);
console.log('[deep] where the step goes, layer by layer');
const splitSteps = quick ? 5 : 15;
const split = { '1 thread': layerSplit(one, splitSteps), [`${two.threads} threads`]: layerSplit(two, splitSteps) };
const loadAfter = describeMachine().loadAverage;

const tfMs = stepMs['tfjs-wasm'];
const labelsOf = Object.keys(split);
/** The rows of the split: each conv's forward and backward with its GEMM shape and GFLOP/s, the other layers summed. */
function splitRows(): string[] {
  const rows: string[] = [];
  const ms = (label: string, part: string) => split[label].find((r) => r.part === part)?.ms ?? 0;
  let [c, h] = [1, 28];
  for (const [i, [filters, pad]] of CONVS.entries()) {
    const oh = h + 2 * pad - 2;
    const k = 9 * c;
    // one GEMM per sample: W [FN, K] · columns [K, OH·OW]; backward does it twice (dW, and dx but in Conv1)
    const flops = 2 * N * oh * oh * k * filters;
    for (const [part, times] of [
      ['forward', 1],
      ['backward', i === 0 ? 1 : 2],
    ] as const) {
      const cells = labelsOf.map((l) => {
        const t = ms(l, `Conv${i + 1} ${part}`);
        return `${t.toFixed(1)} (${((times * flops) / t / 1e6).toFixed(1)})`;
      });
      rows.push(`| Conv${i + 1} ${part} | ${filters}×${k} · ${k}×${oh * oh} | ${cells.join(' | ')} |`);
    }
    [c, h] = [filters, i % 2 === 1 ? Math.floor(oh / 2) : oh];
  }
  const others = labelsOf.map((l) =>
    split[l]
      .filter((r) => / (forward|backward)$/.test(r.part) && !r.part.startsWith('Conv'))
      .reduce((a, r) => a + r.ms, 0)
      .toFixed(1),
  );
  rows.push(`| ReLU, pooling, Affine, Dropout, softmax (forward and backward) | | ${others.join(' | ')} |`);
  for (const part of ['the rest of gradient (Sequential)', 'Adam update', 'step'])
    rows.push(`| ${part} | | ${labelsOf.map((l) => ms(l, part).toFixed(1)).join(' | ')} |`);
  return rows;
}
const lines = [
  '# DeepConvNet training step (batch 100)',
  '',
  `Measured ${machine.date.slice(0, 10)} on ${machine.cpu}, ${machine.logicalCores} logical cores, Node ${machine.node}; load average ${machine.loadAverage.toFixed(2)} at the start, ${loadAfter.toFixed(2)} at the end (a shared machine). ${timing.rounds} interleaved rounds, medians. \`npx tsx bench/deep.ts\`.`,
  '',
  '| implementation | ms / step | vs tfjs-wasm |',
  '|---|---:|---:|',
  ...Object.entries(stepMs).map(([k, v]) => `| ${k} | ${v.toFixed(1)} | ${tfMs ? `${(tfMs / v).toFixed(2)}×` : '–'} |`),
  '',
  'tfjs-wasm runs one thread (XNNPACK, SIMD). Where our step goes: median ms per call over',
  `${splitSteps} steps, and GFLOP/s in brackets; a conv's GEMM per sample is filters×K · K×(OH·OW),`,
  'K = 9·channels; a backward is dW and db, plus dx (another GEMM and col2im) except in Conv1:',
  '',
  `| part | GEMM per sample | ${labelsOf.join(' | ')} |`,
  `|---|---|${labelsOf.map(() => '---:').join('|')}|`,
  ...splitRows(),
  '',
];
const outDir = join(dirname(fileURLToPath(import.meta.url)), 'results');
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'deep_conv_net.md'), lines.join('\n'));
writeFileSync(join(outDir, 'deep_conv_net.json'), `${JSON.stringify({ machine, loadAfter, stepMs, split }, null, 2)}\n`);
console.log(lines.join('\n'));
one.dispose();
two.dispose();
