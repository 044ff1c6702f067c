//! Finite-difference gradient checks (float64) of the convolutional layers' ops: conv2d,
//! conv1d, max/avg/adaptive pooling and batch norm, in training and evaluation; and of the other
//! layers tutorials build from: layer norm, embedding, interpolation.

use lessonrun::tensor::batchnorm::{batch_norm, BatchNormOptions};
use lessonrun::tensor::conv::{conv, ConvSpec};
use lessonrun::tensor::pool::{adaptive_avg_pool2d, avg_pool2d, max_pool2d, PoolSpec};
use crate::unit::tensor::{gradcheck, leaf64};
use lessonrun::tensor::{Result, Tensor};

/// Distinct, irregular values (no ties, so max pooling is differentiable at them).
fn data(n: usize, seed: f64) -> Vec<f64> {
    (0..n).map(|i| ((i as f64 + 1.0) * 12.9898 + seed * 78.233).sin() * 1.7 + 0.01 * i as f64).collect()
}

fn leaf(shape: &[usize], seed: f64) -> Tensor {
    leaf64(&data(shape.iter().product(), seed), shape)
}

type F = Box<dyn Fn(&[Tensor]) -> Result<Tensor>>;

/// On small chunks, so that the batch and weight-gradient chunking is exercised.
#[test]
fn conv_gradients_match_finite_differences() {
    lessonrun::tensor::kernels::with_small_chunks(conv_gradients_match_finite_differences_body);
}

fn conv_gradients_match_finite_differences_body() {
    let spec = |stride: usize, lo: [usize; 2], hi: [usize; 2], dil: usize, groups: usize| ConvSpec {
        stride: [stride; 2],
        pad_lo: lo,
        pad_hi: hi,
        dilation: [dil; 2],
        groups,
    };
    let cases: Vec<(&str, Vec<Tensor>, F)> = vec![
        ("conv2d", vec![leaf(&[2, 3, 5, 5], 1.0), leaf(&[4, 3, 3, 3], 2.0), leaf(&[4], 3.0)], {
            let s = spec(1, [0, 0], [0, 0], 1, 1);
            Box::new(move |x| conv(&x[0], &x[1], Some(&x[2]), &s, 2))
        }),
        ("conv2d stride padding", vec![leaf(&[1, 2, 6, 5], 4.0), leaf(&[3, 2, 3, 2], 5.0)], {
            let s = spec(2, [1, 1], [1, 1], 1, 1);
            Box::new(move |x| conv(&x[0], &x[1], None, &s, 2))
        }),
        ("conv2d same (asymmetric) dilation groups", vec![leaf(&[2, 4, 5, 5], 6.0), leaf(&[4, 2, 2, 2], 7.0), leaf(&[4], 8.0)], {
            let s = spec(1, [0, 0], [1, 1], 1, 2);
            let d = spec(1, [1, 1], [1, 1], 2, 2);
            Box::new(move |x| conv(&x[0], &x[1], Some(&x[2]), &s, 2)?.add(&conv(&x[0], &x[1], None, &d, 2)?))
        }),
        ("conv2d unbatched", vec![leaf(&[1, 4, 4], 9.0), leaf(&[2, 1, 2, 2], 10.0)], {
            let s = spec(1, [0, 0], [0, 0], 1, 1);
            Box::new(move |x| conv(&x[0], &x[1], None, &s, 2))
        }),
        ("conv1d", vec![leaf(&[2, 2, 7], 11.0), leaf(&[3, 2, 3], 12.0), leaf(&[3], 13.0)], {
            let s = spec(2, [0, 1], [0, 1], 1, 1);
            Box::new(move |x| conv(&x[0], &x[1], Some(&x[2]), &s, 1))
        }),
        ("conv1d padding dilation groups", vec![leaf(&[2, 4, 9], 14.0), leaf(&[6, 2, 3], 15.0), leaf(&[6], 16.0)], {
            let s = ConvSpec { stride: [1, 2], pad_lo: [0, 2], pad_hi: [0, 2], dilation: [1, 2], groups: 2 };
            Box::new(move |x| conv(&x[0], &x[1], Some(&x[2]), &s, 1))
        }),
        ("conv2d stride 3 depthwise", vec![leaf(&[1, 3, 7, 8], 17.0), leaf(&[3, 1, 2, 3], 18.0)], {
            let s = ConvSpec { stride: [3, 2], pad_lo: [1, 0], pad_hi: [1, 0], dilation: [1, 1], groups: 3 };
            Box::new(move |x| conv(&x[0], &x[1], None, &s, 2))
        }),
    ];
    for (name, inputs, f) in &cases {
        gradcheck(name, inputs, f.as_ref());
    }
}

#[test]
fn pooling_gradients_match_finite_differences() {
    let spec = |k: usize, s: usize, p: usize, d: usize, ceil: bool| PoolSpec {
        kernel: [k; 2],
        stride: [s; 2],
        padding: [p; 2],
        dilation: [d; 2],
        ceil_mode: ceil,
    };
    let cases: Vec<(&str, Vec<Tensor>, F)> = vec![
        ("max_pool2d", vec![leaf(&[2, 2, 6, 6], 1.0)], Box::new(move |x| Ok(max_pool2d(&x[0], &spec(2, 2, 0, 1, false))?.0))),
        ("max_pool2d overlapping padded ceil", vec![leaf(&[1, 2, 7, 7], 2.0)], Box::new(move |x| Ok(max_pool2d(&x[0], &spec(3, 2, 1, 1, true))?.0))),
        ("max_pool2d dilated unbatched", vec![leaf(&[2, 7, 7], 3.0)], Box::new(move |x| Ok(max_pool2d(&x[0], &spec(2, 1, 0, 2, false))?.0))),
        ("avg_pool2d", vec![leaf(&[2, 2, 6, 6], 4.0)], Box::new(move |x| avg_pool2d(&x[0], &spec(2, 2, 0, 1, false), true, None))),
        ("avg_pool2d padded exclusive ceil", vec![leaf(&[1, 2, 7, 7], 5.0)], Box::new(move |x| avg_pool2d(&x[0], &spec(3, 2, 1, 1, true), false, None))),
        ("avg_pool2d padded inclusive divisor", vec![leaf(&[1, 1, 5, 5], 6.0)], Box::new(move |x| {
            avg_pool2d(&x[0], &spec(3, 2, 1, 1, false), true, None)?.add(&avg_pool2d(&x[0], &spec(2, 2, 0, 1, true), true, Some(3))?)
        })),
        ("adaptive_avg_pool2d", vec![leaf(&[2, 2, 7, 5], 7.0)], Box::new(|x| adaptive_avg_pool2d(&x[0], 3, 2))),
        ("adaptive_avg_pool2d 1x1", vec![leaf(&[2, 3, 4, 4], 8.0)], Box::new(|x| adaptive_avg_pool2d(&x[0], 1, 1))),
    ];
    for (name, inputs, f) in &cases {
        gradcheck(name, inputs, f.as_ref());
    }
}

#[test]
fn batch_norm_gradients_match_finite_differences() {
    let train = BatchNormOptions { training: true, momentum: 0.1, eps: 1e-5 };
    let eval = BatchNormOptions { training: false, ..train };
    let stats = || (Tensor::from_data(lessonrun::tensor::Data::F64(vec![0.1, -0.2, 0.3]), &[3]).expect("data"), Tensor::from_data(lessonrun::tensor::Data::F64(vec![1.5, 0.7, 2.0]), &[3]).expect("data"));
    let cases: Vec<(&str, Vec<Tensor>, F)> = vec![
        ("batch_norm 4-D train", vec![leaf(&[2, 3, 3, 3], 1.0), leaf(&[3], 2.0), leaf(&[3], 3.0)], Box::new(move |x| {
            batch_norm(&x[0], None, None, Some(&x[1]), Some(&x[2]), &train)
        })),
        ("batch_norm 2-D train", vec![leaf(&[5, 3], 4.0), leaf(&[3], 5.0), leaf(&[3], 6.0)], Box::new(move |x| {
            batch_norm(&x[0], None, None, Some(&x[1]), Some(&x[2]), &train)
        })),
        ("batch_norm 3-D train no affine", vec![leaf(&[2, 3, 4], 7.0)], Box::new(move |x| batch_norm(&x[0], None, None, None, None, &train))),
        ("batch_norm 5-D train", vec![leaf(&[2, 2, 2, 3, 2], 11.0), leaf(&[2], 12.0), leaf(&[2], 13.0)], Box::new(move |x| {
            batch_norm(&x[0], None, None, Some(&x[1]), Some(&x[2]), &train)
        })),
        ("batch_norm 4-D eval", vec![leaf(&[2, 3, 2, 2], 8.0), leaf(&[3], 9.0), leaf(&[3], 10.0)], Box::new(move |x| {
            let (rm, rv) = stats();
            batch_norm(&x[0], Some(&rm), Some(&rv), Some(&x[1]), Some(&x[2]), &eval)
        })),
    ];
    for (name, inputs, f) in &cases {
        gradcheck(name, inputs, f.as_ref());
    }
}

#[test]
fn norm_embedding_and_interpolation_gradients_match_finite_differences() {
    use lessonrun::tensor::interpolate::{interpolate, InterpMode};
    use lessonrun::tensor::nn::{embedding, layer_norm};
    let idx = Tensor::from_data(lessonrun::tensor::Data::I64(vec![2, 0, 2, 3, 1, 2]), &[2, 3]).expect("indices");
    let cases: Vec<(&str, Vec<Tensor>, F)> = vec![
        ("layer_norm last dim", vec![leaf(&[3, 4], 1.0), leaf(&[4], 2.0), leaf(&[4], 3.0)], Box::new(|x| {
            layer_norm(&x[0], &[4], Some(&x[1]), Some(&x[2]), 1e-5)
        })),
        ("layer_norm two dims no affine", vec![leaf(&[2, 3, 2], 4.0)], Box::new(|x| layer_norm(&x[0], &[3, 2], None, None, 1e-5))),
        // (`padding_idx` is left out: by design its row gets no gradient, which finite
        // differences would not agree with.)
        ("embedding", vec![leaf(&[4, 3], 5.0)], Box::new(move |x| embedding(&idx, &x[0], None))),
        ("interpolate nearest", vec![leaf(&[1, 2, 3, 3], 7.0)], Box::new(|x| interpolate(&x[0], &[5, 4], &[None, None], InterpMode::Nearest))),
        ("interpolate bilinear", vec![leaf(&[2, 1, 3, 4], 8.0)], Box::new(|x| {
            interpolate(&x[0], &[5, 7], &[None, None], InterpMode::Linear { align_corners: false })
        })),
        ("interpolate bilinear align_corners", vec![leaf(&[1, 2, 3, 3], 9.0)], Box::new(|x| {
            interpolate(&x[0], &[4, 6], &[None, None], InterpMode::Linear { align_corners: true })
        })),
        ("interpolate linear 1-D scale", vec![leaf(&[1, 2, 5], 10.0)], Box::new(|x| {
            interpolate(&x[0], &[10], &[Some(2.0)], InterpMode::Linear { align_corners: false })
        })),
    ];
    for (name, inputs, f) in &cases {
        gradcheck(name, inputs, f.as_ref());
    }
}
