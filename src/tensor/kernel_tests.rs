//! Tests that the fast kernels keep the summation and product orders of their scalar
//! definitions bit for bit (the orders themselves are checked against PyTorch by the
//! conformance lessons).

use super::kernels::{self, Float};

/// A deterministic spread of values with very different magnitudes, so that any change in the
/// order of additions shows in the last bits.
fn values<T: Float>(n: usize, seed: u64) -> Vec<T> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let u = (s >> 11) as f64 / (1u64 << 53) as f64;
            let scale = [1e-3, 1.0, 1e3][(s % 3) as usize];
            T::from_f64((u - 0.5) * scale)
        })
        .collect()
}

/// Column `j` of an outer sum, one lane at a time: the leading 4-lane (or 4-vector) blocks by
/// the plain cascade over all rows, the other columns by the 4-way interleaved cascade.
fn outer_sum_by_column<T: Float>(m: &[T], r: usize, c: usize) -> Vec<T> {
    let blocked = if c < T::LANES {
        c / 4 * 4
    } else {
        c / (4 * T::LANES) * (4 * T::LANES)
    };
    (0..c)
        .map(|j| {
            let column: Vec<T> = (0..r).map(|i| m[i * c + j]).collect();
            if j < blocked {
                kernels::multi_row_sum_lane(&column)
            } else {
                kernels::row_sum_lane(&column)
            }
        })
        .collect()
}

fn check_outer_sum<T: Float + std::fmt::Debug>() {
    for &(r, c) in &[
        (2, 3),
        (5, 7),
        (17, 4),
        (33, 9),
        (100, 40),
        (257, 33),
        (1000, 3),
        (3001, 70),
        (64, 200),
    ] {
        let m: Vec<T> = values(r * c, (r * 31 + c) as u64);
        let fast = kernels::outer_sum(&m, r, c);
        let slow = outer_sum_by_column(&m, r, c);
        assert_eq!(fast.len(), c);
        for (j, (a, b)) in fast.iter().zip(&slow).enumerate() {
            assert!(a == b, "{r}x{c} column {j}: {a:?} != {b:?}");
        }
    }
}

#[test]
fn outer_sum_streams_rows_in_each_columns_order_f32() {
    check_outer_sum::<f32>();
}

#[test]
fn outer_sum_streams_rows_in_each_columns_order_f64() {
    check_outer_sum::<f64>();
}
