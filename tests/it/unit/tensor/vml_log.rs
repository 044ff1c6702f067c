//! Unit tests of `tensor::vml_log`.

use lessonrun::tensor::vml_log::{LN2_HI, LN2_LO, ln_f32, ln_slice};

/// Inputs and `torch.log` results (float32 bits) recorded from PyTorch 2.15 by
/// testdata/gen_vml_log.py.
const RECORDED: &str = include_str!("testdata/vml_log_cases.txt");

#[test]
fn log_replays_recorded_torch_results() {
    crate::unit::tensor::recorded::replay(RECORDED, 10000, |r| {
        let (x, got) = (f32::from_bits(r[0]), ln_f32(f32::from_bits(r[0])));
        (!crate::unit::tensor::recorded::same(got, r[1])).then(|| {
            format!(
                "log({x:e}) [{:#010x}]: {:08x}, torch {:08x}",
                r[0],
                got.to_bits(),
                r[1]
            )
        })
    });
}

#[test]
fn log_slice_matches_scalar_across_block_edges() {
    // Specials at every position of a block and beyond it: the patched blocks and the
    // vector path agree with the scalar function.
    let xs: Vec<f32> = (0..67u32)
        .map(|i| match i % 7 {
            0 => -1.0,
            3 => 1e-40,
            5 => f32::NAN,
            _ => 0.37 * i as f32 + 0.01,
        })
        .collect();
    for n in 0..xs.len() {
        let got = ln_slice(&xs[..n]);
        for (g, &x) in got.iter().zip(&xs) {
            assert!(
                crate::unit::tensor::recorded::same(*g, ln_f32(x).to_bits()),
                "x={x:e}"
            );
        }
    }
}

#[test]
fn log_edges() {
    assert_eq!(ln_f32(1.0).to_bits(), 0);
    assert_eq!(ln_f32(0.0), f32::NEG_INFINITY);
    assert_eq!(ln_f32(-0.0), f32::NEG_INFINITY);
    assert!(ln_f32(-1.0).is_nan());
    assert!(ln_f32(-1e-45).is_nan());
    assert!(ln_f32(f32::NEG_INFINITY).is_nan());
    assert!(ln_f32(f32::NAN).is_nan());
    assert_eq!(ln_f32(f32::INFINITY), f32::INFINITY);
    assert_eq!(ln_f32(f32::MAX), 88.72284);
    assert_eq!(ln_f32(1e-45), -103.27893);
}

#[test]
fn log_ln2_split_is_exact_head_and_rounded_tail() {
    // The head has 16 significant bits, so n * head is exact for |n| < 2^8.
    assert_eq!(LN2_HI.to_bits() & 0xff, 0);
    let ln2 = std::f64::consts::LN_2;
    assert!((f64::from(LN2_HI) - ln2).abs() < 2f64.powi(-16));
    assert_eq!(LN2_LO, (ln2 - f64::from(LN2_HI)) as f32);
}
