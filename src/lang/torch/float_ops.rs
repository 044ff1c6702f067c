//! `torch.ldexp`, `frexp`, `nextafter`, `logcumsumexp`, `cov` and `corrcoef` (and their
//! methods), and `Tensor.view(dtype)` between dtypes of one element size. `ldexp`, `cov` and `corrcoef` are compositions of torch calls, as ATen's
//! composite implementations are (so their values, dtypes and `grad_fn`s are those of the
//! ops they are made of); the others compute element by element outside the autograd
//! engine (docs/divergences.md): `frexp` and `nextafter` as C's functions do, `logcumsumexp`
//! by ATen's scan (`log1p(exp(min - max)) + max`, accumulated in double).

use super::R;
use super::convert::{PyReturnType, as_tensor, exc, tensor_param_at, tv};
use crate::lang::ast::BinOp;
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::{DType, Data, Tensor};

/// `torch.NAME(*pos)` through the interpreter, so that promotion and autograd are torch's.
fn torch_call(it: &mut Interpreter, name: &str, pos: Vec<Value>) -> R<Value> {
    let torch = it
        .modules
        .get("torch")
        .cloned()
        .ok_or_else(|| Exception::runtime_error("torch is not installed"))?;
    let f = it.get_attr(&torch, name)?;
    it.call_positional(&f, pos)
}

fn method_call(it: &mut Interpreter, this: &Value, name: &str, pos: Vec<Value>) -> R<Value> {
    let f = it.get_attr(this, name)?;
    it.call_positional(&f, pos)
}

fn ldexp(it: &mut Interpreter, input: Value, other: Value) -> R<Value> {
    let p = torch_call(it, "pow", vec![Value::Float(2.0), other])?;
    it.binary(BinOp::Mul, &input, &p)
}

fn float_values(t: &Tensor, fname: &str) -> R<Vec<f64>> {
    if !matches!(t.dtype(), DType::Float32 | DType::Float64) {
        return Err(Exception::runtime_error(format!(
            "torch.{fname}() only supports floating-point dtypes"
        )));
    }
    Ok(t.to_f64_vec())
}

fn float_tensor(values: Vec<f64>, dtype: DType, shape: &[usize]) -> R<Tensor> {
    let data = if dtype == DType::Float32 {
        Data::F32(values.into_iter().map(|v| v as f32).collect())
    } else {
        Data::F64(values)
    };
    Tensor::from_data(data, shape).map_err(exc)
}

/// C's frexp: `x = m * 2^e` with `0.5 <= |m| < 1`; zeros, infinities and NaN keep `e = 0`.
fn frexp_one(x: f64) -> (f64, i64) {
    if x == 0.0 || !x.is_finite() {
        return (x, 0);
    }
    let (mut y, mut shift) = (x, 0);
    if x.abs() < f64::MIN_POSITIVE {
        // A subnormal: scaled into the normal range first.
        y = x * 2f64.powi(64);
        shift = -64;
    }
    let bits = y.to_bits();
    let e = ((bits >> 52) & 0x7ff) as i64 - 1022;
    let m = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (m, e + shift)
}

fn frexp(t: &Tensor) -> R<Value> {
    let values = float_values(t, "frexp")?;
    let shape = t.shape();
    // A float32 subnormal is a normal double: its exponent comes out as C's frexpf gives it.
    let (ms, es): (Vec<f64>, Vec<i64>) = values.iter().map(|&v| frexp_one(v)).unzip();
    let mantissa = float_tensor(ms, t.dtype(), &shape)?;
    let exponent = Tensor::from_data(Data::I64(es), &shape)
        .map_err(exc)?
        .to_dtype(DType::Int32)
        .map_err(exc)?;
    Ok(Value::native(PyReturnType {
        name: "frexp",
        values: tv(mantissa),
        indices: tv(exponent),
        fields: ["mantissa", "exponent"],
    }))
}

fn next_f32(x: f32, y: f32) -> f32 {
    if x.is_nan() || y.is_nan() {
        return f32::NAN;
    }
    if x == y {
        return y;
    }
    if x == 0.0 {
        return f32::from_bits(1).copysign(y);
    }
    let bits = x.to_bits();
    let up = (y > x) == (x > 0.0);
    f32::from_bits(if up { bits + 1 } else { bits - 1 })
}

fn next_f64(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    if x == y {
        return y;
    }
    if x == 0.0 {
        return f64::from_bits(1).copysign(y);
    }
    let bits = x.to_bits();
    let up = (y > x) == (x > 0.0);
    f64::from_bits(if up { bits + 1 } else { bits - 1 })
}

fn broadcast(a: &[usize], b: &[usize]) -> R<Vec<usize>> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for (i, o) in out.iter_mut().enumerate() {
        let x = if i + a.len() >= n {
            a[i + a.len() - n]
        } else {
            1
        };
        let y = if i + b.len() >= n {
            b[i + b.len() - n]
        } else {
            1
        };
        *o = if x == y || y == 1 {
            x
        } else if x == 1 {
            y
        } else {
            return Err(Exception::runtime_error(format!(
                "The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton dimension {i}"
            )));
        };
    }
    Ok(out)
}

fn nextafter(a: &Tensor, b: &Tensor) -> R<Value> {
    // Mixed float dtypes promote, as PyTorch's binary ops do.
    let (a, b) =
        if a.dtype() != b.dtype() && (a.dtype() == DType::Float64 || b.dtype() == DType::Float64) {
            (
                &a.to_dtype(DType::Float64).map_err(exc)?,
                &b.to_dtype(DType::Float64).map_err(exc)?,
            )
        } else {
            (a, b)
        };
    let shape = broadcast(&a.shape(), &b.shape())?;
    let x = float_values(&a.expand(&shape).map_err(exc)?, "nextafter")?;
    let y = b.expand(&shape).map_err(exc)?.to_f64_vec();
    let out: Vec<f64> = if a.dtype() == DType::Float32 {
        x.iter()
            .zip(&y)
            .map(|(&p, &q)| f64::from(next_f32(p as f32, q as f32)))
            .collect()
    } else {
        x.iter().zip(&y).map(|(&p, &q)| next_f64(p, q)).collect()
    };
    Ok(tv(float_tensor(out, a.dtype(), &shape)?))
}

/// ATen's `_log_add_exp_helper(x, y)` with its NaN and infinity cases.
fn log_add_exp(x: f64, y: f64) -> f64 {
    let (min, max) = if y.is_nan() {
        (y, y)
    } else {
        (if y < x { y } else { x }, if x < y { y } else { x })
    };
    if min != max || min.is_finite() {
        (min - max).exp().ln_1p() + max
    } else {
        x
    }
}

fn logcumsumexp(t: &Tensor, dim: i64) -> R<Value> {
    let nd = t.dim().max(1) as i64;
    if dim < -nd || dim >= nd {
        return Err(Exception::new(
            "IndexError",
            format!(
                "Dimension out of range (expected to be in range of [{}, {}], but got {dim})",
                -nd,
                nd - 1
            ),
        ));
    }
    let values = float_values(t, "logcumsumexp").map_err(|_| {
        Exception::runtime_error(format!(
            "\"logcumsumexp_out_cpu\" not implemented for '{}'",
            t.dtype().scalar_name()
        ))
    })?;
    let shape = t.shape();
    if shape.is_empty() {
        return Ok(tv(float_tensor(values, t.dtype(), &shape)?));
    }
    let d = dim.rem_euclid(nd) as usize;
    let len = shape[d];
    let inner: usize = shape[d + 1..].iter().product();
    let outer: usize = shape[..d].iter().product();
    let mut out = values.clone();
    for o in 0..outer {
        for i in 0..inner {
            let mut acc = f64::NEG_INFINITY;
            for k in 0..len {
                let idx = (o * len + k) * inner + i;
                acc = log_add_exp(values[idx], acc);
                // float32 results are the double accumulator rounded.
                out[idx] = acc;
            }
        }
    }
    Ok(tv(float_tensor(out, t.dtype(), &shape)?))
}

/// ATen's `cov`: observations along dim 1, weighted by `fweights * aweights`.
fn cov(
    it: &mut Interpreter,
    input: &Value,
    correction: i64,
    fweights: Option<Value>,
    aweights: Option<Value>,
) -> R<Value> {
    let t = as_tensor(input)
        .cloned()
        .ok_or_else(|| Exception::type_error("cov(): argument 'input' must be Tensor"))?;
    if t.dim() > 2 {
        return Err(Exception::runtime_error(format!(
            "cov(): expected input to have two or fewer dimensions but got an input with {} dimensions",
            t.dim()
        )));
    }
    if t.dtype() == DType::Bool {
        return Err(Exception::runtime_error(
            "cov(): bool dtype is not supported for input",
        ));
    }
    let input = if t.dim() < 2 {
        tv(t.reshape(&[1, -1]).map_err(exc)?)
    } else {
        input.clone()
    };
    let n = if t.dim() < 2 { t.numel() } else { t.shape()[1] } as i64;
    let mut w: Option<Value> = fweights.filter(|v| !v.is_none());
    let aw = aweights.filter(|v| !v.is_none());
    if let Some(a) = &aw {
        w = Some(match w {
            Some(f) => it.binary(BinOp::Mul, &f, a)?,
            None => a.clone(),
        });
    }
    let w_sum = match &w {
        Some(w) => method_call(it, w, "sum", vec![])?,
        None => tv(Tensor::scalar(crate::tensor::Scalar::Int(n), DType::Int64)),
    };
    let weighted = match &w {
        Some(w) => it.binary(BinOp::Mul, &input, w)?,
        None => input.clone(),
    };
    let total = method_call(it, &weighted, "sum", vec![Value::Int(1)])?;
    let avg = it.binary(BinOp::Div, &total, &w_sum)?;
    let mut norm = match (&w, &aw) {
        (Some(w), Some(a)) if correction != 0 => {
            let wa = it.binary(BinOp::Mul, w, a)?;
            let s = method_call(it, &wa, "sum", vec![])?;
            let s = it.binary(BinOp::Mul, &Value::Int(correction), &s)?;
            let s = it.binary(BinOp::Div, &s, &w_sum)?;
            it.binary(BinOp::Sub, &w_sum, &s)?
        }
        _ => it.binary(BinOp::Sub, &w_sum, &Value::Int(correction))?,
    };
    let le = it.compare(crate::lang::ast::CmpOp::Le, &norm, &Value::Int(0))?;
    if it.truthy(&le)? {
        // PyTorch warns (on stderr) and divides by zero.
        norm = it.binary(BinOp::Mul, &norm, &Value::Int(0))?;
    }
    let centered = {
        let a = method_call(it, &avg, "unsqueeze", vec![Value::Int(1)])?;
        it.binary(BinOp::Sub, &input, &a)?
    };
    let right = match &w {
        Some(w) => it.binary(BinOp::Mul, &centered, w)?,
        None => centered.clone(),
    };
    let rt = method_call(it, &right, "t", vec![])?;
    let c = torch_call(it, "mm", vec![centered, rt])?;
    let c = torch_call(it, "true_divide", vec![c, norm])?;
    method_call(it, &c, "squeeze", vec![])
}

fn corrcoef(it: &mut Interpreter, input: &Value) -> R<Value> {
    if let Some(t) = as_tensor(input)
        && t.dim() > 2
    {
        return Err(Exception::runtime_error(format!(
            "corrcoef(): expected input to have two or fewer dimensions but got an input with {} dimensions",
            t.dim()
        )));
    }
    let c = cov(it, input, 1, None, None)?;
    if as_tensor(&c).is_some_and(|t| t.dim() == 0) {
        return it.binary(BinOp::Div, &c, &c);
    }
    let d = method_call(it, &c, "diagonal", vec![])?;
    let sd = torch_call(it, "sqrt", vec![d])?;
    let col = method_call(it, &sd, "view", vec![Value::Int(-1), Value::Int(1)])?;
    let c = it.binary(BinOp::Div, &c, &col)?;
    let row = method_call(it, &sd, "view", vec![Value::Int(1), Value::Int(-1)])?;
    let c = it.binary(BinOp::Div, &c, &row)?;
    method_call(it, &c, "clip", vec![Value::Int(-1), Value::Int(1)])
}

fn dim_arg(v: Option<Value>, fname: &str) -> R<i64> {
    match v {
        Some(Value::Int(d)) => Ok(d),
        Some(Value::Bool(b)) => Ok(i64::from(b)),
        None => Err(Exception::type_error(format!(
            "{fname}() missing 1 required positional arguments: \"dim\""
        ))),
        Some(v) => Err(Exception::type_error(format!(
            "{fname}(): argument 'dim' must be int, not {}",
            v.type_name()
        ))),
    }
}

/// `t.view(dtype)`: the same bits read as another dtype of the same size (float32/int32,
/// float64/int64). The result is a copy (docs/divergences.md): PyTorch's shares the storage.
pub fn view_dtype(t: &Tensor, dtype: DType) -> R<Value> {
    let from = t.dtype();
    if from == dtype {
        return Ok(tv(t
            .view(&t.shape().iter().map(|&d| d as isize).collect::<Vec<_>>())
            .map_err(exc)?));
    }
    let shape = t.shape();
    let out = match (from, dtype) {
        (DType::Float32, DType::Int32) => {
            let v: Vec<i64> = t
                .to_f64_vec()
                .iter()
                .map(|&x| i64::from((x as f32).to_bits() as i32))
                .collect();
            Tensor::from_data(Data::I64(v), &shape)
                .map_err(exc)?
                .to_dtype(DType::Int32)
                .map_err(exc)?
        }
        (DType::Int32, DType::Float32) => {
            let v: Vec<f32> = t
                .to_f64_vec()
                .iter()
                .map(|&x| f32::from_bits(x as i32 as u32))
                .collect();
            Tensor::from_data(Data::F32(v), &shape).map_err(exc)?
        }
        (DType::Float64, DType::Int64) => {
            let v: Vec<i64> = t.to_f64_vec().iter().map(|&x| x.to_bits() as i64).collect();
            Tensor::from_data(Data::I64(v), &shape).map_err(exc)?
        }
        (DType::Int64, DType::Float64) => {
            let v: Vec<f64> = int_values(t)
                .into_iter()
                .map(|x| f64::from_bits(x as u64))
                .collect();
            Tensor::from_data(Data::F64(v), &shape).map_err(exc)?
        }
        _ if from.element_size() != dtype.element_size() => {
            return Err(Exception::unsupported(format!(
                "view({}) of a {} tensor (element sizes differ)",
                dtype.scalar_name(),
                from.scalar_name()
            )));
        }
        _ => {
            return Err(Exception::unsupported(format!(
                "view({}) of a {} tensor",
                dtype.scalar_name(),
                from.scalar_name()
            )));
        }
    };
    Ok(tv(out))
}

/// An integer tensor's values, exact (int64 through f64 would round past 2^53).
fn int_values(t: &Tensor) -> Vec<i64> {
    t.to_scalars()
        .into_iter()
        .map(|s| match s {
            crate::tensor::Scalar::Int(i) => i,
            crate::tensor::Scalar::Bool(b) => i64::from(b),
            crate::tensor::Scalar::Float(f) => f as i64,
        })
        .collect()
}

/// The functions as methods of `t`, or None for another name.
pub fn method(this: &Value, name: &str) -> Option<Value> {
    Some(match name {
        "ldexp" => Value::method(this.clone(), "ldexp", |it, args| {
            let [other] = args.bind(&["other"])?;
            let t = args.this.clone().unwrap_or(Value::None);
            ldexp(it, t, other.unwrap_or(Value::None))
        }),
        "frexp" => Value::method(this.clone(), "frexp", |_, args| {
            args.bind::<0>(&[])?;
            frexp(&super::tensorfns::receiver(&args)?)
        }),
        "nextafter" => Value::method(this.clone(), "nextafter", |_, args| {
            let [other] = args.bind(&["other"])?;
            let b = tensor_param_at(other.as_ref(), "nextafter", "other", 1)?;
            nextafter(&super::tensorfns::receiver(&args)?, &b)
        }),
        "logcumsumexp" => Value::method(this.clone(), "logcumsumexp", |_, args| {
            let [dim] = args.bind(&["dim"])?;
            logcumsumexp(
                &super::tensorfns::receiver(&args)?,
                dim_arg(dim, "logcumsumexp")?,
            )
        }),
        "cov" => Value::method(this.clone(), "cov", |it, args| {
            let [correction, fw, aw] =
                args.bind(&["*", "correction=", "fweights=", "aweights="])?;
            let t = args.this.clone().unwrap_or(Value::None);
            let c = correction
                .map(|c| c.expect_int("correction"))
                .transpose()?
                .unwrap_or(1);
            cov(it, &t, c, fw, aw)
        }),
        "corrcoef" => Value::method(this.clone(), "corrcoef", |it, args| {
            args.bind::<0>(&[])?;
            let t = args.this.clone().unwrap_or(Value::None);
            corrcoef(it, &t)
        }),
        _ => return None,
    })
}

/// Adds the functions to `torch`.
pub fn install(m: &Module) {
    m.set(
        "ldexp",
        Value::builtin("ldexp", |it, args: Args| {
            let [input, other, _out] = args.bind(&["input", "other", "*", "out="])?;
            tensor_param_at(input.as_ref(), "ldexp", "input", 1)?;
            ldexp(
                it,
                input.unwrap_or(Value::None),
                other.unwrap_or(Value::None),
            )
        }),
    );
    m.set(
        "frexp",
        Value::builtin("frexp", |_, args: Args| {
            let [input, _out] = args.bind(&["input", "*", "out="])?;
            frexp(&tensor_param_at(input.as_ref(), "frexp", "input", 1)?)
        }),
    );
    m.set(
        "nextafter",
        Value::builtin("nextafter", |_, args: Args| {
            let [input, other, _out] = args.bind(&["input", "other", "*", "out="])?;
            let a = tensor_param_at(input.as_ref(), "nextafter", "input", 1)?;
            let b = tensor_param_at(other.as_ref(), "nextafter", "other", 2)?;
            nextafter(&a, &b)
        }),
    );
    m.set(
        "logcumsumexp",
        Value::builtin("logcumsumexp", |_, args: Args| {
            let [input, dim, _out] = args.bind(&["input", "dim", "*", "out="])?;
            logcumsumexp(
                &tensor_param_at(input.as_ref(), "logcumsumexp", "input", 1)?,
                dim_arg(dim, "logcumsumexp")?,
            )
        }),
    );
    m.set(
        "cov",
        Value::builtin("cov", |it, args: Args| {
            let [input, correction, fw, aw] =
                args.bind(&["input", "*", "correction=", "fweights=", "aweights="])?;
            let input = input.unwrap_or(Value::None);
            tensor_param_at(Some(&input), "cov", "input", 1)?;
            let c = correction
                .map(|c| c.expect_int("correction"))
                .transpose()?
                .unwrap_or(1);
            cov(it, &input, c, fw, aw)
        }),
    );
    m.set(
        "corrcoef",
        Value::builtin("corrcoef", |it, args: Args| {
            let [input] = args.bind(&["input"])?;
            let input = input.unwrap_or(Value::None);
            tensor_param_at(Some(&input), "corrcoef", "input", 1)?;
            corrcoef(it, &input)
        }),
    );
}
