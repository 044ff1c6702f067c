//! Unit tests of `tensor::peel_order`.

use lessonrun::tensor::peel_order::*;
use lessonrun::tensor::kernels::Float;

/// The peel of a fresh output: 10 columns peel 2 on odd rows, 7 peel 1-3, 5 only 1 (three
/// would leave no vector), 8 and 4 none; a batch offset shifts it.
#[test]
fn peel_counts() {
    let rows = |n: usize, s: usize| (0..4).map(|i| peel(s, i, n)).collect::<Vec<_>>();
    assert_eq!(rows(10, 0), [0, 2, 0, 2]);
    assert_eq!(rows(7, 0), [0, 1, 2, 3]);
    assert_eq!(rows(5, 0), [0, 3, 2, 1].map(|p| if p == 1 { 1 } else { 0 }));
    assert_eq!(rows(8, 0), [0, 0, 0, 0]);
    assert_eq!(rows(4, 0), [0, 0, 0, 0]);
    assert_eq!(rows(7, 7), [1, 2, 3, 0]);
    assert_eq!(rows(10, NO_PEEL), [0, 0, 0, 0]);
}

/// The block order differs from the plain chain (a cancellation: `2^40` at `p = 0` and
/// `-2^40` at `p = 4` swallow the ones of both blocks, as in PyTorch's probe).
#[test]
fn odd_blocks_are_summed_apart() {
    let mut v = [1.0f32; 37];
    v[0] = 2f32.powi(40);
    v[4] = -(2f32.powi(40));
    let plain = v.iter().fold(0.0f32, |a, &x| a + x);
    assert_eq!(plain, 32.0);
    assert_eq!(peeled_sum(0.0f32, 37, |p| v[p]), 29.0);
}
