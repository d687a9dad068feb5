//! Tests aimed at the SIMD128 code paths: the row maximum's four accumulators, the vector body
//! of `exp_affine_sum`, the micro-kernel's tile edges and the 4×4 transpose of the packing.
//! Natively they run the scalar paths (and still must pass); their point is the wasm32 run
//! (`npm test` → scripts/test-crate-wasm.sh, with SIMD128 and with relaxed SIMD), where each
//! position below falls in a different SIMD lane, accumulator or tail.

use super::{check_softmax, Canaried, Rng};
use crate::gemm::{self, TestKernel};
use crate::{exp, naive, softmax_xent};

/// Row lengths around the vector widths: `max` reads 16 floats per step (four `f32x4`
/// accumulators), `exp_affine_sum` 4, and both finish the rest in scalar code.
const WIDTHS: [usize; 16] = [1, 3, 4, 5, 8, 12, 15, 16, 17, 20, 31, 32, 33, 48, 63, 100];

/// A `cols×cols` matrix whose row `r` has its maximum at column `r`, `gap` above the rest.
fn max_on_the_diagonal(cols: usize, gap: f32, rng: &mut Rng) -> Vec<f32> {
    let mut x = rng.floats(cols * cols);
    for r in 0..cols {
        x[r * cols + r] = gap;
    }
    x
}

#[test]
fn max_finds_the_largest_at_every_position() {
    let mut rng = Rng(50);
    for len in WIDTHS {
        for (gap, offset) in [(100.0, 0.0), (1.0, -50.0)] {
            // offset −50: every element negative, so a lane left at its −∞ start would show.
            let x: Vec<f32> = max_on_the_diagonal(len, gap, &mut rng)
                .iter()
                .map(|v| v + offset)
                .collect();
            for (at, row) in x.chunks_exact(len).enumerate() {
                assert_eq!(
                    exp::max(row),
                    gap + offset,
                    "max of {len} floats, largest at {at}"
                );
            }
        }
    }
}

/// NaN is skipped wherever it sits relative to the maximum: before or after it, in the same
/// lane of the same accumulator or another one, or in the scalar tail.
#[test]
fn max_skips_nan_at_every_position() {
    let mut rng = Rng(55);
    for len in WIDTHS.into_iter().filter(|&len| len > 1) {
        for max_at in 0..len {
            for nan_at in (0..len).filter(|&at| at != max_at) {
                let mut x = rng.floats(len);
                x[max_at] = 100.0;
                x[nan_at] = f32::NAN;
                assert_eq!(
                    exp::max(&x),
                    100.0,
                    "max of {len} floats, largest at {max_at}, NaN at {nan_at}"
                );
            }
        }
    }
}

/// The planted bug (the row maximum reading 3 of its 4 accumulators) made the loss
/// Infinity when the largest score sat in the fourth accumulator, 100 above the rest.
#[test]
fn softmax_xent_with_the_max_at_every_lane_of_a_wide_row() {
    let mut rng = Rng(51);
    for cols in WIDTHS {
        let x = max_on_the_diagonal(cols, 100.0, &mut rng);
        // Forward, backward, one-hot and label forms against the f64 reference.
        check_softmax(cols, cols, &x, &mut rng);
        // The fused forward+backward, which finds its row maximum on its own.
        let labels: Vec<f32> = (0..cols).map(|r| ((r + 1) % cols) as f32).collect();
        let t = naive::onehot(cols, &labels);
        let (want_y, want_loss) = naive::softmax_xent(cols, cols, &x, &t);
        let (mut y, mut dx) = (Canaried::new(cols * cols), Canaried::new(cols * cols));
        let loss =
            softmax_xent::softmax_xent_grad_labels(cols, cols, &x, &labels, y.out(), dx.out());
        let what = format!("softmax_xent_grad_labels {cols}×{cols}, max on the diagonal");
        y.check_canaries(&what);
        dx.check_canaries(&what);
        assert!(
            (loss - want_loss).abs() <= 1e-6 * want_loss.abs().max(1.0),
            "{what}: loss {loss}, expected {want_loss}"
        );
        super::assert_close(&what, y.get(), &want_y, |_| 1.0, 2e-7, 1e-7);
    }
}

/// The vector body must compute what the scalar `exp` does, bit for bit, whatever lane a
/// value lands in: NaN stays NaN, out-of-range values give 0 and +∞, −0 gives 1.
#[test]
fn exp_affine_sum_vector_lanes_equal_scalar_exp() {
    let specials = [
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        -0.0,
        0.0,
        1e-40,
        exp::MIN_X,
        exp::MIN_X - 0.01,
        exp::MAX_X,
        exp::MAX_X + 0.01,
        -87.0,
        88.0,
        0.5 * std::f32::consts::LN_2,
        -0.5 * std::f32::consts::LN_2,
        1.0,
        -1.0,
    ];
    let mut rng = Rng(52);
    for scale in [1.0, -1.0] {
        for &special in &specials {
            for at in 0..8 {
                let mut x: Vec<f32> = rng.floats(11).iter().map(|v| v * 30.0).collect();
                x[at] = special;
                let mut y = Canaried::new(x.len());
                exp::exp_affine_sum(&x, scale, 0.0, y.out());
                y.check_canaries("exp_affine_sum");
                for (j, (&g, &xj)) in y.get().iter().zip(&x).enumerate() {
                    let want = exp::exp(scale * xj);
                    assert!(
                        g.to_bits() == want.to_bits() || (g.is_nan() && want.is_nan()),
                        "exp_affine_sum, scale {scale}: e^{} at index {j} is {g}, scalar exp gives {want}",
                        scale * xj
                    );
                }
            }
        }
    }
}

// ---- GEMM: the micro-kernel's tile edges and the packing's transpose ------------------------

/// The micro-kernels under test: the SIMD128 `MR×8` kernel when compiled for it (4 rows is the
/// shipped one; 3 leaves the A packing without its 4-wide transpose, 8 gives it two blocks),
/// the scalar kernel of the same shapes otherwise.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
type Kernel<const MR: usize> = gemm::Simd128Kernel<MR>;
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
type Kernel<const MR: usize> = gemm::ScalarKernel<MR, 8>;

/// `C (+)= A·B` through the loop nest with kernel `K` on the given strides, against the naive
/// loop on small integers (exact); slots of C outside the matrix must keep their NaN.
#[allow(clippy::too_many_arguments)]
#[rustfmt::skip]
fn check_strided<K: TestKernel>(
    m: usize, k: usize, n: usize,
    (rsa, csa): (usize, usize), (rsb, csb): (usize, usize), (rsc, csc): (usize, usize),
    accumulate: bool, rng: &mut Rng,
) {
    let span = |rows: usize, cols: usize, rs: usize, cs: usize| if rows == 0 || cols == 0 { 0 } else { (rows - 1) * rs + (cols - 1) * cs + 1 };
    let a = rng.ints(span(m, k, rsa, csa));
    let b = rng.ints(span(k, n, rsb, csb));
    let len = span(m, n, rsc, csc);
    let mut start = vec![f32::NAN; len];
    let mut want = vec![f32::NAN; len];
    naive::gemm(m, k, n, &a, rsa, csa, &b, rsb, csb, &mut want, rsc, csc);
    if accumulate {
        let c0 = rng.ints(m * n);
        for i in 0..m {
            for j in 0..n {
                start[i * rsc + j * csc] = c0[i * n + j];
                want[i * rsc + j * csc] += c0[i * n + j];
            }
        }
    }
    let mut c = Canaried::from(&start);
    gemm::gemm_with::<K>(m, k, n, &a, rsa, csa, &b, rsb, csb, c.out(), rsc, csc, accumulate)
        .expect("a small GEMM gets its workspace");
    let what = format!(
        "{}×{} kernel, m={m} k={k} n={n}, strides A ({rsa}, {csa}) B ({rsb}, {csb}) C ({rsc}, {csc}), accumulate={accumulate}",
        K::MR, K::NR
    );
    c.check_canaries(&what);
    for (slot, (&g, &w)) in c.get().iter().zip(&want).enumerate() {
        assert!(g == w || (g.is_nan() && w.is_nan()), "{what}: slot {slot} is {g}, expected {w}");
    }
}

/// Every edge tile: `m` and `n` at every remainder of `MR` and 8, with C row-major (full tiles
/// take the vector store), with padded rows, and column-major (element stores), overwriting
/// and accumulating.
fn tile_edges<K: TestKernel>(rng: &mut Rng) {
    for m in 1..=2 * K::MR + 1 {
        for n in 1..=2 * K::NR + 1 {
            for k in [1, 4, 7] {
                for c_strides in [(n, 1), (n + 3, 1), (1, m + 2)] {
                    for accumulate in [false, true] {
                        check_strided::<K>(m, k, n, (k, 1), (n, 1), c_strides, accumulate, rng);
                    }
                }
            }
        }
    }
}

#[test]
fn gemm_micro_kernel_tile_edges() {
    let mut rng = Rng(53);
    tile_edges::<Kernel<4>>(&mut rng);
    tile_edges::<Kernel<3>>(&mut rng);
    tile_edges::<Kernel<8>>(&mut rng);
}

/// Panels whose k-direction is contiguous go through the 4×4 transpose: A of the NN and NT
/// forms (panel width MR) and B of NT (width 8). Depths at every remainder of 4, rows padded
/// to odd lengths (unaligned loads), and depths past the 256-deep block, whose second block
/// starts mid-row.
fn transposed_panels<K: TestKernel>(rng: &mut Rng) {
    let (m, n) = (2 * K::MR + 1, 2 * K::NR + 3);
    for k in (1..=13).chain([255, 257, 300, 515]) {
        for pad in [0, 1, 5] {
            let a_rows = (k + pad, 1);
            check_strided::<K>(m, k, n, a_rows, (n, 1), (n, 1), false, rng); // NN
            check_strided::<K>(m, k, n, a_rows, (1, k + pad), (n, 1), false, rng);
            // NT
        }
    }
}

#[test]
fn gemm_packing_transpose_on_every_depth() {
    let mut rng = Rng(54);
    transposed_panels::<Kernel<4>>(&mut rng);
    transposed_panels::<Kernel<3>>(&mut rng);
    transposed_panels::<Kernel<8>>(&mut rng);
}
