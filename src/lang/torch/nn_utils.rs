//! `torch.nn.utils`: gradient clipping (`clip_grad_norm_`, `clip_grad_value_`) and flattening
//! parameters to one vector and back (`parameters_to_vector`, `vector_to_parameters`);
//! `torch.nn.utils.rnn.pad_sequence`.

use super::R;
use super::convert::{as_tensor, bool_arg, exc, f64_arg, tv};
use super::tensor::NoGrad;
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::{Scalar, Tensor};

/// The tensors of `parameters`: one Tensor or an iterable of them.
fn tensors(interp: &mut Interpreter, v: Option<Value>, fname: &str) -> R<Vec<Tensor>> {
    let v = v.unwrap_or(Value::None);
    if let Some(t) = as_tensor(&v) {
        return Ok(vec![t.clone()]);
    }
    interp
        .iterate(&v)?
        .iter()
        .map(|p| {
            as_tensor(p).cloned().ok_or_else(|| {
                Exception::type_error(format!(
                    "{fname}(): expected Tensor parameters, got {}",
                    p.type_name()
                ))
            })
        })
        .collect()
}

fn grads(params: &[Tensor]) -> Vec<Tensor> {
    params.iter().filter_map(Tensor::grad).collect()
}

/// `torch.linalg.vector_norm(t, p)` over all elements (CPU `_foreach_norm` falls back to it per
/// tensor, and the total is the norm of the stacked norms).
fn vector_norm(t: &Tensor, p: f64) -> R<Tensor> {
    t.norm_p(p, None, false).map_err(exc)
}

fn clip_grad_norm(interp: &mut Interpreter, args: Args) -> R<Value> {
    let [params, max_norm, norm_type, error_if_nonfinite, _foreach] = args.bind(&[
        "parameters",
        "max_norm",
        "norm_type=",
        "error_if_nonfinite=",
        "foreach=",
    ])?;
    let params = tensors(interp, params, "clip_grad_norm_")?;
    let max_norm = f64_arg(max_norm.as_ref(), 0.0, "max_norm")?;
    let p = f64_arg(norm_type.as_ref(), 2.0, "norm_type")?;
    let _guard = NoGrad::new();
    let grads = grads(&params);
    if grads.is_empty() {
        return Ok(tv(Tensor::scalar(Scalar::Float(0.0), super::default_dtype())));
    }
    let norms = grads
        .iter()
        .map(|g| vector_norm(g, p))
        .collect::<R<Vec<_>>>()?;
    let total = vector_norm(&Tensor::stack(&norms, 0).map_err(exc)?, p)?;
    let v = total.item().map_err(exc)?.as_f64();
    if bool_arg(error_if_nonfinite.as_ref(), false) && !v.is_finite() {
        return Err(Exception::runtime_error(format!(
            "The total norm of order {} for gradients from `parameters` is non-finite, so it cannot be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set `error_if_nonfinite=False`",
            crate::lang::format::float_repr(p)
        )));
    }
    // `max_norm / (total_norm + 1e-6)` is Tensor.__rtruediv__: reciprocal, then times max_norm.
    let coef = total
        .add_scalar(Scalar::Float(1e-6))
        .and_then(|t| t.reciprocal())
        .and_then(|t| t.mul_scalar(Scalar::Float(max_norm)))
        .map_err(exc)?;
    let coef = coef.clamp(None, Some(Scalar::Float(1.0))).map_err(exc)?;
    for g in &grads {
        g.mul_(&coef).map_err(exc)?;
    }
    Ok(tv(total))
}

fn clip_grad_value(interp: &mut Interpreter, args: Args) -> R<Value> {
    let [params, clip_value, _foreach] = args.bind(&["parameters", "clip_value", "foreach="])?;
    let params = tensors(interp, params, "clip_grad_value_")?;
    let c = f64_arg(clip_value.as_ref(), 0.0, "clip_value")?;
    let _guard = NoGrad::new();
    for g in grads(&params) {
        // `_foreach_clamp_min_(-c)` then `_foreach_clamp_max_(c)`.
        g.clamp_(Some(Scalar::Float(-c)), None).map_err(exc)?;
        g.clamp_(None, Some(Scalar::Float(c))).map_err(exc)?;
    }
    Ok(Value::None)
}

fn parameters_to_vector(interp: &mut Interpreter, args: Args) -> R<Value> {
    let [params] = args.bind(&["parameters"])?;
    let params = tensors(interp, params, "parameters_to_vector")?;
    let flat = params
        .iter()
        .map(|p| p.reshape(&[-1]))
        .collect::<Result<Vec<_>, _>>()
        .map_err(exc)?;
    Ok(tv(Tensor::cat(&flat, 0).map_err(exc)?))
}

fn vector_to_parameters(interp: &mut Interpreter, args: Args) -> R<Value> {
    let [vec, params] = args.bind(&["vec", "parameters"])?;
    let vec = vec.unwrap_or(Value::None);
    let Some(v) = as_tensor(&vec).cloned() else {
        return Err(Exception::type_error(format!(
            "expected torch.Tensor, but got: {}",
            vec.type_name()
        )));
    };
    let params = tensors(interp, params, "vector_to_parameters")?;
    let _guard = NoGrad::new();
    let mut pointer = 0i64;
    for p in &params {
        let n = p.numel() as i64;
        let shape: Vec<isize> = p.shape().iter().map(|&d| d as isize).collect();
        let piece = v
            .narrow(0, pointer, n)
            .and_then(|t| t.reshape(&shape))
            .map_err(exc)?;
        p.copy_(&piece).map_err(exc)?;
        pointer += n;
    }
    Ok(Value::None)
}

/// `pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side='right')`:
/// each sequence padded along its first dim to the longest, then stacked.
pub(super) fn pad_sequence(interp: &mut Interpreter, args: Args) -> R<Value> {
    let [seqs, batch_first, padding_value, padding_side] = args.bind(&[
        "sequences",
        "batch_first=",
        "padding_value=",
        "padding_side=",
    ])?;
    // A tensor is iterated like any iterable: its rows are the sequences.
    let seqs = match seqs {
        Some(v) if as_tensor(&v).is_some() => Some(Value::list(interp.iterate(&v)?)),
        v => v,
    };
    let seqs = tensors(interp, seqs, "pad_sequence")?;
    let value = f64_arg(padding_value.as_ref(), 0.0, "padding_value")?;
    let left = match padding_side.as_ref().map(Value::to_str).as_deref() {
        None | Some("right") => false,
        Some("left") => true,
        Some(o) => {
            return Err(Exception::runtime_error(format!(
                "Expected padding_side to be one of left or right, but got {o}."
            )));
        }
    };
    if seqs.is_empty() {
        return Err(Exception::runtime_error(
            "received an empty list of sequences",
        ));
    }
    let max_len = seqs
        .iter()
        .map(|t| t.shape().first().copied().unwrap_or(1))
        .max()
        .unwrap_or(0);
    let mut padded = Vec::with_capacity(seqs.len());
    for t in &seqs {
        let shape = t.shape();
        if shape.is_empty() {
            return Err(Exception::runtime_error(
                "unsupported: pad_sequence of 0-dim tensors",
            ));
        }
        let extra = (max_len - shape[0]) as i64;
        let mut pad = vec![0i64; 2 * (shape.len() - 1)];
        pad.extend(if left { [extra, 0] } else { [0, extra] });
        padded.push(crate::tensor::nn::constant_pad(t, &pad, value).map_err(exc)?);
    }
    let dim = if bool_arg(batch_first.as_ref(), false) {
        0
    } else {
        1
    };
    Ok(tv(Tensor::stack(&padded, dim).map_err(exc)?))
}

pub fn utils_module() -> Module {
    let m = Module::new("torch.nn.utils");
    m.set(
        "clip_grad_norm_",
        Value::builtin("clip_grad_norm_", clip_grad_norm),
    );
    m.set(
        "clip_grad_value_",
        Value::builtin("clip_grad_value_", clip_grad_value),
    );
    m.set(
        "parameters_to_vector",
        Value::builtin("parameters_to_vector", parameters_to_vector),
    );
    m.set(
        "vector_to_parameters",
        Value::builtin("vector_to_parameters", vector_to_parameters),
    );
    m
}

pub fn rnn_utils_module() -> Module {
    let m = Module::new("torch.nn.utils.rnn");
    m.set("pad_sequence", Value::builtin("pad_sequence", pad_sequence));
    super::rnn_packed::register(&m);
    m
}
