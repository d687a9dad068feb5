import { describe, expect, it } from 'vitest';
import { scheduledLr, type TrainConfig, Trainer } from '../../demo/trainer.js';
import { Adam, createBackend, OPTIMIZERS, createOptimizer } from '../../ts/index.js';
import { randomValues } from '../helpers/backends.js';

// The learning-rate schedule of the apps (--lr-schedule, the DeepConvNet recipe) and the settable
// lr of the optimizers it relies on.
const backend = await createBackend('ts');

/** 200 random "digits": 10 steps an epoch at batch 20. */
function data() {
  const digits = (count: number, seed: number) => ({
    images: randomValues(count * 784, seed).map((v) => (v + 1) / 2),
    labels: Float32Array.from({ length: count }, (_, i) => i % 10),
    count,
  });
  return { train: digits(200, 1), test: digits(20, 2) };
}
const config: TrainConfig = { hidden: [8], batch: 20, lr: 0.01, optimizer: 'adam', init: 'he', seed: 1 };

describe('the cosine schedule', () => {
  it('goes from lr down along a half cosine, never to 0, and stays at its last value past the end', () => {
    expect(scheduledLr(0.1, 0, 100)).toBe(0.1);
    expect(scheduledLr(0.1, 50, 100)).toBeCloseTo(0.05, 12);
    expect(scheduledLr(0.1, 25, 100)).toBeCloseTo(0.05 * (1 + Math.SQRT1_2), 12);
    const last = scheduledLr(0.1, 99, 100);
    expect(last).toBeGreaterThan(0);
    expect(last).toBeLessThan(1e-4);
    expect(scheduledLr(0.1, 500, 100)).toBe(last);
  });

  it('the Trainer sets the optimizer lr before each update: epochs × steps-per-epoch steps in all', () => {
    const trainer = new Trainer(backend, data(), { ...config, lrSchedule: 'cosine', epochs: 2 });
    const seen: number[] = [];
    for (let i = 0; i < 20; i++) {
      trainer.step();
      seen.push(trainer.optimizer.lr);
    }
    expect(seen.map((lr, s) => lr / scheduledLr(0.01, s, 20))).toEqual(Array(20).fill(1));
    expect(seen[10]).toBeCloseTo(0.005, 12); // half way: half the lr
    trainer.dispose();
    // 'constant' (the default) leaves it alone
    const constant = new Trainer(backend, data(), config);
    for (let i = 0; i < 5; i++) constant.step();
    expect(constant.optimizer.lr).toBe(0.01);
    constant.dispose();
  });

  it("goes on from a loaded optimizer with its state but restarts the cosine from the config's lr (the file's lr has decayed)", () => {
    const first = new Trainer(backend, data(), { ...config, lrSchedule: 'cosine', epochs: 1 });
    for (let i = 0; i < 10; i++) first.step();
    expect(first.optimizer.lr).toBeLessThan(0.001);
    const again = new Trainer(
      backend,
      data(),
      { ...config, lrSchedule: 'cosine', epochs: 1 },
      { net: first.net, optimizer: first.optimizer },
    );
    again.step();
    expect(again.optimizer.lr).toBe(0.01);
    expect((again.optimizer as Adam).iter).toBe(11); // the state went on
    again.dispose();
  });

  it('refuses a schedule it does not know, or a cosine without the run length', () => {
    expect(() => new Trainer(backend, data(), { ...config, lrSchedule: 'step' as never, epochs: 2 })).toThrow(
      `Trainer: expected lrSchedule 'constant' or 'cosine', got "step"`,
    );
    expect(() => new Trainer(backend, data(), { ...config, lrSchedule: 'cosine' })).toThrow(
      "Trainer: the 'cosine' schedule is spread over the run, so it needs epochs ≥ 1, got undefined",
    );
    expect(() => new Trainer(backend, data(), { ...config, lrSchedule: 'cosine', epochs: 0 })).toThrow('needs epochs ≥ 1, got 0');
  });
});

describe("optimizers' lr is settable, and checked", () => {
  it.each(OPTIMIZERS)('%s takes a new lr for its next update and refuses ≤ 0, NaN and beyond f32', (name) => {
    const optimizer = createOptimizer(name, { lr: 0.1 });
    optimizer.lr = 0.05;
    expect(optimizer.lr).toBe(0.05);
    const owner = optimizer.constructor.name;
    for (const [bad, found] of [
      [0, '0'],
      [-1, '-1'],
      [Number.NaN, 'NaN'],
    ] as const)
      expect(() => (optimizer.lr = bad)).toThrow(`${owner}.lr: expected a positive learning rate, got ${found}`);
    expect(() => (optimizer.lr = 1e39)).toThrow(`${owner}.lr: expected a finite learning rate, got 1e+39, which is beyond`);
    expect(() => (optimizer.lr = '0.1' as never)).toThrow(`${owner}.lr: expected a positive learning rate, got a string ("0.1")`);
    expect(optimizer.lr).toBe(0.05);
  });

  it("an update uses the lr set just before it (Adam's first step moves each weight by lr)", () => {
    const W = backend.tensor([1, 2], [2]);
    const g = backend.tensor([1, 1], [2]);
    const adam = new Adam({ lr: 0.1 });
    adam.lr = 0.5;
    // Adam's first step moves each weight by lr (m̂/√v̂ = 1 for a constant gradient)
    adam.update({ W }, { W: g });
    expect(Array.from(W.data).map((v) => +v.toFixed(5))).toEqual([0.5, 1.5]);
    adam.dispose();
  });
});
