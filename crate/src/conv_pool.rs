//! The backward of a network's first three layers when they are Convolution → ReLU → max
//! pooling and the convolution's input is the data (its dx is not needed): `dW` and `db` of the
//! convolution straight from the pooling's `dout`, `argmax` and output, without the dense
//! gradient of the convolution output.
//!
//! The layer-by-layer path scatters `dout` into a dense `[N, FN, OH, OW]` array (max pooling
//! backward), masks it (ReLU backward) and multiplies it with every column (`dW = Σ dout_n·col_nᵀ`).
//! But each pooling window sends its gradient to one position, so at most one position in
//! `PH·PW` of that array is not zero: a 2×2 pooling leaves ¾ of the GEMM's products zero. Here
//! each window's gradient `g` is added, times the input patch its chosen position read, to its
//! filter's `dW` row: `dW[f, (c, i, j)] += g · x[n, c, oy·s + i − pad, ox·s + j − pad]`, and to
//! `db[f]`. ReLU blocks where its output is ≤ 0 at the chosen position (a NaN passes); that output
//! is the pooled value itself, so the pooling's output tells it without reading the ReLU's.
//!
//! The sums run per filter, over samples, then windows in row-major order; threads split the
//! filters (never the samples), so the result does not depend on the thread count. Exactly the
//! composition of [`crate::pool::max_pool_backward`], [`crate::activation::relu_backward`] and
//! [`crate::conv::conv_backward`] up to the order of the sums, with one difference: the composition
//! multiplies the zeros of the dense gradient with the input too, so a NaN or infinite input
//! value makes `dW` entries NaN there (0·NaN) that stay finite here.

use crate::parallel;
use crate::window::Window;

/// `dW[FN, C·FH·FW]` and `db[FN]` of the convolution `g` (`fn_` filters) from its input
/// `x[N, C, H, W]` and the pooling `pool`'s (its `n, c, h, w` are `N, FN, OH, OW`) output
/// `pooled`, `argmax` and `dout` (each `[N, FN, PH·PW]`). Lengths as the kernel table
/// (`crate::abi`) declares them.
#[allow(clippy::too_many_arguments)]
pub fn conv_relu_pool_backward(
    g: &Window,
    fn_: usize,
    pool: &Window,
    x: &[f32],
    pooled: &[f32],
    argmax: &[f32],
    dout: &[f32],
    dw: &mut [f32],
    db: &mut [f32],
) {
    let pp = pool.positions();
    // Filters are independent: split them (each part walks every sample, in order).
    let parts = parallel::parts(
        g.n * fn_ * pp * g.patch(),
        CONV_POOL_MIN_MACS_PER_PART,
        fn_,
        1,
    );
    let rows = Rows::new(g, fn_, pool, pooled, argmax, dout);
    parallel::for_each_block(fn_, 1, parts, [dw, db], |f, [dw, db]| {
        filters_grad(&rows, f.start, x, dw, db);
    });
}

/// Multiply-adds below which a part is not worth a thread (as the convolution's).
const CONV_POOL_MIN_MACS_PER_PART: usize = 1 << 20;

/// What every filter reads besides x.
struct Rows<'a> {
    g: &'a Window,
    fn_: usize,
    pool: &'a Window,
    pooled: &'a [f32],
    argmax: &'a [f32],
    dout: &'a [f32],
    /// The window index → (row, column) in the window, for windows of at most 64.
    table: [(u16, u16); 64],
}

impl<'a> Rows<'a> {
    fn new(
        g: &'a Window,
        fn_: usize,
        pool: &'a Window,
        pooled: &'a [f32],
        argmax: &'a [f32],
        dout: &'a [f32],
    ) -> Self {
        let mut table = [(0, 0); 64];
        for (at, slot) in table.iter_mut().enumerate().take(pool.fh * pool.fw) {
            *slot = ((at / pool.fw) as u16, (at % pool.fw) as u16);
        }
        Rows {
            g,
            fn_,
            pool,
            pooled,
            argmax,
            dout,
            table,
        }
    }

    /// Calls `f(oy, ox, grad)` for each pooling window of sample `n`, filter `filter` whose
    /// gradient reaches the convolution, in row-major order, `(oy, ox)` the position its argmax
    /// chose. Windows whose index is not a window index or points at the pooling's padding are
    /// dropped (as the pooling backward drops them), and so are those where ReLU blocks (the
    /// pooled value ≤ 0; a NaN passes).
    #[inline(always)]
    fn windows(&self, n: usize, filter: usize, mut f: impl FnMut(usize, usize, f32)) {
        let pool = self.pool;
        let (oh, ow) = (pool.h, pool.w);
        let (ph, pw) = (pool.oh(), pool.ow());
        let pp = ph * pw;
        let window = pool.fh * pool.fw;
        let row = (n * self.fn_ + filter) * pp;
        let (a_row, p_row, d_row) = (
            &self.argmax[row..row + pp],
            &self.pooled[row..row + pp],
            &self.dout[row..row + pp],
        );
        for py in 0..ph {
            for px in 0..pw {
                let q = py * pw + px;
                let at = a_row[q];
                if !(at >= 0.0 && at < window as f32) || p_row[q] <= 0.0 {
                    continue; // not a window index (dropped), or ReLU blocks
                }
                let at = at as usize;
                let (i, j) = if window <= 64 {
                    let (i, j) = self.table[at];
                    (usize::from(i), usize::from(j))
                } else {
                    (at / pool.fw, at % pool.fw)
                };
                let oy = (py * pool.stride + i).wrapping_sub(pool.pad);
                let ox = (px * pool.stride + j).wrapping_sub(pool.pad);
                if oy >= oh || ox >= ow {
                    continue; // padding won: dropped
                }
                f(oy, ox, d_row[q]);
            }
        }
    }
}

/// `dW` rows (overwritten) and `db` of the filters `first..first + db.len()`.
fn filters_grad(rows: &Rows, first: usize, x: &[f32], dw: &mut [f32], db: &mut [f32]) {
    dw.fill(0.0);
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        // The shapes of a grayscale first layer's square filters, 3×3, 5×5 (SimpleConvNet's) and
        // 7×7: each shape is a function of its own (≈ 7 KB of code), so only these; any other
        // takes the scalar path below, patch by patch.
        let g = rows.g;
        // ts/layers/convolution.ts `fusedShape` holds these shapes too (a network takes this
        // kernel only for them: patch by patch it is slower than the layers one by one).
        match (g.c * g.fh, g.fw) {
            (3, 1..=4) => return simd::filters_grad::<3, 1>(rows, first, x, dw, db),
            (5, 5..=8) => return simd::filters_grad::<5, 2>(rows, first, x, dw, db),
            (7, 5..=8) => return simd::filters_grad::<7, 2>(rows, first, x, dw, db),
            _ => {}
        }
    }
    let (g, k, xs) = (rows.g, rows.g.patch(), rows.g.sample());
    for (i, (dw_f, db_f)) in dw.chunks_exact_mut(k.max(1)).zip(db.iter_mut()).enumerate() {
        let mut sum = 0.0f32;
        for n in 0..g.n {
            rows.windows(n, first + i, |oy, ox, grad| {
                sum += grad;
                add_patch(g, &x[n * xs..(n + 1) * xs], oy, ox, grad, dw_f);
            });
        }
        *db_f = sum;
    }
}

/// `dw_f += grad · patch` for the patch of output position (oy, ox), padding read as 0.
fn add_patch(g: &Window, x_n: &[f32], oy: usize, ox: usize, grad: f32, dw_f: &mut [f32]) {
    let plane = g.h * g.w;
    for c in 0..g.c {
        for i in 0..g.fh {
            let y = (oy * g.stride + i).wrapping_sub(g.pad);
            if y >= g.h {
                continue;
            }
            for j in 0..g.fw {
                let xx = (ox * g.stride + j).wrapping_sub(g.pad);
                if xx < g.w {
                    dw_f[(c * g.fh + i) * g.fw + j] += grad * x_n[c * plane + y * g.w + xx];
                }
            }
        }
    }
}

/// Sample `n`'s windows of the filters `first..` (one `dW` row each in `dw`), patch by patch
/// through [`add_patch`], their gradients added to `sums`. One function for every shape of the
/// SIMD path (not inlined into each: the module stays small).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(never)]
fn sample_by_patches(
    rows: &Rows,
    n: usize,
    first: usize,
    x: &[f32],
    dw: &mut [f32],
    sums: &mut [f32],
) {
    let (g, xs) = (rows.g, rows.g.sample());
    for (i, (dw_f, sum)) in dw
        .chunks_exact_mut(g.patch())
        .zip(sums.iter_mut())
        .enumerate()
    {
        rows.windows(n, first + i, |oy, ox, grad| {
            *sum += grad;
            add_patch(g, &x[n * xs..(n + 1) * xs], oy, ox, grad, dw_f);
        });
    }
}

/// SIMD128: each filter's `R = C·FH ≤ 8` patch rows of `FW ≤ 4·V` floats summed in `R·V` vector
/// accumulators (the extra lanes read past the row and are dropped), for convolutions and poolings
/// without padding (a first layer's usual case, SimpleConvNet's).
///
/// Filters go in blocks of [`BLOCK`], each block over the samples in turn: the block's pooling
/// rows of one sample lie next to each other in memory, so they stream in (filter by filter over
/// all samples, each row was a separate short read: ≈ 2× slower). Each filter's windows of a
/// sample then run through one straight loop, its accumulators in registers. A sample whose last
/// patch's loads would pass the end of x (the batch's last, for some shapes), and every sample
/// when padding is involved, go patch by patch through [`add_patch`] into the `dW` row, which the
/// accumulators are added to at the end.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd {
    use super::{sample_by_patches, Rows};
    use core::arch::wasm32::{f32x4_add, f32x4_mul, f32x4_splat, v128, v128_load, v128_store};

    /// Filters whose accumulators a block keeps (on the stack: at most 16·8·2 vectors, 4 KiB).
    const BLOCK: usize = 16;

    /// Its own function per shape (not inlined into the dispatch).
    #[inline(never)]
    pub(super) fn filters_grad<const R: usize, const V: usize>(
        rows: &Rows,
        first: usize,
        x: &[f32],
        dw: &mut [f32],
        db: &mut [f32],
    ) {
        let g = rows.g;
        let k = g.patch();
        debug_assert!(R == g.c * g.fh && g.fw <= 4 * V && k > 0);
        let (plane, xs) = (g.h * g.w, g.sample());
        // Where each patch row starts relative to the patch's top-left input (no division per window).
        let mut row_at = [0usize; R];
        for (row, at) in row_at.iter_mut().enumerate() {
            *at = (row / g.fh) * plane + (row % g.fh) * g.w;
        }
        // The straight path: no padding on either window and small windows, so every chosen
        // patch lies inside its sample, at an offset a table gives: no test per window (a window
        // that ReLU blocks, or with an index that is not one, adds 0·patch; a NaN or infinite input
        // then makes dW NaN, as the layer-by-layer path does). A sample whose last patch's loads
        // would pass the end of x goes patch by patch.
        let pool = rows.pool;
        let window = pool.fh * pool.fw;
        let (ph, pw) = (pool.oh(), pool.ow());
        let pp = ph * pw;
        let straight = g.pad == 0 && pool.pad == 0 && window <= 64 && pp > 0;
        let mut xoff = [0usize; 64];
        for (at, o) in xoff.iter_mut().enumerate().take(window) {
            *o = (at / pool.fw) * g.stride * g.w + (at % pool.fw) * g.stride;
        }
        let reach = if straight {
            ((ph - 1) * pool.stride * g.w + (pw - 1) * pool.stride) * g.stride
                + xoff[..window].iter().max().copied().unwrap_or(0)
                + row_at[R - 1]
                + 4 * V
        } else {
            usize::MAX
        };
        let (wf, ps) = (window as f32, pool.stride * g.stride);
        for (b, (dw_b, db_b)) in dw
            .chunks_mut(BLOCK * k)
            .zip(db.chunks_mut(BLOCK))
            .enumerate()
        {
            let mut acc = [[[f32x4_splat(0.0); V]; R]; BLOCK];
            let mut sums = [0.0f32; BLOCK];
            for n in 0..g.n {
                if straight && n * xs + reach <= x.len() {
                    for (i, (acc_f, sum)) in acc
                        .iter_mut()
                        .zip(sums.iter_mut())
                        .take(db_b.len())
                        .enumerate()
                    {
                        let row = (n * rows.fn_ + first + b * BLOCK + i) * pp;
                        let (a_row, p_row, d_row) = (
                            &rows.argmax[row..row + pp],
                            &rows.pooled[row..row + pp],
                            &rows.dout[row..row + pp],
                        );
                        let mut a = *acc_f; // in registers for the loop
                        let mut total = *sum;
                        let mut q = 0;
                        for py in 0..ph {
                            let origin = n * xs + py * ps * g.w;
                            for px in 0..pw {
                                let at = a_row[q];
                                let ok = (at >= 0.0) & (at < wf) & !(p_row[q] <= 0.0);
                                let grad = if ok { d_row[q] } else { 0.0 };
                                let idx = if ok { at as usize } else { 0 };
                                let off = origin + px * ps + xoff[idx & 63];
                                total += grad;
                                let s = f32x4_splat(grad);
                                for (acc_r, &r) in a.iter_mut().zip(&row_at) {
                                    // SAFETY: off + r + 4·V ≤ n·xs + reach ≤ x.len() (the
                                    // sample's last patch row ends there; rows start lower);
                                    // v128 loads need no alignment on wasm.
                                    unsafe {
                                        let p = x.as_ptr().add(off + r);
                                        for (v, a) in acc_r.iter_mut().enumerate() {
                                            *a = f32x4_add(
                                                *a,
                                                f32x4_mul(
                                                    s,
                                                    v128_load(p.add(4 * v).cast::<v128>()),
                                                ),
                                            );
                                        }
                                    }
                                }
                                q += 1;
                            }
                        }
                        *acc_f = a;
                        *sum = total;
                    }
                    continue;
                }
                // padding involved, or loads that would pass the end of x: patch by patch
                sample_by_patches(rows, n, first + b * BLOCK, x, dw_b, &mut sums);
            }
            for ((dw_f, acc_f), (d, sum)) in dw_b
                .chunks_exact_mut(k)
                .zip(&acc)
                .zip(db_b.iter_mut().zip(sums))
            {
                for (row, acc_r) in acc_f.iter().enumerate() {
                    let mut lanes = [0.0f32; 8];
                    for (v, a) in acc_r.iter().enumerate() {
                        // SAFETY: lanes holds 8 ≥ 4·V floats.
                        unsafe { v128_store(lanes.as_mut_ptr().add(4 * v).cast::<v128>(), *a) };
                    }
                    for (d, l) in dw_f[row * g.fw..(row + 1) * g.fw].iter_mut().zip(lanes) {
                        *d += l;
                    }
                }
                *d = sum;
            }
        }
    }
}
