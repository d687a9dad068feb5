// The threaded WASM build: every kernel of the contract gives bitwise the same outputs on 2, 3
// and 4 threads as the one-thread build (and stays within tolerance of the TS oracle); whole
// training runs match bit for bit; the `threads` option, fallback, memory growth, dispose, a
// worker failure and a process that never disposes.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { Adam, createBackend, SGD, SimpleConvNet, TwoLayerNet, type Backend, type Sequential, type Tensor } from '../../ts/index.js';
import { type ArgSpec, KERNELS, type KernelName } from '../../ts/core/kernels.js';
import { WasmBackend } from '../../ts/backends/wasm.js';
import { instantiateThreadedBytes } from '../../ts/wasm/load.js';
import { AUTO_THREADS_CAP, startPool } from '../../ts/wasm/threads.js';
import { MAX_THREADS } from '../../ts/backends/create.js';
import { randomValues, toleranceRatio } from '../helpers/backends.js';

const THREADS = [2, 3, 4] as const;
const single = await createBackend('wasm', { variant: 'simd128' });
const oracle = await createBackend('ts');
// Pinned to all their threads: the governor would move a loaded machine to one, and these tests
// are about the split (the governor has its own, governor.test.ts and threads_busy.test.ts).
const threaded = await Promise.all(THREADS.map((threads) => createBackend('wasm', { threads }).then(pinned)));
afterAll(() => {
  for (const b of threaded) b.dispose();
});

type Dims = Record<string, number | string>;

function pinned(b: Backend): Backend {
  (b as WasmBackend).pinThreads();
  return b;
}

/** Shapes by the dimensions a kernel declares: odd sizes, and sizes past the split thresholds (crate/src/parallel.rs users). */
const gemmShapes: Dims[] = [
  { m: 3, k: 5, n: 2 },
  { m: 17, k: 33, n: 9 },
  { m: 100, k: 784, n: 50 },
  { m: 784, k: 100, n: 50 },
  { m: 100, k: 50, n: 784 },
  { m: 128, k: 784, n: 256 },
  { m: 301, k: 257, n: 129 },
  { m: 5, k: 300, n: 1031 },
  { m: 1031, k: 300, n: 5 },
];
const matrices: Dims[] = [
  { rows: 1, cols: 1 },
  { rows: 100, cols: 10 },
  { rows: 7, cols: 1000 },
  { rows: 1000, cols: 7 },
  { rows: 256, cols: 513 },
  { rows: 2049, cols: 100 },
];
/** Element-wise kernels (no dimensions): every tensor of `size` elements. */
const lengths: Dims[] = [{ size: 1 }, { size: 7 }, { size: 1000 }, { size: 33_333 }, { size: 200_001 }];
const windows: Dims[] = [
  { n: 1, c: 1, h: 5, w: 5, fh: 3, fw: 3, stride: 1, pad: 0, filters: 2 },
  { n: 3, c: 2, h: 9, w: 7, fh: 3, fw: 2, stride: 2, pad: 1, filters: 5 },
  { n: 100, c: 1, h: 28, w: 28, fh: 5, fw: 5, stride: 1, pad: 0, filters: 30 }, // the book's CNN
  { n: 7, c: 3, h: 16, w: 16, fh: 3, fw: 3, stride: 1, pad: 1, filters: 16 },
];
const poolingWindows: Dims[] = [
  ...windows.map((d) => ({ ...d, fh: 2, fw: 2, stride: 2, pad: 0 })),
  { n: 10, c: 30, h: 24, w: 24, fh: 2, fw: 2, stride: 2, pad: 0 },
  { n: 5, c: 7, h: 65, w: 63, fh: 3, fw: 3, stride: 2, pad: 1 },
];
/** A convolution and the pooling of its output (convReluPoolBackward). */
const convPools: Dims[] = [
  { n: 1, c: 1, h: 6, w: 6, fh: 3, fw: 3, stride: 1, pad: 0, filters: 2, poolH: 2, poolW: 2, poolStride: 2, poolPad: 0 },
  { n: 3, c: 2, h: 9, w: 7, fh: 3, fw: 2, stride: 2, pad: 1, filters: 5, poolH: 2, poolW: 2, poolStride: 1, poolPad: 1 },
  { n: 100, c: 1, h: 28, w: 28, fh: 5, fw: 5, stride: 1, pad: 0, filters: 30, poolH: 2, poolW: 2, poolStride: 2, poolPad: 0 }, // the book's CNN
  { n: 7, c: 3, h: 16, w: 16, fh: 3, fw: 3, stride: 1, pad: 1, filters: 16, poolH: 3, poolW: 3, poolStride: 2, poolPad: 1 },
];
const SHAPES: Record<string, Dims[]> = {
  '': lengths,
  'm k n': gemmShapes,
  'rows cols': matrices,
  'n c h w fh fw stride pad filters': windows,
  'n c h w fh fw stride pad': poolingWindows,
  'n c h w fh fw stride pad filters poolH poolW poolStride poolPad': convPools,
};

/**
 * The shapes of kernel `name`, derived from its contract entry: by the dimensions it declares,
 * once per value of its flag, and once more with its optional outputs null.
 */
function casesOf(name: KernelName): Dims[] {
  const args = KERNELS[name].args as readonly ArgSpec[];
  const key = args
    .filter((a) => a.role === 'dim')
    .map((a) => a.name)
    .join(' ');
  const shapes = SHAPES[key];
  if (!shapes) throw new Error(`${name}: no shapes for the dimensions '${key}'; add them to SHAPES`);
  const flag = args.find((a) => a.role === 'flag');
  const flagged = flag?.role === 'flag' ? shapes.flatMap((d) => flag.values.map((v) => ({ ...d, [flag.name]: v }))) : shapes;
  return args.some((a) => a.role === 'optOut') ? flagged.flatMap((d) => [d, { ...d, noOptional: 1 }]) : flagged;
}

/** Hyper-parameters by name (the rest get 0.01). */
const SCALARS: Record<string, number> = { momentum: 0.9, decay: 0.99, beta1: 0.9, beta2: 0.999, eps: 1e-7, s: 0.5 };
/** Tensors whose values must be ≥ 0 (variances, squared-gradient sums). */
const NON_NEGATIVE = new Set(['runningVar', 'invStd', 'h', 'v']);

interface Call {
  args: unknown[];
  /** The tensors the call writes, by name. */
  outputs: [string, Tensor][];
}

/** The public arguments of one call of `name` on `backend`, from the contract's roles; seeded values. */
function makeCall(backend: Backend, name: KernelName, d: Dims, seed: number): Call {
  const spec = KERNELS[name];
  const a: Record<string, unknown> = { ...d };
  const size = Number(d.size ?? 0);
  for (const arg of spec.args) if ('expect' in arg) a[arg.name] = { size, shape: [size] }; // for like(): sized by `size`
  const args: unknown[] = [];
  const outputs: [string, Tensor][] = [];
  let s = seed;
  for (const arg of spec.args) {
    if (arg.role === 'derived') continue;
    if (arg.role === 'dim') args.push(d[arg.name]);
    else if (arg.role === 'scalar') args.push(SCALARS[arg.name] ?? 0.01);
    else if (arg.role === 'flag') args.push(d[arg.name] ?? arg.values[0]);
    else {
      if (arg.role === 'optOut' && d.noOptional) {
        a[arg.name] = null;
        args.push(null);
        continue;
      }
      const n = arg.expect.size(a as never);
      let values = randomValues(n, s++);
      const cols = Number(d.cols);
      if (arg.name === 't')
        values =
          d.targets === 'labels'
            ? values.map((v) => Math.floor(((v + 1) / 2) * cols))
            : values.map((_, i) => (i % cols === (Math.floor(i / cols) * 7) % cols ? 1 : 0));
      else if (arg.name === 'argmax')
        values = values.map((v) => Math.floor(((v + 1) / 2) * Number(d.poolH ?? d.fh) * Number(d.poolW ?? d.fw)));
      else if (arg.name === 'mask') values = values.map((v) => (v > 0 ? 1 : 0));
      else if (NON_NEGATIVE.has(arg.name)) values = values.map(Math.abs);
      const t = backend.tensor(values, [n]);
      a[arg.name] = t;
      args.push(t);
      if (arg.role !== 'input') outputs.push([arg.name, t]);
    }
  }
  return { args, outputs };
}

function run(backend: Backend, name: KernelName, d: Dims, seed: number): { result: unknown; outputs: [string, Float32Array][] } {
  const call = makeCall(backend, name, d, seed);
  const result = (backend[name] as (...args: unknown[]) => unknown)(...call.args);
  const outputs = call.outputs.map(([n, t]): [string, Float32Array] => [n, t.data.slice()]);
  for (const v of call.args) if (v && typeof v === 'object') (v as Tensor).dispose();
  return { result, outputs };
}

/** Index of the first element that is not bitwise the same (Object.is), or -1. */
function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

describe('every kernel on 2, 3 and 4 threads is bitwise the one-thread build', () => {
  it('the threaded backends run on their threads', () => {
    expect(threaded.map((b) => b.threads)).toEqual([...THREADS]);
    expect(threaded.map((b) => b.threadsUnavailable)).toEqual([undefined, undefined, undefined]);
  });

  for (const name of Object.keys(KERNELS) as KernelName[]) {
    it(name, () => {
      for (const [i, d] of casesOf(name).entries()) {
        const want = run(single, name, d, i * 100);
        const ts = run(oracle, name, d, i * 100);
        for (const [b, backend] of threaded.entries()) {
          const got = run(backend, name, d, i * 100);
          const where = `${name} ${JSON.stringify(d)} on ${THREADS[b]} threads`;
          expect(Object.is(got.result, want.result), `${where}: returned ${String(got.result)}, one thread ${String(want.result)}`).toBe(
            true,
          );
          for (const [o, [out, values]] of got.outputs.entries()) {
            const at = firstDifference(values, want.outputs[o][1]);
            expect(at, `${where}: ${out}[${at}] is ${values[at]}, one thread ${want.outputs[o][1][at]}`).toBe(-1);
            expect(toleranceRatio(values, ts.outputs[o][1], 1e-4, 1e-3), `${where}: ${out} against the TS backend`).toBeLessThanOrEqual(1);
          }
        }
      }
    });
  }
});

describe('the threads option', () => {
  it('defaults to one thread with no workers, also for the TS backend', async () => {
    const b = await createBackend('wasm');
    expect([b.threads, b.threadsUnavailable]).toEqual([1, undefined]);
    b.dispose(); // nothing to end: a no-op
    expect([oracle.threads, oracle.threadsUnavailable]).toEqual([1, undefined]);
  });

  it("'auto' takes the cores Node reports, at most 8", async () => {
    const { availableParallelism } = await import('node:os');
    const b = await createBackend('wasm', { threads: 'auto' });
    expect(b.threads).toBe(Math.min(AUTO_THREADS_CAP, availableParallelism()));
    b.dispose();
  });

  it.each([0, -1, 1.5, 65, NaN, 'many', '2', false])('rejects threads %s, naming what it expects', async (threads) => {
    await expect(createBackend('wasm', { threads: threads as never })).rejects.toThrow(
      `createBackend('wasm'): expected threads to be 'auto' or a whole number from 1 to ${MAX_THREADS}, got`,
    );
  });

  it("the 'ts' backend asked for threads runs on one and says why", async () => {
    const asked = await createBackend('ts', { threads: 2 });
    expect(asked.threads).toBe(1);
    expect(asked.threadsUnavailable).toMatch(/pure-TypeScript backend runs on one thread/);
    expect((await createBackend('ts')).threadsUnavailable).toBeUndefined();
    expect((await createBackend('ts', { threads: 1 })).threadsUnavailable).toBeUndefined();
  });

  it('threads run on the SIMD128 build: another explicit variant with threads is an error', async () => {
    await expect(createBackend('wasm', { variant: 'scalar', threads: 2 })).rejects.toThrow(
      "threads run on the SIMD128 build; use variant 'auto' or 'simd128' with threads, got variant 'scalar' with threads 2",
    );
    const b = await createBackend('wasm', { variant: 'simd128', threads: 2 });
    expect([b.name, b.threads]).toEqual(['wasm-simd128', 2]);
    b.dispose();
  });

  it('falls back to one thread, with the reason, where memory cannot be shared', async () => {
    const saved = globalThis.SharedArrayBuffer;
    // @ts-expect-error simulating an engine (or a page that is not cross-origin isolated) without it
    delete globalThis.SharedArrayBuffer;
    try {
      const b = await createBackend('wasm', { threads: 4 });
      expect(b.threads).toBe(1);
      expect(b.threadsUnavailable).toMatch(/no SharedArrayBuffer, so it cannot share memory between threads/);
      expect(b.gemmNN(1, 1, 1, b.tensor([2], [1]), b.tensor([3], [1]), b.zeros([1]))).toBeUndefined();
    } finally {
      globalThis.SharedArrayBuffer = saved;
    }
    const g = globalThis as { crossOriginIsolated?: boolean };
    g.crossOriginIsolated = false; // a page served without COOP/COEP
    try {
      const b = await createBackend('wasm', { threads: 2 });
      expect([b.threads, b.threadsUnavailable]).toEqual([1, expect.stringContaining('Cross-Origin-Embedder-Policy: require-corp')]);
    } finally {
      delete g.crossOriginIsolated;
    }
    const w = globalThis as { window?: unknown };
    w.window = globalThis; // a browser's main thread (no WorkerGlobalScope)
    try {
      const b = await createBackend('wasm', { threads: 2 });
      expect([b.threads, b.threadsUnavailable]).toEqual([1, expect.stringContaining("a browser's main thread may not block")]);
    } finally {
      delete w.window;
    }
  });
});

describe('a threaded backend', () => {
  it('sees memory growth in its views (a shared buffer is not detached, it is replaced by a longer one)', async () => {
    const b = await createBackend('wasm', { threads: 2 });
    const early = b.tensor(randomValues(1000, 1), [1000]);
    const before = b.memoryStats().linearMemoryBytes;
    const m = 512;
    const big = [b.tensor(randomValues(m * m, 2), [m, m]), b.tensor(randomValues(m * m, 3), [m, m]), b.zeros([m, m])];
    const grown = b.tensor(randomValues(4 << 20, 4), [4 << 20]); // 16 MiB: memory must grow
    expect(b.memoryStats().linearMemoryBytes).toBeGreaterThan(before);
    b.gemmNN(m, m, m, big[0], big[1], big[2]);
    const check = single.zeros([m * m]);
    single.gemmNN(m, m, m, single.tensor(big[0].data, [m * m]), single.tensor(big[1].data, [m * m]), check);
    expect(firstDifference(big[2].data, check.data)).toBe(-1);
    expect(grown.data.length).toBe(4 << 20);
    expect(grown.data[(4 << 20) - 1]).toBe(randomValues(4 << 20, 4)[(4 << 20) - 1]);
    expect(early.data.length).toBe(1000);
    expect([...early.data.subarray(0, 3)]).toEqual([...randomValues(3, 1)]);
    b.dispose();
  });

  it('dispose ends the workers (the process has their OS threads no more)', () => {
    // In a child process, so that no other test's threads come and go meanwhile.
    const script = `import { readFileSync } from 'node:fs';
      import { createBackend } from './ts/index.ts';
      const osThreads = () => Number(/^Threads:\\s+(\\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
      const without = osThreads();
      const b = await createBackend('wasm', { threads: 4 });
      const withPool = osThreads();
      b.dispose();
      for (let i = 0; i < 100 && osThreads() > withPool - 3; i++) await new Promise((r) => setTimeout(r, 20));
      console.log(JSON.stringify({ started: withPool - without, ended: withPool - osThreads() }));`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: new URL('../..', import.meta.url).pathname,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.stderr).toBe('');
    const { started, ended } = JSON.parse(r.stdout) as { started: number; ended: number };
    expect(started).toBeGreaterThanOrEqual(3);
    expect(ended).toBeGreaterThanOrEqual(3);
  });

  it('after dispose the backend works on one thread', async () => {
    const b = await createBackend('wasm', { threads: 3 });
    b.dispose();
    b.dispose(); // idempotent
    expect(b.threads).toBe(1);
    const m = 300;
    const x = b.tensor(randomValues(m * m, 5), [m, m]);
    const c = b.zeros([m, m]);
    b.gemmNN(m, m, m, x, x, c); // would hang if the module still handed parts to ended workers
    const want = single.zeros([m * m]);
    const xs = single.tensor(x.data, [m * m]);
    single.gemmNN(m, m, m, xs, xs, want);
    expect(firstDifference(c.data, want.data)).toBe(-1);
  });

  it('gives up on workers that do not start in time, and ends them: the backend is not left waiting', async () => {
    const bytes = new Uint8Array(readFileSync(new URL('../../build/wasm/nn_simd128-threads.wasm', import.meta.url)));
    const { exports, module } = await instantiateThreadedBytes(bytes);
    // 0 ms: the timer fires before any worker can have instantiated the module and answered
    // (createBackend then falls back to the one-thread build and says why in threadsUnavailable)
    await expect(startPool(module, exports, 3, 0)).rejects.toThrow('the workers did not start within 0 s');
  });

  it('a worker that traps fails that call with an Error, never a hang; later calls run on one thread', async () => {
    // The threaded build with the crate's test hooks (scripts/build-wasm.sh builds it for this
    // test only; shipped builds do not export the hook).
    const bytes = new Uint8Array(readFileSync(new URL('../../build/wasm/nn_simd128-threads-hooks.wasm', import.meta.url)));
    const { exports, module } = await instantiateThreadedBytes(bytes);
    const b = new WasmBackend(exports, 'simd128', undefined, { pool: await startPool(module, exports, 3) });
    const m = 300;
    const x = b.tensor(randomValues(m * m, 6), [m, m]);
    const c = b.zeros([m, m]);
    // Test hook of the Rust pool: the next part a worker runs traps. The caller claims parts too,
    // so a worker may get none in one call (a busy machine): call until one has failed.
    (b.rawExports() as unknown as { nn_pool_fail_next_part(): void }).nn_pool_fail_next_part();
    let error: unknown;
    for (let i = 0; i < 200 && error === undefined; i++) {
      try {
        b.gemmNN(m, m, m, x, x, c);
      } catch (e) {
        error = e;
      }
    }
    expect(error).toEqual(
      new Error(
        'wasm-simd128.gemmNN: a worker thread failed during this call, so its outputs are incomplete; the backend now runs on one thread',
      ),
    );
    expect(b.threads).toBe(1);
    b.gemmNN(m, m, m, x, x, c);
    const want = single.zeros([m * m]);
    const xs = single.tensor(x.data, [m * m]);
    single.gemmNN(m, m, m, xs, xs, want);
    expect(firstDifference(c.data, want.data)).toBe(-1);
  });

  it('does not keep a Node script alive that never disposes it', () => {
    const script = `import { createBackend } from './ts/index.ts';
      const b = await createBackend('wasm', { threads: 3 });
      const x = b.tensor(new Float32Array(200 * 200).fill(1), [200, 200]);
      const c = b.zeros([200, 200]);
      b.gemmNN(200, 200, 200, x, x, c);
      console.log(b.threads, c.data[0]);`;
    const started = Date.now();
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: new URL('../..', import.meta.url).pathname,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.stderr).toBe('');
    expect([r.status, r.signal, r.stdout.trim()]).toEqual([0, null, '3 200']);
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});

describe('training on threads', () => {
  /** Every parameter after `steps` SGD/Adam steps of `make(backend)`, and the losses on the way. */
  function train(
    backend: Backend,
    make: (b: Backend) => { net: Sequential; x: Tensor; t: Tensor; optimizer: Adam | SGD },
    steps: number,
  ): { losses: number[]; params: Float32Array[] } {
    const { net, x, t, optimizer } = make(backend);
    const losses: number[] = [];
    for (let i = 0; i < steps; i++) {
      const grads = net.gradient(x, t);
      optimizer.update(net.params, grads);
      if (i % 10 === 0) losses.push(net.loss(x, t));
    }
    return { losses, params: Object.values(net.params).map((p) => p.data.slice()) };
  }

  const nets = {
    'TwoLayerNet 784→50→10, batch 100, SGD': (b: Backend) => ({
      net: new TwoLayerNet(b, 784, 50, 10, { seed: 3 }),
      x: b.tensor(randomValues(100 * 784, 7).map(Math.abs), [100, 784]),
      t: b.tensor(
        Float32Array.from({ length: 100 }, (_, i) => (i * 7) % 10),
        [100],
      ),
      optimizer: new SGD({ lr: 0.1 }),
    }),
    'SimpleConvNet, batch 12, Adam': (b: Backend) => ({
      net: new SimpleConvNet(b, { weightInitStd: 'he', seed: 4 }),
      x: b.tensor(randomValues(12 * 784, 8).map(Math.abs), [12, 1, 28, 28]),
      t: b.tensor(
        Float32Array.from({ length: 12 }, (_, i) => (i * 3) % 10),
        [12],
      ),
      optimizer: new Adam({ lr: 0.001 }),
    }),
  };

  for (const [name, make] of Object.entries(nets)) {
    it(`${name}: 100 steps on 2, 3 and 4 threads end with bitwise the one-thread parameters and losses`, () => {
      const want = train(single, make, 100);
      expect(want.losses[want.losses.length - 1]).toBeLessThan(want.losses[0]); // it learned something
      for (const [i, backend] of threaded.entries()) {
        const got = train(backend, make, 100);
        expect(got.losses, `${name} on ${THREADS[i]} threads: losses`).toEqual(want.losses);
        for (const [p, values] of got.params.entries()) {
          expect(firstDifference(values, want.params[p]), `${name} on ${THREADS[i]} threads: param ${p}`).toBe(-1);
        }
      }
    });
  }
});
