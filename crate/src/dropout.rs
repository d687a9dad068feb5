//! Dropout's element-wise passes (the book's §6.4.3). The mask itself is drawn on the
//! TypeScript side from the seeded generator, so both backends drop the same units.

/// `out = x·mask` (mask 1 for a kept unit, 0 for a dropped one); also the backward with dout.
pub fn apply_mask(x: &[f32], mask: &[f32], out: &mut [f32]) {
    for ((o, &v), &m) in out.iter_mut().zip(x).zip(mask) {
        *o = v * m;
    }
}

/// `out = s·x` (dropout at test time, s = 1 − ratio; also its backward).
pub fn scale(s: f32, x: &[f32], out: &mut [f32]) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o = v * s;
    }
}
