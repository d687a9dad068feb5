//! The Affine layer's passes as single calls (DLFS §5.6.2), so a training step crosses the
//! JS→WASM boundary once per layer and direction instead of two or three times:
//!
//! - forward `out = x·W + b`: `out` is filled with the bias rows, then the GEMM adds `x·W`
//!   into it from its micro-kernel's store (no second pass over `out`);
//! - backward `dW = xᵀ·dout`, `db = Σ_rows dout` and, unless the caller needs no input
//!   gradient (the first layer of a network), `dx = dout·Wᵀ`.
//!
//! Shapes: `x` is `m×k` (batch × inputs), `W` is `k×n`, `b`/`db` hold `n`, `out`/`dout` are `m×n`.

use crate::workspace::OutOfMemory;
use crate::{bias, gemm};

/// `out[m×n] = x[m×k] · W[k×n] + b` (b added to every row).
///
/// # Errors
/// [`OutOfMemory`] if the GEMM's workspace cannot grow (`out` then holds the bias rows only).
pub fn affine_forward(
    m: usize,
    k: usize,
    n: usize,
    x: &[f32],
    w: &[f32],
    b: &[f32],
    out: &mut [f32],
) -> Result<(), OutOfMemory> {
    if n == 0 {
        return Ok(());
    }
    for row in out.chunks_exact_mut(n) {
        row.copy_from_slice(b);
    }
    gemm::gemm_acc(m, k, n, x, k, 1, w, n, 1, out, n, 1)
}

/// `dW[k×n] = xᵀ·dout`, `db[n] = Σ_i dout[i, :]`, and `dx[m×k] = dout·Wᵀ` when `dx` is given.
///
/// # Errors
/// [`OutOfMemory`] if a GEMM's workspace cannot grow (the outputs are then incomplete).
#[allow(clippy::too_many_arguments)]
pub fn affine_backward(
    m: usize,
    k: usize,
    n: usize,
    x: &[f32],
    w: &[f32],
    dout: &[f32],
    dw: &mut [f32],
    db: &mut [f32],
    dx: Option<&mut [f32]>,
) -> Result<(), OutOfMemory> {
    gemm::gemm_tn(k, m, n, x, dout, dw)?;
    bias::col_sum(m, n, dout, db);
    if let Some(dx) = dx {
        gemm::gemm_nt(m, n, k, dout, w, dx)?;
    }
    Ok(())
}
