//! `rrelu_with_noise` (RReLU) as ATen's CPU kernel computes it. In training each element at
//! or below zero draws its slope from `uniform_real_distribution<double>(lower, upper)` (one
//! random64 per such element, in memory order; the bounds first rounded to the input's
//! compute type), the slope is rounded to that type and multiplies the element; the slopes
//! (1 elsewhere) are the noise the backward multiplies the gradient by. In evaluation it is
//! leaky ReLU with slope `(lower + upper) / 2`. grad_fn RreluWithNoiseBackward0 either way.

use super::autograd::record;
use super::storage::Storage;
use super::{DType, Generator, Result, Tensor, TensorError};
use ndarray::{ArrayD, IxDyn};

fn storage(v: Vec<f64>, shape: &[usize], dtype: DType) -> Result<Storage> {
    let a =
        ArrayD::from_shape_vec(IxDyn(shape), v).map_err(|e| TensorError::runtime(e.to_string()))?;
    Ok(Storage::F64(a).cast(dtype))
}

/// `F.rrelu(x, lower, upper, training)`; `g` is drawn from only in training.
pub fn rrelu(
    x: &Tensor,
    g: &mut Generator,
    lower: f64,
    upper: f64,
    training: bool,
) -> Result<Tensor> {
    let dtype = x.dtype();
    if !dtype.is_floating_point() {
        return Err(TensorError::NotImplemented {
            msg: format!(
                "\"rrelu_with_noise_out_cpu\" not implemented for '{}'",
                dtype.scalar_name()
            ),
        });
    }
    let f32s = dtype != DType::Float64;
    // Values rounded to the compute type (float for every dtype but double).
    let round = move |v: f64| if f32s { v as f32 as f64 } else { v };
    let xv = x.to_f64_vec();
    let slope = (lower + upper) / 2.0;
    let noise: Vec<f64> = if training {
        let (lo, hi) = (round(lower), round(upper));
        // `x * (to - from) + from` unfused, as ATen's `uniform_real_distribution` writes it.
        let mut draw = || {
            ((g.random64() & ((1u64 << 53) - 1)) as f64 / 9_007_199_254_740_992.0) * (hi - lo) + lo
        };
        xv.iter()
            .map(|&v| if v <= 0.0 { round(draw()) } else { 1.0 })
            .collect()
    } else {
        let s = round(slope);
        xv.iter().map(|&v| if v > 0.0 { 1.0 } else { s }).collect()
    };
    let out: Vec<f64> = xv
        .iter()
        .zip(&noise)
        .map(|(&v, &r)| {
            if v > 0.0 || v.is_nan() {
                v
            } else {
                round(v * r)
            }
        })
        .collect();
    let shape = x.shape();
    let gshape = shape.clone();
    // ATen multiplies by the noise only when the slopes were drawn from a range wider than 1e-6.
    let drawn = training && upper - lower > 1e-6;
    let grad_noise: Vec<f64> = if drawn {
        noise
    } else {
        xv.iter()
            .map(|&v| if v > 0.0 { 1.0 } else { round(slope) })
            .collect()
    };
    Ok(record(
        storage(out, &shape, dtype)?,
        "RreluWithNoiseBackward0",
        &[x],
        true,
        move |gy, _| {
            let gv: Vec<f64> = gy
                .to_f64_vec()
                .iter()
                .zip(&grad_noise)
                .map(|(&g, &r)| round(g * r))
                .collect();
            Ok(vec![Some(Tensor::from_storage(storage(
                gv, &gshape, dtype,
            )?))])
        },
    ))
}
