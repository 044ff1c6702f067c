//! Unit tests of `tensor::vml_sqrt`.

use lessonrun::tensor::vml_sqrt::*;
use lessonrun::tensor::dtype::DType;
use lessonrun::tensor::storage::Storage;
use lessonrun::tensor::vml_sqrt_table::RSQRT12;
use lessonrun::tensor::{Result, Tensor};
use ndarray::ArrayD;

/// Replays `torch.sqrt` results recorded by testdata/gen_vml_sqrt.py.
#[test]
fn matches_recorded_torch_sqrt() {
    let data = include_str!("testdata/vml_sqrt_cases.txt");
    let mut xs = Vec::new();
    let mut want = Vec::new();
    crate::unit::tensor::recorded::replay(data, 1000, |r| {
        let (x, got) = (f32::from_bits(r[0]), sqrt_f32(f32::from_bits(r[0])));
        xs.push(x);
        want.push(f32::from_bits(r[1]));
        (!crate::unit::tensor::recorded::same(got, r[1])).then(|| format!("sqrt({x:e}) = {got:e}, torch {:e}", f32::from_bits(r[1])))
    });
    let got = sqrt_f32_slice(&xs);
    for ((g, w), x) in got.iter().zip(&want).zip(&xs) {
        assert!(
            g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()),
            "slice: sqrt({x:e}) = {g:e}, torch {w:e}"
        );
    }
}

#[test]
fn table_estimate_scales_by_powers_of_four() {
    for b in [0x3f80_0000u32, 0x3fc0_1234, 0x4000_0000, 0x407f_ffff] {
        let r = rsqrt12(b);
        let x = f32::from_bits(b);
        assert_eq!(rsqrt12((x * 4.0).to_bits()), r * 0.5);
        assert_eq!(rsqrt12((x * 0.25).to_bits()), r * 2.0);
        assert!((r * x.sqrt() - 1.0).abs() < 1.0 / 2048.0);
    }
}
