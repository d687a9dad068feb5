import type { TsKernels } from '../core/kernels.js';
import { convBackward, convForward, convReluPoolBackward, maxPoolBackward, maxPoolForward } from './conv_kernels.js';
import { applyMask, batchNormBackward, batchNormForwardTest, batchNormForwardTrain, scale } from './ts_normalization.js';

/**
 * The kernel set in plain TypeScript on Float32Arrays: the test oracle and the speed baseline of
 * the WASM backend. These are written to be fast in V8 (row-major inner loops that walk memory
 * contiguously, k unrolled by four, no allocation), because a slow baseline would make the
 * WASM-vs-TS comparison dishonest.
 */

/** C[m×n] = A[m×k] · B[k×n]. */
export function gemmNN(m: number, k: number, n: number, a: Float32Array, b: Float32Array, c: Float32Array): void {
  c.fill(0, 0, m * n);
  gemmNNAdd(m, k, n, a, b, c);
}

/** C[m×n] += A[m×k] · B[k×n]: i-k-j order, so the inner loop streams a row of B into a row of C. */
function gemmNNAdd(m: number, k: number, n: number, a: Float32Array, b: Float32Array, c: Float32Array): void {
  const k4 = k - (k % 4);
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    const ai = i * k;
    let p = 0;
    for (; p < k4; p += 4) {
      const a0 = a[ai + p],
        a1 = a[ai + p + 1],
        a2 = a[ai + p + 2],
        a3 = a[ai + p + 3];
      const b0 = p * n,
        b1 = b0 + n,
        b2 = b1 + n,
        b3 = b2 + n;
      for (let j = 0; j < n; j++) {
        c[ci + j] += a0 * b[b0 + j] + a1 * b[b1 + j] + a2 * b[b2 + j] + a3 * b[b3 + j];
      }
    }
    for (; p < k; p++) {
      const a0 = a[ai + p];
      const b0 = p * n;
      for (let j = 0; j < n; j++) c[ci + j] += a0 * b[b0 + j];
    }
  }
}

/** C[m×n] = A[m×k] · B[n×k]ᵀ: each entry is a dot product of two contiguous rows. */
export function gemmNT(m: number, k: number, n: number, a: Float32Array, b: Float32Array, c: Float32Array): void {
  const k4 = k - (k % 4);
  for (let i = 0; i < m; i++) {
    const ai = i * k;
    for (let j = 0; j < n; j++) {
      const bj = j * k;
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0;
      let p = 0;
      for (; p < k4; p += 4) {
        s0 += a[ai + p] * b[bj + p];
        s1 += a[ai + p + 1] * b[bj + p + 1];
        s2 += a[ai + p + 2] * b[bj + p + 2];
        s3 += a[ai + p + 3] * b[bj + p + 3];
      }
      for (; p < k; p++) s0 += a[ai + p] * b[bj + p];
      c[i * n + j] = s0 + s1 + s2 + s3;
    }
  }
}

/** C[m×n] = A[k×m]ᵀ · B[k×n]: p-i-j order, so the inner loop streams rows of B into rows of C. */
export function gemmTN(m: number, k: number, n: number, a: Float32Array, b: Float32Array, c: Float32Array): void {
  c.fill(0, 0, m * n);
  const k4 = k - (k % 4);
  let p = 0;
  for (; p < k4; p += 4) {
    const b0 = p * n,
      b1 = b0 + n,
      b2 = b1 + n,
      b3 = b2 + n;
    for (let i = 0; i < m; i++) {
      const a0 = a[p * m + i],
        a1 = a[(p + 1) * m + i],
        a2 = a[(p + 2) * m + i],
        a3 = a[(p + 3) * m + i];
      const ci = i * n;
      for (let j = 0; j < n; j++) {
        c[ci + j] += a0 * b[b0 + j] + a1 * b[b1 + j] + a2 * b[b2 + j] + a3 * b[b3 + j];
      }
    }
  }
  for (; p < k; p++) {
    const b0 = p * n;
    for (let i = 0; i < m; i++) {
      const a0 = a[p * m + i];
      const ci = i * n;
      for (let j = 0; j < n; j++) c[ci + j] += a0 * b[b0 + j];
    }
  }
}

/** In place: x[i, j] += b[j]. */
export function addBias(rows: number, cols: number, x: Float32Array, b: Float32Array): void {
  for (let i = 0; i < rows; i++) {
    const xi = i * cols;
    for (let j = 0; j < cols; j++) x[xi + j] += b[j];
  }
}

/** out[j] = Σ_i x[i, j]. */
export function colSum(rows: number, cols: number, x: Float32Array, out: Float32Array): void {
  out.fill(0, 0, cols);
  for (let i = 0; i < rows; i++) {
    const xi = i * cols;
    for (let j = 0; j < cols; j++) out[j] += x[xi + j];
  }
}

// The element-wise kernels take the element count first, like their WASM exports (the contract's
// raw signature), but loop to the output's length: the same number (checked before the call),
// and a bound V8 knows is in range, so it drops the bounds checks (30% on a 100×50 ReLU).

// ReLU blocks where the book's mask `x <= 0` holds and lets everything else through, NaN
// included (a NaN is not <= 0), so a diverged value reaches the loss instead of becoming 0.
// The forward output is ≤ 0 exactly where x is, so the backward tests y the same way.

/** The book's ReLU mask: true where the element is blocked (x ≤ 0; false for NaN). */
export function reluBlocks(v: number): boolean {
  return v <= 0;
}

export function reluForward(_n: number, x: Float32Array, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) {
    const v = x[i];
    out[i] = reluBlocks(v) ? 0 : v;
  }
}

export function reluBackward(_n: number, y: Float32Array, dout: Float32Array, dx: Float32Array): void {
  for (let i = 0; i < dx.length; i++) dx[i] = reluBlocks(y[i]) ? 0 : dout[i];
}

export function sigmoidForward(_n: number, x: Float32Array, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = 1 / (1 + Math.exp(-x[i]));
}

export function sigmoidBackward(_n: number, y: Float32Array, dout: Float32Array, dx: Float32Array): void {
  for (let i = 0; i < dx.length; i++) {
    const v = y[i];
    dx[i] = dout[i] * (1 - v) * v;
  }
}

/**
 * Row-wise softmax of x into y and the mean cross-entropy against t, computed as a
 * log-softmax (x − log Σ exp x, with the max subtracted first) so it neither overflows nor takes
 * log(0). `labels`: t holds one class index per row; otherwise t is rows×cols.
 */
export function softmaxXent(rows: number, cols: number, x: Float32Array, t: Float32Array, labels: boolean, y: Float32Array): number {
  let total = 0;
  for (let i = 0; i < rows; i++) total += rowXent(i, cols, x, t, labels, softmaxRow(i * cols, cols, x, y));
  return rows > 0 ? total / rows : 0;
}

/** Forward and backward in one pass per row: y = softmax(x), dx = (y − t) / rows; returns the mean loss. */
export function softmaxXentGrad(
  rows: number,
  cols: number,
  x: Float32Array,
  t: Float32Array,
  labels: boolean,
  y: Float32Array,
  dx: Float32Array,
): number {
  const scale = rows > 0 ? 1 / rows : 0;
  let total = 0;
  for (let i = 0; i < rows; i++) {
    total += rowXent(i, cols, x, t, labels, softmaxRow(i * cols, cols, x, y));
    rowGrad(i, cols, y, t, labels, scale, dx);
  }
  return rows > 0 ? total / rows : 0;
}

/** Softmax of the row at x[xi .. xi + cols] into y; returns its log-normaliser max + log Σ exp(x − max). */
function softmaxRow(xi: number, cols: number, x: Float32Array, y: Float32Array): number {
  let max = -Infinity;
  for (let j = 0; j < cols; j++) if (x[xi + j] > max) max = x[xi + j];
  let sum = 0;
  for (let j = 0; j < cols; j++) {
    const e = Math.exp(x[xi + j] - max);
    y[xi + j] = e;
    sum += e;
  }
  const inv = 1 / sum;
  for (let j = 0; j < cols; j++) y[xi + j] *= inv;
  return max + Math.log(sum);
}

/** −Σ_j t_j · log y_j of row i, with log y_j = x_j − logZ. */
function rowXent(i: number, cols: number, x: Float32Array, t: Float32Array, labels: boolean, logZ: number): number {
  const xi = i * cols;
  if (labels) return logZ - x[xi + t[i]];
  let loss = 0;
  for (let j = 0; j < cols; j++) {
    const tij = t[xi + j];
    if (tij !== 0) loss -= tij * (x[xi + j] - logZ);
  }
  return loss;
}

/** Row i of dx = (y − t) · scale. */
function rowGrad(i: number, cols: number, y: Float32Array, t: Float32Array, labels: boolean, scale: number, dx: Float32Array): void {
  const xi = i * cols;
  if (labels) {
    for (let j = 0; j < cols; j++) dx[xi + j] = y[xi + j] * scale;
    dx[xi + t[i]] = (y[xi + t[i]] - 1) * scale;
  } else {
    for (let j = 0; j < cols; j++) dx[xi + j] = (y[xi + j] - t[xi + j]) * scale;
  }
}

/** dx = (y − t) / rows. */
export function softmaxXentBackward(rows: number, cols: number, y: Float32Array, t: Float32Array, labels: boolean, dx: Float32Array): void {
  const scale = rows > 0 ? 1 / rows : 0;
  for (let i = 0; i < rows; i++) rowGrad(i, cols, y, t, labels, scale, dx);
}

/** Affine forward: out[m×n] = x[m×k] · W[k×n] + b, with out started at the bias rows. */
export function affineForward(m: number, k: number, n: number, x: Float32Array, w: Float32Array, b: Float32Array, out: Float32Array): void {
  for (let i = 0; i < m; i++) out.set(b, i * n);
  gemmNNAdd(m, k, n, x, w, out);
}

/** Affine backward: dW = xᵀ·dout, db = Σ_rows dout, and dx = dout·Wᵀ unless dx is null. */
export function affineBackward(
  m: number,
  k: number,
  n: number,
  x: Float32Array,
  w: Float32Array,
  dout: Float32Array,
  dw: Float32Array,
  db: Float32Array,
  dx: Float32Array | null,
): void {
  gemmTN(k, m, n, x, dout, dw);
  colSum(m, n, dout, db);
  if (dx !== null) gemmNT(m, n, k, dout, w, dx);
}

/** target += source. */
export function accumulate(_n: number, target: Float32Array, source: Float32Array): void {
  for (let i = 0; i < target.length; i++) target[i] += source[i];
}

/** param −= lr · grad, in f32 (lr rounded to f32, one rounding per operation, as the WASM kernel). */
export function sgd(_n: number, lr: number, param: Float32Array, grad: Float32Array): void {
  const lr32 = f32(lr);
  for (let i = 0; i < param.length; i++) param[i] = param[i] - f32(lr32 * grad[i]);
}

// Chapter-6 optimizers, in the order of operations of crate/src/optim.rs (the book's
// optimizer.py) and in f32 arithmetic: every operation's result is rounded to f32 (`f32` =
// Math.fround; storing into a Float32Array rounds too), exactly as the Rust kernels do, so the
// two backends give the same bits. (A product or sum of two f32 values is exact or correctly
// rounded in f64, and rounding that to f32 gives the f32 operation's result; the same holds for
// division and square root.) The derived constants (mm, step, keep, k1, k2) arrive computed in
// f64 by the contract (ts/core/kernels.ts). State arrays are updated in place.

const f32 = Math.fround;

/** Momentum: v = momentum·v − lr·grad; param += v. */
export function momentum(_n: number, lr: number, mom: number, param: Float32Array, grad: Float32Array, v: Float32Array): void {
  const [lr32, mom32] = [f32(lr), f32(mom)];
  for (let i = 0; i < param.length; i++) {
    v[i] = f32(mom32 * v[i]) - f32(lr32 * grad[i]);
    param[i] = param[i] + v[i];
  }
}

/**
 * The book's current Nesterov (optimizer.py): the parameter moves with the old velocity, then
 * the velocity is updated: param += mm·v; param −= step·grad; v = momentum·v − lr·grad, with
 * mm = momentum² and step = (1 + momentum)·lr.
 */
export function nesterov(
  _n: number,
  lr: number,
  mom: number,
  mm: number,
  step: number,
  param: Float32Array,
  grad: Float32Array,
  v: Float32Array,
): void {
  const [lr32, mom32, mm32, step32] = [f32(lr), f32(mom), f32(mm), f32(step)];
  for (let i = 0; i < param.length; i++) {
    const g = grad[i];
    param[i] = f32(param[i] + f32(mm32 * v[i])) - f32(step32 * g);
    v[i] = f32(mom32 * v[i]) - f32(lr32 * g);
  }
}

/** AdaGrad: h += grad²; param −= lr·grad / (√h + eps). */
export function adagrad(_n: number, lr: number, eps: number, param: Float32Array, grad: Float32Array, h: Float32Array): void {
  const [lr32, eps32] = [f32(lr), f32(eps)];
  for (let i = 0; i < param.length; i++) {
    const g = grad[i];
    h[i] = h[i] + f32(g * g);
    param[i] = param[i] - f32(f32(lr32 * g) / f32(f32(Math.sqrt(h[i])) + eps32));
  }
}

/** RMSprop: h = decay·h + keep·grad²; param −= lr·grad / (√h + eps), keep = 1 − decay. */
export function rmsprop(
  _n: number,
  lr: number,
  decay: number,
  keep: number,
  eps: number,
  param: Float32Array,
  grad: Float32Array,
  h: Float32Array,
): void {
  const [lr32, decay32, keep32, eps32] = [f32(lr), f32(decay), f32(keep), f32(eps)];
  for (let i = 0; i < param.length; i++) {
    const g = grad[i];
    h[i] = f32(decay32 * h[i]) + f32(f32(keep32 * g) * g);
    param[i] = param[i] - f32(f32(lr32 * g) / f32(f32(Math.sqrt(h[i])) + eps32));
  }
}

/** Adam: m += k1·(grad − m); v += k2·(grad² − v); param −= lrT·m / (√v + eps), k = 1 − β. */
export function adam(
  _n: number,
  lrT: number,
  k1: number,
  k2: number,
  eps: number,
  param: Float32Array,
  grad: Float32Array,
  m: Float32Array,
  v: Float32Array,
): void {
  const [lr32, k1_32, k2_32, eps32] = [f32(lrT), f32(k1), f32(k2), f32(eps)];
  for (let i = 0; i < param.length; i++) {
    const g = grad[i];
    m[i] = m[i] + f32(k1_32 * f32(g - m[i]));
    v[i] = v[i] + f32(k2_32 * f32(f32(g * g) - v[i]));
    param[i] = param[i] - f32(f32(lr32 * m[i]) / f32(f32(Math.sqrt(v[i])) + eps32));
  }
}

/** Every kernel of the contract (ts/core/kernels.ts), by name; the type holds each to its entry's raw signature. */
export const TS_KERNELS: TsKernels = {
  gemmNN,
  gemmNT,
  gemmTN,
  addBias,
  colSum,
  reluForward,
  reluBackward,
  sigmoidForward,
  sigmoidBackward,
  softmaxXent,
  softmaxXentBackward,
  softmaxXentGrad,
  affineForward,
  affineBackward,
  sgd,
  accumulate,
  momentum,
  nesterov,
  adagrad,
  rmsprop,
  adam,
  batchNormForwardTrain,
  batchNormForwardTest,
  batchNormBackward,
  applyMask,
  scale,
  convForward,
  convBackward,
  maxPoolForward,
  maxPoolBackward,
  convReluPoolBackward,
};
