//! Batch normalization against the book's formulas in f64, node by node.

use crate::batch_norm::*;

/// Deterministic values in [−1, 1) plus an offset (so the means are not ~0).
fn values(len: usize, seed: u64, scale: f32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0 + 0.3) * scale
        })
        .collect()
}

/// The book's formulas in f64, node by node (forward: xc, var, std, xn; backward: dxn,
/// dxc, dstd, dvar, dμ): (out, xn, std, running mean, running var, dx, dγ, dβ).
#[allow(clippy::type_complexity)]
fn naive(
    rows: usize,
    cols: usize,
    m: f64,
    x: &[f32],
    g: &[f32],
    b: &[f32],
    rm: &[f32],
    rv: &[f32],
    dout: &[f32],
) -> (
    Vec<f64>,
    Vec<f64>,
    Vec<f64>,
    Vec<f64>,
    Vec<f64>,
    Vec<f64>,
    Vec<f64>,
    Vec<f64>,
) {
    let n = rows as f64;
    let (mut out, mut xn, mut std, mut rm2, mut rv2) = (
        vec![0.0; rows * cols],
        vec![0.0; rows * cols],
        vec![0.0; cols],
        vec![0.0; cols],
        vec![0.0; cols],
    );
    let (mut dx, mut dg, mut db) = (vec![0.0; rows * cols], vec![0.0; cols], vec![0.0; cols]);
    for j in 0..cols {
        let col = |a: &[f32], i: usize| a[i * cols + j] as f64;
        let mu = (0..rows).map(|i| col(x, i)).sum::<f64>() / n;
        let xc: Vec<f64> = (0..rows).map(|i| col(x, i) - mu).collect();
        let var = xc.iter().map(|c| c * c).sum::<f64>() / n;
        std[j] = (var + 1e-6).sqrt();
        rm2[j] = m * rm[j] as f64 + (1.0 - m) * mu;
        rv2[j] = m * rv[j] as f64 + (1.0 - m) * var;
        let gj = g[j] as f64;
        for i in 0..rows {
            xn[i * cols + j] = xc[i] / std[j];
            out[i * cols + j] = gj * xn[i * cols + j] + b[j] as f64;
        }
        let mut dxc = vec![0.0; rows];
        let mut dstd = 0.0;
        for i in 0..rows {
            let d = col(dout, i);
            db[j] += d;
            dg[j] += xn[i * cols + j] * d;
            let dxn = gj * d;
            dxc[i] = dxn / std[j];
            dstd -= dxn * xc[i] / (std[j] * std[j]);
        }
        let dvar = 0.5 * dstd / std[j];
        for i in 0..rows {
            dxc[i] += 2.0 / n * xc[i] * dvar;
        }
        let dmu: f64 = dxc.iter().sum();
        for i in 0..rows {
            dx[i * cols + j] = dxc[i] - dmu / n;
        }
    }
    (out, xn, std, rm2, rv2, dx, dg, db)
}

fn assert_close(what: &str, got: &[f32], want: &[f64], scale: f64, tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!(
            ((g as f64) - w).abs() <= tol * scale.max(w.abs()),
            "{what}[{i}]: got {g}, want {w}"
        );
    }
}

#[test]
fn matches_the_books_formulas_over_many_shapes() {
    let mut seed = 1;
    for rows in [1usize, 2, 3, 5, 7, 16, 33, 100] {
        for cols in [1usize, 3, 4, 5, 17, 63, 64, 65, 130] {
            for scale in [1.0f32, 1e-3, 30.0] {
                seed += 1;
                let x = values(rows * cols, seed, scale);
                let g: Vec<f32> = values(cols, seed + 1000, 1.0)
                    .iter()
                    .map(|v| v + 1.2)
                    .collect();
                let b = values(cols, seed + 2000, 1.0);
                let rm = values(cols, seed + 3000, 1.0);
                let rv: Vec<f32> = values(cols, seed + 4000, 1.0)
                    .iter()
                    .map(|v| v + 1.0)
                    .collect();
                let dout = values(rows * cols, seed + 5000, 1.0);
                let (want_out, want_xn, std, want_rm, want_rv, want_dx, want_dg, want_db) =
                    naive(rows, cols, 0.8, &x, &g, &b, &rm, &rv, &dout);
                let (mut rm1, mut rv1) = (rm.clone(), rv.clone());
                let (mut xn, mut inv, mut out) = (
                    vec![f32::NAN; rows * cols],
                    vec![f32::NAN; cols],
                    vec![f32::NAN; rows * cols],
                );
                batch_norm_forward_train(
                    rows, cols, 0.8, &x, &g, &b, &mut rm1, &mut rv1, &mut xn, &mut inv, &mut out,
                );
                let what = format!("{rows}×{cols} scale {scale}");
                assert_close(&format!("{what} out"), &out, &want_out, 1.0, 1e-5);
                assert_close(&format!("{what} xn"), &xn, &want_xn, 1.0, 1e-5);
                assert_close(&format!("{what} running mean"), &rm1, &want_rm, 1.0, 1e-5);
                assert_close(&format!("{what} running var"), &rv1, &want_rv, 1.0, 1e-5);
                let (mut dg, mut db, mut dx) = (
                    vec![f32::NAN; cols],
                    vec![f32::NAN; cols],
                    vec![f32::NAN; rows * cols],
                );
                batch_norm_backward(rows, cols, &dout, &xn, &inv, &g, &mut dg, &mut db, &mut dx);
                // dx cancels (to 0 for N = 1): measured against the size of its terms, γ/σ·|dout|
                let dx_scale = (0..cols)
                    .map(|j| (g[j] as f64 / std[j]).abs())
                    .fold(0.0, f64::max);
                assert_close(&format!("{what} dx"), &dx, &want_dx, dx_scale, 1e-5);
                assert_close(&format!("{what} dgamma"), &dg, &want_dg, rows as f64, 1e-5);
                assert_close(&format!("{what} dbeta"), &db, &want_db, rows as f64, 1e-5);
                // test mode with the running statistics just updated
                let mut test = vec![f32::NAN; rows * cols];
                batch_norm_forward_test(rows, cols, &x, &g, &b, &rm1, &rv1, &mut test);
                for i in 0..rows * cols {
                    let j = i % cols;
                    let want = g[j] as f64 * (x[i] as f64 - rm1[j] as f64)
                        / (rv1[j] as f64 + 1e-6).sqrt()
                        + b[j] as f64;
                    assert!(
                        ((test[i] as f64) - want).abs() <= 1e-5 * want.abs().max(1.0),
                        "{what} test[{i}]: got {}, want {want}",
                        test[i]
                    );
                }
            }
        }
    }
}

#[test]
fn zero_rows_or_columns_write_nothing_and_leave_the_running_statistics() {
    let (mut rm, mut rv, mut inv) = (vec![0.5f32; 3], vec![2.0f32; 3], vec![f32::NAN; 3]);
    batch_norm_forward_train(
        0,
        3,
        0.9,
        &[],
        &[1.0; 3],
        &[0.0; 3],
        &mut rm,
        &mut rv,
        &mut [],
        &mut inv,
        &mut [],
    );
    assert_eq!((rm, rv), (vec![0.5; 3], vec![2.0; 3]));
    let (mut dg, mut db) = (vec![f32::NAN; 3], vec![f32::NAN; 3]);
    batch_norm_backward(
        0,
        3,
        &[],
        &[],
        &[1.0; 3],
        &[1.0; 3],
        &mut dg,
        &mut db,
        &mut [],
    );
    assert_eq!((dg, db), (vec![0.0; 3], vec![0.0; 3]));
    batch_norm_forward_train(
        4,
        0,
        0.9,
        &[],
        &[],
        &[],
        &mut [],
        &mut [],
        &mut [],
        &mut [],
        &mut [],
    );
}

#[test]
#[should_panic(expected = "batch_norm_forward_train: expected gamma to hold 3 elements, got 2")]
fn a_wrong_length_panics_with_a_message() {
    crate::abi::checked::batch_norm_forward_train(
        2,
        3,
        0.9,
        &[0.0; 6],
        &[1.0; 2],
        &[0.0; 3],
        &mut [0.0; 3],
        &mut [0.0; 3],
        &mut [0.0; 6],
        &mut [0.0; 3],
        &mut [0.0; 6],
    );
}
