//! Unit tests of `tensor::dgemm_order`.

use lessonrun::tensor::dgemm_order::*;
use ndarray::{ArrayD, IxDyn};
use lessonrun::tensor::kernels::{Chain, Mat, fused_matmul_chain};
use lessonrun::tensor::peel_order::peeled_sum;
use lessonrun::tensor::storage::Storage;
use lessonrun::tensor::{DType, Result, Tensor, TensorError};

/// `lanes2` peels, pairs and folds as the probe's model: a cancellation shows which
/// products share a lane (`2^60` swallows the ones added to its lane before `-2^60` meets
/// it).
#[test]
fn lanes_pair_products() {
    let ones = [1.0f64; 7];
    let big = 2f64.powi(60);
    // p = 0 and p = 2 share lane 0 without a peel, and meet before p = 4's one comes.
    let v = [big, 1.0, -big, 1.0, 1.0, 1.0, 1.0];
    assert_eq!(lanes2(&v, &ones, 0), 5.0);
    // With one product peeled they sit in different lanes, meeting only at the fold.
    assert_eq!(lanes2(&v, &ones, 1), 0.0);
    assert_eq!(plain(&v, &ones), 4.0);
    let v = [big, -big, 1.0, 1.0, 1.0, 1.0, 1.0];
    assert_eq!(lanes2(&v, &ones, 0), 1.0);
    assert_eq!(lanes2(&v, &ones, 1), 5.0);
}

/// The FMA block, the plain leftovers and the peel on a small product whose outputs are
/// checked one by one against their definitions.
#[test]
fn regions_follow_the_probed_rules() {
    let (m, k, n) = (7, 9, 15);
    let a: Vec<f64> = (0..m * k)
        .map(|i| ((i * 37 % 101) as f64 - 50.0) / 7.0)
        .collect();
    let b: Vec<f64> = (0..k * n)
        .map(|i| ((i * 53 % 97) as f64 - 48.0) / 11.0)
        .collect();
    let out = product(Mat::rows(&a, k), Mat::rows(&b, n), m, k, n, 0);
    for i in 0..m {
        for j in 0..n {
            let prod = |p: usize| a[i * k + p] * b[p * n + j];
            let want = if i < 4 && j < 12 {
                (0..k).fold(0.0f64, |acc, p| a[i * k + p].mul_add(b[p * n + j], acc))
            } else if (j == 12 || (i >= 4 && j == 0)) && (i * n + j) % 2 == 1 {
                peeled_sum(0.0, k, prod)
            } else {
                (0..k).fold(0.0, |acc, p| acc + prod(p))
            };
            assert_eq!(out[i * n + j].to_bits(), want.to_bits(), "({i}, {j})");
        }
    }
}
