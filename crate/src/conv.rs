//! The Convolution layer's passes (DLFS §7.4) as im2col + the SIMD GEMM, one sample at a time.
//!
//! Layouts (row-major): `x` is `[N, C, H, W]`, the filters `W` are `[FN, C·FH·FW]`, `b` is `[FN]`,
//! the output is `[N, FN, OH·OW]` with `OH = (H + 2·pad − FH) / stride + 1` (likewise `OW`; both
//! from [`crate::window::out_size`]).
//!
//! Unlike the book, whose `col` is `[N·OH·OW, C·FH·FW]` (so its GEMM result needs a transpose to
//! become `[N, FN, OH, OW]`), a sample's columns here are stored transposed, `[C·FH·FW, OH·OW]`:
//! then `out_n = W · col_n` lands directly in the NCHW output, its inner dimension is the long
//! `OH·OW` (good SIMD rows), and the backward's `dW += dout_n · col_nᵀ` and
//! `dcol_n = Wᵀ · dout_n` are the same GEMM with swapped strides. Padding reads as zeros.

use crate::gemm;
use crate::parallel;
pub use crate::window::Window;
use crate::workspace::OutOfMemory;

/// The output columns `ox` of `g` whose input column `ox·stride − pad + j` lies inside `0..w`.
fn valid_cols(g: &Window, j: usize) -> (usize, usize) {
    let ow = g.ow();
    // ox·s + j ≥ pad  and  ox·s + j < pad + w
    let lo = if j >= g.pad {
        0
    } else {
        (g.pad - j).div_ceil(g.stride)
    };
    let hi = if g.pad + g.w > j {
        ((g.pad + g.w - j).div_ceil(g.stride)).min(ow)
    } else {
        0
    };
    (lo.min(hi), hi)
}

/// The input column that output column `lo` reads with filter column `j`, `lo·stride + j − pad`;
/// 0 when no output column reads inside the input (`lo = hi`, a filter wider than the input:
/// that difference could be negative, and nothing is read).
fn first_input_col(g: &Window, j: usize, lo: usize, hi: usize) -> usize {
    if lo < hi {
        lo * g.stride + j - g.pad
    } else {
        0
    }
}

/// `col[C·FH·FW, OH·OW]` of one sample `x[C, H, W]` (zeros where the window covers padding).
pub(crate) fn im2col(g: &Window, x: &[f32], col: &mut [f32]) {
    let (oh, ow, plane) = (g.oh(), g.ow(), g.h * g.w);
    assert!(
        x.len() == g.c * plane && col.len() == g.patch() * oh * ow,
        "im2col: slice lengths do not match the window"
    );
    let mut rows = col.chunks_exact_mut(oh * ow);
    for c in 0..g.c {
        let xc = &x[c * plane..(c + 1) * plane];
        for i in 0..g.fh {
            for j in 0..g.fw {
                let row = rows.next().expect("im2col: one row per (c, i, j)");
                let (lo, hi) = valid_cols(g, j);
                let x0 = first_input_col(g, j, lo, hi);
                for oy in 0..oh {
                    let out = &mut row[oy * ow..(oy + 1) * ow];
                    let y = (oy * g.stride + i).wrapping_sub(g.pad);
                    if y >= g.h {
                        out.fill(0.0);
                        continue;
                    }
                    out[..lo].fill(0.0);
                    out[hi..].fill(0.0);
                    let xr = &xc[y * g.w..(y + 1) * g.w];
                    if g.stride == 1 {
                        out[lo..hi].copy_from_slice(&xr[x0..x0 + hi - lo]);
                    } else {
                        for (ox, o) in out.iter_mut().enumerate().take(hi).skip(lo) {
                            *o = xr[ox * g.stride + j - g.pad];
                        }
                    }
                }
            }
        }
    }
}

/// The adjoint of [`im2col`]: `dx[C, H, W] = Σ` of the column entries that read each pixel
/// (overwrites `dx`; entries that fell on padding are dropped).
pub(crate) fn col2im(g: &Window, col: &[f32], dx: &mut [f32]) {
    let (oh, ow, plane) = (g.oh(), g.ow(), g.h * g.w);
    assert!(
        dx.len() == g.c * plane && col.len() == g.patch() * oh * ow,
        "col2im: slice lengths do not match the window"
    );
    dx.fill(0.0);
    let mut rows = col.chunks_exact(oh * ow);
    for c in 0..g.c {
        let dxc = &mut dx[c * plane..(c + 1) * plane];
        for i in 0..g.fh {
            for j in 0..g.fw {
                let row = rows.next().expect("col2im: one row per (c, i, j)");
                let (lo, hi) = valid_cols(g, j);
                let x0 = first_input_col(g, j, lo, hi);
                for oy in 0..oh {
                    let y = (oy * g.stride + i).wrapping_sub(g.pad);
                    if y >= g.h {
                        continue;
                    }
                    let src = &row[oy * ow..(oy + 1) * ow];
                    let dr = &mut dxc[y * g.w..(y + 1) * g.w];
                    if g.stride == 1 {
                        for (d, s) in dr[x0..x0 + hi - lo].iter_mut().zip(&src[lo..hi]) {
                            *d += s;
                        }
                    } else {
                        for (ox, s) in src.iter().enumerate().take(hi).skip(lo) {
                            dr[ox * g.stride + j - g.pad] += s;
                        }
                    }
                }
            }
        }
    }
}

/// Forward: `col` (kept for the backward, `[N, C·FH·FW, OH·OW]`) and `out[N, FN, OH·OW] = W·col_n + b`.
/// Lengths as the kernel table (`crate::abi`) declares them.
///
/// # Errors
/// [`OutOfMemory`] if the GEMM's workspace cannot grow.
pub fn conv_forward(
    g: &Window,
    fn_: usize,
    x: &[f32],
    w: &[f32],
    b: &[f32],
    col: &mut [f32],
    out: &mut [f32],
) -> Result<(), OutOfMemory> {
    let (k, p, xs) = (g.patch(), g.positions(), g.sample());
    if p == 0 || fn_ == 0 {
        return Ok(());
    }
    // Samples are independent: split the batch (each part writes its samples' col and out). With
    // one part, each sample's GEMM may split instead.
    let parts = parallel::parts(g.n * fn_ * k * p, CONV_MIN_MACS_PER_PART, g.n, 4);
    parallel::try_for_each_block(g.n, 1, parts, [col, out], |samples, [col, out]| {
        for (i, s) in samples.enumerate() {
            let col_s = &mut col[i * k * p..(i + 1) * k * p];
            let out_s = &mut out[i * fn_ * p..(i + 1) * fn_ * p];
            im2col(g, &x[s * xs..(s + 1) * xs], col_s);
            for (row, &bias) in out_s.chunks_exact_mut(p).zip(b) {
                row.fill(bias);
            }
            gemm::gemm_acc(fn_, k, p, w, k, 1, col_s, p, 1, out_s, p, 1)?;
        }
        Ok(())
    })
}

/// Multiply-adds of a convolution pass below which a part is not worth a thread: as for the GEMM
/// (`GEMM_MIN_MACS_PER_PART`); `bench/threads.ts --sweep` measured the forward over 1–8 samples
/// (0.43–3.5 M multiply-adds, parts of 2¹⁶) 0.46–0.72× as fast on 2 threads on the shared machine.
const CONV_MIN_MACS_PER_PART: usize = 1 << 20;

/// Backward: `dW = Σ_n dout_n·col_nᵀ`, `db = Σ dout` per filter, and, when `dx` is given as
/// `(dcol, dx)`, `dx_n = col2im(Wᵀ·dout_n)` with `dcol` (`[C·FH·FW, OH·OW]`) as the scratch of one
/// sample. Lengths as the kernel table (`crate::abi`) declares them.
///
/// # Errors
/// [`OutOfMemory`] if a GEMM's workspace cannot grow.
#[allow(clippy::too_many_arguments)]
pub fn conv_backward(
    g: &Window,
    fn_: usize,
    col: &[f32],
    w: &[f32],
    dout: &[f32],
    dw: &mut [f32],
    db: &mut [f32],
    dx: Option<(&mut [f32], &mut [f32])>,
) -> Result<(), OutOfMemory> {
    let (k, p, xs) = (g.patch(), g.positions(), g.sample());
    // dW and db sum over the samples: split their rows (filters), never the samples, so each
    // element adds its samples in the same order; each part walks the whole batch.
    let parts = parallel::parts(g.n * fn_ * k * p, CONV_MIN_MACS_PER_PART, fn_, 1);
    parallel::try_for_each_block(fn_, 1, parts, [dw, db], |f, [dw, db]| {
        dw.fill(0.0);
        db.fill(0.0);
        for s in 0..g.n {
            let dout_s = &dout[(s * fn_ + f.start) * p..(s * fn_ + f.end) * p];
            for (d, row) in db.iter_mut().zip(dout_s.chunks_exact(p.max(1))) {
                *d += row.iter().sum::<f32>();
            }
            // dW[F×K] += dout_s[F×P] · col_sᵀ  (col_s is K×P, read as P×K with swapped strides)
            gemm::gemm_acc(
                f.len(),
                p,
                k,
                dout_s,
                p,
                1,
                &col[s * k * p..(s + 1) * k * p],
                1,
                p,
                dw,
                k,
                1,
            )?;
        }
        Ok(())
    })?;
    if let Some((dcol, dx)) = dx {
        for s in 0..g.n {
            // dcol[K×P] = Wᵀ[K×FN] · dout_s[FN×P]
            gemm::gemm(
                k,
                fn_,
                p,
                w,
                1,
                k,
                &dout[s * fn_ * p..(s + 1) * fn_ * p],
                p,
                1,
                dcol,
                p,
                1,
            )?;
            col2im(g, dcol, &mut dx[s * xs..(s + 1) * xs]);
        }
    }
    Ok(())
}
