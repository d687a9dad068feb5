//! The Convolution layer's passes (DLFS §7.4) as im2col + the SIMD GEMM, one sample at a time.
//!
//! Layouts (row-major): `x` is `[N, C, H, W]`, the filters `W` are `[FN, C·FH·FW]`, `b` is `[FN]`,
//! the output is `[N, FN, OH·OW]` with `OH = (H + 2·pad − FH) / stride + 1` (likewise `OW`).
//!
//! Unlike the book, whose `col` is `[N·OH·OW, C·FH·FW]` (so its GEMM result needs a transpose to
//! become `[N, FN, OH, OW]`), a sample's columns here are stored transposed, `[C·FH·FW, OH·OW]`:
//! then `out_n = W · col_n` lands directly in the NCHW output, its inner dimension is the long
//! `OH·OW` (good SIMD rows), and the backward's `dW += dout_n · col_nᵀ` and
//! `dcol_n = Wᵀ · dout_n` are the same GEMM with swapped strides. Padding reads as zeros.

use crate::gemm;
use crate::parallel::{self, SharedMut};
use crate::workspace::OutOfMemory;

/// The geometry of a convolution or a pooling window over a batch.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    /// Batch size N.
    pub n: usize,
    /// Input channels C.
    pub c: usize,
    /// Input height H.
    pub h: usize,
    /// Input width W.
    pub w: usize,
    /// Window (filter) height.
    pub fh: usize,
    /// Window (filter) width.
    pub fw: usize,
    /// Stride (≥ 1).
    pub stride: usize,
    /// Zero padding on each side.
    pub pad: usize,
}

impl Window {
    /// Output height; the caller guarantees the window fits the padded input.
    pub fn oh(&self) -> usize {
        (self.h + 2 * self.pad - self.fh) / self.stride + 1
    }
    /// Output width.
    pub fn ow(&self) -> usize {
        (self.w + 2 * self.pad - self.fw) / self.stride + 1
    }
    /// Output positions per channel, `OH·OW`.
    pub fn positions(&self) -> usize {
        self.oh() * self.ow()
    }
    /// Rows of a sample's column matrix, `C·FH·FW`.
    pub fn patch(&self) -> usize {
        self.c * self.fh * self.fw
    }
    /// The output columns `ox` whose input column `ox·stride − pad + j` lies inside `0..w`.
    fn valid_cols(&self, j: usize) -> (usize, usize) {
        let ow = self.ow();
        // ox·s + j ≥ pad  and  ox·s + j < pad + w
        let lo = if j >= self.pad {
            0
        } else {
            (self.pad - j).div_ceil(self.stride)
        };
        let hi = if self.pad + self.w > j {
            ((self.pad + self.w - j).div_ceil(self.stride)).min(ow)
        } else {
            0
        };
        (lo.min(hi), hi)
    }
}

/// `col[C·FH·FW, OH·OW]` of one sample `x[C, H, W]` (zeros where the window covers padding).
pub fn im2col(g: &Window, x: &[f32], col: &mut [f32]) {
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
                let (lo, hi) = g.valid_cols(j);
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
                        let x0 = lo + j - g.pad;
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
pub fn col2im(g: &Window, col: &[f32], dx: &mut [f32]) {
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
                let (lo, hi) = g.valid_cols(j);
                for oy in 0..oh {
                    let y = (oy * g.stride + i).wrapping_sub(g.pad);
                    if y >= g.h {
                        continue;
                    }
                    let src = &row[oy * ow..(oy + 1) * ow];
                    let dr = &mut dxc[y * g.w..(y + 1) * g.w];
                    if g.stride == 1 {
                        let x0 = lo + j - g.pad;
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
    let (k, p, xs) = (g.patch(), g.positions(), g.c * g.h * g.w);
    assert!(
        x.len() == g.n * xs && w.len() == fn_ * k && b.len() == fn_,
        "conv_forward: x, W or b does not match the window"
    );
    assert!(
        col.len() == g.n * k * p && out.len() == g.n * fn_ * p,
        "conv_forward: col or out does not match the window"
    );
    if p == 0 || fn_ == 0 {
        return Ok(());
    }
    // Samples are independent: split the batch (each part writes its samples' col and out). With
    // one part, each sample's GEMM may split instead.
    let parts = parallel::parts(g.n * fn_ * k * p, CONV_MIN_MACS_PER_PART, g.n, 4);
    let (col_at, out_at) = (SharedMut(col.as_mut_ptr()), SharedMut(out.as_mut_ptr()));
    parallel::try_for_each_part(parts, |part| {
        for s in parallel::range(g.n, parts, part, 1) {
            // SAFETY: sample s's blocks of col and out lie inside them (asserted above), and
            // samples belong to one part each, so no two parts make overlapping slices.
            let (col_s, out_s) = unsafe {
                (
                    std::slice::from_raw_parts_mut(col_at.ptr().add(s * k * p), k * p),
                    std::slice::from_raw_parts_mut(out_at.ptr().add(s * fn_ * p), fn_ * p),
                )
            };
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

/// Backward: `dW = Σ_n dout_n·col_nᵀ`, `db = Σ dout` per filter, and, when `dx` is given,
/// `dx_n = col2im(Wᵀ·dout_n)` with `dcol` (`[C·FH·FW, OH·OW]`) as the scratch of one sample.
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
    let (k, p, xs) = (g.patch(), g.positions(), g.c * g.h * g.w);
    assert!(
        col.len() == g.n * k * p && w.len() == fn_ * k && dout.len() == g.n * fn_ * p,
        "conv_backward: col, W or dout does not match the window"
    );
    assert!(
        dw.len() == fn_ * k && db.len() == fn_,
        "conv_backward: dW or db does not match the window"
    );
    // dW and db sum over the samples: split their rows (filters), never the samples, so each
    // element adds its samples in the same order; each part walks the whole batch.
    let parts = parallel::parts(g.n * fn_ * k * p, CONV_MIN_MACS_PER_PART, fn_, 1);
    let (dw_at, db_at) = (SharedMut(dw.as_mut_ptr()), SharedMut(db.as_mut_ptr()));
    parallel::try_for_each_part(parts, |part| {
        let f = parallel::range(fn_, parts, part, 1);
        // SAFETY: filters f of dW (rows of k) and db lie inside them (asserted above), and each
        // filter belongs to one part, so no two parts make overlapping slices.
        let (dw, db) = unsafe {
            (
                std::slice::from_raw_parts_mut(dw_at.ptr().add(f.start * k), f.len() * k),
                std::slice::from_raw_parts_mut(db_at.ptr().add(f.start), f.len()),
            )
        };
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
        assert!(
            dcol.len() == k * p && dx.len() == g.n * xs,
            "conv_backward: dcol or dx does not match the window"
        );
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Small deterministic values (a linear congruential sequence in [−1, 1)).
    fn values(len: usize, seed: u32) -> Vec<f32> {
        let mut s = seed.wrapping_mul(2654435761).wrapping_add(1);
        (0..len)
            .map(|_| {
                s = s.wrapping_mul(1664525).wrapping_add(1013904223);
                (s >> 8) as f32 / (1u32 << 23) as f32 - 1.0
            })
            .collect()
    }

    /// The definition: out[n, f, oy, ox] = b[f] + Σ_{c,i,j} W[f, c, i, j] · xpad[n, c, oy·s + i, ox·s + j].
    /// Index in x[N, C, H, W] of the pixel that filter tap (i, j) meets at output (oy, ox) of
    /// sample n, channel c; None on the zero padding.
    #[allow(clippy::too_many_arguments)]
    fn tap(
        g: &Window,
        n: usize,
        c: usize,
        oy: usize,
        ox: usize,
        i: usize,
        j: usize,
    ) -> Option<usize> {
        let y = (oy * g.stride + i)
            .checked_sub(g.pad)
            .filter(|&y| y < g.h)?;
        let xx = (ox * g.stride + j)
            .checked_sub(g.pad)
            .filter(|&xx| xx < g.w)?;
        Some(((n * g.c + c) * g.h + y) * g.w + xx)
    }

    fn direct(g: &Window, fn_: usize, x: &[f32], w: &[f32], b: &[f32]) -> Vec<f64> {
        let (oh, ow) = (g.oh(), g.ow());
        let mut out = vec![0f64; g.n * fn_ * oh * ow];
        for n in 0..g.n {
            for f in 0..fn_ {
                for oy in 0..oh {
                    for ox in 0..ow {
                        let mut s = b[f] as f64;
                        for c in 0..g.c {
                            for i in 0..g.fh {
                                for j in 0..g.fw {
                                    if let Some(xi) = tap(g, n, c, oy, ox, i, j) {
                                        s += w[((f * g.c + c) * g.fh + i) * g.fw + j] as f64
                                            * x[xi] as f64;
                                    }
                                }
                            }
                        }
                        out[((n * fn_ + f) * oh + oy) * ow + ox] = s;
                    }
                }
            }
        }
        out
    }

    fn shapes() -> Vec<(Window, usize)> {
        let mut v = Vec::new();
        for (seed, &(n, c, h, w, fh, fw, stride, pad, fn_)) in [
            (1, 1, 4, 4, 3, 3, 1, 0, 1),
            (2, 3, 7, 5, 3, 2, 1, 1, 4),
            (1, 2, 9, 9, 5, 5, 2, 2, 3),
            (3, 1, 6, 7, 2, 3, 3, 1, 5),
            (2, 2, 5, 5, 1, 1, 1, 0, 2),
            (1, 1, 28, 28, 5, 5, 1, 0, 7),
        ]
        .iter()
        .enumerate()
        {
            let _ = seed;
            v.push((
                Window {
                    n,
                    c,
                    h,
                    w,
                    fh,
                    fw,
                    stride,
                    pad,
                },
                fn_,
            ));
        }
        v
    }

    #[test]
    fn forward_matches_the_direct_convolution() {
        for (t, (g, fn_)) in shapes().into_iter().enumerate() {
            let x = values(g.n * g.c * g.h * g.w, t as u32);
            let w = values(fn_ * g.patch(), 100 + t as u32);
            let b = values(fn_, 200 + t as u32);
            let mut col = vec![f32::NAN; g.n * g.patch() * g.positions()];
            let mut out = vec![f32::NAN; g.n * fn_ * g.positions()];
            conv_forward(&g, fn_, &x, &w, &b, &mut col, &mut out).unwrap();
            for (got, want) in out.iter().zip(direct(&g, fn_, &x, &w, &b)) {
                assert!((*got as f64 - want).abs() < 1e-4, "{g:?}: {got} vs {want}");
            }
        }
    }

    /// col2im is the adjoint of im2col: ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩ for any x and c.
    #[test]
    fn col2im_is_the_adjoint_of_im2col() {
        for (t, (g, _)) in shapes().into_iter().enumerate() {
            let g1 = Window { n: 1, ..g };
            let x = values(g.c * g.h * g.w, t as u32);
            let c = values(g.patch() * g.positions(), 50 + t as u32);
            let mut col = vec![0.0; c.len()];
            let mut dx = vec![f32::NAN; x.len()];
            im2col(&g1, &x, &mut col);
            col2im(&g1, &c, &mut dx);
            let lhs: f64 = col.iter().zip(&c).map(|(a, b)| *a as f64 * *b as f64).sum();
            let rhs: f64 = x.iter().zip(&dx).map(|(a, b)| *a as f64 * *b as f64).sum();
            assert!((lhs - rhs).abs() < 1e-3, "{g:?}: {lhs} vs {rhs}");
        }
    }

    /// dW, db and dx against the definition's derivatives, accumulated in f64.
    #[test]
    fn backward_matches_the_definition() {
        for (t, (g, fn_)) in shapes().into_iter().enumerate() {
            let (oh, ow) = (g.oh(), g.ow());
            let x = values(g.n * g.c * g.h * g.w, t as u32);
            let w = values(fn_ * g.patch(), 100 + t as u32);
            let b = vec![0.0; fn_];
            let dout = values(g.n * fn_ * g.positions(), 300 + t as u32);
            let mut col = vec![0.0; g.n * g.patch() * g.positions()];
            let mut out = vec![0.0; g.n * fn_ * g.positions()];
            conv_forward(&g, fn_, &x, &w, &b, &mut col, &mut out).unwrap();
            let (mut dw, mut db, mut dcol, mut dx) = (
                vec![f32::NAN; w.len()],
                vec![f32::NAN; fn_],
                vec![0.0; g.patch() * g.positions()],
                vec![f32::NAN; x.len()],
            );
            conv_backward(
                &g,
                fn_,
                &col,
                &w,
                &dout,
                &mut dw,
                &mut db,
                Some((&mut dcol, &mut dx)),
            )
            .unwrap();
            let (mut edw, mut edb, mut edx) =
                (vec![0f64; w.len()], vec![0f64; fn_], vec![0f64; x.len()]);
            for n in 0..g.n {
                for f in 0..fn_ {
                    for oy in 0..oh {
                        for ox in 0..ow {
                            let d = dout[((n * fn_ + f) * oh + oy) * ow + ox] as f64;
                            edb[f] += d;
                            for c in 0..g.c {
                                for i in 0..g.fh {
                                    for j in 0..g.fw {
                                        if let Some(xi) = tap(&g, n, c, oy, ox, i, j) {
                                            let wi = ((f * g.c + c) * g.fh + i) * g.fw + j;
                                            edw[wi] += d * x[xi] as f64;
                                            edx[xi] += d * w[wi] as f64;
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            for (name, got, want) in [("dW", &dw, &edw), ("db", &db, &edb), ("dx", &dx, &edx)] {
                for (a, e) in got.iter().zip(want.iter()) {
                    assert!((*a as f64 - e).abs() < 1e-3, "{g:?} {name}: {a} vs {e}");
                }
            }
        }
    }

    #[test]
    fn max_pool_takes_the_first_maximum_and_routes_the_gradient_there() {
        use crate::pool::{max_pool_backward, max_pool_forward};
        // one 3×3 plane, 2×2 windows, stride 1, pad 1: padding reads 0, ties go to the first.
        let g = Window {
            n: 1,
            c: 1,
            h: 3,
            w: 3,
            fh: 2,
            fw: 2,
            stride: 1,
            pad: 1,
        };
        let x = [-1.0, 5.0, 5.0, -2.0, -3.0, 1.0, -4.0, -5.0, 2.0];
        let (mut out, mut arg) = (vec![0.0; 16], vec![0.0; 16]);
        max_pool_forward(&g, &x, &mut out, &mut arg);
        assert_eq!(
            out,
            [0.0, 5.0, 5.0, 5.0, 0.0, 5.0, 5.0, 5.0, 0.0, -2.0, 2.0, 2.0, 0.0, 0.0, 2.0, 2.0]
        );
        assert_eq!(arg[1], 3.0); // window (−1..1, 0..2): [pad, pad, −1, 5] → index 3 (x[0, 1])
        assert_eq!(arg[5], 1.0); // window (0..2, 0..2): [−1, 5, −2, −3] → index 1
        assert_eq!(arg[6], 0.0); // window (0..2, 1..3): [5, 5, −3, 1] → the first 5
        let dout: Vec<f32> = (1..=16).map(|v| v as f32).collect();
        let mut dx = vec![f32::NAN; 9];
        max_pool_backward(&g, &dout, &arg, &mut dx);
        // x[0,1] = 5 wins windows 1, 2(first 5 is x[0,1]), 5, 6; x[0,2] wins 3 and 7.
        assert_eq!(dx[1], (2 + 3 + 6 + 7) as f32);
    }
}
