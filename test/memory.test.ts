import { describe, expect, it } from 'vitest';
import { SGD, TwoLayerNet, type Backend } from '../ts/index.js';
import { allBackends, makeBackend, randomValues, type BackendName } from './backends.js';

const backends = await allBackends();
const wasmBackends = backends.filter((b) => b.kind === 'wasm');

describe.each(wasmBackends.map((b) => [b.name, b] as const))('linear memory on %s', (_name, backend: Backend) => {
  it('a tensor’s data stays valid after memory grows, though an old view dies', () => {
    const t = backend.tensor([1, 2, 3], [3]);
    const oldView = t.data;
    const before = backend.memoryStats().linearMemoryBytes;
    const big = backend.zeros([16 * 1024 * 1024]); // 64 MiB: more than is free, so memory.grow runs
    expect(backend.memoryStats().linearMemoryBytes).toBeGreaterThan(before);
    expect(oldView.length).toBe(0); // the old ArrayBuffer was detached by the growth
    expect([...t.data]).toEqual([1, 2, 3]);
    t.data[1] = 5;
    expect([...t.toArray()]).toEqual([1, 5, 3]);
    big.dispose();
    t.dispose();
  });

  it('freed memory is reused: the same allocation after a dispose takes no new bytes', () => {
    const a = backend.zeros([1000]);
    a.dispose();
    const grownTo = backend.memoryStats().linearMemoryBytes;
    for (let i = 0; i < 100; i++) backend.zeros([1000]).dispose();
    expect(backend.memoryStats().linearMemoryBytes).toBe(grownTo);
  });
});

describe.each(backends.map((b) => [b.name, b] as const))('tensor lifetime on %s', (_name, backend: Backend) => {
  it('use after dispose throws a clear error; dispose is idempotent', () => {
    const t = backend.tensor([1, 2], [2]);
    const out = backend.zeros([2]);
    t.dispose();
    t.dispose();
    expect(t.disposed).toBe(true);
    expect(() => t.data).toThrow('Tensor[2] was disposed; it cannot be used any more');
    expect(() => t.toArray()).toThrow('was disposed');
    expect(() => backend.reluForward(t, out)).toThrow(`${backend.name}.reluForward: input 1 (shape [2]) was disposed`);
    out.dispose();
  });

  it('a reshaped view shares the numbers and dies with its tensor', () => {
    const t = backend.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const v = t.reshape([3, 2]);
    v.data[0] = 9;
    expect(t.data[0]).toBe(9);
    v.dispose(); // a view only detaches itself
    expect(t.data[0]).toBe(9);
    const w = t.reshape([6]);
    t.dispose();
    expect(() => w.data).toThrow('was disposed');
  });

  it('zeros() is zero even where the allocator hands back a block that held numbers', () => {
    for (let i = 0; i < 20; i++) {
      const used = backend.tensor(new Array(257).fill(7), [257]);
      used.dispose();
      const zeros = backend.zeros([257]);
      expect(zeros.data.every((v) => v === 0)).toBe(true);
      zeros.dispose();
    }
  });

  it('memory stats count live tensors and bytes', () => {
    const start = backend.memoryStats();
    const a = backend.zeros([10, 10]);
    expect(backend.memoryStats().liveTensors).toBe(start.liveTensors + 1);
    expect(backend.memoryStats().allocatedBytes).toBe(start.allocatedBytes + 400);
    a.dispose();
    expect(backend.memoryStats()).toEqual(start);
  });

  it('1,000 training steps allocate nothing after the first', async () => {
    const fresh = await makeBackend(backend.name as BackendName); // nothing else alive in it
    const net = new TwoLayerNet(fresh, 64, 32, 10, { seed: 1 });
    const x = fresh.tensor(randomValues(50 * 64, 2), [50, 64]);
    const t = fresh.tensor(Float32Array.from({ length: 50 }, (_, i) => i % 10), [50]);
    const sgd = new SGD({ lr: 0.1 });
    sgd.update(net.params, net.gradient(x, t));
    const afterFirst = fresh.memoryStats();
    for (let step = 1; step < 1000; step++) sgd.update(net.params, net.gradient(x, t));
    expect(fresh.memoryStats()).toEqual(afterFirst);
    net.dispose();
    x.dispose();
    t.dispose();
    expect(fresh.memoryStats().liveTensors).toBe(0);
  });
});
