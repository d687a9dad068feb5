import { describe, expect, it } from 'vitest';
import { BatchNormalization, compareGradients, Dropout, numericalGradient, type Backend } from '../../ts/index.js';
import { allBackends, randomValues } from '../helpers/backends.js';
import { batchNormBackwardRef, batchNormForwardRef, dropoutMaskRef, relativeMaxError } from '../helpers/ch6_reference.js';

const backends = await allBackends();
const [ts] = backends;

/** Shapes [N, ...features]: N = 0, 1, odd, even; feature counts not multiples of 4; 4-D inputs flattened per sample. */
const SHAPES: number[][] = [
  [0, 3],
  [1, 1],
  [1, 7],
  [2, 1],
  [2, 5],
  [3, 4],
  [5, 17],
  [7, 3],
  [16, 64],
  [33, 10],
  [100, 50],
  [1, 2, 3, 3],
  [2, 3, 2, 2],
  [5, 1, 5, 3],
  [4, 2, 3, 1],
];
const features = (shape: number[]) => shape.slice(1).reduce((a, d) => a * d, 1);

/** Input values: uniform in [−1, 1) times `scale` plus a per-call offset, so the mean is not ~0. */
function inputs(size: number, seed: number, scale = 1): Float32Array {
  return randomValues(size, seed).map((v) => v * scale + 0.3 * scale);
}

describe.each(backends.map((b) => [b.name, b] as const))('BatchNormalization on %s', (_name, backend: Backend) => {
  it('matches the book’s formulas in float64 (forward, backward, running statistics) over many shapes and input scales', () => {
    let seed = 1;
    for (const shape of SHAPES) {
      for (const scale of [1, 1e-3, 30]) {
        const N = shape[0],
          D = features(shape);
        const x = inputs(N * D, seed++, scale);
        const gamma = randomValues(D, seed++).map((v) => v + 1.5);
        const beta = randomValues(D, seed++);
        const rm = randomValues(D, seed++),
          rv = randomValues(D, seed++).map((v) => v + 1);
        const dout = randomValues(N * D, seed++);
        const layer = new BatchNormalization(backend.tensor(gamma, [D]), backend.tensor(beta, [D]), {
          momentum: 0.8,
          runningMean: backend.tensor(rm, [D]),
          runningVar: backend.tensor(rv, [D]),
        });
        const label = `shape [${shape}] scale ${scale}`;
        const out = layer.forward(backend.tensor(x, shape));
        expect(out.shape, label).toEqual(shape);
        const dx = layer.backward(backend.tensor(dout, shape));
        expect(dx.shape, label).toEqual(shape);
        if (N === 0) {
          // no statistics to take: the running ones stay as they were
          expect([...layer.runningMean.data], label).toEqual([...rm]);
          continue;
        }
        const ref = batchNormForwardRef(x, N, D, gamma, beta, rm, rv, 0.8, true);
        const back = batchNormBackwardRef(dout, N, D, gamma, ref);
        expect(relativeMaxError(out.data, ref.out), `${label} out`).toBeLessThan(2e-6);
        expect(relativeMaxError(layer.runningMean.data, ref.runningMean), `${label} running mean`).toBeLessThan(1e-6);
        expect(relativeMaxError(layer.runningVar.data, ref.runningVar), `${label} running var`).toBeLessThan(1e-6);
        // dx = γ/σ·(dout − mean − xn·mean(xn·dout)) cancels (to ~0 for N = 2): measure it against the size of its terms
        const dxScale = Math.max(...gamma.map((g, j) => Math.abs(g) / ref.std[j])) * Math.max(...dout.map(Math.abs));
        expect(relativeMaxError(dx.data, back.dx, dxScale), `${label} dx`).toBeLessThan(1e-6);
        expect(relativeMaxError(layer.dgamma!.data, back.dgamma), `${label} dgamma`).toBeLessThan(1e-5);
        expect(relativeMaxError(layer.dbeta!.data, back.dbeta), `${label} dbeta`).toBeLessThan(1e-5);
        // test mode: the running statistics the training forward left
        const test = batchNormForwardRef(x, N, D, gamma, beta, ref.runningMean, ref.runningVar, 0.8, false);
        expect(relativeMaxError(layer.forward(backend.tensor(x, shape), false).data, test.out), `${label} test-mode out`).toBeLessThan(
          2e-6,
        );
        layer.dispose();
      }
    }
  });

  it('defaults: momentum 0.9, running statistics start at zero, N = 1 gives out = β and dx = 0', () => {
    const layer = new BatchNormalization(backend.tensor([2, 3], [2]), backend.tensor([0.5, -1], [2]));
    expect(layer.momentum).toBe(0.9);
    const out = layer.forward(backend.tensor([[4, -2]]));
    expect([...out.data]).toEqual([0.5, -1]);
    expect([...layer.runningMean.data].map((v) => +v.toFixed(6))).toEqual([0.4, -0.2]);
    expect([...layer.backward(backend.tensor([[1, 1]])).data]).toEqual([0, 0]);
  });

  it('dx, dγ and dβ agree with central differences of Σ r ⊙ out', () => {
    const N = 6,
      D = 5;
    const x = backend.tensor(inputs(N * D, 3), [N, D]);
    const gamma = backend.tensor(
      randomValues(D, 4).map((v) => v + 1.5),
      [D],
    );
    const beta = backend.tensor(randomValues(D, 5), [D]);
    const layer = new BatchNormalization(gamma, beta);
    const r = randomValues(N * D, 6);
    const objective = () => layer.forward(x).data.reduce((s, y, i) => s + r[i] * y, 0);
    layer.forward(x);
    const dx = layer.backward(backend.tensor(r, [N, D])).toArray();
    const [dgamma, dbeta] = [layer.dgamma!.toArray(), layer.dbeta!.toArray()];
    expect(compareGradients(dx, numericalGradient(objective, x, 1e-2), 1e-3).ok).toBe(true);
    expect(compareGradients(dgamma, numericalGradient(objective, gamma, 1e-2), 1e-3).ok).toBe(true);
    expect(compareGradients(dbeta, numericalGradient(objective, beta, 1e-2), 1e-3).ok).toBe(true);
  });

  it('refuses bad input with clear errors and stays usable', () => {
    const layer = new BatchNormalization(backend.tensor([1, 1, 1], [3]), backend.zeros([3]));
    expect(() => layer.forward(backend.zeros([2, 4]))).toThrow(
      'BatchNormalization.forward: x has 4 features per sample (shape [2, 4]) but gamma has 3',
    );
    expect(() => layer.forward(backend.zeros([3]))).toThrow(
      'BatchNormalization.forward: expected x of shape [batch, ...] with 3 features per sample, got [3]',
    );
    expect(() => layer.backward(backend.zeros([2, 3]))).toThrow('BatchNormalization.backward: backward() was called before forward()');
    layer.forward(backend.zeros([2, 3]), false);
    expect(() => layer.backward(backend.zeros([2, 3]))).toThrow('BatchNormalization.backward: the last forward ran in test mode');
    expect(() => new BatchNormalization(backend.zeros([3]), backend.zeros([4]))).toThrow(
      'expected beta of shape [3] to match gamma, got [4]',
    );
    expect(() => new BatchNormalization(backend.zeros([3]), backend.zeros([3]), { momentum: 2 })).toThrow(
      'expected momentum from 0 to 1, got 2',
    );
    expect(() => layer.forward(backend.zeros([2, 3]), 'yes' as unknown as boolean)).toThrow('expected train to be true or false');
    expect(
      layer.forward(
        backend.tensor([
          [1, 2, 3],
          [3, 2, 1],
        ]),
      ).data[0],
    ).toBeCloseTo(-1, 5);
  });
});

describe.each(backends.map((b) => [b.name, b] as const))('Dropout on %s', (_name, backend: Backend) => {
  it('training: out = x·mask with mask = rand > ratio from the seeded generator; backward = dout·mask', () => {
    let seed = 100;
    for (const shape of SHAPES) {
      for (const ratio of [0, 0.15, 0.5, 0.9]) {
        const size = shape.reduce((a, d) => a * d, 1);
        const x = randomValues(size, seed++);
        const dout = randomValues(size, seed++);
        const layerSeed = seed++;
        const layer = new Dropout({ ratio, seed: layerSeed });
        const mask = dropoutMaskRef(size, ratio, layerSeed);
        const out = layer.forward(backend.tensor(x, shape));
        expect(out.shape).toEqual(shape);
        expect([...out.data]).toEqual([...x].map((v, i) => Math.fround(v * mask[i])));
        expect([...layer.backward(backend.tensor(dout, shape)).data]).toEqual([...dout].map((v, i) => Math.fround(v * mask[i])));
        layer.dispose();
      }
    }
  });

  it('test mode: out = x·(1 − ratio), and backward scales dout the same way', () => {
    const layer = new Dropout({ ratio: 0.3 });
    const x = randomValues(35, 7);
    const out = layer.forward(backend.tensor(x, [5, 7]), false);
    expect(
      relativeMaxError(
        out.data,
        [...x].map((v) => v * 0.7),
      ),
    ).toBeLessThan(1e-7);
    const dx = layer.backward(backend.tensor(x, [5, 7]));
    expect(
      relativeMaxError(
        dx.data,
        [...x].map((v) => v * 0.7),
      ),
    ).toBeLessThan(1e-7);
    const xt = backend.tensor(x, [5, 7]);
    const objective = () => layer.forward(xt, false).data.reduce((s, y, i) => s + x[i] * y, 0);
    expect(compareGradients(dx.toArray(), numericalGradient(objective, xt, 1e-2), 1e-3).ok).toBe(true);
  });

  it('drops about `ratio` of the units, a new mask per forward, the same masks for the same seed', () => {
    const a = new Dropout({ ratio: 0.5, seed: 9 }),
      b = new Dropout({ ratio: 0.5, seed: 9 });
    const x = backend.tensor(new Float32Array(10000).fill(1), [100, 100]);
    const first = a.forward(x).toArray();
    const kept = first.reduce((s, v) => s + v, 0);
    expect(kept).toBeGreaterThan(4800);
    expect(kept).toBeLessThan(5200);
    expect([...b.forward(x).data]).toEqual([...first]);
    expect([...a.forward(x).data]).not.toEqual([...first]);
  });

  it('refuses bad options and input with clear errors', () => {
    expect(() => new Dropout({ ratio: 1.5 })).toThrow('new Dropout({ ratio }): expected a ratio from 0 up to (not including) 1, got 1.5');
    expect(() => new Dropout({ seed: 0.5 })).toThrow('new Dropout({ seed }): expected an integer seed');
    expect(() => new Dropout(null as never)).toThrow('new Dropout(options): expected options to be an object');
    const layer = new Dropout();
    expect(() => layer.backward(backend.zeros([2]))).toThrow('Dropout.backward: backward() was called before forward()');
    layer.forward(backend.zeros([2, 3]));
    expect(() => layer.backward(backend.zeros([3, 2]))).toThrow('Dropout.backward: expected dout of shape [2, 3]');
  });
});

describe('WASM = TS on the chapter-6 layers', () => {
  const run = (backend: Backend, shape: number[], seed: number) => {
    const D = features(shape);
    const layer = new BatchNormalization(
      backend.tensor(
        randomValues(D, seed).map((v) => v + 1),
        [D],
      ),
      backend.tensor(randomValues(D, seed + 1), [D]),
    );
    const x = backend.tensor(
      inputs(
        shape.reduce((a, d) => a * d, 1),
        seed + 2,
      ),
      shape,
    );
    const out = layer.forward(x).toArray();
    const dout = randomValues(x.size, seed + 3);
    const dx = layer.backward(backend.tensor(dout, shape)).toArray();
    // dx cancels (to ~0 for N = 2): compare it against the size of its terms, |γ·invStd·dout|
    const g = layer.gamma.data,
      inv = layer.invStd!.data;
    const dxScale = Math.max(0, ...Array.from(g, (v, j) => Math.abs(v * inv[j]))) * Math.max(0, ...dout.map(Math.abs));
    const drop = new Dropout({ ratio: 0.4, seed });
    const dropped = drop.forward(x).toArray();
    const test = drop.forward(x, false).toArray();
    const tested = layer.forward(x, false).toArray();
    return {
      out,
      dx,
      dgamma: layer.dgamma!.toArray(),
      dbeta: layer.dbeta!.toArray(),
      rm: layer.runningMean.toArray(),
      rv: layer.runningVar.toArray(),
      dropped,
      test,
      tested,
      dxScale,
    };
  };
  it.each(backends.slice(1).map((b) => [b.name, b] as const))('%s against ts over many shapes', (_name, wasm) => {
    SHAPES.forEach((shape, i) => {
      const want = run(ts, shape, 10 * i + 1),
        got = run(wasm, shape, 10 * i + 1);
      for (const key of ['out', 'dgamma', 'dbeta', 'rm', 'rv', 'tested'] as const) {
        expect(relativeMaxError(got[key], want[key]), `shape [${shape}] ${key}`).toBeLessThan(1e-5);
      }
      expect(relativeMaxError(got.dx, want.dx, want.dxScale), `shape [${shape}] dx`).toBeLessThan(1e-6);
      // the same mask from the same seed, the same products: bit for bit
      expect([...got.dropped]).toEqual([...want.dropped]);
      expect([...got.test]).toEqual([...want.test]);
    });
  });
});
