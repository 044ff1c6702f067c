//! Tensor API that tutorials take for granted: sampling (`multinomial`, `exponential_`) and the
//! smaller torch functions bound here rather than in the crowded `mod.rs`/`tensor.rs`.

use super::convert::{as_tensor, bool_arg, exc, tv};
use super::R;
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::{self as engine, Tensor};

/// Adds this file's functions to the `torch` module.
pub fn install(m: &Module) {
    m.set("multinomial", Value::builtin("multinomial", |_, args| {
        let [input, n, replacement, _gen] = args.bind(&["input", "num_samples", "replacement=", "*", "generator="])?;
        let t = tensor_param(input.as_ref(), "multinomial", "input", 1)?;
        multinomial(&args, &t, n, replacement)
    }));
    for name in ["all", "any"] {
        if m.get(name).is_none() {
            m.set(name, Value::builtin(name, move |interp, mut args| {
                let t = tensor_param(args.pos.first().or_else(|| super::convert::kw(&args, "input")), name, "input", 1)?;
                if !args.pos.is_empty() {
                    args.pos.remove(0);
                }
                args.kw.retain(|(k, _)| &**k != "input");
                let method = interp.get_attr(&tv(t), name)?;
                interp.call(&method, args)
            }));
        }
    }
    for (name, a0, a1) in SWAPS {
        m.set(name, Value::builtin(name, move |_, args| {
            let t = tensor_param(args.pos.first().or_else(|| super::convert::kw(&args, "input")), name, "input", 1)?;
            let rest = Args { fname: args.fname.clone(), this: None, pos: args.pos.iter().skip(1).cloned().collect(), kw: args.kw.clone() };
            swap(&rest, &t, name, a0, a1, 2)
        }));
    }
    super::histogram::install(m);
    super::distributions_count::install_torch(m);
    for name in OUT_FUNCTIONS {
        if let Some(f) = m.get(name) {
            m.set(name, with_out(name, f));
        }
    }
}

/// `swapaxes`/`swapdims`: NumPy's and PyTorch's names for `transpose`, with their parameter names.
const SWAPS: [(&str, &str, &str); 2] = [("swapaxes", "axis0", "axis1"), ("swapdims", "dim0", "dim1")];

/// `t.swapaxes(a, b)`: two dimensions exchanged (a view, as `transpose`). `first` is the
/// position PyTorch's messages give the first dimension argument (2 for `torch.swapaxes(t, ...)`).
fn swap(args: &Args, t: &Tensor, name: &str, a0: &str, a1: &str, first: usize) -> R<Value> {
    let (o0, o1) = (format!("{a0}="), format!("{a1}="));
    let [d0, d1] = args.bind(&[o0.as_str(), o1.as_str()])?;
    let dim = |v: Option<Value>, param: &str, pos: usize| -> R<isize> {
        match v {
            None => Err(Exception::type_error(format!("{name}() missing 1 required positional arguments: \"{param}\""))),
            Some(Value::Int(i)) => Ok(i as isize),
            Some(Value::Bool(b)) => Ok(isize::from(b)),
            Some(v) => Err(Exception::type_error(format!("{name}(): argument '{param}' (position {pos}) must be int, not {}", v.type_name()))),
        }
    };
    let (d0, d1) = (dim(d0, a0, first)?, dim(d1, a1, first + 1)?);
    Ok(tv(t.transpose(d0, d1).map_err(exc)?))
}

/// The torch functions that take `out=` here (the ones tutorials write it on).
const OUT_FUNCTIONS: &[&str] = &[
    "add", "sub", "mul", "div", "matmul", "mm", "bmm", "cat", "stack", "exp", "log", "sqrt", "abs", "neg", "sigmoid", "tanh",
    "maximum", "minimum", "pow", "sum", "mean", "cumsum", "clamp", "where", "einsum",
];

/// Wraps a torch function so that `out=t` writes the result into `t` and returns `t`, with
/// PyTorch's refusals: no autograd through `out=`, no unsafe casts. A result of another shape
/// is refused (PyTorch resizes `out` with a warning).
fn with_out(name: &'static str, f: Value) -> Value {
    Value::builtin(name, move |interp, mut args| {
        let Some(at) = args.kw.iter().position(|(k, _)| &**k == "out") else {
            return interp.call(&f, args);
        };
        let out_v = args.kw.remove(at).1;
        if matches!(out_v, Value::None) {
            return interp.call(&f, args);
        }
        let out = as_tensor(&out_v).cloned().ok_or_else(|| {
            Exception::type_error(format!("{name}(): argument 'out' must be Tensor, not {}", out_v.type_name()))
        })?;
        let r = interp.call(&f, args)?;
        let r = as_tensor(&r).cloned().ok_or_else(|| Exception::unsupported(format!("{name}(out=...) of a non-tensor result")))?;
        if r.requires_grad() {
            return Err(Exception::runtime_error(format!(
                "{name}(): functions with out=... arguments don't support automatic differentiation, but one of the arguments requires grad."
            )));
        }
        let (rd, od) = (r.dtype(), out.dtype());
        let lossy = (rd.is_floating_point() && !od.is_floating_point())
            || (rd != engine::DType::Bool && od == engine::DType::Bool);
        if lossy {
            return Err(Exception::runtime_error(format!(
                "result type {} can't be cast to the desired output type {}",
                dtype_label(rd),
                dtype_label(od)
            )));
        }
        if r.shape() != out.shape() {
            return Err(Exception::unsupported(format!(
                "{name}(out=...) with an out tensor of shape {:?} for a result of shape {:?} (PyTorch resizes it)",
                out.shape(),
                r.shape()
            )));
        }
        engine::no_grad(|| out.copy_(&r)).map_err(exc)?;
        Ok(out_v)
    })
}

/// ATen's ScalarType name of a dtype, as its messages print it.
pub(super) fn dtype_label(d: engine::DType) -> String {
    let s = format!("{d:?}");
    match s.as_str() {
        "Float32" => "Float".into(),
        "Float64" => "Double".into(),
        "Int64" => "Long".into(),
        _ => s,
    }
}

/// The tensor methods bound here, or None when `name` is not one of them.
pub fn method(this: &Value, name: &str) -> Option<Value> {
    Some(match name {
        "multinomial" => Value::method(this.clone(), "multinomial", |_, args| {
            let [n, replacement, _gen] = args.bind(&["num_samples", "replacement=", "*", "generator="])?;
            let t = receiver(&args)?;
            multinomial(&args, &t, n, replacement)
        }),
        "exponential_" => Value::method(this.clone(), "exponential_", |_, args| {
            let [lambd, _gen] = args.bind(&["lambd=", "*", "generator="])?;
            let t = receiver(&args)?;
            let lambd = super::convert::f64_arg(lambd.as_ref(), 1.0, "lambd")?;
            let g = super::generator_arg(&args)?;
            engine::exponential_(&t, &mut g.borrow_mut(), lambd).map_err(exc)?;
            Ok(args.this.clone().unwrap_or(Value::None))
        }),
        "swapaxes" | "swapdims" => {
            let &(fname, a0, a1) = SWAPS.iter().find(|s| s.0 == name)?;
            Value::method(this.clone(), fname, move |_, args| swap(&args, &receiver(&args)?, fname, a0, a1, 1))
        }
        "histogram" => super::histogram::method(this),
        // The elementwise functions of `torch.` not bound as methods elsewhere, and aliases.
        _ => {
            let canonical = super::UNARY_ALIASES.iter().find(|(a, _)| *a == name).map_or(name, |(_, n)| *n);
            match super::unary_table().into_iter().find(|(n, _)| *n == canonical) {
                Some((_, f)) => Value::method(this.clone(), canonical, move |_, args| {
                    let [] = args.bind(&[])?;
                    Ok(tv(f(&receiver(&args)?).map_err(exc)?))
                }),
                None => return super::linalg::method(this, name),
            }
        }
    })
}

fn multinomial(args: &Args, t: &Tensor, n: Option<Value>, replacement: Option<Value>) -> R<Value> {
    let n = match n {
        Some(Value::Int(i)) => i,
        Some(Value::Bool(b)) => i64::from(b),
        other => {
            return Err(Exception::type_error(format!(
                "multinomial(): argument 'num_samples' (position 2) must be int, not {}",
                other.as_ref().map_or("NoneType".to_string(), Value::type_name)
            )))
        }
    };
    let g = super::generator_arg(args)?;
    let r = engine::multinomial(&mut g.borrow_mut(), t, n, bool_arg(replacement.as_ref(), false)).map_err(exc)?;
    Ok(tv(r))
}

/// The tensor a method was called on.
fn receiver(args: &Args) -> R<Tensor> {
    args.this.as_ref().and_then(as_tensor).cloned().ok_or_else(|| Exception::type_error("descriptor needs a Tensor"))
}

/// A required tensor parameter, with PyTorch's TypeError naming it.
fn tensor_param(v: Option<&Value>, fname: &str, param: &str, pos: usize) -> R<Tensor> {
    v.and_then(as_tensor).cloned().ok_or_else(|| {
        Exception::type_error(format!(
            "{fname}(): argument '{param}' (position {pos}) must be Tensor, not {}",
            v.map_or("NoneType".to_string(), Value::type_name)
        ))
    })
}

/// Whether a list subscript is a tuple of indices (`x[[0, 1], [1, 2]]`) rather than one index
/// tensor: PyTorch's rule for lists shorter than 32 holding a sequence, slice, None, `...` or
/// a tensor.
pub fn list_is_tuple_index(items: &[Value]) -> bool {
    items.len() < 32
        && items.iter().any(|v| {
            matches!(v, Value::List(_) | Value::Tuple(_) | Value::Range(_) | Value::Slice(_) | Value::None | Value::Ellipsis)
                || as_tensor(v).is_some()
        })
}

/// A list or range used as an index, as an int64 (or bool) tensor; an empty list indexes
/// nothing, so it is int64 rather than `torch.tensor([])`'s float32.
pub fn index_tensor(interp: &mut Interpreter, v: &Value) -> R<Tensor> {
    let v = match v {
        Value::Range(_) => Value::list(interp.iterate(v)?),
        other => other.clone(),
    };
    let empty = matches!(&v, Value::List(items) if items.borrow().is_empty());
    let dtype = if empty { Some(crate::tensor::DType::Int64) } else { None };
    super::convert::tensor_from_data(interp, &v, dtype)
}

/// `t.any()` / `t.all()`, over everything (a bool scalar) or along `dim` (a bool tensor).
pub fn any_all(this: &Value, any: bool) -> Value {
    Value::method(this.clone(), if any { "any" } else { "all" }, move |_, args| {
        let [dim, keepdim] = args.bind(&["dim=", "keepdim="])?;
        let t = receiver(&args)?;
        let shape = t.shape();
        let v = t.contiguous().to_f64_vec();
        let test = |xs: &mut dyn Iterator<Item = f64>| {
            let mut xs = xs.map(|x| x != 0.0);
            if any { xs.any(|b| b) } else { xs.all(|b| b) }
        };
        let d = match dim {
            None | Some(Value::None) => {
                return Ok(tv(Tensor::scalar(engine::Scalar::Bool(test(&mut v.iter().copied())), engine::DType::Bool)));
            }
            Some(d) => engine::norm_dim_public(d.expect_int("dim")? as isize, shape.len().max(1)).map_err(exc)?,
        };
        if shape.is_empty() {
            return Ok(tv(Tensor::scalar(engine::Scalar::Bool(test(&mut v.iter().copied())), engine::DType::Bool)));
        }
        let inner: usize = shape[d + 1..].iter().product();
        let len = shape[d];
        let outer: usize = shape[..d].iter().product();
        let mut out = Vec::with_capacity(outer * inner);
        for o in 0..outer {
            for i in 0..inner {
                out.push(test(&mut (0..len).map(|k| v[(o * len + k) * inner + i])));
            }
        }
        let mut oshape = shape.clone();
        if bool_arg(keepdim.as_ref(), false) {
            oshape[d] = 1;
        } else {
            oshape.remove(d);
        }
        Ok(tv(Tensor::from_data(engine::Data::Bool(out), &oshape).map_err(exc)?))
    })
}
