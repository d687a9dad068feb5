//! The update rules of the book's chapters 4 and 6 (`common/optimizer.py`), one element-wise pass
//! each, and the gradient accumulation of a value used twice.
//! Every function updates `param` and its optimizer state (`v`, `h`, `m`) in place from `grad`,
//! in exactly the book's order of operations, in f32 (as the book's numpy arrays are).
//!
//! Constants derived from the hyper-parameters (`1 − β`, `1 − decay`, `momentum²`,
//! `(1 + momentum)·lr`) come from the caller, computed in f64 and rounded once: in f32,
//! `1 − f32(0.999)` is 9.99987e-4, 1.3e-5 off. The TS backend does the same f32 operations
//! (`Math.fround` after each), so both backends give the same bits. Hyper-parameters are
//! checked on the TS side; here they are plain numbers. Every slice holds as many elements as
//! `param` (the kernel table in `crate::abi` checks the lengths).

/// Plain stochastic gradient descent: `param −= lr · grad`.
pub fn sgd(lr: f32, param: &mut [f32], grad: &[f32]) {
    for (w, &g) in param.iter_mut().zip(grad) {
        *w -= lr * g;
    }
}

/// `target += source`: the gradients of a value used in two places add up.
pub fn accumulate(target: &mut [f32], source: &[f32]) {
    for (t, &s) in target.iter_mut().zip(source) {
        *t += s;
    }
}

/// Momentum (§6.1.4): `v = momentum·v − lr·grad; param += v`.
pub fn momentum(lr: f32, momentum: f32, param: &mut [f32], grad: &[f32], v: &mut [f32]) {
    for ((w, &g), v) in param.iter_mut().zip(grad).zip(v.iter_mut()) {
        *v = momentum * *v - lr * g;
        *w += *v;
    }
}

/// Nesterov's accelerated gradient as the book's current `optimizer.py` writes it: the parameter
/// moves with the velocity of the previous step, then the velocity is updated:
/// `param += momentum²·v; param −= (1 + momentum)·lr·grad; v = momentum·v − lr·grad`, with
/// `mm = momentum²` and `step = (1 + momentum)·lr` from the caller.
pub fn nesterov(
    lr: f32,
    momentum: f32,
    mm: f32,
    step: f32,
    param: &mut [f32],
    grad: &[f32],
    v: &mut [f32],
) {
    for ((w, &g), v) in param.iter_mut().zip(grad).zip(v.iter_mut()) {
        *w += mm * *v;
        *w -= step * g;
        *v = momentum * *v - lr * g;
    }
}

/// AdaGrad (§6.1.5): `h += grad²; param −= lr·grad / (√h + eps)`.
pub fn adagrad(lr: f32, eps: f32, param: &mut [f32], grad: &[f32], h: &mut [f32]) {
    for ((w, &g), h) in param.iter_mut().zip(grad).zip(h.iter_mut()) {
        *h += g * g;
        *w -= lr * g / (h.sqrt() + eps);
    }
}

/// RMSprop (`optimizer.py`): `h = decay·h + (1 − decay)·grad²; param −= lr·grad / (√h + eps)`,
/// with `keep = 1 − decay` from the caller.
pub fn rmsprop(
    lr: f32,
    decay: f32,
    keep: f32,
    eps: f32,
    param: &mut [f32],
    grad: &[f32],
    h: &mut [f32],
) {
    for ((w, &g), h) in param.iter_mut().zip(grad).zip(h.iter_mut()) {
        *h *= decay;
        *h += keep * g * g;
        *w -= lr * g / (h.sqrt() + eps);
    }
}

/// Adam (§6.1.6) as the book writes it: `m += (1 − β1)(grad − m); v += (1 − β2)(grad² − v);
/// param −= lr_t·m / (√v + eps)`, with `k1 = 1 − β1`, `k2 = 1 − β2` and the bias corrections
/// folded into `lr_t = lr·√(1 − β2^t) / (1 − β1^t)` by the caller (the same for every element).
#[allow(clippy::too_many_arguments)]
pub fn adam(
    lr_t: f32,
    k1: f32,
    k2: f32,
    eps: f32,
    param: &mut [f32],
    grad: &[f32],
    m: &mut [f32],
    v: &mut [f32],
) {
    let n = param.len();
    let parts = crate::parallel::parts(
        n,
        crate::parallel::ELEMENTWISE_MIN_PER_PART,
        n.div_ceil(16),
        1,
    );
    crate::parallel::for_each_block(n, 16, parts, [param, m, v], |r, [param, m, v]| {
        for (((w, &g), m), v) in param
            .iter_mut()
            .zip(&grad[r])
            .zip(m.iter_mut())
            .zip(v.iter_mut())
        {
            *m += k1 * (g - *m);
            *v += k2 * (g * g - *v);
            *w -= lr_t * *m / (v.sqrt() + eps);
        }
    });
}
