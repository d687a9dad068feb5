import { describe, expect, it } from 'vitest';
import { Convolution, Pooling, Random, Relu, type Backend } from '../../ts/index.js';
import { allBackends, integerValues, randomValues, toleranceRatio } from '../helpers/backends.js';
import { convBook, outHW, poolBook, type Geometry } from '../helpers/conv_reference.js';
import { fusedShape } from '../../ts/layers/convolution.js';

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

/**
 * Convolution → Relu → Pooling, backward without dx: the fused pass (`backwardParamsThrough`,
 * the kernel convReluPoolBackward) against the layers one after another (Pooling.backward,
 * Relu.backward, backwardParams). Small integers make every sum exact in f32, so the two must be
 * equal whatever order they add in; the geometries cover the SIMD path (C·FH ≤ 8, FW ≤ 8, no
 * padding) and its scalar fallbacks (padding, wide filters, loads at the end of x).
 */
describe.each(backends.map((b) => [b.name, b] as const))('Convolution → Relu → Pooling fused backward on %s', (_name, backend: Backend) => {
  function fusedCases(count: number, seed: number) {
    const rng = new Random(seed);
    const out = [
      { g: { n: 3, c: 1, h: 28, w: 28, fh: 5, fw: 5, stride: 1, pad: 0 }, filters: 6, pool: [2, 2, 2, 0] }, // SimpleConvNet's
      { g: { n: 2, c: 16, h: 8, w: 8, fh: 3, fw: 3, stride: 1, pad: 1 }, filters: 3, pool: [2, 2, 2, 0] }, // DeepConvNet-like: C·FH = 48
      { g: { n: 2, c: 1, h: 9, w: 6, fh: 5, fw: 5, stride: 1, pad: 0 }, filters: 2, pool: [1, 1, 1, 0] }, // ow = 2: loads past x's end
      { g: { n: 1, c: 2, h: 10, w: 11, fh: 4, fw: 7, stride: 1, pad: 0 }, filters: 3, pool: [2, 3, 2, 1] },
      { g: { n: 0, c: 1, h: 5, w: 5, fh: 3, fw: 3, stride: 1, pad: 0 }, filters: 2, pool: [2, 2, 2, 0] },
    ];
    while (out.length < count) {
      const g = {
        n: 1 + rng.int(3),
        c: 1 + rng.int(3),
        h: 2 + rng.int(11),
        w: 2 + rng.int(11),
        fh: 1 + rng.int(5),
        fw: 1 + rng.int(9),
        stride: 1 + rng.int(2),
        pad: rng.int(2),
      };
      if (g.fh > g.h + 2 * g.pad || g.fw > g.w + 2 * g.pad) continue;
      const [oh, ow] = outHW(g);
      const pool = [1 + rng.int(3), 1 + rng.int(3), 1 + rng.int(3), rng.int(2)];
      if (pool[0] > oh + 2 * pool[3] || pool[1] > ow + 2 * pool[3]) continue;
      out.push({ g, filters: 1 + rng.int(4), pool });
    }
    return out;
  }

  it('gives the dW and db of the layers one after another, exactly, on 40 shapes', () => {
    fusedCases(40, 77).forEach(({ g, filters, pool: [ph, pw, ps, pp] }, t) => {
      const [oh, ow] = outHW(g);
      const [poh, pow] = outHW({ n: g.n, c: filters, h: oh, w: ow, fh: ph, fw: pw, stride: ps, pad: pp });
      const W = backend.tensor(integerValues(filters * g.c * g.fh * g.fw, t), [filters, g.c, g.fh, g.fw]);
      const b = backend.tensor(integerValues(filters, t + 1), [filters]);
      const x = backend.tensor(integerValues(g.n * g.c * g.h * g.w, t + 2), [g.n, g.c, g.h, g.w]);
      const dout = backend.tensor(integerValues(g.n * filters * poh * pow, t + 3), [g.n, filters, poh, pow]);
      const conv = new Convolution(W, b, { stride: g.stride, pad: g.pad });
      const relu = new Relu();
      const pooling = new Pooling(ph, pw, { stride: ps, pad: pp });
      const layers = [conv, relu, pooling];
      pooling.forward(relu.forward(conv.forward(x)));
      const where = `x ${g.n}×${g.c}×${g.h}×${g.w}, filter ${g.fh}×${g.fw} s${g.stride} p${g.pad}, pool ${ph}×${pw} s${ps} p${pp}`;
      // a network takes the one pass only where it is fast (fusedShape); called, it works for any shape
      const poolWindow = { n: g.n, c: filters, h: oh, w: ow, fh: ph, fw: pw, stride: ps, pad: pp };
      expect(conv.fusedBackwardDepth(layers), where).toBe(fusedShape(g, poolWindow) ? 2 : 0);
      conv.backwardParamsThrough(layers, dout);
      const fused = { dW: Array.from(conv.dW!.data), db: Array.from(conv.db!.data) };
      conv.backwardParams(relu.backward(pooling.backward(dout)));
      expect(fused.dW, `dW, ${where}`).toEqual(Array.from(conv.dW!.data));
      expect(fused.db, `db, ${where}`).toEqual(Array.from(conv.db!.data));
      for (const l of layers) l.dispose();
      for (const v of [W, b, x, dout]) v.dispose();
    });
  });

  it('is used only when a Relu of the convolution output and a Pooling of that follow', () => {
    const conv = new Convolution(backend.tensor(randomValues(2 * 9, 1), [2, 1, 3, 3]), backend.zeros([2]));
    const [relu, pooling] = [new Relu(), new Pooling(2, 2, { stride: 2 })];
    const x = backend.tensor(randomValues(2 * 36, 2), [2, 1, 6, 6]);
    expect(conv.fusedBackwardDepth([conv, relu, pooling])).toBe(0); // before a forward
    expect(() => conv.backwardParamsThrough([conv, relu, pooling], backend.zeros([2, 2, 2, 2]))).toThrow(
      'Convolution.backwardParamsThrough: expected this Convolution, a Relu of its output and a Pooling of that',
    );
    pooling.forward(relu.forward(conv.forward(x)));
    expect(conv.fusedBackwardDepth([conv, relu, pooling])).toBe(2);
    expect(conv.fusedBackwardDepth([conv, pooling, relu])).toBe(0);
    expect(conv.fusedBackwardDepth([relu, conv, pooling])).toBe(0);
    pooling.forward(conv.forward(x)); // the pooling no longer reads the Relu's output
    expect(conv.fusedBackwardDepth([conv, relu, pooling])).toBe(0);
    pooling.forward(relu.forward(backend.tensor(randomValues(2 * 2 * 16, 3), [2, 2, 4, 4]))); // the Relu's input is not this layer's output
    expect(conv.fusedBackwardDepth([conv, relu, pooling])).toBe(0);
    expect(() => conv.backwardParamsThrough([conv, relu, pooling], backend.zeros([2, 2, 2, 2]))).toThrow(
      'Convolution.backwardParamsThrough: expected this Convolution, a Relu of its output and a Pooling of that',
    );
    pooling.forward(relu.forward(conv.forward(x)));
    expect(conv.fusedBackwardDepth([conv, relu, pooling])).toBe(2);
    // with padding the one pass goes patch by patch, slower than the layers: a network does not take it
    const padded = new Convolution(backend.tensor(randomValues(2 * 9, 1), [2, 1, 3, 3]), backend.zeros([2]), { pad: 1 });
    pooling.forward(relu.forward(padded.forward(x)));
    expect(padded.fusedBackwardDepth([padded, relu, pooling])).toBe(0);
    padded.backwardParamsThrough([padded, relu, pooling], backend.zeros([2, 2, 3, 3])); // called, it works
    expect(padded.dW!.shape).toEqual([2, 1, 3, 3]);
  });
});
