//! Unit tests of `tensor::plain_dot`.

use crate::unit::tensor::gemm_tests::{layout, values};
use lessonrun::tensor::kernels::{self, Mat, Simd};
use proptest::prelude::*;

/// The definition: one chain `acc + x * y` from +0 per output, `p` in order, except on
/// the peeled columns (`peel_order`, for an output at the start of its allocation).
fn naive(a: Mat<'_, f32>, b: Mat<'_, f32>, m: usize, k: usize, n: usize) -> Vec<f32> {
    naive_from(a, b, m, k, n, &vec![0.0; m * n])
}

/// [`naive`] with each sum starting from `init` (`addmm`'s bias-first sums).
fn naive_from(
    a: Mat<'_, f32>,
    b: Mat<'_, f32>,
    m: usize,
    k: usize,
    n: usize,
    init: &[f32],
) -> Vec<f32> {
    let at = |x: &Mat<'_, f32>, i: usize, j: usize| x.data[i * x.rs + j * x.cs];
    let mut out = Vec::with_capacity(m * n);
    for i in 0..m {
        for j in 0..n {
            let prod = |p| at(&a, i, p) * at(&b, p, j);
            let c = init[i * n + j];
            out.push(if j < lessonrun::tensor::peel_order::peel(0, i, n) {
                lessonrun::tensor::peel_order::peeled_sum(c, k, prod)
            } else {
                (0..k).fold(c, |acc, p| acc + prod(p))
            });
        }
    }
    out
}

/// One shape: `matmul_sequential`'s plain path on every kernel the CPU has gives the bits
/// of the definition, with `a` row-major or transposed, padded rows, and both operands
/// starting `off` elements into their buffers; the columns of `out` past `n` of a wider
/// buffer are never written.
fn check(m: usize, k: usize, n: usize, seed: u64, at: bool, pad: usize, off: usize) {
    let a: Vec<f32> = values(m * k, seed);
    let b: Vec<f32> = values(k * n, seed ^ 0x5555);
    let (ab, ars, acs) = layout(&a, m, k, at, pad);
    let (bb, brs, _) = layout(&b, k, n, false, pad);
    let shift = |v: &[f32]| [vec![9.0; off], v.to_vec()].concat();
    let (ab, bb) = (shift(&ab), shift(&bb));
    let am = Mat { data: &ab[off..], rs: ars, cs: acs, start: off };
    let bm = Mat { data: &bb[off..], rs: brs, cs: 1, start: off };
    let want = naive(am, bm, m, k, n);
    for simd in kernels::simd_available() {
        let got = kernels::with_simd(simd, || kernels::matmul_sequential(am, bm, m, k, n, false));
        let bad: Vec<usize> =
            (0..m * n).filter(|&o| got[o].to_bits() != want[o].to_bits()).collect();
        assert!(bad.is_empty(), "{simd:?} m={m} k={k} n={n} at={at} pad={pad}: {bad:?}");
        let mut wide = vec![f32::from_bits(0x7fc0_1234); m * n + 5];
        if simd != Simd::Portable {
            assert!(lessonrun::tensor::plain_dot::plain_f32(am, bm, &mut wide, m, k, n, 0, false, simd));
            assert!(wide[m * n..].iter().all(|v| v.to_bits() == 0x7fc0_1234));
            // From a bias (`init`): the sums start from `out`'s values, peel included.
            let bias: Vec<f32> = values(m * n, seed ^ 0xb1a5);
            let mut got = bias.clone();
            assert!(lessonrun::tensor::plain_dot::plain_f32(am, bm, &mut got, m, k, n, 0, true, simd));
            let want = naive_from(am, bm, m, k, n, &bias);
            let bad: Vec<usize> =
                (0..m * n).filter(|&o| got[o].to_bits() != want[o].to_bits()).collect();
            assert!(bad.is_empty(), "{simd:?} init m={m} k={k} n={n} at={at}: {bad:?}");
        }
    }
}

/// Every row-tile height (8, 4, 1 and their mixtures) and column count around the lane
/// edges of both kernels.
#[test]
fn plain_lanes_match_the_scalar_chain_at_the_edges() {
    for m in [1, 3, 4, 5, 8, 9, 12, 13, 17] {
        for n in [1, 2, 7, 8, 9, 10, 15, 16, 17, 24, 33] {
            check(m, 37, n, (m * 100 + n) as u64, m % 2 == 0, n % 3, m % 4);
        }
    }
    check(64, 784, 10, 1, false, 0, 0);
    check(784, 64, 10, 2, true, 0, 0);
    check(3, 0, 10, 3, false, 0, 0);
}

/// The vector path changes no bit: the chain's order matters (the definition with the
/// products summed backwards differs on these values), so the comparison can fail.
#[test]
fn plain_order_is_visible_on_the_test_values() {
    let (m, k, n) = (4, 37, 10);
    let (a, b): (Vec<f32>, Vec<f32>) = (values(m * k, 7), values(k * n, 8));
    let fwd = naive(Mat::rows(&a, k), Mat::rows(&b, n), m, k, n);
    let mut differ = 0;
    for i in 0..m {
        for j in 0..n {
            let rev = (0..k).rev().fold(0.0f32, |acc, p| acc + a[i * k + p] * b[p * n + j]);
            differ += usize::from(rev.to_bits() != fwd[i * n + j].to_bits());
        }
    }
    assert!(differ > m * n / 4, "{differ} of {} outputs differ", m * n);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn plain_lanes_match_the_scalar_chain(
        m in 1usize..30, k in 0usize..60, n in 1usize..40, seed in any::<u64>(),
        at in any::<bool>(), pad in 0usize..3, off in 0usize..5,
    ) {
        check(m, k, n, seed, at, pad, off);
    }
}
