/**
 * A seeded parity run of the WASM kernels against the TS backend, written against the library's
 * public API only, so that it runs unchanged inside each browser (test/e2e/parity_page.ts hands
 * it the built package) and in Node (test/e2e/kernel_parity.test.ts): browsers compile WASM SIMD
 * with their own compilers, which have miscompiled in the field, and Node's V8 is not them.
 *
 * Each case runs the same call on a WASM build and on TS and compares every output with
 * `toleranceRatio`'s rule (atol 1e-5, rtol 1e-4: f32 sums in another order). Shapes cover 0, 1,
 * odd sizes, sizes that are not multiples of the SIMD width and the MNIST training shapes.
 */
import type * as Library from '../../ts/index.js';
import type { Backend, Tensor, WasmVariant } from '../../ts/index.js';
import { GEMM_SHAPES, toleranceRatio } from '../helpers/tolerance.js';

export { GEMM_SHAPES };

export interface ParityReport {
  variant: WasmVariant;
  /** How many outputs were compared (a run that compared nothing is a failure of its own). */
  compared: number;
  /** "case: worst ratio" for each output outside the tolerance. */
  failures: string[];
}

/** N, C, H, W, filters, FH, FW, stride, pad of the convolution cases (the book's and DeepConvNet's regimes). */
const CONV_CASES = [
  [1, 1, 5, 5, 1, 3, 3, 1, 0],
  [2, 3, 7, 6, 4, 3, 2, 2, 1],
  [2, 1, 12, 12, 5, 5, 5, 1, 0],
  [3, 2, 9, 9, 7, 3, 3, 1, 1],
  [2, 5, 6, 6, 9, 3, 3, 1, 2],
] as const;

/** N, C, H, W, pool, stride, pad of the max-pooling cases. */
const POOL_CASES = [
  [2, 3, 8, 8, 2, 2, 0],
  [1, 2, 7, 7, 3, 2, 1],
  [3, 1, 5, 6, 2, 1, 0],
] as const;

/** rows × cols of the element-wise, softmax and Affine cases. */
const ROWS_COLS = [
  [1, 1],
  [1, 3],
  [2, 5],
  [3, 7],
  [4, 4],
  [5, 9],
  [17, 13],
  [100, 10],
] as const;

/** The WASM builds this engine runs, best first. */
export function variantsHere(lib: typeof Library): WasmVariant[] {
  return (['relaxed-simd', 'simd128', 'scalar'] as const).filter((v) => lib.variantSupported(v));
}

/**
 * Runs every case on each WASM build this engine runs against the TS backend. `lib` is the
 * library's module (the built package in a browser, the sources in Node).
 */
export async function kernelParity(lib: typeof Library, variants = variantsHere(lib)): Promise<ParityReport[]> {
  const ts = await lib.createBackend('ts');
  const reports: ParityReport[] = [];
  for (const variant of variants) {
    const wasm = await lib.createBackend('wasm', { variant });
    const report: ParityReport = { variant, compared: 0, failures: [] };
    for (const [name, run] of cases(lib)) {
      const want = run(ts);
      const got = run(wasm);
      want.forEach((w, i) => {
        report.compared++;
        const ratio = toleranceRatio(got[i], w);
        if (!(ratio <= 1)) report.failures.push(`${name} output ${i}: ${ratio}`);
      });
    }
    wasm.dispose();
    reports.push(report);
  }
  ts.dispose();
  return reports;
}

type Case = [name: string, run: (b: Backend) => Float32Array[]];

function cases(lib: typeof Library): Case[] {
  const values = (size: number, seed: number, scale = 1) => {
    const random = new lib.Random(seed);
    return Float32Array.from({ length: size }, () => (random.uniform() * 2 - 1) * scale);
  };
  /** Runs `body` on fresh tensors made by `make`, returns copies of what it gives, then frees them all. */
  const within = (b: Backend, body: (t: (v: Float32Array, shape: number[]) => Tensor) => Tensor[]) => {
    const made: Tensor[] = [];
    const t = (v: Float32Array, shape: number[]) => {
      made.push(b.tensor(v, shape));
      return made[made.length - 1];
    };
    const out = body(t).map((x) => x.toArray());
    made.forEach((x) => x.dispose());
    return out;
  };
  const list: Case[] = [];
  for (const [m, k, n] of GEMM_SHAPES) {
    for (const form of ['NN', 'NT', 'TN'] as const) {
      list.push([
        `gemm${form} ${m}×${k}×${n}`,
        (b) =>
          within(b, (t) => {
            const a = t(values(m * k, m * 31 + k), form === 'TN' ? [k, m] : [m, k]);
            const w = t(values(k * n, k * 37 + n), form === 'NT' ? [n, k] : [k, n]);
            const c = t(new Float32Array(m * n), [m, n]);
            b[`gemm${form}`](m, k, n, a, w, c);
            return [c];
          }),
      ]);
    }
  }
  for (const [rows, cols] of ROWS_COLS) {
    const seed = rows * 100 + cols;
    list.push([
      `Affine + Relu + Sigmoid + SoftmaxWithLoss ${rows}×${cols}`,
      (b) =>
        within(b, (t) => {
          const affine = new lib.Affine(t(values(cols * cols, seed + 1), [cols, cols]), t(values(cols, seed + 2), [cols]));
          const relu = new lib.Relu();
          const sigmoid = new lib.Sigmoid();
          const loss = new lib.SoftmaxWithLoss();
          const labels = t(
            Float32Array.from({ length: rows }, (_, i) => (i * 7 + seed) % cols),
            [rows],
          );
          const h = sigmoid.forward(relu.forward(affine.forward(t(values(rows * cols, seed, 3), [rows, cols]))));
          const l = loss.forward(h, labels);
          const dx = affine.backward(relu.backward(sigmoid.backward(loss.backward())));
          return [t(Float32Array.of(l), [1]), h, dx, affine.dW!, affine.db!];
        }),
    ]);
  }
  for (const [n, c, h, w, fn, fh, fw, stride, pad] of CONV_CASES) {
    const seed = n * 1000 + c * 100 + h * 10 + fn;
    list.push([
      `Convolution ${n}×${c}×${h}×${w} * ${fn}×${fh}×${fw} stride ${stride} pad ${pad}`,
      (b) =>
        within(b, (t) => {
          const conv = new lib.Convolution(t(values(fn * c * fh * fw, seed), [fn, c, fh, fw]), t(values(fn, seed + 1), [fn]), {
            stride,
            pad,
          });
          const out = conv.forward(t(values(n * c * h * w, seed + 2), [n, c, h, w]));
          const dx = conv.backward(t(values(out.size, seed + 3), out.shape as number[]));
          return [out, dx, conv.dW!, conv.db!];
        }),
    ]);
  }
  for (const [n, c, h, w, size, stride, pad] of POOL_CASES) {
    const seed = n * 1000 + c * 100 + h * 10 + size;
    list.push([
      `Pooling ${n}×${c}×${h}×${w} ${size}×${size} stride ${stride} pad ${pad}`,
      (b) =>
        within(b, (t) => {
          const pool = new lib.Pooling(size, size, { stride, pad });
          const out = pool.forward(t(values(n * c * h * w, seed), [n, c, h, w]));
          return [out, pool.backward(t(values(out.size, seed + 1), out.shape as number[]))];
        }),
    ]);
  }
  // Convolution → Relu → Pooling backward in one pass (convReluPoolBackward): its SIMD paths (the
  // straight one without padding, the gathering one with it) against the TS backend.
  for (const [n, c, h, w, fn, fh, fw, stride, pad] of CONV_CASES) {
    const seed = n * 1000 + c * 100 + h * 10 + fn + 7;
    list.push([
      `Convolution → Relu → Pooling 2×2 fused backward ${n}×${c}×${h}×${w} * ${fn}×${fh}×${fw} stride ${stride} pad ${pad}`,
      (b) =>
        within(b, (t) => {
          const conv = new lib.Convolution(t(values(fn * c * fh * fw, seed), [fn, c, fh, fw]), t(values(fn, seed + 1), [fn]), {
            stride,
            pad,
          });
          const relu = new lib.Relu();
          const pool = new lib.Pooling(2, 2, { stride: 2 });
          const out = pool.forward(relu.forward(conv.forward(t(values(n * c * h * w, seed + 2), [n, c, h, w]))));
          conv.backwardParamsThrough([conv, relu, pool], t(values(out.size, seed + 3), out.shape as number[]));
          return [out, conv.dW!, conv.db!];
        }),
    ]);
  }
  list.push([
    'BatchNormalization 17×13 (train, backward, test)',
    (b) =>
      within(b, (t) => {
        const bn = new lib.BatchNormalization(t(values(13, 5, 2), [13]), t(values(13, 6), [13]));
        const x = t(values(17 * 13, 7, 4), [17, 13]);
        const y = bn.forward(x, true).toArray();
        const dx = bn.backward(t(values(17 * 13, 8), [17, 13]));
        return [t(y, [17, 13]), dx, bn.dgamma!, bn.dbeta!, bn.forward(x, false)];
      }),
  ]);
  for (const name of lib.OPTIMIZERS) {
    list.push([
      `${name}: three updates of sizes 1, 5, 33`,
      (b) =>
        within(b, (t) => {
          const optimizer = lib.createOptimizer(name, { lr: 0.05 });
          const params = { a: t(values(1, 11), [1]), b: t(values(5, 12), [5]), c: t(values(33, 13), [3, 11]) };
          for (let step = 0; step < 3; step++) {
            const grads = { a: t(values(1, 20 + step), [1]), b: t(values(5, 30 + step), [5]), c: t(values(33, 40 + step), [3, 11]) };
            optimizer.update(params, grads);
          }
          return Object.values(params);
        }),
    ]);
  }
  return list;
}
