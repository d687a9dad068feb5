import { describe, expect, it } from 'vitest';
import { gradientCheck, SGD, Sequential, TwoLayerNet, type Backend } from '../ts/index.js';
import { allBackends, randomValues } from './backends.js';

const backends = await allBackends();

/** A small, learnable problem: the class is which of four input blocks has the largest sum. */
function toyData(backend: Backend, batch: number, seed: number) {
  const x = randomValues(batch * 16, seed);
  const labels = new Float32Array(batch);
  for (let i = 0; i < batch; i++) {
    let best = 0, bestSum = -Infinity;
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
