//! im2col (chapter 7): the windows a convolution filter sweeps over a batch of images, laid out
//! as the rows of one matrix, so that the convolution becomes one GEMM.

/// Output size of the sweep along one axis: `⌊(size + 2·pad − filter) / stride⌋ + 1`.
///
/// # Panics
/// If `stride` is 0 or the filter is larger than the padded input.
pub fn conv_out_size(size: usize, filter: usize, stride: usize, pad: usize) -> usize {
    assert!(stride > 0, "im2col: stride must be at least 1");
    let padded = size + 2 * pad;
    assert!(
        filter <= padded,
        "im2col: filter {filter} larger than the padded input {padded}"
    );
    (padded - filter) / stride + 1
}

/// The windows of `x` `[n, c, h, w]` (a filter `fh×fw` moved by `stride` over `x` padded with
/// `pad` zeros on every side) as the rows of `col` `[n·oh·ow, c·fh·fw]`, in the book's layout:
/// row `(img, oy, ox)`, column `(channel, fy, fx)`, element
/// `x[img, channel, oy·stride + fy − pad, ox·stride + fx − pad]` or 0 in the padding.
///
/// Each `(channel, fy)` run of `fw` values is contiguous in one row of `x` (the stride only moves
/// where a window starts): the part inside the image is one slice copy (`memory.copy` in
/// WebAssembly) and the padded ends are zero fills. The time goes into that copy; there is no
/// arithmetic per element, so hand-written SIMD would not pay.
///
/// # Panics
/// If a length does not match the dimensions, `stride` is 0 or the filter does not fit.
#[allow(clippy::too_many_arguments)] // the BLAS-style dimension list of a convolution
pub fn im2col(
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    fh: usize,
    fw: usize,
    stride: usize,
    pad: usize,
    x: &[f32],
    col: &mut [f32],
) {
    let (oh, ow) = (
        conv_out_size(h, fh, stride, pad),
        conv_out_size(w, fw, stride, pad),
    );
    crate::check_len("im2col", "x", x, n * c * h * w);
    crate::check_len("im2col", "col", col, n * oh * ow * c * fh * fw);
    let row_len = c * fh * fw;
    if row_len == 0 {
        return;
    }
    for (r, row) in col.chunks_exact_mut(row_len).enumerate() {
        let (img, oy, ox) = (r / (oh * ow), (r / ow) % oh, r % ow);
        // The columns fx with x0 + fx inside [0, w): fx in [lo, hi).
        let x0 = (ox * stride) as isize - pad as isize;
        let lo = (-x0).clamp(0, fw as isize) as usize;
        let hi = (w as isize - x0).clamp(lo as isize, fw as isize) as usize;
        for (run, out) in row.chunks_exact_mut(fw).enumerate() {
            let (ch, fy) = (run / fh, run % fh);
            let y = (oy * stride + fy) as isize - pad as isize;
            if y < 0 || y >= h as isize || lo == hi {
                out.fill(0.0);
                continue;
            }
            let src = ((img * c + ch) * h + y as usize) * w;
            out[..lo].fill(0.0);
            let start = (x0 + lo as isize) as usize;
            out[lo..hi].copy_from_slice(&x[src + start..src + start + (hi - lo)]);
            out[hi..].fill(0.0);
        }
    }
}
