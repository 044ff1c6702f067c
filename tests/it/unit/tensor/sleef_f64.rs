//! Unit tests of `tensor::sleef_f64`.

use lessonrun::tensor::sleef_f64::expd;

#[test]
fn exp_is_within_an_ulp_and_handles_the_edges() {
    for i in -7000..7000 {
        let x = i as f64 * 0.1013;
        let (got, want) = (expd(x), x.exp());
        let ulp = (want.to_bits() as i64 - got.to_bits() as i64).abs();
        assert!(ulp <= 1, "exp({x}) = {got}, libm {want}");
    }
    assert_eq!(expd(0.0), 1.0);
    assert_eq!(expd(710.0), f64::INFINITY);
    assert_eq!(expd(-1001.0), 0.0);
    assert!(expd(f64::NAN).is_nan());
}

/// Every float64 case of testdata/sleef_log_cases.txt (from SLEEF itself, see
/// gen_sleef_log.py).
#[test]
fn log_matches_sleef_bit_for_bit() {
    let mut checked = 0;
    for line in include_str!("testdata/sleef_log_cases.txt").lines().filter(|l| l.starts_with("f64 ")) {
        let w: Vec<u64> = line.split_whitespace().skip(1).map(|h| u64::from_str_radix(h, 16).expect("hex")).collect();
        let (x, want) = (f64::from_bits(w[0]), f64::from_bits(w[1]));
        let got = lessonrun::tensor::sleef_f64::logd(x);
        assert!(got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()), "log({x:e}) = {got:e}, SLEEF {want:e}");
        checked += 1;
    }
    assert!(checked > 1200, "only {checked} cases");
}
