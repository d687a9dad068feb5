//! Plain stochastic gradient descent.

/// `param −= lr · grad`, element-wise, computed in f64 and stored as f32 (what the TS backend
/// does, so both give the same bits; `lr` is not rounded to f32 first).
///
/// # Panics
/// If the lengths differ.
pub fn sgd(lr: f64, param: &mut [f32], grad: &[f32]) {
    assert!(
        param.len() == grad.len(),
        "sgd: param holds {} elements, grad {}",
        param.len(),
        grad.len()
    );
    for (w, &g) in param.iter_mut().zip(grad) {
        *w = (f64::from(*w) - lr * f64::from(g)) as f32;
    }
}
