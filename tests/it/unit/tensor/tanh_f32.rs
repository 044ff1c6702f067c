//! Unit tests of `tensor::tanh_f32`.

use lessonrun::tensor::tanh_f32::{ONE_FROM, PIECES, SMALL_END, tanh_f32};

/// Inputs and `torch.tanh` results (float32 bits) recorded from PyTorch 2.15 by
/// testdata/gen_vml_tanh.py.
const RECORDED: &str = include_str!("testdata/vml_tanh_cases.txt");

#[test]
fn replays_recorded_torch_results() {
    crate::unit::tensor::recorded::replay(RECORDED, 1000, |r| {
        let (x, got) = (f32::from_bits(r[0]), tanh_f32(f32::from_bits(r[0])));
        (got.to_bits() != r[1]).then(|| format!("x={x:e} [{:#010x}]: {:08x} want {:08x}", r[0], got.to_bits(), r[1]))
    });
}

#[test]
fn pieces_cover_one_eighth_to_one_from() {
    let last = f32::from_bits(ONE_FROM.to_bits() - 1);
    let i = ((last.to_bits() >> 21) - (SMALL_END.to_bits() >> 21)) as usize;
    assert_eq!(i + 1, PIECES.len());
    for (i, (centre, _)) in PIECES.iter().enumerate() {
        // The centre of piece i is the middle of the quarter binade it indexes.
        let lo = f32::from_bits(((i as u32) << 21) + SMALL_END.to_bits());
        let hi = f32::from_bits((((i + 1) as u32) << 21) + SMALL_END.to_bits());
        assert_eq!(*centre, (f64::from(lo) + f64::from(hi)) / 2.0, "piece {i}");
    }
}

#[test]
fn keeps_the_sign_of_zero_saturates_and_propagates_nan() {
    assert_eq!(tanh_f32(-0.0).to_bits(), (-0.0f32).to_bits());
    assert_eq!(tanh_f32(0.0).to_bits(), 0);
    assert_eq!(tanh_f32(f32::INFINITY), 1.0);
    assert_eq!(tanh_f32(f32::NEG_INFINITY), -1.0);
    assert_eq!(tanh_f32(-1e-45).to_bits(), (-1e-45f32).to_bits());
    assert!(tanh_f32(f32::NAN).is_nan());
}

fn within_one_ulp(bits: u32) {
    let x = f32::from_bits(bits);
    let (got, cr) = (tanh_f32(x), (f64::from(x)).tanh() as f32);
    if x.is_nan() {
        assert!(got.is_nan());
        return;
    }
    let d = (got.to_bits() as i64 - cr.to_bits() as i64).abs();
    assert!(
        d <= 1,
        "tanh({x:e}) [{bits:#010x}]: {got:e}, correctly rounded {cr:e}"
    );
    assert_eq!(tanh_f32(-x).to_bits(), (-got).to_bits(), "odd at {x:e}");
}

/// Every 997th float32 (about 4.3 million, all binades and both signs): no piece strays
/// more than the 1 ulp MKL does.
#[test]
fn tanh_f32_is_faithful_on_a_spread_of_floats() {
    let mut b: u32 = 0;
    while let Some(n) = b.checked_add(997) {
        within_one_ulp(b);
        b = n;
    }
}

/// All 2^32 float32 values (about a minute): `cargo test --profile fast --lib
/// tanh_f32_exhaustive -- --ignored`. Bit-identity with torch over all of them was checked
/// by testdata/fit_vml_tanh.py's sweep, which mirrors this evaluation op for op.
#[test]
#[ignore]
fn tanh_f32_exhaustive() {
    for b in 0..=u32::MAX {
        within_one_ulp(b);
    }
}
