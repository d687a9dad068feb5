//! `C ← A·B` for f32 matrices described by strides: one packed, register-tiled core serves
//! the three products of an Affine layer (`x·W`, `dout·Wᵀ`, `xᵀ·dout`).
//!
//! Element `(i, p)` of the `m×k` matrix A is `a[i * rsa + p * csa]`, element `(p, j)` of the
//! `k×n` matrix B is `b[p * rsb + j * csb]`, element `(i, j)` of the `m×n` matrix C is
//! `c[i * rsc + j * csc]`. A transposed operand is the stored matrix with its strides swapped,
//! so [`gemm_nn`], [`gemm_nt`] and [`gemm_tn`] are the same core and all reach the fast path.
//!
//! How it runs (BLIS loop nest, see `loops.rs`): blocks of B (`kc×nc`) and A (`mc×kc`) are
//! packed into zero-padded panels in the thread's reused, 16-byte-aligned workspace
//! ([`crate::workspace`]: reserved fallibly, so a full memory is an [`OutOfMemory`] error); an
//! `MR×NR` micro-kernel (`kernel.rs`) multiplies one A panel by one B panel with its
//! accumulators in registers and stores the tile, masked at the matrix edges.

mod kernel;
mod loops;
mod pack;

use kernel::MicroKernel;

use crate::parallel::{self, SharedMut};
use crate::workspace::{self, OutOfMemory};

/// `C ← A·B` for an `m×k` A, a `k×n` B and an `m×n` C given by row and column strides (see
/// the module docs). C is overwritten: its old contents are never read.
///
/// - `k = 0` sets C to zero; `m = 0` or `n = 0` writes nothing.
/// - Each slice must reach its last element: `a.len() ≥ (m−1)·rsa + (k−1)·csa + 1` (0 when
///   the matrix is empty), likewise for B and C.
/// - The strides of C must not make two elements of C share a slot.
///
/// # Errors
/// [`OutOfMemory`] if the packing workspace cannot grow; without threads nothing is written
/// then, with threads the parts that got their workspace wrote their block of C.
///
/// # Panics
/// If a slice is too short or C's strides alias. Nothing is written then.
#[allow(clippy::too_many_arguments)]
#[rustfmt::skip]
pub fn gemm(
    m: usize, k: usize, n: usize,
    a: &[f32], rsa: usize, csa: usize,
    b: &[f32], rsb: usize, csb: usize,
    c: &mut [f32], rsc: usize, csc: usize,
) -> Result<(), OutOfMemory> {
    gemm_with::<kernel::Selected>(m, k, n, a, rsa, csa, b, rsb, csb, c, rsc, csc, false)
}

/// `C ← A·B + C`: as [`gemm`], but adds the product to C's contents (BLAS β = 1). The Affine
/// forward pre-fills C with the bias rows and lets the micro-kernel's store add it for free.
#[allow(clippy::too_many_arguments)]
#[rustfmt::skip]
pub fn gemm_acc(
    m: usize, k: usize, n: usize,
    a: &[f32], rsa: usize, csa: usize,
    b: &[f32], rsb: usize, csb: usize,
    c: &mut [f32], rsc: usize, csc: usize,
) -> Result<(), OutOfMemory> {
    gemm_with::<kernel::Selected>(m, k, n, a, rsa, csa, b, rsb, csb, c, rsc, csc, true)
}

/// `C[m×n] = A[m×k] · B[k×n]`, all row-major and contiguous (lengths as the kernel table in
/// `crate::abi` declares them; the strided core checks that each slice reaches its last element).
pub fn gemm_nn(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    b: &[f32],
    c: &mut [f32],
) -> Result<(), OutOfMemory> {
    gemm(m, k, n, a, k, 1, b, n, 1, c, n, 1)
}

/// `C[m×n] = A[m×k] · B[n×k]ᵀ`, all row-major and contiguous.
pub fn gemm_nt(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    b: &[f32],
    c: &mut [f32],
) -> Result<(), OutOfMemory> {
    gemm(m, k, n, a, k, 1, b, 1, k, c, n, 1)
}

/// `C[m×n] = A[k×m]ᵀ · B[k×n]`, all row-major and contiguous.
pub fn gemm_tn(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    b: &[f32],
    c: &mut [f32],
) -> Result<(), OutOfMemory> {
    gemm(m, k, n, a, 1, m, b, n, 1, c, n, 1)
}

/// [`gemm`] with a chosen micro-kernel (tests run the loop nest with several shapes).
#[allow(clippy::too_many_arguments)]
#[rustfmt::skip]
pub(crate) fn gemm_with<K: MicroKernel>(
    m: usize, k: usize, n: usize,
    a: &[f32], rsa: usize, csa: usize,
    b: &[f32], rsb: usize, csb: usize,
    c: &mut [f32], rsc: usize, csc: usize,
    accumulate: bool,
) -> Result<(), OutOfMemory> {
    assert!(a.len() >= extent(m, k, rsa, csa), "gemm: A ({m}×{k}, strides {rsa}, {csa}) needs {} elements, got {}", extent(m, k, rsa, csa), a.len());
    assert!(b.len() >= extent(k, n, rsb, csb), "gemm: B ({k}×{n}, strides {rsb}, {csb}) needs {} elements, got {}", extent(k, n, rsb, csb), b.len());
    assert!(c.len() >= extent(m, n, rsc, csc), "gemm: C ({m}×{n}, strides {rsc}, {csc}) needs {} elements, got {}", extent(m, n, rsc, csc), c.len());
    assert!(distinct_slots(m, n, rsc, csc), "gemm: strides {rsc}, {csc} make elements of the {m}×{n} C overlap");
    if m == 0 || n == 0 {
        return Ok(());
    }
    if k == 0 {
        if accumulate {
            return Ok(()); // C + (empty product) = C
        }
        for i in 0..m {
            for j in 0..n {
                c[i * rsc + j * csc] = 0.0;
            }
        }
        return Ok(());
    }
    // Split C into row blocks (tall C) or column blocks (wide C), whole micro-tiles each: every
    // element of C is still summed over the whole of k in one part, in the same order.
    let rows = m >= n;
    let (len, align) = if rows { (m, K::MR) } else { (n, K::NR) };
    let parts = parallel::parts(m * k * n, GEMM_MIN_MACS_PER_PART, len.div_ceil(align), 1);
    // C is strided (and a wide one is split by columns), so its parts share one pointer rather
    // than getting sub-slices through `parallel::for_each_block`.
    let c_at = SharedMut(c.as_mut_ptr());
    parallel::try_for_each_range(len, align, parts, |r| {
        let (i0, mp, j0, np) = if rows { (r.start, r.len(), 0, n) } else { (0, m, r.start, r.len()) };
        if mp == 0 || np == 0 {
            return Ok(());
        }
        let blocking = loops::Blocking::new::<K>(mp, k, np);
        let a_room = blocking.a_pack_len().next_multiple_of(4); // keeps B's panel 16-byte aligned
        workspace::with_workspace(a_room + blocking.b_pack_len(), |buf| {
            let (a_pack, b_pack) = buf.split_at_mut(a_room);
            // SAFETY: the asserts above put every (i, p) < (m, k) of A, (p, j) < (k, n) of B and
            // (i, j) < (m, n) of C inside its slice, and C's slots are distinct, so the part's
            // rows i0.. (columns j0..) are inside too. C was a `&mut`, so it overlaps neither A,
            // B (shared borrows) nor the workspace (this thread's); the parts' blocks of C are
            // disjoint, so no two parts write one element.
            unsafe {
                loops::gemm_packed::<K>(
                    &blocking, a.as_ptr().add(i0 * rsa), rsa, csa, b.as_ptr().add(j0 * csb), rsb, csb,
                    c_at.ptr().add(i0 * rsc + j0 * csc), rsc, csc, a_pack, b_pack, accumulate,
                );
            }
        })
    })
}

/// Multiply-adds (`m·k·n`) below which a GEMM part is not worth a thread (≈ 45 µs of work at
/// 45 GFLOP/s). From `bench/threads.ts --sweep` on this 2-core machine (shared, load average 3–5):
/// with parts of 2¹⁶ multiply-adds, 64³ took 28 µs on 2 threads against 18 µs on one, 96³ 73
/// against 38, 10×784×50 56 against 28, while 1024³ ran 1.88× faster when a core was idle; a
/// hand-over costs tens of µs whenever the other core is busy, so parts stay above that.
const GEMM_MIN_MACS_PER_PART: usize = 1 << 20;

/// Number of elements a strided `rows×cols` matrix spans: `(rows−1)·rs + (cols−1)·cs + 1`,
/// 0 when it is empty. Panics on overflow (no slice could be that long anyway).
fn extent(rows: usize, cols: usize, rs: usize, cs: usize) -> usize {
    if rows == 0 || cols == 0 {
        return 0;
    }
    (rows - 1)
        .checked_mul(rs)
        .and_then(|r| (cols - 1).checked_mul(cs).and_then(|c| r.checked_add(c)))
        .and_then(|e| e.checked_add(1))
        .expect("gemm: matrix extent overflows usize")
}

/// Whether the strides give every element of a `rows×cols` matrix its own slot. Sufficient,
/// not necessary: accepts row-major-like (`rs ≥ cols·cs`) and column-major-like layouts.
fn distinct_slots(rows: usize, cols: usize, rs: usize, cs: usize) -> bool {
    if rows == 0 || cols == 0 {
        return true;
    }
    match (rows > 1, cols > 1) {
        (false, false) => true,
        (false, true) => cs != 0,
        (true, false) => rs != 0,
        (true, true) => {
            (cs != 0 && cols.checked_mul(cs).is_some_and(|w| rs >= w))
                || (rs != 0 && rows.checked_mul(rs).is_some_and(|h| cs >= h))
        }
    }
}

/// The SIMD128 kernel, for tests of its tile edges with other row counts.
#[cfg(all(test, target_arch = "wasm32", target_feature = "simd128"))]
pub(crate) use kernel::Simd128 as Simd128Kernel;
/// The kernels the tests can run the loop nest with.
#[cfg(test)]
pub(crate) use kernel::{MicroKernel as TestKernel, Scalar as ScalarKernel};
