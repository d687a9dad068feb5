import { describe, expect, it } from 'vitest';
import {
  Affine,
  numericalGradient,
  Relu,
  Sigmoid,
  SoftmaxWithLoss,
  compareGradients,
  type Backend,
  type Layer,
  type Tensor,
} from '../../ts/index.js';
import { allBackends, randomValues } from '../helpers/backends.js';

const backends = await allBackends();
const close = (got: ArrayLike<number>, want: number[], digits = 5) => {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => expect(got[i], `index ${i}`).toBeCloseTo(w, digits));
};

describe.each(backends.map((b) => [b.name, b] as const))('layers on %s', (_name, backend: Backend) => {
  it('Relu passes positives forward and their gradients backward', () => {
    const relu = new Relu();
    const x = backend.tensor([
      [1, -0.5],
      [-2, 3],
    ]);
    close(relu.forward(x).data, [1, 0, 0, 3]);
    close(
      relu.backward(
        backend.tensor([
          [1, 2],
          [3, 4],
        ]),
      ).data,
      [1, 0, 0, 4],
    );
  });

  it('Sigmoid: y = 1/(1+e^−x), dx = dout·(1−y)·y', () => {
    const sigmoid = new Sigmoid();
    close(sigmoid.forward(backend.tensor([0, Math.log(3)], [2])).data, [0.5, 0.75]);
    close(sigmoid.backward(backend.tensor([1, 2], [2])).data, [0.25, 2 * 0.75 * 0.25]);
  });

  it('Affine: out = x·W + b; dx = dout·Wᵀ, dW = xᵀ·dout, db = Σ dout', () => {
    const affine = new Affine(
      backend.tensor([
        [1, 0, 1],
        [0, 1, 1],
      ]),
      backend.tensor([0.5, -0.5, 0]),
    );
    const out = affine.forward(
      backend.tensor([
        [1, 2],
        [3, 4],
      ]),
    );
    expect(out.shape).toEqual([2, 3]);
    close(out.data, [1.5, 1.5, 3, 3.5, 3.5, 7]);
    const dx = affine.backward(
      backend.tensor([
        [1, 0, 2],
        [0, 1, 1],
      ]),
    );
    close(dx.data, [3, 2, 1, 2]);
    close(affine.dW!.data, [1, 3, 5, 2, 4, 8]);
    close(affine.db!.data, [1, 1, 3]);
  });

  it('Affine flattens N-D input as the book does and returns dx in the input shape', () => {
    const W = backend.tensor(randomValues(12, 1), [4, 3]);
    const affine = new Affine(W, backend.zeros([3]));
    const values = randomValues(8, 2);
    const out3d = affine.forward(backend.tensor(values, [2, 2, 2])).toArray();
    const dx = affine.backward(backend.tensor(randomValues(6, 3), [2, 3]));
    expect(dx.shape).toEqual([2, 2, 2]);
    const flat = new Affine(W, backend.zeros([3]));
    close(out3d, [...flat.forward(backend.tensor(values, [2, 4])).data]);
    close(dx.data, [...flat.backward(backend.tensor(randomValues(6, 3), [2, 3])).data]);
  });

  it('SoftmaxWithLoss: loss = −Σ t·log y / N and backward = (y − t)/N, for one-hot and labels', () => {
    const layer = new SoftmaxWithLoss();
    const x = backend.tensor([
      [0, 0],
      [Math.log(3), 0],
    ]);
    const expectedLoss = (Math.log(2) + Math.log(4 / 3)) / 2;
    expect(
      layer.forward(
        x,
        backend.tensor([
          [1, 0],
          [1, 0],
        ]),
      ),
    ).toBeCloseTo(expectedLoss, 6);
    close(layer.y!.data, [0.5, 0.5, 0.75, 0.25]);
    close(layer.backward().data, [-0.25, 0.25, -0.125, 0.125]);
    expect(layer.forward(x, backend.tensor([0, 0], [2]))).toBeCloseTo(expectedLoss, 6);
    close(layer.backward().data, [-0.25, 0.25, -0.125, 0.125]);
  });

  it('SoftmaxWithLoss stays finite where the book’s log(y + 1e-7) would cap the loss', () => {
    const layer = new SoftmaxWithLoss();
    expect(layer.forward(backend.tensor([[100, -100]]), backend.tensor([1], [1]))).toBeCloseTo(200, 3);
  });

  /** L = Σ r ⊙ layer(x) for a fixed random r, so dL/dx = layer.backward(r). */
  function checkInputGradient(layer: Layer, x: Tensor, seed: number) {
    const out = layer.forward(x);
    const r = backend.tensor(randomValues(out.size, seed), out.shape);
    const objective = () => {
      const y = layer.forward(x).data;
      let s = 0;
      for (let i = 0; i < y.length; i++) s += r.data[i] * y[i];
      return s;
    };
    const backprop = layer.backward(r).toArray();
    return compareGradients(backprop, numericalGradient(objective, x, 1e-2), 1e-3);
  }

  it('each layer’s backward agrees with central differences', () => {
    const awayFromKink = randomValues(30, 5).map((v) => (v >= 0 ? v + 0.1 : v - 0.1));
    expect(checkInputGradient(new Relu(), backend.tensor(awayFromKink, [5, 6]), 6).ok).toBe(true);
    expect(checkInputGradient(new Sigmoid(), backend.tensor(randomValues(30, 7), [5, 6]), 8).ok).toBe(true);
    const affine = new Affine(backend.tensor(randomValues(12, 9), [6, 2]), backend.tensor([0.1, -0.2]));
    const x = backend.tensor(randomValues(30, 10), [5, 6]);
    expect(checkInputGradient(affine, x, 11).ok).toBe(true);
    // and the parameter gradients of the same objective
    const r = backend.tensor(randomValues(10, 11), [5, 2]);
    const objective = () => affine.forward(x).data.reduce((s, y, i) => s + y * r.data[i], 0);
    affine.forward(x);
    affine.backward(r);
    expect(compareGradients(affine.dW!.toArray(), numericalGradient(objective, affine.W, 1e-2), 1e-3).ok).toBe(true);
    expect(compareGradients(affine.db!.toArray(), numericalGradient(objective, affine.b, 1e-2), 1e-3).ok).toBe(true);
  });

  it('layers reuse their buffers: the same batch size gives the same output tensor', () => {
    const relu = new Relu();
    const first = relu.forward(backend.tensor([1, 2], [1, 2]));
    expect(relu.forward(backend.tensor([3, 4], [1, 2]))).toBe(first);
    const other = relu.forward(backend.tensor([3, 4, 5], [1, 3]));
    expect(other).not.toBe(first);
    expect(first.disposed).toBe(true);
    relu.dispose();
    expect(other.disposed).toBe(true);
  });
});
