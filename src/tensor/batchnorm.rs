//! `batch_norm` over (N, C), (N, C, L) or (N, C, H, W) input with its backward
//! (NativeBatchNormBackward0) and the running-statistics update, in ATen's CPU arithmetic.
//!
//! What was checked against PyTorch (docs/divergences.md, "Batch norm"): per channel the mean
//! is the sum accumulated in double and divided in double, rounded to the input's type; the
//! variance sum accumulates rounded squares of rounded differences in double; `invstd =
//! 1/sqrt(var_sum/M + eps)` in double; the output is `fma(x, alpha, beta)` with
//! `alpha = invstd*weight`, `beta = fma(-mean, alpha, bias)`; the running mean is
//! `f32(m*mean) + f32((1-m)*running)` with `m` the float momentum. In evaluation the running
//! statistics replace the batch ones and `invstd = 1/sqrt(running_var + eps)` in float.

use super::autograd::record;
use super::kernels::Float;
use super::storage::Storage;
use super::{no_grad, DType, Result, Tensor, TensorError};
use ndarray::{ArrayD, IxDyn};

/// `training`, `momentum` (the factor of the new statistic) and `eps` of `F.batch_norm`.
#[derive(Debug, Clone, Copy)]
pub struct BatchNormOptions {
    pub training: bool,
    pub momentum: f64,
    pub eps: f64,
}

fn storage_of(v: Vec<f64>, shape: &[usize], dtype: DType) -> Result<Storage> {
    let a = ArrayD::from_shape_vec(IxDyn(shape), v).map_err(|e| TensorError::runtime(e.to_string()))?;
    Ok(Storage::F64(a).cast(dtype))
}

/// Per-channel results of the forward pass that the backward and the running update need.
struct Stats {
    mean: Vec<f64>,
    invstd: Vec<f64>,
    /// The variance sum (rounded to the input's type), for the running variance.
    var_sum: Vec<f64>,
}

/// Channel `c`'s elements are at `(n * C + c) * inner + i`.
fn forward<T: Float + Into<f64>>(x: &[f64], n: usize, c: usize, inner: usize, run: Option<(&[f64], &[f64])>, w: Option<&[f64]>, b: Option<&[f64]>, o: &BatchNormOptions) -> (Vec<f64>, Stats) {
    let m = n * inner;
    let r = |v: f64| -> f64 { T::from_f64(v).into() };
    let mut st = Stats { mean: vec![0.0; c], invstd: vec![0.0; c], var_sum: vec![0.0; c] };
    let mut out = vec![0.0; x.len()];
    for ch in 0..c {
        let at = |k: usize| (k / inner * c + ch) * inner + k % inner;
        let (mean, invstd) = match (o.training, run) {
            (false, Some((rm, rv))) => {
                let var_eps = T::from_f64(rv[ch]) + T::from_f64(o.eps);
                (rm[ch], (T::one() / var_eps.sqrt()).into())
            }
            _ => {
                let sum: f64 = (0..m).map(|k| x[at(k)]).sum();
                let mean = r(sum / m as f64);
                let var_sum = r((0..m)
                    .map(|k| {
                        let d = T::from_f64(x[at(k)]) - T::from_f64(mean);
                        (d * d).into()
                    })
                    .sum::<f64>());
                st.var_sum[ch] = var_sum;
                (mean, r(1.0 / (var_sum / m as f64 + o.eps).sqrt()))
            }
        };
        st.mean[ch] = mean;
        st.invstd[ch] = invstd;
        let wc = T::from_f64(w.map_or(1.0, |w| w[ch]));
        let alpha = T::from_f64(invstd) * wc;
        let beta = (-T::from_f64(mean)).mul_add(alpha, T::from_f64(b.map_or(0.0, |b| b[ch])));
        for k in 0..m {
            out[at(k)] = T::from_f64(x[at(k)]).mul_add(alpha, beta).into();
        }
    }
    (out, st)
}

/// The new running statistics: `m*new + (1-m)*old` with the float momentum, each product
/// rounded (the running variance takes the unbiased variance).
fn running_update<T: Float + Into<f64>>(old: &[f64], new: &[f64], momentum: f64) -> Vec<f64> {
    let m = T::from_f64(momentum);
    let keep = T::one() - m;
    old.iter().zip(new).map(|(&o, &v)| (m * T::from_f64(v) + keep * T::from_f64(o)).into()).collect()
}

fn channel_error(what: &str, want: usize, got: usize) -> TensorError {
    TensorError::runtime(format!("{what} should contain {want} elements not {got}"))
}

/// `F.batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps)`. In
/// training the batch statistics normalise (biased variance) and, when given, the running
/// buffers are updated in place (unbiased variance); otherwise the running ones normalise.
pub fn batch_norm(x: &Tensor, running_mean: Option<&Tensor>, running_var: Option<&Tensor>, weight: Option<&Tensor>, bias: Option<&Tensor>, o: &BatchNormOptions) -> Result<Tensor> {
    let shape = x.shape();
    if shape.len() < 2 {
        return Err(TensorError::runtime(format!(
            "batch_norm: expected input with at least 2 dimensions, got {}",
            shape.len()
        )));
    }
    if !x.dtype().is_floating_point() {
        let name = if x.dtype() == DType::Int64 { "Long" } else { "Bool" };
        return Err(TensorError::NotImplemented { msg: format!("\"batch_norm\" not implemented for '{name}'") });
    }
    let (n, c) = (shape[0], shape[1]);
    let inner: usize = shape[2..].iter().product();
    if o.training && n * inner == 1 {
        let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
        return Err(TensorError::Value {
            msg: format!("Expected more than 1 value per channel when training, got input size torch.Size([{}])", dims.join(", ")),
        });
    }
    for (t, what) in [(running_mean, "running_mean"), (running_var, "running_var"), (weight, "weight"), (bias, "bias")] {
        if let Some(t) = t.filter(|t| t.numel() != c) {
            return Err(channel_error(what, c, t.numel()));
        }
    }
    if !o.training && (running_mean.is_none() || running_var.is_none()) {
        return Err(TensorError::runtime("running_mean and running_var must be defined in evaluation mode"));
    }
    let dtype = x.dtype();
    let xv = x.to_f64_vec();
    let (rm, rv) = (running_mean.map(Tensor::to_f64_vec), running_var.map(Tensor::to_f64_vec));
    let run = rm.as_deref().zip(rv.as_deref());
    let (w, b) = (weight.map(Tensor::to_f64_vec), bias.map(Tensor::to_f64_vec));
    let (out, st) = match dtype {
        DType::Float32 => forward::<f32>(&xv, n, c, inner, run, w.as_deref(), b.as_deref(), o),
        _ => forward::<f64>(&xv, n, c, inner, run, w.as_deref(), b.as_deref(), o),
    };
    if o.training {
        let m = (n * inner) as f64;
        let unbiased: Vec<f64> = st.var_sum.iter().map(|v| v / (m - 1.0)).collect();
        for (buf, new) in [(running_mean, &st.mean), (running_var, &unbiased)] {
            let Some(buf) = buf else { continue };
            let old = buf.to_f64_vec();
            let upd = match buf.dtype() {
                DType::Float32 => running_update::<f32>(&old, new, o.momentum),
                _ => running_update::<f64>(&old, new, o.momentum),
            };
            let t = Tensor::from_storage(storage_of(upd, &[c], buf.dtype())?.reshape(&buf.shape())?);
            no_grad(|| buf.copy_(&t))?;
        }
    }
    let out = storage_of(out, &shape, dtype)?;
    let mut inputs = vec![x];
    inputs.extend(weight);
    inputs.extend(bias);
    let (has_w, has_b) = (weight.is_some(), bias.is_some());
    let (wdtype, bdtype) = (weight.map_or(dtype, Tensor::dtype), bias.map_or(dtype, Tensor::dtype));
    let training = o.training;
    Ok(record(out, "NativeBatchNormBackward0", &inputs, true, move |g, _| {
        let gv = g.to_f64_vec();
        let m = n * inner;
        let mut gx = vec![0.0; gv.len()];
        let (mut gw, mut gb) = (vec![0.0; c], vec![0.0; c]);
        for ch in 0..c {
            let at = |k: usize| (k / inner * c + ch) * inner + k % inner;
            let (mean, invstd) = (st.mean[ch], st.invstd[ch]);
            let wc = w.as_ref().map_or(1.0, |w| w[ch]);
            let sum: f64 = (0..m).map(|k| gv[at(k)]).sum();
            let dotp: f64 = (0..m).map(|k| (xv[at(k)] - mean) * gv[at(k)]).sum();
            gw[ch] = dotp * invstd;
            gb[ch] = sum;
            for k in 0..m {
                let i = at(k);
                gx[i] = if training {
                    let kk = dotp * invstd * invstd / m as f64;
                    (gv[i] - sum / m as f64 - (xv[i] - mean) * kk) * invstd * wc
                } else {
                    gv[i] * invstd * wc
                };
            }
        }
        let mut grads = vec![Some(Tensor::from_storage(storage_of(gx, &shape, dtype)?))];
        if has_w {
            grads.push(Some(Tensor::from_storage(storage_of(gw, &[c], wdtype)?)));
        }
        if has_b {
            grads.push(Some(Tensor::from_storage(storage_of(gb, &[c], bdtype)?)));
        }
        Ok(grads)
    }))
}
