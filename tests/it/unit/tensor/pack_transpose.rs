//! Unit tests of `tensor::pack_transpose`.

use lessonrun::tensor::pack_transpose::{PackTranspose, gather_runs};

/// Every run width a tile has, with overlapping runs (stride 1) and spaced ones.
#[test]
fn runs_are_laid_end_to_end() {
    for r in 1..=14 {
        for stride in [1, r, r + 3] {
            let count = 9;
            let src: Vec<f32> = (0..(count - 1) * stride + r).map(|i| i as f32).collect();
            let mut dst = vec![-1.0f32; count * r + 2];
            gather_runs(&src, stride, r, count, &mut dst);
            for q in 0..count {
                for i in 0..r {
                    assert_eq!(dst[q * r + i], src[q * stride + i], "r={r} stride={stride}");
                }
            }
            assert_eq!(dst[count * r..], [-1.0, -1.0]);
        }
    }
}

/// Every block shape around the 8x8 steps, with strides wider than the block.
#[test]
fn equals_the_element_by_element_transpose() {
    for rows in [1, 7, 8, 9, 12, 16, 17] {
        for cols in [1, 5, 8, 15, 16, 33] {
            let (ss, ds) = (cols + 3, rows + 2);
            let src: Vec<f32> = (0..rows * ss).map(|i| i as f32).collect();
            let mut dst = vec![-1.0f32; cols * ds];
            f32::transpose_into(&src, ss, rows, cols, &mut dst, ds);
            let mut d64 = vec![-1.0f64; cols * ds];
            let s64: Vec<f64> = src.iter().map(|&x| f64::from(x)).collect();
            f64::transpose_into(&s64, ss, rows, cols, &mut d64, ds);
            for c in 0..cols {
                for r in 0..ds {
                    let want = if r < rows { src[r * ss + c] } else { -1.0 };
                    assert_eq!(dst[c * ds + r], want, "{rows}x{cols} at ({r}, {c})");
                    assert_eq!(d64[c * ds + r], f64::from(want));
                }
            }
        }
    }
}
