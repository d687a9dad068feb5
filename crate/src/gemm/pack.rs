//! Packing: copies a block of A or B into `W`-wide panels laid out in the order the
//! micro-kernel reads them, zero-padding the last panel so the kernel never sees a remainder.
//!
//! One routine serves both operands; the block's element `(r, p)` is `src[r·sr + p·sp]`, with
//! `r` the index along the panel width and `p` the index along k:
//!
//! | operand | `r`    | `sr`  | `sp`  | `W`  |
//! |---------|--------|-------|-------|------|
//! | A       | row i  | `rsa` | `csa` | `MR` |
//! | B       | col j  | `csb` | `rsb` | `NR` |
//!
//! The strides pick the copy: `sr = 1` (B of NN and TN, A of TN) copies `W` contiguous floats
//! per step of k; `sp = 1` (A of NN and NT, B of NT) is a transpose, done in 4×4 blocks with
//! shuffles when SIMD128 is on; any other layout takes the element-by-element path.

/// Packs the `len×kc` block at `src` into `⌈len/W⌉` panels of `W·kc` floats at the start of
/// `dst`: slot `p·W + r` of panel `q` holds element `(q·W + r, p)`, zero when `q·W + r ≥ len`.
///
/// # Safety
/// `src.add(r * sr + p * sp)` must be valid for reads for every `r < len` and `p < kc`.
///
/// # Panics
/// If `dst` is shorter than `⌈len/W⌉·W·kc`.
pub(crate) unsafe fn pack<const W: usize>(
    len: usize,
    kc: usize,
    src: *const f32,
    sr: usize,
    sp: usize,
    dst: &mut [f32],
) {
    let panels = len.div_ceil(W);
    assert!(dst.len() >= panels * W * kc, "pack: scratch too short");
    if kc == 0 {
        return;
    }
    for (q, panel) in dst.chunks_exact_mut(W * kc).take(panels).enumerate() {
        let rows = W.min(len - q * W);
        // SAFETY: row q·W < len of the block, so it is in bounds (caller).
        let src = unsafe { src.add(q * W * sr) };
        // The panel covers rows q·W .. q·W + rows (all < len) and columns p < kc, which the
        // caller guarantees readable; `panel` holds W·kc floats.
        if rows < W {
            // SAFETY: see above; the last panel, `rows` real rows.
            unsafe { pack_strided::<W>(rows, kc, src, sr, sp, panel) };
        } else if sr == 1 {
            // SAFETY: see above; a full panel with unit stride along it.
            unsafe { pack_contiguous::<W>(kc, src, sp, panel) };
        } else if sp == 1 {
            // SAFETY: see above; a full panel with unit stride along k.
            unsafe { pack_transposed::<W>(kc, src, sr, panel) };
        } else {
            // SAFETY: see above; a full panel, no unit stride.
            unsafe { pack_strided::<W>(W, kc, src, sr, sp, panel) };
        }
    }
}

/// A full panel whose `W` elements at each p are contiguous (`sr = 1`).
///
/// # Safety
/// `src.add(r + p * sp)` valid for reads for `r < W`, `p < kc`.
#[inline(always)]
unsafe fn pack_contiguous<const W: usize>(
    kc: usize,
    src: *const f32,
    sp: usize,
    panel: &mut [f32],
) {
    for (p, out) in panel.chunks_exact_mut(W).take(kc).enumerate() {
        // SAFETY: the W floats from src + p·sp are readable (caller); read_unaligned because
        // src is only f32-aligned.
        let v: [f32; W] = unsafe { src.add(p * sp).cast::<[f32; W]>().read_unaligned() };
        out.copy_from_slice(&v);
    }
}

/// A full panel whose k-direction is contiguous (`sp = 1`): a `W×kc` → `kc×W` transpose.
///
/// # Safety
/// `src.add(r * sr + p)` valid for reads for `r < W`, `p < kc`; `panel.len() ≥ W·kc`.
#[inline(always)]
unsafe fn pack_transposed<const W: usize>(
    kc: usize,
    src: *const f32,
    sr: usize,
    panel: &mut [f32],
) {
    #[allow(unused_mut)]
    let mut p0 = 0;
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    if W % 4 == 0 {
        use core::arch::wasm32::{i32x4_shuffle, i64x2_shuffle, v128, v128_load, v128_store};
        assert!(panel.len() >= W * kc);
        let out = panel.as_mut_ptr();
        while p0 + 4 <= kc {
            for g in (0..W).step_by(4) {
                // SAFETY: rows g..g+4 < W and columns p0..p0+4 ≤ kc are readable (caller);
                // slots (p0+i)·W + g .. +4 for i < 4 are < W·kc ≤ panel.len(). v128 loads and
                // stores need no alignment on wasm.
                unsafe {
                    let s = src.add(g * sr + p0);
                    let x0 = v128_load(s.cast::<v128>());
                    let x1 = v128_load(s.add(sr).cast::<v128>());
                    let x2 = v128_load(s.add(2 * sr).cast::<v128>());
                    let x3 = v128_load(s.add(3 * sr).cast::<v128>());
                    // [a0 b0 a1 b1], [a2 b2 a3 b3], [c0 d0 c1 d1], [c2 d2 c3 d3]
                    let t0 = i32x4_shuffle::<0, 4, 1, 5>(x0, x1);
                    let t1 = i32x4_shuffle::<2, 6, 3, 7>(x0, x1);
                    let t2 = i32x4_shuffle::<0, 4, 1, 5>(x2, x3);
                    let t3 = i32x4_shuffle::<2, 6, 3, 7>(x2, x3);
                    let d = out.add(p0 * W + g);
                    v128_store(d.cast::<v128>(), i64x2_shuffle::<0, 2>(t0, t2));
                    v128_store(d.add(W).cast::<v128>(), i64x2_shuffle::<1, 3>(t0, t2));
                    v128_store(d.add(2 * W).cast::<v128>(), i64x2_shuffle::<0, 2>(t1, t3));
                    v128_store(d.add(3 * W).cast::<v128>(), i64x2_shuffle::<1, 3>(t1, t3));
                }
            }
            p0 += 4;
        }
    }
    for (p, out) in panel.chunks_exact_mut(W).take(kc).enumerate().skip(p0) {
        for (r, slot) in out.iter_mut().enumerate() {
            // SAFETY: r < W, p < kc (caller).
            *slot = unsafe { *src.add(r * sr + p) };
        }
    }
}

/// Any layout, and the last (partial) panel: `rows ≤ W` real rows, the rest zero.
///
/// # Safety
/// `src.add(r * sr + p * sp)` valid for reads for `r < rows`, `p < kc`.
unsafe fn pack_strided<const W: usize>(
    rows: usize,
    kc: usize,
    src: *const f32,
    sr: usize,
    sp: usize,
    panel: &mut [f32],
) {
    for (p, out) in panel.chunks_exact_mut(W).take(kc).enumerate() {
        for (r, slot) in out.iter_mut().enumerate() {
            // SAFETY: r < rows and p < kc (caller).
            *slot = if r < rows {
                unsafe { *src.add(r * sr + p * sp) }
            } else {
                0.0
            };
        }
    }
}
