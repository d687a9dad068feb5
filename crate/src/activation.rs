//! Element-wise activations and their backward passes. The backward functions take the
//! forward *output* `y` (what the layer caches), and never write into `dout`.

use crate::parallel;

use crate::exp;

/// The book's ReLU mask `x <= 0`: true where an element is blocked. NaN is not `<= 0`, so it
/// passes, and a diverged value reaches the loss instead of becoming 0. (Written as a compare
/// and a select, never as `f32::max` or f32x4.max/pmax: those drop or keep NaN by operand order.)
#[inline(always)]
fn relu_blocks(v: f32) -> bool {
    v <= 0.0
}

/// `out = x <= 0 ? 0 : x`: max(x, 0), with NaN passing through as in the book.
pub fn relu_forward(x: &[f32], out: &mut [f32]) {
    let n = out.len();
    let parts = parallel::parts(n, parallel::ELEMENTWISE_MIN_PER_PART, n.div_ceil(16), 1);
    parallel::for_each_block(n, 16, parts, [out], |r, [out]| {
        for (o, &v) in out.iter_mut().zip(&x[r]) {
            *o = if relu_blocks(v) { 0.0 } else { v };
        }
    });
}

/// `dx = y <= 0 ? 0 : dout`, with `y` the forward output (≤ 0 exactly where x was, NaN where x was).
pub fn relu_backward(y: &[f32], dout: &[f32], dx: &mut [f32]) {
    let n = dx.len();
    let parts = parallel::parts(n, parallel::ELEMENTWISE_MIN_PER_PART, n.div_ceil(16), 1);
    parallel::for_each_block(n, 16, parts, [dx], |r, [dx]| {
        for ((d, &yi), &g) in dx.iter_mut().zip(&y[r.clone()]).zip(&dout[r]) {
            *d = if relu_blocks(yi) { 0.0 } else { g };
        }
    });
}

/// `out = 1 / (1 + exp(−x))`.
pub fn sigmoid_forward(x: &[f32], out: &mut [f32]) {
    // e^(−x) with the vectorised exp (libm's expf is scalar and ~6× slower in wasm), then 1/(1 + ·):
    // x → −∞ gives e^(−x) = +∞ and 0, x → +∞ gives 0 and 1, NaN stays NaN.
    exp::exp_affine_sum(x, -1.0, 0.0, out);
    for o in out.iter_mut() {
        *o = 1.0 / (1.0 + *o);
    }
}

/// `dx = dout · (1 − y) · y`, with `y` the forward output.
pub fn sigmoid_backward(y: &[f32], dout: &[f32], dx: &mut [f32]) {
    for ((d, &yi), &g) in dx.iter_mut().zip(y).zip(dout) {
        *d = g * (1.0 - yi) * yi;
    }
}
