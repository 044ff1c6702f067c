//! Unit tests of `tensor::vml_exp`.

use lessonrun::tensor::vml_exp::expf;

/// Every case of testdata/vml_exp_cases.txt (torch.exp on the oracle machine, see
/// gen_vml_exp.py).
#[test]
fn exp_matches_torch_bit_for_bit() {
    crate::unit::tensor::recorded::replay(include_str!("testdata/vml_exp_cases.txt"), 3000, |r| {
        let (x, got) = (f32::from_bits(r[0]), expf(f32::from_bits(r[0])));
        (!crate::unit::tensor::recorded::same(got, r[1])).then(|| format!("exp({x:e}) = {got:e}, torch {:e}", f32::from_bits(r[1])))
    });
}

#[test]
fn edges() {
    assert_eq!(expf(0.0), 1.0);
    assert_eq!(expf(-0.0), 1.0);
    assert_eq!(expf(f32::INFINITY), f32::INFINITY);
    assert_eq!(expf(f32::NEG_INFINITY), 0.0);
    assert_eq!(expf(89.0), f32::INFINITY);
    assert_eq!(expf(-104.0), 0.0);
    assert!(expf(f32::NAN).is_nan());
}
