//! im2col against a naive reference that reads the book's definition element by element.

use super::{Canaried, Rng};
use crate::im2col::{conv_out_size, im2col};

/// `col[(img, oy, ox), (ch, fy, fx)] = x[img, ch, oy·stride + fy − pad, ox·stride + fx − pad]`, 0 outside.
#[allow(clippy::too_many_arguments)]
fn naive_im2col(
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    fh: usize,
    fw: usize,
    stride: usize,
    pad: usize,
    x: &[f32],
) -> Vec<f32> {
    let (oh, ow) = (
        (h + 2 * pad - fh) / stride + 1,
        (w + 2 * pad - fw) / stride + 1,
    );
    let mut col = Vec::new();
    for img in 0..n {
        for oy in 0..oh {
            for ox in 0..ow {
                for ch in 0..c {
                    for fy in 0..fh {
                        for fx in 0..fw {
                            let (y, xx) = (
                                (oy * stride + fy) as isize - pad as isize,
                                (ox * stride + fx) as isize - pad as isize,
                            );
                            let inside =
                                (0..h as isize).contains(&y) && (0..w as isize).contains(&xx);
                            col.push(if inside {
                                x[((img * c + ch) * h + y as usize) * w + xx as usize]
                            } else {
                                0.0
                            });
                        }
                    }
                }
            }
        }
    }
    col
}

#[test]
fn im2col_matches_naive() {
    let mut rng = Rng(70);
    let mut cases = 0;
    for (n, c) in [(1, 1), (2, 3), (0, 2), (1, 0)] {
        for (h, w) in [(1, 1), (4, 5), (7, 7), (5, 3)] {
            for (fh, fw) in [(1, 1), (3, 3), (2, 5), (5, 2)] {
                for stride in 1..=3 {
                    for pad in 0..=2 {
                        if fh > h + 2 * pad || fw > w + 2 * pad {
                            continue;
                        }
                        let x = rng.floats(n * c * h * w);
                        let want = naive_im2col(n, c, h, w, fh, fw, stride, pad, &x);
                        let mut got = Canaried::from(&vec![f32::NAN; want.len()]);
                        im2col(n, c, h, w, fh, fw, stride, pad, &x, got.out());
                        let what = format!(
                            "im2col n{n} c{c} {h}×{w} filter {fh}×{fw} stride {stride} pad {pad}"
                        );
                        got.check_canaries(&what);
                        assert!(got.get() == want.as_slice(), "{what}");
                        cases += 1;
                    }
                }
            }
        }
    }
    assert!(cases > 400, "only {cases} cases ran");
}

#[test]
fn im2col_known_values() {
    // The book's layout on one 3×3 image, 2×2 filter, stride 1, no padding: row (oy, ox), column (fy, fx).
    let x: Vec<f32> = (1..=9).map(|v| v as f32).collect();
    let mut col = [0.0; 16];
    im2col(1, 1, 3, 3, 2, 2, 1, 0, &x, &mut col);
    assert_eq!(
        col,
        [1.0, 2.0, 4.0, 5.0, 2.0, 3.0, 5.0, 6.0, 4.0, 5.0, 7.0, 8.0, 5.0, 6.0, 8.0, 9.0]
    );
    assert_eq!(conv_out_size(28, 5, 1, 0), 24);
    assert_eq!(conv_out_size(28, 3, 2, 1), 14);
}

#[test]
#[should_panic(expected = "im2col: expected col to hold 16 elements, got 15")]
fn im2col_checks_lengths() {
    im2col(1, 1, 3, 3, 2, 2, 1, 0, &[0.0; 9], &mut [0.0; 15]);
}
