import { describe, expect, it } from 'vitest';
import { Affine, gradientCheck, NonFiniteLossError, SGD, Sequential, SoftmaxWithLoss, TwoLayerNet, type Backend } from '../../ts/index.js';
import { allBackends, randomValues } from '../helpers/backends.js';

const backends = await allBackends();

/** A small, learnable problem: the class is which of four input blocks has the largest sum. */
function toyData(backend: Backend, batch: number, seed: number) {
  const x = randomValues(batch * 16, seed);
  const labels = new Float32Array(batch);
  for (let i = 0; i < batch; i++) {
    let best = 0,
      bestSum = -Infinity;
    for (let c = 0; c < 4; c++) {
      let s = 0;
      for (let j = 0; j < 4; j++) s += x[i * 16 + c * 4 + j];
      if (s > bestSum) [best, bestSum] = [c, s];
    }
    labels[i] = best;
  }
  return { x: backend.tensor(x, [batch, 16]), t: backend.tensor(labels, [batch]) };
}

describe.each(backends.map((b) => [b.name, b] as const))('networks on %s', (_name, backend: Backend) => {
  it('TwoLayerNet: backprop gradients agree with numerical ones (the book’s gradient_check)', () => {
    const net = new TwoLayerNet(backend, 16, 10, 4, { weightInitStd: 0.3, seed: 1 });
    const { x, t } = toyData(backend, 3, 2);
    const check = gradientCheck(net, x, t);
    for (const [key, c] of Object.entries(check.params)) expect(c.relativeError, key).toBeLessThan(1e-2);
    expect(Object.keys(check.params)).toEqual(['W1', 'b1', 'W2', 'b2']);
    expect(check.ok).toBe(true);
    net.dispose();
  });

  it('TwoLayerNet.numericalGradient returns tensors shaped like the params', () => {
    const net = new TwoLayerNet(backend, 16, 3, 4, { seed: 3 });
    const { x, t } = toyData(backend, 2, 4);
    const grads = net.numericalGradient(x, t);
    for (const key of ['W1', 'b1', 'W2', 'b2']) expect(grads[key].shape).toEqual(net.params[key].shape);
    net.dispose();
  });

  it('SGD training makes the loss fall and the accuracy rise', () => {
    const net = new TwoLayerNet(backend, 16, 32, 4, { weightInitStd: 0.1, seed: 5 });
    const train = toyData(backend, 64, 6);
    const optimizer = new SGD({ lr: 0.5 });
    const firstLoss = net.loss(train.x, train.t);
    for (let step = 0; step < 200; step++) optimizer.update(net.params, net.gradient(train.x, train.t));
    expect(net.loss(train.x, train.t)).toBeLessThan(firstLoss * 0.5);
    expect(net.accuracy(train.x, train.t)).toBeGreaterThan(0.8);
    net.dispose();
  });

  it('accuracy accepts one-hot targets as well as labels', () => {
    const net = Sequential.mlp(backend, [16, 8, 4], { seed: 7 });
    const { x, t } = toyData(backend, 20, 8);
    const onehot = backend.zeros([20, 4]);
    t.data.forEach((l, i) => (onehot.data[i * 4 + l] = 1));
    expect(net.accuracy(x, onehot)).toBe(net.accuracy(x, t));
    expect([...net.layers.keys()]).toEqual(['Affine1', 'Relu1', 'Affine2']);
    net.dispose();
  });
});

it('the same seed gives the same training on every backend', () => {
  const losses = backends.map((backend) => {
    const net = new TwoLayerNet(backend, 16, 12, 4, { weightInitStd: 0.1, seed: 9 });
    const { x, t } = toyData(backend, 32, 10);
    const sgd = new SGD({ lr: 0.3 });
    for (let i = 0; i < 50; i++) sgd.update(net.params, net.gradient(x, t));
    const loss = net.loss(x, t);
    net.dispose();
    return loss;
  });
  for (const loss of losses) expect(loss).toBeCloseTo(losses[0], 4);
  // and a second run on one backend reproduces exactly
  const again = new TwoLayerNet(backends[0], 16, 12, 4, { weightInitStd: 0.1, seed: 9 });
  const { x, t } = toyData(backends[0], 32, 10);
  const sgd = new SGD({ lr: 0.3 });
  for (let i = 0; i < 50; i++) sgd.update(again.params, again.gradient(x, t));
  expect(again.loss(x, t)).toBe(losses[0]);
});

describe.each(backends.map((b) => [b.name, b] as const))('targets, failures and disposal on %s', (_name, backend: Backend) => {
  const other = backends.find((b) => b !== backend)!;

  it('loss, accuracy and gradient refuse the same bad class indices with the same message', () => {
    const net = Sequential.mlp(backend, [4, 3, 10], { seed: 1 });
    const x = backend.tensor(randomValues(8, 2), [2, 4]);
    for (const [labels, found] of [
      [[0, 10], 'found 10 at row 1'],
      [[0.5, 1], 'found 0.5 at row 0'],
      [[-1, 1], 'found -1 at row 0'],
    ] as const) {
      const t = backend.tensor([...labels], [2]);
      for (const [what, call] of [
        ['loss', () => net.loss(x, t)],
        ['accuracy', () => net.accuracy(x, t)],
        ['gradient', () => net.gradient(x, t)],
      ] as const) {
        expect(call, what).toThrow(`expected class indices (integers in 0..9), ${found}`);
      }
    }
    const foreign = other.tensor([0, 1], [2]);
    for (const call of [() => net.loss(x, foreign), () => net.accuracy(x, foreign), () => net.gradient(x, foreign)]) {
      expect(call).toThrow(
        `the targets t belong to backend '${other.name}', the scores to '${backend.name}'; create t on the net's backend`,
      );
    }
    foreign.dispose();
    net.dispose();
  });

  it('one-hot rows must be probability distributions (non-negative, summing to 1 within 1e-3), naming the row', () => {
    const net = Sequential.mlp(backend, [4, 3, 3], { seed: 1 });
    const x = backend.tensor(randomValues(8, 2), [2, 4]);
    const cases: [number[], string][] = [
      [[1, 0, 0, -1, 2, 0], 'found -1 at row 1, column 0'],
      [[1, 1, 0, 0, 1, 0], 'row 0 sums to 2'],
      [[0, 1, 0, 0, 0, 0], 'row 1 sums to 0'],
      [[0, 1, 0, 0.5, 0.4985, 0], 'row 1 sums to 0.998'],
    ];
    for (const [values, message] of cases) {
      const t = backend.tensor(values, [2, 3]);
      for (const call of [() => net.loss(x, t), () => net.accuracy(x, t), () => net.gradient(x, t)]) expect(call).toThrow(message);
      t.dispose();
    }
    // soft targets that are distributions, and sums within 1e-3 of 1, are accepted
    const soft = backend.tensor([0.2, 0.8, 0, 0.3333, 0.3333, 0.3333], [2, 3]);
    expect(Number.isFinite(net.loss(x, soft))).toBe(true);
    expect(net.accuracy(x, soft)).toBeGreaterThanOrEqual(0);
    net.dispose();
  });

  it('after a failed SoftmaxWithLoss.forward, backward() throws instead of handing out NaN', () => {
    const layer = new SoftmaxWithLoss();
    const t = backend.tensor([0, 1], [2]);
    layer.forward(backend.tensor([1, 2, 3, 4], [2, 2]), t);
    const good = layer.backward().toArray();
    expect(() => layer.forward(backend.tensor([1, 2, 3, 4, 5, 6], [3, 2]), t)).toThrow('expected targets t of shape [3, 2]');
    expect(layer.backward().toArray()).toEqual(good); // a refused call leaves the layer as it was
    const bad = backend.zeros([2, 2]);
    bad.data[1] = NaN;
    expect(() => layer.forward(bad, t)).toThrow(NonFiniteLossError);
    expect(layer.loss).toBeNull();
    expect(() => layer.backward()).toThrow(
      'SoftmaxWithLoss.backward: the last forward failed (SoftmaxWithLoss.forward: the loss is NaN; x holds NaN at flat index 1 (shape [2, 2])), so there is no gradient',
    );
    layer.forward(backend.tensor([1, 2, 3, 4], [2, 2]), t);
    expect(layer.backward().toArray()).toEqual(good); // a good forward makes it usable again
    layer.dispose();
  });

  it('a disposed net refuses every use with a clear error and allocates nothing', () => {
    const net = new TwoLayerNet(backend, 4, 3, 2, { seed: 2 });
    const x = backend.tensor(randomValues(8, 3), [2, 4]);
    const t = backend.tensor([0, 1], [2]);
    net.loss(x, t);
    net.dispose();
    net.dispose(); // idempotent
    expect(net.disposed).toBe(true);
    const before = backend.memoryStats();
    for (const [method, call] of [
      ['predict', () => net.predict(x)],
      ['loss', () => net.loss(x, t)],
      ['accuracy', () => net.accuracy(x, t)],
      ['gradient', () => net.gradient(x, t)],
      ['numericalGradient', () => net.numericalGradient(x, t)],
      ['gradient', () => gradientCheck(net, x, t)],
    ] as const) {
      expect(call).toThrow(`TwoLayerNet.${method}: this net was disposed; it cannot be used any more`);
    }
    expect(backend.memoryStats()).toEqual(before);
  });

  it('values beyond the f32 range are refused: tensors, initial weights', () => {
    expect(() => backend.tensor([1, 1e39])).toThrow(
      `${backend.name}.tensor: expected finite numbers, found 1e+39 at index 1, which is beyond the f32 range (|x| ≤ 3.4028235e+38) and would become Infinity`,
    );
    expect(() => backend.tensor([[-4e38]])).toThrow('found -4e+38 at index [0][0], which is beyond the f32 range');
    expect(backend.tensor([3.4e38]).data[0]).toBeCloseTo(3.4e38, -32);
    const before = backend.memoryStats();
    expect(() => new TwoLayerNet(backend, 4, 3, 2, { weightInitStd: 1e39 })).toThrow(
      "weight init: expected 'he', 'xavier' or a non-negative standard deviation within the f32 range (|x| ≤ 3.4028235e+38), got 1e+39",
    );
    expect(() => new TwoLayerNet(backend, 40, 30, 2, { weightInitStd: 2e38 })).toThrow(
      /weight init: a standard deviation of 2e\+38 draws the weight -?[0-9.e+]+ \(index \d+\), beyond the f32 range/,
    );
    // weights that overflow only in the second layer: the first layer's tensors are freed too
    expect(() => new TwoLayerNet(backend, 2, 2, 5000, { weightInitStd: 1e38 })).toThrow('beyond the f32 range');
    expect(() => Sequential.mlp(backend, [2, 2, 5000], { init: 1e38 })).toThrow('beyond the f32 range');
    const after = backend.memoryStats(); // nothing leaked by the refused constructions (WASM memory may have grown)
    expect([after.liveTensors, after.allocatedBytes]).toEqual([before.liveTensors, before.allocatedBytes]);
  });
});

describe('near the f32 limit, every backend agrees', () => {
  it('the loss of logits ±3e38 is the same finite 6e38 (computed in f64), not Infinity on WASM', () => {
    const losses = backends.map((backend) => {
      const layer = new SoftmaxWithLoss();
      const loss = layer.forward(backend.tensor([3e38, -3e38, -3e38, 3e38], [2, 2]), backend.tensor([1, 0], [2]));
      layer.dispose();
      return loss;
    });
    for (const loss of losses) expect(loss).toBeCloseTo(Math.fround(3e38) * 2, -30);
    expect(new Set(losses).size).toBe(1);
  });

  it('dot products whose partial sums overflow are ±Infinity on every backend, and the loss refuses them', () => {
    const cases: [number[], number][] = [
      [[3e38, 3e38], Infinity],
      [[3e38, 3e38, 3e38, 3e38, -3e38, -3e38, -3e38, -3e38], Infinity],
      [Array.from({ length: 16 }, (_, i) => (i < 8 ? -2e38 : 2e38)), -Infinity],
    ];
    for (const [a, want] of cases) {
      for (const backend of backends) {
        const x = backend.tensor(a, [1, a.length]);
        const affine = new Affine(backend.tensor(new Array(a.length * 2).fill(1), [a.length, 2]), backend.zeros([2]));
        const scores = affine.forward(x);
        expect([...scores.data], `${backend.name} k=${a.length}`).toEqual([want, want]);
        expect(() => new SoftmaxWithLoss().forward(scores, backend.tensor([0], [1]))).toThrow(NonFiniteLossError);
        affine.dispose();
      }
    }
  });
});
