//! The convolution (chapter 7) against its definition, accumulated in f64: the forward, the
//! backward's dW, db and dx, im2col against the book's layout (transposed per sample) and col2im
//! as its adjoint; and max pooling's first maximum and gradient routing.

use super::{Canaried, Rng};
use crate::conv::{col2im, conv_backward, conv_forward, im2col};
use crate::pool::{max_pool_backward, max_pool_forward};
use crate::window::{out_size, Window};

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
fn tap(g: &Window, n: usize, c: usize, oy: usize, ox: usize, i: usize, j: usize) -> Option<usize> {
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

/// The book's im2col of one sample: `col[(oy, ox), (ch, fy, fx)] = x[ch, oy·stride + fy − pad,
/// ox·stride + fx − pad]`, 0 outside; written without the kernel's geometry helper.
fn book_im2col(g: &Window, x: &[f32]) -> Vec<f32> {
    let (oh, ow) = (
        (g.h + 2 * g.pad - g.fh) / g.stride + 1,
        (g.w + 2 * g.pad - g.fw) / g.stride + 1,
    );
    let mut col = Vec::new();
    for oy in 0..oh {
        for ox in 0..ow {
            for ch in 0..g.c {
                for fy in 0..g.fh {
                    for fx in 0..g.fw {
                        let (y, xx) = (
                            (oy * g.stride + fy) as isize - g.pad as isize,
                            (ox * g.stride + fx) as isize - g.pad as isize,
                        );
                        let inside =
                            (0..g.h as isize).contains(&y) && (0..g.w as isize).contains(&xx);
                        col.push(if inside {
                            x[(ch * g.h + y as usize) * g.w + xx as usize]
                        } else {
                            0.0
                        });
                    }
                }
            }
        }
    }
    col
}

/// The kernel's im2col is the book's, transposed: `[C·FH·FW, OH·OW]` per sample, so `W·col`
/// lands in NCHW. Every (stride, pad, filter) that fits, canaries on both sides of col.
#[test]
fn im2col_is_the_books_layout_transposed() {
    let mut rng = Rng(70);
    let mut cases = 0;
    for c in [1, 3, 0] {
        for (h, w) in [(1, 1), (4, 5), (7, 7), (5, 3)] {
            for (fh, fw) in [(1, 1), (3, 3), (2, 5), (5, 2)] {
                for stride in 1..=3 {
                    for pad in 0..=2 {
                        if fh > h + 2 * pad || fw > w + 2 * pad {
                            continue;
                        }
                        let g = Window {
                            n: 1,
                            c,
                            h,
                            w,
                            fh,
                            fw,
                            stride,
                            pad,
                        };
                        let x = rng.floats(c * h * w);
                        let book = book_im2col(&g, &x);
                        let (k, p) = (g.patch(), g.positions());
                        let mut got = Canaried::new(k * p);
                        im2col(&g, &x, got.out());
                        let what = format!(
                            "im2col c{c} {h}×{w} filter {fh}×{fw} stride {stride} pad {pad}"
                        );
                        got.check_canaries(&what);
                        for q in 0..k {
                            for r in 0..p {
                                assert_eq!(
                                    got.get()[q * p + r].to_bits(),
                                    book[r * k + q].to_bits(),
                                    "{what}: ({q}, {r})"
                                );
                            }
                        }
                        cases += 1;
                    }
                }
            }
        }
    }
    assert!(cases > 300, "only {cases} cases ran");
}

#[test]
fn out_size_is_the_books_formula_and_never_huge() {
    assert_eq!(out_size(28, 5, 1, 0), 24);
    assert_eq!(out_size(28, 3, 2, 1), 14);
    assert_eq!(out_size(3, 2, 1, 0), 2);
    // A filter that does not fit (the TypeScript side refuses it first) saturates, not wraps.
    assert_eq!(out_size(4, 5, 1, 0), 1);
}
