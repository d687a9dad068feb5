//! Each rule against a naive f64 transcription of `optimizer.py`, over several steps and
//! sizes (0, odd, SIMD-width ± 1), plus one hand-computed step.
use crate::optim::*;

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
        assert!(
            (g as f64 - w).abs() <= 1e-5 + 1e-4 * w.abs(),
            "{what}[{i}]: got {g}, want {w}"
        );
    }
}

fn f64s(x: &[f32]) -> Vec<f64> {
    x.iter().map(|&v| v as f64).collect()
}

/// Runs `steps` updates with fresh gradients through `kernel` (f32) and `naive` (f64) and
/// compares params and every state buffer after each step.
fn run(
    name: &str,
    states: usize,
    kernel: impl Fn(&mut [f32], &[f32], &mut [Vec<f32>]),
    naive: impl Fn(&mut [f64], &[f64], &mut [Vec<f64>]),
) {
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
    run(
        "momentum",
        1,
        |p, g, s| momentum(0.1, 0.9, p, g, &mut s[0]),
        |p, g, s| {
            for i in 0..p.len() {
                s[0][i] = 0.9 * s[0][i] - 0.1 * g[i];
                p[i] += s[0][i];
            }
        },
    );
}

#[test]
fn nesterov_matches_naive() {
    // The book's current order: the parameter moves with the old velocity, then v is updated.
    run(
        "nesterov",
        1,
        |p, g, s| nesterov(0.1, 0.9, 0.81, 0.19, p, g, &mut s[0]),
        |p, g, s| {
            for i in 0..p.len() {
                p[i] += 0.9 * 0.9 * s[0][i];
                p[i] -= (1.0 + 0.9) * 0.1 * g[i];
                s[0][i] *= 0.9;
                s[0][i] -= 0.1 * g[i];
            }
        },
    );
}

#[test]
fn nesterov_golden_numbers() {
    // Weight 1, gradient 1, lr 0.1, momentum 0.9: the book's optimizer.py gives 0.81 after one
    // step (v is still 0) and 0.539 after two (0.81 + 0.81·(−0.1) − 0.19).
    let (mut w, mut v) = ([1.0f32], [0.0f32]);
    nesterov(0.1, 0.9, 0.81, 0.19, &mut w, &[1.0], &mut v);
    assert!((w[0] - 0.81).abs() < 1e-6, "step 1: {}", w[0]);
    nesterov(0.1, 0.9, 0.81, 0.19, &mut w, &[1.0], &mut v);
    assert!((w[0] - 0.539).abs() < 1e-6, "step 2: {}", w[0]);
}

#[test]
fn adam_with_constants_from_f64() {
    // lr 1, weight 0, gradient 1, one step: the book gives −0.999996841 (1 − β2 in f64, then
    // f32); with 1 − f32(0.999) = 9.99987e-4 it would be −1.00000346.
    let lr_t = ((1.0f64 - 0.999).sqrt() / (1.0 - 0.9)) as f32;
    let (mut w, mut m, mut v) = ([0.0f32], [0.0f32], [0.0f32]);
    adam(
        lr_t,
        (1.0 - 0.9f64) as f32,
        (1.0 - 0.999f64) as f32,
        1e-7,
        &mut w,
        &[1.0],
        &mut m,
        &mut v,
    );
    assert!((f64::from(w[0]) + 0.999996841).abs() < 2e-7, "got {}", w[0]);
}

#[test]
fn momentum_hand_computed_step() {
    // Binary-exact numbers: v = 0.5·0.5 − 0.5·2 = −0.75; w = 1 − 0.75 = 0.25.
    let (mut w, mut v) = ([1.0f32], [0.5f32]);
    momentum(0.5, 0.5, &mut w, &[2.0], &mut v);
    assert_eq!((w[0], v[0]), (0.25, -0.75));
}

#[test]
#[should_panic(expected = "adagrad: expected h to hold 3 elements, got 2")]
fn length_mismatch_panics() {
    crate::abi::checked::adagrad(3, 0.1, 1e-7, &mut [0.0; 3], &[0.0; 3], &mut [0.0; 2]);
}
