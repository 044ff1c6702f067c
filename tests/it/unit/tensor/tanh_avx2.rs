//! Unit tests of `tensor::tanh_avx2`.

use lessonrun::tensor::tanh_avx2::*;
use lessonrun::tensor::tanh_f32::{ONE_FROM, PIECES, SMALL, SMALL_END, tanh_f32};

fn same_as_scalar(from: u64, step: u64) {
    let bits: Vec<u32> = (from..=u32::MAX as u64)
        .step_by(step as usize)
        .map(|b| b as u32)
        .collect();
    for chunk in bits.chunks(1 << 16) {
        let xs: Vec<f32> = chunk.iter().map(|&b| f32::from_bits(b)).collect();
        let out = tanh_slice(&xs);
        let mut inplace = xs.clone();
        tanh_in_place(&mut inplace);
        for ((x, o), p) in xs.iter().zip(&out).zip(&inplace) {
            let want = tanh_f32(*x).to_bits();
            assert_eq!(
                o.to_bits(),
                want,
                "tanh_slice({x:e}) [{:#010x}]",
                x.to_bits()
            );
            assert_eq!(p.to_bits(), want, "tanh_in_place({x:e})");
        }
    }
}

/// Every 251st float32 (17 million, every binade and both signs, NaNs and infinities).
#[test]
fn lanes_match_the_scalar_definition() {
    same_as_scalar(0, 251);
    same_as_scalar(0x7f80_0000, 1 << 12);
    same_as_scalar(0xff80_0000, 1 << 12);
    let edges = [
        0.0f32,
        -0.0,
        SMALL_END,
        -SMALL_END,
        ONE_FROM,
        -ONE_FROM,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        1e-45,
        9.0108,
    ];
    let out = tanh_slice(&edges);
    for (x, o) in edges.iter().zip(&out) {
        assert_eq!(o.to_bits(), tanh_f32(*x).to_bits(), "{x:e}");
    }
}

/// All 2^32 float32 values: `cargo test --profile fast --lib tanh_lanes_exhaustive -- --ignored`.
#[test]
#[ignore]
fn tanh_lanes_exhaustive() {
    same_as_scalar(0, 1);
}
