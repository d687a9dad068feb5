//! Splitting over threads: every partition gives bitwise the result of one part. Natively the
//! parts run one after another (`parallel::testing::with_parts` forces their number past the
//! thresholds), so these tests see every split the threaded build can make.

use super::{Canaried, Rng, FORMS};
use crate::gemm;
use crate::parallel::{self, testing::with_parts};

/// Part counts the tests force: one (the reference) and the splits of 2–4 threads and beyond.
const PARTS: [usize; 5] = [2, 3, 4, 5, 7];

#[test]
fn ranges_cover_the_length_in_order_on_aligned_starts() {
    for len in [0, 1, 3, 4, 5, 8, 9, 17, 100, 257] {
        for parts in 1..=9 {
            for align in [1, 4, 8] {
                let mut next = 0;
                for part in 0..parts {
                    let r = parallel::range(len, parts, part, align);
                    assert_eq!(
                        r.start, next,
                        "len {len} parts {parts} align {align} part {part}"
                    );
                    assert!(
                        r.start % align == 0 || r.start == len,
                        "start {} not aligned",
                        r.start
                    );
                    next = r.end;
                }
                assert_eq!(
                    next, len,
                    "len {len} parts {parts} align {align}: not covered"
                );
            }
        }
    }
}

#[test]
fn parts_follow_the_work_and_never_exceed_the_pieces() {
    // Without a pool there is one thread: never more than one part, whatever the work.
    assert_eq!(parallel::parts(1 << 30, 1, 100, 4), 1);
    with_parts(4, || {
        assert_eq!(
            parallel::parts(1, 1 << 20, 100, 1),
            4,
            "forced past the threshold"
        );
        assert_eq!(parallel::parts(1 << 30, 1, 3, 1), 3, "at most the pieces");
        assert_eq!(parallel::parts(1 << 30, 1, 0, 1), 1, "at least one");
    });
}

/// `C ← A·B` (or `+ C`) with the given strides, split into `parts`, C surrounded by canaries.
#[allow(clippy::too_many_arguments)]
fn gemm_in_parts(
    parts: usize,
    (m, k, n): (usize, usize, usize),
    a: &[f32],
    (rsa, csa): (usize, usize),
    b: &[f32],
    (rsb, csb): (usize, usize),
    (rsc, csc): (usize, usize),
    c0: &[f32],
    acc: bool,
) -> Canaried {
    let mut c = Canaried::from(c0);
    with_parts(parts, || {
        let run = if acc { gemm::gemm_acc } else { gemm::gemm };
        run(m, k, n, a, rsa, csa, b, rsb, csb, c.out(), rsc, csc).unwrap();
    });
    c.check_canaries(&format!("gemm in {parts} parts {m}×{k}×{n}"));
    c
}

#[test]
fn gemm_in_any_number_of_parts_is_bitwise_one_part() {
    let mut rng = Rng(41);
    let dims = [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 33, 64, 65, 100, 130];
    let mut shapes = vec![
        (100, 784, 50),
        (128, 784, 256),
        (784, 100, 50),
        (50, 100, 784),
        (30, 25, 576),
        (301, 257, 129),
    ];
    for &m in &dims {
        for &n in &dims {
            shapes.push((m, 1 + rng.below(70), n));
        }
    }
    for (m, k, n) in shapes {
        for form in FORMS {
            let (sa, sb) = form.strides(m, k, n);
            let (a, b) = (rng.floats(m * k), rng.floats(k * n));
            for (sc, acc) in [((n, 1), false), ((1, m), false), ((n, 1), true)] {
                let c0 = rng.floats(m * n);
                let one = gemm_in_parts(1, (m, k, n), &a, sa, &b, sb, sc, &c0, acc);
                for parts in PARTS {
                    let split = gemm_in_parts(parts, (m, k, n), &a, sa, &b, sb, sc, &c0, acc);
                    let same = one
                        .get()
                        .iter()
                        .zip(split.get())
                        .all(|(x, y)| x.to_bits() == y.to_bits());
                    assert!(same, "gemm {form:?} {m}×{k}×{n} C strides {sc:?} acc {acc}: {parts} parts differ from one");
                }
            }
        }
    }
}

#[test]
fn convolution_in_any_number_of_parts_is_bitwise_one_part() {
    use crate::conv::{conv_backward, conv_forward};
    use crate::window::Window;
    let mut rng = Rng(43);
    #[rustfmt::skip]
    let windows = [
        (Window { n: 1, c: 1, h: 5, w: 5, fh: 3, fw: 3, stride: 1, pad: 0 }, 2),
        (Window { n: 7, c: 2, h: 9, w: 7, fh: 3, fw: 2, stride: 2, pad: 1 }, 5),
        (Window { n: 10, c: 1, h: 28, w: 28, fh: 5, fw: 5, stride: 1, pad: 0 }, 30),
        (Window { n: 3, c: 3, h: 8, w: 8, fh: 3, fw: 3, stride: 1, pad: 1 }, 1),
    ];
    for (g, filters) in windows {
        let (k, p, xs) = (g.patch(), g.positions(), g.c * g.h * g.w);
        let (x, w, b) = (
            rng.floats(g.n * xs),
            rng.floats(filters * k),
            rng.floats(filters),
        );
        let dout = rng.floats(g.n * filters * p);
        let run = |parts: usize| {
            let (mut col, mut out) = (
                vec![f32::NAN; g.n * k * p],
                vec![f32::NAN; g.n * filters * p],
            );
            let (mut dw, mut db) = (vec![f32::NAN; filters * k], vec![f32::NAN; filters]);
            let (mut dcol, mut dx) = (vec![f32::NAN; k * p], vec![f32::NAN; g.n * xs]);
            with_parts(parts, || {
                conv_forward(&g, filters, &x, &w, &b, &mut col, &mut out).unwrap();
                conv_backward(
                    &g,
                    filters,
                    &col,
                    &w,
                    &dout,
                    &mut dw,
                    &mut db,
                    Some((&mut dcol, &mut dx)),
                )
                .unwrap();
            });
            [col, out, dw, db, dx].map(|v| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>())
        };
        let one = run(1);
        assert!(
            one.iter()
                .flatten()
                .all(|&bits| !f32::from_bits(bits).is_nan()),
            "{g:?}: an output was not written"
        );
        for parts in PARTS {
            let split = run(parts);
            for (name, (a, b)) in ["col", "out", "dW", "db", "dx"]
                .iter()
                .zip(one.iter().zip(&split))
            {
                assert!(
                    a == b,
                    "conv {g:?} filters {filters}: {name} in {parts} parts differs from one part"
                );
            }
        }
    }
}

#[test]
fn element_wise_and_pooling_passes_in_any_number_of_parts_are_bitwise_one_part() {
    use crate::window::Window;
    use crate::{activation, optim, pool};
    let mut rng = Rng(47);
    let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
    for n in [0, 1, 15, 16, 17, 100, 1001] {
        let (x, g) = (rng.floats(n), rng.floats(n));
        let run = |parts: usize| {
            with_parts(parts, || {
                let (mut out, mut dx) = (vec![f32::NAN; n], vec![f32::NAN; n]);
                activation::relu_forward(&x, &mut out);
                activation::relu_backward(&out, &g, &mut dx);
                let (mut w, mut m, mut v) = (x.clone(), vec![0.0; n], vec![0.0; n]);
                optim::adam(0.01, 0.1, 0.001, 1e-7, &mut w, &g, &mut m, &mut v);
                [out, dx, w, m, v].map(|o| bits(&o))
            })
        };
        let one = run(1);
        for parts in PARTS {
            assert!(
                run(parts) == one,
                "relu / adam of {n} elements: {parts} parts differ from one part"
            );
        }
    }
    #[rustfmt::skip]
    let windows = [
        Window { n: 3, c: 5, h: 8, w: 8, fh: 2, fw: 2, stride: 2, pad: 0 },
        Window { n: 2, c: 3, h: 7, w: 9, fh: 3, fw: 2, stride: 2, pad: 1 },
        Window { n: 1, c: 1, h: 4, w: 4, fh: 2, fw: 2, stride: 1, pad: 0 },
    ];
    for g in windows {
        let (planes, pooled) = (g.n * g.c, g.oh() * g.ow());
        let x = rng.floats(planes * g.h * g.w);
        let dout = rng.floats(planes * pooled);
        let run = |parts: usize| {
            with_parts(parts, || {
                let (mut out, mut argmax) = (
                    vec![f32::NAN; planes * pooled],
                    vec![f32::NAN; planes * pooled],
                );
                let mut dx = vec![f32::NAN; x.len()];
                pool::max_pool_forward(&g, &x, &mut out, &mut argmax);
                pool::max_pool_backward(&g, &dout, &argmax, &mut dx);
                [out, argmax, dx].map(|o| bits(&o))
            })
        };
        let one = run(1);
        for parts in PARTS {
            assert!(
                run(parts) == one,
                "max pooling {g:?}: {parts} parts differ from one part"
            );
        }
    }
}
