//! The fused kernels against the unfused ones they replace (which `tests.rs` pins against the
//! naive references), and `exp` against f64.

use super::{labels, Canaried, Rng, BIG, SMALL};
use crate::{affine, bias, exp, gemm, naive, softmax_xent};

/// Relative error of `exp` in units of the f32 spacing at the true value.
fn ulps(got: f32, want: f64) -> f64 {
    let spacing = f64::from(f32::EPSILON) * want.abs().max(f64::from(f32::MIN_POSITIVE));
    (f64::from(got) - want).abs() / spacing
}

#[test]
fn exp_is_accurate_to_two_ulp_over_its_range() {
    let mut worst = (0.0f64, 0.0f32);
    let steps = 2_000_000;
    for i in 0..=steps {
        let x = exp::MIN_X + (exp::MAX_X - exp::MIN_X) * (i as f32 / steps as f32);
        let err = ulps(exp::exp(x), f64::from(x).exp());
        if err > worst.0 {
            worst = (err, x);
        }
    }
    assert!(worst.0 <= 2.0, "exp: {} ulp at x = {}", worst.0, worst.1);
    // The range softmax uses, densely.
    for i in 0..=1_000_000 {
        let x = -20.0 * (i as f32 / 1e6);
        let err = ulps(exp::exp(x), f64::from(x).exp());
        assert!(err <= 2.0, "exp({x}): {err} ulp");
    }
}

#[test]
fn exp_edges() {
    assert_eq!(exp::exp(0.0), 1.0);
    assert_eq!(exp::exp(-0.0), 1.0);
    assert_eq!(exp::exp(-1000.0), 0.0);
    assert_eq!(exp::exp(f32::NEG_INFINITY), 0.0);
    assert_eq!(exp::exp(1000.0), f32::INFINITY);
    assert!(exp::exp(f32::NAN).is_nan());
    assert!((exp::exp(1.0) - std::f32::consts::E).abs() <= f32::EPSILON * 3.0);
}

#[test]
fn exp_affine_sum_and_max_on_every_length() {
    let mut rng = Rng(40);
    for len in SMALL.chain(BIG) {
        let x: Vec<f32> = rng.floats(len).iter().map(|v| v * 30.0).collect();
        let m = exp::max(&x);
        let want_max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        assert_eq!(m, want_max, "max of {len}");
        let mut y = Canaried::new(len);
        let sum = exp::exp_affine_sum(&x, 1.0, m, y.out());
        y.check_canaries("exp_affine_sum");
        let mut want_sum = 0.0f64;
        for (&g, &xj) in y.get().iter().zip(&x) {
            let w = f64::from(xj - m).exp();
            want_sum += w;
            assert!(
                ulps(g, w) <= 2.0 || w < 1e-37,
                "exp_affine_sum {len}: {g} vs {w}"
            );
        }
        assert!(
            (f64::from(sum) - want_sum).abs() <= 1e-6 * want_sum.max(1.0),
            "sum of {len}: {sum} vs {want_sum}"
        );
        // scale −1, as sigmoid uses it: e^(−x).
        let mut z = Canaried::new(len);
        exp::exp_affine_sum(&x, -1.0, 0.0, z.out());
        z.check_canaries("exp_affine_sum, scale −1");
        for (&g, &xj) in z.get().iter().zip(&x) {
            let w = f64::from(-xj).exp();
            assert!(ulps(g, w) <= 2.0, "e^(−{xj}) = {g}, expected {w}");
        }
    }
    // NaN is skipped, at every position (vector body and tail).
    for len in [5, 16, 17, 37] {
        for at in 0..len {
            let mut v: Vec<f32> = (0..len).map(|i| i as f32).collect();
            v[at] = f32::NAN;
            let want = if at == len - 1 {
                (len - 2) as f32
            } else {
                (len - 1) as f32
            };
            assert_eq!(exp::max(&v), want, "max of {len} with NaN at {at}");
        }
    }
    assert_eq!(exp::max(&[f32::NAN; 9]), f32::NEG_INFINITY);
}

#[test]
fn affine_forward_is_gemm_plus_bias() {
    let mut rng = Rng(41);
    let shapes = [
        (0, 3, 5),
        (3, 0, 5),
        (3, 5, 0),
        (1, 1, 1),
        (5, 7, 9),
        (17, 33, 15),
        (100, 784, 50),
        (100, 50, 10),
    ];
    for (m, k, n) in shapes {
        let (x, w, b) = (rng.ints(m * k), rng.ints(k * n), rng.ints(n));
        let mut out = Canaried::new(m * n);
        affine::affine_forward(m, k, n, &x, &w, &b, out.out()).unwrap();
        out.check_canaries("affine_forward");
        let mut want = vec![0.0; m * n];
        naive::gemm(m, k, n, &x, k, 1, &w, n, 1, &mut want, n, 1);
        naive::add_bias(m, n, &mut want, &b);
        assert!(out.get() == want.as_slice(), "affine_forward {m}×{k}×{n}");
    }
}

#[test]
fn affine_backward_is_three_products() {
    let mut rng = Rng(42);
    let shapes = [
        (0, 3, 5),
        (3, 0, 5),
        (3, 5, 0),
        (1, 1, 1),
        (5, 7, 9),
        (17, 33, 15),
        (100, 784, 50),
    ];
    for (m, k, n) in shapes {
        let (x, w, dout) = (rng.ints(m * k), rng.ints(k * n), rng.ints(m * n));
        let mut want_dw = vec![0.0; k * n];
        gemm::gemm_tn(k, m, n, &x, &dout, &mut want_dw).unwrap();
        let mut want_db = vec![0.0; n];
        bias::col_sum(m, n, &dout, &mut want_db);
        let mut want_dx = vec![0.0; m * k];
        gemm::gemm_nt(m, n, k, &dout, &w, &mut want_dx).unwrap();
        for with_dx in [true, false] {
            let (mut dw, mut db, mut dx) =
                (Canaried::new(k * n), Canaried::new(n), Canaried::new(m * k));
            affine::affine_backward(
                m,
                k,
                n,
                &x,
                &w,
                &dout,
                dw.out(),
                db.out(),
                if with_dx { Some(dx.out()) } else { None },
            )
            .unwrap();
            let what = format!("affine_backward {m}×{k}×{n} dx={with_dx}");
            for c in [&dw, &db, &dx] {
                c.check_canaries(&what);
            }
            assert!(
                dw.get() == want_dw.as_slice() && db.get() == want_db.as_slice(),
                "{what}"
            );
            if with_dx {
                assert!(dx.get() == want_dx.as_slice(), "{what}");
            } else {
                assert!(
                    dx.get().iter().all(|v| v.is_nan()),
                    "{what}: dx was written"
                );
            }
        }
    }
}

#[test]
fn gemm_acc_adds_to_c() {
    let mut rng = Rng(43);
    for (m, k, n) in [(1, 1, 1), (4, 0, 8), (9, 17, 5), (33, 300, 65)] {
        let (a, b, c0) = (rng.ints(m * k), rng.ints(k * n), rng.ints(m * n));
        let mut c = c0.clone();
        gemm::gemm_acc(m, k, n, &a, k, 1, &b, n, 1, &mut c, n, 1).unwrap();
        let mut want = vec![0.0; m * n];
        naive::gemm(m, k, n, &a, k, 1, &b, n, 1, &mut want, n, 1);
        for (w, &c0) in want.iter_mut().zip(&c0) {
            *w += c0;
        }
        assert_eq!(c, want, "gemm_acc {m}×{k}×{n}");
    }
}

#[test]
fn softmax_xent_grad_equals_forward_then_backward() {
    let mut rng = Rng(44);
    for rows in SMALL.chain([64, 100]) {
        for cols in [1, 2, 3, 10, 17, 100, 1000] {
            let x: Vec<f32> = rng.floats(rows * cols).iter().map(|v| v * 8.0).collect();
            let lab = labels(&mut rng, rows, cols);
            let t = naive::onehot(cols, &lab);
            let what = format!("softmax_xent_grad {rows}×{cols}");

            let mut want_y = vec![0.0; rows * cols];
            let want_loss = softmax_xent::softmax_xent_onehot(rows, cols, &x, &t, &mut want_y);
            let mut want_dx = vec![0.0; rows * cols];
            softmax_xent::softmax_xent_backward_onehot(rows, cols, &want_y, &t, &mut want_dx);

            let (mut y, mut dx) = (Canaried::new(rows * cols), Canaried::new(rows * cols));
            let loss =
                softmax_xent::softmax_xent_grad_onehot(rows, cols, &x, &t, y.out(), dx.out());
            y.check_canaries(&what);
            dx.check_canaries(&what);
            assert_eq!(loss.to_bits(), want_loss.to_bits(), "{what}: one-hot loss");
            assert!(
                y.get() == want_y.as_slice() && dx.get() == want_dx.as_slice(),
                "{what}: one-hot y/dx"
            );

            let (mut y2, mut dx2) = (Canaried::new(rows * cols), Canaried::new(rows * cols));
            let loss2 =
                softmax_xent::softmax_xent_grad_labels(rows, cols, &x, &lab, y2.out(), dx2.out());
            y2.check_canaries(&what);
            dx2.check_canaries(&what);
            assert_eq!(loss2.to_bits(), want_loss.to_bits(), "{what}: label loss");
            assert!(
                y2.get() == want_y.as_slice() && dx2.get() == want_dx.as_slice(),
                "{what}: label y/dx"
            );
        }
    }
}

#[test]
#[should_panic(expected = "expected a class index in 0..3, got -1")]
fn softmax_xent_grad_rejects_a_bad_label() {
    let (mut y, mut dx) = ([0.0; 3], [0.0; 3]);
    softmax_xent::softmax_xent_grad_labels(1, 3, &[1.0, 2.0, 3.0], &[-1.0], &mut y, &mut dx);
}
