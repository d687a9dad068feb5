//! Batch normalization (the book's §6.3) on a row-major `rows×cols` matrix: each column (a
//! feature) is normalised over the rows (the batch). Mirrors `ts/backends/ts_normalization.ts`.
//!
//! The column statistics are taken a block of [`BLOCK`] columns at a time, walking the rows in
//! order, so every inner loop runs over contiguous columns (LLVM vectorises them with SIMD128)
//! and the per-column sums live in two small arrays on the stack: no workspace, nothing to fail.
//! The statistics and x − μ are computed in f64, as the TypeScript twin does: in f32, x − μ
//! cancels (two close values of size 30 differ by less than the rounding of their mean).

/// The book's ε under the square root (`10e-7` in common/layers.py).
pub const EPS: f64 = 1e-6;

/// Columns whose sums are kept at once.
const BLOCK: usize = 64;

/// Training-mode forward. Per column j: `μ = mean(x[:, j])`, `σ² = mean((x − μ)²)`,
/// `inv_std = 1/√(σ² + ε)`, `xn = (x − μ)·inv_std`, `out = γ·xn + β`, and
/// `running ← momentum·running + (1 − momentum)·batch` for the mean and the variance.
/// With `rows = 0` nothing is written.
#[allow(clippy::too_many_arguments)]
pub fn batch_norm_forward_train(
    rows: usize,
    cols: usize,
    momentum: f32,
    x: &[f32],
    gamma: &[f32],
    beta: &[f32],
    running_mean: &mut [f32],
    running_var: &mut [f32],
    xn: &mut [f32],
    inv_std: &mut [f32],
    out: &mut [f32],
) {
    if rows == 0 {
        return;
    }
    let n = rows as f64;
    let momentum = momentum as f64;
    let keep = 1.0 - momentum;
    for c0 in (0..cols).step_by(BLOCK) {
        let w = BLOCK.min(cols - c0);
        let block = |i: usize| i * cols + c0..i * cols + c0 + w;
        let mut mean = [0.0f64; BLOCK];
        let mut var = [0.0f64; BLOCK];
        let mut inv = [0.0f64; BLOCK];
        for i in 0..rows {
            for (m, &v) in mean[..w].iter_mut().zip(&x[block(i)]) {
                *m += v as f64;
            }
        }
        for m in &mut mean[..w] {
            *m /= n;
        }
        for i in 0..rows {
            for ((s, &v), &m) in var[..w].iter_mut().zip(&x[block(i)]).zip(&mean[..w]) {
                let d = v as f64 - m;
                *s += d * d;
            }
        }
        for j in 0..w {
            var[j] /= n;
            inv[j] = 1.0 / (var[j] + EPS).sqrt();
            inv_std[c0 + j] = inv[j] as f32;
            running_mean[c0 + j] = (momentum * running_mean[c0 + j] as f64 + keep * mean[j]) as f32;
            running_var[c0 + j] = (momentum * running_var[c0 + j] as f64 + keep * var[j]) as f32;
        }
        let (g, b) = (&gamma[c0..c0 + w], &beta[c0..c0 + w]);
        for i in 0..rows {
            let r = block(i);
            let (xr, xnr, outr) = (&x[r.clone()], &mut xn[r.clone()], &mut out[r]);
            for j in 0..w {
                let v = ((xr[j] as f64 - mean[j]) * inv[j]) as f32;
                xnr[j] = v;
                outr[j] = g[j] * v + b[j];
            }
        }
    }
}

/// Test-mode forward: `out = γ·(x − running_mean)/√(running_var + ε) + β`, per column.
#[allow(clippy::too_many_arguments)]
pub fn batch_norm_forward_test(
    rows: usize,
    cols: usize,
    x: &[f32],
    gamma: &[f32],
    beta: &[f32],
    running_mean: &[f32],
    running_var: &[f32],
    out: &mut [f32],
) {
    debug_assert_eq!(x.len(), rows * cols);
    if cols == 0 {
        return;
    }
    for (xr, outr) in x.chunks_exact(cols).zip(out.chunks_exact_mut(cols)) {
        for j in 0..cols {
            let scale = gamma[j] as f64 / (running_var[j] as f64 + EPS).sqrt();
            outr[j] = ((xr[j] as f64 - running_mean[j] as f64) * scale) as f32 + beta[j];
        }
    }
}

/// Backward of the training-mode forward: `dβ = Σ_rows dout`, `dγ = Σ_rows xn·dout`,
/// `dx = γ·inv_std·(dout − dβ/N − xn·dγ/N)`.
#[allow(clippy::too_many_arguments)]
pub fn batch_norm_backward(
    rows: usize,
    cols: usize,
    dout: &[f32],
    xn: &[f32],
    inv_std: &[f32],
    gamma: &[f32],
    dgamma: &mut [f32],
    dbeta: &mut [f32],
    dx: &mut [f32],
) {
    dgamma.fill(0.0);
    dbeta.fill(0.0);
    if rows == 0 || cols == 0 {
        return;
    }
    for (dr, xr) in dout.chunks_exact(cols).zip(xn.chunks_exact(cols)) {
        for j in 0..cols {
            dbeta[j] += dr[j];
            dgamma[j] += xr[j] * dr[j];
        }
    }
    let n = rows as f32;
    for ((dr, xr), dxr) in dout
        .chunks_exact(cols)
        .zip(xn.chunks_exact(cols))
        .zip(dx.chunks_exact_mut(cols))
    {
        for j in 0..cols {
            dxr[j] = gamma[j] * inv_std[j] * (dr[j] - dbeta[j] / n - xr[j] * (dgamma[j] / n));
        }
    }
}
