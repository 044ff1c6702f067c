//! The losses of `torch.nn` beyond classification and regression: margin ranking, hinge and
//! cosine embedding, soft margin (one-label and multi-label), multi-class margin, Poisson and
//! Gaussian negative log likelihood, each in ATen's (or `torch.nn.functional`'s) steps.
//!
//! Most are composites in PyTorch, so they are composed here from the engine's ops in the same
//! order, which gives PyTorch's bits and its autograd graph (the outer `grad_fn` a lesson
//! prints). `soft_margin_loss` and `multi_margin_loss` are kernels of their own in ATen, with
//! their own backward formulas (SoftMarginLossBackward0, MultiMarginLossBackward0).

use super::autograd::record;
use super::nn::Reduction;
use super::storage::list_str;
use super::{DType, Result, Scalar, Tensor, TensorError, no_grad};

/// A tensor of `shape` and `dtype` from values in f64 (exact in the dtype already).
fn from_f64(values: Vec<f64>, shape: &[usize], dtype: DType) -> Result<Tensor> {
    let a = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(shape), values)
        .map_err(|e| TensorError::runtime(e.to_string()))?;
    Ok(Tensor::from_storage(
        super::storage::Storage::F64(a).cast(dtype),
    ))
}

fn float(v: f64) -> Scalar {
    Scalar::Float(v)
}

/// `apply_loss_reduction`: the mean or sum of all elements, or the elements.
pub fn reduce(t: &Tensor, reduction: Reduction) -> Result<Tensor> {
    match reduction {
        Reduction::Mean => t.mean(None, false),
        Reduction::Sum => t.sum(None, false),
        Reduction::None => Ok(t.clone()),
    }
}

/// `x.clamp_min(lo)` (ClampMinBackward0): the gradient passes where `x > lo` (PyTorch gives
/// none at `x == lo`).
pub fn clamp_min(x: &Tensor, lo: f64) -> Result<Tensor> {
    let out = no_grad(|| x.clamp(Some(float(lo)), None))?;
    let keep = no_grad(|| x.gt_scalar(float(lo)))?;
    Ok(record(
        (*out.storage()).clone(),
        "ClampMinBackward0",
        &[x],
        true,
        move |g, _| {
            Ok(vec![Some(Tensor::where_(
                &keep,
                g,
                &Tensor::zeros(&[], g.dtype()),
            )?)])
        },
    ))
}

/// `F.margin_ranking_loss`: `(-y·(x1 - x2) + margin).clamp_min(0)`, then the reduction.
pub fn margin_ranking_loss(
    x1: &Tensor,
    x2: &Tensor,
    target: &Tensor,
    margin: f64,
    reduction: Reduction,
) -> Result<Tensor> {
    if x1.dim() != x2.dim() || x1.dim() != target.dim() {
        return Err(TensorError::runtime(format!(
            "margin_ranking_loss : All input tensors should have same dimension but got sizes: input1: {}, input2: {}, target: {} ",
            list_str(&x1.shape()),
            list_str(&x2.shape()),
            list_str(&target.shape())
        )));
    }
    let d = target.neg()?.mul(&x1.sub(x2)?)?.add_scalar(float(margin))?;
    reduce(&clamp_min(&d, 0.0)?, reduction)
}

/// `F.hinge_embedding_loss`: `x` where `y != -1`, plus `max(0, margin - x)` where `y != 1`.
pub fn hinge_embedding_loss(
    x: &Tensor,
    target: &Tensor,
    margin: f64,
    reduction: Reduction,
) -> Result<Tensor> {
    let zeros = Tensor::zeros(&x.shape(), x.dtype());
    let margin_clamp = clamp_min(&x.rsub_scalar(float(margin))?, 0.0)?;
    let output_margin = Tensor::where_(&target.ne_scalar(Scalar::Int(1))?, &margin_clamp, &zeros)?;
    let output_self = Tensor::where_(&target.ne_scalar(Scalar::Int(-1))?, x, &zeros)?;
    reduce(&output_margin.add(&output_self)?, reduction)
}

/// `F.cosine_embedding_loss`: the cosine of each pair (sums over the last dim, squared
/// magnitudes plus 1e-12, the square root of their product), then `1 - cos` where `y == 1`
/// and `max(0, cos - margin)` where `y == -1`.
pub fn cosine_embedding_loss(
    x1: &Tensor,
    x2: &Tensor,
    target: &Tensor,
    margin: f64,
    reduction: Reduction,
) -> Result<Tensor> {
    let td = target.dim();
    if td > 1 {
        return Err(TensorError::runtime(
            "0D or 1D target tensor expected, multi-target not supported",
        ));
    }
    let want = td + 1;
    if x1.dim() != want || x2.dim() != want {
        return Err(TensorError::runtime(format!(
            "{td}D target tensor expects {want}D input tensors, but found inputs with sizes {} and {}.",
            list_str(&x1.shape()),
            list_str(&x2.shape())
        )));
    }
    const EPSILON: f64 = 1e-12;
    let d = [td as isize];
    let prod_sum = x1.mul(x2)?.sum(Some(&d), false)?;
    let mag1 = x1
        .mul(x1)?
        .sum(Some(&d), false)?
        .add_scalar(float(EPSILON))?;
    let mag2 = x2
        .mul(x2)?
        .sum(Some(&d), false)?
        .add_scalar(float(EPSILON))?;
    let cos = prod_sum.div(&mag1.mul(&mag2)?.sqrt()?)?;
    let zeros = Tensor::zeros(&cos.shape(), cos.dtype());
    let pos = cos.rsub_scalar(Scalar::Int(1))?;
    let neg = clamp_min(&cos.sub_scalar(float(margin))?, 0.0)?;
    let out_pos = Tensor::where_(&target.eq_scalar(Scalar::Int(1))?, &pos, &zeros)?;
    let out_neg = Tensor::where_(&target.eq_scalar(Scalar::Int(-1))?, &neg, &zeros)?;
    reduce(&out_pos.add(&out_neg)?, reduction)
}

/// `F.soft_margin_loss` (SoftMarginLossBackward0): `log1p(exp(-x·y))`, then the reduction; the
/// gradient is ATen's `(y·exp(-y·x))·(-norm) / (exp(-y·x) + 1) · grad`, norm = 1/N for the mean.
pub fn soft_margin_loss(x: &Tensor, target: &Tensor, reduction: Reduction) -> Result<Tensor> {
    let out = no_grad(|| -> Result<Tensor> {
        reduce(&x.neg()?.mul(target)?.exp()?.log1p()?, reduction)
    })?;
    let (xs, ys) = (super::ops::saved(x), super::ops::saved(target));
    let n = x.numel().max(1);
    Ok(record(
        (*out.storage()).clone(),
        "SoftMarginLossBackward0",
        &[x],
        true,
        move |g, _| {
            let norm = if reduction == Reduction::Mean {
                1.0 / n as f64
            } else {
                1.0
            };
            let z = ys.neg()?.mul(&xs)?.exp()?;
            let gi = ys.mul(&z)?.mul_scalar(float(-norm))?;
            let gi = gi.div(&z.add_scalar(Scalar::Int(1))?)?.mul(g)?;
            Ok(vec![Some(gi)])
        },
    ))
}

/// `F.multilabel_soft_margin_loss`: `-(y·logsigmoid(x) + (1 - y)·logsigmoid(-x))`, times the
/// weight, summed over the class dim and divided by C, then the reduction.
pub fn multilabel_soft_margin_loss(
    x: &Tensor,
    target: &Tensor,
    weight: Option<&Tensor>,
    reduction: Reduction,
) -> Result<Tensor> {
    use super::nn::log_sigmoid;
    let a = target.mul(&log_sigmoid(x)?)?;
    let b = target
        .rsub_scalar(Scalar::Int(1))?
        .mul(&log_sigmoid(&x.neg()?)?)?;
    let mut loss = a.add(&b)?.neg()?;
    if let Some(w) = weight {
        loss = loss.mul(w)?;
    }
    let class_dim = x.dim() as isize - 1;
    let c = if x.dim() == 0 {
        1
    } else {
        x.shape()[x.dim() - 1]
    };
    let loss = loss
        .sum(Some(&[class_dim]), false)?
        .div_scalar(Scalar::Int(c as i64))?;
    reduce(&loss, reduction)
}

/// `F.poisson_nll_loss`: `exp(x) - y·x` (log input) or `x - y·log(x + eps)`, plus Stirling's
/// term `y·log(y) - y + 0.5·log(2π·y)` where `y > 1` when `full`, then the reduction.
pub fn poisson_nll_loss(
    x: &Tensor,
    target: &Tensor,
    log_input: bool,
    full: bool,
    eps: f64,
    reduction: Reduction,
) -> Result<Tensor> {
    let mut loss = if log_input {
        x.exp()?.sub(&target.mul(x)?)?
    } else {
        x.sub(&target.mul(&x.add_scalar(float(eps))?.log()?)?)?
    };
    if full {
        let two_pi_y = target.mul_scalar(float(2.0 * std::f64::consts::PI))?;
        let stirling = target
            .mul(&target.log()?)?
            .sub(target)?
            .add(&two_pi_y.log()?.mul_scalar(float(0.5))?)?;
        loss =
            loss.add(&stirling.masked_fill(&target.le_scalar(Scalar::Int(1))?, Scalar::Int(0))?)?;
    }
    reduce(&loss, reduction)
}

/// `F.gaussian_nll_loss` as `torch.nn.functional` writes it: var's shape checked (one dim
/// short, or one mismatched dim of size 1), no negative entries, clamped to `eps` outside the
/// graph, then `0.5·(log(var) + (x - y)²/var)` (+ `0.5·log(2π)` when `full`).
pub fn gaussian_nll_loss(
    x: &Tensor,
    target: &Tensor,
    var: &Tensor,
    full: bool,
    eps: f64,
    reduction: Reduction,
) -> Result<Tensor> {
    let value = |m: &str| TensorError::Value { msg: m.to_string() };
    if no_grad(|| var.lt_scalar(Scalar::Int(0)))?
        .to_f64_vec()
        .iter()
        .any(|&v| v != 0.0)
    {
        return Err(value("var has negative entry/entries"));
    }
    let (xs, vs) = (x.shape(), var.shape());
    let mut var = var.clone();
    if xs != vs {
        if !xs.is_empty() && xs[..xs.len() - 1] == vs[..] {
            var = var.unsqueeze(-1)?;
        } else if xs.len() == vs.len()
            && xs
                .iter()
                .zip(&vs)
                .filter(|(a, b)| a != b)
                .map(|(_, b)| *b)
                .sum::<usize>()
                == 1
        {
        } else {
            return Err(value("var is of incorrect size"));
        }
    }
    // `var = var.clone()` then `clamp_(min=eps)` under no_grad: the gradient reaches var as if
    // unclamped.
    let var = var.clone_tensor();
    no_grad(|| var.clamp_(Some(float(eps)), None))?;
    let d = x.sub(target)?.pow_scalar(Scalar::Int(2))?;
    let mut loss = var.log()?.add(&d.div(&var)?)?.mul_scalar(float(0.5))?;
    if full {
        loss = loss.add_scalar(float(0.5 * (2.0 * std::f64::consts::PI).ln()))?;
    }
    reduce(&loss, reduction)
}

/// `F.multi_margin_loss` (MultiMarginLossBackward0) as ATen's CPU kernel computes it: per row,
/// `sum over d != y of max(0, margin - x[y] + x[d])^p · w[y]` in the dtype, divided by the
/// class count; the mean and sum accumulate rows in double. Float32 steps are taken in f64 and
/// rounded after each one, which is exact for `+ - * /`.
pub fn multi_margin_loss(
    x: &Tensor,
    target: &Tensor,
    p: i64,
    margin: f64,
    weight: Option<&Tensor>,
    reduction: Reduction,
) -> Result<Tensor> {
    if p != 1 && p != 2 {
        return Err(TensorError::runtime("only p == 1 and p == 2 supported"));
    }
    let nd = x.dim();
    let shape = x.shape();
    if !((nd == 2 && shape[1] != 0) || (nd == 1 && shape[0] != 0) || nd == 0) {
        return Err(TensorError::runtime(format!(
            "Expected non-empty vector or matrix with optional 0-dim batch size, but got: {}",
            list_str(&shape)
        )));
    }
    let (nframe, dim) = match nd {
        0 => (1, 1),
        1 => (1, shape[0]),
        _ => (shape[0], shape[1]),
    };
    if target.dim() > 1 || target.numel() != nframe {
        return Err(TensorError::runtime(format!(
            "inconsistent target size, expected {nframe} but got {}",
            list_str(&target.shape())
        )));
    }
    if let Some(w) = weight.filter(|w| w.dim() > 1 || w.numel() != dim) {
        return Err(TensorError::runtime(format!(
            "inconsistent weight size, expected {dim} but got {}",
            list_str(&w.shape())
        )));
    }
    if target.dtype() != DType::Int64 {
        return Err(TensorError::runtime(format!(
            "expected scalar type Long but found {}",
            super::ops::dtype_name(target.dtype())
        )));
    }
    let dtype = x.dtype();
    if !matches!(dtype, DType::Float32 | DType::Float64) {
        return Err(TensorError::runtime(format!(
            "\"multi_margin_loss_cpu_kernel\" not implemented for '{}'",
            super::ops::dtype_name(dtype)
        )));
    }
    let f32_steps = dtype == DType::Float32;
    let rnd = move |v: f64| if f32_steps { v as f32 as f64 } else { v };
    let xs = x.to_f64_vec();
    let ys: Vec<i64> = target.to_f64_vec().iter().map(|&v| v as i64).collect();
    let ws = weight.map(Tensor::to_f64_vec);
    for &y in &ys {
        if y < 0 || y as usize >= dim {
            return Err(TensorError::runtime("target out of range"));
        }
    }
    let m = rnd(margin);
    let row_sum = |t: usize| {
        let row = &xs[t * dim..(t + 1) * dim];
        let y = ys[t] as usize;
        let mut sum = 0.0;
        for (d, &v) in row.iter().enumerate() {
            if d == y {
                continue;
            }
            let z = rnd(rnd(m - row[y]) + v);
            if z > 0.0 {
                let mut h = if p == 1 { z } else { rnd(z * z) };
                if let Some(w) = &ws {
                    h = rnd(h * w[y]);
                }
                sum = rnd(sum + h);
            }
        }
        rnd(sum / dim as f64)
    };
    let (values, out_shape): (Vec<f64>, Vec<usize>) =
        if reduction == Reduction::None && target.dim() > 0 {
            ((0..nframe).map(row_sum).collect(), vec![nframe])
        } else {
            let mut sum = 0.0f64;
            for t in 0..nframe {
                sum += row_sum(t);
            }
            if reduction == Reduction::Mean {
                sum /= nframe as f64;
            }
            (vec![sum], vec![])
        };
    let out = from_f64(values, &out_shape, dtype)?;
    let g_scale = rnd(if reduction == Reduction::Mean {
        1.0 / (nframe * dim) as f64
    } else {
        1.0 / dim as f64
    });
    Ok(record(
        (*out.storage()).clone(),
        "MultiMarginLossBackward0",
        &[x],
        true,
        move |g, _| {
            let mut gi = vec![0.0; nframe * dim];
            for t in 0..nframe {
                let row = &xs[t * dim..(t + 1) * dim];
                let y = ys[t] as usize;
                let mut gy = 0.0;
                for (d, &v) in row.iter().enumerate() {
                    if d == y {
                        continue;
                    }
                    let z = rnd(rnd(m - row[y]) + v);
                    if z > 0.0 {
                        let mut h = if p == 1 {
                            g_scale
                        } else {
                            rnd(rnd(2.0 * g_scale) * z)
                        };
                        if let Some(w) = &ws {
                            h = rnd(h * w[y]);
                        }
                        gy = rnd(gy - h);
                        gi[t * dim + d] = h;
                    }
                }
                gi[t * dim + y] = gy;
            }
            let gs = g.to_f64_vec();
            if gs.len() == 1 {
                gi.iter_mut().for_each(|v| *v = rnd(*v * gs[0]));
            } else {
                for (i, v) in gi.iter_mut().enumerate() {
                    *v = rnd(*v * gs[i / dim]);
                }
            }
            Ok(vec![Some(from_f64(gi, &shape, dtype)?)])
        },
    ))
}
