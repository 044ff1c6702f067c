//! Unit tests of `tensor::vml_sin`.

use lessonrun::tensor::vml_sin::*;

/// Inputs and `torch.sin`/`torch.cos` results (float32 bits) recorded from PyTorch 2.15 by
/// testdata/gen_vml_sin.py.
const RECORDED: &str = include_str!("testdata/vml_sin_cases.txt");

#[test]
fn replays_recorded_torch_results() {
    crate::unit::tensor::recorded::replay(RECORDED, 1000, |r| {
        let x = f32::from_bits(r[0]);
        let (s, c) = (sin_f32(x).to_bits(), cos_f32(x).to_bits());
        (s != r[1] || c != r[2]).then(|| format!("x={x:e}: sin {s:08x} want {:08x}, cos {c:08x} want {:08x}", r[1], r[2]))
    });
}

#[test]
fn keeps_the_sign_of_zero_and_propagates_nan() {
    assert_eq!(sin_f32(-0.0).to_bits(), (-0.0f32).to_bits());
    assert_eq!(cos_f32(-0.0), 1.0);
    assert!(sin_f32(f32::INFINITY).is_nan() && cos_f32(f32::NAN).is_nan());
}
