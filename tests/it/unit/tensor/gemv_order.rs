//! Unit tests of `tensor::gemv_order`.

use lessonrun::tensor::gemv_order::*;
use lessonrun::tensor::kernels::{Float, Mat};

/// The cancellation probe of docs/matmul-order.md: all ones, `w[p] = 2^40`,
/// `w[q] = -2^40`; each output counts the ones summed after the two big terms met.
fn probe(m: usize, k: usize, p: usize, q: usize) -> Vec<f32> {
    let a = vec![1.0f32; m * k];
    let mut w = vec![1.0f32; k];
    w[p] = 2f32.powi(40);
    w[q] = -(2f32.powi(40));
    gemv_rows(
        Mat::rows(&a, k),
        Mat {
            data: &w,
            rs: 1,
            cs: 1,
            start: 0,
        },
        m,
        k,
    )
}

#[test]
fn four_rows_at_once_keep_each_rows_order() {
    let mut seed = 12345u32;
    let mut next = || {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (seed >> 8) as f32 / 65536.0 - 128.0
    };
    for k in [1, 2, 3, 4, 5, 8, 9, 31, 100, 257] {
        let a: Vec<f32> = (0..4 * k).map(|_| next()).collect();
        let w: Vec<f32> = (0..k).map(|_| next()).collect();
        let rows = [&a[..k], &a[k..2 * k], &a[2 * k..3 * k], &a[3 * k..]];
        let got = block_rows(rows, &w).map(f32::to_bits);
        assert_eq!(got, rows.map(|x| block_row(x, &w).to_bits()), "k = {k}");
    }
}

#[test]
fn cancellation_probes_give_pytorchs_counts() {
    // PyTorch 2.15 (MKL) on the oracle machine, F.linear(X, w)[:, 0] for p = 0, q = 1..=8.
    let cases: [(usize, usize, usize, [f32; 8]); 3] = [
        (5, 40, 0, [38.0, 37.0, 36.0, 35.0, 0.0, 18.0, 0.0, 34.0]),
        (5, 40, 4, [38.0, 37.0, 36.0, 35.0, 4.0, 20.0, 4.0, 28.0]),
        (
            5,
            200,
            0,
            [198.0, 197.0, 196.0, 195.0, 0.0, 98.0, 0.0, 194.0],
        ),
    ];
    for (m, k, row, want) in cases {
        let got: Vec<f32> = (1..=8).map(|q| probe(m, k, 0, q)[row]).collect();
        assert_eq!(got, want, "m={m} k={k} row {row}");
    }
}
