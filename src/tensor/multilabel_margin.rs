//! `multilabel_margin_loss` (MultilabelMarginLossBackward0) as ATen's CPU kernel computes it:
//! per sample, the targets up to the first -1 mark the target classes; each target `j` and
//! each non-target `i` add `z = 1 - x[j] + x[i]` (computed in the input's type) when positive,
//! into a double sum; the sum is divided by the class count (and by the sample count for
//! `mean`). The backward adds `∓1/(dim·N)` per positive `z`, then scales by the gradient.

use super::autograd::record;
use super::nn::Reduction;
use super::storage::{Storage, list_str};
use super::{DType, Result, Tensor, TensorError};
use ndarray::{ArrayD, IxDyn};

fn storage(v: Vec<f64>, shape: &[usize], dtype: DType) -> Result<Storage> {
    let a =
        ArrayD::from_shape_vec(IxDyn(shape), v).map_err(|e| TensorError::runtime(e.to_string()))?;
    Ok(Storage::F64(a).cast(dtype))
}

/// Each positive margin term of sample `t` as (target class, other class), in ATen's order.
fn terms(
    x: &[f64],
    y: &[i64],
    dim: usize,
    t: usize,
    round: fn(f64) -> f64,
) -> Vec<(usize, usize, f64)> {
    let (xr, yr) = (&x[t * dim..][..dim], &y[t * dim..][..dim]);
    let targets: Vec<usize> = yr
        .iter()
        .take_while(|&&j| j >= 0)
        .map(|&j| j as usize)
        .collect();
    let mut is_target = vec![false; dim];
    for &j in &targets {
        is_target[j] = true;
    }
    let mut out = Vec::new();
    for &j in &targets {
        for i in (0..dim).filter(|&i| !is_target[i]) {
            let z = round(round(1.0 - xr[j]) + xr[i]);
            if z > 0.0 {
                out.push((j, i, z));
            }
        }
    }
    out
}

fn to_f32(v: f64) -> f64 {
    v as f32 as f64
}
fn same(v: f64) -> f64 {
    v
}

/// `F.multilabel_margin_loss(x, target, reduction)` on a 1-d or (N, C) input with an int64
/// target of its shape.
pub fn multilabel_margin_loss(x: &Tensor, target: &Tensor, reduction: Reduction) -> Result<Tensor> {
    let shape = x.shape();
    let nd = shape.len();
    if !((nd == 2 && shape[1] != 0) || (nd == 1 && shape[0] != 0) || nd == 0) {
        return Err(TensorError::runtime(format!(
            "Expected non-empty vector or matrix with optional 0-dim batch size, but got: {}",
            list_str(&shape)
        )));
    }
    if target.shape() != shape {
        return Err(TensorError::runtime(format!(
            "inconsistent target size: {} for input of size: {}",
            list_str(&target.shape()),
            list_str(&shape)
        )));
    }
    if target.dtype() != DType::Int64 {
        return Err(TensorError::runtime(format!(
            "expected scalar type Long but found {}",
            target.dtype().scalar_name()
        )));
    }
    let dtype = x.dtype();
    if !matches!(dtype, DType::Float32 | DType::Float64) {
        return Err(TensorError::runtime(format!(
            "\"multilabel_margin_loss_forward_out_frame\" not implemented for '{}'",
            dtype.scalar_name()
        )));
    }
    let (n, dim) = match nd {
        0 => (1, 1),
        1 => (1, shape[0]),
        _ => (shape[0], shape[1]),
    };
    let y: Vec<i64> = target.to_f64_vec().iter().map(|&v| v as i64).collect();
    if y.iter().any(|&j| j < -1 || j >= dim as i64) {
        return Err(TensorError::runtime("argument #2 'target' is out of range"));
    }
    let round: fn(f64) -> f64 = if dtype == DType::Float32 {
        to_f32
    } else {
        same
    };
    let xv = x.to_f64_vec();
    let all: Vec<Vec<(usize, usize, f64)>> =
        (0..n).map(|t| terms(&xv, &y, dim, t, round)).collect();
    let per: Vec<f64> = all
        .iter()
        .map(|ts| ts.iter().fold(0.0, |s, t| s + t.2))
        .collect();
    let (out, out_shape) = match reduction {
        Reduction::None if nd == 2 => (per.iter().map(|s| s / dim as f64).collect(), vec![n]),
        Reduction::None => (vec![per[0] / dim as f64], vec![]),
        _ => {
            let mut s = per.iter().fold(0.0, |s, v| s + v) / dim as f64;
            if reduction == Reduction::Mean {
                s /= n as f64;
            }
            (vec![s], vec![])
        }
    };
    let per_sample = reduction == Reduction::None && nd == 2;
    let g = round(if reduction == Reduction::Mean {
        1.0 / (n * dim) as f64
    } else {
        1.0 / dim as f64
    });
    Ok(record(
        storage(out, &out_shape, dtype)?,
        "MultilabelMarginLossBackward0",
        &[x],
        true,
        move |gy, _| {
            let gyv = gy.to_f64_vec();
            let mut gx = vec![0.0; n * dim];
            for (t, ts) in all.iter().enumerate() {
                for &(j, i, _) in ts {
                    gx[t * dim + j] = round(gx[t * dim + j] - g);
                    gx[t * dim + i] = round(gx[t * dim + i] + g);
                }
            }
            for (k, v) in gx.iter_mut().enumerate() {
                *v = round(*v * gyv[if per_sample { k / dim } else { 0 }]);
            }
            Ok(vec![Some(Tensor::from_storage(storage(
                gx, &shape, dtype,
            )?))])
        },
    ))
}
