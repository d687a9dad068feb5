//! Softmax fused with cross-entropy (DLFS `SoftmaxWithLoss`).
//!
//! Forward, per row: `max`, `e_j = exp(x_j − max)`, `s = Σ e_j`, `y_j = e_j / s`, and the loss
//! from the log-softmax `log y_j = x_j − max − ln s`, which neither overflows (every exponent is
//! ≤ 0) nor takes `log 0`. The exponentials and their sum are f32 and vectorised ([`exp`]);
//! the log of the sum and the loss are f64. Backward is `dx = (y − t) / rows`; the `_grad_`
//! functions do forward and backward in one pass over each row.
//!
//! Targets come as a one-hot (or any probability) matrix `t`, or as one class index per row
//! stored in an f32 (`labels`, exact below 2^24).

use crate::exp;

/// `y = softmax(x)` row by row; returns `−(1/rows) Σ_i Σ_j t[i, j] · log y[i, j]` (0 if `rows = 0`).
pub fn softmax_xent_onehot(rows: usize, cols: usize, x: &[f32], t: &[f32], y: &mut [f32]) -> f64 {
    if rows == 0 || cols == 0 {
        return 0.0;
    }
    let mut loss = Xent::default();
    for ((xr, tr), yr) in x
        .chunks_exact(cols)
        .zip(t.chunks_exact(cols))
        .zip(y.chunks_exact_mut(cols))
    {
        let (max, sum) = softmax_row(xr, yr);
        loss.add_onehot(xr, tr, max, sum);
    }
    loss.mean(rows)
}

/// As [`softmax_xent_onehot`] with `labels[i]` the class of row i: `−(1/rows) Σ_i log y[i, labels[i]]`.
///
/// # Panics
/// If a label is not an integer in `0..cols`.
pub fn softmax_xent_labels(
    rows: usize,
    cols: usize,
    x: &[f32],
    labels: &[f32],
    y: &mut [f32],
) -> f64 {
    if rows == 0 {
        return 0.0;
    }
    assert!(
        cols > 0,
        "softmax_xent_labels: no class index is valid when cols = 0"
    );
    let mut loss = Xent::default();
    for ((xr, &label), yr) in x
        .chunks_exact(cols)
        .zip(labels)
        .zip(y.chunks_exact_mut(cols))
    {
        let (max, sum) = softmax_row(xr, yr);
        let l = label_index("softmax_xent_labels", label, cols);
        loss.add_label(xr[l], max, sum);
    }
    loss.mean(rows)
}

/// `dx = (y − t) / rows`.
pub fn softmax_xent_backward_onehot(
    rows: usize,
    cols: usize,
    y: &[f32],
    t: &[f32],
    dx: &mut [f32],
) {
    debug_assert_eq!(dx.len(), rows * cols);
    let scale = 1.0 / rows as f32;
    for ((d, &yi), &ti) in dx.iter_mut().zip(y).zip(t) {
        *d = (yi - ti) * scale;
    }
}

/// `dx = (y − onehot(labels)) / rows`.
///
/// # Panics
/// If a label is not an integer in `0..cols`.
pub fn softmax_xent_backward_labels(
    rows: usize,
    cols: usize,
    y: &[f32],
    labels: &[f32],
    dx: &mut [f32],
) {
    if rows == 0 {
        return;
    }
    assert!(
        cols > 0,
        "softmax_xent_backward_labels: no class index is valid when cols = 0"
    );
    let scale = 1.0 / rows as f32;
    for ((dr, yr), &label) in dx
        .chunks_exact_mut(cols)
        .zip(y.chunks_exact(cols))
        .zip(labels)
    {
        let l = label_index("softmax_xent_backward_labels", label, cols);
        row_grad_label(yr, l, scale, dr);
    }
}

/// Forward and backward in one pass: `y = softmax(x)`, `dx = (y − t) / rows`, returns the mean
/// loss as [`softmax_xent_onehot`]. Each row's `y` is still in L1 when its `dx` is written.
pub fn softmax_xent_grad_onehot(
    rows: usize,
    cols: usize,
    x: &[f32],
    t: &[f32],
    y: &mut [f32],
    dx: &mut [f32],
) -> f64 {
    if rows == 0 || cols == 0 {
        return 0.0;
    }
    let scale = 1.0 / rows as f32;
    let mut loss = Xent::default();
    for (((xr, tr), yr), dr) in x
        .chunks_exact(cols)
        .zip(t.chunks_exact(cols))
        .zip(y.chunks_exact_mut(cols))
        .zip(dx.chunks_exact_mut(cols))
    {
        let (max, sum) = exp_row(xr, yr);
        loss.add_onehot(xr, tr, max, sum);
        let inv = 1.0 / sum;
        for ((d, yj), &tj) in dr.iter_mut().zip(yr.iter_mut()).zip(tr) {
            *yj *= inv;
            *d = (*yj - tj) * scale;
        }
    }
    loss.mean(rows)
}

/// As [`softmax_xent_grad_onehot`] with one class index per row.
///
/// # Panics
/// If a label is not an integer in `0..cols`.
pub fn softmax_xent_grad_labels(
    rows: usize,
    cols: usize,
    x: &[f32],
    labels: &[f32],
    y: &mut [f32],
    dx: &mut [f32],
) -> f64 {
    if rows == 0 {
        return 0.0;
    }
    assert!(
        cols > 0,
        "softmax_xent_grad_labels: no class index is valid when cols = 0"
    );
    let scale = 1.0 / rows as f32;
    let mut loss = Xent::default();
    for (((xr, &label), yr), dr) in x
        .chunks_exact(cols)
        .zip(labels)
        .zip(y.chunks_exact_mut(cols))
        .zip(dx.chunks_exact_mut(cols))
    {
        let (max, sum) = exp_row(xr, yr);
        let l = label_index("softmax_xent_grad_labels", label, cols);
        loss.add_label(xr[l], max, sum);
        let inv = 1.0 / sum;
        for (d, yj) in dr.iter_mut().zip(yr.iter_mut()) {
            *yj *= inv;
            *d = *yj * scale;
        }
        dr[l] = (yr[l] - 1.0) * scale;
    }
    loss.mean(rows)
}

/// One row of `dx = (y − onehot(l)) · scale`.
fn row_grad_label(y: &[f32], l: usize, scale: f32, dx: &mut [f32]) {
    for (d, &yj) in dx.iter_mut().zip(y) {
        *d = yj * scale;
    }
    dx[l] = (y[l] - 1.0) * scale;
}

/// Softmax of one row into `y`; returns `(max, Σ exp(x − max))` for the log-softmax. The
/// exponentials and their sum are f32 and vectorised ([`exp`]).
fn softmax_row(x: &[f32], y: &mut [f32]) -> (f32, f32) {
    let (max, sum) = exp_row(x, y);
    let inv = 1.0 / sum;
    for yj in y.iter_mut() {
        *yj *= inv;
    }
    (max, sum)
}

/// The unnormalised softmax `y = exp(x − max)` of one row; returns `(max, Σ y)`. The `_grad_`
/// functions normalise `y` in the same pass that writes `dx`.
fn exp_row(x: &[f32], y: &mut [f32]) -> (f32, f32) {
    let max = exp::max(x);
    (max, exp::exp_affine_sum(x, 1.0, max, y))
}

/// The summed cross-entropy of the rows seen so far, from the log-softmax
/// `log y_ij = (x_ij − max_i) − ln s_i` (with `s_i = Σ_j exp(x_ij − max_i)`), kept as
/// `Σ_i T_i·ln s_i − Σ_ij t_ij·(x_ij − max_i)` where `T_i = Σ_j t_ij`. In f64.
///
/// `ln` is the costly part when rows are short (about 30 ns in wasm against ~60 ns for the rest
/// of a 10-class row), so for rows with `T_i = 1` (labels, one-hot rows) the `s_i` are
/// multiplied together and one `ln` is taken per ~250 orders of magnitude: each `s_i` lies in
/// `[1, cols]` (the max term is exp 0 = 1), so the product never overflows. Label rows and
/// one-hot rows go through the same operations, so their losses agree bit for bit.
#[derive(Default)]
struct Xent {
    /// `Σ t_ij·(x_ij − max_i)` over all rows.
    linear: f64,
    /// Product of the `s_i` of `T_i = 1` rows whose log is not yet taken (`None`: no such row).
    product: Option<f64>,
    /// Logs of earlier products, plus `T_i·ln s_i` of rows with `T_i ≠ 1`.
    logs: f64,
}

impl Xent {
    /// Moves the product into `logs` beyond this size.
    const FLUSH: f64 = 1e250;

    /// A row whose target is class `l`: `x_l`, the row's max and `s`. The difference is taken in
    /// f64: in f32, `x_l − max` overflows to −∞ for logits of opposite signs near ±1.7e38.
    fn add_label(&mut self, xl: f32, max: f32, sum: f32) {
        self.linear += f64::from(xl) - f64::from(max);
        self.add_log(sum);
    }

    /// A row with target probabilities `t`.
    fn add_onehot(&mut self, x: &[f32], t: &[f32], max: f32, sum: f32) {
        let mut weight = 0.0f64;
        for (&xj, &tj) in x.iter().zip(t) {
            if tj != 0.0 {
                self.linear += f64::from(tj) * (f64::from(xj) - f64::from(max));
                weight += f64::from(tj);
            }
        }
        if weight == 1.0 {
            self.add_log(sum);
        } else {
            self.logs += weight * f64::from(sum).ln();
        }
    }

    fn add_log(&mut self, sum: f32) {
        let p = self.product.unwrap_or(1.0) * f64::from(sum);
        if p > Self::FLUSH {
            self.logs += p.ln();
            self.product = None;
        } else {
            self.product = Some(p);
        }
    }

    /// The mean over `rows` rows (0 when there are none).
    fn mean(self, rows: usize) -> f64 {
        if rows == 0 {
            return 0.0;
        }
        let logs = self.logs + self.product.map_or(0.0, f64::ln);
        (logs - self.linear) / rows as f64
    }
}

fn label_index(op: &str, label: f32, cols: usize) -> usize {
    assert!(
        label >= 0.0 && label < cols as f32 && label.fract() == 0.0,
        "{op}: expected a class index in 0..{cols}, got {label}"
    );
    label as usize
}
