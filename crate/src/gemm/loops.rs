//! The blocked loop nest (BLIS order): for each `nc`-column block of B and `kc`-deep slice of
//! k, pack that `kc×nc` block of B; for each `mc`-row block of A, pack its `mc×kc` block; then
//! run the micro-kernel over every `MR×NR` tile. A B panel (`kc×NR`) stays in L1 while the
//! innermost loop walks the A panels of the block (L2).
//!
//! The first `kc` slice overwrites C (unless the caller asks to accumulate, `C ← A·B + C`, as
//! the Affine forward does with C pre-filled with the bias), the later ones add to it, so C is
//! never read before it is written.

use super::kernel::MicroKernel;

/// Upper bounds of the block sizes. Blocks are balanced (`k = 784` → 4 × 196, not
/// 3 × 256 + 16), so no block is a sliver.
const KC_MAX: usize = 256;
const MC_MAX: usize = 128;
const NC_MAX: usize = 1024;

/// Problem dimensions and the block sizes chosen for them.
pub(crate) struct Blocking {
    m: usize,
    k: usize,
    n: usize,
    kc: usize,
    mc: usize,
    nc: usize,
    mr: usize,
    nr: usize,
}

impl Blocking {
    /// Block sizes for a `m×k · k×n` product with kernel `K`; all dimensions must be > 0.
    pub(crate) fn new<K: MicroKernel>(m: usize, k: usize, n: usize) -> Self {
        assert!(m > 0 && k > 0 && n > 0);
        Blocking {
            m,
            k,
            n,
            kc: balanced(k, KC_MAX, 1),
            mc: balanced(m, MC_MAX, K::MR),
            nc: balanced(n, NC_MAX, K::NR),
            mr: K::MR,
            nr: K::NR,
        }
    }

    /// Floats needed for one packed block of A (`mc` rows rounded up to whole panels, `kc` deep).
    pub(crate) fn a_pack_len(&self) -> usize {
        self.mc.min(self.m).next_multiple_of(self.mr) * self.kc
    }

    /// Floats needed for one packed block of B (`nc` columns rounded up to whole panels).
    pub(crate) fn b_pack_len(&self) -> usize {
        self.kc * self.nc.min(self.n).next_multiple_of(self.nr)
    }
}

/// The largest block is at most `max` (or one `multiple` if that is larger), a multiple of
/// `multiple`, and splits `total` into blocks of nearly equal size.
fn balanced(total: usize, max: usize, multiple: usize) -> usize {
    let blocks = total.div_ceil(max);
    total.div_ceil(blocks).next_multiple_of(multiple)
}

/// Runs the loop nest: `C ← A·B` with A, B, C given by pointers and strides as in
/// [`super::gemm`], the problem size in `blocking`.
///
/// # Safety
/// - `blocking` was made by `Blocking::new::<K>`; `a_pack` and `b_pack` hold at least
///   `a_pack_len()` and `b_pack_len()` floats.
/// - `a.add(i * rsa + p * csa)` is valid for reads for every `i < m`, `p < k`, and
///   `b.add(p * rsb + j * csb)` for every `p < k`, `j < n`.
/// - `c.add(i * rsc + j * csc)` is valid for writes (and reads) for every `i < m`, `j < n`,
///   these slots are pairwise distinct, and none of them overlaps A, B or the pack buffers.
#[allow(clippy::too_many_arguments)]
#[rustfmt::skip]
pub(crate) unsafe fn gemm_packed<K: MicroKernel>(
    blocking: &Blocking,
    a: *const f32, rsa: usize, csa: usize,
    b: *const f32, rsb: usize, csb: usize,
    c: *mut f32, rsc: usize, csc: usize,
    a_pack: &mut [f32],
    b_pack: &mut [f32],
    accumulate: bool,
) {
    let &Blocking { m, k, n, kc: kc_max, mc: mc_max, nc: nc_max, .. } = blocking;
    debug_assert!(a_pack.len() >= blocking.a_pack_len() && b_pack.len() >= blocking.b_pack_len());
    for jc in (0..n).step_by(nc_max) {
        let nc = nc_max.min(n - jc);
        for pc in (0..k).step_by(kc_max) {
            let kc = kc_max.min(k - pc);
            // SAFETY: rows p in pc..pc+kc < k and columns j in jc..jc+nc ≤ n of B are readable
            // (caller); b_pack holds ⌈nc/NR⌉·NR·kc ≤ b_pack_len() floats.
            unsafe { K::pack_b(nc, kc, b.add(pc * rsb + jc * csb), csb, rsb, b_pack) };
            for ic in (0..m).step_by(mc_max) {
                let mc = mc_max.min(m - ic);
                // SAFETY: as for B, with rows ic..ic+mc ≤ m and columns pc..pc+kc ≤ k of A.
                unsafe { K::pack_a(mc, kc, a.add(ic * rsa + pc * csa), rsa, csa, a_pack) };
                for jr in (0..nc).step_by(K::NR) {
                    let b_panel = b_pack[jr * kc..(jr + K::NR) * kc].as_ptr();
                    for ir in (0..mc).step_by(K::MR) {
                        let a_panel = a_pack[ir * kc..(ir + K::MR) * kc].as_ptr();
                        // SAFETY: the panels were just packed (MR·kc and kc·NR floats); the tile
                        // rows ic+ir.. (< m) and columns jc+jr.. (< n) are C's, clipped to
                        // rows ≤ MR, cols ≤ NR by the kernel's masked store.
                        unsafe {
                            K::run(
                                kc,
                                a_panel,
                                b_panel,
                                c.add((ic + ir) * rsc + (jc + jr) * csc),
                                rsc,
                                csc,
                                K::MR.min(mc - ir),
                                K::NR.min(nc - jr),
                                accumulate || pc > 0,
                            )
                        };
                    }
                }
            }
        }
    }
}
