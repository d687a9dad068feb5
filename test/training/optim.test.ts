import { describe, expect, it } from 'vitest';
import {
  AdaGrad,
  Adam,
  createOptimizer,
  Momentum,
  Nesterov,
  OPTIMIZERS,
  RMSprop,
  Sequential,
  SGD,
  type Backend,
  type Optimizer,
  type Params,
} from '../../ts/index.js';
import { allBackends, randomValues } from '../helpers/backends.js';

// The chapter-6 optimizers: each pinned by a step computed by hand from the book's formulas,
// every backend against the TS oracle over several steps, state allocated once, readable errors.
const backends = await allBackends();

/** w = [1, −2], g = [0.5, −1]: `steps` updates with the same gradient; returns w. */
function run(backend: Backend, optimizer: Optimizer, steps: number): number[] {
  const params: Params = { W: backend.tensor([1, -2], [2]) };
  const grads: Params = { W: backend.tensor([0.5, -1], [2]) };
  for (let i = 0; i < steps; i++) optimizer.update(params, grads);
  const w = params.W.toArray();
  optimizer.dispose();
  params.W.dispose();
  grads.W.dispose();
  return [...w];
}

describe.each(backends.map((b) => [b.name, b] as const))('optimizers on %s', (_name, backend) => {
  it('Momentum: v = 0.9·v − 0.1·g; w += v (two steps by hand)', () => {
    // step 1: v = [−0.05, 0.1], w = [0.95, −1.9]; step 2: v = 0.9·v − 0.1·g = [−0.095, 0.19], w = [0.855, −1.71]
    const w = run(backend, new Momentum({ lr: 0.1, momentum: 0.9 }), 2);
    expect(w[0]).toBeCloseTo(0.855, 6);
    expect(w[1]).toBeCloseTo(-1.71, 6);
  });

  it("Nesterov (the book's current optimizer.py): weight 1, gradient 1, lr 0.1, momentum 0.9 gives 0.81, then 0.539", () => {
    // step 1 (v = 0): w = 1 − 1.9·0.1 = 0.81, v = −0.1; step 2: w = 0.81 + 0.81·(−0.1) − 0.19 = 0.539
    const params: Params = { W: backend.tensor([1], [1]) };
    const grads: Params = { W: backend.tensor([1], [1]) };
    const nesterov = new Nesterov({ lr: 0.1, momentum: 0.9 });
    nesterov.update(params, grads);
    expect(params.W.data[0]).toBeCloseTo(0.81, 6);
    nesterov.update(params, grads);
    expect(params.W.data[0]).toBeCloseTo(0.539, 6);
    nesterov.dispose();
    params.W.dispose();
    grads.W.dispose();
  });

  it('Adam: lr 1, weight 0, gradient 1 gives −0.999996841 after one step (1 − β2 not rounded to f32)', () => {
    // lr_t = √0.001 / 0.1; m = 0.1; v = 0.001; w = −lr_t·0.1/(√0.001 + 1e-7) = −0.99999684…
    // (1 − f32(0.999) = 9.99987e-4 instead gives −1.00000346)
    const params: Params = { W: backend.zeros([1]) };
    const grads: Params = { W: backend.tensor([1], [1]) };
    const adam = new Adam({ lr: 1 });
    adam.update(params, grads);
    expect(Math.abs(params.W.data[0] - -0.999996841)).toBeLessThan(1e-7);
    adam.dispose();
    params.W.dispose();
    grads.W.dispose();
  });

  it('gradients whose square overflows f32 (|g| ≳ 1e19–1e20) stop the parameter, as they would in numpy f32', () => {
    // g² = Infinity makes the state Infinity and the step lr·g/∞ = 0 — on every backend alike
    // (the cross-backend test below checks the bits); a moderate gradient in the same tensor
    // still moves its weight.
    for (const optimizer of [new Adam({ lr: 0.001 }), new RMSprop({ lr: 0.01 }), new AdaGrad({ lr: 0.01 })]) {
      const params: Params = { W: backend.zeros([2]) };
      const grads: Params = { W: backend.tensor([1e21, 1], [2]) };
      optimizer.update(params, grads);
      expect(params.W.data[0], optimizer.constructor.name).toBe(0);
      expect(params.W.data[1], optimizer.constructor.name).toBeLessThan(0);
      optimizer.dispose();
      params.W.dispose();
      grads.W.dispose();
    }
  });

  it('hyper-parameters must be finite in f32, not only in f64', () => {
    expect(() => new SGD({ lr: 1e39 })).toThrow(
      'new SGD({ lr }): expected a finite learning rate, got 1e+39, which is beyond the f32 range (|x| ≤ 3.4028235e+38)',
    );
    expect(() => new Momentum({ lr: 4e38 })).toThrow(
      'new Momentum({ lr }): expected a finite lr, got 4e+38, which is beyond the f32 range',
    );
    const w = backend.zeros([2]);
    const g = backend.zeros([2]);
    expect(() => backend.sgd(1e39, w, g)).toThrow(`${backend.name}.sgd: expected a finite lr, got 1e+39, which is beyond the f32 range`);
    expect(() => backend.adam(1e39, 0.9, 0.999, 1e-7, w, g, backend.zeros([2]), backend.zeros([2]))).toThrow(
      `${backend.name}.adam: expected a finite lrT, got 1e+39`,
    );
    expect(new SGD({ lr: 3e38 }).lr).toBe(3e38); // the largest values are fine
  });

  it('AdaGrad: h += g²; w −= lr·g/(√h + 1e-7) (two steps by hand)', () => {
    // step 1: h = [0.25, 1], w = [0.9, −1.9]; step 2: h = [0.5, 2], w0 = 0.9 − 0.05/√0.5, w1 = −1.9 + 0.1/√2
    const w = run(backend, new AdaGrad({ lr: 0.1 }), 2);
    expect(w[0]).toBeCloseTo(0.8292893, 5);
    expect(w[1]).toBeCloseTo(-1.8292893, 5);
  });

  it('RMSprop: h = 0.99·h + 0.01·g²; w −= lr·g/(√h + 1e-7)', () => {
    // h = [0.0025, 0.01], √h = [0.05, 0.1]; w0 = 1 − 0.01·0.5/0.05 = 0.9; w1 = −2 + 0.01/0.1 = −1.9
    const w = run(backend, new RMSprop({ lr: 0.01, decayRate: 0.99 }), 1);
    expect(w[0]).toBeCloseTo(0.9, 5);
    expect(w[1]).toBeCloseTo(-1.9, 5);
  });

  it('Adam: the bias-corrected first step is lr·sign(g)', () => {
    // lr_t = 0.001·√(1−0.999)/(1−0.9); m = 0.1·g; v = 0.001·g²; lr_t·m/√v = 0.001·sign(g)
    const adam = new Adam();
    const w = run(backend, adam, 1);
    expect(adam.iter).toBe(1);
    expect(w[0]).toBeCloseTo(0.999, 6);
    expect(w[1]).toBeCloseTo(-1.999, 6);
  });

  it('state is allocated once per key on the first update, reused, and freed by dispose()', () => {
    const params: Params = { W1: backend.zeros([3, 4]), b1: backend.zeros([4]) };
    const grads: Params = { W1: backend.tensor(randomValues(12, 1), [3, 4]), b1: backend.tensor(randomValues(4, 2), [4]) };
    const base = backend.memoryStats().liveTensors;
    const adam = new Adam();
    adam.update(params, grads);
    expect(backend.memoryStats().liveTensors).toBe(base + 4); // m and v for W1 and b1
    for (let i = 0; i < 10; i++) adam.update(params, grads);
    expect(backend.memoryStats().liveTensors).toBe(base + 4);
    adam.dispose();
    expect(backend.memoryStats().liveTensors).toBe(base);
  });

  it('a training step with each optimizer allocates nothing after the first', () => {
    const x = backend.tensor(randomValues(8 * 6, 3), [8, 6]);
    const t = backend.tensor([0, 1, 2, 0, 1, 2, 0, 1], [8]);
    for (const name of OPTIMIZERS) {
      const net = Sequential.mlp(backend, [6, 5, 3], { seed: 1 });
      const optimizer = createOptimizer(name);
      optimizer.update(net.params, net.gradient(x, t));
      const after = backend.memoryStats();
      for (let i = 0; i < 20; i++) optimizer.update(net.params, net.gradient(x, t));
      expect(backend.memoryStats(), name).toEqual(after);
      optimizer.dispose();
      net.dispose();
    }
  });

  it('bad hyper-parameters and arguments get readable errors', () => {
    expect(() => new Momentum({ momentum: 1.5 })).toThrow('new Momentum({ momentum }): expected a number in [0, 1), got 1.5');
    expect(() => new Nesterov({ lr: 0 })).toThrow('new Nesterov({ lr }): expected a number > 0, got 0');
    expect(() => new AdaGrad({ lr: NaN })).toThrow('new AdaGrad({ lr }): expected a number > 0, got NaN');
    expect(() => new RMSprop({ decayRate: -0.1 })).toThrow('new RMSprop({ decayRate }): expected a number in [0, 1), got -0.1');
    expect(() => new Adam({ beta2: 1 })).toThrow('new Adam({ beta2 }): expected a number in [0, 1), got 1');
    expect(() => createOptimizer('adamw' as never)).toThrow(
      'createOptimizer: expected one of sgd, momentum, nesterov, adagrad, rmsprop, adam, got "adamw"',
    );
    const w = backend.zeros([2, 2]);
    const g = backend.zeros([2, 2]);
    const v = backend.zeros([2, 2]);
    expect(() => backend.momentum(Infinity, 0.9, w, g, v)).toThrow(`${backend.name}.momentum: expected a finite lr, got Infinity`);
    expect(() => backend.adam(0.001, 0.9, 0.999, 1e-7, w, g, v, backend.zeros([3]))).toThrow(
      `${backend.name}.adam: expected v to hold [2, 2] = 4 elements, got shape [3] (3 elements)`,
    );
    expect(() => backend.rmsprop(0.01, 0.99, 1e-7, w, g, w)).toThrow('must not share memory');
    expect(() => backend.adam(0.001, 0.9, 0.999, 1e-7, w, g, v, v)).toThrow('must not share memory');
    expect(() => new Momentum().update({ W: w }, { b: g })).toThrow("Momentum.update: grads has 'b' but params does not (params: W)");
    expect(() => new Adam().update({ W: w }, { W: backend.zeros([4]) })).toThrow(
      "Adam.update: params['W'] has shape [2, 2] but its gradient has [4]",
    );
  });
});

describe('WASM kernels agree with the TS loops', () => {
  // Both backends do the same f32 operations in the same order with the same constants, so they
  // agree to the last bit; the bound asked for is 1e-6 relative.
  const [oracle, ...wasms] = backends;
  it.each(OPTIMIZERS.map((o) => [o]))('%s: 200 steps on the parameters of a small seeded net', (name) => {
    const results = runEverywhere(name, (size, step, i) => randomValues(size, 1000 * step + i));
    for (const [i, r] of results.slice(1).entries()) {
      r.forEach((p, k) => expect(maxRelativeDiff(p, results[0][k]), `${wasms[i].name} vs ts, param ${k}`).toBeLessThanOrEqual(1e-6));
    }
  });

  it.each(OPTIMIZERS.map((o) => [o]))('%s: the same bits near the f32 limit (gradients up to ±1e30)', (name) => {
    // Large gradients overflow g² or lr·g on purpose: whatever happens (Infinity, NaN, a frozen
    // weight), it must happen alike on every backend.
    const results = runEverywhere(name, (size, step, i) => randomValues(size, 7 * step + i).map((v) => v * 10 ** (30 * Math.abs(v))), 20);
    for (const [i, r] of results.slice(1).entries()) {
      r.forEach((p, k) => expect([...p], `${wasms[i].name} vs ts, param ${k}`).toEqual([...results[0][k]])); // NaN equals NaN (its sign bit is not specified), +0 ≠ −0
    }
  });

  /** `steps` updates of a small seeded net's parameters with the given gradients, on every backend. */
  function runEverywhere(
    name: (typeof OPTIMIZERS)[number],
    gradient: (size: number, step: number, i: number) => Float32Array,
    steps = 200,
  ): Float32Array[][] {
    return [oracle, ...wasms].map((backend) => {
      const net = Sequential.mlp(backend, [20, 9, 5], { seed: 3 });
      const optimizer = createOptimizer(name, { lr: name === 'adam' ? 0.001 : 0.01 });
      const grads: Params = {};
      for (const [key, p] of Object.entries(net.params)) grads[key] = backend.zeros(p.shape);
      for (let step = 0; step < steps; step++) {
        for (const [i, g] of Object.values(grads).entries()) g.data.set(gradient(g.size, step, i));
        optimizer.update(net.params, grads);
      }
      const out = Object.values(net.params).map((p) => p.toArray());
      optimizer.dispose();
      for (const g of Object.values(grads)) g.dispose();
      net.dispose();
      return out;
    });
  }
});

/** max_i |a − b| / |b| (0 where both are 0). */
function maxRelativeDiff(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d > 0) worst = Math.max(worst, d / Math.abs(b[i]));
  }
  return worst;
}

it('SGD and the new optimizers share the Optimizer interface', () => {
  for (const o of OPTIMIZERS) expect(typeof createOptimizer(o).dispose).toBe('function');
  expect(createOptimizer('sgd')).toBeInstanceOf(SGD);
});
