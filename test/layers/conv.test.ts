import { describe, expect, it } from 'vitest';
import { Convolution, Pooling, Random, type Backend } from '../../ts/index.js';
import { allBackends, randomValues, toleranceRatio } from '../helpers/backends.js';
import { convBook, outHW, poolBook, type Geometry } from '../helpers/conv_reference.js';

const backends = await allBackends();

/** Random geometries that fit: strides 1–3, pads 0–2, odd sizes, N = 1 and C > 1 among them. */
function geometries(count: number, seed: number): Geometry[] {
  const rng = new Random(seed);
  const out: Geometry[] = [
    { n: 1, c: 3, h: 7, w: 5, fh: 3, fw: 3, stride: 2, pad: 1 },
    { n: 2, c: 3, h: 9, w: 7, fh: 2, fw: 2, stride: 2, pad: 0 },
  ];
  while (out.length < count) {
    const g = {
      n: 1 + rng.int(3),
      c: 1 + rng.int(4),
      h: 1 + rng.int(11),
      w: 1 + rng.int(11),
      fh: 1 + rng.int(5),
      fw: 1 + rng.int(5),
      stride: 1 + rng.int(3),
      pad: rng.int(3),
    };
    if (g.fh <= g.h + 2 * g.pad && g.fw <= g.w + 2 * g.pad) out.push(g);
  }
  return out;
}
const label = (g: Geometry) => `x ${g.n}×${g.c}×${g.h}×${g.w}, window ${g.fh}×${g.fw}, stride ${g.stride}, pad ${g.pad}`;

describe.each(backends.map((b) => [b.name, b] as const))('Convolution and Pooling on %s', (_name, backend: Backend) => {
  it('Convolution forward, dx, dW and db match the book formulas in float64 on 60 random shapes', () => {
    geometries(60, 7).forEach((g, t) => {
      const filters = 1 + (t % 4);
      const [oh, ow] = outHW(g);
      const xs = randomValues(g.n * g.c * g.h * g.w, t),
        ws = randomValues(filters * g.c * g.fh * g.fw, 100 + t);
      const bs = randomValues(filters, 200 + t),
        ds = randomValues(g.n * filters * oh * ow, 300 + t);
      const conv = new Convolution(backend.tensor(ws, [filters, g.c, g.fh, g.fw]), backend.tensor(bs, [filters]), {
        stride: g.stride,
        pad: g.pad,
      });
      const out = conv.forward(backend.tensor(xs, [g.n, g.c, g.h, g.w]));
      expect(out.shape, label(g)).toEqual([g.n, filters, oh, ow]);
      const want = convBook(g, filters, xs, ws, bs, ds);
      expect(toleranceRatio(out.data, want.out), `out, ${label(g)}`).toBeLessThanOrEqual(1);
      const dx = conv.backward(backend.tensor(ds, [g.n, filters, oh, ow]));
      expect(dx.shape).toEqual([g.n, g.c, g.h, g.w]);
      expect(toleranceRatio(dx.data, want.dx), `dx, ${label(g)}`).toBeLessThanOrEqual(1);
      expect(toleranceRatio(conv.dW!.data, want.dW), `dW, ${label(g)}`).toBeLessThanOrEqual(1);
      expect(toleranceRatio(conv.db!.data, want.db), `db, ${label(g)}`).toBeLessThanOrEqual(1);
      // backwardParams gives the same dW and db without dx
      const dW = conv.dW!.toArray();
      conv.backwardParams(backend.tensor(ds, [g.n, filters, oh, ow]));
      expect(conv.dW!.toArray()).toEqual(dW);
      conv.dispose();
    });
  });

  it('Pooling (max) forward and backward match the book formulas on 60 random shapes, ties to the first maximum', () => {
    geometries(60, 8).forEach((g, t) => {
      const [oh, ow] = outHW(g);
      // coarse values so that windows often tie
      const xs = randomValues(g.n * g.c * g.h * g.w, t).map((v) => Math.round(v * 2) / 2);
      const ds = randomValues(g.n * g.c * oh * ow, 50 + t);
      const pool = new Pooling(g.fh, g.fw, { stride: g.stride, pad: g.pad });
      const out = pool.forward(backend.tensor(xs, [g.n, g.c, g.h, g.w]));
      expect(out.shape).toEqual([g.n, g.c, oh, ow]);
      const want = poolBook(g, xs, ds);
      expect(Array.from(out.data), label(g)).toEqual(Array.from(want.out));
      const dx = pool.backward(backend.tensor(ds, [g.n, g.c, oh, ow]));
      expect(toleranceRatio(dx.data, want.dx), `dx, ${label(g)}`).toBeLessThanOrEqual(1);
      pool.dispose();
    });
  });

  it('refuses shapes that do not fit, with the sizes in the message', () => {
    const conv = new Convolution(backend.zeros([2, 1, 5, 5]), backend.zeros([2]));
    expect(() => conv.forward(backend.zeros([1, 1, 4, 4]))).toThrow(
      'Convolution.forward: a 5×5 filter with pad 0 does not fit a 4×4 input',
    );
    expect(() => conv.forward(backend.zeros([1, 3, 8, 8]))).toThrow(
      'Convolution.forward: x has 3 channels (shape [1, 3, 8, 8]) but W expects 1',
    );
    expect(() => conv.forward(backend.zeros([8, 8]))).toThrow(
      'Convolution.forward: expected x of shape [batch, 1, height, width], got [8, 8]',
    );
    expect(() => new Convolution(backend.zeros([2, 5, 5]), backend.zeros([2]))).toThrow(
      'expected W of shape [filters, channels, height, width], got [2, 5, 5]',
    );
    expect(() => new Convolution(backend.zeros([2, 1, 5, 5]), backend.zeros([3]))).toThrow('expected b of shape [2]');
    expect(() => new Convolution(backend.zeros([2, 1, 5, 5]), backend.zeros([2]), { stride: 0 })).toThrow(
      'expected stride to be an integer ≥ 1, got a number (0)',
    );
    expect(() => new Pooling(3, 3).forward(backend.zeros([1, 1, 2, 2]))).toThrow(
      'Pooling.forward: a 3×3 pooling window with pad 0 does not fit a 2×2 input',
    );
    expect(() => new Pooling(0, 2)).toThrow('expected poolH to be an integer ≥ 1, got a number (0)');
    expect(() => conv.backward(backend.zeros([1, 2, 4, 4]))).toThrow('backward() was called before forward()');
    // the layer and backend stay usable after the errors
    expect(conv.forward(backend.zeros([1, 1, 6, 6])).shape).toEqual([1, 2, 2, 2]);
    expect(() => conv.backward(backend.zeros([1, 2, 3, 3]))).toThrow('expected dout of shape [1, 2, 2, 2]');
  });

  it('an argmax that is not a window index drops its gradient instead of writing elsewhere', () => {
    const dx = backend.tensor(randomValues(9, 1), [9]);
    backend.maxPoolBackward(1, 1, 3, 3, 2, 2, 1, 0, backend.tensor([1, 2, 3, 4], [4]), backend.tensor([4, -1, 7, 3], [4]), dx);
    // only the last window's index (3: its bottom-right, x[2, 2]) is valid
    expect(Array.from(dx.data)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 4]);
  });
});

describe('WASM = TS for Convolution and Pooling', () => {
  const [ts, ...wasms] = backends;
  it.each(wasms.map((b) => [b.name, b] as const))('%s agrees with ts on 30 random shapes', (_name, wasm) => {
    geometries(30, 9).forEach((g, t) => {
      const filters = 2 + (t % 3);
      const [oh, ow] = outHW(g);
      const xs = randomValues(g.n * g.c * g.h * g.w, t),
        ws = randomValues(filters * g.c * g.fh * g.fw, 1 + t),
        ds = randomValues(g.n * filters * oh * ow, 2 + t);
      const run = (b: Backend) => {
        const conv = new Convolution(b.tensor(ws, [filters, g.c, g.fh, g.fw]), b.zeros([filters]), { stride: g.stride, pad: g.pad });
        const pool = new Pooling(g.fh, g.fw, { stride: g.stride, pad: g.pad });
        const x = b.tensor(xs, [g.n, g.c, g.h, g.w]);
        const copy = (t: { data: Float32Array }) => Array.from(t.data);
        const out = copy(conv.forward(x));
        const dx = copy(conv.backward(b.tensor(ds, [g.n, filters, oh, ow])));
        const pooled = copy(pool.forward(x));
        return {
          out,
          dx,
          dW: copy(conv.dW!),
          db: copy(conv.db!),
          pooled,
          poolDx: copy(pool.backward(b.tensor(randomValues(g.n * g.c * oh * ow, 3 + t), [g.n, g.c, oh, ow]))),
        };
      };
      const a = run(wasm),
        want = run(ts);
      for (const key of ['out', 'dx', 'dW', 'db', 'poolDx'] as const)
        expect(toleranceRatio(a[key], want[key]), `${key}, ${label(g)}`).toBeLessThanOrEqual(1);
      expect(a.pooled, label(g)).toEqual(want.pooled);
    });
  });
});
