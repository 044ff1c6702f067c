//! Unit tests of `tensor::vml_asin`.

use lessonrun::tensor::vml_asin::{acos_f32, asin_f32};

/// Inputs and `torch.asin`/`torch.acos` results (float32 bits) recorded from PyTorch 2.15
/// by testdata/gen_vml_asin.py (inputs the model reproduces).
const RECORDED: &str = include_str!("testdata/vml_asin_cases.txt");

#[test]
fn asin_acos_replay_recorded_torch_results() {
    crate::unit::tensor::recorded::replay(RECORDED, 1000, |r| {
        let x = f32::from_bits(r[0]);
        let (s, c) = (asin_f32(x), acos_f32(x));
        (!crate::unit::tensor::recorded::same(s, r[1]) || !crate::unit::tensor::recorded::same(c, r[2]))
            .then(|| {
                format!(
                    "x={x:e}: asin {:08x} want {:08x}, acos {:08x} want {:08x}",
                    s.to_bits(),
                    r[1],
                    c.to_bits(),
                    r[2]
                )
            })
    });
}

#[test]
fn asin_acos_edges() {
    assert_eq!(asin_f32(-0.0).to_bits(), (-0.0f32).to_bits());
    assert_eq!(asin_f32(1.0), std::f32::consts::FRAC_PI_2);
    assert_eq!(asin_f32(-1.0), -std::f32::consts::FRAC_PI_2);
    assert_eq!(acos_f32(1.0), 0.0);
    assert_eq!(acos_f32(-1.0), std::f32::consts::PI);
    assert_eq!(acos_f32(0.0), std::f32::consts::FRAC_PI_2);
    for v in [
        1.0000001f32,
        -2.0,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
    ] {
        assert!(asin_f32(v).is_nan() && acos_f32(v).is_nan(), "{v}");
    }
}
