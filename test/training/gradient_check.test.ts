import { describe, expect, it } from 'vitest';
import { loadEmbeddedMnist } from '../../demo/mnist_data.js';
import {
  Affine,
  compareGradients,
  type Convolution,
  gradientCheck,
  numericalGradient,
  Relu,
  Sequential,
  Sigmoid,
  SimpleConvNet,
  TwoLayerNet,
  type Backend,
  type Params,
  type Tensor,
} from '../../ts/index.js';
import { Float64Forward } from '../../ts/training/float64_forward.js';
import { numericalGradient64 } from '../../ts/training/gradient_check.js';
import { allBackends, randomValues } from '../helpers/backends.js';

// The gradient check must neither cry wolf on correct nets with real data nor miss wrong
// gradients. Real digits: the first three training digits of the embedded MNIST split, the
// book's gradient_check.py setting (TwoLayerNet 784→50→10, weight_init_std 0.01, batch 3).
const backends = await allBackends();
const { train } = loadEmbeddedMnist();

function digits(backend: Backend, batch = 3): { x: Tensor; t: Tensor } {
  return {
    x: backend.tensor(train.images.subarray(0, batch * 784), [batch, 784]),
    t: backend.tensor(train.labels.subarray(0, batch), [batch]),
  };
}

/** The first four training digits of four different classes, as [4, 1, 28, 28]. */
function fourDigits(backend: Backend): { x: Tensor; t: Tensor } {
  const picks: number[] = [];
  for (let i = 0; picks.length < 4; i++) if (!picks.some((p) => train.labels[p] === train.labels[i])) picks.push(i);
  const images = new Float32Array(4 * 784);
  for (const [k, p] of picks.entries()) images.set(train.images.subarray(p * 784, (p + 1) * 784), k * 784);
  return {
    x: backend.tensor(images, [4, 1, 28, 28]),
    t: backend.tensor(
      picks.map((p) => train.labels[p]),
      [4],
    ),
  };
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

/** A ReLU whose mask is x < 0: at x = 0 exactly it passes the gradient (the right derivative). */
class RightDerivativeRelu extends Relu {
  #x: Float32Array | null = null;
  override forward(x: Tensor): Tensor {
    this.#x = x.data.slice();
    return super.forward(x);
  }
  override backward(dout: Tensor): Tensor {
    const dx = super.backward(dout);
    this.#x!.forEach((v, i) => {
      if (v === 0) dx.data[i] = dout.data[i];
    });
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
    expect(c.worst).toEqual([
      { index: 1, backprop: 4, numerical: 0 },
      { index: 0, backprop: 3, numerical: 0 },
    ]);
  });

  it('NaN never passes', () => {
    expect(compareGradients([NaN, 1], [0, 1], 1).ok).toBe(false);
  });

  it('comparing nothing, or less than minCompared, is not checked and never ok, however equal the rest', () => {
    expect(compareGradients([1, 2], [5, 6], 1, { skip: [1, 1] })).toMatchObject({ compared: 0, checked: false, ok: false });
    expect(compareGradients([], [], 1)).toMatchObject({ checked: false, ok: false });
    const skip = [1, 0, 0, 0];
    expect(compareGradients([9, 1, 2, 3], [0, 1, 2, 3], 0, { skip, minCompared: 0.75 })).toMatchObject({
      compared: 3,
      checked: true,
      ok: true,
    });
    expect(compareGradients([9, 1, 2, 3], [0, 1, 2, 3], 0, { skip, minCompared: 0.76 })).toMatchObject({
      compared: 3,
      checked: false,
      ok: false,
    });
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
      [
        'dW1 × 1.1',
        () =>
          tampered(bookNet(backend, 1, new Relu()), (g) =>
            g.W1.data.forEach((v, i, d) => {
              d[i] = v * 1.1;
            }),
          ),
        'W1',
      ],
      [
        'db2 sign flipped',
        () =>
          tampered(bookNet(backend, 2, new Relu()), (g) =>
            g.b2.data.forEach((v, i, d) => {
              d[i] = -v;
            }),
          ),
        'b2',
      ],
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
    for (const [seed, activation] of [
      [4, new Relu()],
      [5, new Sigmoid()],
    ] as const) {
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
    expect(() =>
      numericalGradient(
        () => {
          if (++calls === 4) throw new Error('boom');
          return net.loss(x, t);
        },
        net.params.b1,
        1e-3,
      ),
    ).toThrow('boom');
    expect(paramBits(net)).toEqual(before);
    net.dispose();
  });

  it('compares an element whose ±h step crosses a ReLU kink, by the one-sided difference on the side backprop describes', () => {
    // Hidden unit 0 of row 0 sits 3e-5 above its kink: b1[0] − 1e-4 moves it across zero.
    const net = new TwoLayerNet(backend, 6, 4, 3, { weightInitStd: 0.5, seed: 12 });
    const x = backend.tensor(randomValues(6, 13), [1, 6]);
    const t = backend.tensor([2], [1]);
    let a0 = 0;
    for (let p = 0; p < 6; p++) a0 += x.data[p] * net.params.W1.data[p * 4];
    net.params.b1.data[0] = Math.fround(3e-5 - a0);
    const check = gradientCheck(net, x, t);
    expect(check.params.b1).toMatchObject({ compared: 4, skipped: 0, nearKink: 1, checked: true, ok: true });
    expect(check.params.b1.relativeError).toBeLessThan(1e-6);
    expect(check.ok).toBe(true);
    // The central difference there is half the slope: compared with it, the check would fail.
    const f64 = new Float64Forward('test', net, x, t);
    const central = (f64.lossWith(net.params.b1, 0, 1e-4).loss - f64.lossWith(net.params.b1, 0, -1e-4).loss) / 2e-4;
    const backprop = net.gradient(x, t).b1.data[0];
    expect(Math.abs(central - backprop)).toBeGreaterThan(0.2 * Math.abs(backprop));
    expect(numericalGradient64(net, x, t).b1.grad[0]).toBeCloseTo(backprop, 6);
    net.dispose();
  });

  it('compares an element exactly at a ReLU kink by the left derivative, as the mask x <= 0 (a mask x < 0 fails)', () => {
    // Hidden unit 0 gets exactly 0 (x = [1, 0, …], W1[0, 0] = 0.5, b1[0] = −0.5): blocked, so its
    // backprop gradient is 0, the left derivative's; the right derivative is not 0.
    const make = (relu: Relu) => {
      const W1 = backend.tensor(randomValues(6 * 4, 14), [6, 4]);
      W1.data[0] = 0.5;
      const b1 = backend.tensor([-0.5, 0.1, 0.2, 0.3], [4]);
      return new Sequential([
        ['Affine1', new Affine(W1, b1)],
        ['Relu1', relu],
        ['Affine2', new Affine(backend.tensor(randomValues(4 * 3, 15), [4, 3]), backend.zeros([3]))],
      ]);
    };
    const x = backend.tensor([[1, 0, 0, 0, 0, 0]]),
      t = backend.tensor([1], [1]);
    const net = make(new Relu());
    const check = gradientCheck(net, x, t);
    expect(check.params.b1).toMatchObject({ compared: 4, skipped: 0, nearKink: 1, ok: true });
    expect(Math.abs(numericalGradient64(net, x, t).b1.grad[0])).toBeLessThan(1e-9);
    expect(check.ok).toBe(true);
    net.dispose();
    const wrong = make(new RightDerivativeRelu());
    const caught = gradientCheck(wrong, x, t);
    expect(caught.params.b1).toMatchObject({ compared: 4, checked: true, ok: false });
    expect(caught.ok).toBe(false);
    wrong.dispose();
  });

  it('reports a parameter with too little compared as not checked, never ok, and says so in the summary', () => {
    // One hidden unit sits exactly at 0 in row 0 and 1e-12 above it in row 1: every step of
    // b1[0] changes a choice on both sides, so b1[0] cannot be compared: 1 of b1's 2 elements.
    const net = new Sequential([
      ['Affine1', new Affine(backend.tensor([[1, 1]]), backend.tensor([0, 0.5]))],
      ['Relu1', new Relu()],
      [
        'Affine2',
        new Affine(
          backend.tensor([
            [1, -1],
            [0.5, 0.25],
          ]),
          backend.zeros([2]),
        ),
      ],
    ]);
    const x = backend.tensor([[0], [1e-12]]),
      t = backend.tensor([0, 1], [2]);
    const check = gradientCheck(net, x, t);
    expect(check.params.b1).toMatchObject({ compared: 1, skipped: 1, checked: false, ok: false });
    expect(check.ok).toBe(false);
    expect(check).toMatchObject({ compared: 9, elements: 10 });
    expect(check.summary).toBe(
      'not ok: 9 of 10 elements compared (0 of them near a kink), 1 skipped; b1 not checked (1 of 2 elements compared)',
    );
    // with minCompared 0.5 the one compared element is enough
    expect(gradientCheck(net, x, t, { minCompared: 0.5 }).params.b1).toMatchObject({ checked: true, ok: true });
    net.dispose();
  });

  it('catches a conv db with its sign flipped at init, on a fresh SimpleConvNet and four real digits', () => {
    // The biases start at 0 and the digits' background is 0, so every background ReLU input sits
    // exactly at its kink: b1 used to be skipped entirely (compared 0 of 4) and the bug passed.
    const { x, t } = fourDigits(backend);
    for (const planted of [false, true]) {
      const net = new SimpleConvNet(backend, { filterNum: 4, filterSize: 5, hiddenSize: 20, seed: 21 });
      let flips = 0;
      if (planted) {
        // in whichever backward the net takes: its first layers' in one pass (Conv1 → Relu1 → Pool1), or Conv1's alone
        const conv = net.layers.get('Conv1') as Convolution;
        const flip = () => {
          flips++;
          conv.db!.data.forEach((v, i, d) => {
            d[i] = -v;
          });
        };
        const [backwardParams, through] = [conv.backwardParams.bind(conv), conv.backwardParamsThrough.bind(conv)];
        conv.backwardParams = (dout) => {
          backwardParams(dout);
          flip();
        };
        conv.backwardParamsThrough = (layers, dout) => {
          through(layers, dout);
          flip();
        };
      }
      const check = gradientCheck(net, x, t);
      expect(flips > 0, `planted ${planted}: the bug ran`).toBe(planted);
      expect(check.params.b1, `planted ${planted}`).toMatchObject({ compared: 4, skipped: 0, checked: true, ok: !planted });
      expect(check.params.W1.compared, `planted ${planted}`).toBe(100);
      expect(check.ok, check.summary).toBe(!planted);
      expect(check.summary).toMatch(
        planted
          ? /^not ok: 11854 of 11854 elements compared .*; b1 failed \(relative error 1\.0\)$/
          : /^ok: 11854 of 11854 elements compared \(\d+ of them near a kink\), 0 skipped$/,
      );
      net.dispose();
    }
  });

  it('pins the default tolerance at 1e-4: dW1 off by a relative 1.3e-4 fails, by 0.8e-4 passes', () => {
    // Scaling a gradient by 1 + ε gives a relative error of ε / (2 + ε).
    const { x, t } = digits(backend);
    for (const [epsilon, ok] of [
      [2.6e-4, false],
      [1.6e-4, true],
    ] as const) {
      const net = tampered(bookNet(backend, 1, new Relu()), (g) =>
        g.W1.data.forEach((v, i, d) => {
          d[i] = v * (1 + epsilon);
        }),
      );
      const c = gradientCheck(net, x, t).params.W1;
      expect(Math.abs(c.relativeError - epsilon / 2), `ε ${epsilon}`).toBeLessThan(1e-5);
      expect(c.ok, `ε ${epsilon}: relative error ${c.relativeError}`).toBe(ok);
      net.dispose();
    }
  });

  it('refuses a layer it has no float64 forward for, naming it', () => {
    class Custom extends Relu {}
    const odd = {
      type: 'Odd',
      forward: (x: Tensor) => x,
      backward: (d: Tensor) => d,
      params: () => ({}),
      grads: () => ({}),
      dispose: () => {},
    } as never;
    const net = new Sequential([
      ['Affine1', new Affine(backend.zeros([2, 2]), backend.zeros([2]))],
      ['Odd', odd],
      ['Relu', new Custom()],
    ]);
    expect(() => gradientCheck(net, backend.zeros([1, 2]), backend.tensor([0], [1]))).toThrow(
      "gradientCheck: layer 'Odd' (Object) has no float64 forward; the check supports Affine, Convolution, Pooling, Relu, Sigmoid, BatchNormalization and Dropout layers",
    );
    net.dispose();
  });
});
