//! `torch.nn` pieces the tutorials use: Linear (with PyTorch's exact init) and the losses.

use ndarray::{ArrayD, IxDyn};

use super::autograd::record;
use super::kernels::{self, Float};
use super::ops::saved;
use super::random::uniform_;
use super::storage::Storage;
use super::{no_grad, DType, Generator, Result, Scalar, Tensor, TensorError};

/// `nn.Linear(in_features, out_features, bias)`.
#[derive(Clone)]
pub struct Linear {
    pub weight: Tensor,
    pub bias: Option<Tensor>,
    pub in_features: usize,
    pub out_features: usize,
}

impl Linear {
    /// Creates the layer and runs `reset_parameters`: kaiming_uniform_(a=√5) on the weight,
    /// then uniform(±1/√fan_in) on the bias, drawing from `g` in that order.
    pub fn new(in_features: usize, out_features: usize, bias: bool, g: &mut Generator) -> Linear {
        let w = Tensor::zeros(&[out_features, in_features], DType::Float32);
        let fan_in = in_features;
        // All of this is Python double arithmetic in torch.nn.init.
        let a = 5f64.sqrt();
        let gain = (2.0 / (1.0 + a * a)).sqrt();
        let std = gain / (fan_in as f64).sqrt();
        let bound = 3f64.sqrt() * std;
        // Fresh float32 tensors without grad: these fills cannot fail.
        let _ = no_grad(|| uniform_(&w, g, -bound, bound));
        let b = bias.then(|| {
            let b = Tensor::zeros(&[out_features], DType::Float32);
            let bb = if fan_in > 0 { 1.0 / (fan_in as f64).sqrt() } else { 0.0 };
            let _ = no_grad(|| uniform_(&b, g, -bb, bb));
            Tensor::parameter(&b)
        });
        Linear { weight: Tensor::parameter(&w), bias: b, in_features, out_features }
    }

    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        linear(x, &self.weight, self.bias.as_ref())
    }

    /// `model.parameters()` order: weight, then bias.
    pub fn parameters(&self) -> Vec<Tensor> {
        let mut v = vec![self.weight.clone()];
        v.extend(self.bias.clone());
        v
    }

    /// `Linear(in_features=4, out_features=2, bias=True)`.
    pub fn repr(&self) -> String {
        let b = if self.bias.is_some() { "True" } else { "False" };
        format!("Linear(in_features={}, out_features={}, bias={b})", self.in_features, self.out_features)
    }
}

/// `F.linear(x, w, b)`: 2-D input with bias is `addmm` (AddmmBackward0); other ranks flatten
/// the leading dims and view back (UnsafeViewBackward0); without bias it is `x @ w.T`.
pub fn linear(x: &Tensor, w: &Tensor, b: Option<&Tensor>) -> Result<Tensor> {
    let xs = x.shape();
    let ws = w.shape();
    if ws.len() != 2 || xs.is_empty() {
        return Err(TensorError::runtime(format!(
            "linear(): expected a 2-D weight and an input with at least 1 dimension, got {}-D and {}-D",
            ws.len(),
            xs.len()
        )));
    }
    let in_f = xs[xs.len() - 1];
    if in_f != ws[1] {
        let rows: usize = xs[..xs.len() - 1].iter().product();
        return Err(TensorError::MatmulShape { m: rows, k1: in_f, k2: ws[1], n: ws[0] });
    }
    match b {
        None => x.matmul(&w.t()?),
        Some(b) if xs.len() == 2 => Tensor::addmm(b, x, &w.t()?),
        Some(b) => {
            let rows: usize = xs[..xs.len() - 1].iter().product();
            let out = Tensor::addmm(b, &x.reshape_usize(&[rows, in_f])?, &w.t()?)?;
            let mut shape = xs[..xs.len() - 1].to_vec();
            shape.push(ws[0]);
            unsafe_view(&out, &shape)
        }
    }
}

fn unsafe_view(t: &Tensor, shape: &[usize]) -> Result<Tensor> {
    let out = t.storage().reshape(shape)?;
    let in_shape = t.shape();
    Ok(record(out, "UnsafeViewBackward0", &[t], false, move |g, _| Ok(vec![Some(g.reshape_usize(&in_shape)?)])))
}

/// Loss reduction, PyTorch's `reduction=` argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reduction {
    Mean,
    Sum,
    None,
}

/// `F.cross_entropy(input, target, reduction)`. Class-index targets (int64) go through
/// `nll_loss(log_softmax(input, 1))`; float targets of the input's shape are probabilities.
pub fn cross_entropy(input: &Tensor, target: &Tensor, reduction: Reduction) -> Result<Tensor> {
    let class_dim: isize = if input.dim() == 1 { 0 } else { 1 };
    let logp = input.log_softmax(class_dim)?;
    if target.dtype().is_floating_point() {
        if target.shape() != input.shape() {
            return Err(TensorError::runtime(format!(
                "Expected floating point type for target with class probabilities, got {}",
                target.dtype()
            )));
        }
        let prod = logp.mul(target)?;
        return match reduction {
            Reduction::Mean => {
                let n = if input.dim() == 1 { 1 } else { input.numel() / input.shape()[1].max(1) };
                prod.sum(None, false)?.neg()?.div_scalar(Scalar::Int(n as i64))
            }
            Reduction::Sum => prod.sum(None, false)?.neg(),
            Reduction::None => prod.sum(Some(&[class_dim]), false)?.neg(),
        };
    }
    nll_loss(&logp, target, reduction)
}

/// `F.nll_loss(logp, target, reduction)` for (N, C) or (C) input, NllLossBackward0.
pub fn nll_loss(input: &Tensor, target: &Tensor, reduction: Reduction) -> Result<Tensor> {
    const IGNORE: i64 = -100;
    let shape = input.shape();
    let (batch, classes, batched) = match shape.len() {
        1 => (1, shape[0], false),
        2 => (shape[0], shape[1], true),
        d => return Err(TensorError::unsupported(format!("nll_loss on {d}-D input"))),
    };
    if target.dtype() != DType::Int64 {
        return Err(TensorError::runtime(format!(
            "expected scalar type Long but found {}",
            super::ops::dtype_name(target.dtype())
        )));
    }
    let t: Vec<i64> = target.to_scalars().iter().map(|s| s.as_i64()).collect();
    if t.len() != batch || (batched && target.dim() != 1) {
        return Err(TensorError::Value {
            msg: format!("Expected input batch_size ({batch}) to match target batch_size ({}).", t.len()),
        });
    }
    for &c in &t {
        if c != IGNORE && (c < 0 || c >= classes as i64) {
            return Err(TensorError::TargetOutOfBounds { target: c });
        }
    }
    let valid = t.iter().filter(|&&c| c != IGNORE).count();
    let s = input.storage();
    fn forward<T: Float>(v: &[T], t: &[i64], classes: usize, red: Reduction, valid: usize) -> Vec<T> {
        let pick = |b: usize| v[b * classes + t[b] as usize];
        match red {
            Reduction::None => t.iter().enumerate().map(|(b, &c)| if c == IGNORE { T::zero() } else { -pick(b) }).collect(),
            _ => {
                let terms: Vec<(usize, T)> =
                    t.iter().enumerate().filter(|(_, c)| **c != IGNORE).map(|(b, _)| (b, pick(b))).collect();
                let total = kernels::nll_cascade(&terms, t.len());
                vec![if red == Reduction::Mean { total / T::from_f64(valid as f64) } else { total }]
            }
        }
    }
    let out_shape: Vec<usize> = if reduction == Reduction::None && batched { vec![batch] } else { vec![] };
    let err = |e: ndarray::ShapeError| TensorError::runtime(e.to_string());
    let out = match &*s {
        Storage::F32(a) => {
            let v: Vec<f32> = a.iter().copied().collect();
            Storage::F32(ArrayD::from_shape_vec(IxDyn(&out_shape), forward(&v, &t, classes, reduction, valid)).map_err(err)?)
        }
        Storage::F64(a) => {
            let v: Vec<f64> = a.iter().copied().collect();
            Storage::F64(ArrayD::from_shape_vec(IxDyn(&out_shape), forward(&v, &t, classes, reduction, valid)).map_err(err)?)
        }
        _ => {
            return Err(TensorError::runtime(format!(
                "\"nll_loss_out_frame\" not implemented for '{}'",
                super::ops::dtype_name(s.dtype())
            )))
        }
    };
    Ok(record(out, "NllLossBackward0", &[input], false, move |g, _| {
        // grad_input[b, t_b] = -(grad / total_weight) for mean, -grad (per sample) otherwise.
        let gv = g.to_f64_vec();
        let dtype = g.dtype();
        let mut out = vec![0f64; batch * classes];
        for (b, &c) in t.iter().enumerate() {
            if c == IGNORE {
                continue;
            }
            let v = match reduction {
                Reduction::Mean => match dtype {
                    DType::Float32 => -((gv[0] as f32) / (valid as f32)) as f64,
                    _ => -(gv[0] / valid as f64),
                },
                Reduction::Sum => -gv[0],
                Reduction::None => -gv[b],
            };
            out[b * classes + c as usize] = v;
        }
        let gi = Storage::F64(ArrayD::from_shape_vec(IxDyn(&shape), out).map_err(err)?).cast(dtype);
        Ok(vec![Some(Tensor::from_storage(gi))])
    }))
}

/// `F.mse_loss(input, target, reduction)` (MseLossBackward0): `(x - y)^2` then mean/sum.
pub fn mse_loss(input: &Tensor, target: &Tensor, reduction: Reduction) -> Result<Tensor> {
    let (x, y) = (saved(input), saved(target));
    let sq = super::no_grad(|| -> Result<Tensor> {
        let d = x.sub(&y)?;
        d.mul(&d)
    })?;
    let out = super::no_grad(|| match reduction {
        Reduction::Mean => sq.mean(None, false),
        Reduction::Sum => sq.sum(None, false),
        Reduction::None => Ok(sq.clone()),
    })?;
    let numel = sq.numel();
    Ok(record((*out.storage()).clone(), "MseLossBackward0", &[input, target], true, move |g, n| {
        // grad_input = norm * (x - y) * grad, norm = 2/N for mean (a double cast to the dtype).
        let norm = if reduction == Reduction::Mean { 2.0 / numel as f64 } else { 2.0 };
        let gi = x.sub(&y)?.mul_scalar(Scalar::Float(norm))?.mul(g)?;
        Ok(vec![if n[0] { Some(gi.clone()) } else { None }, if n[1] { Some(gi.neg()?) } else { None }])
    }))
}
