//! Micro-kernels: `C[rows×cols] (+)= Ã·B̃` for one packed `MR×kc` panel of A and one packed
//! `kc×NR` panel of B, with the `MR×NR` accumulators held in registers.
//!
//! - [`Scalar`]: plain Rust, any `MR×NR`; always compiled, used by the no-SIMD build and by
//!   native tests (which also run it with odd shapes to exercise packing and edge tiles).
//! - [`Simd128`]: `core::arch::wasm32`, `MR×8` with two `f32x4` accumulators per row; each
//!   step of k loads one row of the B panel (two vectors), broadcasts each A value with a
//!   `v128.load32_splat` and does a multiply and an add (SIMD128 has no fused multiply-add;
//!   the relaxed-SIMD build, `+relaxed-simd`, uses `f32x4.relaxed_madd` instead, see [`madd`]).
//!
//! [`Selected`] is the kernel [`super::gemm`] uses, chosen at compile time. `Simd128<4>`: its
//! 8 accumulators + 2 B vectors + 1 broadcast fit the 16 xmm registers V8 allocates on x64;
//! `Simd128<6>` and `Simd128<8>` measured at about half the speed in Node 20 (spills).
//! Measured on the MNIST shapes: ≈ 43–50 GFLOP/s for 4×8, vs ≈ 6–7 for the scalar 4×4.

use super::pack::pack;

/// An `MR×NR` micro-kernel and the packing that feeds it.
pub(crate) trait MicroKernel {
    /// Rows of a tile (width of an A panel).
    const MR: usize;
    /// Columns of a tile (width of a B panel).
    const NR: usize;

    /// Packs an `mc×kc` block of A (element `(i, p)` at `a[i·rsa + p·csa]`) into `MR`-row panels.
    ///
    /// # Safety
    /// As [`pack`] with `len = mc`, `sr = rsa`, `sp = csa`.
    unsafe fn pack_a(mc: usize, kc: usize, a: *const f32, rsa: usize, csa: usize, dst: &mut [f32]);

    /// Packs a `kc×nc` block of B (element `(p, j)` at `b[p·rsb + j·csb]`) into `NR`-column
    /// panels; note the argument order `(nc, kc, b, csb, rsb)`: panel width first.
    ///
    /// # Safety
    /// As [`pack`] with `len = nc`, `sr = csb`, `sp = rsb`.
    unsafe fn pack_b(nc: usize, kc: usize, b: *const f32, csb: usize, rsb: usize, dst: &mut [f32]);

    /// Multiplies the packed panels and stores the top-left `rows×cols` of the tile at `c`
    /// (element `(i, j)` at `c[i·rsc + j·csc]`), overwriting, or adding when `accumulate`.
    ///
    /// # Safety
    /// - `a` is valid for reads of `MR·kc` floats, `b` of `kc·NR` floats.
    /// - `rows ≤ MR`, `cols ≤ NR`, and `c.add(i * rsc + j * csc)` is valid for reads and writes
    ///   for `i < rows`, `j < cols`, the slots distinct and overlapping neither panel.
    #[allow(clippy::too_many_arguments)]
    unsafe fn run(
        kc: usize,
        a: *const f32,
        b: *const f32,
        c: *mut f32,
        rsc: usize,
        csc: usize,
        rows: usize,
        cols: usize,
        accumulate: bool,
    );
}

/// The kernel of this build: SIMD128 when compiled with `+simd128`, scalar otherwise.
/// (The relaxed-SIMD build uses the same 4×8 shape: `Simd128<6>` with fused multiply-adds,
/// which need no temporary register, still measured at half the speed in Node 20, spilling.)
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub(crate) type Selected = Simd128<4>;
/// The kernel of this build: SIMD128 when compiled with `+simd128`, scalar otherwise.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
pub(crate) type Selected = Scalar<4, 4>;

/// Portable `MR×NR` kernel.
#[cfg_attr(
    all(target_arch = "wasm32", target_feature = "simd128", not(test)),
    allow(dead_code)
)]
pub(crate) struct Scalar<const MR: usize, const NR: usize>;

impl<const MR: usize, const NR: usize> MicroKernel for Scalar<MR, NR> {
    const MR: usize = MR;
    const NR: usize = NR;

    unsafe fn pack_a(mc: usize, kc: usize, a: *const f32, rsa: usize, csa: usize, dst: &mut [f32]) {
        // SAFETY: forwarded contract.
        unsafe { pack::<MR>(mc, kc, a, rsa, csa, dst) }
    }

    unsafe fn pack_b(nc: usize, kc: usize, b: *const f32, csb: usize, rsb: usize, dst: &mut [f32]) {
        // SAFETY: forwarded contract.
        unsafe { pack::<NR>(nc, kc, b, csb, rsb, dst) }
    }

    #[inline(always)]
    unsafe fn run(
        kc: usize,
        a: *const f32,
        b: *const f32,
        c: *mut f32,
        rsc: usize,
        csc: usize,
        rows: usize,
        cols: usize,
        accumulate: bool,
    ) {
        let mut acc = [[0.0f32; NR]; MR];
        for p in 0..kc {
            // SAFETY: p < kc, so both rows are inside the panels (caller); read_unaligned
            // because the arrays are only f32-aligned.
            let (av, bv) = unsafe {
                (
                    a.add(p * MR).cast::<[f32; MR]>().read_unaligned(),
                    b.add(p * NR).cast::<[f32; NR]>().read_unaligned(),
                )
            };
            for (acc_row, &ai) in acc.iter_mut().zip(&av) {
                for (acc_ij, &bj) in acc_row.iter_mut().zip(&bv) {
                    *acc_ij += ai * bj;
                }
            }
        }
        // SAFETY: forwarded contract on c, rows, cols.
        unsafe { store_tile(&acc, c, rsc, csc, rows, cols, accumulate) }
    }
}

/// Writes (or adds) the top-left `rows×cols` of a tile into C, element by element.
///
/// # Safety
/// `c.add(i * rsc + j * csc)` valid for reads and writes for `i < rows ≤ MR`, `j < cols ≤ NR`.
#[inline(always)]
unsafe fn store_tile<const MR: usize, const NR: usize>(
    tile: &[[f32; NR]; MR],
    c: *mut f32,
    rsc: usize,
    csc: usize,
    rows: usize,
    cols: usize,
    accumulate: bool,
) {
    for (i, tile_row) in tile.iter().enumerate().take(rows) {
        for (j, &v) in tile_row.iter().enumerate().take(cols) {
            // SAFETY: i < rows, j < cols (caller).
            let slot = unsafe { &mut *c.add(i * rsc + j * csc) };
            *slot = if accumulate { *slot + v } else { v };
        }
    }
}

/// WebAssembly SIMD128 `MR×8` kernel.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub(crate) struct Simd128<const MR: usize>;

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
impl<const MR: usize> MicroKernel for Simd128<MR> {
    const MR: usize = MR;
    const NR: usize = 8;

    unsafe fn pack_a(mc: usize, kc: usize, a: *const f32, rsa: usize, csa: usize, dst: &mut [f32]) {
        // SAFETY: forwarded contract.
        unsafe { pack::<MR>(mc, kc, a, rsa, csa, dst) }
    }

    unsafe fn pack_b(nc: usize, kc: usize, b: *const f32, csb: usize, rsb: usize, dst: &mut [f32]) {
        // SAFETY: forwarded contract.
        unsafe { pack::<8>(nc, kc, b, csb, rsb, dst) }
    }

    #[inline(always)]
    unsafe fn run(
        kc: usize,
        a: *const f32,
        b: *const f32,
        c: *mut f32,
        rsc: usize,
        csc: usize,
        rows: usize,
        cols: usize,
        accumulate: bool,
    ) {
        use core::arch::wasm32::{
            f32x4_add, f32x4_splat, v128, v128_load, v128_load32_splat, v128_store,
        };

        let mut acc = [[f32x4_splat(0.0); 2]; MR];
        let (mut a, mut b) = (a, b);
        for _ in 0..kc {
            // SAFETY: each step reads MR floats of the A panel and 8 of the B panel, kc steps
            // in all (caller); v128 loads need no alignment on wasm.
            unsafe {
                let b0 = v128_load(b.cast::<v128>());
                let b1 = v128_load(b.add(4).cast::<v128>());
                for (r, acc_r) in acc.iter_mut().enumerate() {
                    let ar = v128_load32_splat(a.add(r).cast::<u32>());
                    acc_r[0] = madd(ar, b0, acc_r[0]);
                    acc_r[1] = madd(ar, b1, acc_r[1]);
                }
                a = a.add(MR);
                b = b.add(8);
            }
        }

        if rows == MR && cols == 8 && csc == 1 {
            for (i, acc_i) in acc.iter().enumerate() {
                // SAFETY: a full tile with unit column stride: row i's 8 slots are contiguous
                // and inside C (caller).
                unsafe {
                    let dst = c.add(i * rsc);
                    let (mut lo, mut hi) = (acc_i[0], acc_i[1]);
                    if accumulate {
                        lo = f32x4_add(lo, v128_load(dst.cast::<v128>()));
                        hi = f32x4_add(hi, v128_load(dst.add(4).cast::<v128>()));
                    }
                    v128_store(dst.cast::<v128>(), lo);
                    v128_store(dst.add(4).cast::<v128>(), hi);
                }
            }
        } else {
            let mut tile = [[0.0f32; 8]; MR];
            for (row, acc_i) in tile.iter_mut().zip(&acc) {
                // SAFETY: `row` is 8 floats, two v128 stores fill it exactly.
                unsafe {
                    v128_store(row.as_mut_ptr().cast::<v128>(), acc_i[0]);
                    v128_store(row.as_mut_ptr().add(4).cast::<v128>(), acc_i[1]);
                }
            }
            // SAFETY: forwarded contract on c, rows, cols.
            unsafe { store_tile(&tile, c, rsc, csc, rows, cols, accumulate) }
        }
    }
}

/// `a·b + c` per lane. With `+relaxed-simd` it is `f32x4.relaxed_madd`, which the engine may
/// fuse (one rounding; x64 with FMA3 and arm64 do): one instruction instead of two and one
/// register fewer. Plain SIMD128 has no multiply-add, so it is a multiply and an add there.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
fn madd(
    a: core::arch::wasm32::v128,
    b: core::arch::wasm32::v128,
    c: core::arch::wasm32::v128,
) -> core::arch::wasm32::v128 {
    #[cfg(target_feature = "relaxed-simd")]
    {
        core::arch::wasm32::f32x4_relaxed_madd(a, b, c)
    }
    #[cfg(not(target_feature = "relaxed-simd"))]
    {
        core::arch::wasm32::f32x4_add(c, core::arch::wasm32::f32x4_mul(a, b))
    }
}
