//! The functions of the `numpy` module: creation (`array`, `zeros`, `arange`, `linspace`...),
//! ufuncs (`exp`, `add(..., out=)`, `maximum`...), reductions, joining and selection.

use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::{DType, Scalar, Tensor};

use super::array::{Elems, R, array, build, convert, elems, exc, from_py, result};
use super::methods::{array_arg, axis_arg, int_of, reduction, shape_from};
use super::ops::{self, NpOp, Operand, Reduce};

pub(super) fn dtype_kw(args: &Args) -> R<Option<DType>> {
    match args.kw.iter().find(|(k, _)| &**k == "dtype") {
        None => Ok(None),
        Some((_, Value::None)) => Ok(None),
        Some((_, v)) => super::dtype_of(v).map(Some),
    }
}

pub(super) fn arg(args: &Args, i: usize, name: &str) -> Option<Value> {
    args.pos.get(i).cloned().or_else(|| {
        args.kw
            .iter()
            .find(|(k, _)| &**k == name)
            .map(|(_, v)| v.clone())
    })
}

pub(super) fn need(args: &Args, i: usize, name: &str) -> R<Value> {
    arg(args, i, name).ok_or_else(|| {
        Exception::type_error(format!(
            "{}() missing required argument '{name}' (pos {})",
            args.fname,
            i + 1
        ))
    })
}

fn filled(it: &mut Interpreter, args: &Args, value: f64) -> R<Value> {
    let shape_v = need(args, 0, "shape")?;
    let shape: Vec<usize> = shape_from(it, std::slice::from_ref(&shape_v))?
        .into_iter()
        .map(|d| d.max(0) as usize)
        .collect();
    let dtype = dtype_kw(args)?.unwrap_or(DType::Float64);
    let n: usize = shape.iter().product();
    Ok(array(build(Elems::Float(vec![value; n]), &shape, dtype)?))
}

/// NumPy's arange: length ceil((stop - start) / step), elements start + i * delta where
/// delta is (start + step) - start as NumPy's fill computes it.
fn arange(args: &Args) -> R<Value> {
    let nums: Vec<Value> = args.pos.clone();
    let (start, stop, step) = match nums.len() {
        1 => (Value::Int(0), nums[0].clone(), Value::Int(1)),
        2 => (
            nums[0].clone(),
            nums[1].clone(),
            arg(args, 2, "step").unwrap_or(Value::Int(1)),
        ),
        3 => (nums[0].clone(), nums[1].clone(), nums[2].clone()),
        _ => {
            return Err(Exception::type_error(
                "arange() requires stop to be specified.",
            ));
        }
    };
    let is_float = |v: &Value| {
        matches!(v, Value::Float(_))
            || v.downcast::<super::array::NdArray>()
                .is_some_and(|a| a.t.dtype().is_floating_point())
    };
    let float = is_float(&start) || is_float(&stop) || is_float(&step);
    let num = |v: &Value| -> R<f64> {
        match v.downcast::<super::array::NdArray>() {
            Some(a) => Ok(a.t.item().map_err(exc)?.as_f64()),
            None => v.expect_f64("arange"),
        }
    };
    let (a, b, s) = (num(&start)?, num(&stop)?, num(&step)?);
    if s == 0.0 {
        return Err(Exception::new("ZeroDivisionError", "division by zero"));
    }
    let len = ((b - a) / s).ceil().max(0.0) as usize;
    crate::tensor::check_size(&[len]).map_err(exc)?;
    let dtype = dtype_kw(args)?.unwrap_or(if float { DType::Float64 } else { DType::Int64 });
    let e = if float || dtype.is_floating_point() {
        let delta = (a + s) - a;
        Elems::Float(
            (0..len)
                .map(|i| {
                    if i == 0 {
                        a
                    } else if i == 1 {
                        a + delta
                    } else {
                        a + i as f64 * delta
                    }
                })
                .collect(),
        )
    } else {
        let (a, s) = (a as i64, s as i64);
        Elems::Int((0..len as i64).map(|i| a + i * s).collect())
    };
    Ok(array(build(e, &[len], dtype)?))
}

fn linspace(args: &Args) -> R<Value> {
    let start = need(args, 0, "start")?.expect_f64("start")?;
    let stop = need(args, 1, "stop")?.expect_f64("stop")?;
    let num = arg(args, 2, "num").map_or(Ok(50), |v| int_of(&v))?;
    if num < 0 {
        return Err(Exception::value_error(format!(
            "Number of samples, {num}, must be non-negative."
        )));
    }
    let endpoint = arg(args, 3, "endpoint").is_none_or(|v| !matches!(v, Value::Bool(false)));
    let v = linspace_values(start, stop, num as usize, endpoint);
    let dtype = dtype_kw(args)?.unwrap_or(DType::Float64);
    Ok(array(build(Elems::Float(v), &[num as usize], dtype)?))
}

/// NumPy's linspace values: `i * step + start`, the endpoint set to `stop` exactly.
pub(super) fn linspace_values(start: f64, stop: f64, n: usize, endpoint: bool) -> Vec<f64> {
    let div = if endpoint { n.saturating_sub(1) } else { n } as f64;
    let delta = stop - start;
    let step = delta / div;
    let mut v: Vec<f64> = (0..n)
        .map(|i| {
            let y = i as f64;
            if div > 0.0 {
                if step == 0.0 {
                    y / div * delta + start
                } else {
                    y * step + start
                }
            } else {
                y * delta + start
            }
        })
        .collect();
    if endpoint && n > 1 {
        v[n - 1] = stop;
    }
    v
}

pub fn cumsum(t: &Tensor, axis: Option<isize>) -> R<Tensor> {
    cumulate(t, axis, false)
}

/// `cumsum` (or with `prod`, `cumprod`) along `axis`, flattened when None.
pub fn cumulate(t: &Tensor, axis: Option<isize>, prod: bool) -> R<Tensor> {
    let (t, axis) = match axis {
        None => (t.reshape(&[-1]).map_err(exc)?, 0usize),
        Some(a) => (
            t.clone(),
            crate::tensor::norm_dim_public(a, t.dim()).map_err(exc)?,
        ),
    };
    let shape = t.shape();
    let dtype = if t.dtype().is_floating_point() {
        t.dtype()
    } else {
        DType::Int64
    };
    let (n, inner) = (shape[axis], shape[axis + 1..].iter().product::<usize>());
    let outer: usize = shape[..axis].iter().product();
    let e = elems(&t).to_kind(dtype);
    let single = dtype == DType::Float32;
    let out = match e {
        Elems::Float(mut v) => {
            for o in 0..outer {
                for i in 0..inner {
                    for k in 1..n {
                        let (p, c) = (
                            o * n * inner + (k - 1) * inner + i,
                            o * n * inner + k * inner + i,
                        );
                        v[c] = if prod { v[c] * v[p] } else { v[c] + v[p] };
                        if single {
                            v[c] = v[c] as f32 as f64;
                        }
                    }
                }
            }
            Elems::Float(v)
        }
        other => {
            let mut v = other.i64s();
            for o in 0..outer {
                for i in 0..inner {
                    for k in 1..n {
                        let (p, c) = (
                            o * n * inner + (k - 1) * inner + i,
                            o * n * inner + k * inner + i,
                        );
                        v[c] = if prod { v[c].wrapping_mul(v[p]) } else { v[c].wrapping_add(v[p]) };
                    }
                }
            }
            Elems::Int(v)
        }
    };
    build(out, &shape, dtype)
}

pub fn clip(it: &mut Interpreter, t: &Tensor, lo: Option<&Value>, hi: Option<&Value>) -> R<Value> {
    let mut r = t.clone();
    if let Some(lo) = lo.filter(|v| !v.is_none()) {
        let b = ops::operand(it, lo)?
            .ok_or_else(|| Exception::type_error("clip() bounds must be numbers or arrays"))?;
        r = ops::binary(NpOp::Maximum, &Operand::Array(r), &b)?;
    }
    if let Some(hi) = hi.filter(|v| !v.is_none()) {
        let b = ops::operand(it, hi)?
            .ok_or_else(|| Exception::type_error("clip() bounds must be numbers or arrays"))?;
        r = ops::binary(NpOp::Minimum, &Operand::Array(r), &b)?;
    }
    Ok(result(r))
}

fn operand_arg(it: &mut Interpreter, args: &Args, i: usize, name: &str) -> R<Operand> {
    let v = need(args, i, name)?;
    ops::operand(it, &v)?.ok_or_else(|| {
        Exception::type_error(format!(
            "ufunc '{}' not supported for the input types, and the inputs could not be safely coerced to any supported types according to the casting rule ''safe''",
            args.fname
        ))
    })
}

/// A binary ufunc `np.f(a, b, out=None)`.
pub(super) fn ufunc2(m: &Module, name: &'static str, op: NpOp) {
    m.set(
        name,
        Value::builtin(name, move |it, args| {
            let a = operand_arg(it, &args, 0, "x1")?;
            let b = operand_arg(it, &args, 1, "x2")?;
            let r = ops::binary(op, &a, &b)?;
            match args
                .kw
                .iter()
                .find(|(k, _)| &**k == "out")
                .map(|(_, v)| v.clone())
            {
                Some(out) if !out.is_none() => {
                    let dst = super::array::as_array(&out).ok_or_else(|| {
                        Exception::type_error("return arrays must be of ArrayType")
                    })?;
                    ops::store(dst, &r, op.name())?;
                    Ok(out)
                }
                _ => Ok(result(r)),
            }
        }),
    );
}

/// A unary float ufunc `np.f(x)`.
pub(super) fn ufunc1(m: &Module, name: &'static str, f: fn(f64) -> f64) {
    m.set(
        name,
        Value::builtin(name, move |it, args| {
            let v = need(&args, 0, "x")?;
            let t = array_arg(it, &v)?;
            Ok(result(ops::unary_float(&t, f)?))
        }),
    );
}

pub(super) fn joined(it: &mut Interpreter, args: &Args) -> R<Vec<Tensor>> {
    let seq = need(args, 0, "arrays")?;
    let items = it.iterate(&seq)?;
    let ts: Vec<Tensor> = items.iter().map(|v| array_arg(it, v)).collect::<R<_>>()?;
    if ts.is_empty() {
        return Err(Exception::value_error(
            "need at least one array to concatenate",
        ));
    }
    let d = ts
        .iter()
        .skip(1)
        .fold(ts[0].dtype(), |d, t| ops::promote(d, t.dtype()));
    ts.iter()
        .map(|t| {
            if t.dtype() == d {
                Ok(t.clone())
            } else {
                convert(t, d)
            }
        })
        .collect()
}

fn close(it: &mut Interpreter, args: &Args) -> R<Tensor> {
    let a = array_arg(it, &need(args, 0, "a")?)?;
    let b = array_arg(it, &need(args, 1, "b")?)?;
    let rtol = arg(args, 2, "rtol").map_or(Ok(1e-5), |v| v.expect_f64("rtol"))?;
    let atol = arg(args, 3, "atol").map_or(Ok(1e-8), |v| v.expect_f64("atol"))?;
    let equal_nan = matches!(arg(args, 4, "equal_nan"), Some(Value::Bool(true)));
    let shape = ops::broadcast_shape(&a.shape(), &b.shape())?;
    let x = elems(&a.expand(&shape).map_err(exc)?).f64s();
    let y = elems(&b.expand(&shape).map_err(exc)?).f64s();
    let v: Vec<bool> = x
        .iter()
        .zip(&y)
        .map(|(&p, &q)| {
            if p.is_nan() || q.is_nan() {
                return equal_nan && p.is_nan() && q.is_nan();
            }
            if p == q {
                return true;
            }
            (p - q).abs() <= atol + rtol * q.abs()
        })
        .collect();
    build(Elems::Bool(v), &shape, DType::Bool)
}

/// Registers the functions on the `numpy` module.
pub fn install(m: &Module) {
    m.set(
        "array",
        Value::builtin("array", |it, args| {
            let v = need(&args, 0, "object")?;
            let d = dtype_kw(&args)?;
            let t = from_py(it, &v, d)?;
            // np.array copies (np.asarray does not).
            Ok(array(
                if super::array::as_array(&v).is_some()
                    || v.downcast::<crate::lang::torch::PyTensor>().is_some()
                {
                    t.clone_tensor()
                } else {
                    t
                },
            ))
        }),
    );
    m.set(
        "asarray",
        Value::builtin("asarray", |it, args| {
            let v = need(&args, 0, "a")?;
            let d = dtype_kw(&args)?;
            Ok(array(from_py(it, &v, d)?))
        }),
    );
    m.set(
        "zeros",
        Value::builtin("zeros", |it, args| filled(it, &args, 0.0)),
    );
    m.set(
        "ones",
        Value::builtin("ones", |it, args| filled(it, &args, 1.0)),
    );
    m.set(
        "empty",
        Value::builtin("empty", |it, args| filled(it, &args, 0.0)),
    );
    m.set(
        "full",
        Value::builtin("full", |it, args| {
            let shape_v = need(&args, 0, "shape")?;
            let shape: Vec<usize> = shape_from(it, std::slice::from_ref(&shape_v))?
                .into_iter()
                .map(|d| d.max(0) as usize)
                .collect();
            let fill = need(&args, 1, "fill_value")?;
            let s = super::array::py_scalar(&fill)
                .ok_or_else(|| Exception::type_error("full() expects a number"))?;
            let d = dtype_kw(&args)?.unwrap_or(match s {
                Scalar::Bool(_) => DType::Bool,
                Scalar::Int(_) => DType::Int64,
                Scalar::Float(_) => DType::Float64,
            });
            let n: usize = shape.iter().product();
            Ok(array(build(Elems::Float(vec![s.as_f64(); n]), &shape, d)?))
        }),
    );
    for (name, value) in [("zeros_like", 0.0), ("ones_like", 1.0)] {
        m.set(
            name,
            Value::builtin(name, move |it, args| {
                let t = array_arg(it, &need(&args, 0, "a")?)?;
                let d = dtype_kw(&args)?.unwrap_or(t.dtype());
                Ok(array(build(
                    Elems::Float(vec![value; t.numel()]),
                    &t.shape(),
                    d,
                )?))
            }),
        );
    }
    m.set(
        "eye",
        Value::builtin("eye", |_, args| {
            let n = int_of(&need(&args, 0, "N")?)?.max(0) as usize;
            let d = dtype_kw(&args)?.unwrap_or(DType::Float64);
            Ok(array(build(
                Elems::Float(
                    (0..n * n)
                        .map(|i| f64::from(u8::from(i / n == i % n)))
                        .collect(),
                ),
                &[n, n],
                d,
            )?))
        }),
    );
    m.set("arange", Value::builtin("arange", |_, args| arange(&args)));
    m.set(
        "linspace",
        Value::builtin("linspace", |_, args| linspace(&args)),
    );

    for (name, op) in [
        ("add", NpOp::Add),
        ("subtract", NpOp::Sub),
        ("multiply", NpOp::Mul),
        ("divide", NpOp::Div),
        ("true_divide", NpOp::Div),
        ("floor_divide", NpOp::FloorDiv),
        ("mod", NpOp::Mod),
        ("remainder", NpOp::Mod),
        ("power", NpOp::Pow),
        ("maximum", NpOp::Maximum),
        ("minimum", NpOp::Minimum),
        ("greater", NpOp::Gt),
        ("less", NpOp::Lt),
        ("equal", NpOp::Eq),
        ("logical_and", NpOp::And),
        ("logical_or", NpOp::Or),
    ] {
        ufunc2(m, name, op);
    }
    ufunc1(m, "exp", f64::exp);
    ufunc1(m, "log", f64::ln);
    ufunc1(m, "log2", f64::log2);
    ufunc1(m, "log10", f64::log10);
    ufunc1(m, "sqrt", f64::sqrt);
    ufunc1(m, "sin", f64::sin);
    ufunc1(m, "cos", f64::cos);
    ufunc1(m, "tan", f64::tan);
    ufunc1(m, "tanh", f64::tanh);
    ufunc1(m, "floor", f64::floor);
    ufunc1(m, "ceil", f64::ceil);
    m.set(
        "abs",
        Value::builtin("abs", |it, args| {
            let t = array_arg(it, &need(&args, 0, "x")?)?;
            let out = match elems(&t) {
                Elems::Float(v) => Elems::Float(v.iter().map(|x| x.abs()).collect()),
                Elems::Int(v) => Elems::Int(v.iter().map(|x| x.wrapping_abs()).collect()),
                b => b,
            };
            Ok(result(build(out, &t.shape(), t.dtype())?))
        }),
    );
    m.set("absolute", m.get("abs").unwrap_or(Value::None));
    m.set(
        "square",
        Value::builtin("square", |it, args| {
            let a = operand_arg(it, &args, 0, "x")?;
            Ok(result(ops::binary(
                NpOp::Pow,
                &a,
                &Operand::Weak(Scalar::Int(2)),
            )?))
        }),
    );
    m.set(
        "clip",
        Value::builtin("clip", |it, args| {
            let t = array_arg(it, &need(&args, 0, "a")?)?;
            let (lo, hi) = (arg(&args, 1, "a_min"), arg(&args, 2, "a_max"));
            clip(it, &t, lo.as_ref(), hi.as_ref())
        }),
    );
    for name in ["dot", "matmul"] {
        m.set(
            name,
            Value::builtin(name, |it, args| {
                let a = operand_arg(it, &args, 0, "a")?;
                let b = operand_arg(it, &args, 1, "b")?;
                if let (Operand::Weak(_), _) | (_, Operand::Weak(_)) = (&a, &b) {
                    return Ok(result(ops::binary(NpOp::Mul, &a, &b)?));
                }
                Ok(result(ops::binary(NpOp::MatMul, &a, &b)?))
            }),
        );
    }
    m.set(
        "concatenate",
        Value::builtin("concatenate", |it, args| {
            let ts = joined(it, &args)?;
            let axis = arg(&args, 1, "axis").map_or(Ok(0), |v| int_of(&v))?;
            Ok(array(Tensor::cat(&ts, axis as isize).map_err(exc)?))
        }),
    );
    m.set(
        "stack",
        Value::builtin("stack", |it, args| {
            let ts = joined(it, &args)?;
            let axis = arg(&args, 1, "axis").map_or(Ok(0), |v| int_of(&v))?;
            Ok(array(Tensor::stack(&ts, axis as isize).map_err(exc)?))
        }),
    );
    m.set(
        "where",
        Value::builtin("where", |it, args| {
            let c = array_arg(it, &need(&args, 0, "condition")?)?;
            let c = convert(&c, DType::Bool)?;
            let (has_x, has_y) = (arg(&args, 1, "x").is_some(), arg(&args, 2, "y").is_some());
            if has_x != has_y {
                return Err(Exception::value_error("either both or neither of x and y should be given"));
            }
            if !has_x {
                return nonzero(&c);
            }
            let a = operand_arg(it, &args, 1, "x")?;
            let b = operand_arg(it, &args, 2, "y")?;
            let pick_true = ops::binary(NpOp::Add, &a, &Operand::Weak(Scalar::Bool(false)))?;
            let pick_false = ops::binary(NpOp::Add, &b, &Operand::Weak(Scalar::Bool(false)))?;
            let d = ops::promote(pick_true.dtype(), pick_false.dtype());
            let shape = ops::broadcast_shape(
                &ops::broadcast_shape(&c.shape(), &pick_true.shape())?,
                &pick_false.shape(),
            )?;
            let cv = elems(&c.expand(&shape).map_err(exc)?).bools();
            let x = elems(&convert(&pick_true, d)?.expand(&shape).map_err(exc)?).f64s();
            let y = elems(&convert(&pick_false, d)?.expand(&shape).map_err(exc)?).f64s();
            let v: Vec<f64> = cv
                .iter()
                .zip(x.iter().zip(&y))
                .map(|(c, (x, y))| if *c { *x } else { *y })
                .collect();
            Ok(result(build(Elems::Float(v), &shape, d)?))
        }),
    );
    m.set(
        "allclose",
        Value::builtin("allclose", |it, args| {
            let r = close(it, &args)?;
            Ok(Value::Bool(elems(&r).bools().iter().all(|&b| b)))
        }),
    );
    m.set(
        "isclose",
        Value::builtin("isclose", |it, args| Ok(result(close(it, &args)?))),
    );
    for name in ["round", "around"] {
        m.set(
            name,
            Value::builtin(name, |it, args| {
                let t = array_arg(it, &need(&args, 0, "a")?)?;
                let d = arg(&args, 1, "decimals").map_or(Ok(0), |v| int_of(&v))?;
                Ok(result(ops::round(&t, d as i32)?))
            }),
        );
    }
    for (name, kind) in [
        ("sum", Reduce::Sum),
        ("prod", Reduce::Prod),
        ("max", Reduce::Max),
        ("amax", Reduce::Max),
        ("min", Reduce::Min),
        ("amin", Reduce::Min),
        ("argmax", Reduce::ArgMax),
        ("argmin", Reduce::ArgMin),
        ("any", Reduce::Any),
        ("all", Reduce::All),
    ] {
        m.set(
            name,
            Value::builtin(name, move |it, args| {
                let t = array_arg(it, &need(&args, 0, "a")?)?;
                reduction(
                    &t,
                    kind,
                    arg(&args, 1, "axis").as_ref(),
                    arg(&args, 99, "keepdims").as_ref(),
                )
            }),
        );
    }
    m.set(
        "mean",
        Value::builtin("mean", |it, args| {
            let t = array_arg(it, &need(&args, 0, "a")?)?;
            let keep = matches!(arg(&args, 99, "keepdims"), Some(Value::Bool(true)));
            Ok(result(ops::mean(
                &t,
                axis_arg(arg(&args, 1, "axis").as_ref())?,
                keep,
            )?))
        }),
    );
    for (name, sqrt) in [("std", true), ("var", false)] {
        m.set(
            name,
            Value::builtin(name, move |it, args| {
                let t = array_arg(it, &need(&args, 0, "a")?)?;
                let keep = matches!(arg(&args, 99, "keepdims"), Some(Value::Bool(true)));
                let ddof = arg(&args, 99, "ddof").map_or(Ok(0.0), |v| v.expect_f64("ddof"))?;
                Ok(result(ops::var(
                    &t,
                    axis_arg(arg(&args, 1, "axis").as_ref())?,
                    ddof,
                    keep,
                    sqrt,
                )?))
            }),
        );
    }
    m.set(
        "cumsum",
        Value::builtin("cumsum", |it, args| {
            let t = array_arg(it, &need(&args, 0, "a")?)?;
            Ok(array(cumsum(
                &t,
                axis_arg(arg(&args, 1, "axis").as_ref())?,
            )?))
        }),
    );
    m.set(
        "reshape",
        Value::builtin("reshape", |it, args| {
            let t = array_arg(it, &need(&args, 0, "a")?)?;
            let s = need(&args, 1, "shape")?;
            let shape = shape_from(it, std::slice::from_ref(&s))?;
            Ok(array(super::methods::reshape(&t, &shape)?))
        }),
    );
    m.set(
        "transpose",
        Value::builtin("transpose", |it, args| {
            let [a, axes] = args.bind(&["a", "axes="])?;
            let t = array_arg(it, &a.unwrap_or(Value::None))?;
            // `np.transpose(a, (1, 2, 0))`: the axes in their new order; none reverses them.
            let axes = match axes {
                None | Some(Value::None) => None,
                Some(v) => Some(shape_from(it, std::slice::from_ref(&v))?.into_iter().map(|d| d as isize).collect()),
            };
            Ok(array(ops::transpose(&t, axes)?))
        }),
    );
    m.set(
        "shape",
        Value::builtin("shape", |it, args| {
            let t = array_arg(it, &need(&args, 0, "a")?)?;
            Ok(Value::tuple(
                t.shape()
                    .into_iter()
                    .map(|d| Value::Int(d as i64))
                    .collect(),
            ))
        }),
    );
}

/// `np.where(condition)`, i.e. `condition.nonzero()`: a tuple of int64 index arrays, one per
/// dimension, the true elements' positions in row-major order.
pub(super) fn nonzero(c: &Tensor) -> R<Value> {
    let shape = c.shape();
    let bools = elems(c).bools();
    let mut per_dim: Vec<Vec<i64>> = vec![Vec::new(); shape.len()];
    for (flat, _) in bools.iter().enumerate().filter(|(_, b)| **b) {
        let mut rest = flat;
        for d in (0..shape.len()).rev() {
            per_dim[d].push((rest % shape[d]) as i64);
            rest /= shape[d];
        }
    }
    let arrays: R<Vec<Value>> = per_dim
        .into_iter()
        .map(|v| {
            let n = v.len();
            Ok(array(build(Elems::Int(v), &[n], DType::Int64)?))
        })
        .collect();
    Ok(Value::tuple(arrays?))
}
