import { describe, expect, it } from 'vitest';
import { Affine, createBackend, SGD, TwoLayerNet, type Backend, type Tensor, type WasmVariant } from '../../ts/index.js';
import { allBackends, makeBackend, randomValues, toleranceRatio, type BackendName } from '../helpers/backends.js';

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
    expect(() => backend.reluForward(t, out)).toThrow(`${backend.name}.reluForward: x (shape [2]) was disposed`);
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
    const t = fresh.tensor(
      Float32Array.from({ length: 50 }, (_, i) => i % 10),
      [50],
    );
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

describe.each(wasmBackends.map((b) => [b.name, b] as const))('out of memory on %s', (name) => {
  const variant = name.slice('wasm-'.length) as WasmVariant;
  const MAX = 16 * 1024 * 1024; // a small maximum keeps filling memory fast

  /** Allocates tensors, largest first, until not even 16 floats fit; returns them. */
  function fill(backend: Backend): Tensor[] {
    const fillers: Tensor[] = [];
    for (let size = 1 << 20; size >= 16; size >>= 2) {
      for (;;) {
        try {
          fillers.push(backend.zeros([size]));
        } catch (e) {
          expect((e as Error).message).toMatch(
            /out of memory: cannot allocate \d+ bytes \(linear memory is \d+ bytes and may grow to at most 16777216\)/,
          );
          break;
        }
      }
    }
    return fillers;
  }

  it('a GEMM that cannot get its workspace throws, names the bytes, and GEMM, Affine and training work after a free', async () => {
    const backend = await createBackend('wasm', { variant, maxMemoryBytes: MAX });
    const [m, k, n] = [64, 300, 70];
    const a = backend.tensor(randomValues(m * k, 1), [m, k]);
    const b = backend.tensor(randomValues(k * n, 2), [k, n]);
    const c = backend.zeros([m, n]);
    const bias = backend.zeros([n]);
    const fillers = fill(backend);
    expect(backend.memoryStats().linearMemoryBytes).toBeGreaterThan(MAX - 64 * 1024);
    for (let attempt = 0; attempt < 3; attempt++) {
      expect(() => backend.gemmNN(m, k, n, a, b, c)).toThrow(
        new RegExp(
          `${name}\\.gemmNN: out of memory: the kernel needs \\d+ bytes of workspace \\(linear memory is 16777216 bytes and may grow to at most 16777216\\)`,
        ),
      );
    }
    expect(() => backend.affineForward(m, k, n, a, b, bias, c)).toThrow(`${name}.affineForward: out of memory: the kernel needs`);
    for (const f of fillers) f.dispose();

    backend.gemmNN(m, k, n, a, b, c);
    const ts = await createBackend('ts');
    const want = ts.zeros([m, n]);
    ts.gemmNN(m, k, n, ts.tensor(a.toArray(), [m, k]), ts.tensor(b.toArray(), [k, n]), want);
    expect(toleranceRatio(c.data, want.data)).toBeLessThanOrEqual(1);

    const affine = new Affine(b, bias);
    const out = affine.forward(a);
    affine.backward(out);
    expect(affine.dW!.data.some((v) => v !== 0)).toBe(true);

    const net = new TwoLayerNet(backend, 64, 32, 10, { seed: 1 });
    const x = backend.tensor(randomValues(20 * 64, 3), [20, 64]);
    const t = backend.tensor(
      Float32Array.from({ length: 20 }, (_, i) => i % 10),
      [20],
    );
    const before = net.loss(x, t);
    const sgd = new SGD({ lr: 0.5 });
    for (let step = 0; step < 5; step++) sgd.update(net.params, net.gradient(x, t));
    expect(net.loss(x, t)).toBeLessThan(before);
  });

  it('a failed training step leaves the net trainable once memory is freed', async () => {
    const backend = await createBackend('wasm', { variant, maxMemoryBytes: MAX });
    const net = new TwoLayerNet(backend, 784, 100, 10, { seed: 2 });
    const x = backend.tensor(randomValues(100 * 784, 4), [100, 784]);
    const t = backend.tensor(
      Float32Array.from({ length: 100 }, (_, i) => i % 10),
      [100],
    );
    const fillers = fill(backend);
    expect(() => net.gradient(x, t)).toThrow('out of memory');
    for (const f of fillers) f.dispose();
    const before = net.loss(x, t);
    new SGD({ lr: 0.1 }).update(net.params, net.gradient(x, t));
    expect(net.loss(x, t)).toBeLessThan(before);
  });

  it('the out-of-memory message states the real limit', async () => {
    const backend = await createBackend('wasm', { variant, maxMemoryBytes: MAX });
    const almostAll = 2 ** 22 - 1000; // within the limit, but the module's own data and stack take more than 4000 bytes
    expect(() => backend.zeros([almostAll])).toThrow(`${name}: out of memory: cannot allocate ${almostAll * 4} bytes (linear memory is`);
    expect(() => backend.zeros([almostAll])).toThrow('and may grow to at most 16777216); dispose tensors you no longer need');
    expect(() => backend.zeros([2 ** 23])).toThrow(
      `${name}.zeros: shape [8388608] has 8388608 elements (33554432 bytes), more than this backend can hold: its linear memory is limited to 16777216 bytes`,
    );
    const full = await createBackend('wasm', { variant });
    expect(() => full.zeros([2 ** 30])).toThrow('more than this backend can hold: its linear memory is limited to 4294967296 bytes');
    expect(() => full.zeros([2 ** 29, 3])).toThrow('its linear memory is limited to 4294967296 bytes');
    expect(backend.zeros([4]).size).toBe(4); // still usable
  });
});
