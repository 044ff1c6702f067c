//! Tests that the fast kernels keep the summation and product orders of their scalar
//! definitions bit for bit (the orders themselves are checked against PyTorch by the
//! conformance lessons).

use lessonrun::tensor::kernels::{self, Float};

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

/// `reduce_sum` over scattered dims: each output cascades its elements in row-major order,
/// whether they are gathered one by one or as runs of trailing reduced dims.
#[test]
fn scattered_reductions_cascade_each_outputs_elements_in_order() {
    let cases: [(&[usize], &[usize]); 6] = [
        (&[4, 3, 50], &[0, 2]),
        (&[3, 1, 5, 7, 9], &[0, 3, 4]),
        (&[2, 6, 5, 1], &[0, 2]),
        (&[5, 4, 3, 2], &[1, 3]),
        (&[7, 2, 3, 40], &[0, 2, 3]),
        (&[3, 0, 4], &[0, 2]),
    ];
    for (shape, dims) in cases {
        let n: usize = shape.iter().product();
        let x: Vec<f32> = values(n, 7);
        let nd = shape.len();
        let out_shape: Vec<usize> = (0..nd).map(|d| if dims.contains(&d) { 1 } else { shape[d] }).collect();
        let mut groups = vec![Vec::new(); out_shape.iter().product()];
        for (flat, &v) in x.iter().enumerate() {
            let (mut rest, mut o, mut scale) = (flat, 0, 1);
            for d in (0..nd).rev() {
                let i = rest % shape[d];
                rest /= shape[d];
                o += scale * if dims.contains(&d) { 0 } else { i };
                scale *= out_shape[d];
            }
            groups[o].push(v);
        }
        let want: Vec<u32> = groups.iter().map(|g| kernels::cascade_sum(g).to_bits()).collect();
        let got: Vec<u32> = kernels::reduce_sum(&x, shape, dims).iter().map(|v| v.to_bits()).collect();
        assert_eq!(got, want, "{shape:?} over {dims:?}");
    }
}
