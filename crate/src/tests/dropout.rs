//! Dropout's element-wise passes against the products they compute.

use crate::dropout::*;

#[test]
fn apply_mask_and_scale_match_the_element_wise_products() {
    for len in (0..=20).chain([31, 33, 63, 64, 65, 257]) {
        let x: Vec<f32> = (0..len).map(|i| (i as f32 - 7.5) * 0.37).collect();
        let mask: Vec<f32> = (0..len).map(|i| ((i * 7) % 3 != 0) as u8 as f32).collect();
        let mut out = vec![f32::NAN; len];
        apply_mask(&x, &mask, &mut out);
        for i in 0..len {
            assert_eq!(
                out[i],
                if mask[i] == 1.0 { x[i] } else { 0.0 * x[i] },
                "len {len} [{i}]"
            );
        }
        scale(0.7, &x, &mut out);
        for i in 0..len {
            assert_eq!(out[i], x[i] * 0.7, "len {len} [{i}]");
        }
    }
}

#[test]
#[should_panic(expected = "apply_mask: expected mask to hold 3 elements, got 2")]
fn a_wrong_length_panics_with_a_message() {
    crate::abi::checked::apply_mask(3, &[1.0; 3], &[1.0; 2], &mut [0.0; 3]);
}
