//! Unit tests of `tensor::flash_attention`.

use lessonrun::tensor::flash_attention::*;
use lessonrun::tensor::kernels::{self, Float, Mat};
use lessonrun::tensor::storage::Storage;
use lessonrun::tensor::{DType, Result, Scalar, Tensor, TensorError};

#[test]
fn exp_u20_is_close_to_exp_and_zero_below_range() {
    for i in -870..880 {
        let x = i as f32 / 10.0;
        let (got, want) = (exp_u20(x), x.exp());
        if x > -87.0 {
            assert!(((got - want) / want).abs() < 3e-6, "{x}: {got} vs {want}");
        }
    }
    assert_eq!(exp_u20(f32::NEG_INFINITY), 0.0);
    assert_eq!(exp_u20(-100.0), 0.0);
}

#[test]
fn split_sizes_follow_the_query_length() {
    assert_eq!(split_sizes(191), (32, 512));
    assert_eq!(split_sizes(192), (64, 512));
    assert_eq!(split_sizes(768), (256, 512));
}
