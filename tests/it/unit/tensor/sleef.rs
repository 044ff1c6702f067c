//! Unit tests of `tensor::sleef`.

/// Every pair of testdata/sleef_pow_cases.txt (from SLEEF itself, see gen_sleef_pow.py).
#[test]
fn powf_matches_sleef_bit_for_bit() {
    let text = include_str!("testdata/sleef_pow_cases.txt");
    let hex = |s: &str| f32::from_bits(u32::from_str_radix(s, 16).expect("hex"));
    let mut checked = 0;
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let w: Vec<&str> = line.split_whitespace().collect();
        let (x, y, want) = (hex(w[0]), hex(w[1]), hex(w[2]));
        let got = lessonrun::tensor::sleef::powf(x, y);
        assert!(got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()), "powf({x:e}, {y:e}) = {got:e}, SLEEF {want:e}");
        checked += 1;
    }
    assert!(checked > 1800, "only {checked} cases");
}

/// Every float32 case of testdata/sleef_log_cases.txt (from SLEEF itself, see
/// gen_sleef_log.py).
#[test]
fn logf_matches_sleef_bit_for_bit() {
    let mut checked = 0;
    for line in include_str!("testdata/sleef_log_cases.txt").lines().filter(|l| l.starts_with("f32 ")) {
        let w: Vec<u32> = line.split_whitespace().skip(1).map(|h| u32::from_str_radix(h, 16).expect("hex")).collect();
        let (x, want) = (f32::from_bits(w[0]), f32::from_bits(w[1]));
        let got = lessonrun::tensor::sleef::logf_u10(x);
        assert!(got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()), "logf({x:e}) = {got:e}, SLEEF {want:e}");
        checked += 1;
    }
    assert!(checked > 1200, "only {checked} cases");
}
