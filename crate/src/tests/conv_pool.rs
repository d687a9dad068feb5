//! The fused Convolution → ReLU → max pooling backward (`crate::conv_pool`) against its
//! definition, accumulated in f64: the pooling's gradient scattered to its argmax, masked where
//! the ReLU output (the pooling's input) is ≤ 0 (NaN passes), then `dW = Σ dz·patch`, `db = Σ dz`. Natively this runs
//! the scalar path; on wasm32 with SIMD (scripts/test-crate-wasm.sh) the SIMD accumulators, with
//! the scalar path for patches on padding or at the end of x. Splitting the filters over parts
//! gives bitwise the one-part result.

use super::Rng;
use crate::conv_pool::conv_relu_pool_backward;
use crate::parallel::testing::with_parts;
use crate::pool::max_pool_forward;
use crate::window::Window;

/// (conv window, filters, pool fh, fw, stride, pad)
fn cases() -> Vec<(Window, usize, [usize; 4])> {
    let w = |n, c, h, w, fh, fw, stride, pad| Window {
        n,
        c,
        h,
        w,
        fh,
        fw,
        stride,
        pad,
    };
    vec![
        // the SIMD path's shapes (C·FH, FW) = (3, ≤ 4), (5, 5..8), (7, 5..8), without padding
        (w(3, 1, 28, 28, 5, 5, 1, 0), 7, [2, 2, 2, 0]), // SimpleConvNet's, 3 samples
        (w(2, 1, 11, 10, 3, 3, 1, 0), 3, [2, 2, 2, 0]), // 3×3, odd sizes
        (w(2, 1, 9, 8, 3, 2, 2, 0), 2, [2, 2, 1, 0]),   // 3×2, stride 2, overlapping windows
        (w(2, 1, 13, 12, 7, 7, 1, 0), 3, [3, 2, 2, 0]), // 7×7, pooling 3×2
        (w(1, 1, 12, 12, 5, 8, 1, 0), 2, [2, 2, 2, 0]), // 5×8: two full vectors
        (w(2, 1, 9, 6, 5, 5, 1, 0), 2, [1, 1, 1, 0]), // ow = 2: loads past a row's end (and x's, at the last sample)
        // the scalar path
        (w(2, 1, 12, 12, 3, 3, 1, 1), 4, [2, 2, 2, 0]), // padding: border patches
        (w(2, 2, 9, 7, 3, 4, 1, 0), 3, [3, 2, 1, 0]),   // C·FH = 6
        (w(1, 2, 10, 11, 4, 7, 1, 0), 5, [2, 3, 2, 1]), // pooling padding
        (w(2, 3, 8, 8, 3, 3, 1, 0), 2, [2, 2, 2, 0]),   // C·FH = 9
        (w(1, 1, 6, 6, 1, 1, 1, 0), 3, [2, 2, 2, 0]),   // 1×1 filters
        (w(2, 2, 11, 9, 3, 9, 2, 0), 3, [2, 1, 1, 0]),  // FW = 9, stride 2
        (w(0, 1, 5, 5, 3, 3, 1, 0), 2, [2, 2, 2, 0]),   // no samples
        (w(3, 1, 7, 7, 3, 3, 2, 1), 1, [3, 3, 3, 1]),   // odd sizes, stride 2, both paddings
    ]
}

/// The definition, in f64: dW[f, c·FH·FW] and db[f].
#[allow(clippy::too_many_arguments)]
fn reference(
    g: &Window,
    fn_: usize,
    pool: &Window,
    x: &[f32],
    r: &[f32],
    argmax: &[f32],
    dout: &[f32],
) -> (Vec<f64>, Vec<f64>) {
    let (oh, ow) = (g.oh(), g.ow());
    let k = g.patch();
    // max pooling backward, then ReLU backward: the dense gradient of the convolution output
    let mut dz = vec![0f64; g.n * fn_ * oh * ow];
    let pp = pool.positions();
    for plane in 0..g.n * fn_ {
        for py in 0..pool.oh() {
            for px in 0..pool.ow() {
                let q = plane * pp + py * pool.ow() + px;
                let at = argmax[q] as usize;
                let (i, j) = (at / pool.fw, at % pool.fw);
                let (Some(oy), Some(ox)) = (
                    (py * pool.stride + i).checked_sub(pool.pad),
                    (px * pool.stride + j).checked_sub(pool.pad),
                ) else {
                    continue;
                };
                if oy < oh && ox < ow {
                    dz[plane * oh * ow + oy * ow + ox] += f64::from(dout[q]);
                }
            }
        }
    }
    for (d, &y) in dz.iter_mut().zip(r) {
        if y <= 0.0 {
            *d = 0.0;
        }
    }
    let (mut dw, mut db) = (vec![0f64; fn_ * k], vec![0f64; fn_]);
    for n in 0..g.n {
        for f in 0..fn_ {
            for oy in 0..oh {
                for ox in 0..ow {
                    let d = dz[((n * fn_ + f) * oh + oy) * ow + ox];
                    db[f] += d;
                    for c in 0..g.c {
                        for i in 0..g.fh {
                            for j in 0..g.fw {
                                let y = (oy * g.stride + i).checked_sub(g.pad).filter(|&y| y < g.h);
                                let xx =
                                    (ox * g.stride + j).checked_sub(g.pad).filter(|&v| v < g.w);
                                if let (Some(y), Some(xx)) = (y, xx) {
                                    dw[f * k + (c * g.fh + i) * g.fw + j] +=
                                        d * f64::from(x[((n * g.c + c) * g.h + y) * g.w + xx]);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    (dw, db)
}

struct Case {
    g: Window,
    fn_: usize,
    pool: Window,
    x: Vec<f32>,
    r: Vec<f32>,
    pooled: Vec<f32>,
    argmax: Vec<f32>,
    dout: Vec<f32>,
}

fn make(g: Window, fn_: usize, [pfh, pfw, ps, pp]: [usize; 4], rng: &mut Rng) -> Case {
    let (oh, ow) = (g.oh(), g.ow());
    let pool = Window {
        n: g.n,
        c: fn_,
        h: oh,
        w: ow,
        fh: pfh,
        fw: pfw,
        stride: ps,
        pad: pp,
    };
    let x = rng.floats(g.n * g.sample());
    // a ReLU output: a third of it exactly 0 (blocked), the rest positive
    let r: Vec<f32> = rng
        .floats(g.n * fn_ * oh * ow)
        .into_iter()
        .map(|v| if v < -0.33 { 0.0 } else { v.abs() + 0.01 })
        .collect();
    let len = g.n * fn_ * pool.positions();
    let (mut out, mut argmax) = (vec![0.0; len], vec![0.0; len]);
    max_pool_forward(&pool, &r, &mut out, &mut argmax);
    let dout = rng.floats(len);
    Case {
        g,
        fn_,
        pool,
        x,
        r,
        pooled: out,
        argmax,
        dout,
    }
}

fn run(c: &Case) -> (Vec<f32>, Vec<f32>) {
    let k = c.g.patch();
    let (mut dw, mut db) = (vec![f32::NAN; c.fn_ * k], vec![f32::NAN; c.fn_]);
    conv_relu_pool_backward(
        &c.g, c.fn_, &c.pool, &c.x, &c.pooled, &c.argmax, &c.dout, &mut dw, &mut db,
    );
    (dw, db)
}

#[test]
fn conv_relu_pool_backward_matches_the_definition() {
    let mut rng = Rng(71);
    for (g, fn_, p) in cases() {
        let c = make(g, fn_, p, &mut rng);
        let (dw, db) = run(&c);
        let (want_dw, want_db) = reference(&c.g, c.fn_, &c.pool, &c.x, &c.r, &c.argmax, &c.dout);
        let terms = (c.g.n * c.pool.positions()).max(1) as f64;
        for (idx, (&got, &want)) in dw.iter().zip(&want_dw).enumerate() {
            assert!(
                (f64::from(got) - want).abs() <= 1e-5 * terms,
                "{g:?} pool {p:?}: dW[{idx}] = {got}, expected {want}"
            );
        }
        for (f, (&got, &want)) in db.iter().zip(&want_db).enumerate() {
            assert!(
                (f64::from(got) - want).abs() <= 1e-5 * terms,
                "{g:?} pool {p:?}: db[{f}] = {got}, expected {want}"
            );
        }
    }
}

#[test]
fn conv_relu_pool_backward_passes_nan_where_relu_does() {
    // Filter 0's first window is [0, 0, 0, NaN]: the NaN wins the window and ReLU lets its
    // gradient through (it blocks only ≤ 0), so db[0] holds that window's dout; with a 0 there
    // instead, the window is blocked. A NaN dout that passes makes the filter's dW and db NaN.
    let mut rng = Rng(5);
    let g = Window {
        n: 1,
        c: 1,
        h: 6,
        w: 6,
        fh: 3,
        fw: 3,
        stride: 1,
        pad: 0,
    };
    let mut c = make(g, 2, [2, 2, 2, 0], &mut rng);
    let pool_again = |c: &mut Case| max_pool_forward(&c.pool, &c.r, &mut c.pooled, &mut c.argmax);
    c.r[0] = 0.0;
    c.r[1] = 0.0;
    c.r[4] = 0.0;
    c.r[5] = f32::NAN;
    pool_again(&mut c);
    assert_eq!(c.argmax[0], 3.0, "the NaN wins its window");
    let (_, with_nan) = run(&c);
    c.r[5] = 0.0;
    pool_again(&mut c);
    let (_, blocked) = run(&c);
    assert!(
        (f64::from(with_nan[0]) - f64::from(blocked[0]) - f64::from(c.dout[0])).abs() < 1e-5,
        "db[0]: {} with the NaN, {} blocked, window dout {}",
        with_nan[0],
        blocked[0],
        c.dout[0]
    );
    c.r[5] = f32::NAN;
    pool_again(&mut c);
    c.dout[0] = f32::NAN;
    let (dw, db) = run(&c);
    assert!(
        db[0].is_nan() && dw[..9].iter().all(|v| v.is_nan()),
        "filter 0: {db:?} {dw:?}"
    );
    assert!(
        db[1].is_finite() && dw[9..].iter().all(|v| v.is_finite()),
        "filter 1: {db:?} {dw:?}"
    );
}

#[test]
fn conv_relu_pool_backward_in_parts_is_bitwise_one_part() {
    let mut rng = Rng(9);
    for (g, fn_, p) in cases() {
        let c = make(g, fn_, p, &mut rng);
        let one = run(&c);
        for parts in [2, 3, 5] {
            let split = with_parts(parts, || run(&c));
            assert_eq!(
                one.0.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                split.0.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                "{g:?}: dW in {parts} parts"
            );
            assert_eq!(
                one.1.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                split.1.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                "{g:?}: db in {parts} parts"
            );
        }
    }
}
