//! Unit tests of `tensor::exact_chain`: the block jumps give the one-at-a-time chain's bits.

use lessonrun::tensor::exact_chain::{abs_chain, square_chain};

/// A small xorshift, so the cases are the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
}

fn check(xs: &[f32], init: f32, what: &str) {
    let abs = xs.iter().fold(init, |acc, &x| acc + x.abs());
    let sq = xs.iter().fold(init, |acc, &x| acc + x * x);
    assert_eq!(
        abs_chain(xs, init).to_bits(),
        abs.to_bits(),
        "abs chain, {what}"
    );
    assert_eq!(
        square_chain(xs, init).to_bits(),
        sq.to_bits(),
        "square chain, {what}"
    );
}

/// Random values over many magnitudes, lengths around the block size, several starting sums.
#[test]
fn random_chains_have_the_sequential_bits() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for case in 0..400 {
        let n = [1, 7, 8, 255, 256, 257, 1000, 5000][case % 8];
        let scale = 2f32.powi((rng.next() % 60) as i32 - 30);
        let xs: Vec<f32> = (0..n).map(|_| (rng.unit() - 0.5) * scale).collect();
        let init = [0.0, 1.0, 3.5e6, 1e-30, 7.25][case % 5];
        check(&xs, init, &format!("case {case}, n {n}, scale {scale:e}"));
    }
}

/// Addends exactly half a grid step of the running sum (ties, broken by the sum's parity),
/// sums crossing binades, and the special values.
#[test]
fn ties_crossings_and_special_values() {
    // s = 1024 + k: its grid is 2^-13, so odd multiples of 2^-14 are ties.
    let ties: Vec<f32> = (0..600)
        .map(|i| (2 * (i % 5) + 1) as f32 * 2f32.powi(-14))
        .collect();
    check(&ties, 1024.0, "ties");
    check(&ties, 1024.0 + 2f32.powi(-13), "ties from an odd sum");
    // Just below a power of two: the first blocks cross it.
    let ones = vec![1.0f32; 700];
    check(&ones, 16_777_000.0, "crossing 2^24");
    check(&ones, 4095.5, "crossing 4096");
    let mut rng = Rng(7);
    for special in [
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        -0.0,
        0.0,
        f32::MIN_POSITIVE / 4.0,
        f32::MAX,
        1e30,
    ] {
        let mut xs: Vec<f32> = (0..900).map(|_| rng.unit()).collect();
        xs[600] = special;
        check(&xs, 0.0, &format!("with {special:e}"));
        check(&xs, 3e38, &format!("near overflow with {special:e}"));
    }
    // Addends too small to move the sum, and a zero sum.
    let tiny = vec![1e-12f32; 513];
    check(&tiny, 1.0, "absorbed addends");
    check(&tiny, 0.0, "from zero");
}
