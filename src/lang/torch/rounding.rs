//! Rounding and bounding forms tutorials use beyond the plain operators: `div` with
//! `rounding_mode=`, `round(decimals=)`, `clamp`/`clip` with tensor bounds or bounds of a higher
//! kind than the input (PyTorch promotes: `clamp(int_tensor, 2.5)` is float), and `lerp` with a
//! tensor weight.

use super::R;
use super::convert::{as_scalar, as_tensor, exc, tv};
use crate::lang::ast::BinOp;
use crate::lang::native::Args;
use crate::lang::{Exception, Module, Value};
use crate::tensor::{DType, Data, Scalar, Tensor, result_type_of};

/// Replaces `torch.div`/`divide`, `torch.round`, `torch.clamp`/`clip` with the forms that take
/// these arguments; what they do without them is unchanged.
pub fn install(m: &Module) {
    for name in ["div", "divide"] {
        m.set(
            name,
            Value::builtin(name, move |_, args| {
                let [a, b, mode] = args.bind(&["input", "other", "*", "rounding_mode="])?;
                let (a, b) = (a.unwrap_or(Value::None), b.unwrap_or(Value::None));
                let mode = rounding_mode(mode.as_ref())?;
                match (as_tensor(&a), as_tensor(&b)) {
                    (Some(t), _) => div(t, &b, mode, name),
                    // A number first: PyTorch wraps it as a 0-d tensor of its own type.
                    (None, Some(_)) => match as_scalar(&a) {
                        Some(s) => div(&Tensor::scalar(s, s.wrapped_dtype()), &b, mode, name),
                        None => Err(input_error(name, &a)),
                    },
                    _ => Err(input_error(name, &a)),
                }
            }),
        );
    }
    m.set(
        "round",
        Value::builtin("round", |_, args| {
            let [input, decimals] = args.bind(&["input", "*", "decimals="])?;
            let input = input.unwrap_or(Value::None);
            let t = as_tensor(&input).ok_or_else(|| input_error("round", &input))?;
            Ok(tv(round(t, decimals.as_ref())?))
        }),
    );
    for name in ["clamp", "clip"] {
        m.set(
            name,
            Value::builtin(name, |_, args| {
                let [input, min, max] = args.bind(&["input", "min=", "max="])?;
                let input = input.unwrap_or(Value::None);
                let t = as_tensor(&input).ok_or_else(|| input_error("clamp", &input))?;
                Ok(tv(clamp(t, min.as_ref(), max.as_ref())?))
            }),
        );
    }
}

/// The bound methods `div`/`divide`, `round`, `clamp`/`clip` of a tensor.
pub fn method(this: &Value, name: &str) -> Option<Value> {
    Some(match name {
        "div" | "divide" => Value::method(this.clone(), "div", |_, args| {
            let [other, mode] = args.bind(&["other", "*", "rounding_mode="])?;
            let t = receiver(&args)?;
            div(
                &t,
                &other.unwrap_or(Value::None),
                rounding_mode(mode.as_ref())?,
                "div",
            )
        }),
        "round" => Value::method(this.clone(), "round", |_, args| {
            let [decimals] = args.bind(&["*", "decimals="])?;
            Ok(tv(round(&receiver(&args)?, decimals.as_ref())?))
        }),
        "clamp" | "clip" => Value::method(this.clone(), "clamp", |_, args| {
            let [min, max] = args.bind(&["min=", "max="])?;
            Ok(tv(clamp(&receiver(&args)?, min.as_ref(), max.as_ref())?))
        }),
        _ => return None,
    })
}

fn receiver(args: &Args) -> R<Tensor> {
    args.this
        .as_ref()
        .and_then(as_tensor)
        .cloned()
        .ok_or_else(|| Exception::type_error("descriptor requires a 'torch.Tensor' object"))
}

fn input_error(name: &str, v: &Value) -> Exception {
    Exception::type_error(format!(
        "{name}(): argument 'input' (position 1) must be Tensor, not {}",
        v.type_name()
    ))
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    True,
    Trunc,
    Floor,
}

fn rounding_mode(v: Option<&Value>) -> R<Mode> {
    match v {
        None | Some(Value::None) => Ok(Mode::True),
        Some(Value::Str(s)) if &**s == "trunc" => Ok(Mode::Trunc),
        Some(Value::Str(s)) if &**s == "floor" => Ok(Mode::Floor),
        Some(Value::Str(s)) => Err(Exception::runtime_error(format!(
            "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{s}'"
        ))),
        Some(v) => Err(Exception::type_error(format!(
            "div(): argument 'rounding_mode' must be str, not {}",
            v.type_name()
        ))),
    }
}

/// `a / b` rounded as `mode` says. True division is the `/` operator's; `floor` is
/// `floor_divide` (`//`); `trunc` is `trunc(a / b)` for floats (ATen's div_trunc) and C's
/// truncating division for integers, in the operands' promoted dtype.
fn div(a: &Tensor, b: &Value, mode: Mode, name: &str) -> R<Value> {
    let other_error = || {
        Exception::type_error(format!(
            "{name}(): argument 'other' (position 2) must be Tensor or Number, not {}",
            b.type_name()
        ))
    };
    match mode {
        Mode::True => super::tensor::binary(a, BinOp::Div, b, false)?
            .map(tv)
            .ok_or_else(other_error),
        Mode::Floor => {
            if as_tensor(b).is_none() && as_scalar(b).is_none() {
                return Err(other_error());
            }
            super::tensorfns::floor_divide(a, b).map(tv)
        }
        Mode::Trunc => {
            let bt = match (as_tensor(b), as_scalar(b)) {
                (Some(t), _) => Operand::T(t.clone()),
                (None, Some(s)) => Operand::S(s),
                _ => return Err(other_error()),
            };
            let dtype = match &bt {
                Operand::T(t) => result_type_of(&[a, t], &[]),
                Operand::S(s) => result_type_of(&[a], &[*s]),
            };
            if dtype.is_floating_point() {
                let q = super::tensor::binary(a, BinOp::Div, b, false)?.ok_or_else(other_error)?;
                return Ok(tv(q.trunc().map_err(exc)?));
            }
            let b = match bt {
                Operand::T(t) => t,
                Operand::S(s) => Tensor::scalar(s, dtype),
            };
            Ok(tv(int_trunc_div(a, &b, dtype)?))
        }
    }
}

enum Operand {
    T(Tensor),
    S(Scalar),
}

/// Integer division rounded toward zero (C's `/`), broadcast; a zero divisor raises
/// PyTorch's `RuntimeError: ZeroDivisionError`.
fn int_trunc_div(a: &Tensor, b: &Tensor, dtype: DType) -> R<Tensor> {
    let shape = a.add(b).map_err(exc)?.shape();
    let x = a
        .expand(&shape)
        .map_err(exc)?
        .contiguous()
        .to_dtype(DType::Int64)
        .map_err(exc)?
        .to_f64_vec();
    let y = b
        .expand(&shape)
        .map_err(exc)?
        .contiguous()
        .to_dtype(DType::Int64)
        .map_err(exc)?
        .to_f64_vec();
    let mut out = Vec::with_capacity(x.len());
    for (&p, &q) in x.iter().zip(&y) {
        let (p, q) = (p as i64, q as i64);
        if q == 0 {
            return Err(Exception::runtime_error("ZeroDivisionError"));
        }
        out.push(p.wrapping_div(q));
    }
    let r = Tensor::from_data(Data::I64(out), &shape).map_err(exc)?;
    if dtype == DType::Int64 {
        Ok(r)
    } else {
        r.to_dtype(dtype).map_err(exc)
    }
}

/// `round(t)` or `round(t, decimals=d)`: ATen's round_decimals kernel, `nearbyint(x * 10^d) /
/// 10^d` (for d < 0, `nearbyint(x / 10^-d) * 10^-d`), in float for float32 and the halves and
/// in double for float64, the power of ten computed in double.
fn round(t: &Tensor, decimals: Option<&Value>) -> R<Tensor> {
    let d = match decimals {
        None | Some(Value::None) => 0,
        Some(v) => v.expect_int("decimals")?,
    };
    if d == 0 {
        return t.round().map_err(exc);
    }
    let dtype = t.dtype();
    if !dtype.is_floating_point() {
        return Err(Exception::new(
            "NotImplementedError",
            format!(
                "\"round_cpu\" not implemented for '{}'",
                dtype.scalar_name()
            ),
        ));
    }
    let neg = d < 0;
    let ten = 10f64.powi(d.unsigned_abs().min(400) as i32);
    let x = t.to_f64_vec();
    let data = if dtype == DType::Float64 {
        Data::F64(
            x.iter()
                .map(|&a| {
                    if neg {
                        (a / ten).round_ties_even() * ten
                    } else {
                        (a * ten).round_ties_even() / ten
                    }
                })
                .collect(),
        )
    } else {
        let ten = ten as f32;
        Data::F32(
            x.iter()
                .map(|&a| {
                    let a = a as f32;
                    if neg {
                        (a / ten).round_ties_even() * ten
                    } else {
                        (a * ten).round_ties_even() / ten
                    }
                })
                .collect(),
        )
    };
    let r = Tensor::from_data(data, &t.shape()).map_err(exc)?;
    if dtype.is_narrow() {
        r.to_dtype(dtype).map_err(exc)
    } else {
        Ok(r)
    }
}

/// A bound of `clamp`: a number or a tensor.
enum Bound {
    S(Scalar),
    T(Tensor),
}

fn bound(v: Option<&Value>, what: &str) -> R<Option<Bound>> {
    match v {
        None | Some(Value::None) => Ok(None),
        Some(v) => match (as_tensor(v), as_scalar(v)) {
            (Some(t), _) => Ok(Some(Bound::T(t.clone()))),
            (None, Some(s)) => Ok(Some(Bound::S(s))),
            _ => Err(Exception::type_error(format!(
                "clamp() received an invalid combination of arguments - got ({what}={})",
                v.type_name()
            ))),
        },
    }
}

/// `clamp(t, min, max)` in the dtype PyTorch promotes the input and bounds to. Number bounds of
/// the input's own kind keep the engine's ClampBackward1; tensor bounds are `where` selections,
/// the lower bound first, so `min > max` gives `max` as in PyTorch.
fn clamp(t: &Tensor, min: Option<&Value>, max: Option<&Value>) -> R<Tensor> {
    let (lo, hi) = (bound(min, "min")?, bound(max, "max")?);
    if lo.is_none() && hi.is_none() {
        return Err(Exception::runtime_error(
            "torch.clamp: At least one of 'min' or 'max' must not be None",
        ));
    }
    let mut tensors = vec![t];
    let mut scalars = Vec::new();
    for b in [&lo, &hi].into_iter().flatten() {
        match b {
            Bound::T(bt) => tensors.push(bt),
            Bound::S(s) => scalars.push(*s),
        }
    }
    let dtype = result_type_of(&tensors, &scalars);
    // Floats only from Python numbers: the default dtype (the engine's answer is float32).
    let dtype = if dtype.is_floating_point() && !tensors.iter().any(|t| t.dtype().is_floating_point()) {
        super::default_dtype()
    } else {
        dtype
    };
    let x = if dtype == t.dtype() {
        t.clone()
    } else {
        t.to_dtype(dtype).map_err(exc)?
    };
    let scalar_of = |b: &Option<Bound>| match b {
        Some(Bound::S(s)) => Some(*s),
        _ => None,
    };
    if !matches!(lo, Some(Bound::T(_))) && !matches!(hi, Some(Bound::T(_))) {
        return x.clamp(scalar_of(&lo), scalar_of(&hi)).map_err(exc);
    }
    let as_t = |b: &Bound| match b {
        Bound::T(bt) => bt.clone(),
        Bound::S(s) => Tensor::scalar(*s, dtype),
    };
    let mut y = x;
    if let Some(l) = &lo {
        let l = as_t(l);
        y = Tensor::where_(&y.lt(&l).map_err(exc)?, &l, &y).map_err(exc)?;
    }
    if let Some(h) = &hi {
        let h = as_t(h);
        y = Tensor::where_(&y.gt(&h).map_err(exc)?, &h, &y).map_err(exc)?;
    }
    if y.dtype() != dtype {
        y.to_dtype(dtype).map_err(exc)
    } else {
        Ok(y)
    }
}

/// `lerp(start, end, weight)` with a tensor weight: ATen's two-sided formula, `start + w *
/// (end - start)` where `|w| < 0.5`, else `end - (end - start) * (1 - w)`.
pub fn lerp_tensor(start: &Tensor, end: &Tensor, w: &Tensor) -> R<Tensor> {
    for (other, what) in [(end, "end"), (w, "weight")] {
        if other.dtype() != start.dtype() {
            return Err(Exception::runtime_error(format!(
                "expected dtype {} for `{what}` but got dtype {}",
                start.dtype().scalar_name().to_lowercase(),
                other.dtype().scalar_name().to_lowercase()
            )));
        }
    }
    let e = |r: crate::tensor::Result<Tensor>| r.map_err(exc);
    let d = e(end.sub(start))?;
    let small = e(e(w.abs())?.lt_scalar(Scalar::Float(0.5)))?;
    let near = e(start.add(&e(w.mul(&d))?))?;
    let far = e(end.sub(&e(d.mul(&e(w.rsub_scalar(Scalar::Float(1.0)))?))?))?;
    e(Tensor::where_(&small, &near, &far))
}
