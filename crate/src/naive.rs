//! Reference implementations for the tests: the obvious loops, no blocking, no SIMD, and f64
//! wherever the result is compared with a tolerance.

/// `C = A·B` with strides, summing p = 0, 1, … in f32 (exact for small-integer inputs).
#[allow(clippy::too_many_arguments)]
#[rustfmt::skip]
pub fn gemm(
    m: usize, k: usize, n: usize,
    a: &[f32], rsa: usize, csa: usize,
    b: &[f32], rsb: usize, csb: usize,
    c: &mut [f32], rsc: usize, csc: usize,
) {
    for i in 0..m {
        for j in 0..n {
            let mut s = 0.0f32;
            for p in 0..k {
                s += a[i * rsa + p * csa] * b[p * rsb + j * csb];
            }
            c[i * rsc + j * csc] = s;
        }
    }
}

/// Row-major `C = A·B` in f64, plus `Σ_p |a_ip·b_pj|` per element (the scale of rounding error).
#[allow(clippy::too_many_arguments)]
#[rustfmt::skip]
pub fn gemm_f64(
    m: usize, k: usize, n: usize,
    a: &[f32], rsa: usize, csa: usize,
    b: &[f32], rsb: usize, csb: usize,
) -> (Vec<f64>, Vec<f64>) {
    let (mut c, mut scale) = (vec![0.0; m * n], vec![0.0; m * n]);
    for i in 0..m {
        for j in 0..n {
            for p in 0..k {
                let prod = f64::from(a[i * rsa + p * csa]) * f64::from(b[p * rsb + j * csb]);
                c[i * n + j] += prod;
                scale[i * n + j] += prod.abs();
            }
        }
    }
    (c, scale)
}

pub fn add_bias(rows: usize, cols: usize, x: &mut [f32], b: &[f32]) {
    for i in 0..rows {
        for j in 0..cols {
            x[i * cols + j] += b[j];
        }
    }
}

pub fn col_sum(rows: usize, cols: usize, x: &[f32], out: &mut [f32]) {
    for j in 0..cols {
        let mut s = 0.0f32;
        for i in 0..rows {
            s += x[i * cols + j];
        }
        out[j] = s;
    }
}

pub fn relu_forward(x: &[f32]) -> Vec<f32> {
    // the book: mask = (x <= 0); out = x.copy(); out[mask] = 0 (NaN is not masked)
    x.iter().map(|&v| if v <= 0.0 { 0.0 } else { v }).collect()
}

pub fn relu_backward(y: &[f32], dout: &[f32]) -> Vec<f32> {
    y.iter()
        .zip(dout)
        .map(|(&y, &g)| if y <= 0.0 { 0.0 } else { g })
        .collect()
}

pub fn sigmoid_forward(x: &[f32]) -> Vec<f64> {
    x.iter()
        .map(|&v| 1.0 / (1.0 + (-f64::from(v)).exp()))
        .collect()
}

pub fn sigmoid_backward(y: &[f32], dout: &[f32]) -> Vec<f64> {
    y.iter()
        .zip(dout)
        .map(|(&y, &g)| f64::from(g) * (1.0 - f64::from(y)) * f64::from(y))
        .collect()
}

pub fn sgd(lr: f32, param: &mut [f32], grad: &[f32]) {
    for (w, &g) in param.iter_mut().zip(grad) {
        *w -= lr * g;
    }
}

/// Softmax in f64 (max-subtracted) and the mean cross-entropy `−(1/rows) Σ t·log y`.
pub fn softmax_xent(rows: usize, cols: usize, x: &[f32], t: &[f32]) -> (Vec<f64>, f64) {
    let mut y = vec![0.0; rows * cols];
    let mut loss = 0.0;
    for i in 0..rows {
        let row = &x[i * cols..(i + 1) * cols];
        let max = row
            .iter()
            .map(|&v| f64::from(v))
            .fold(f64::NEG_INFINITY, f64::max);
        let sum: f64 = row.iter().map(|&v| (f64::from(v) - max).exp()).sum();
        for j in 0..cols {
            let log_y = f64::from(row[j]) - max - sum.ln();
            y[i * cols + j] = log_y.exp();
            loss -= f64::from(t[i * cols + j]) * log_y;
        }
    }
    (y, if rows > 0 { loss / rows as f64 } else { 0.0 })
}

/// `(y − t) / rows` in f64.
pub fn softmax_xent_backward(rows: usize, y: &[f32], t: &[f32]) -> Vec<f64> {
    y.iter()
        .zip(t)
        .map(|(&y, &t)| (f64::from(y) - f64::from(t)) / rows as f64)
        .collect()
}

/// One-hot rows from class indices.
pub fn onehot(cols: usize, labels: &[f32]) -> Vec<f32> {
    let mut t = vec![0.0; labels.len() * cols];
    for (i, &l) in labels.iter().enumerate() {
        t[i * cols + l as usize] = 1.0;
    }
    t
}
