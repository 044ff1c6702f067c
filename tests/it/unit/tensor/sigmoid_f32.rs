//! Unit tests of `tensor::sigmoid_f32`.

use lessonrun::tensor::sigmoid_f32::*;
use lessonrun::tensor::iter_layout::contiguous_calls;
use lessonrun::tensor::kernels::{Float, VEC_LOOP_F32};

/// The vector part equals `1 / (1 + vec_expf(-x))` element by element, bit for bit, and
/// the tail the scalar exp's formula, over edge values and a spread of magnitudes.
#[test]
fn sigmoid_equals_the_scalar_formulas_bit_for_bit() {
    let mut x = vec![
        0.0f32,
        -0.0,
        1.0,
        -1.0,
        88.0,
        -88.0,
        104.5,
        -104.5,
        1e-40,
        f32::MAX,
        f32::MIN,
    ];
    x.extend([f32::INFINITY, f32::NEG_INFINITY, f32::NAN]);
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..50_000 {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        let u = (s >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0;
        x.push(u * [1.0f32, 8.0, 120.0, 1e-3][(s % 4) as usize]);
    }
    for len in [x.len(), 31, 32, 33, 70] {
        let xs = &x[..len];
        let got = sigmoid_call(xs);
        let vec_end = len - len % VEC_LOOP_F32;
        for (i, (&v, &y)) in xs.iter().zip(&got).enumerate() {
            let want = if i < vec_end {
                1.0 / (1.0 + (-v).vexp())
            } else {
                1.0 / (1.0 + (-v).exp())
            };
            assert_eq!(
                y.to_bits(),
                want.to_bits(),
                "element {i} of {len}: sigmoid({v:e})"
            );
        }
    }
}

/// The strided path gathers its vector elements and runs them eight lanes at a time: same
/// bits as the formulas element by element, for a mask of a transposed layout.
#[test]
fn masked_sigmoid_equals_the_formulas() {
    let x: Vec<f32> = (0..7 * 75)
        .map(|i| ((i * 37 % 101) as f32 - 50.0) * 0.37)
        .collect();
    let mask = lessonrun::tensor::iter_layout::vector_mask(&[7, 75], &[&[1, 7]], VEC_LOOP_F32);
    assert!(mask.iter().any(|&m| m) && mask.iter().any(|&m| !m));
    for (i, (&v, &y)) in x.iter().zip(&sigmoid_masked(&x, &mask)).enumerate() {
        let want = if mask[i] {
            1.0 / (1.0 + (-v).vexp())
        } else {
            1.0 / (1.0 + (-v).exp())
        };
        assert_eq!(y.to_bits(), want.to_bits(), "element {i}");
    }
}
