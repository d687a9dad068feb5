//! The backward of a network's first three layers when they are Convolution → ReLU → max
//! pooling and the convolution's input is the data (its dx is not needed): `dW` and `db` of the
//! convolution straight from the pooling's `dout` and `argmax`, without the dense gradient of the
//! convolution output.
//!
//! The layer-by-layer path scatters `dout` into a dense `[N, FN, OH, OW]` array (max pooling
//! backward), masks it (ReLU backward) and multiplies it with every column (`dW = Σ dout_n·col_nᵀ`).
//! But each pooling window sends its gradient to one position, so at most one position in
//! `PH·PW` of that array is not zero: a 2×2 pooling leaves ¾ of the GEMM's products zero. Here
//! each window's gradient `g` (0 where ReLU blocks: its output `r ≤ 0` at the chosen position,
//! which a NaN is not) is added, times the input patch the chosen position read, to its filter's
//! `dW` row: `dW[f, (c, i, j)] += g · x[n, c, oy·s + i − pad, ox·s + j − pad]`, and to `db[f]`.
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
/// `x[N, C, H, W]`, the ReLU output `r[N, FN, OH, OW]` (the pooling's input) and the pooling
/// `pool` (its `n, c, h, w` are `N, FN, OH, OW`)'s `argmax` and `dout` (`[N, FN, PH·PW]`).
/// Lengths as the kernel table (`crate::abi`) declares them.
#[allow(clippy::too_many_arguments)]
pub fn conv_relu_pool_backward(
    g: &Window,
    fn_: usize,
    pool: &Window,
    x: &[f32],
    r: &[f32],
    argmax: &[f32],
    dout: &[f32],
    dw: &mut [f32],
    db: &mut [f32],
) {
    let k = g.patch();
    let pp = pool.positions();
    // Filters are independent: split them (each part walks every sample, in order).
    let parts = parallel::parts(g.n * fn_ * pp * k, CONV_POOL_MIN_MACS_PER_PART, fn_, 1);
    parallel::for_each_block(fn_, 1, parts, [dw, db], |f, [dw, db]| {
        for (i, filter) in f.enumerate() {
            let dw_f = &mut dw[i * k..(i + 1) * k];
            db[i] = filter_grad(g, fn_, pool, filter, x, r, argmax, dout, dw_f);
        }
    });
}

/// Multiply-adds below which a part is not worth a thread (as the convolution's).
const CONV_POOL_MIN_MACS_PER_PART: usize = 1 << 20;

/// The `dW` row of `filter` (overwritten) and its `db`.
#[allow(clippy::too_many_arguments)]
fn filter_grad(
    g: &Window,
    fn_: usize,
    pool: &Window,
    filter: usize,
    x: &[f32],
    r: &[f32],
    argmax: &[f32],
    dout: &[f32],
    dw_f: &mut [f32],
) -> f32 {
    let (oh, ow) = (pool.h, pool.w);
    let (ph, pw) = (pool.oh(), pool.ow());
    let (plane, xs) = (oh * ow, g.sample());
    let window = pool.fh * pool.fw;
    dw_f.fill(0.0);
    let mut db = 0.0f32;
    let mut fast = fast::Acc::new(g);
    for n in 0..g.n {
        let row = (n * fn_ + filter) * ph * pw;
        let (a_row, d_row) = (&argmax[row..row + ph * pw], &dout[row..row + ph * pw]);
        let r_plane = &r[(n * fn_ + filter) * plane..(n * fn_ + filter + 1) * plane];
        let x_n = &x[n * xs..(n + 1) * xs];
        for py in 0..ph {
            for px in 0..pw {
                let q = py * pw + px;
                let at = a_row[q];
                if !(at >= 0.0 && at < window as f32) {
                    continue; // not a window index: dropped, as max_pool_backward drops it
                }
                let at = at as usize;
                let (i, j) = (at / pool.fw, at % pool.fw);
                let oy = (py * pool.stride + i).wrapping_sub(pool.pad);
                let ox = (px * pool.stride + j).wrapping_sub(pool.pad);
                if oy >= oh || ox >= ow {
                    continue; // padding won: dropped
                }
                // ReLU backward: blocked where its output is ≤ 0 (a NaN passes).
                if r_plane[oy * ow + ox] <= 0.0 {
                    continue;
                }
                let grad = d_row[q];
                db += grad;
                if !fast.add(g, x, n * xs, oy, ox, grad) {
                    add_patch(g, x_n, oy, ox, grad, dw_f);
                }
            }
        }
    }
    fast.finish(g, dw_f);
    db
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

/// Without SIMD, every patch goes through [`add_patch`].
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod fast {
    use crate::window::Window;

    pub(super) struct Acc;
    impl Acc {
        pub(super) fn new(_: &Window) -> Self {
            Acc
        }
        #[inline(always)]
        pub(super) fn add(
            &mut self,
            _: &Window,
            _: &[f32],
            _: usize,
            _: usize,
            _: usize,
            _: f32,
        ) -> bool {
            false
        }
        pub(super) fn finish(self, _: &Window, _: &mut [f32]) {}
    }
}

/// SIMD128: the `C·FH` patch rows (at most 8) of up to 8 floats each held in 16 accumulators.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod fast {
    use crate::window::Window;
    use core::arch::wasm32::{f32x4_add, f32x4_mul, f32x4_splat, v128, v128_load, v128_store};

    pub(super) struct Acc {
        acc: [[v128; 2]; 8],
        /// Rows `C·FH` and vectors per row (1 for FW ≤ 4, 2 for FW ≤ 8); 0 rows: not used.
        rows: usize,
        vecs: usize,
    }

    impl Acc {
        pub(super) fn new(g: &Window) -> Self {
            let rows = g.c * g.fh;
            let ok = rows <= 8 && g.fw <= 8;
            Acc {
                acc: [[f32x4_splat(0.0); 2]; 8],
                rows: if ok { rows } else { 0 },
                vecs: if g.fw <= 4 { 1 } else { 2 },
            }
        }

        /// Adds `grad ·` the patch of (oy, ox) in the sample at `x[x_n..]` if it lies inside the
        /// image and its loads (4·vecs floats per row) inside `x`; false otherwise.
        #[inline(always)]
        pub(super) fn add(
            &mut self,
            g: &Window,
            x: &[f32],
            x_n: usize,
            oy: usize,
            ox: usize,
            grad: f32,
        ) -> bool {
            if self.rows == 0 {
                return false;
            }
            let y0 = (oy * g.stride).wrapping_sub(g.pad);
            let x0 = (ox * g.stride).wrapping_sub(g.pad);
            if y0 >= g.h || y0 + g.fh > g.h || x0 >= g.w || x0 + g.fw > g.w {
                return false;
            }
            let plane = g.h * g.w;
            let last = (g.c - 1) * plane + (y0 + g.fh - 1) * g.w + x0;
            if x_n + last + 4 * self.vecs > x.len() {
                return false;
            }
            let s = f32x4_splat(grad);
            // SAFETY: x_n + last < x.len() (just checked), so the offset is inside x.
            let base = unsafe { x.as_ptr().add(x_n) };
            // One arm per (rows, vecs) shape keeps the accumulators in registers.
            macro_rules! rows {
                ($vecs:literal; $($r:literal)*) => {
                    match self.rows {
                        $($r => self.rows_n::<$r, $vecs>(base, g, y0 * g.w + x0, plane, s),)*
                        _ => unreachable!(),
                    }
                };
            }
            if self.vecs == 1 {
                rows!(1; 1 2 3 4 5 6 7 8)
            } else {
                rows!(2; 1 2 3 4 5 6 7 8)
            }
            true
        }

        #[inline(always)]
        fn rows_n<const R: usize, const V: usize>(
            &mut self,
            base: *const f32,
            g: &Window,
            at: usize,
            plane: usize,
            s: v128,
        ) {
            for r in 0..R {
                let (c, i) = (r / g.fh, r % g.fh);
                // SAFETY: add() checked that the last row's 4·V floats lie inside x (rows go up in
                // memory with r), and every row starts inside the image; v128 loads need no
                // alignment on wasm.
                unsafe {
                    let p = base.add(c * plane + at + i * g.w);
                    for v in 0..V {
                        let xv = v128_load(p.add(4 * v).cast::<v128>());
                        self.acc[r][v] = f32x4_add(self.acc[r][v], f32x4_mul(s, xv));
                    }
                }
            }
        }

        /// `dw_f += ` the accumulators (their first FW lanes per row).
        pub(super) fn finish(self, g: &Window, dw_f: &mut [f32]) {
            // Constant indices (r < 8), so the accumulators stay registers rather than an array.
            for r in 0..8 {
                if r >= self.rows {
                    break;
                }
                let mut lanes = [0.0f32; 8];
                // SAFETY: `lanes` holds 8 floats, two v128 stores fill it.
                unsafe {
                    v128_store(lanes.as_mut_ptr().cast::<v128>(), self.acc[r][0]);
                    v128_store(lanes.as_mut_ptr().add(4).cast::<v128>(), self.acc[r][1]);
                }
                for (d, l) in dw_f[r * g.fw..(r + 1) * g.fw].iter_mut().zip(lanes) {
                    *d += l;
                }
            }
        }
    }
}
