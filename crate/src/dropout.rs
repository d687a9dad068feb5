//! Dropout's element-wise passes (the book's §6.4.3). The mask itself is drawn on the
//! TypeScript side from the seeded generator, so both backends drop the same units.

/// `out = x·mask` (mask 1 for a kept unit, 0 for a dropped one); also the backward with dout.
///
/// # Panics
/// If the lengths differ.
pub fn apply_mask(x: &[f32], mask: &[f32], out: &mut [f32]) {
    assert!(
        x.len() == out.len() && mask.len() == out.len(),
        "apply_mask: x, mask and out hold {}, {} and {} elements",
        x.len(),
        mask.len(),
        out.len()
    );
    for ((o, &v), &m) in out.iter_mut().zip(x).zip(mask) {
        *o = v * m;
    }
}

/// `out = s·x` (dropout at test time, s = 1 − ratio; also its backward).
///
/// # Panics
/// If the lengths differ.
pub fn scale(s: f32, x: &[f32], out: &mut [f32]) {
    assert!(x.len() == out.len(), "scale: x and out hold {} and {} elements", x.len(), out.len());
    for (o, &v) in out.iter_mut().zip(x) {
        *o = v * s;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apply_mask_and_scale_match_the_element_wise_products() {
        for len in (0..=20).chain([31, 33, 63, 64, 65, 257]) {
            let x: Vec<f32> = (0..len).map(|i| (i as f32 - 7.5) * 0.37).collect();
            let mask: Vec<f32> = (0..len).map(|i| ((i * 7) % 3 != 0) as u8 as f32).collect();
            let mut out = vec![f32::NAN; len];
            apply_mask(&x, &mask, &mut out);
            for i in 0..len {
                assert_eq!(out[i], if mask[i] == 1.0 { x[i] } else { 0.0 * x[i] }, "len {len} [{i}]");
            }
            scale(0.7, &x, &mut out);
            for i in 0..len {
                assert_eq!(out[i], x[i] * 0.7, "len {len} [{i}]");
            }
        }
    }

    #[test]
    #[should_panic(expected = "apply_mask: x, mask and out hold 3, 2 and 3 elements")]
    fn a_wrong_length_panics_with_a_message() {
        apply_mask(&[1.0; 3], &[1.0; 2], &mut [0.0; 3]);
    }
}
