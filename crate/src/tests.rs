//! Every kernel against `naive.rs`: sizes 0..=20, 31, 33, 63, 64, 65, 100, 257 and the MNIST
//! shapes; outputs surrounded by NaN canaries (nothing outside the output is written, and an
//! output pre-filled with NaN proves it is not read before it is written); small-integer inputs
//! where the result is exact, a relative tolerance against f64 otherwise.
//!
//! The convention: every test of the crate lives here or in `tests/<family>.rs`, never inline
//! in a kernel's module, so the kernels read as kernels and the tests share one set of helpers.

/// Batch normalization (chapter 6).
mod batch_norm;
/// The convolution and max pooling (chapter 7).
mod conv;
mod conv_pool;
/// Dropout's passes (chapter 6).
mod dropout;
/// The fused kernels (Affine passes, softmax-CE forward+backward) and the vectorised exp.
mod fused;
/// NaN through ReLU and max pooling, as the book's numpy layers.
mod nan;
/// The optimizers' update rules against f64 transcriptions of the book's.
mod optim;
/// Splitting over threads: every partition is bitwise one part.
mod parallel;
/// The SIMD128 paths: lanes, accumulators, tile edges, the packing's transpose.
mod simd;

use crate::gemm::{self, ScalarKernel, TestKernel};
use crate::{abi, activation, bias, naive, softmax_xent, workspace};

const SMALL: std::ops::RangeInclusive<usize> = 0..=20;
const BIG: [usize; 7] = [31, 33, 63, 64, 65, 100, 257];
/// NaN canaries on each side of an output.
const PAD: usize = 19;

/// Sizes for the element-wise kernels.
fn sizes() -> impl Iterator<Item = usize> {
    SMALL.chain(BIG)
}

/// splitmix64: deterministic inputs.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Integers in −4..=4: products and sums stay exact in f32 for k < 2^20.
    fn ints(&mut self, len: usize) -> Vec<f32> {
        (0..len)
            .map(|_| (self.next_u64() % 9) as f32 - 4.0)
            .collect()
    }
    /// Uniform in [−1, 1).
    fn floats(&mut self, len: usize) -> Vec<f32> {
        (0..len)
            .map(|_| ((self.next_u64() >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0)
            .collect()
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// An output of `len` floats with `PAD` NaN canaries on both sides, itself pre-filled with NaN.
struct Canaried {
    buf: Vec<f32>,
}

impl Canaried {
    fn new(len: usize) -> Self {
        Canaried {
            buf: vec![f32::NAN; len + 2 * PAD],
        }
    }
    fn from(values: &[f32]) -> Self {
        let mut c = Canaried::new(values.len());
        c.out().copy_from_slice(values);
        c
    }
    fn out(&mut self) -> &mut [f32] {
        let end = self.buf.len() - PAD;
        &mut self.buf[PAD..end]
    }
    fn get(&self) -> &[f32] {
        &self.buf[PAD..self.buf.len() - PAD]
    }
    #[track_caller]
    fn check_canaries(&self, what: &str) {
        let end = self.buf.len() - PAD;
        for (idx, v) in self.buf[..PAD].iter().chain(&self.buf[end..]).enumerate() {
            assert!(v.is_nan(), "{what}: canary {idx} was overwritten with {v}");
        }
    }
}

#[track_caller]
fn assert_close(
    what: &str,
    got: &[f32],
    want: &[f64],
    scale: impl Fn(usize) -> f64,
    rtol: f64,
    atol: f64,
) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (idx, (&g, &w)) in got.iter().zip(want).enumerate() {
        let err = (f64::from(g) - w).abs();
        assert!(
            err <= atol + rtol * scale(idx),
            "{what}: element {idx} is {g}, expected {w} (error {err:e})"
        );
    }
}

// ---- GEMM ------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
enum Form {
    NN,
    NT,
    TN,
}

const FORMS: [Form; 3] = [Form::NN, Form::NT, Form::TN];

impl Form {
    /// Strides of A (as m×k) and B (as k×n) over the stored row-major buffers.
    fn strides(self, m: usize, k: usize, n: usize) -> ((usize, usize), (usize, usize)) {
        match self {
            Form::NN => ((k, 1), (n, 1)),
            Form::NT => ((k, 1), (1, k)),
            Form::TN => ((1, m), (n, 1)),
        }
    }
    fn run(self, m: usize, k: usize, n: usize, a: &[f32], b: &[f32], c: &mut [f32]) {
        match self {
            Form::NN => gemm::gemm_nn(m, k, n, a, b, c).unwrap(),
            Form::NT => gemm::gemm_nt(m, k, n, a, b, c).unwrap(),
            Form::TN => gemm::gemm_tn(m, k, n, a, b, c).unwrap(),
        }
    }
}

/// One form on small-integer inputs: exact equality with the naive loop, canaries intact.
fn check_gemm_exact(form: Form, m: usize, k: usize, n: usize, rng: &mut Rng) {
    let (a, b) = (rng.ints(m * k), rng.ints(k * n));
    let mut c = Canaried::new(m * n);
    form.run(m, k, n, &a, &b, c.out());
    let ((rsa, csa), (rsb, csb)) = form.strides(m, k, n);
    let mut want = vec![0.0; m * n];
    naive::gemm(m, k, n, &a, rsa, csa, &b, rsb, csb, &mut want, n, 1);
    let what = format!("gemm {form:?} m={m} k={k} n={n}");
    c.check_canaries(&what);
    assert!(
        c.get() == want.as_slice(),
        "{what}: result differs from the naive loop"
    );
}

#[test]
fn gemm_small_sizes_exact() {
    let mut rng = Rng(1);
    for form in FORMS {
        for m in SMALL {
            for k in SMALL {
                for n in SMALL {
                    check_gemm_exact(form, m, k, n, &mut rng);
                }
            }
        }
    }
}

#[test]
fn gemm_large_sizes_exact() {
    let mut rng = Rng(2);
    for form in FORMS {
        for big in BIG {
            for d in [0, 1, 2, 5, 8, 9, 17] {
                for (m, k, n) in [
                    (big, d, d),
                    (d, big, d),
                    (d, d, big),
                    (big, big, d),
                    (big, d, big),
                    (d, big, big),
                ] {
                    check_gemm_exact(form, m, k, n, &mut rng);
                }
            }
            if big <= 100 {
                check_gemm_exact(form, big, big, big, &mut rng);
            }
        }
    }
    check_gemm_exact(Form::NN, 257, 257, 257, &mut rng);
}

/// The MNIST shapes of an Affine 784→50 layer at batch 100.
const MNIST: [(Form, usize, usize, usize); 3] = [
    (Form::NN, 100, 784, 50), // x·W
    (Form::TN, 784, 100, 50), // dW = xᵀ·dout
    (Form::NT, 100, 50, 784), // dx = dout·Wᵀ
];

#[test]
fn gemm_mnist_shapes_exact_in_every_form() {
    let mut rng = Rng(3);
    for (_, m, k, n) in MNIST {
        for form in FORMS {
            check_gemm_exact(form, m, k, n, &mut rng);
        }
    }
}

#[test]
fn gemm_mnist_shapes_floats_within_tolerance() {
    let mut rng = Rng(4);
    for (form, m, k, n) in MNIST {
        let (a, b) = (rng.floats(m * k), rng.floats(k * n));
        let mut c = Canaried::new(m * n);
        form.run(m, k, n, &a, &b, c.out());
        let ((rsa, csa), (rsb, csb)) = form.strides(m, k, n);
        let (want, scale) = naive::gemm_f64(m, k, n, &a, rsa, csa, &b, rsb, csb);
        let what = format!("gemm {form:?} m={m} k={k} n={n} (floats)");
        c.check_canaries(&what);
        assert_close(&what, c.get(), &want, |i| scale[i], 1e-5, 0.0);
    }
}

#[test]
fn gemm_k_zero_writes_zeros_and_empty_c_writes_nothing() {
    for form in FORMS {
        let mut c = Canaried::new(6);
        form.run(2, 0, 3, &[], &[], c.out());
        c.check_canaries("k = 0");
        assert_eq!(c.get(), &[0.0; 6]);
        for (m, n) in [(0, 5), (5, 0), (0, 0)] {
            let (a, b) = (vec![1.0; m * 4], vec![1.0; 4 * n]);
            let mut c = Canaried::new(0);
            form.run(m, 4, n, &a, &b, c.out());
            c.check_canaries("empty C");
        }
    }
}

/// The strided core on layouts the ABI never uses: column-major C, padded rows (gaps must keep
/// their NaN), and A/B with no unit stride at all (the generic packing path).
#[test]
fn gemm_general_strides() {
    let mut rng = Rng(5);
    for (m, k, n) in [
        (7, 9, 13),
        (1, 1, 1),
        (17, 300, 9),
        (33, 5, 65),
        (4, 8, 8),
        (0, 3, 2),
        (3, 0, 4),
    ] {
        // A and B stored with both strides > 1 (every other element, rows padded).
        let (rsa, csa) = (2 * k + 3, 2);
        let (rsb, csb) = (3, 3 * n + 1);
        let a = rng.ints((m.max(1) - 1) * rsa + (k.max(1) - 1) * csa + 1);
        let b = rng.ints((k.max(1) - 1) * rsb + (n.max(1) - 1) * csb + 1);
        for (rsc, csc) in [(n + 3, 1), (1, m + 2), (2 * n, 2)] {
            let len = if m == 0 || n == 0 {
                0
            } else {
                (m - 1) * rsc + (n - 1) * csc + 1
            };
            let mut c = Canaried::new(len);
            gemm::gemm(m, k, n, &a, rsa, csa, &b, rsb, csb, c.out(), rsc, csc).unwrap();
            let what = format!("gemm strided m={m} k={k} n={n} C strides ({rsc}, {csc})");
            c.check_canaries(&what);
            let mut want = vec![f32::NAN; len];
            naive::gemm(m, k, n, &a, rsa, csa, &b, rsb, csb, &mut want, rsc, csc);
            for (idx, (&g, &w)) in c.get().iter().zip(&want).enumerate() {
                assert!(
                    g == w || (g.is_nan() && w.is_nan()),
                    "{what}: slot {idx} is {g}, expected {w}"
                );
            }
        }
    }
}

/// The packing and the loop nest with kernels of other shapes (1×1 … 8×8, odd ones included),
/// on sizes that cross the block sizes (k > 256, m > 128, n > 1024), in every form.
#[test]
fn gemm_loop_nest_with_other_kernel_shapes() {
    fn run<K: TestKernel>(rng: &mut Rng) {
        let shapes = [
            (1, 1, 1),
            (5, 7, 3),
            (13, 17, 19),
            (129, 40, 9),
            (3, 513, 5),
            (2, 3, 1030),
            (100, 784, 50),
            (65, 257, 33),
        ];
        for (m, k, n) in shapes {
            for form in FORMS {
                let (a, b) = (rng.ints(m * k), rng.ints(k * n));
                let ((rsa, csa), (rsb, csb)) = form.strides(m, k, n);
                let mut c = Canaried::new(m * n);
                gemm::gemm_with::<K>(m, k, n, &a, rsa, csa, &b, rsb, csb, c.out(), n, 1, false)
                    .unwrap();
                let mut want = vec![0.0; m * n];
                naive::gemm(m, k, n, &a, rsa, csa, &b, rsb, csb, &mut want, n, 1);
                let what = format!("{}×{} kernel, {form:?} m={m} k={k} n={n}", K::MR, K::NR);
                c.check_canaries(&what);
                assert!(
                    c.get() == want.as_slice(),
                    "{what}: result differs from the naive loop"
                );
            }
        }
    }
    let mut rng = Rng(6);
    run::<ScalarKernel<1, 1>>(&mut rng);
    run::<ScalarKernel<3, 5>>(&mut rng);
    run::<ScalarKernel<4, 4>>(&mut rng);
    run::<ScalarKernel<6, 8>>(&mut rng);
    run::<ScalarKernel<8, 8>>(&mut rng);
    run::<ScalarKernel<2, 12>>(&mut rng);
}

#[test]
fn gemm_reuses_its_scratch() {
    let mut rng = Rng(7);
    let step = |rng: &mut Rng| {
        for (form, m, k, n) in MNIST {
            let (a, b) = (rng.floats(m * k), rng.floats(k * n));
            let mut c = vec![0.0; m * n];
            form.run(m, k, n, &a, &b, &mut c);
        }
    };
    step(&mut rng);
    let warmed = workspace::len();
    assert!(warmed > 0);
    for _ in 0..3 {
        step(&mut rng);
        assert_eq!(
            workspace::len(),
            warmed,
            "the packing workspace grew in steady state"
        );
    }
}

/// A workspace that cannot be had is an error, not an abort, and leaves GEMM usable; so does a
/// kernel that dies while holding the workspace (the buffer is moved out, never borrowed).
#[test]
fn workspace_failure_is_an_error_and_gemm_recovers() {
    let huge = usize::MAX / 8; // more bytes than any address space
    let err = workspace::with_workspace(huge, |_| unreachable!()).unwrap_err();
    assert!(err.bytes >= huge, "names the bytes it wanted: {err:?}");
    assert_ne!(workspace::OutOfMemory::status(Err(err)), 0);
    // A panic is a trap on wasm32 (it ends the instance), so only a native run can survive one.
    #[cfg(not(target_arch = "wasm32"))]
    {
        let died =
            std::panic::catch_unwind(|| workspace::with_workspace(16, |_| panic!("a kernel died")));
        assert!(died.is_err());
    }
    let (a, b) = ([1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]);
    let mut c = [0.0; 4];
    gemm::gemm_nn(2, 2, 2, &a, &b, &mut c).expect("gemm works after both failures");
    assert_eq!(c, [19.0, 22.0, 43.0, 50.0]);
}

#[test]
#[should_panic(expected = "needs 12 elements")]
fn gemm_rejects_a_short_slice() {
    let mut c = [0.0; 12];
    let _ = gemm::gemm(3, 4, 4, &[0.0; 11], 4, 1, &[0.0; 16], 4, 1, &mut c, 4, 1);
}

#[test]
#[should_panic(expected = "overlap")]
fn gemm_rejects_aliasing_strides_for_c() {
    let mut c = [0.0; 4];
    let _ = gemm::gemm(2, 2, 2, &[0.0; 4], 2, 1, &[0.0; 4], 2, 1, &mut c, 1, 1);
}

#[test]
#[should_panic(expected = "gemm_nt: expected b to hold 12 elements")]
fn gemm_nt_checks_exact_lengths() {
    let mut c = [0.0; 6];
    let _ = abi::checked::gemm_nt(2, 3, 4, &[0.0; 6], &[0.0; 13], &mut c);
}

// ---- bias, reductions, activations, SGD ------------------------------------------------------

#[test]
fn add_bias_matches_naive() {
    let mut rng = Rng(10);
    for rows in sizes() {
        for cols in sizes() {
            let (x, b) = (rng.ints(rows * cols), rng.ints(cols));
            let mut got = Canaried::from(&x);
            bias::add_bias(rows, cols, got.out(), &b);
            let mut want = x.clone();
            naive::add_bias(rows, cols, &mut want, &b);
            got.check_canaries("add_bias");
            assert!(got.get() == want.as_slice(), "add_bias {rows}×{cols}");
        }
    }
}

#[test]
fn col_sum_matches_naive() {
    let mut rng = Rng(11);
    for rows in sizes() {
        for cols in sizes() {
            let x = rng.ints(rows * cols);
            let mut got = Canaried::new(cols);
            bias::col_sum(rows, cols, &x, got.out());
            let mut want = vec![0.0; cols];
            naive::col_sum(rows, cols, &x, &mut want);
            got.check_canaries("col_sum");
            assert!(got.get() == want.as_slice(), "col_sum {rows}×{cols}");
        }
    }
    // Floats: same summation order as the naive loop, so bit-identical.
    let x = rng.floats(100 * 50);
    let (mut got, mut want) = (vec![0.0; 50], vec![0.0; 50]);
    bias::col_sum(100, 50, &x, &mut got);
    naive::col_sum(100, 50, &x, &mut want);
    assert_eq!(got, want);
}

/// Inputs with the awkward values mixed in.
fn with_specials(mut v: Vec<f32>) -> Vec<f32> {
    let specials = [
        0.0,
        -0.0,
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        1e-40,
        -1e-40,
        88.0,
        -104.0,
    ];
    for (slot, s) in v.iter_mut().zip(specials) {
        *slot = s;
    }
    v
}

#[test]
fn relu_matches_naive() {
    let mut rng = Rng(12);
    for n in sizes().chain([784 * 100]) {
        let x = with_specials(rng.floats(n));
        let mut y = Canaried::new(n);
        activation::relu_forward(&x, y.out());
        y.check_canaries("relu_forward");
        let want = naive::relu_forward(&x);
        assert!(
            y.get()
                .iter()
                .zip(&want)
                .all(|(g, w)| g.to_bits() == w.to_bits()),
            "relu_forward n={n}"
        );

        let dout = rng.floats(n);
        let mut dx = Canaried::new(n);
        activation::relu_backward(y.get(), &dout, dx.out());
        dx.check_canaries("relu_backward");
        assert!(
            dx.get() == naive::relu_backward(y.get(), &dout).as_slice(),
            "relu_backward n={n}"
        );
    }
}

#[test]
fn sigmoid_matches_naive() {
    let mut rng = Rng(13);
    for n in sizes() {
        let x: Vec<f32> = rng.floats(n).iter().map(|v| v * 20.0).collect();
        let x = with_specials(x);
        let mut y = Canaried::new(n);
        activation::sigmoid_forward(&x, y.out());
        y.check_canaries("sigmoid_forward");
        let want = naive::sigmoid_forward(&x);
        for (idx, (&g, &w)) in y.get().iter().zip(&want).enumerate() {
            assert!(
                g == w as f32
                    || (f64::from(g) - w).abs() <= 1e-6 * w.abs()
                    || (g.is_nan() && w.is_nan()),
                "sigmoid_forward n={n} [{idx}]: {g} vs {w}"
            );
        }

        let (yv, dout) = (
            rng.floats(n).iter().map(|v| v.abs()).collect::<Vec<_>>(),
            rng.floats(n),
        );
        let mut dx = Canaried::new(n);
        activation::sigmoid_backward(&yv, &dout, dx.out());
        dx.check_canaries("sigmoid_backward");
        assert_close(
            "sigmoid_backward",
            dx.get(),
            &naive::sigmoid_backward(&yv, &dout),
            |_| 1.0,
            1e-6,
            0.0,
        );
    }
}

#[test]
fn sgd_matches_naive() {
    let mut rng = Rng(14);
    for n in sizes().chain([784 * 50]) {
        let (param, grad) = (rng.floats(n), rng.floats(n));
        let mut got = Canaried::from(&param);
        crate::optim::sgd(0.1, got.out(), &grad);
        got.check_canaries("sgd");
        let mut want = param.clone();
        naive::sgd(0.1, &mut want, &grad);
        assert!(got.get() == want.as_slice(), "sgd n={n}");
    }
}

#[test]
fn accumulate_adds_exactly() {
    let mut rng = Rng(15);
    for n in sizes() {
        let (target, source) = (rng.floats(n), rng.floats(n));
        let mut got = Canaried::from(&target);
        crate::optim::accumulate(got.out(), &source);
        got.check_canaries("accumulate");
        let want: Vec<f32> = target.iter().zip(&source).map(|(t, s)| t + s).collect();
        assert!(got.get() == want.as_slice(), "accumulate n={n}");
    }
}

// ---- softmax + cross-entropy -----------------------------------------------------------------

fn labels(rng: &mut Rng, rows: usize, cols: usize) -> Vec<f32> {
    (0..rows).map(|_| rng.below(cols) as f32).collect()
}

/// Forward and backward, one-hot and label forms, against the f64 reference; the two target
/// forms must agree bit for bit.
fn check_softmax(rows: usize, cols: usize, x: &[f32], rng: &mut Rng) {
    let what = format!("softmax_xent {rows}×{cols}");
    let lab = labels(rng, rows, cols);
    let t = naive::onehot(cols, &lab);
    let (want_y, want_loss) = naive::softmax_xent(rows, cols, x, &t);

    let mut y = Canaried::new(rows * cols);
    let loss = softmax_xent::softmax_xent_onehot(rows, cols, x, &t, y.out());
    y.check_canaries(&what);
    assert!(loss.is_finite(), "{what}: loss {loss}");
    assert!(
        (loss - want_loss).abs() <= 1e-6 * want_loss.abs().max(1.0),
        "{what}: loss {loss}, expected {want_loss}"
    );
    assert_close(&what, y.get(), &want_y, |_| 1.0, 2e-7, 1e-7);

    let mut y2 = Canaried::new(rows * cols);
    let loss2 = softmax_xent::softmax_xent_labels(rows, cols, x, &lab, y2.out());
    y2.check_canaries(&what);
    assert_eq!(
        loss.to_bits(),
        loss2.to_bits(),
        "{what}: label loss differs from one-hot loss"
    );
    assert!(
        y.get() == y2.get(),
        "{what}: label softmax differs from one-hot softmax"
    );

    let mut dx = Canaried::new(rows * cols);
    softmax_xent::softmax_xent_backward_onehot(rows, cols, y.get(), &t, dx.out());
    dx.check_canaries(&what);
    assert_close(
        &what,
        dx.get(),
        &naive::softmax_xent_backward(rows, y.get(), &t),
        |_| 1.0,
        1e-7,
        1e-9,
    );

    let mut dx2 = Canaried::new(rows * cols);
    softmax_xent::softmax_xent_backward_labels(rows, cols, y.get(), &lab, dx2.out());
    dx2.check_canaries(&what);
    assert!(
        dx.get() == dx2.get(),
        "{what}: label backward differs from one-hot backward"
    );
}

#[test]
fn softmax_xent_matches_naive() {
    let mut rng = Rng(20);
    for rows in sizes() {
        for cols in [1, 2, 3, 10, 17, 64, 100] {
            let x: Vec<f32> = rng.floats(rows * cols).iter().map(|v| v * 8.0).collect();
            check_softmax(rows, cols, &x, &mut rng);
        }
    }
}

#[test]
fn softmax_xent_large_scores_do_not_overflow() {
    let mut rng = Rng(21);
    for (rows, cols) in [(1, 2), (5, 10), (100, 10), (3, 257)] {
        // ±1e3 and values near it: exp(1000) overflows f32 and f64, exp(x − max) does not.
        let x: Vec<f32> = (0..rows * cols)
            .map(|_| match rng.below(4) {
                0 => 1e3,
                1 => -1e3,
                _ => 1e3 - rng.below(20) as f32,
            })
            .collect();
        check_softmax(rows, cols, &x, &mut rng);
    }
}

#[test]
fn softmax_xent_known_values() {
    // Two equal scores: y = ½, loss = ln 2. A dominant score: loss ≈ 0 for its class.
    let mut y = [0.0; 4];
    let loss =
        softmax_xent::softmax_xent_labels(2, 2, &[3.0, 3.0, 200.0, -200.0], &[1.0, 0.0], &mut y);
    assert_eq!(y, [0.5, 0.5, 1.0, 0.0]);
    assert!(
        (loss - std::f64::consts::LN_2 / 2.0).abs() < 1e-12,
        "loss {loss}"
    );
    assert_eq!(
        softmax_xent::softmax_xent_onehot(0, 10, &[], &[], &mut []),
        0.0
    );
}

#[test]
fn softmax_xent_loss_of_extreme_logits_is_finite() {
    // Logits ±3e38: x_label − max = −6e38 is beyond f32 but the loss (6e38, in f64) is not; all
    // four entry points must return it, as the TS backend does.
    let (x, labels, onehot) = (
        [3e38f32, -3e38, -3e38, 3e38],
        [1.0f32, 0.0],
        [0.0f32, 1.0, 1.0, 0.0],
    );
    let (mut y, mut dx) = ([0.0; 4], [0.0; 4]);
    let want = (f64::from(3e38f32) - f64::from(-3e38f32)) / 1.0;
    for loss in [
        softmax_xent::softmax_xent_labels(2, 2, &x, &labels, &mut y),
        softmax_xent::softmax_xent_onehot(2, 2, &x, &onehot, &mut y),
        softmax_xent::softmax_xent_grad_labels(2, 2, &x, &labels, &mut y, &mut dx),
        softmax_xent::softmax_xent_grad_onehot(2, 2, &x, &onehot, &mut y, &mut dx),
    ] {
        assert!(
            (loss - want).abs() <= want * 1e-12,
            "loss {loss}, want {want}"
        );
    }
}

#[test]
#[should_panic(expected = "expected a class index in 0..3, got 3")]
fn softmax_xent_rejects_a_bad_label() {
    let mut y = [0.0; 3];
    softmax_xent::softmax_xent_labels(1, 3, &[1.0, 2.0, 3.0], &[3.0], &mut y);
}

// ---- the ABI, natively -----------------------------------------------------------------------

/// Copies `values` into a fresh `nn_alloc` block.
fn upload(values: &[f32]) -> *mut f32 {
    let p = abi::nn_alloc(4 * values.len()).cast::<f32>();
    assert!(!p.is_null() && (p as usize).is_multiple_of(16));
    // SAFETY: p holds values.len() floats, freshly allocated.
    unsafe { std::slice::from_raw_parts_mut(p, values.len()) }.copy_from_slice(values);
    p
}

#[test]
fn abi_wrappers_reach_the_kernels() {
    let mut rng = Rng(30);
    let (m, k, n) = (9, 13, 11);
    let (a, b) = (rng.ints(m * k), rng.ints(k * n));
    let (pa, pb, pc) = (upload(&a), upload(&b), upload(&vec![f32::NAN; m * n]));
    let mut want = vec![0.0; m * n];
    naive::gemm(m, k, n, &a, k, 1, &b, n, 1, &mut want, n, 1);
    // SAFETY: live nn_alloc blocks of the right sizes; zero-size calls may pass null.
    unsafe {
        assert_eq!(
            abi::ffi::gemm_nn(m, k, n, pa, pb, pc),
            0,
            "status 0: success"
        );
        assert_eq!(std::slice::from_raw_parts(pc, m * n), want.as_slice());
        let _ = abi::ffi::gemm_nt(
            0,
            k,
            0,
            std::ptr::null(),
            std::ptr::null(),
            std::ptr::null_mut(),
        );
        assert_eq!(
            abi::ffi::gemm_tn(m, 0, n, std::ptr::null(), std::ptr::null(), pc),
            0
        );
        assert!(std::slice::from_raw_parts(pc, m * n)
            .iter()
            .all(|&v| v == 0.0));

        let (x, lab) = (rng.floats(6), [2.0, 0.0]);
        let (px, plab, py) = (upload(&x), upload(&lab), upload(&[0.0; 6]));
        let loss = abi::ffi::softmax_xent(2, 3, px, plab, 1, py);
        let mut y = [0.0; 6];
        assert_eq!(
            loss,
            softmax_xent::softmax_xent_labels(2, 3, &x, &lab, &mut y)
        );
        assert_eq!(std::slice::from_raw_parts(py, 6), &y);
        assert_eq!(
            abi::ffi::softmax_xent(
                0,
                3,
                std::ptr::null(),
                std::ptr::null(),
                0,
                std::ptr::null_mut()
            ),
            0.0
        );

        for (p, len) in [
            (pa, m * k),
            (pb, k * n),
            (pc, m * n),
            (px, 6),
            (plab, 2),
            (py, 6),
        ] {
            abi::nn_free(p.cast(), 4 * len);
        }
        abi::nn_free(abi::nn_alloc(0), 0);
    }
}
