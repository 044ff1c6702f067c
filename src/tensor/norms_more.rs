//! Layers beyond conv/pool/batch norm that tutorials use: group norm, instance norm (as ATen
//! composes it, batch norm over a `(1, N·C, ...)` view), PReLU and pixel (un)shuffle.

use super::autograd::record;
use super::batchnorm::{BatchNormOptions, batch_norm};
use super::layer_norm::rowwise_moments;
use super::ops::saved;
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

/// The moments of each `m`-element row of `xs` (f64 values of the dtype), in the dtype's steps.
fn moments_rows(xs: &[f64], m: usize, dtype: DType) -> Vec<(f64, f64)> {
    let rows = xs.len().checked_div(m).unwrap_or(0);
    (0..rows)
        .map(|i| {
            let row = &xs[i * m..(i + 1) * m];
            if dtype == DType::Float32 {
                let r: Vec<f32> = row.iter().map(|&v| v as f32).collect();
                let (a, b) = rowwise_moments(&r);
                (a as f64, b as f64)
            } else {
                rowwise_moments(row)
            }
        })
        .collect()
}

/// `F.group_norm(x, G, weight, bias, eps)` (NativeGroupNormBackward0): each sample's channels
/// split into G groups, each group normalised by its mean and biased variance, then per
/// channel `x·a + b` with `a = rstd·weight`, `b = bias - a·mean`, as ATen's CPU kernel applies
/// it, over the moments of ATen's `RowwiseMoments`. The backward is in f64, rounded once
/// (docs/divergences.md).
pub fn group_norm(
    x: &Tensor,
    groups: usize,
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    eps: f64,
) -> Result<Tensor> {
    let shape = x.shape();
    if shape.len() < 2 {
        return Err(TensorError::runtime(format!(
            "Expected at least 2 dimensions for input tensor but received {}",
            shape.len()
        )));
    }
    let (n, c) = (shape[0], shape[1]);
    if groups == 0 || c % groups != 0 {
        return Err(TensorError::runtime(format!(
            "Expected number of channels in input to be divisible by num_groups, but got input of shape {} and num_groups={groups}",
            list_str(&shape)
        )));
    }
    for (p, what) in [(weight, "weight"), (bias, "bias")] {
        if let Some(p) = p.filter(|p| p.dim() != 1 || p.numel() != c) {
            return Err(TensorError::runtime(format!(
                "Expected {what} to be a vector of size equal to the number of channels in input, but got {what} of shape {} and input of shape {}",
                list_str(&p.shape()),
                list_str(&shape)
            )));
        }
    }
    let dtype = x.dtype();
    if !matches!(dtype, DType::Float32 | DType::Float64) {
        return Err(TensorError::runtime(format!(
            "expected scalar type Float but found {}",
            super::ops::dtype_name(dtype)
        )));
    }
    let f32_steps = dtype == DType::Float32;
    let rnd = move |v: f64| if f32_steps { v as f32 as f64 } else { v };
    let fma = move |a: f64, b: f64, c: f64| {
        if f32_steps {
            (a as f32).mul_add(b as f32, c as f32) as f64
        } else {
            a.mul_add(b, c)
        }
    };
    let hw: usize = shape[2..].iter().product();
    let cg = c / groups;
    let m = cg * hw;
    let xs = x.to_f64_vec();
    let w = weight.map(Tensor::to_f64_vec);
    let b = bias.map(Tensor::to_f64_vec);
    let mut mean = vec![0.0; n * groups];
    let mut rstd = vec![0.0; n * groups];
    let mut out = vec![0.0; xs.len()];
    let moments = moments_rows(&xs, m, dtype);
    for i in 0..n * groups {
        let (mu, var) = moments[i];
        mean[i] = mu;
        // `1 / sqrt(max(var, 0) + eps)` with eps a double: the sum, root and quotient in double.
        rstd[i] = rnd(1.0 / (var.max(0.0) + eps).sqrt());
        for k in 0..cg {
            let ch = (i % groups) * cg + k;
            if w.is_none() && b.is_none() {
                for j in 0..hw {
                    let idx = i * m + k * hw + j;
                    out[idx] = rnd(rnd(xs[idx] - mean[i]) * rstd[i]);
                }
                continue;
            }
            let a = rnd(rstd[i] * w.as_ref().map_or(1.0, |w| w[ch]));
            let bb = fma(-a, mean[i], b.as_ref().map_or(0.0, |b| b[ch]));
            for j in 0..hw {
                let idx = i * m + k * hw + j;
                out[idx] = fma(xs[idx], a, bb);
            }
        }
    }
    let out = from_f64(out, &shape, dtype)?;
    let mut inputs = vec![x];
    inputs.extend(weight);
    inputs.extend(bias);
    let (has_w, has_b) = (weight.is_some(), bias.is_some());
    let wdtype = weight.map_or(dtype, Tensor::dtype);
    Ok(record(
        (*out.storage()).clone(),
        "NativeGroupNormBackward0",
        &inputs,
        true,
        move |g, _| {
            let gs = g.to_f64_vec();
            let mut dx = vec![0.0; gs.len()];
            let mut dw = vec![0.0; c];
            let mut db = vec![0.0; c];
            for i in 0..n * groups {
                let (mu, rs) = (mean[i], rstd[i]);
                let (mut m1, mut m2) = (0.0, 0.0);
                for k in 0..cg {
                    let ch = (i % groups) * cg + k;
                    let wc = w.as_ref().map_or(1.0, |w| w[ch]);
                    for j in 0..hw {
                        let idx = i * m + k * hw + j;
                        let xhat = (xs[idx] - mu) * rs;
                        let d = gs[idx] * wc;
                        m1 += d;
                        m2 += d * xhat;
                        dw[ch] += gs[idx] * xhat;
                        db[ch] += gs[idx];
                    }
                }
                let (m1, m2) = (m1 / m as f64, m2 / m as f64);
                for k in 0..cg {
                    let ch = (i % groups) * cg + k;
                    let wc = w.as_ref().map_or(1.0, |w| w[ch]);
                    for j in 0..hw {
                        let idx = i * m + k * hw + j;
                        let xhat = (xs[idx] - mu) * rs;
                        dx[idx] = rs * (gs[idx] * wc - m1 - xhat * m2);
                    }
                }
            }
            let mut grads = vec![Some(from_f64(dx, &shape, dtype)?)];
            if has_w {
                grads.push(Some(from_f64(dw, &[c], wdtype)?));
            }
            if has_b {
                grads.push(Some(from_f64(db, &[c], wdtype)?));
            }
            Ok(grads)
        },
    ))
}

/// `F.instance_norm` as ATen composes it: batch norm in training mode over the input viewed as
/// `(1, N·C, *)`, with the weight and bias repeated per sample, viewed back. Running
/// statistics, when given, take the mean over the samples of the updated per-sample ones.
/// The arguments are `F.instance_norm`'s, in its order.
#[allow(clippy::too_many_arguments)]
pub fn instance_norm(
    x: &Tensor,
    running_mean: Option<&Tensor>,
    running_var: Option<&Tensor>,
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    use_input_stats: bool,
    momentum: f64,
    eps: f64,
) -> Result<Tensor> {
    let shape = x.shape();
    if shape.len() < 2 {
        return Err(TensorError::runtime(format!(
            "instance_norm expects an input of at least 2 dimensions, but got input of size {}",
            list_str(&shape)
        )));
    }
    let (n, c) = (shape[0], shape[1]);
    let mut flat = vec![1isize, (n * c) as isize];
    flat.extend(shape[2..].iter().map(|&d| d as isize));
    let xr = x.contiguous().view(&flat)?;
    let w = weight.map(|w| w.repeat(&[n])).transpose()?;
    let b = bias.map(|b| b.repeat(&[n])).transpose()?;
    let rm = running_mean.map(|r| r.repeat(&[n])).transpose()?;
    let rv = running_var.map(|r| r.repeat(&[n])).transpose()?;
    let o = BatchNormOptions {
        training: use_input_stats,
        momentum,
        eps,
    };
    let out = batch_norm(&xr, rm.as_ref(), rv.as_ref(), w.as_ref(), b.as_ref(), &o)?;
    no_grad(|| -> Result<()> {
        for (src, dst) in [(rm, running_mean), (rv, running_var)] {
            if let (Some(src), Some(dst)) = (src, dst) {
                dst.copy_(
                    &src.view(&[n as isize, c as isize])?
                        .mean(Some(&[0]), false)?,
                )?;
            }
        }
        Ok(())
    })?;
    let back: Vec<isize> = shape.iter().map(|&d| d as isize).collect();
    out.view(&back)
}

/// The shape of PReLU's weight broadcast against `x`: over dim 1, or dim 0 of a 1-d input.
fn prelu_weight_shape(x: &Tensor, w: &Tensor) -> Result<Vec<usize>> {
    let wn = w.numel();
    if w.dim() > 1 {
        return Err(TensorError::runtime(format!(
            "prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {}",
            w.dim()
        )));
    }
    let nd = x.dim();
    if wn == 1 {
        return Ok(vec![1; nd]);
    }
    let ch = if nd >= 2 {
        x.shape()[1]
    } else if nd == 1 {
        x.shape()[0]
    } else {
        1
    };
    if nd == 0 || ch != wn {
        return Err(TensorError::runtime(format!(
            "Mismatch of parameter numbers and input channel size. Found parameter numbers = {wn} and channel size = {ch}."
        )));
    }
    let mut s = vec![1; nd];
    s[if nd >= 2 { 1 } else { 0 }] = wn;
    Ok(s)
}

/// `F.prelu(x, weight)` (PreluKernelBackward0): `x` where positive, else `weight·x`; the
/// gradients are `grad` or `weight·grad`, and `x·grad` summed into the weight where `x <= 0`.
pub fn prelu(x: &Tensor, weight: &Tensor) -> Result<Tensor> {
    let ws = prelu_weight_shape(x, weight)?;
    let wshape: Vec<isize> = ws.iter().map(|&d| d as isize).collect();
    let wb = weight.reshape(&wshape)?;
    let pos = no_grad(|| x.gt_scalar(Scalar::Int(0)))?;
    let out = no_grad(|| Tensor::where_(&pos, x, &wb.mul(x)?))?;
    let (xs, wsv) = (saved(x), saved(&wb));
    let wshape0 = weight.shape();
    Ok(record(
        (*out.storage()).clone(),
        "PreluKernelBackward0",
        &[x, weight],
        true,
        move |g, need| {
            let z = Tensor::zeros(&[], g.dtype());
            let gx = if need[0] {
                Some(Tensor::where_(&pos, g, &wsv.mul(g)?)?)
            } else {
                None
            };
            let gw = if need[1] {
                let per = Tensor::where_(&pos, &z, &xs.mul(g)?)?;
                let dims: Vec<isize> = (0..per.dim())
                    .filter(|&d| ws[d] == 1)
                    .map(|d| d as isize)
                    .collect();
                let s = if dims.is_empty() {
                    per
                } else {
                    per.sum(Some(&dims), false)?
                };
                let target: Vec<isize> = wshape0.iter().map(|&d| d as isize).collect();
                Some(s.reshape(&target)?)
            } else {
                None
            };
            Ok(vec![gx, gw])
        },
    ))
}

/// `F.pixel_shuffle(x, r)` (`down == false`, PixelShuffleBackward0) and `F.pixel_unshuffle(x, r)`
/// (PixelUnshuffleBackward0): `(*, C·r², H, W)` to `(*, C, H·r, W·r)` and back.
pub fn pixel_shuffle(x: &Tensor, r: usize, down: bool) -> Result<Tensor> {
    let (name, arg) = if down {
        ("pixel_unshuffle", "downscale_factor")
    } else {
        ("pixel_shuffle", "upscale_factor")
    };
    let shape = x.shape();
    let nd = shape.len();
    if nd < 3 {
        return Err(TensorError::runtime(format!(
            "{name} expects input to have at least 3 dimensions, but got input with {nd} dimension(s)"
        )));
    }
    if r == 0 {
        return Err(TensorError::runtime(format!(
            "{name} expects a positive {arg}, but got 0"
        )));
    }
    let (c, h, w) = (shape[nd - 3], shape[nd - 2], shape[nd - 1]);
    let lead: Vec<isize> = shape[..nd - 3].iter().map(|&d| d as isize).collect();
    let k = lead.len() as isize;
    let (mid, perm, fin): (Vec<isize>, Vec<isize>, Vec<isize>) = if down {
        if h % r != 0 {
            return Err(TensorError::runtime(format!(
                "pixel_unshuffle expects height to be divisible by downscale_factor, but input.size(-2)={h} is not divisible by {r}"
            )));
        }
        if w % r != 0 {
            return Err(TensorError::runtime(format!(
                "pixel_unshuffle expects width to be divisible by downscale_factor, but input.size(-1)={w} is not divisible by {r}"
            )));
        }
        let (ri, hi, wi, ci) = (r as isize, (h / r) as isize, (w / r) as isize, c as isize);
        (
            vec![ci, hi, ri, wi, ri],
            vec![0, 2, 4, 1, 3],
            vec![ci * ri * ri, hi, wi],
        )
    } else {
        if c % (r * r) != 0 {
            return Err(TensorError::runtime(format!(
                "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor, but input.size(-3)={c} is not divisible by {}",
                r * r
            )));
        }
        let (ri, hi, wi, ci) = (r as isize, h as isize, w as isize, (c / (r * r)) as isize);
        (
            vec![ci, ri, ri, hi, wi],
            vec![0, 3, 1, 4, 2],
            vec![ci, hi * ri, wi * ri],
        )
    };
    let cat = |tail: &[isize]| lead.iter().chain(tail).copied().collect::<Vec<isize>>();
    let perm: Vec<isize> = (0..k).chain(perm.iter().map(|p| p + k)).collect();
    let out = no_grad(|| {
        x.reshape(&cat(&mid))?
            .permute(&perm)?
            .contiguous()
            .reshape(&cat(&fin))
    })?;
    Ok(record(
        (*out.storage()).clone(),
        if down {
            "PixelUnshuffleBackward0"
        } else {
            "PixelShuffleBackward0"
        },
        &[x],
        false,
        move |g, _| Ok(vec![Some(pixel_shuffle(g, r, !down)?)]),
    ))
}
