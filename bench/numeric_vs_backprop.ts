// Numerical differentiation vs backpropagation (the seed's fifth point, the book's §5.7.3) as
// numbers: the gradient of the book's TwoLayerNet computed both ways on each backend, with the
// time of each and how far apart they are. Run: npm run bench:grad [-- --hidden 50 --batch 3]
//
// Numerical differentiation costs two forward passes per weight (2 × 39,760 forwards for
// 784-50-10); backprop costs one forward and one backward for all of them. Backprop is timed
// as the median of several calls; the numerical gradient once (it is the slow one).
import { compareGradients, createBackend, Random, TwoLayerNet, type Backend } from '../ts/index.js';

const args = new Map<string, number>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), Number(process.argv[i + 1]));
const input = args.get('input') ?? 784,
  hidden = args.get('hidden') ?? 50,
  classes = 10,
  batch = args.get('batch') ?? 3;
for (const [name, v] of Object.entries({ input, hidden, batch })) {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`bench:grad: expected --${name} to be a positive integer, got ${v}`);
}

function bench(backend: Backend) {
  // The book's gradient_check.py setup: weight_init_std 0.01, a batch of 3; inputs like pixels in [0, 1).
  const net = new TwoLayerNet(backend, input, hidden, classes, { seed: 1 });
  const rng = new Random(2);
  const x = backend.tensor(
    Float32Array.from({ length: batch * input }, () => rng.uniform()),
    [batch, input],
  );
  const t = backend.tensor(
    Float32Array.from({ length: batch }, () => rng.int(classes)),
    [batch],
  );

  const times: number[] = [];
  let backprop: Record<string, Float32Array> = {};
  for (let rep = 0; rep < 21; rep++) {
    const start = performance.now();
    const grads = net.gradient(x, t);
    times.push(performance.now() - start);
    backprop = Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, g.toArray()]));
  }
  times.sort((a, b) => a - b);
  const backpropMs = times[times.length >> 1];

  const start = performance.now();
  const numerical = net.numericalGradient(x, t);
  const numericalMs = performance.now() - start;

  let relativeError = 0,
    maxAbsDiff = 0;
  for (const key of Object.keys(net.params)) {
    const c = compareGradients(backprop[key], numerical[key].toArray(), Infinity);
    relativeError = Math.max(relativeError, c.relativeError);
    maxAbsDiff = Math.max(maxAbsDiff, c.maxAbsDiff);
    numerical[key].dispose();
  }
  net.dispose();
  return { backend: backend.name, backpropMs, numericalMs, ratio: numericalMs / backpropMs, relativeError, maxAbsDiff };
}

const params = input * hidden + hidden + hidden * classes + classes;
console.log(
  `TwoLayerNet ${input}-${hidden}-${classes}, batch ${batch}: ${params} parameters, so ${2 * params} forward passes for the numerical gradient (h = 1e-3, f32)`,
);
console.log('| backend | backprop (ms) | numerical (ms) | numerical / backprop | max relative error | max abs diff |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const backend of [await createBackend('ts'), await createBackend('wasm')]) {
  const r = bench(backend);
  console.log(
    `| ${r.backend} | ${r.backpropMs.toFixed(3)} | ${r.numericalMs.toFixed(0)} | ${Math.round(r.ratio).toLocaleString('en-US')}× | ${r.relativeError.toExponential(1)} | ${r.maxAbsDiff.toExponential(1)} |`,
  );
}
console.log(
  'relative error = ‖backprop − numerical‖ / (‖backprop‖ + ‖numerical‖), the largest over W1, b1, W2, b2 (gradientCheck passes below 1e-2)',
);
