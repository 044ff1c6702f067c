//! `torch.nn` pieces the tutorials use: Linear (with PyTorch's exact init) and the losses.

use ndarray::{ArrayD, IxDyn};

use super::autograd::record;
use super::kernels::{self, Float};
use super::ops::saved;
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
    pub fn new(in_features: usize, out_features: usize, bias: bool, g: &mut Generator, dtype: DType) -> Linear {
        let fan_in = in_features;
        // All of this is Python double arithmetic in torch.nn.init.
        let a = 5f64.sqrt();
        let gain = (2.0 / (1.0 + a * a)).sqrt();
        let std = gain / (fan_in as f64).sqrt();
        let bound = 3f64.sqrt() * std;
        // Drawn straight into new tensors of `dtype` (the lesson's default) (a zero tensor filled in place would hold two
        // arrays at once); this fails only over the memory budget, which the caller checks
        // first (`check_size`), and a zero tensor then takes its place.
        let drawn = |g: &mut Generator, shape: &[usize], bound: f64| {
            super::uniform(g, shape, dtype, -bound, bound).unwrap_or_else(|_| Tensor::zeros(shape, dtype))
        };
        let w = drawn(g, &[out_features, in_features], bound);
        let b = bias.then(|| {
            let bb = if fan_in > 0 { 1.0 / (fan_in as f64).sqrt() } else { 0.0 };
            Tensor::parameter(&drawn(g, &[out_features], bb))
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
        let op = if b.is_some() { "addmm" } else { "mm" };
        return Err(TensorError::MatmulShape { op, m: rows, k1: in_f, k2: ws[1], n: ws[0] });
    }
    let out = match b {
        None => x.matmul(&w.t()?)?,
        Some(b) if xs.len() == 2 => Tensor::addmm(b, x, &w.t()?)?,
        Some(b) => {
            let rows: usize = xs[..xs.len() - 1].iter().product();
            let out = Tensor::addmm(b, &x.reshape_usize(&[rows, in_f])?, &w.t()?)?;
            let mut shape = xs[..xs.len() - 1].to_vec();
            shape.push(ws[0]);
            out.unsafe_view(&shape)?
        }
    };
    // Inside vmap, a batch element's product is a block of rows of the batch's (vmap_rows.rs);
    // without a bias `matmul` has already taken them.
    if b.is_some() && super::vmap_rows::active() {
        super::vmap_rows::apply(&out, x, &w.t()?, b)?;
    }
    Ok(out)
}


/// Loss reduction, PyTorch's `reduction=` argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reduction {
    Mean,
    Sum,
    None,
}

/// Options of `F.cross_entropy` / `nn.CrossEntropyLoss` beyond the reduction.
#[derive(Clone)]
pub struct CrossEntropyOptions {
    pub weight: Option<Tensor>,
    pub ignore_index: i64,
    pub reduction: Reduction,
    pub label_smoothing: f64,
}

impl Default for CrossEntropyOptions {
    fn default() -> Self {
        CrossEntropyOptions { weight: None, ignore_index: -100, reduction: Reduction::Mean, label_smoothing: 0.0 }
    }
}

/// `F.cross_entropy(input, target, reduction)`. Class-index targets (int64) go through
/// `nll_loss(log_softmax(input, 1))`; float targets of the input's shape are probabilities.
pub fn cross_entropy(input: &Tensor, target: &Tensor, reduction: Reduction) -> Result<Tensor> {
    cross_entropy_with(input, target, &CrossEntropyOptions { reduction, ..CrossEntropyOptions::default() })
}

/// `F.cross_entropy` with class weights, ignore_index and label smoothing, composed the way
/// ATen's `cross_entropy_loss` composes them (so the grad_fn and roundings agree).
pub fn cross_entropy_with(input: &Tensor, target: &Tensor, o: &CrossEntropyOptions) -> Result<Tensor> {
    let class_dim: isize = if input.dim() == 1 { 0 } else { 1 };
    let classes = input.shape().get(class_dim as usize).copied().unwrap_or(1);
    let logp = input.log_softmax(class_dim)?;
    let ls = o.label_smoothing;
    if !(0.0..=1.0).contains(&ls) {
        return Err(TensorError::runtime(format!("label_smoothing must be between 0.0 and 1.0. Got: {ls}")));
    }
    if target.dtype().is_floating_point() {
        if target.shape() != input.shape() {
            return Err(TensorError::runtime(format!(
                "Expected floating point type for target with class probabilities, got {}",
                target.dtype()
            )));
        }
        // target' = target * (1 - ls) + ls / C
        let t = if ls > 0.0 {
            target.mul_scalar(Scalar::Float(1.0 - ls))?.add_scalar(Scalar::Float(ls / classes as f64))?
        } else {
            target.clone()
        };
        let mut prod = logp.mul(&t)?;
        if let Some(w) = &o.weight {
            let mut shape = vec![1; input.dim()];
            shape[class_dim as usize] = classes;
            prod = prod.mul(&w.reshape_usize(&shape)?)?;
        }
        return match o.reduction {
            Reduction::Mean => {
                let n = if input.dim() == 1 { 1 } else { input.numel() / classes.max(1) };
                prod.sum(None, false)?.neg()?.div_scalar(Scalar::Int(n as i64))
            }
            Reduction::Sum => prod.sum(None, false)?.neg(),
            Reduction::None => prod.sum(Some(&[class_dim]), false)?.neg(),
        };
    }
    let nll = nll_loss_with(&logp, target, o.weight.as_ref(), o.ignore_index, o.reduction)?;
    if ls <= 0.0 {
        return Ok(nll);
    }
    let ignore = target.eq_scalar(Scalar::Int(o.ignore_index))?;
    let per_sample = match &o.weight {
        Some(w) => {
            let mut shape = vec![1; input.dim()];
            shape[class_dim as usize] = classes;
            logp.mul(&w.reshape_usize(&shape)?)?.sum(Some(&[class_dim]), false)?.neg()?
        }
        None => logp.sum(Some(&[class_dim]), false)?.neg()?,
    };
    let smooth = Tensor::where_(&ignore, &Tensor::zeros(&[], per_sample.dtype()), &per_sample)?;
    let ret = match o.reduction {
        Reduction::Mean => match &o.weight {
            Some(w) => {
                let kept: Vec<i64> = target
                    .to_scalars()
                    .iter()
                    .map(|s| s.as_i64())
                    .filter(|&c| c != o.ignore_index)
                    .collect();
                smooth.sum(None, false)?.div(&w.detach().index_select(0, &kept)?.sum(None, false)?)?
            }
            None => smooth.sum(None, false)?.div(&ignore.logical_not().sum(None, false)?)?,
        },
        Reduction::Sum => smooth.sum(None, false)?,
        Reduction::None => smooth,
    };
    nll.mul_scalar(Scalar::Float(1.0 - ls))?.add(&ret.mul_scalar(Scalar::Float(ls / classes as f64))?)
}

/// `F.nll_loss(logp, target, reduction)` for (N, C) or (C) input, NllLossBackward0.
pub fn nll_loss(input: &Tensor, target: &Tensor, reduction: Reduction) -> Result<Tensor> {
    nll_loss_with(input, target, None, -100, reduction)
}

/// `F.nll_loss` with class weights and ignore_index, for (C), (N, C) and (N, C, d1, ...) input.
/// The batch is summed with LossNLL.cpp's 8-level cascade; `mean` divides by the (cascaded) sum
/// of the targets' weights. Spatial input goes through ATen's `nll_loss2d` (3-D and 5-D+ input
/// viewed as (N, C, 1, rest), as `nll_loss_nd` does): the same cascade over the (n, position)
/// pairs in memory order, its node NllLoss2DBackward0, viewed back to the target's shape for
/// `reduction="none"`.
pub fn nll_loss_with(
    input: &Tensor,
    target: &Tensor,
    weight: Option<&Tensor>,
    ignore_index: i64,
    reduction: Reduction,
) -> Result<Tensor> {
    let shape = input.shape();
    // (batch, classes, positions per sample)
    let (batch, classes, map) = match shape.len() {
        0 => return Err(TensorError::runtime("input tensor should be 1D or 2D")),
        1 => (1, shape[0], 1),
        _ => (shape[0], shape[1], shape[2..].iter().product::<usize>()),
    };
    let spatial = shape.len() > 2;
    if target.dtype() != DType::Int64 {
        return Err(TensorError::runtime(format!(
            "expected scalar type Long but found {}",
            super::ops::dtype_name(target.dtype())
        )));
    }
    let tshape = target.shape();
    if spatial {
        // 4-D input goes to nll_loss2d as it is, with its own checks; the rest are reshaped
        // after nll_loss_nd compares the target's shape.
        let want: Vec<usize> = std::iter::once(shape[0]).chain(shape[2..].iter().copied()).collect();
        let list = |v: &[usize]| format!("[{}]", v.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", "));
        if shape.len() == 4 && tshape.len() != 3 {
            return Err(TensorError::runtime(format!(
                "only batches of spatial targets supported (3D tensors) but got targets of dimension: {}",
                tshape.len()
            )));
        }
        if shape.len() == 4 && tshape != want {
            return Err(TensorError::runtime(format!(
                "size mismatch (got input: {} , target: {}",
                list(&shape),
                list(&tshape)
            )));
        }
        if tshape != want {
            return Err(TensorError::runtime(format!("Expected target size {}, got {}", list(&want), list(&tshape))));
        }
        if shape.len() != 4 {
            // nll_loss_nd: views as (N, C, 1, rest) and (N, 1, rest), and back for `none`.
            let x4 = input.reshape_usize(&[batch, classes, 1, map])?;
            let t4 = target.reshape_usize(&[batch, 1, map])?;
            let out = nll_loss_with(&x4, &t4, weight, ignore_index, reduction)?;
            return if reduction == Reduction::None { out.reshape_usize(&tshape) } else { Ok(out) };
        }
    }
    let t: Vec<i64> = target.to_scalars().iter().map(|s| s.as_i64()).collect();
    if t.len() != batch * map || (shape.len() == 2 && target.dim() != 1) {
        return Err(TensorError::Value {
            msg: format!("Expected input batch_size ({batch}) to match target batch_size ({}).", t.len()),
        });
    }
    for &c in &t {
        if c != ignore_index && (c < 0 || c >= classes as i64) {
            return Err(TensorError::TargetOutOfBounds { target: c });
        }
    }
    let w: Option<Vec<f64>> = match weight {
        Some(w) if w.numel() != classes => {
            return Err(TensorError::runtime(format!(
                "weight tensor should be defined either for all {classes} classes or no classes but got weight tensor of shape: {}",
                super::storage::list_str(&w.shape())
            )))
        }
        Some(w) => Some(w.storage().cast(input.dtype()).to_f64_vec()),
        None => None,
    };
    // Flat index of the input element each (n, position) pair picks for class c.
    let at = move |i: usize, c: i64| (i / map) * classes * map + c as usize * map + i % map;
    let s = input.storage();
    // The node's output: per pair for `none` ((N) or (N, H, W)), a scalar otherwise.
    let node_shape: Vec<usize> = match (reduction, shape.len()) {
        (Reduction::None, 2) => vec![batch],
        (Reduction::None, 4) => tshape.clone(),
        _ => vec![],
    };
    let err = |e: ndarray::ShapeError| TensorError::runtime(e.to_string());
    let (out, total_weight) = match &*s {
        Storage::F32(a) => {
            let v = a.as_standard_layout();
            let v = v.as_slice().unwrap_or(&[]);
            let picked: Vec<f32> = t.iter().enumerate().map(|(i, &c)| if c == ignore_index { 0.0 } else { v[at(i, c)] }).collect();
            let w32 = w.as_ref().map(|w| w.iter().map(|&x| x as f32).collect::<Vec<f32>>());
            let (o, tw) = nll_forward(&picked, &t, w32.as_deref(), ignore_index, reduction);
            (Storage::F32(ArrayD::from_shape_vec(IxDyn(&node_shape), o).map_err(err)?), tw as f64)
        }
        Storage::F64(a) => {
            let v = a.as_standard_layout();
            let v = v.as_slice().unwrap_or(&[]);
            let picked: Vec<f64> = t.iter().enumerate().map(|(i, &c)| if c == ignore_index { 0.0 } else { v[at(i, c)] }).collect();
            let (o, tw) = nll_forward(&picked, &t, w.as_deref(), ignore_index, reduction);
            (Storage::F64(ArrayD::from_shape_vec(IxDyn(&node_shape), o).map_err(err)?), tw)
        }
        _ => {
            return Err(TensorError::runtime(format!(
                "\"nll_loss_out_frame\" not implemented for '{}'",
                super::ops::dtype_name(s.dtype())
            )))
        }
    };
    let name = if spatial { "NllLoss2DBackward0" } else { "NllLossBackward0" };
    Ok(record(out, name, &[input], false, move |g, _| {
        // grad_input[n, t, pos] = -w_t * grad / total_weight (mean) or -w_t * grad, computed
        // in the gradient's dtype and written into a zeroed buffer of that dtype.
        let gv = g.to_f64_vec();
        let dtype = g.dtype();
        let picks = t.iter().enumerate().filter(|&(_, &c)| c != ignore_index).map(|(i, &c)| {
            let wt = w.as_ref().map(|w| w[c as usize]);
            let v = match dtype {
                DType::Float32 => {
                    let go = match reduction {
                        Reduction::Mean => -((gv[0] as f32) / (total_weight as f32)),
                        Reduction::Sum => -(gv[0] as f32),
                        Reduction::None => -(gv[i] as f32),
                    };
                    (wt.map_or(go, |w| (w as f32) * go)) as f64
                }
                _ => {
                    let go = match reduction {
                        Reduction::Mean => -(gv[0] / total_weight),
                        Reduction::Sum => -gv[0],
                        Reduction::None => -gv[i],
                    };
                    wt.map_or(go, |w| w * go)
                }
            };
            (at(i, c), v)
        });
        let n = batch * classes * map;
        let gi = if dtype == DType::Float32 {
            let mut out = vec![0f32; n];
            picks.for_each(|(k, v)| out[k] = v as f32);
            Storage::F32(ArrayD::from_shape_vec(IxDyn(&shape), out).map_err(err)?)
        } else {
            let mut out = vec![0f64; n];
            picks.for_each(|(k, v)| out[k] = v);
            Storage::F64(ArrayD::from_shape_vec(IxDyn(&shape), out).map_err(err)?).cast(dtype)
        };
        Ok(vec![Some(Tensor::from_storage(gi))])
    }))
}

/// The per-pair values (reduction none) or the reduced loss, plus the total weight; `picked`
/// holds the input at each pair's target class (anything where the target is ignored).
fn nll_forward<T: Float>(picked: &[T], t: &[i64], w: Option<&[T]>, ignore: i64, red: Reduction) -> (Vec<T>, T) {
    let weight_of = |c: i64| w.map_or(T::one(), |w| w[c as usize]);
    let term = |i: usize, c: i64| if w.is_some() { picked[i] * weight_of(c) } else { picked[i] };
    if red == Reduction::None {
        let o = t.iter().enumerate().map(|(i, &c)| if c == ignore { T::zero() } else { -term(i, c) }).collect();
        return (o, T::zero());
    }
    let kept: Vec<(usize, i64)> = t.iter().enumerate().filter(|(_, c)| **c != ignore).map(|(i, &c)| (i, c)).collect();
    let loss = kernels::nll_cascade(&kept.iter().map(|&(i, c)| (i, term(i, c))).collect::<Vec<_>>(), t.len());
    let total_weight = match w {
        // The weights go through the same cascade (added, not subtracted).
        Some(_) => -kernels::nll_cascade(&kept.iter().map(|&(i, c)| (i, weight_of(c))).collect::<Vec<_>>(), t.len()),
        None => T::from_f64(kept.len() as f64),
    };
    let out = if red == Reduction::Mean { loss / total_weight } else { loss };
    (vec![out], total_weight)
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

/// `F.l1_loss`: PyTorch composes it as `(x - y).abs()` then the reduction (MeanBackward0).
pub fn l1_loss(input: &Tensor, target: &Tensor, reduction: Reduction) -> Result<Tensor> {
    reduce(&input.sub(target)?.abs()?, reduction)
}

fn reduce(t: &Tensor, reduction: Reduction) -> Result<Tensor> {
    match reduction {
        Reduction::Mean => t.mean(None, false),
        Reduction::Sum => t.sum(None, false),
        Reduction::None => Ok(t.clone()),
    }
}

/// The gradient of an element-wise loss as ATen's backward kernels compute it, in the dtype:
/// `(d, norm, grad, param, vectorised)` with `d = x - y` and `norm` = 1/N (mean) or 1 rounded
/// to the dtype; `vectorised` says whether the element falls in `cpu_kernel_vec`'s vector part.
type LossGrad<T> = fn(T, T, T, f64, bool) -> T;

/// An element-wise loss with its own backward node: forward `f(x, y)` per element, then the
/// reduction; backward `df` per element (see `LossGrad`) for the input and its negation for
/// the target.
#[allow(clippy::too_many_arguments)]
fn pointwise_loss(
    name: &'static str,
    input: &Tensor,
    target: &Tensor,
    reduction: Reduction,
    f32f: fn(f32, f32, f32) -> f32,
    f64f: fn(f64, f64, f64) -> f64,
    df32: LossGrad<f32>,
    df64: LossGrad<f64>,
    param: f64,
) -> Result<Tensor> {
    let dtype = input.dtype();
    if !dtype.is_floating_point() {
        return Err(TensorError::runtime(format!("\"{name}\" not implemented for '{}'", super::ops::dtype_name(dtype))));
    }
    let shape = super::storage::broadcast_shapes(&input.shape(), &target.shape())?;
    let (x, y) = (input.storage().cast(dtype).expand(&shape)?, target.storage().cast(dtype).expand(&shape)?);
    let per = zip_storages(&x, &y, &y, |a, b, _| f32f(a, b, param as f32), |a, b, _| f64f(a, b, param))?;
    let per = Tensor::from_storage(per);
    let out = no_grad(|| reduce(&per, reduction))?;
    let n = per.numel();
    // ATen passes the norm as a double Scalar that the kernel converts to the dtype.
    let norm = if reduction == Reduction::Mean { 1.0 / n as f64 } else { 1.0 };
    Ok(record((*out.storage()).clone(), name, &[input, target], true, move |g, needs| {
        let gs = g.storage().cast(dtype).expand(&shape)?;
        let vec_end = n - n % kernels::VEC_LOOP_F32;
        let d = match (&x, &y, &gs) {
            (Storage::F32(a), Storage::F32(b), Storage::F32(c)) => {
                let v = a.iter().zip(b.iter()).zip(c.iter()).enumerate();
                let v = v.map(|(i, ((&a, &b), &c))| df32(a - b, norm as f32, c, param, i < vec_end)).collect();
                Storage::F32(ArrayD::from_shape_vec(IxDyn(&shape), v).map_err(|e| TensorError::runtime(e.to_string()))?)
            }
            (Storage::F64(a), Storage::F64(b), Storage::F64(c)) => {
                let vec_end = n - n % (kernels::VEC_LOOP_F32 / 2);
                let v = a.iter().zip(b.iter()).zip(c.iter()).enumerate();
                let v = v.map(|(i, ((&a, &b), &c))| df64(a - b, norm, c, param, i < vec_end)).collect();
                Storage::F64(ArrayD::from_shape_vec(IxDyn(&shape), v).map_err(|e| TensorError::runtime(e.to_string()))?)
            }
            _ => return Err(TensorError::runtime("internal dtype mismatch")),
        };
        let gi = Tensor::from_storage(d);
        Ok(vec![if needs[0] { Some(gi.clone()) } else { None }, if needs[1] { Some(gi.neg()?) } else { None }])
    }))
}

fn abs<T: Float>(x: T) -> T {
    if x < T::zero() { T::zero() - x } else { x }
}

/// huber_kernel: `z < delta ? 0.5·z·z : delta·(z - 0.5·delta)` with `z = |x - y|`, in the dtype.
fn huber_f<T: Float>(x: T, y: T, d: T) -> T {
    let half = T::from_f64(0.5);
    let z = abs(x - y);
    if z < d { half * z * z } else { d * (z - half * d) }
}

/// smooth_l1_kernel: `z < beta ? 0.5·z·z/beta : z - 0.5·beta`, in the dtype.
fn smooth_l1_f<T: Float>(x: T, y: T, b: T) -> T {
    let half = T::from_f64(0.5);
    let z = abs(x - y);
    if z < b { half * z * z / b } else { z - half * b }
}

/// huber_backward's kernel: `±norm·grad·delta` outside the band, `norm·x·grad` inside. The
/// scalar tail multiplies by `delta` as the double it was given (then rounds); the vector part
/// by `delta` in the dtype.
fn huber_grad<T: Float + Into<f64>>(x: T, norm: T, g: T, delta: f64, vec: bool) -> T {
    let d = T::from_f64(delta);
    let times_delta = |v: T| if vec { v * d } else { T::from_f64(v.into() * delta) };
    if x <= T::zero() - d {
        times_delta((T::zero() - norm) * g)
    } else if x >= d {
        times_delta(norm * g)
    } else {
        norm * x * g
    }
}

/// smooth_l1_backward's kernel: the vector form `deriv·norm·grad` with deriv = x/beta or ±1;
/// the scalar tail `norm·x·grad/beta` inside the band and `±norm·grad` outside.
fn smooth_l1_grad<T: Float>(x: T, norm: T, g: T, beta: f64, vec: bool) -> T {
    let beta = T::from_f64(beta);
    if vec {
        let deriv = if (if x < T::zero() { T::zero() - x } else { x }) >= beta {
            if x > T::zero() { T::one() } else { T::zero() - T::one() }
        } else {
            x / beta
        };
        deriv * norm * g
    } else if x <= T::zero() - beta {
        (T::zero() - norm) * g
    } else if x >= beta {
        norm * g
    } else {
        norm * x * g / beta
    }
}

/// `F.huber_loss(input, target, delta)` (HuberLossBackward0).
pub fn huber_loss(input: &Tensor, target: &Tensor, reduction: Reduction, delta: f64) -> Result<Tensor> {
    pointwise_loss("HuberLossBackward0", input, target, reduction, huber_f, huber_f, huber_grad, huber_grad, delta)
}

/// `F.smooth_l1_loss(input, target, beta)` (SmoothL1LossBackward0).
pub fn smooth_l1_loss(input: &Tensor, target: &Tensor, reduction: Reduction, beta: f64) -> Result<Tensor> {
    pointwise_loss("SmoothL1LossBackward0", input, target, reduction, smooth_l1_f, smooth_l1_f, smooth_l1_grad, smooth_l1_grad, beta)
}

/// The per-element arithmetic of ATen's `binary_cross_entropy` kernels (Loss.cpp, built for
/// baseline x86-64, so nothing is fused), in the tensor's dtype.
trait BceFloat: Float {
    fn log1p(self) -> Self;
    fn maxf(self, o: Self) -> Self;
}

macro_rules! bce_float {
    ($t:ty) => {
        impl BceFloat for $t {
            fn log1p(self) -> Self {
                self.ln_1p()
            }
            fn maxf(self, o: Self) -> Self {
                // std::max(a, b): `a < b ? b : a`, so a NaN first argument stays.
                if self < o { o } else { self }
            }
        }
    };
}
bce_float!(f32);
bce_float!(f64);

/// `(y - 1)·max(log1p(-x), -100) - y·max(log(x), -100)`.
fn bce_forward<T: BceFloat>(x: T, y: T) -> T {
    let hundred = T::from_f64(-100.0);
    (y - T::one()) * (-x).log1p().maxf(hundred) - y * x.ln().maxf(hundred)
}

/// `grad·(x - y) / max((1 - x)·x, 1e-12)`.
fn bce_backward<T: BceFloat>(g: T, x: T, y: T) -> T {
    g * (x - y) / ((T::one() - x) * x).maxf(T::from_f64(1e-12))
}

/// The target's gradient, `-logit(x)·grad` (*unverified* against PyTorch).
fn bce_target_backward<T: BceFloat>(g: T, x: T) -> T {
    -(x / (T::one() - x)).ln() * g
}

fn zip_storages(a: &Storage, b: &Storage, c: &Storage, f32f: impl Fn(f32, f32, f32) -> f32, f64f: impl Fn(f64, f64, f64) -> f64) -> Result<Storage> {
    let shape = IxDyn(&a.shape());
    let err = |e: ndarray::ShapeError| TensorError::runtime(e.to_string());
    Ok(match (a, b, c) {
        (Storage::F32(a), Storage::F32(b), Storage::F32(c)) => Storage::F32(ArrayD::from_shape_vec(shape, zip3(a, b, c, f32f)).map_err(err)?),
        (Storage::F64(a), Storage::F64(b), Storage::F64(c)) => Storage::F64(ArrayD::from_shape_vec(shape, zip3(a, b, c, f64f)).map_err(err)?),
        _ => return Err(TensorError::runtime("internal dtype mismatch")),
    })
}

/// `f` over three arrays of one shape in logical order; plain slices when all three are
/// contiguous (the common case), ndarray's iterators otherwise.
fn zip3<T: Copy>(a: &ArrayD<T>, b: &ArrayD<T>, c: &ArrayD<T>, f: impl Fn(T, T, T) -> T) -> Vec<T> {
    match (a.as_slice(), b.as_slice(), c.as_slice()) {
        (Some(a), Some(b), Some(c)) => a.iter().zip(b).zip(c).map(|((&a, &b), &c)| f(a, b, c)).collect(),
        _ => a.iter().zip(b.iter()).zip(c.iter()).map(|((&a, &b), &c)| f(a, b, c)).collect(),
    }
}

/// `F.binary_cross_entropy(probs, target, weight)` (BinaryCrossEntropyBackward0) as ATen
/// computes it: each element in the input's dtype (see `bce_forward`), times the weight, then
/// the reduction; the gradient is `bce_backward` times the weight, divided by N for the mean.
pub fn binary_cross_entropy(input: &Tensor, target: &Tensor, weight: Option<&Tensor>, reduction: Reduction) -> Result<Tensor> {
    let out_of_range = match &*input.storage() {
        Storage::F32(a) => a.iter().any(|&p| !(0.0..=1.0).contains(&p)),
        Storage::F64(a) => a.iter().any(|&p| !(0.0..=1.0).contains(&p)),
        _ => input.to_f64_vec().iter().any(|&p| !(0.0..=1.0).contains(&p)),
    };
    if out_of_range {
        return Err(TensorError::runtime("all elements of input should be between 0 and 1"));
    }
    let dtype = input.dtype();
    if !dtype.is_floating_point() {
        return Err(TensorError::runtime(format!("\"binary_cross_entropy\" not implemented for '{}'", super::ops::dtype_name(dtype))));
    }
    let shape = super::storage::broadcast_shapes(&input.shape(), &target.shape())?;
    let (x, y) = (input.storage().cast(dtype).expand(&shape)?, target.storage().cast(dtype).expand(&shape)?);
    let per = zip_storages(&x, &y, &y, |x, y, _| bce_forward(x, y), |x, y, _| bce_forward(x, y))?;
    let w = weight.map(|w| Ok::<_, TensorError>(Tensor::from_storage(w.storage().cast(dtype).expand(&shape)?))).transpose()?;
    let out = no_grad(|| {
        let per = Tensor::from_storage(per);
        let per = match &w {
            Some(w) => per.mul(w)?,
            None => per,
        };
        reduce(&per, reduction)
    })?;
    let n: usize = shape.iter().product();
    Ok(record((*out.storage()).clone(), "BinaryCrossEntropyBackward0", &[input, target], true, move |g, needs| {
        let gs = g.storage().cast(dtype).expand(&shape)?;
        let finish = |d: Storage| -> Result<Tensor> {
            let mut d = Tensor::from_storage(d);
            if let Some(w) = &w {
                d = d.mul(w)?;
            }
            if reduction == Reduction::Mean {
                d = d.div_scalar(Scalar::Int(n as i64))?;
            }
            Ok(d)
        };
        let gi = if needs[0] { Some(finish(zip_storages(&gs, &x, &y, bce_backward, bce_backward)?)?) } else { None };
        let gt = if needs[1] {
            Some(finish(zip_storages(&gs, &x, &x, |g, x, _| bce_target_backward(g, x), |g, x, _| bce_target_backward(g, x))?)?)
        } else {
            None
        };
        Ok(vec![gi, gt])
    }))
}

/// ATen's `log_sigmoid` CPU kernel: `min(x, 0) - log1p(exp(-|x|))`. Its loop is vectorised for
/// every length (tails use partial loads), so float32 goes through SLEEF's `expf`/`log1pf`.
fn log_sigmoid_values(t: &Tensor) -> Result<Tensor> {
    let s = match &*t.storage() {
        Storage::F32(a) => Storage::F32(a.mapv(|x| x.min(0.0) - kernels::vec_log1pf(kernels::vec_expf(-x.abs())))),
        Storage::F64(a) => Storage::F64(a.mapv(|x| x.min(0.0) - (-x.abs()).exp().ln_1p())),
        other => {
            let name = super::ops::dtype_name(other.dtype());
            return Err(TensorError::runtime(format!("\"log_sigmoid_cpu\" not implemented for '{name}'")));
        }
    };
    Ok(Tensor::from_storage(s))
}

/// `F.logsigmoid(x)` (LogSigmoidBackward0). The backward uses the kernel's buffer
/// `b = exp(-|x|)`: `(max_deriv - sign·b/(1 + b))·grad` with (1, 1) for x < 0 and (0, -1) otherwise.
pub fn log_sigmoid(input: &Tensor) -> Result<Tensor> {
    let out = log_sigmoid_values(input)?;
    let x = saved(input);
    Ok(record((*out.storage()).clone(), "LogSigmoidBackward0", &[input], true, move |g, _| {
        fn step<T: Float>(a: T, b: T, c: T) -> T {
            let (max_deriv, sign) = if a < T::zero() { (T::one(), T::one()) } else { (T::zero(), -T::one()) };
            (max_deriv - sign * (b / (T::one() + b))) * c
        }
        let shape = super::storage::broadcast_shapes(&x.shape(), &g.shape())?;
        let (xs, gs) = (x.storage().expand(&shape)?, g.storage().cast(x.dtype()).expand(&shape)?);
        let r = match (&xs, &gs) {
            (Storage::F32(a), Storage::F32(c)) => {
                let v = a.iter().zip(c.iter()).map(|(&a, &c)| step(a, kernels::vec_expf(-a.abs()), c)).collect();
                Storage::F32(ArrayD::from_shape_vec(IxDyn(&shape), v).map_err(|e| TensorError::runtime(e.to_string()))?)
            }
            (Storage::F64(a), Storage::F64(c)) => {
                let v = a.iter().zip(c.iter()).map(|(&a, &c)| step(a, (-a.abs()).exp(), c)).collect();
                Storage::F64(ArrayD::from_shape_vec(IxDyn(&shape), v).map_err(|e| TensorError::runtime(e.to_string()))?)
            }
            _ => return Err(TensorError::runtime("internal dtype mismatch")),
        };
        Ok(vec![Some(Tensor::from_storage(r))])
    }))
}

/// `F.binary_cross_entropy_with_logits(x, y, weight, pos_weight)`
/// (BinaryCrossEntropyWithLogitsBackward0), with ATen's tensor steps in its order:
/// `ls = log_sigmoid(x)`, `ls *= (pw - 1)·y + 1`, `loss = (1 - y)·x - ls`, `loss *= weight`, then
/// the reduction. The gradient is `((pw·y + 1 - y)·σ(x) - pw·y)·grad·weight` (`(σ(x) - y)·…`
/// without pos_weight), divided by N for the mean; the target's is
/// `(log_sigmoid(-x) - log_sigmoid(x)·pw)·grad·weight` (`-x·grad·…` without pos_weight).
pub fn binary_cross_entropy_with_logits(
    input: &Tensor,
    target: &Tensor,
    weight: Option<&Tensor>,
    pos_weight: Option<&Tensor>,
    reduction: Reduction,
) -> Result<Tensor> {
    if input.shape() != target.shape() {
        let size = |s: Vec<usize>| s.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ");
        return Err(TensorError::Value {
            msg: format!(
                "Target size (torch.Size([{}])) must be the same as input size (torch.Size([{}]))",
                size(target.shape()),
                size(input.shape())
            ),
        });
    }
    let one = || Scalar::Int(1);
    let (x, y) = (saved(input), saved(target));
    let (w, pw) = (weight.map(saved), pos_weight.map(saved));
    let out = no_grad(|| -> Result<Tensor> {
        let mut ls = log_sigmoid_values(&x)?;
        if let Some(pw) = &pw {
            ls = ls.mul(&pw.sub_scalar(one())?.mul(&y)?.add_scalar(one())?)?;
        }
        let mut loss = y.rsub_scalar(one())?.mul(&x)?.sub(&ls)?;
        if let Some(w) = &w {
            loss = loss.mul(w)?;
        }
        reduce(&loss, reduction)
    })?;
    let n = input.numel() as i64;
    Ok(record((*out.storage()).clone(), "BinaryCrossEntropyWithLogitsBackward0", &[input, target], true, move |g, needs| {
        let finish = |t: Tensor| -> Result<Tensor> {
            let mut t = t.mul(g)?;
            if let Some(w) = &w {
                t = t.mul(w)?;
            }
            if reduction == Reduction::Mean {
                t = t.div_scalar(Scalar::Int(n))?;
            }
            Ok(t)
        };
        let gi = if needs[0] {
            let s = x.sigmoid()?;
            Some(finish(match &pw {
                Some(pw) => {
                    let t = pw.mul(&y)?;
                    t.add_scalar(one())?.sub(&y)?.mul(&s)?.sub(&t)?
                }
                None => s.sub(&y)?,
            })?)
        } else {
            None
        };
        let gt = if needs[1] {
            Some(finish(match &pw {
                Some(pw) => log_sigmoid_values(&x.neg()?)?.sub(&log_sigmoid_values(&x)?.mul(pw)?)?,
                None => x.neg()?,
            })?)
        } else {
            None
        };
        Ok(vec![gi, gt])
    }))
}

/// `nn.Embedding`: a `num x dim` weight drawn by `normal_`, with the `padding_idx` row zeroed.
pub struct Embedding {
    pub weight: Tensor,
    pub num_embeddings: usize,
    pub embedding_dim: usize,
    pub padding_idx: Option<usize>,
}

impl Embedding {
    pub fn new(num: usize, dim: usize, padding_idx: Option<usize>, g: &mut Generator, dtype: DType) -> Result<Embedding> {
        let w = super::normal(g, &[num, dim], dtype, 0.0, 1.0)?;
        let w = match padding_idx {
            Some(p) => {
                // Exact both ways: the values are `dtype`'s.
                let mut v = w.to_f64_vec();
                v[p * dim..(p + 1) * dim].fill(0.0);
                Tensor::from_data(super::Data::F64(v), &[num, dim])?.to_dtype(dtype)?
            }
            None => w,
        };
        Ok(Embedding { weight: Tensor::parameter(&w), num_embeddings: num, embedding_dim: dim, padding_idx })
    }

    pub fn forward(&self, indices: &Tensor) -> Result<Tensor> {
        embedding(indices, &self.weight, self.padding_idx)
    }
}

/// `F.embedding(indices, weight, padding_idx)` (EmbeddingBackward0): rows of `weight`, shaped
/// `indices.shape + [dim]`; the gradient adds each output row into its weight row, except for
/// `padding_idx`, whose row gets none.
pub fn embedding(indices: &Tensor, weight: &Tensor, padding_idx: Option<usize>) -> Result<Tensor> {
    if !matches!(indices.dtype(), DType::Int64 | DType::Int32) {
        return Err(TensorError::runtime(format!(
            "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got torch.{}Tensor instead (while checking arguments for embedding)",
            indices.dtype().scalar_name()
        )));
    }
    let ws = weight.shape();
    if ws.len() != 2 {
        return Err(TensorError::runtime("'weight' must be 2-D"));
    }
    let (num, dim) = (ws[0], ws[1]);
    let mut idx = Vec::new();
    for v in indices.to_f64_vec() {
        let i = v as i64;
        if i < 0 || i as usize >= num {
            return Err(TensorError::runtime("index out of range in self"));
        }
        idx.push(i as usize);
    }
    let mut out_shape = indices.shape();
    out_shape.push(dim);
    let rows = weight.storage().take_axis(0, &idx).reshape(&out_shape)?;
    Ok(super::autograd::record(rows, "EmbeddingBackward0", &[weight], false, move |g, _| {
        let g2 = g.reshape_usize(&[idx.len(), dim])?;
        let keep: Vec<usize> = (0..idx.len()).filter(|&k| Some(idx[k]) != padding_idx).collect();
        let kept_idx: Vec<usize> = keep.iter().map(|&k| idx[k]).collect();
        let kept_rows = g2.index_select(0, &keep.iter().map(|&k| k as i64).collect::<Vec<_>>())?;
        Ok(vec![Some(Tensor::zeros_with_slices(&[num, dim], 0, &kept_idx, &kept_rows, true)?)])
    }))
}

/// A tensor of `shape` and `dtype` from values in f64, rounded once.
fn from_f64(values: Vec<f64>, shape: &[usize], dtype: DType) -> Result<Tensor> {
    storage_f64(values, shape, dtype).map(Tensor::from_storage)
}

fn storage_f64(values: Vec<f64>, shape: &[usize], dtype: DType) -> Result<Storage> {
    let a = ArrayD::from_shape_vec(IxDyn(shape), values).map_err(|e| TensorError::runtime(e.to_string()))?;
    Ok(Storage::F64(a).cast(dtype))
}

pub use super::layer_norm::layer_norm;

/// `F.normalize(x, p, dim, eps)`: `x / max(‖x‖_p over dim, eps)`, broadcast back (DivBackward0).
pub fn normalize(x: &Tensor, p: f64, dim: isize, eps: f64) -> Result<Tensor> {
    let n = x.norm_p(p, Some(&[dim]), true)?.clamp(Some(Scalar::Float(eps)), None)?;
    x.div(&n)
}

/// `F.cosine_similarity(a, b, dim, eps)` as PyTorch computes it: each input divided by its own
/// 2-norm over `dim` (clamped to `eps` outside autograd, so the gradient is the unclamped
/// norm's), then the products summed over `dim` (SumBackward1).
pub fn cosine_similarity(a: &Tensor, b: &Tensor, dim: isize, eps: f64) -> Result<Tensor> {
    let unit = |t: &Tensor| -> Result<Tensor> {
        let n = t.norm_p(2.0, Some(&[dim]), true)?;
        let clamped = no_grad(|| n.clamp(Some(Scalar::Float(eps)), None))?;
        let shift = no_grad(|| clamped.sub(&n))?.detach();
        t.div(&n.add(&shift)?)
    };
    unit(a)?.mul(&unit(b)?)?.sum(Some(&[dim]), false)
}

/// `F.kl_div`'s reduction: the three common ones and `'batchmean'` (sum over batch size).
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum KlReduction {
    Plain(Reduction),
    BatchMean,
}

/// `F.kl_div(input, target, reduction, log_target)` as PyTorch composes it: pointwise
/// `xlogy(target, target) - target * input` (or `exp(target) * (target - input)` with log
/// targets), then reduced.
pub fn kl_div(input: &Tensor, target: &Tensor, reduction: KlReduction, log_target: bool) -> Result<Tensor> {
    let pointwise = if log_target {
        target.exp()?.mul(&target.sub(input)?)?
    } else {
        let t = target.to_f64_vec();
        let xlogy: Vec<f64> = t.iter().map(|&v| if v == 0.0 { 0.0 } else { v * v.ln() }).collect();
        let dtype = if target.dtype() == DType::Float64 || input.dtype() == DType::Float64 { DType::Float64 } else { DType::Float32 };
        let xl = from_f64(xlogy, &target.shape(), dtype)?;
        // `xlogy(target, target)` (XlogyBackward0) when the target requires grad: d/dself is
        // `xlogy(self != 0, other)` (log t, 0 where t == 0) and d/dother is `self / other`.
        let xl = if target.requires_grad() && super::is_grad_enabled() {
            let a = saved(target);
            record((*xl.storage()).clone(), "XlogyBackward0", &[target, target], true, move |g, _| {
                let zero = a.eq_scalar(Scalar::Int(0))?;
                let log_a = Tensor::where_(&zero, &Tensor::zeros(&[], a.dtype()), &a.log()?)?;
                Ok(vec![Some(g.mul(&log_a)?), Some(g.mul(&a)?.div(&a)?)])
            })
        } else {
            xl
        };
        xl.sub(&target.mul(input)?)?
    };
    match reduction {
        KlReduction::Plain(Reduction::None) => Ok(pointwise),
        KlReduction::Plain(Reduction::Sum) => pointwise.sum(None, false),
        KlReduction::Plain(Reduction::Mean) => pointwise.mean(None, false),
        KlReduction::BatchMean => {
            let batch = input.shape().first().copied().unwrap_or(1);
            pointwise.sum(None, false)?.div_scalar(Scalar::Int(batch as i64))
        }
    }
}

/// `F.pad(x, pad, value=v)` in constant mode (ConstantPadNdBackward0): `pad` holds
/// `(before, after)` pairs starting from the last dimension; the gradient is the matching
/// slice of the output's.
pub fn constant_pad(x: &Tensor, pad: &[i64], value: f64) -> Result<Tensor> {
    let shape = x.shape();
    if !pad.len().is_multiple_of(2) {
        return Err(TensorError::runtime("Padding length must be divisible by 2"));
    }
    if pad.len() / 2 > shape.len() {
        return Err(TensorError::runtime("Padding length should be less than or equal to two times the input dimension but got padding length 6 and input of dimension 2".replace("6", &pad.len().to_string()).replace("dimension 2", &format!("dimension {}", shape.len()))));
    }
    if pad.iter().any(|&p| p < 0) {
        return Err(TensorError::unsupported("unsupported: F.pad with negative padding"));
    }
    let nd = shape.len();
    let mut before = vec![0usize; nd];
    let mut out_shape = shape.clone();
    for (k, pair) in pad.chunks(2).enumerate() {
        let d = nd - 1 - k;
        before[d] = pair[0] as usize;
        out_shape[d] += (pair[0] + pair[1]) as usize;
    }
    // The output position of every input element, in input order.
    let numel: usize = shape.iter().product();
    let mut strides = vec![1usize; nd];
    for d in (0..nd.saturating_sub(1)).rev() {
        strides[d] = strides[d + 1] * out_shape[d + 1];
    }
    let mut positions = Vec::with_capacity(numel);
    let mut idx = vec![0usize; nd];
    for _ in 0..numel {
        positions.push((0..nd).map(|d| (idx[d] + before[d]) * strides[d]).sum::<usize>());
        for d in (0..nd).rev() {
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    let xs = x.to_f64_vec();
    let mut out = vec![value; out_shape.iter().product()];
    for (v, &p) in xs.iter().zip(&positions) {
        out[p] = *v;
    }
    let dtype = x.dtype();
    let st = storage_f64(out, &out_shape, dtype)?;
    Ok(record(st, "ConstantPadNdBackward0", &[x], false, move |g, _| {
        let gs = g.to_f64_vec();
        let gx: Vec<f64> = positions.iter().map(|&p| gs[p]).collect();
        Ok(vec![Some(from_f64(gx, &shape, g.dtype())?)])
    }))
}
