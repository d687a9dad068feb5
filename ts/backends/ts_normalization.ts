/**
 * The chapter-6 kernels (batch normalization, dropout) in plain TypeScript on Float32Arrays,
 * with the same argument order as their Rust twins in crate/src/{batch_norm,dropout}.rs:
 * dimensions, then inputs, then outputs. A matrix is rows×cols, row-major; batch normalization
 * normalises each column (feature) over the rows (the batch).
 *
 * Column statistics are summed in JS numbers (float64) and rounded once when stored.
 */

/** The book's ε under the square root (`10e-7` in common/layers.py, i.e. 1e-6). */
export const BATCH_NORM_EPS = 1e-6;

/** Per-column f64 sums, reused across calls (grown on demand), so a training step allocates nothing. */
let scratch = new Float64Array(0);
function columnScratch(cols: number): Float64Array {
  if (scratch.length < 3 * cols) scratch = new Float64Array(3 * cols);
  return scratch;
}

/**
 * Training-mode forward: per column j, μ = mean of x[:, j], σ² = mean of (x − μ)², and
 * xn = (x − μ)/√(σ² + ε), out = γ·xn + β. Keeps xn and invStd = 1/√(σ² + ε) for the backward,
 * and moves the running statistics: running ← momentum·running + (1 − momentum)·batch.
 * With rows = 0 nothing is written (there are no statistics to take). Rows are walked in order
 * with the per-column sums in a scratch array, so every inner loop reads memory contiguously.
 */
export function batchNormForwardTrain(
  rows: number,
  cols: number,
  momentum: number, // rounded to f32, as WASM receives it
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  runningMean: Float32Array,
  runningVar: Float32Array,
  xn: Float32Array,
  invStd: Float32Array,
  out: Float32Array,
): void {
  if (rows === 0) return;
  momentum = Math.fround(momentum);
  const s = columnScratch(cols);
  const mean = s.subarray(0, cols).fill(0),
    variance = s.subarray(cols, 2 * cols).fill(0),
    inv = s.subarray(2 * cols, 3 * cols);
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    for (let j = 0; j < cols; j++) mean[j] += x[r + j];
  }
  for (let j = 0; j < cols; j++) mean[j] /= rows;
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    for (let j = 0; j < cols; j++) {
      const c = x[r + j] - mean[j];
      variance[j] += c * c;
    }
  }
  for (let j = 0; j < cols; j++) {
    variance[j] /= rows;
    inv[j] = 1 / Math.sqrt(variance[j] + BATCH_NORM_EPS);
    invStd[j] = inv[j];
    runningMean[j] = momentum * runningMean[j] + (1 - momentum) * mean[j];
    runningVar[j] = momentum * runningVar[j] + (1 - momentum) * variance[j];
  }
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    for (let j = 0; j < cols; j++) {
      const n = (x[r + j] - mean[j]) * inv[j];
      xn[r + j] = n;
      out[r + j] = gamma[j] * n + beta[j];
    }
  }
}

/** Test-mode forward: out = γ·(x − runningMean)/√(runningVar + ε) + β, per column. */
export function batchNormForwardTest(
  rows: number,
  cols: number,
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  runningMean: Float32Array,
  runningVar: Float32Array,
  out: Float32Array,
): void {
  const scaleOf = columnScratch(cols).subarray(0, cols);
  for (let j = 0; j < cols; j++) scaleOf[j] = gamma[j] / Math.sqrt(runningVar[j] + BATCH_NORM_EPS);
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    for (let j = 0; j < cols; j++) out[r + j] = (x[r + j] - runningMean[j]) * scaleOf[j] + beta[j];
  }
}

/**
 * Backward of the training-mode forward: dβ = Σ_rows dout, dγ = Σ_rows xn·dout, and
 * dx = γ·invStd·(dout − dβ/N − xn·dγ/N), the book's chain of nodes (dxn, dxc, dstd, dvar, dμ)
 * collapsed into one expression.
 */
export function batchNormBackward(
  rows: number,
  cols: number,
  dout: Float32Array,
  xn: Float32Array,
  invStd: Float32Array,
  gamma: Float32Array,
  dgamma: Float32Array,
  dbeta: Float32Array,
  dx: Float32Array,
): void {
  const s = columnScratch(cols);
  const db = s.subarray(0, cols).fill(0),
    dg = s.subarray(cols, 2 * cols).fill(0),
    k = s.subarray(2 * cols, 3 * cols);
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    for (let j = 0; j < cols; j++) {
      const d = dout[r + j];
      db[j] += d;
      dg[j] += xn[r + j] * d;
    }
  }
  for (let j = 0; j < cols; j++) {
    dbeta[j] = db[j];
    dgamma[j] = dg[j];
    k[j] = gamma[j] * invStd[j];
    db[j] /= rows; // now the means, for dx
    dg[j] /= rows;
  }
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    for (let j = 0; j < cols; j++) dx[r + j] = k[j] * (dout[r + j] - db[j] - xn[r + j] * dg[j]);
  }
}

/** out = x·mask for n elements (mask holds 1 for a kept unit, 0 for a dropped one). */
export function applyMask(n: number, x: Float32Array, mask: Float32Array, out: Float32Array): void {
  for (let i = 0; i < n; i++) out[i] = x[i] * mask[i];
}

/** out = s·x for n elements (dropout at test time: s = 1 − ratio), with s rounded to f32 as WASM receives it. */
export function scale(n: number, s: number, x: Float32Array, out: Float32Array): void {
  const f = Math.fround(s);
  for (let i = 0; i < n; i++) out[i] = x[i] * f;
}
