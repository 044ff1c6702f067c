//! Unit tests of `tensor::zip_bcast`.

use lessonrun::tensor::zip_bcast::zip_broadcast;
use lessonrun::tensor::iter_rows::{Dim, row_dims};

/// The same map computed index by index, the definition the rows must agree with.
fn naive(a: &[i64], a_shape: &[usize], b: &[i64], b_shape: &[usize], shape: &[usize]) -> Vec<i64> {
    let total: usize = shape.iter().product();
    let offset = |s: &[usize], mut flat: usize| -> usize {
        // Row-major position in `shape` to the operand's row-major offset.
        let mut coords = vec![0; shape.len()];
        for d in (0..shape.len()).rev() {
            coords[d] = flat % shape[d];
            flat /= shape[d];
        }
        let mut off = 0;
        for (k, &n) in s.iter().enumerate() {
            let c = coords[shape.len() - s.len() + k];
            off = off * n + if n == 1 { 0 } else { c };
        }
        off
    };
    (0..total).map(|i| a[offset(a_shape, i)] * 1000 + b[offset(b_shape, i)]).collect()
}

fn check(a_shape: &[usize], b_shape: &[usize], shape: &[usize]) {
    let a: Vec<i64> = (0..a_shape.iter().product::<usize>() as i64).collect();
    let b: Vec<i64> = (0..b_shape.iter().product::<usize>() as i64).map(|x| x + 1).collect();
    let got = zip_broadcast(&a, a_shape, &b, b_shape, shape, |p, q| p * 1000 + q);
    assert_eq!(got, naive(&a, a_shape, &b, b_shape, shape), "{a_shape:?} with {b_shape:?} to {shape:?}");
}

#[test]
fn rows_agree_with_elementwise_broadcasting() {
    check(&[4, 3], &[4, 3], &[4, 3]);
    check(&[5, 4, 3], &[3], &[5, 4, 3]);
    check(&[5, 4, 3], &[1, 1, 3], &[5, 4, 3]);
    check(&[1, 1, 3], &[5, 4, 3], &[5, 4, 3]);
    check(&[5, 1], &[5, 7], &[5, 7]);
    check(&[5, 7], &[5, 1], &[5, 7]);
    check(&[5, 1], &[1, 7], &[5, 7]);
    check(&[3, 1, 4], &[2, 1], &[3, 2, 4]);
    check(&[2, 1, 3, 1], &[4, 1, 5], &[2, 4, 3, 5]);
    check(&[], &[2, 3], &[2, 3]);
    check(&[1], &[1], &[1]);
    check(&[], &[], &[]);
    check(&[0, 3], &[3], &[0, 3]);
}

#[test]
fn inner_dims_merge_only_where_both_operands_allow() {
    assert_eq!(row_dims(&[5, 4, 3], &[5, 4, 3], &[4, 3]), vec![Dim { len: 5, sa: 12, sb: 0 }, Dim { len: 12, sa: 1, sb: 1 }]);
    assert_eq!(row_dims(&[5, 7], &[5, 1], &[5, 7]), vec![Dim { len: 5, sa: 1, sb: 7 }, Dim { len: 7, sa: 0, sb: 1 }]);
    assert_eq!(row_dims(&[2, 1, 6], &[2, 1, 6], &[]), vec![Dim { len: 12, sa: 1, sb: 0 }]);
}
