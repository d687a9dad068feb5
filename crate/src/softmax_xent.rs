//! Softmax fused with cross-entropy (DLFS `SoftmaxWithLoss`).
//!
//! Forward, per row: `max`, `e_j = exp(x_j − max)`, `s = Σ e_j`, `y_j = e_j / s`, and the loss
//! from the log-softmax `log y_j = x_j − max − ln s`, which neither overflows (every exponent is
//! ≤ 0) nor takes `log 0`. Sums and the loss are accumulated in f64. Backward is
//! `dx = (y − t) / rows`.
//!
//! Targets come as a one-hot (or any probability) matrix `t`, or as one class index per row
//! stored in an f32 (`labels`, exact below 2^24).

/// `y = softmax(x)` row by row; returns `−(1/rows) Σ_i Σ_j t[i, j] · log y[i, j]` (0 if `rows = 0`).
///
/// # Panics
/// If `x`, `t` or `y` does not hold `rows·cols` elements.
pub fn softmax_xent_onehot(rows: usize, cols: usize, x: &[f32], t: &[f32], y: &mut [f32]) -> f64 {
    check_matrix("softmax_xent_onehot", "x", x, rows, cols);
    check_matrix("softmax_xent_onehot", "t", t, rows, cols);
    check_matrix("softmax_xent_onehot", "y", y, rows, cols);
    if rows == 0 || cols == 0 {
        return 0.0;
    }
    let mut total = 0.0f64;
    for ((xr, tr), yr) in x
        .chunks_exact(cols)
        .zip(t.chunks_exact(cols))
        .zip(y.chunks_exact_mut(cols))
    {
        let (max, log_sum) = softmax_row(xr, yr);
        for (&xj, &tj) in xr.iter().zip(tr) {
            if tj != 0.0 {
                total -= f64::from(tj) * (f64::from(xj - max) - log_sum);
            }
        }
    }
    total / rows as f64
}

/// As [`softmax_xent_onehot`] with `labels[i]` the class of row i: `−(1/rows) Σ_i log y[i, labels[i]]`.
///
/// # Panics
/// If a length is wrong or a label is not an integer in `0..cols`.
pub fn softmax_xent_labels(
    rows: usize,
    cols: usize,
    x: &[f32],
    labels: &[f32],
    y: &mut [f32],
) -> f64 {
    check_matrix("softmax_xent_labels", "x", x, rows, cols);
    check_matrix("softmax_xent_labels", "labels", labels, rows, 1);
    check_matrix("softmax_xent_labels", "y", y, rows, cols);
    if rows == 0 {
        return 0.0;
    }
    assert!(
        cols > 0,
        "softmax_xent_labels: no class index is valid when cols = 0"
    );
    let mut total = 0.0f64;
    for ((xr, &label), yr) in x
        .chunks_exact(cols)
        .zip(labels)
        .zip(y.chunks_exact_mut(cols))
    {
        let (max, log_sum) = softmax_row(xr, yr);
        let l = label_index("softmax_xent_labels", label, cols);
        total -= f64::from(xr[l] - max) - log_sum;
    }
    total / rows as f64
}

/// `dx = (y − t) / rows`.
///
/// # Panics
/// If `y`, `t` or `dx` does not hold `rows·cols` elements.
pub fn softmax_xent_backward_onehot(
    rows: usize,
    cols: usize,
    y: &[f32],
    t: &[f32],
    dx: &mut [f32],
) {
    check_matrix("softmax_xent_backward_onehot", "y", y, rows, cols);
    check_matrix("softmax_xent_backward_onehot", "t", t, rows, cols);
    check_matrix("softmax_xent_backward_onehot", "dx", dx, rows, cols);
    let n = rows as f32;
    for ((d, &yi), &ti) in dx.iter_mut().zip(y).zip(t) {
        *d = (yi - ti) / n;
    }
}

/// `dx = (y − onehot(labels)) / rows`.
///
/// # Panics
/// If a length is wrong or a label is not an integer in `0..cols`.
pub fn softmax_xent_backward_labels(
    rows: usize,
    cols: usize,
    y: &[f32],
    labels: &[f32],
    dx: &mut [f32],
) {
    check_matrix("softmax_xent_backward_labels", "y", y, rows, cols);
    check_matrix("softmax_xent_backward_labels", "labels", labels, rows, 1);
    check_matrix("softmax_xent_backward_labels", "dx", dx, rows, cols);
    if rows == 0 {
        return;
    }
    assert!(
        cols > 0,
        "softmax_xent_backward_labels: no class index is valid when cols = 0"
    );
    let n = rows as f32;
    for ((dr, yr), &label) in dx
        .chunks_exact_mut(cols)
        .zip(y.chunks_exact(cols))
        .zip(labels)
    {
        for (d, &yi) in dr.iter_mut().zip(yr) {
            *d = yi / n;
        }
        let l = label_index("softmax_xent_backward_labels", label, cols);
        dr[l] = (yr[l] - 1.0) / n;
    }
}

/// Softmax of one row into `y`; returns `(max, ln Σ exp(x − max))` for the log-softmax.
fn softmax_row(x: &[f32], y: &mut [f32]) -> (f32, f64) {
    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0f64;
    for (yj, &xj) in y.iter_mut().zip(x) {
        let e = (xj - max).exp();
        *yj = e;
        sum += f64::from(e);
    }
    for yj in y.iter_mut() {
        *yj = (f64::from(*yj) / sum) as f32;
    }
    (max, sum.ln())
}

fn label_index(op: &str, label: f32, cols: usize) -> usize {
    assert!(
        label >= 0.0 && label < cols as f32 && label.fract() == 0.0,
        "{op}: expected a class index in 0..{cols}, got {label}"
    );
    label as usize
}

fn check_matrix(op: &str, name: &str, v: &[f32], rows: usize, cols: usize) {
    assert!(
        v.len() == rows * cols,
        "{op}: expected {name} to hold {rows}×{cols} elements, got {}",
        v.len()
    );
}
