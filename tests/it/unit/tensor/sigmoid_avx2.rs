//! Unit tests of `tensor::sigmoid_avx2`.

use lessonrun::tensor::sigmoid_avx2::*;
use std::arch::x86_64::*;
use lessonrun::tensor::kernels::vec_expf;
use lessonrun::tensor::rnn::sigmoid_vec;

/// Every lane of the vector exp equals the scalar `vec_expf`, over a sweep of magnitudes
/// (both clamps, the subnormal results, the i32 edge of the exponent) and NaN/infinities.
#[test]
fn vector_exp_has_the_scalar_bits() {
    let mut x: Vec<f32> = vec![0.0, -0.0, f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 100.0, -104.0, 88.7, -87.4, -103.9, 1e-8, -1e-8];
    let mut v = 1e-7f32;
    while v < 3e9 {
        x.extend([v, -v, v * 1.37, -v * 0.61]);
        v *= 1.19;
    }
    let want: Vec<u32> = x.iter().map(|&a| vec_expf(a).to_bits()).collect();
    let mut got = x.clone();
    exp_in_place(&mut got);
    for (k, (&g, &w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g.to_bits(), w, "exp({:e})", x[k]);
    }
}

/// Every lane equals the scalar definition, over a sweep of magnitudes and the edges.
#[test]
fn vector_sigmoid_has_the_scalar_bits() {
    let mut x: Vec<f32> = vec![
        0.0,
        -0.0,
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        100.0,
        -100.0,
        104.0,
        -104.0,
        104.5,
        -104.5,
        87.0,
        -87.0,
        1e-40,
        -1e-40,
        f32::MAX,
        f32::MIN,
    ];
    let mut s = 0x2545_F491_4F6C_DD1Du64;
    for _ in 0..200_000 {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        let u = (s >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0;
        x.push(u * [1.0f32, 10.0, 120.0, 1e-3][(s % 4) as usize]);
    }
    while !x.len().is_multiple_of(8) {
        x.push(0.5);
    }
    let zeros = vec![0.0f32; x.len()];
    let mut out = vec![0.0f32; x.len()];
    sigmoid_of_sum(&x, &zeros, &mut out);
    for (i, (&v, &o)) in x.iter().zip(&out).enumerate() {
        let want = sigmoid_vec(v + 0.0);
        assert_eq!(o.to_bits(), want.to_bits(), "lane {i}: sigmoid({v:e})");
    }
}
