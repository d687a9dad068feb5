//! `exp` for f32, vectorised: the softmax of a (1024, 1000) batch takes a million of them, and
//! the libm `expf` that `f32::exp` calls on wasm32 is scalar and far slower.
//!
//! The method (Cephes `expf`): write `x = n·ln 2 + r` with `n = round(x / ln 2)` and
//! `|r| ≤ ln 2 / 2`, subtracting `n·ln 2` in two parts (a short `LN2_HI` whose product with `n`
//! is exact, then `LN2_LO`) so `r` keeps its precision; approximate `e^r` by a degree-7
//! polynomial (`1 + r + r²·P(r)`, `P` evaluated by Estrin's scheme for a short dependency
//! chain); multiply by `2^n`, built directly in the exponent bits.
//! Relative error ≤ 2 ulp on `[-87.3, 88.3]` (tested against f64 `exp`).
//!
//! Domain: below `MIN_X` the result is 0 (the true value is an f32 subnormal or 0); above
//! `MAX_X` it is +∞ (`2^n` would leave the exponent range; softmax only needs `x ≤ 0`). NaN in,
//! NaN out. [`exp`] is the scalar version and [`exp_f32x4`] the SIMD128 one; both do the same
//! operations in the same order, so the tests of the scalar one speak for both.

/// Below this, `e^x` < the smallest normal f32: flushed to 0.
pub const MIN_X: f32 = -87.336_55;
/// Above this, `n` would be 128: +∞.
pub const MAX_X: f32 = 88.376_26;
const LOG2E: f32 = std::f32::consts::LOG2_E;
/// ln 2 split so that `n·LN2_HI` is exact for |n| ≤ 128 (LN2_HI has 9 significant bits).
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
/// Cephes polynomial for `(e^r − 1 − r) / r²` on |r| ≤ ln 2 / 2, highest degree first.
const P: [f32; 6] = [
    1.987_569_1e-4,
    1.398_199_9e-3,
    8.333_452e-3,
    4.166_579_6e-2,
    1.666_666_5e-1,
    5.000_000_1e-1,
];

/// `e^x` in f32 (see the module docs for accuracy and domain).
#[inline]
pub fn exp(x: f32) -> f32 {
    if x.is_nan() {
        return x;
    }
    if x < MIN_X {
        return 0.0;
    }
    if x > MAX_X {
        return f32::INFINITY;
    }
    let n = (x * LOG2E).round_ties_even();
    let r = (x - n * LN2_HI) - n * LN2_LO;
    // P(r) by Estrin's scheme: (P0·r + P1)·r⁴ + (P2·r + P3)·r² + (P4·r + P5).
    let r2 = r * r;
    let (a, b, c) = (P[0] * r + P[1], P[2] * r + P[3], P[4] * r + P[5]);
    let p = (a * r2 + b) * r2 + c;
    let er = p * r2 + r + 1.0;
    // n ∈ [-126, 127] here, so n + 127 is a valid biased exponent of a normal f32.
    er * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

/// [`exp`] on four lanes.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
pub fn exp_f32x4(x: core::arch::wasm32::v128) -> core::arch::wasm32::v128 {
    exp_f32x4_with(x, &ExpConsts::new())
}

/// The splatted constants of [`exp_f32x4`]. A loop makes them once and hides them from the
/// optimiser with `black_box` (see [`simd::exp_affine_sum`]): otherwise LLVM leaves ~15
/// `v128.const`s inside the loop body, V8 rebuilds each one on every iteration (a few x64
/// instructions apiece), and that costs more than the arithmetic (measured: 3.6 → 1 ns/element).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[derive(Clone, Copy)]
pub(crate) struct ExpConsts {
    min_x: core::arch::wasm32::v128,
    max_x: core::arch::wasm32::v128,
    log2e: core::arch::wasm32::v128,
    ln2_hi: core::arch::wasm32::v128,
    ln2_lo: core::arch::wasm32::v128,
    p: [core::arch::wasm32::v128; 6],
    one: core::arch::wasm32::v128,
    magic: core::arch::wasm32::v128,
    inf: core::arch::wasm32::v128,
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
impl ExpConsts {
    #[inline(always)]
    pub(crate) fn new() -> Self {
        use core::arch::wasm32::f32x4_splat;
        ExpConsts {
            min_x: f32x4_splat(MIN_X),
            max_x: f32x4_splat(MAX_X),
            log2e: f32x4_splat(LOG2E),
            ln2_hi: f32x4_splat(LN2_HI),
            ln2_lo: f32x4_splat(LN2_LO),
            p: P.map(|c| f32x4_splat(c)),
            one: f32x4_splat(1.0),
            magic: f32x4_splat(12_582_912.0), // 1.5·2^23
            inf: f32x4_splat(f32::INFINITY),
        }
    }
}

/// [`exp_f32x4`] with its constants given.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
pub(crate) fn exp_f32x4_with(
    x: core::arch::wasm32::v128,
    k: &ExpConsts,
) -> core::arch::wasm32::v128 {
    use core::arch::wasm32::*;
    // No clamp to [MIN_X, MAX_X] first: the last two steps replace every out-of-range lane, and a
    // NaN lane stays NaN through the arithmetic. (A pmin/pmax clamp also made NaN finite in the
    // relaxed-SIMD build, where LLVM turns pmin/pmax into relaxed_min/max, llvm-project#177968.)
    // n = round(x·log2 e), ties to even, by adding 1.5·2^23: the sum's low mantissa bits are n
    // (two's complement), so its bits shifted left by 23 are n's exponent field. Three cheap
    // instructions instead of f32x4.nearest + i32x4.trunc_sat (about ten on x64).
    let shifted = f32x4_add(f32x4_mul(x, k.log2e), k.magic);
    let n = f32x4_sub(shifted, k.magic);
    let r = f32x4_sub(f32x4_sub(x, f32x4_mul(n, k.ln2_hi)), f32x4_mul(n, k.ln2_lo));
    // P(r) by Estrin's scheme (as the scalar version): three dependent steps instead of five.
    let r2 = f32x4_mul(r, r);
    let a = f32x4_add(f32x4_mul(k.p[0], r), k.p[1]);
    let b = f32x4_add(f32x4_mul(k.p[2], r), k.p[3]);
    let c = f32x4_add(f32x4_mul(k.p[4], r), k.p[5]);
    let p = f32x4_add(f32x4_mul(f32x4_add(f32x4_mul(a, r2), b), r2), c);
    let er = f32x4_add(f32x4_add(f32x4_mul(p, r2), r), k.one);
    let pow2n = i32x4_add(i32x4_shl(shifted, 23), k.one); // + 127 << 23, the bits of 1.0
    let y = f32x4_mul(er, pow2n);
    // Out of range lanes, as in the scalar version: 0 below MIN_X, +∞ above MAX_X.
    let y = v128_andnot(y, f32x4_lt(x, k.min_x));
    v128_bitselect(k.inf, y, f32x4_gt(x, k.max_x))
}

/// `y[j] = e^(scale·x[j] − shift)` for every j; returns `Σ y[j]` (in f32, four partial sums).
/// Softmax uses `scale = 1, shift = max` (`1·x` and `x − max` are exact), sigmoid `scale = −1`.
///
/// # Panics
/// If the lengths differ.
pub fn exp_affine_sum(x: &[f32], scale: f32, shift: f32, y: &mut [f32]) -> f32 {
    assert_eq!(x.len(), y.len(), "exp_affine_sum: x and y differ in length");
    let (done, mut sum) = simd::exp_affine_sum(x, scale, shift, y);
    for (&xj, yj) in x[done..].iter().zip(&mut y[done..]) {
        *yj = exp(scale * xj - shift);
        sum += *yj;
    }
    sum
}

/// The largest element, NaN elements skipped (−∞ for an empty or all-NaN slice). Softmax still
/// turns a NaN score into a NaN output: `exp(NaN − max)` is NaN.
pub fn max(x: &[f32]) -> f32 {
    let (done, mut m) = simd::max(x);
    for &v in &x[done..] {
        m = skip_nan_max(m, v);
    }
    m
}

/// The vector bodies of [`exp_affine_sum`] and [`max`]: each returns how many leading
/// elements it handled (a multiple of 4) and its partial result; the callers finish the tail.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd {
    use super::{exp_f32x4_with, skip_nan_max, ExpConsts};
    use core::arch::wasm32::*;

    pub(super) fn exp_affine_sum(x: &[f32], scale: f32, shift: f32, y: &mut [f32]) -> (usize, f32) {
        let mut acc = f32x4_splat(0.0);
        let (a, s) = (f32x4_splat(scale), f32x4_splat(shift));
        let k = core::hint::black_box(ExpConsts::new()); // keeps the constants out of the loop
        for (xs, ys) in x.chunks_exact(4).zip(y.chunks_exact_mut(4)) {
            // SAFETY: both chunks are 4 floats; v128 loads and stores need no alignment.
            unsafe {
                let e = exp_f32x4_with(
                    f32x4_sub(f32x4_mul(a, v128_load(xs.as_ptr().cast())), s),
                    &k,
                );
                v128_store(ys.as_mut_ptr().cast(), e);
                acc = f32x4_add(acc, e);
            }
        }
        let sum = (f32x4_extract_lane::<0>(acc) + f32x4_extract_lane::<1>(acc))
            + (f32x4_extract_lane::<2>(acc) + f32x4_extract_lane::<3>(acc));
        (x.len() - x.len() % 4, sum)
    }

    pub(super) fn max(x: &[f32]) -> (usize, f32) {
        // f32x4.pmax is one x64 instruction (f32x4.max, NaN-propagating, is about eight), and
        // four accumulators break the loop-carried dependency: measured 1.6 → 0.2 ns/element.
        let mut acc = [f32x4_splat(f32::NEG_INFINITY); 4];
        let blocks = x.chunks_exact(16);
        let rest = blocks.remainder().len();
        for xs in blocks {
            for (i, a) in acc.iter_mut().enumerate() {
                // SAFETY: the chunk is 16 floats, so floats 4i..4i+4 are inside; v128 loads need
                // no alignment. pmax(a, v) = a < v ? v : a.
                let v = unsafe { v128_load(xs.as_ptr().add(4 * i).cast()) };
                // With +relaxed-simd, LLVM turns this pmax into f32x4.relaxed_max, which may
                // return a NaN v (x64's maxps does; llvm-project#177968): NaN lanes become −∞.
                #[cfg(target_feature = "relaxed-simd")]
                let v = v128_bitselect(v, f32x4_splat(f32::NEG_INFINITY), f32x4_eq(v, v));
                *a = f32x4_pmax(*a, v);
            }
        }
        let v = f32x4_pmax(f32x4_pmax(acc[0], acc[1]), f32x4_pmax(acc[2], acc[3]));
        let lanes = [
            f32x4_extract_lane::<0>(v),
            f32x4_extract_lane::<1>(v),
            f32x4_extract_lane::<2>(v),
            f32x4_extract_lane::<3>(v),
        ];
        (
            x.len() - rest,
            lanes.into_iter().fold(f32::NEG_INFINITY, skip_nan_max),
        )
    }
}

/// Without SIMD128 the scalar tails do all the work.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod simd {
    pub(super) fn exp_affine_sum(_: &[f32], _: f32, _: f32, _: &mut [f32]) -> (usize, f32) {
        (0, 0.0)
    }
    pub(super) fn max(_: &[f32]) -> (usize, f32) {
        (0, f32::NEG_INFINITY)
    }
}

/// `v > m ? v : m`: a NaN `v` is skipped (as `f32x4.pmax` and the TS oracle do).
#[inline(always)]
fn skip_nan_max(m: f32, v: f32) -> f32 {
    if v > m {
        v
    } else {
        m
    }
}
