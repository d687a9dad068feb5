//! The update rules of the book's chapter 6 (`common/optimizer.py`), one element-wise pass each.
//! Every function updates `param` and its optimizer state (`v`, `h`, `m`) in place from `grad`,
//! in exactly the book's order of operations, so the TS backend's loops give the same f32 numbers
//! up to rounding. Hyper-parameters are checked on the TS side; here they are plain numbers.

/// Panics unless every slice holds as many elements as `param` (the last line of defence).
fn check(op: &str, param: &[f32], others: &[&[f32]]) {
    for (i, o) in others.iter().enumerate() {
        assert!(
            o.len() == param.len(),
            "{op}: param holds {} elements, argument {} holds {}",
            param.len(),
            i + 2,
            o.len()
        );
    }
}

/// Momentum (§6.1.4): `v = momentum·v − lr·grad; param += v`.
pub fn momentum(lr: f32, momentum: f32, param: &mut [f32], grad: &[f32], v: &mut [f32]) {
    check("momentum", param, &[grad, v]);
    for ((w, &g), v) in param.iter_mut().zip(grad).zip(v.iter_mut()) {
        *v = momentum * *v - lr * g;
        *w += *v;
    }
}

/// Nesterov's accelerated gradient as the book writes it (`optimizer.py`, class `Nesterov`):
/// `v = momentum·v − lr·grad; param += momentum²·v − (1 + momentum)·lr·grad`.
pub fn nesterov(lr: f32, momentum: f32, param: &mut [f32], grad: &[f32], v: &mut [f32]) {
    check("nesterov", param, &[grad, v]);
    let mm = momentum * momentum;
    let step = (1.0 + momentum) * lr;
    for ((w, &g), v) in param.iter_mut().zip(grad).zip(v.iter_mut()) {
        *v = *v * momentum - lr * g;
        *w += mm * *v;
        *w -= step * g;
    }
}

/// AdaGrad (§6.1.5): `h += grad²; param −= lr·grad / (√h + eps)`.
pub fn adagrad(lr: f32, eps: f32, param: &mut [f32], grad: &[f32], h: &mut [f32]) {
    check("adagrad", param, &[grad, h]);
    for ((w, &g), h) in param.iter_mut().zip(grad).zip(h.iter_mut()) {
        *h += g * g;
        *w -= lr * g / (h.sqrt() + eps);
    }
}

/// RMSprop (`optimizer.py`): `h = decay·h + (1 − decay)·grad²; param −= lr·grad / (√h + eps)`.
pub fn rmsprop(lr: f32, decay: f32, eps: f32, param: &mut [f32], grad: &[f32], h: &mut [f32]) {
    check("rmsprop", param, &[grad, h]);
    let keep = 1.0 - decay;
    for ((w, &g), h) in param.iter_mut().zip(grad).zip(h.iter_mut()) {
        *h *= decay;
        *h += keep * g * g;
        *w -= lr * g / (h.sqrt() + eps);
    }
}

/// Adam (§6.1.6) as the book writes it: `m += (1 − β1)(grad − m); v += (1 − β2)(grad² − v);
/// param −= lr_t·m / (√v + eps)`, where the caller folds the bias corrections into
/// `lr_t = lr·√(1 − β2^t) / (1 − β1^t)` once per step (it is the same for every element).
#[allow(clippy::too_many_arguments)]
pub fn adam(lr_t: f32, beta1: f32, beta2: f32, eps: f32, param: &mut [f32], grad: &[f32], m: &mut [f32], v: &mut [f32]) {
    check("adam", param, &[grad, m, v]);
    let (k1, k2) = (1.0 - beta1, 1.0 - beta2);
    for (((w, &g), m), v) in param.iter_mut().zip(grad).zip(m.iter_mut()).zip(v.iter_mut()) {
        *m += k1 * (g - *m);
        *v += k2 * (g * g - *v);
        *w -= lr_t * *m / (v.sqrt() + eps);
    }
}

#[cfg(test)]
mod tests {
    //! Each rule against a naive f64 transcription of `optimizer.py`, over several steps and
    //! sizes (0, odd, SIMD-width ± 1), plus one hand-computed step.
    use super::*;

    const SIZES: [usize; 8] = [0, 1, 3, 4, 5, 17, 64, 257];

    /// Deterministic values in [−1, 1) (splitmix64).
    fn values(len: usize, seed: u64) -> Vec<f32> {
        let mut s = seed;
        (0..len)
            .map(|_| {
                s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
                let mut z = s;
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                ((z ^ (z >> 31)) >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
            })
            .collect()
    }

    fn close(got: &[f32], want: &[f64], what: &str) {
        assert_eq!(got.len(), want.len(), "{what}: length");
        for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
            assert!((g as f64 - w).abs() <= 1e-5 + 1e-4 * w.abs(), "{what}[{i}]: got {g}, want {w}");
        }
    }

    fn f64s(x: &[f32]) -> Vec<f64> {
        x.iter().map(|&v| v as f64).collect()
    }

    /// Runs `steps` updates with fresh gradients through `kernel` (f32) and `naive` (f64) and
    /// compares params and every state buffer after each step.
    fn run(name: &str, states: usize, kernel: impl Fn(&mut [f32], &[f32], &mut [Vec<f32>]), naive: impl Fn(&mut [f64], &[f64], &mut [Vec<f64>])) {
        for n in SIZES {
            let mut p = values(n, 1);
            let mut p64 = f64s(&p);
            let mut s = vec![vec![0f32; n]; states];
            let mut s64 = vec![vec![0f64; n]; states];
            for step in 0..4 {
                let g = values(n, 10 + step);
                kernel(&mut p, &g, &mut s);
                naive(&mut p64, &f64s(&g), &mut s64);
                close(&p, &p64, &format!("{name} n={n} step={step} param"));
                for (a, b) in s.iter().zip(&s64) {
                    close(a, b, &format!("{name} n={n} step={step} state"));
                }
            }
        }
    }

    #[test]
    fn momentum_matches_naive() {
        run("momentum", 1, |p, g, s| momentum(0.1, 0.9, p, g, &mut s[0]), |p, g, s| {
            for i in 0..p.len() {
                s[0][i] = 0.9 * s[0][i] - 0.1 * g[i];
                p[i] += s[0][i];
            }
        });
    }

    #[test]
    fn nesterov_matches_naive() {
        run("nesterov", 1, |p, g, s| nesterov(0.1, 0.9, p, g, &mut s[0]), |p, g, s| {
            for i in 0..p.len() {
                s[0][i] *= 0.9;
                s[0][i] -= 0.1 * g[i];
                p[i] += 0.9 * 0.9 * s[0][i];
                p[i] -= (1.0 + 0.9) * 0.1 * g[i];
            }
        });
    }

    #[test]
    fn adagrad_matches_naive() {
        run("adagrad", 1, |p, g, s| adagrad(0.1, 1e-7, p, g, &mut s[0]), |p, g, s| {
            for i in 0..p.len() {
                s[0][i] += g[i] * g[i];
                p[i] -= 0.1 * g[i] / (s[0][i].sqrt() + 1e-7);
            }
        });
    }

    #[test]
    fn rmsprop_matches_naive() {
        run("rmsprop", 1, |p, g, s| rmsprop(0.01, 0.99, 1e-7, p, g, &mut s[0]), |p, g, s| {
            for i in 0..p.len() {
                s[0][i] *= 0.99;
                s[0][i] += (1.0 - 0.99) * g[i] * g[i];
                p[i] -= 0.01 * g[i] / (s[0][i].sqrt() + 1e-7);
            }
        });
    }

    #[test]
    fn adam_matches_naive() {
        // lr_t for step 1 of lr 0.001: the bias corrections folded in by the caller.
        let lr_t = 0.001 * (1.0f64 - 0.999).sqrt() / (1.0 - 0.9);
        run("adam", 2, |p, g, s| {
            let (m, v) = s.split_at_mut(1);
            adam(lr_t as f32, 0.9, 0.999, 1e-7, p, g, &mut m[0], &mut v[0])
        }, |p, g, s| {
            for i in 0..p.len() {
                s[0][i] += (1.0 - 0.9) * (g[i] - s[0][i]);
                s[1][i] += (1.0 - 0.999) * (g[i] * g[i] - s[1][i]);
                p[i] -= lr_t * s[0][i] / (s[1][i].sqrt() + 1e-7);
            }
        });
    }

    #[test]
    fn momentum_hand_computed_step() {
        // Binary-exact numbers: v = 0.5·0.5 − 0.5·2 = −0.75; w = 1 − 0.75 = 0.25.
        let (mut w, mut v) = ([1.0f32], [0.5f32]);
        momentum(0.5, 0.5, &mut w, &[2.0], &mut v);
        assert_eq!((w[0], v[0]), (0.25, -0.75));
    }

    #[test]
    #[should_panic(expected = "adagrad: param holds 3 elements, argument 3 holds 2")]
    fn length_mismatch_panics() {
        adagrad(0.1, 1e-7, &mut [0.0; 3], &[0.0; 3], &mut [0.0; 2]);
    }
}
