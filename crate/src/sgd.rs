//! Plain stochastic gradient descent.

/// `param −= lr · grad`, element-wise.
///
/// # Panics
/// If the lengths differ.
pub fn sgd(lr: f32, param: &mut [f32], grad: &[f32]) {
    assert!(
        param.len() == grad.len(),
        "sgd: param holds {} elements, grad {}",
        param.len(),
        grad.len()
    );
    for (w, &g) in param.iter_mut().zip(grad) {
        *w -= lr * g;
    }
}
