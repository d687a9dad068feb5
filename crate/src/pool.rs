//! Max pooling (DLFS §7.4.4): each output is the largest value of its window, padding reading as
//! 0 (the book pools over `im2col`, which pads with zeros); ties go to the first maximum in
//! row-major window order, as numpy's `argmax`, and a NaN wins its window (the first NaN, as
//! numpy's `max` and `argmax`: see [`beats`]). The forward records that choice as the index
//! `i·PW + j` inside the window (an f32, exact for any window), so the backward routes each
//! gradient to it; overlapping windows add up, as the book's `col2im` does.

use crate::parallel;
use crate::window::Window;

/// Whether `v` takes over from `best`, the window's winner so far: it is larger, or it is the
/// window's first NaN (a NaN winner stays). Compares and selects, not `f32::max` or
/// f32x4.max/pmax, whose NaN handling depends on the operand order or the engine.
#[inline(always)]
fn beats(v: f32, best: f32) -> bool {
    !(v <= best) & !best.is_nan()
}

/// `out[N, C, OH·OW]` and `argmax` (same size) from `x[N, C, H, W]` (lengths as the kernel table
/// in `crate::abi` declares them).
pub fn max_pool_forward(g: &Window, x: &[f32], out: &mut [f32], argmax: &mut [f32]) {
    let plane = g.h * g.w;
    // Planes (sample, channel) are independent: split them over threads.
    let planes = g.n * g.c;
    let parts = parallel::parts(x.len(), parallel::ELEMENTWISE_MIN_PER_PART, planes, 1);
    parallel::for_each_block(planes, 1, parts, [out, argmax], |r, [out, argmax]| {
        forward_planes(g, &x[r.start * plane..r.end * plane], out, argmax);
    });
}

/// [`max_pool_forward`] of the planes in `x` (whole planes).
fn forward_planes(g: &Window, x: &[f32], out: &mut [f32], argmax: &mut [f32]) {
    let (oh, ow, plane) = (g.oh(), g.ow(), g.h * g.w);
    for (plane_i, (o, a)) in out
        .chunks_exact_mut((oh * ow).max(1))
        .zip(argmax.chunks_exact_mut((oh * ow).max(1)))
        .enumerate()
    {
        let xc = &x[plane_i * plane..(plane_i + 1) * plane];
        if g.pad == 0 {
            window_max_unpadded(g, xc, o, a);
            continue;
        }
        for oy in 0..oh {
            for ox in 0..ow {
                let (mut best, mut at) = (f32::NEG_INFINITY, 0usize);
                for i in 0..g.fh {
                    let y = (oy * g.stride + i).wrapping_sub(g.pad);
                    for j in 0..g.fw {
                        let xx = (ox * g.stride + j).wrapping_sub(g.pad);
                        let v = if y < g.h && xx < g.w {
                            xc[y * g.w + xx]
                        } else {
                            0.0
                        };
                        if (i == 0 && j == 0) || beats(v, best) {
                            best = v;
                            at = i * g.fw + j;
                        }
                    }
                }
                o[oy * ow + ox] = best;
                a[oy * ow + ox] = at as f32;
            }
        }
    }
}

/// Without padding every window lies inside the plane: no bounds tests per element.
fn window_max_unpadded(g: &Window, xc: &[f32], out: &mut [f32], argmax: &mut [f32]) {
    let (oh, ow) = (g.oh(), g.ow());
    if g.fh == 2 && g.fw == 2 && g.stride == 2 {
        return max_2x2(g.w, xc, oh, ow, out, argmax);
    }
    for oy in 0..oh {
        for ox in 0..ow {
            let base = oy * g.stride * g.w + ox * g.stride;
            let (mut best, mut at) = (xc[base], 0usize);
            for i in 0..g.fh {
                let row = &xc[base + i * g.w..base + i * g.w + g.fw];
                for (j, &v) in row.iter().enumerate() {
                    // selects, not a branch: which input wins is data-dependent and unpredictable
                    let gt = beats(v, best);
                    at = if gt { i * g.fw + j } else { at };
                    best = if gt { v } else { best };
                }
            }
            out[oy * ow + ox] = best;
            argmax[oy * ow + ox] = at as f32;
        }
    }
}

/// The common 2×2, stride-2 window (SimpleConvNet's), two input rows at a time without bounds tests.
fn max_2x2(w: usize, xc: &[f32], oh: usize, ow: usize, out: &mut [f32], argmax: &mut [f32]) {
    for oy in 0..oh {
        let (r0, r1) = (
            &xc[2 * oy * w..2 * oy * w + 2 * ow],
            &xc[(2 * oy + 1) * w..(2 * oy + 1) * w + 2 * ow],
        );
        let (o, a) = (
            &mut out[oy * ow..(oy + 1) * ow],
            &mut argmax[oy * ow..(oy + 1) * ow],
        );
        for (((top, bottom), o), a) in r0.chunks_exact(2).zip(r1.chunks_exact(2)).zip(o).zip(a) {
            let (mut best, mut at) = (top[0], 0.0);
            for (v, k) in [(top[1], 1.0), (bottom[0], 2.0), (bottom[1], 3.0)] {
                let gt = beats(v, best);
                at = if gt { k } else { at };
                best = if gt { v } else { best };
            }
            *o = best;
            *a = at;
        }
    }
}

/// `dx[N, C, H, W]`: each `dout` added at the input its window's `argmax` chose (overwrites dx);
/// an index outside the window drops its gradient.
pub fn max_pool_backward(g: &Window, dout: &[f32], argmax: &[f32], dx: &mut [f32]) {
    let (oh, ow) = (g.oh(), g.ow());
    // Planes are independent: split them over threads (each part clears and fills its own).
    let planes = g.n * g.c;
    let (pooled, parts) = (
        (oh * ow).max(1),
        parallel::parts(dx.len(), parallel::ELEMENTWISE_MIN_PER_PART, planes, 1),
    );
    parallel::for_each_block(planes, 1, parts, [dx], |r, [dx]| {
        let (dout, argmax) = (
            &dout[r.start * pooled..r.end * pooled],
            &argmax[r.start * pooled..r.end * pooled],
        );
        backward_planes(g, dout, argmax, dx);
    });
}

/// [`max_pool_backward`] of the planes in `dx` (whole planes).
fn backward_planes(g: &Window, dout: &[f32], argmax: &[f32], dx: &mut [f32]) {
    let (oh, ow, plane) = (g.oh(), g.ow(), g.h * g.w);
    dx.fill(0.0);
    for (plane_i, (d, a)) in dout
        .chunks_exact((oh * ow).max(1))
        .zip(argmax.chunks_exact((oh * ow).max(1)))
        .enumerate()
    {
        let dxc = &mut dx[plane_i * plane..(plane_i + 1) * plane];
        for oy in 0..oh {
            for ox in 0..ow {
                let at = a[oy * ow + ox];
                if !(at >= 0.0 && at < (g.fh * g.fw) as f32) {
                    continue; // not a window index (not from the forward): dropped
                }
                let at = at as usize;
                let (i, j) = (at / g.fw, at % g.fw);
                let y = (oy * g.stride + i).wrapping_sub(g.pad);
                let xx = (ox * g.stride + j).wrapping_sub(g.pad);
                if y < g.h && xx < g.w {
                    dxc[y * g.w + xx] += d[oy * ow + ox];
                }
            }
        }
    }
}
