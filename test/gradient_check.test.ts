import { describe, expect, it } from 'vitest';
import { loadEmbeddedMnist } from '../demo/mnist_data.js';
import {
  Affine,
  compareGradients,
  gradientCheck,
  numericalGradient,
  numericalGradient64,
  Relu,
  Sequential,
  Sigmoid,
  TwoLayerNet,
  type Backend,
  type Params,
  type Tensor,
} from '../ts/index.js';
import { allBackends, randomValues } from './backends.js';

// The gradient check must neither cry wolf on correct nets with real data nor miss wrong
// gradients. Real digits: the first three training digits of the embedded MNIST split, the
// book's gradient_check.py setting (TwoLayerNet 784→50→10, weight_init_std 0.01, batch 3).
const backends = await allBackends();
const { train } = loadEmbeddedMnist();

function digits(backend: Backend, batch = 3): { x: Tensor; t: Tensor } {
  return { x: backend.tensor(train.images.subarray(0, batch * 784), [batch, 784]), t: backend.tensor(train.labels.subarray(0, batch), [batch]) };
}

function paramBits(net: Sequential): Record<string, Uint32Array> {
  return Object.fromEntries(Object.entries(net.params).map(([k, p]) => [k, new Uint32Array(p.toArray().buffer)]));
}

/** A net whose `gradient` is correct backprop followed by `tamper` (a planted bug). */
function tampered(net: Sequential, tamper: (grads: Params) => void): Sequential {
  const gradient = net.gradient.bind(net);
  net.gradient = (x, t) => {
    const grads = gradient(x, t);
    tamper(grads);
    return grads;
  };
  return net;
}

/** A ReLU whose backward forgets its mask: it lets every dout through. */
class MasklessRelu extends Relu {
  override backward(dout: Tensor): Tensor {
    const dx = super.backward(dout);
    dx.data.set(dout.data);
    return dx;
  }
}

/** A Sigmoid whose backward doubles dx. */
class DoublingSigmoid extends Sigmoid {
  override backward(dout: Tensor): Tensor {
    const dx = super.backward(dout);
    const d = dx.data;
    for (let i = 0; i < d.length; i++) d[i] *= 2;
    return dx;
  }
}

/** 784→50→10 with the book's initialisation (std 0.01) and a chosen activation layer. */
function bookNet(backend: Backend, seed: number, activation: Relu | Sigmoid): Sequential {
  const donor = new TwoLayerNet(backend, 784, 50, 10, { weightInitStd: 0.01, seed });
  const [a1, a2] = [donor.layers.get('Affine1') as Affine, donor.layers.get('Affine2') as Affine];
  return new Sequential([
    ['Affine1', new Affine(a1.W, a1.b)],
    [activation instanceof Relu ? 'Relu1' : 'Sigmoid1', activation],
    ['Affine2', new Affine(a2.W, a2.b)],
  ]);
}

describe('compareGradients on hand-computed examples', () => {
  it('[3, 4] against [0, 0]: relative error 1, max |diff| 4, mean |diff| 3.5', () => {
    const c = compareGradients([3, 4], [0, 0], 0.5);
    expect(c).toMatchObject({ relativeError: 1, maxAbsDiff: 4, meanAbsDiff: 3.5, ok: false, compared: 2, skipped: 0 });
  });

  it('square roots of the norms: [0.3, 0.4] against [0, 0] is 1, [1, 0] against [0, 1] is √2/2', () => {
    expect(compareGradients([0.3, 0.4], [0, 0], 1).relativeError).toBeCloseTo(1, 12);
    expect(compareGradients([1, 0], [0, 1], 1).relativeError).toBeCloseTo(Math.SQRT1_2, 12);
    // ‖[1, 2] − [1, 4]‖ = 2; ‖[1, 2]‖ + ‖[1, 4]‖ = √5 + √17
    expect(compareGradients([1, 2], [1, 4], 1).relativeError).toBeCloseTo(2 / (Math.sqrt(5) + Math.sqrt(17)), 12);
  });

  it('equal gradients (and two zero gradients) have relative error 0 and pass a tolerance of 0', () => {
    expect(compareGradients([1, -2, 3], [1, -2, 3], 0)).toMatchObject({ relativeError: 0, maxAbsDiff: 0, ok: true });
    expect(compareGradients([0, 0], [0, 0], 0)).toMatchObject({ relativeError: 0, ok: true });
  });

  it('skipped elements are left out and counted; the worst elements come first', () => {
    const c = compareGradients([3, 4, 100, 1], [0, 0, 0, 1], 1, { skip: [0, 0, 1, 0], worst: 2 });
    // compared: [3, 4, 1] against [0, 0, 1]; ‖diff‖ = 5, ‖a‖ = √26, ‖b‖ = 1
    expect(c).toMatchObject({ relativeError: 5 / (Math.sqrt(26) + 1), maxAbsDiff: 4, compared: 3, skipped: 1 });
    expect(c.worst).toEqual([{ index: 1, backprop: 4, numerical: 0 }, { index: 0, backprop: 3, numerical: 0 }]);
  });

  it('NaN never passes', () => {
    expect(compareGradients([NaN, 1], [0, 1], 1).ok).toBe(false);
  });
});

describe.each(backends.map((b) => [b.name, b] as const))('gradientCheck on %s', (_name, backend) => {
  it("passes the book's TwoLayerNet(784, 50, 10, std 0.01) on three real digits for seeds 0–9 (and 42)", () => {
    const { x, t } = digits(backend);
    for (const seed of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 42]) {
      const net = new TwoLayerNet(backend, 784, 50, 10, { weightInitStd: 0.01, seed });
      const check = gradientCheck(net, x, t);
      for (const [key, c] of Object.entries(check.params)) {
        expect(c.relativeError, `seed ${seed} ${key}`).toBeLessThan(1e-6); // the default tolerance is 1e-4
        expect(c.compared + c.skipped).toBe(net.params[key].size);
        expect(c.skipped, `seed ${seed} ${key}: skipped ${c.skipped}`).toBeLessThanOrEqual(0.05 * net.params[key].size);
      }
      expect(check.ok, `seed ${seed}`).toBe(true);
      net.dispose();
    }
  });

  it('fails for each planted bug, on real digits', () => {
    const { x, t } = digits(backend);
    const bugs: [string, () => Sequential, string][] = [
      ['dW1 × 1.1', () => tampered(bookNet(backend, 1, new Relu()), (g) => g.W1.data.forEach((v, i, d) => (d[i] = v * 1.1))), 'W1'],
      ['db2 sign flipped', () => tampered(bookNet(backend, 2, new Relu()), (g) => g.b2.data.forEach((v, i, d) => (d[i] = -v))), 'b2'],
      ['dW2 zeroed', () => tampered(bookNet(backend, 3, new Relu()), (g) => g.W2.data.fill(0)), 'W2'],
      ['a Relu that forgets its mask', () => bookNet(backend, 4, new MasklessRelu()), 'W1'],
      ['a Sigmoid whose backward doubles dx', () => bookNet(backend, 5, new DoublingSigmoid()), 'W1'],
    ];
    for (const [bug, make, key] of bugs) {
      const net = make();
      const check = gradientCheck(net, x, t);
      expect(check.ok, bug).toBe(false);
      expect(check.params[key].ok, bug).toBe(false);
      expect(check.params[key].relativeError, bug).toBeGreaterThan(1e-2);
      expect(check.params[key].worst.length, bug).toBe(3);
      net.dispose();
    }
  });

  it('the same nets without the bugs pass (the planted-bug nets differ only in the bug)', () => {
    const { x, t } = digits(backend);
    for (const [seed, activation] of [[4, new Relu()], [5, new Sigmoid()]] as const) {
      const net = bookNet(backend, seed, activation);
      expect(gradientCheck(net, x, t).ok, activation.constructor.name).toBe(true);
      net.dispose();
    }
  });

  it('leaves every parameter bitwise unchanged (gradientCheck, numericalGradient64, numericalGradient)', () => {
    const { x, t } = digits(backend, 2);
    const net = new TwoLayerNet(backend, 784, 8, 10, { weightInitStd: 0.01, seed: 11 });
    const before = paramBits(net);
    gradientCheck(net, x, t);
    expect(paramBits(net)).toEqual(before);
    numericalGradient64(net, x, t);
    expect(paramBits(net)).toEqual(before);
    for (const p of Object.values(net.params)) numericalGradient(() => net.loss(x, t), p, 1e-3);
    expect(paramBits(net)).toEqual(before);
    for (const g of Object.values(net.numericalGradient(x, t))) g.dispose();
    expect(paramBits(net)).toEqual(before);
    // and when the function throws half-way, the element it was changing is restored
    let calls = 0;
    expect(() => numericalGradient(() => { if (++calls === 4) throw new Error('boom'); return net.loss(x, t); }, net.params.b1, 1e-3)).toThrow('boom');
    expect(paramBits(net)).toEqual(before);
    net.dispose();
  });

  it('skips and counts elements whose ±h step crosses a ReLU kink, instead of failing on them', () => {
    // Hidden unit 0 of row 0 sits 3e-5 above its kink: b1[0] ± 1e-4 moves it across zero.
    const net = new TwoLayerNet(backend, 6, 4, 3, { weightInitStd: 0.5, seed: 12 });
    const x = backend.tensor(randomValues(6, 13), [1, 6]);
    const t = backend.tensor([2], [1]);
    let a0 = 0;
    for (let p = 0; p < 6; p++) a0 += x.data[p] * net.params.W1.data[p * 4];
    net.params.b1.data[0] = Math.fround(3e-5 - a0);
    const check = gradientCheck(net, x, t);
    expect(check.params.b1.skipped).toBeGreaterThanOrEqual(1);
    expect(check.ok).toBe(true);
    // Compared anyway, the crossed element is far off: the central difference there is half the slope.
    const { grad } = numericalGradient64(net, x, t).b1;
    expect(compareGradients(net.gradient(x, t).b1.toArray(), grad, 1e-4).ok).toBe(false);
    net.dispose();
  });

  it('refuses a layer it has no float64 forward for, naming it', () => {
    class Custom extends Relu {}
    const odd = { forward: (x: Tensor) => x, backward: (d: Tensor) => d, dispose: () => {} };
    const net = new Sequential([['Affine1', new Affine(backend.zeros([2, 2]), backend.zeros([2]))], ['Odd', odd], ['Relu', new Custom()]]);
    expect(() => gradientCheck(net, backend.zeros([1, 2]), backend.tensor([0], [1]))).toThrow("gradientCheck: layer 'Odd' (Object) has no float64 forward; the check supports Affine, Convolution, Pooling, Relu, Sigmoid, BatchNormalization and Dropout layers");
    net.dispose();
  });
});
