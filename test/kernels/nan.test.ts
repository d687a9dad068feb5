import { afterAll, describe, expect, it } from 'vitest';
import { Affine, createBackend, NonFiniteLossError, Pooling, Relu, Sequential, type Backend, type Tensor } from '../../ts/index.js';
import { Float64Forward } from '../../ts/training/float64_forward.js';
import type { WasmBackend } from '../../ts/backends/wasm.js';
import { allBackends, randomValues } from '../helpers/backends.js';

// NaN propagates through ReLU and max pooling as in the book's numpy layers: ReLU's mask is
// `x <= 0`, which NaN is not, and pooling's np.max / np.argmax pick a window's first NaN. So a
// net that diverged reports a non-finite loss at the same step on every backend (the threaded
// build included, on arrays big enough to be split) and in the float64 reference.
const threaded = (await createBackend('wasm', { threads: 2 })) as WasmBackend;
threaded.pinThreads(); // split whatever the machine's load (the governor could pick one thread)
const backends = [...(await allBackends()), threaded];
afterAll(() => backends.at(-1)!.dispose());
const name = (b: Backend) => (b.threads > 1 ? `${b.name} on ${b.threads} threads` : b.name);

/** A tensor holding values that `backend.tensor` refuses (NaN), written into its memory. */
function raw(backend: Backend, values: ArrayLike<number>, shape: number[]): Tensor {
  const t = backend.zeros(shape);
  t.data.set(values);
  return t;
}

/** Same value, NaN equal to NaN. */
const same = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

describe.each(backends.map((b) => [name(b), b] as const))('NaN on %s', (_name, backend) => {
  it('ReLU of [NaN, −1, 2] is [NaN, 0, 2], and the gradient passes at the NaN (the book: mask = x <= 0)', () => {
    const relu = new Relu();
    expect([...relu.forward(raw(backend, [NaN, -1, 2], [1, 3])).data]).toEqual([NaN, 0, 2]);
    expect([...relu.backward(backend.tensor([5, 6, 7], [1, 3])).data]).toEqual([5, 0, 7]);
    relu.dispose();
  });

  it('2×2 pooling over [[1, NaN, 5, 6], [3, 0, −1, 2]] is [NaN, 6], argmax at the NaN, the gradient routed there', () => {
    const pool = new Pooling(2, 2, { stride: 2 });
    expect([...pool.forward(raw(backend, [1, NaN, 5, 6, 3, 0, -1, 2], [1, 1, 2, 4])).data]).toEqual([NaN, 6]);
    expect([...pool.argmax!.data]).toEqual([1, 1]);
    expect([...pool.backward(backend.tensor([10, 20], [1, 1, 1, 2])).data]).toEqual([0, 10, 0, 20, 0, 0, 0, 0]);
    pool.dispose();
  });

  it('ReLU with NaN in every lane and tail position, on arrays big enough for threads', () => {
    for (const [size, every] of [
      [17, 1],
      [33, 3],
      [1000, 16],
      [200_001, 7],
    ]) {
      const x = randomValues(size, size);
      for (let i = 0; i < size; i += every) x[i] = NaN;
      const dout = randomValues(size, size + 1);
      const relu = new Relu();
      const y = relu.forward(raw(backend, x, [size])).data.slice();
      const dx = relu.backward(backend.tensor(dout, [size])).data;
      for (let i = 0; i < size; i++) {
        const blocked = x[i] <= 0;
        if (!same(y[i], blocked ? 0 : x[i]) || !same(dx[i], blocked ? 0 : dout[i])) {
          expect.fail(`size ${size}, at ${i}: x ${x[i]} gave y ${y[i]}, dx ${dx[i]} (dout ${dout[i]})`);
        }
      }
      relu.dispose();
    }
  });

  it('pooling with NaN in many windows, padded and unpadded, on a batch big enough for threads, equals numpy', () => {
    const cases = [
      { shape: [10, 30, 24, 24], pool: 2, stride: 2, pad: 0 },
      { shape: [2, 3, 7, 9], pool: 3, stride: 1, pad: 0 },
      { shape: [2, 3, 7, 9], pool: 3, stride: 2, pad: 1 },
    ];
    for (const { shape, pool: size, stride, pad } of cases) {
      const [n, c, h, w] = shape;
      const x = randomValues(n * c * h * w, h);
      for (let i = 0; i < x.length; i += 5) x[i] = NaN;
      const pool = new Pooling(size, size, { stride, pad });
      const out = pool.forward(raw(backend, x, shape)).data.slice();
      const argmax = pool.argmax!.data;
      const oh = Math.floor((h + 2 * pad - size) / stride) + 1,
        ow = Math.floor((w + 2 * pad - size) / stride) + 1;
      for (let o = 0; o < out.length; o++) {
        const plane = Math.floor(o / (oh * ow)),
          oy = Math.floor(o / ow) % oh,
          ox = o % ow;
        const window: number[] = [];
        for (let i = 0; i < size; i++) {
          for (let j = 0; j < size; j++) {
            const y = oy * stride + i - pad,
              xx = ox * stride + j - pad;
            window.push(y >= 0 && y < h && xx >= 0 && xx < w ? x[(plane * h + y) * w + xx] : 0);
          }
        }
        const k = numpyArgmax(window);
        if (!same(out[o], window[k]) || argmax[o] !== k)
          expect.fail(
            `${JSON.stringify({ shape, size, stride, pad })} window ${o} [${window}]: max ${out[o]} at ${argmax[o]}, numpy ${window[k]} at ${k}`,
          );
      }
      pool.dispose();
    }
  });

  it('W1 = [[1e20, .5], [−1e20, .5]], x = [[1e20, 1e20]]: the loss is not finite (Inf − Inf through ReLU)', () => {
    const net = new Sequential([
      [
        'Affine1',
        new Affine(
          backend.tensor([
            [1e20, 0.5],
            [-1e20, 0.5],
          ]),
          backend.zeros([2]),
        ),
      ],
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
    const x = backend.tensor([[1e20, 1e20]]),
      t = backend.tensor([0], [1]);
    expect(() => net.loss(x, t)).toThrow(NonFiniteLossError);
    net.dispose();
  });

  it('a NaN weight gives a non-finite loss here and in the float64 reference (through ReLU and pooling)', () => {
    const mlp = new Sequential([
      ['Affine1', new Affine(raw(backend, [NaN, 1, 1, 1], [2, 2]), backend.zeros([2]))],
      ['Relu1', new Relu()],
      [
        'Affine2',
        new Affine(
          backend.tensor([
            [1, 0],
            [0, 1],
          ]),
          backend.zeros([2]),
        ),
      ],
    ]);
    const x = backend.tensor([[1, 2]]),
      t = backend.tensor([1], [1]);
    expect(() => mlp.loss(x, t)).toThrow(NonFiniteLossError);
    expect(new Float64Forward('test', mlp, x, t).loss()).toBeNaN();
    mlp.dispose();
    // NaN in the pooled input: the first window's maximum is NaN, not 3
    const pooled = new Sequential([
      ['Pool1', new Pooling(2, 2, { stride: 2 })],
      [
        'Affine1',
        new Affine(
          backend.tensor([
            [1, 0],
            [0, 1],
          ]),
          backend.zeros([2]),
        ),
      ],
    ]);
    const image = raw(backend, [1, NaN, 5, 6, 3, 0, -1, 2], [1, 1, 2, 4]);
    expect(() => pooled.loss(image, t)).toThrow(NonFiniteLossError);
    expect(new Float64Forward('test', pooled, image, t).loss()).toBeNaN();
    pooled.dispose();
  });
});

/** numpy's argmax: the first NaN if there is one, else the first maximum. */
function numpyArgmax(values: number[]): number {
  const nan = values.findIndex(Number.isNaN);
  return nan >= 0 ? nan : values.indexOf(Math.max(...values));
}
