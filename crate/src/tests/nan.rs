//! NaN propagates through ReLU and max pooling as in the book's numpy layers: ReLU's mask is
//! `x <= 0`, which NaN is not, and pooling's `np.max` / `np.argmax` pick a window's first NaN.
//! Without this a diverged value became 0 (or lost its window) on the way to the loss, and
//! the divergence stop never fired. On wasm32 (scripts/test-crate-wasm.sh) these run the
//! vectorised loops of the SIMD128 and relaxed-SIMD builds.

use super::Rng;
use crate::activation::{relu_backward, relu_forward};
use crate::parallel::testing::with_parts;
use crate::pool::{max_pool_backward, max_pool_forward};
use crate::window::Window;

/// Same value, NaN equal to NaN (and −0 distinct from 0).
fn same(a: f32, b: f32) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

#[test]
fn relu_passes_nan_forward_and_its_gradient_backward() {
    let mut out = [0.0; 3];
    relu_forward(&[f32::NAN, -1.0, 2.0], &mut out);
    assert!(out[0].is_nan() && out[1..] == [0.0, 2.0], "relu: {out:?}");
    let mut dx = [0.0; 3];
    relu_backward(&out, &[1.0, 1.0, 1.0], &mut dx);
    assert_eq!(dx, [1.0, 0.0, 1.0], "relu backward at NaN, −1, 2");
}

#[test]
fn relu_passes_nan_in_every_lane_and_tail_position() {
    // NaN at every position mod 16 over sizes past the vector width: lanes, unrolled bodies
    // and scalar tails; and split into parts as the threaded build splits it.
    let mut rng = Rng(41);
    for n in [1, 3, 4, 5, 15, 16, 17, 33, 100, 4099] {
        for every in [1, 2, 3, 5, 16] {
            let mut x = rng.floats(n);
            for v in x.iter_mut().step_by(every) {
                *v = f32::NAN;
            }
            let dout = rng.floats(n);
            for parts in [1, 3] {
                let (mut y, mut dx) = (vec![0.0; n], vec![0.0; n]);
                with_parts(parts, || {
                    relu_forward(&x, &mut y);
                    relu_backward(&y, &dout, &mut dx);
                });
                for i in 0..n {
                    let (want_y, want_dx) = if x[i] <= 0.0 {
                        (0.0, 0.0)
                    } else {
                        (x[i], dout[i])
                    };
                    assert!(
                        same(y[i], want_y) && same(dx[i], want_dx),
                        "n {n}, NaN every {every}, {parts} parts, at {i}: x {} gave y {} dx {}, want {want_y} {want_dx}",
                        x[i],
                        y[i],
                        dx[i]
                    );
                }
            }
        }
    }
}

#[test]
fn max_pool_of_the_books_example_gives_nan_and_routes_its_gradient_there() {
    // [[1, NaN, 5, 6], [3, 0, −1, 2]] in 2×2 windows, stride 2: numpy gives [NaN, 6].
    let g = Window {
        n: 1,
        c: 1,
        h: 2,
        w: 4,
        fh: 2,
        fw: 2,
        stride: 2,
        pad: 0,
    };
    let x = [1.0, f32::NAN, 5.0, 6.0, 3.0, 0.0, -1.0, 2.0];
    let (mut out, mut arg) = ([0.0; 2], [0.0; 2]);
    max_pool_forward(&g, &x, &mut out, &mut arg);
    assert!(out[0].is_nan() && out[1] == 6.0, "out {out:?}");
    assert_eq!(arg, [1.0, 1.0]);
    let mut dx = [0.0; 8];
    max_pool_backward(&g, &[10.0, 20.0], &arg, &mut dx);
    assert_eq!(dx, [0.0, 10.0, 0.0, 20.0, 0.0, 0.0, 0.0, 0.0]);
}

/// The book's pooling of one window's values (padding included as 0): numpy's argmax, which
/// returns the first NaN if there is one, else the first maximum.
fn numpy_argmax(values: &[f32]) -> usize {
    if let Some(i) = values.iter().position(|v| v.is_nan()) {
        return i;
    }
    let max = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    values.iter().position(|&v| v == max).unwrap()
}

#[test]
fn max_pool_picks_the_first_nan_of_each_window_on_every_code_path() {
    // 2×2 stride 2 (the unrolled path), a general unpadded window, and padded windows.
    #[rustfmt::skip]
    let windows = [
        Window { n: 2, c: 3, h: 8, w: 10, fh: 2, fw: 2, stride: 2, pad: 0 },
        Window { n: 1, c: 2, h: 7, w: 7, fh: 3, fw: 3, stride: 1, pad: 0 },
        Window { n: 2, c: 2, h: 7, w: 9, fh: 3, fw: 2, stride: 2, pad: 1 },
        Window { n: 1, c: 1, h: 4, w: 4, fh: 2, fw: 2, stride: 2, pad: 1 },
    ];
    let mut rng = Rng(42);
    for g in windows {
        let (planes, oh, ow) = (g.n * g.c, g.oh(), g.ow());
        for nan_every in [2, 3, 7] {
            let mut x = rng.floats(planes * g.h * g.w);
            for i in (0..x.len()).step_by(nan_every) {
                x[i] = f32::NAN;
            }
            // a NaN in a window with a larger value, a NaN first and a NaN last all occur here
            let dout: Vec<f32> = (0..planes * oh * ow).map(|i| i as f32 + 1.0).collect();
            for parts in [1, 3] {
                let (mut out, mut arg) = (vec![0.0; dout.len()], vec![0.0; dout.len()]);
                let mut dx = vec![f32::NAN; x.len()];
                with_parts(parts, || {
                    max_pool_forward(&g, &x, &mut out, &mut arg);
                    max_pool_backward(&g, &dout, &arg, &mut dx);
                });
                let mut want_dx = vec![0.0; x.len()];
                for p in 0..planes {
                    for (oy, ox) in (0..oh).flat_map(|oy| (0..ow).map(move |ox| (oy, ox))) {
                        let mut window = Vec::new();
                        let mut at = Vec::new();
                        for (i, j) in (0..g.fh).flat_map(|i| (0..g.fw).map(move |j| (i, j))) {
                            let (y, xx) = (oy * g.stride + i, ox * g.stride + j);
                            // the padded input's (y, xx); None on the padding, which reads 0
                            let pixel =
                                (y >= g.pad && y < g.h + g.pad && xx >= g.pad && xx < g.w + g.pad)
                                    .then(|| p * g.h * g.w + (y - g.pad) * g.w + (xx - g.pad));
                            window.push(pixel.map_or(0.0, |i| x[i]));
                            at.push(pixel);
                        }
                        let k = numpy_argmax(&window);
                        let o = (p * oh + oy) * ow + ox;
                        let here = format!(
                            "{g:?}, NaN every {nan_every}, {parts} parts, window {o} {window:?}"
                        );
                        assert!(
                            same(out[o], window[k]),
                            "{here}: max {} want {}",
                            out[o],
                            window[k]
                        );
                        assert_eq!(arg[o], k as f32, "{here}: argmax");
                        if let Some(pixel) = at[k] {
                            want_dx[pixel] += dout[o];
                        }
                    }
                }
                assert!(
                    dx == want_dx,
                    "{g:?}, NaN every {nan_every}, {parts} parts: dx {dx:?}\nwant {want_dx:?}"
                );
            }
        }
    }
}
