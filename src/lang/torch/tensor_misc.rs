//! Small torch functions and tensor methods that PyTorch's own docstring examples use and the
//! engine could already express: `torch.range` (deprecated, end-inclusive), `is_nonzero`,
//! `typename`, `diagflat`, `unravel_index`, the in-place `random_` and `fill_diagonal_`, and
//! `F.gumbel_softmax`.

use super::R;
use super::convert::{as_scalar, as_tensor, bool_arg, dtype_arg, exc, tv};
use crate::lang::native::Args;
use crate::lang::{Exception, Module, Value};
use crate::tensor::{DType, Data, Scalar, Tensor};

/// Adds the functions to `torch`.
pub fn install(m: &Module) {
    m.set("range", Value::builtin("range", range));
    m.set(
        "is_nonzero",
        Value::builtin("is_nonzero", |_, args| {
            let [input] = args.bind(&["input"])?;
            is_nonzero(&tensor_of(input.as_ref(), "is_nonzero")?)
        }),
    );
    m.set(
        "typename",
        Value::builtin("typename", |_, args| {
            let [obj] = args.bind(&["obj"])?;
            let obj = obj.unwrap_or(Value::None);
            // PyTorch: a tensor's `type()`; other objects' module-qualified class name (the
            // builtins' bare), of which only the bare name is given here.
            Ok(Value::str(&match as_tensor(&obj) {
                Some(t) => format!("torch.{}Tensor", t.dtype().scalar_name()),
                None => obj.type_name(),
            }))
        }),
    );
    m.set(
        "unravel_index",
        Value::builtin("unravel_index", |interp, args| {
            let [indices, shape] = args.bind(&["indices", "shape"])?;
            // PyTorch 2.15 reads `indices.is_complex()` first, so a Python int fails there.
            let indices = match indices {
                Some(v @ (Value::Int(_) | Value::Float(_) | Value::Bool(_))) => {
                    return Err(Exception::new(
                        "AttributeError",
                        format!("'{}' object has no attribute 'is_complex'", v.type_name()),
                    ));
                }
                v => tensor_of(v.as_ref(), "unravel_index")?,
            };
            let shape = match shape {
                Some(Value::Int(n)) => vec![n],
                Some(v) => interp
                    .iterate(&v)?
                    .iter()
                    .map(|d| d.expect_int("shape"))
                    .collect::<R<Vec<i64>>>()?,
                None => Vec::new(),
            };
            unravel_index(&indices, &shape)
        }),
    );
    m.set(
        "diagflat",
        Value::builtin("diagflat", |_, args| {
            let [input, offset] = args.bind(&["input", "offset="])?;
            let t = tensor_of(input.as_ref(), "diagflat")?;
            diagflat(&t, offset.map_or(Ok(0), |o| o.expect_int("offset"))?)
        }),
    );
}

/// Adds `F.gumbel_softmax`.
pub fn add_functional(m: &Module) {
    m.set(
        "gumbel_softmax",
        Value::builtin("gumbel_softmax", |_, args| {
            let [logits, tau, hard, _eps, dim] =
                args.bind(&["logits", "tau=", "hard=", "eps=", "dim="])?;
            let logits = tensor_of(logits.as_ref(), "gumbel_softmax")?;
            let tau = tau.map_or(Ok(1.0), |t| t.expect_f64("tau"))?;
            let dim = dim.map_or(Ok(-1), |d| d.expect_int("dim"))? as isize;
            let g = super::default_rng().ok_or_else(|| Exception::runtime_error("no generator"))?;
            gumbel_softmax(
                &logits,
                tau,
                bool_arg(hard.as_ref(), false),
                dim,
                &mut g.borrow_mut(),
            )
        }),
    );
}

/// PyTorch's `gumbel_softmax`: Gumbel noise `-log(Exp(1))` drawn into a tensor like the
/// logits, `softmax((logits + noise) / tau)`, and with `hard` the one-hot of its argmax plus
/// the soft values minus their detached copy (the straight-through estimator).
fn gumbel_softmax(
    logits: &Tensor,
    tau: f64,
    hard: bool,
    dim: isize,
    g: &mut crate::tensor::Generator,
) -> R<Value> {
    let noise = Tensor::zeros(&logits.shape(), logits.dtype());
    crate::tensor::exponential_(&noise, g, 1.0).map_err(exc)?;
    let y_soft = noise
        .log()
        .and_then(|l| l.neg())
        .and_then(|n| logits.add(&n))
        .and_then(|x| x.div_scalar(Scalar::Float(tau)))
        .and_then(|x| x.softmax(dim))
        .map_err(exc)?;
    if !hard {
        return Ok(tv(y_soft));
    }
    let index = y_soft.max_dim(dim, true).map_err(exc)?.1;
    let y_hard = Tensor::zeros(&logits.shape(), logits.dtype())
        .scatter(
            dim,
            &index,
            crate::tensor::ScatterSrc::Value(Scalar::Float(1.0)),
        )
        .map_err(exc)?;
    Ok(tv(y_hard
        .sub(&y_soft.detach())
        .and_then(|d| d.add(&y_soft))
        .map_err(exc)?))
}

/// `torch.unravel_index(indices, shape)`: PyTorch's `indices // coefs % shape`, floor division
/// and Python's modulo, so out-of-range and negative indices wrap rather than raise.
fn unravel_index(indices: &Tensor, shape: &[i64]) -> R<Value> {
    if indices.dtype().is_floating_point() || indices.dtype() == DType::Bool {
        return Err(Exception::type_error(format!(
            "expected 'indices' to be integer dtype, but got {}",
            indices.dtype()
        )));
    }
    if shape.iter().any(|&d| d < 0) {
        let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
        let tuple = if dims.len() == 1 {
            format!("({},)", dims[0])
        } else {
            format!("({})", dims.join(", "))
        };
        return Err(Exception::value_error(format!(
            "'shape' cannot have negative values, but got {tuple}"
        )));
    }
    let vals: Vec<i64> = indices.to_f64_vec().iter().map(|&v| v as i64).collect();
    let mut coefs = vec![1i64; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        coefs[d] = coefs[d + 1].wrapping_mul(shape[d + 1]);
    }
    let out = shape
        .iter()
        .zip(&coefs)
        .map(|(&size, &c)| {
            let v: Vec<i64> = vals
                .iter()
                .map(|&i| {
                    let q = if c == 0 { 0 } else { i.div_euclid(c) };
                    if size == 0 { 0 } else { q.rem_euclid(size) }
                })
                .collect();
            Tensor::from_data(Data::I64(v), &indices.shape())
                .map(tv)
                .map_err(exc)
        })
        .collect::<R<Vec<Value>>>()?;
    Ok(Value::tuple(out))
}

/// The tensor methods of this file.
pub fn method(this: &Value, name: &str) -> Option<Value> {
    Some(match name {
        "is_nonzero" => Value::method(this.clone(), "is_nonzero", |_, args| {
            let [] = args.bind(&[])?;
            is_nonzero(&receiver(&args)?)
        }),
        "diagflat" => Value::method(this.clone(), "diagflat", |_, args| {
            let [offset] = args.bind(&["offset="])?;
            diagflat(
                &receiver(&args)?,
                offset.map_or(Ok(0), |o| o.expect_int("offset"))?,
            )
        }),
        "random_" => Value::method(this.clone(), "random_", |_, args| {
            let [from, to, _gen] = args.bind(&["from=", "to=", "*", "generator="])?;
            let t = receiver(&args)?;
            let g = super::generator_arg(&args)?;
            let int = |v: Option<Value>, n: &str| {
                v.filter(|v| !v.is_none())
                    .map(|v| v.expect_int(n))
                    .transpose()
            };
            // `random_(to)` is `random_(0, to)`, as PyTorch's overloads read one number.
            let (from, to) = match (int(from, "from")?, int(to, "to")?) {
                (Some(to), None) => (Some(0), Some(to)),
                pair => pair,
            };
            random_(&t, &mut g.borrow_mut(), from, to)?;
            Ok(args.this.clone().unwrap_or(Value::None))
        }),
        "fill_diagonal_" => Value::method(this.clone(), "fill_diagonal_", |_, args| {
            let [fill_value, wrap] = args.bind(&["fill_value", "wrap="])?;
            let t = receiver(&args)?;
            let v = fill_value.as_ref().and_then(as_scalar).ok_or_else(|| {
                Exception::type_error("fill_diagonal_(): argument 'fill_value' must be Number")
            })?;
            fill_diagonal_(&t, v, bool_arg(wrap.as_ref(), false))?;
            Ok(args.this.clone().unwrap_or(Value::None))
        }),
        _ => return None,
    })
}

fn receiver(args: &Args) -> R<Tensor> {
    super::tensorfns::receiver(args)
}

fn tensor_of(v: Option<&Value>, fname: &str) -> R<Tensor> {
    v.and_then(as_tensor).cloned().ok_or_else(|| {
        Exception::type_error(format!(
            "{fname}(): argument 'input' (position 1) must be Tensor, not {}",
            v.map_or_else(|| "NoneType".to_string(), |v| v.type_name())
        ))
    })
}

/// `torch.range(start, end, step=1)`: like `arange` but including `end`, always floating
/// (the default dtype); ATen computes `start + i*step` in double and rounds once.
fn range(_: &mut crate::lang::Interpreter, args: Args) -> R<Value> {
    let [start, end, step, dtype, requires_grad] =
        args.bind(&["start", "end", "step=", "*", "dtype=", "requires_grad="])?;
    let num = |v: Option<&Value>, d: f64, n: &str| -> R<f64> {
        match v {
            None | Some(Value::None) => Ok(d),
            Some(v) => as_scalar(v).map(Scalar::as_f64).ok_or_else(|| {
                Exception::type_error(format!(
                    "range(): argument '{n}' must be Number, not {}",
                    v.type_name()
                ))
            }),
        }
    };
    let (a, b, s) = (
        num(start.as_ref(), 0.0, "start")?,
        num(end.as_ref(), 0.0, "end")?,
        num(step.as_ref(), 1.0, "step")?,
    );
    let dtype = super::or_default(dtype_arg(dtype.as_ref())?);
    if s == 0.0 {
        return Err(Exception::runtime_error("step must be nonzero"));
    }
    if !(a.is_finite() && b.is_finite()) {
        return Err(Exception::runtime_error(format!(
            "unsupported range: {a} -> {b}"
        )));
    }
    if (s > 0.0 && b < a) || (s < 0.0 && b > a) {
        return Err(Exception::runtime_error(
            "upper bound and larger bound inconsistent with step sign",
        ));
    }
    let n = ((b - a) / s) as usize + 1;
    crate::tensor::check_size(&[n]).map_err(exc)?;
    let v: Vec<f64> = (0..n).map(|i| a + i as f64 * s).collect();
    let t = Tensor::from_data(Data::F64(v), &[n])
        .and_then(|t| t.to_dtype(dtype))
        .map_err(exc)?;
    if bool_arg(requires_grad.as_ref(), false) {
        t.set_requires_grad(true).map_err(exc)?;
    }
    Ok(tv(t))
}

/// `is_nonzero`: the truth of a one-element tensor, with PyTorch's errors for the others.
fn is_nonzero(t: &Tensor) -> R<Value> {
    match t.numel() {
        0 => Err(Exception::runtime_error(
            "Boolean value of Tensor with no values is ambiguous",
        )),
        1 => Ok(Value::Bool(t.item().map_err(exc)?.as_f64() != 0.0)),
        _ => Err(Exception::runtime_error(
            "Boolean value of Tensor with more than one value is ambiguous",
        )),
    }
}

/// `diagflat(offset)`: the input flattened onto the `offset` diagonal of a square matrix.
fn diagflat(t: &Tensor, offset: i64) -> R<Value> {
    Ok(tv(t
        .reshape(&[-1])
        .and_then(|f| f.diag(offset))
        .map_err(exc)?))
}

/// `random_(from, to)`: ATen's `random_from_to` (`draw % range + from`, a 64-bit draw once the
/// range reaches 2^28, as `randint`), or with no bounds `random_kernel`: a 32-bit draw (64-bit
/// for int64 and float64) modulo the dtype's largest exactly representable integer plus one.
fn random_(
    t: &Tensor,
    g: &mut crate::tensor::Generator,
    from: Option<i64>,
    to: Option<i64>,
) -> R<()> {
    let shape = t.shape();
    let n: usize = shape.iter().product();
    let dtype = t.dtype();
    let drawn = match (from, to) {
        (from, Some(to)) => {
            crate::tensor::randint(g, from.unwrap_or(0), to, &shape).map_err(exc)?
        }
        (Some(from), None) => {
            let top = max_int(dtype);
            crate::tensor::randint(g, from, top.saturating_add(1), &shape).map_err(exc)?
        }
        (None, None) => {
            let wide = matches!(dtype, DType::Int64 | DType::Float64);
            let modulus: u64 = match dtype {
                DType::Bool => 2,
                d if d.is_floating_point() => (1u64 << mantissa_digits(d)) + 1,
                d => max_int(d) as u64 + 1,
            };
            let v: Vec<i64> = (0..n)
                .map(|_| {
                    let r = if wide {
                        g.random64()
                    } else {
                        u64::from(g.random())
                    };
                    if dtype == DType::Bool {
                        (r & 1) as i64
                    } else {
                        (r % modulus) as i64
                    }
                })
                .collect();
            Tensor::from_data(Data::I64(v), &shape).map_err(exc)?
        }
    };
    let drawn = drawn.to_dtype(dtype).map_err(exc)?;
    let was = crate::tensor::set_grad_enabled(false);
    let r = t.copy_(&drawn);
    crate::tensor::set_grad_enabled(was);
    r.map_err(exc)
}

fn max_int(d: DType) -> i64 {
    match d {
        DType::Int8 => i8::MAX.into(),
        DType::UInt8 => u8::MAX.into(),
        DType::Int16 => i16::MAX.into(),
        DType::UInt16 => u16::MAX.into(),
        DType::Int32 => i32::MAX.into(),
        DType::Bool => 1,
        d if d.is_floating_point() => 1i64 << mantissa_digits(d),
        _ => i64::MAX,
    }
}

/// `std::numeric_limits<T>::digits` of a floating dtype.
fn mantissa_digits(d: DType) -> u32 {
    match d {
        DType::Float64 => 53,
        DType::Float16 => 11,
        DType::BFloat16 => 8,
        _ => 24,
    }
}

/// `fill_diagonal_(v, wrap)`: every element whose indices are all equal; a tall matrix with
/// `wrap` starts the diagonal again one row below where it left the last column.
fn fill_diagonal_(t: &Tensor, v: Scalar, wrap: bool) -> R<()> {
    let shape = t.shape();
    if shape.len() < 2 {
        return Err(Exception::runtime_error("dimensions must larger than 1"));
    }
    if shape.len() > 2 && shape.iter().any(|&s| s != shape[0]) {
        return Err(Exception::runtime_error(
            "all dimensions of input must be of equal length",
        ));
    }
    let numel: usize = shape.iter().product();
    // In row-major order consecutive diagonal elements are one "step" apart.
    let step: usize = (0..shape.len())
        .map(|d| shape[d + 1..].iter().product::<usize>())
        .sum();
    let limit = if wrap || shape.len() > 2 {
        numel
    } else {
        shape[0].min(shape[1]) * shape[1]
    };
    let mut mask = vec![false; numel];
    let mut p = 0;
    while p < limit {
        mask[p] = true;
        p += step;
    }
    let mask = Tensor::from_data(Data::Bool(mask), &shape).map_err(exc)?;
    t.masked_fill_(&mask, v).map_err(exc)
}
