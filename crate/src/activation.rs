//! Element-wise activations and their backward passes. The backward functions take the
//! forward *output* `y` (what the layer caches), and never write into `dout`.

use crate::{check_len, parallel};

use crate::exp;

/// `out = max(x, 0)`; a NaN input gives 0, like the TypeScript `x > 0 ? x : 0`.
///
/// # Panics
/// If the lengths differ.
pub fn relu_forward(x: &[f32], out: &mut [f32]) {
    check_len("relu_forward", "x", x, out.len());
    let n = out.len();
    let parts = parallel::parts(n, parallel::ELEMENTWISE_MIN_PER_PART, n.div_ceil(16), 1);
    parallel::for_each_block(n, 16, parts, [out], |r, [out]| {
        for (o, &v) in out.iter_mut().zip(&x[r]) {
            *o = if v > 0.0 { v } else { 0.0 };
        }
    });
}

/// `dx = y > 0 ? dout : 0`, with `y` the forward output.
///
/// # Panics
/// If the lengths differ.
pub fn relu_backward(y: &[f32], dout: &[f32], dx: &mut [f32]) {
    check_len("relu_backward", "y", y, dx.len());
    check_len("relu_backward", "dout", dout, dx.len());
    let n = dx.len();
    let parts = parallel::parts(n, parallel::ELEMENTWISE_MIN_PER_PART, n.div_ceil(16), 1);
    parallel::for_each_block(n, 16, parts, [dx], |r, [dx]| {
        for ((d, &yi), &g) in dx.iter_mut().zip(&y[r.clone()]).zip(&dout[r]) {
            *d = if yi > 0.0 { g } else { 0.0 };
        }
    });
}

/// `out = 1 / (1 + exp(−x))`.
///
/// # Panics
/// If the lengths differ.
pub fn sigmoid_forward(x: &[f32], out: &mut [f32]) {
    check_len("sigmoid_forward", "x", x, out.len());
    // e^(−x) with the vectorised exp (libm's expf is scalar and ~6× slower in wasm), then 1/(1 + ·):
    // x → −∞ gives e^(−x) = +∞ and 0, x → +∞ gives 0 and 1, NaN stays NaN.
    exp::exp_affine_sum(x, -1.0, 0.0, out);
    for o in out.iter_mut() {
        *o = 1.0 / (1.0 + *o);
    }
}

/// `dx = dout · (1 − y) · y`, with `y` the forward output.
///
/// # Panics
/// If the lengths differ.
pub fn sigmoid_backward(y: &[f32], dout: &[f32], dx: &mut [f32]) {
    check_len("sigmoid_backward", "y", y, dx.len());
    check_len("sigmoid_backward", "dout", dout, dx.len());
    for ((d, &yi), &g) in dx.iter_mut().zip(y).zip(dout) {
        *d = g * (1.0 - yi) * yi;
    }
}
