import { describe, expect, it } from 'vitest';
import { TwoLayerNet, type Backend, type Tensor } from '../../ts/index.js';
import { Float64Forward } from '../../ts/training/float64_forward.js';
import { numericalGradient64 } from '../../ts/training/gradient_check.js';
import { allBackends, randomValues } from '../helpers/backends.js';

// The float64 reference (the numerical side of gradientCheck) takes one-hot (or any probability
// row) targets as well as label indices. Its loss on one-hot rows must equal the label path's,
// and on soft rows the definition −Σ t·log softmax(s), computed here from the weights directly.
const backends = await allBackends();

const LABELS = [2, 0, 3];

/** Rows of `t` as a tensor of targets [rows, 4]. */
const targets = (backend: Backend, rows: number[][]) => backend.tensor(rows);

/** The mean cross-entropy of softmax(x·W1 + b1 → ReLU → ·W2 + b2) against rows `t`, by its definition in float64. */
function definition(net: TwoLayerNet, x: Tensor, t: number[][]): number {
  const [W1, b1, W2, b2] = ['W1', 'b1', 'W2', 'b2'].map((k) => net.params[k]);
  const [inputs, hidden] = W1.shape,
    classes = W2.shape[1];
  let total = 0;
  t.forEach((row, r) => {
    const h = Array.from({ length: hidden }, (_, j) => {
      let s = b1.data[j];
      for (let i = 0; i < inputs; i++) s += x.data[r * inputs + i] * W1.data[i * hidden + j];
      return Math.max(s, 0);
    });
    const scores = Array.from({ length: classes }, (_, k) => h.reduce((s, v, j) => s + v * W2.data[j * classes + k], b2.data[k]));
    const sum = scores.reduce((s, v) => s + Math.exp(v), 0);
    total -= row.reduce((s, tk, k) => s + tk * Math.log(Math.exp(scores[k]) / sum), 0);
  });
  return total / t.length;
}

describe.each(backends.map((b) => [b.name, b] as const))('Float64Forward targets on %s', (_name, backend) => {
  const net = new TwoLayerNet(backend, 6, 5, 4, { weightInitStd: 0.8, seed: 31 });
  const x = backend.tensor(randomValues(3 * 6, 32), [3, 6]);
  const oneHot = LABELS.map((l) => [0, 1, 2, 3].map((k) => (k === l ? 1 : 0)));

  it('one-hot rows give the loss of the label indices and of the definition', () => {
    const byLabels = new Float64Forward('test', net, x, backend.tensor(LABELS, [3])).loss();
    const byRows = new Float64Forward('test', net, x, targets(backend, oneHot)).loss();
    expect(Math.abs(byRows - byLabels)).toBeLessThan(1e-14);
    expect(Math.abs(byRows - definition(net, x, oneHot))).toBeLessThan(1e-12);
    expect(byRows).toBeGreaterThan(0.1); // not a trivially small loss
  });

  it('soft target rows give the definition −Σ t·log softmax (every class weighed, not only the largest)', () => {
    const soft = [
      [0.1, 0.2, 0.6, 0.1],
      [0.5, 0.5, 0, 0],
      [0, 0.25, 0, 0.75],
    ].map((row) => row.map(Math.fround)); // as stored
    const loss = new Float64Forward('test', net, x, targets(backend, soft)).loss();
    expect(Math.abs(loss - definition(net, x, soft))).toBeLessThan(1e-12);
  });

  it("lossWith and the numerical gradient on one-hot rows equal the label path's", () => {
    const labels = backend.tensor(LABELS, [3]),
      rows = targets(backend, oneHot);
    const a = new Float64Forward('test', net, x, labels),
      b = new Float64Forward('test', net, x, rows);
    for (const [key, i] of [
      ['W1', 7],
      ['b1', 2],
      ['W2', 11],
      ['b2', 3],
    ] as const) {
      expect(Math.abs(b.lossWith(net.params[key], i, 1e-3).loss - a.lossWith(net.params[key], i, 1e-3).loss), key).toBeLessThan(1e-14);
    }
    const gl = numericalGradient64(net, x, labels),
      gr = numericalGradient64(net, x, rows);
    for (const key of Object.keys(gl))
      for (const [i, g] of gl[key].grad.entries()) expect(Math.abs(gr[key].grad[i] - g), `${key}[${i}]`).toBeLessThan(1e-9);
  });
});
