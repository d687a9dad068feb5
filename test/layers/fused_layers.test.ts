import { describe, expect, it } from 'vitest';
import { Affine, Sequential, type Backend } from '../../ts/index.js';
import { allBackends, randomValues } from '../helpers/backends.js';

const backends = await allBackends();

describe.each(backends.map((b) => [b.name, b] as const))('fused layer paths on %s', (_name, backend: Backend) => {
  it('Affine.backwardParams gives backward’s dW and db, without computing dx', () => {
    const W = backend.tensor(randomValues(7 * 5, 1), [7, 5]);
    const b = backend.tensor(randomValues(5, 2), [5]);
    const x = backend.tensor(randomValues(3 * 7, 3), [3, 7]);
    const dout = backend.tensor(randomValues(3 * 5, 4), [3, 5]);
    const full = new Affine(W, b);
    full.forward(x);
    const dx = full.backward(dout);
    expect(dx.shape).toEqual([3, 7]);
    const paramsOnly = new Affine(W, b);
    paramsOnly.forward(x);
    paramsOnly.backwardParams(dout);
    expect([...paramsOnly.dW!.toArray()]).toEqual([...full.dW!.toArray()]);
    expect([...paramsOnly.db!.toArray()]).toEqual([...full.db!.toArray()]);
    expect(() => new Affine(W, b).backwardParams(dout)).toThrow('Affine.backwardParams: backward() was called before forward()');
  });

  it('Sequential.gradient (first layer skips dx) equals backward through every layer', () => {
    const net = Sequential.mlp(backend, [12, 8, 6, 4], { seed: 5 });
    const x = backend.tensor(randomValues(5 * 12, 6), [5, 12]);
    const t = backend.tensor([0, 1, 2, 3, 1], [5]);
    const grads = Object.fromEntries(Object.entries(net.gradient(x, t)).map(([k, v]) => [k, v.toArray()]));
    // The book's loop: backward through every layer, the first included.
    net.loss(x, t);
    let dout = net.lastLayer.backward();
    const layers = [...net.layers.values()];
    for (let i = layers.length - 1; i >= 0; i--) dout = layers[i].backward(dout);
    expect(dout.shape).toEqual([5, 12]);
    const affines = layers.filter((l): l is Affine => l instanceof Affine);
    affines.forEach((a, i) => {
      expect([...a.dW!.toArray()], `W${i + 1}`).toEqual([...grads[`W${i + 1}`]]);
      expect([...a.db!.toArray()], `b${i + 1}`).toEqual([...grads[`b${i + 1}`]]);
    });
    net.dispose();
  });
});
