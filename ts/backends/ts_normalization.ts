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

/**
 * Training-mode forward: per column j, μ = mean of x[:, j], σ² = mean of (x − μ)², and
 * xn = (x − μ)/√(σ² + ε), out = γ·xn + β. Keeps xn and invStd = 1/√(σ² + ε) for the backward,
 * and moves the running statistics: running ← momentum·running + (1 − momentum)·batch.
 * With rows = 0 nothing is written (there are no statistics to take).
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
  for (let j = 0; j < cols; j++) {
    let sum = 0;
    for (let i = 0; i < rows; i++) sum += x[i * cols + j];
    const mean = sum / rows;
    let sq = 0;
    for (let i = 0; i < rows; i++) {
      const c = x[i * cols + j] - mean;
      sq += c * c;
    }
    const variance = sq / rows;
    const inv = 1 / Math.sqrt(variance + BATCH_NORM_EPS);
    invStd[j] = inv;
    const g = gamma[j], b = beta[j];
    for (let i = 0; i < rows; i++) {
      const n = (x[i * cols + j] - mean) * inv;
      xn[i * cols + j] = n;
      out[i * cols + j] = g * n + b;
    }
    runningMean[j] = momentum * runningMean[j] + (1 - momentum) * mean;
    runningVar[j] = momentum * runningVar[j] + (1 - momentum) * variance;
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
  for (let j = 0; j < cols; j++) {
    const mean = runningMean[j];
    const scale = gamma[j] / Math.sqrt(runningVar[j] + BATCH_NORM_EPS);
    const b = beta[j];
    for (let i = 0; i < rows; i++) out[i * cols + j] = (x[i * cols + j] - mean) * scale + b;
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
  for (let j = 0; j < cols; j++) {
    let db = 0, dg = 0;
    for (let i = 0; i < rows; i++) {
      const d = dout[i * cols + j];
      db += d;
      dg += xn[i * cols + j] * d;
    }
    dbeta[j] = db;
    dgamma[j] = dg;
    if (rows === 0) continue;
    const scale = gamma[j] * invStd[j];
    const meanDb = db / rows, meanDg = dg / rows;
    for (let i = 0; i < rows; i++) dx[i * cols + j] = scale * (dout[i * cols + j] - meanDb - xn[i * cols + j] * meanDg);
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
