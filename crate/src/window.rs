//! The geometry of a convolution or pooling window sliding over a batch `x[N, C, H, W]`: the
//! crate's one copy of the output-size formula (`ts/core/window.ts` is the TypeScript one).

/// Positions of a window sweep along one axis: `⌊(size + 2·pad − filter) / stride⌋ + 1`, the
/// book's `1 + (H + 2·pad − FH) // stride`. The caller guarantees that the filter fits the padded
/// input and that `stride ≥ 1` (the TypeScript side checks both before any call); a filter that
/// does not fit never makes a huge count (the difference saturates at 0), and stride 0 traps.
/// Straight-line code: the convolution calls it for every row of its columns, and a version that
/// branched on the two conditions made `convForward` 2–3 % slower.
pub const fn out_size(size: usize, filter: usize, stride: usize, pad: usize) -> usize {
    (size + 2 * pad).saturating_sub(filter) / stride + 1
}

/// A `fh×fw` window moved by `stride` over a batch `x[N, C, H, W]` padded with `pad` zeros on
/// each side.
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
    /// Output height ([`out_size`] along H).
    pub fn oh(&self) -> usize {
        out_size(self.h, self.fh, self.stride, self.pad)
    }
    /// Output width ([`out_size`] along W).
    pub fn ow(&self) -> usize {
        out_size(self.w, self.fw, self.stride, self.pad)
    }
    /// Output positions per channel, `OH·OW`.
    pub fn positions(&self) -> usize {
        self.oh() * self.ow()
    }
    /// Rows of a sample's column matrix, `C·FH·FW`.
    pub fn patch(&self) -> usize {
        self.c * self.fh * self.fw
    }
    /// Elements of one input sample, `C·H·W`.
    pub fn sample(&self) -> usize {
        self.c * self.h * self.w
    }
}
