//! Unit tests of `tensor::dot_order`.

use lessonrun::tensor::dot_order::*;
use ndarray::{ArrayD, IxDyn};
use lessonrun::tensor::kernels::Float;

/// Which of two ones next to a large element survive tells which additions come first.
fn survives(n: usize, big: usize, j: usize, k: usize) -> bool {
    let mut x = vec![0f32; n];
    x[big] = 16_777_216.0;
    x[j] = 1.0;
    x[k] = 1.0;
    mkl_dot(&x, &vec![1f32; n]) == 16_777_218.0
}

#[test]
fn float32_blocks_of_sixteen_then_eight_four_and_single_elements() {
    // n = 23: elements 0, 16 and 20 share register 0's lane 0 (the block of 4 at 16, then
    // the single 20), so two of them meet before the single 21 arrives; 4 is in register 1.
    assert!(survives(23, 21, 0, 16));
    assert!(survives(23, 21, 16, 20));
    assert!(!survives(23, 21, 0, 4));
    // Odd lanes are added together before lane 0 meets them.
    assert!(survives(16, 0, 1, 3));
    assert!(!survives(16, 0, 2, 4));
}

#[test]
fn float64_pairs_and_sequential_strided() {
    let x = [1e17, 1.0, -1e17, 1.0, 1.0, 0.5, 1.0];
    let ones = vec![1f64; 7];
    // Lane 0 adds 1e17, -1e17, then 1.0 and the single last 1.0: 2; lane 1: 1 + 1 + 0.5.
    assert_eq!(mkl_dot(&x, &ones), 4.5);
    // In order from zero the one after 1e17 is lost to rounding.
    assert_eq!(sequential_dot(&x, &ones), 3.5);
}
