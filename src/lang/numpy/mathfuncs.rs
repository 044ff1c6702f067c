//! NumPy's element tests and small math: `isnan`/`isinf`/`isfinite`, `nan_to_num`, `sign`,
//! `cumprod`, `diff`, `count_nonzero`, `logspace`/`geomspace`, more unary and binary float
//! ufuncs, the abstract scalar types with `issubdtype`, and the print options
//! (`set_printoptions`, `get_printoptions`, `array2string`).

use std::rc::Rc;

use crate::lang::native::Args;
use crate::lang::value::TypeObj;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::{DType, Tensor};

use super::array::{Elems, R, array, build, elems, exc, result};
use super::funcs::{arg, dtype_kw, linspace_values, need, ufunc1, ufunc2};
use super::methods::{array_arg, axis_arg, int_of};
use super::ops::{self, NpOp, Operand, Reduce};
use super::print::{self, PrintOptions};

/// A float test over the elements (ints and bools are always finite).
fn test(t: &Tensor, f: fn(f64) -> bool) -> R<Tensor> {
    let v: Vec<bool> = match elems(t) {
        Elems::Float(v) => v.into_iter().map(f).collect(),
        other => vec![f(0.0); other.len()],
    };
    build(Elems::Bool(v), &t.shape(), DType::Bool)
}

fn float_kw(args: &Args, i: usize, name: &str) -> R<Option<f64>> {
    match arg(args, i, name) {
        None | Some(Value::None) => Ok(None),
        Some(v) => v.expect_f64(name).map(Some),
    }
}

fn nan_to_num(it: &mut Interpreter, args: &Args) -> R<Value> {
    let t = array_arg(it, &need(args, 0, "x")?)?;
    let Elems::Float(v) = elems(&t) else {
        return Ok(result(t.clone_tensor()));
    };
    let big = if t.dtype() == DType::Float32 {
        f64::from(f32::MAX)
    } else {
        f64::MAX
    };
    let nan = float_kw(args, 2, "nan")?.unwrap_or(0.0);
    let pos = float_kw(args, 3, "posinf")?.unwrap_or(big);
    let neg = float_kw(args, 4, "neginf")?.unwrap_or(-big);
    let v = v
        .into_iter()
        .map(|x| match x {
            x if x.is_nan() => nan,
            x if x == f64::INFINITY => pos,
            x if x == f64::NEG_INFINITY => neg,
            x => x,
        })
        .collect();
    Ok(result(build(Elems::Float(v), &t.shape(), t.dtype())?))
}

fn sign(t: &Tensor) -> R<Tensor> {
    let e = match elems(t) {
        Elems::Float(v) => Elems::Float(
            v.into_iter()
                .map(|x| {
                    if x > 0.0 {
                        1.0
                    } else if x < 0.0 {
                        -1.0
                    } else {
                        x
                    }
                })
                .collect(),
        ),
        Elems::Int(v) => Elems::Int(v.into_iter().map(i64::signum).collect()),
        Elems::Bool(_) => {
            return Err(Exception::type_error(
                "The numpy boolean negative, the `-` operator, is not supported, use the `~` operator or the logical_not function instead.",
            ));
        }
    };
    build(e, &t.shape(), t.dtype())
}

/// `np.diff(a, n=1, axis=-1)`: `a[..., 1:] - a[..., :-1]`, n times.
fn diff(it: &mut Interpreter, args: &Args) -> R<Value> {
    let mut t = array_arg(it, &need(args, 0, "a")?)?;
    let n = arg(args, 1, "n").map_or(Ok(1), |v| int_of(&v))?;
    if n < 0 {
        return Err(Exception::value_error(format!(
            "order must be non-negative but got {n}"
        )));
    }
    if t.dim() == 0 {
        return Err(Exception::value_error(
            "diff requires input that is at least one dimensional",
        ));
    }
    let axis = super::shaping::norm_axis(
        arg(args, 2, "axis").map_or(Ok(-1), |v| int_of(&v))?,
        t.dim(),
    )?;
    for _ in 0..n {
        let len = t.shape()[axis] as i64;
        let hi = t
            .slice(axis as isize, Some(1.min(len)), None, 1)
            .map_err(exc)?;
        let lo = t
            .slice(axis as isize, Some(0), Some((len - 1).max(0)), 1)
            .map_err(exc)?;
        t = ops::binary(NpOp::Sub, &Operand::Array(hi), &Operand::Array(lo))?;
    }
    Ok(array(t))
}

fn count_nonzero(it: &mut Interpreter, args: &Args) -> R<Value> {
    let t = array_arg(it, &need(args, 0, "a")?)?;
    let b = build(Elems::Bool(elems(&t).bools()), &t.shape(), DType::Bool)?;
    match axis_arg(arg(args, 1, "axis").as_ref())? {
        None => Ok(Value::Int(
            elems(&b).bools().iter().filter(|&&x| x).count() as i64
        )),
        Some(a) => Ok(result(ops::reduce(&b, Reduce::Sum, Some(a), false)?)),
    }
}

/// `logspace`: `base ** linspace(start, stop, num)` in float64.
fn logspace_values(start: f64, stop: f64, n: usize, endpoint: bool, base: f64) -> Vec<f64> {
    linspace_values(start, stop, n, endpoint)
        .into_iter()
        .map(|y| base.powf(y))
        .collect()
}

fn num_args(args: &Args) -> R<(f64, f64, usize, bool)> {
    let start = need(args, 0, "start")?.expect_f64("start")?;
    let stop = need(args, 1, "stop")?.expect_f64("stop")?;
    let num = arg(args, 2, "num").map_or(Ok(50), |v| int_of(&v))?;
    if num < 0 {
        return Err(Exception::value_error(format!(
            "Number of samples, {num}, must be non-negative."
        )));
    }
    let endpoint = arg(args, 3, "endpoint").is_none_or(|v| !matches!(v, Value::Bool(false)));
    Ok((start, stop, num as usize, endpoint))
}

fn spaced(args: &Args, v: Vec<f64>) -> R<Value> {
    let d = dtype_kw(args)?.unwrap_or(DType::Float64);
    let n = v.len();
    Ok(array(build(Elems::Float(v), &[n], d)?))
}

/// A float function of two arrays, broadcast, in float64 (float32 when both are float32).
fn float2(m: &Module, name: &'static str, f: fn(f64, f64) -> f64) {
    m.set(
        name,
        Value::builtin(name, move |it, args| {
            let a = array_arg(it, &need(&args, 0, "x1")?)?;
            let b = array_arg(it, &need(&args, 1, "x2")?)?;
            let shape = ops::broadcast_shape(&a.shape(), &b.shape())?;
            let single = a.dtype() == DType::Float32 && b.dtype() == DType::Float32;
            let x = elems(&a.expand(&shape).map_err(exc)?).f64s();
            let y = elems(&b.expand(&shape).map_err(exc)?).f64s();
            let v = x.iter().zip(&y).map(|(&p, &q)| f(p, q)).collect();
            let d = if single {
                DType::Float32
            } else {
                DType::Float64
            };
            Ok(result(build(Elems::Float(v), &shape, d)?))
        }),
    );
}

/// The abstract scalar types and the dtypes under each.
type Kind = (&'static str, fn(DType) -> bool);

const KINDS: [Kind; 8] = [
    ("generic", |_| true),
    ("number", |d| d != DType::Bool),
    ("inexact", |d| d.is_floating_point()),
    ("floating", |d| d.is_floating_point()),
    ("integer", |d| d != DType::Bool && !d.is_floating_point()),
    ("signedinteger", |d| {
        matches!(d, DType::Int8 | DType::Int16 | DType::Int32 | DType::Int64)
    }),
    ("unsignedinteger", |d| {
        matches!(d, DType::UInt8 | DType::UInt16)
    }),
    ("complexfloating", |_| false),
];

fn issubdtype(args: &Args) -> R<Value> {
    let a = need(args, 0, "arg1")?;
    let b = need(args, 1, "arg2")?;
    let kind_of = |v: &Value| match v {
        Value::Type(t) if t.module.as_deref() == Some("numpy") => {
            KINDS.iter().find(|k| k.0 == &*t.name).map(|k| k.1)
        }
        _ => None,
    };
    if kind_of(&a).is_some() {
        // An abstract type is a sub-dtype only of itself and its ancestors.
        let name = if let Value::Type(t) = &a {
            t.name.to_string()
        } else {
            String::new()
        };
        let bname = if let Value::Type(t) = &b {
            t.name.to_string()
        } else {
            String::new()
        };
        let parent = |n: &str| match n {
            "number" => "generic",
            "inexact" | "integer" => "number",
            "floating" | "complexfloating" => "inexact",
            "signedinteger" | "unsignedinteger" => "integer",
            _ => "",
        };
        let mut cur = name.as_str();
        while !cur.is_empty() {
            if cur == bname {
                return Ok(Value::Bool(true));
            }
            cur = parent(cur);
        }
        return Ok(Value::Bool(false));
    }
    let da = super::dtype_of(&a)?;
    Ok(Value::Bool(match kind_of(&b) {
        Some(k) => k(da),
        None => super::dtype_of(&b)? == da,
    }))
}

fn set_printoptions(args: &Args) -> R<Value> {
    let mut o = print::options();
    for (k, v) in &args.kw {
        let n = || -> R<usize> { Ok(int_of(v)?.max(0) as usize) };
        match &**k {
            "precision" if !v.is_none() => o.precision = n()?,
            "threshold" if !v.is_none() => o.threshold = n()?,
            "edgeitems" if !v.is_none() => o.edgeitems = n()?,
            "linewidth" if !v.is_none() => o.linewidth = n()?,
            "suppress" if !v.is_none() => o.suppress = matches!(v, Value::Bool(true)),
            "precision" | "threshold" | "edgeitems" | "linewidth" | "suppress" => {}
            other => {
                return Err(Exception::unsupported(format!(
                    "set_printoptions({other}=...)"
                )));
            }
        }
    }
    print::set_options(o);
    Ok(Value::None)
}

fn array2string(it: &mut Interpreter, args: &Args) -> R<Value> {
    let t = array_arg(it, &need(args, 0, "a")?)?;
    let saved = print::options();
    let mut o = saved;
    if let Some(p) = arg(args, 2, "precision").filter(|v| !v.is_none()) {
        o.precision = int_of(&p)?.max(0) as usize;
    }
    if let Some(w) = arg(args, 1, "max_line_width").filter(|v| !v.is_none()) {
        o.linewidth = int_of(&w)?.max(0) as usize;
    }
    if let Some(s) = arg(args, 3, "suppress_small").filter(|v| !v.is_none()) {
        o.suppress = matches!(s, Value::Bool(true));
    }
    let sep = match &arg(args, 4, "separator") {
        Some(Value::Str(s)) => s.to_string(),
        _ => " ".to_string(),
    };
    print::set_options(o);
    let s = if t.dim() == 0 {
        print::scalar_str(&elems(&t), t.dtype())
    } else if t.numel() == 0 {
        "[]".to_string()
    } else {
        print::array2string(&elems(&t), &t.shape(), t.dtype(), &sep, 0, 0)
    };
    print::set_options(saved);
    Ok(Value::str(&s))
}

/// Registers the functions on the `numpy` module.
pub fn install(m: &Module) {
    print::set_options(PrintOptions::DEFAULT);
    let def = |name: &'static str, f: fn(&mut Interpreter, Args) -> R<Value>| {
        m.set(name, Value::builtin(name, f))
    };
    for (name, f) in [
        ("isnan", f64::is_nan as fn(f64) -> bool),
        ("isinf", f64::is_infinite),
        ("isfinite", f64::is_finite),
        ("isposinf", |x: f64| x == f64::INFINITY),
        ("isneginf", |x: f64| x == f64::NEG_INFINITY),
        ("signbit", f64::is_sign_negative),
    ] {
        m.set(
            name,
            Value::builtin(name, move |it, args| {
                let t = array_arg(it, &need(&args, 0, "x")?)?;
                Ok(result(test(&t, f)?))
            }),
        );
    }
    def("nan_to_num", |it, args| nan_to_num(it, &args));
    def("sign", |it, args| {
        let t = array_arg(it, &need(&args, 0, "x")?)?;
        Ok(result(sign(&t)?))
    });
    def("cumprod", |it, args| {
        let t = array_arg(it, &need(&args, 0, "a")?)?;
        Ok(array(super::funcs::cumulate(
            &t,
            axis_arg(arg(&args, 1, "axis").as_ref())?,
            true,
        )?))
    });
    def("diff", |it, args| diff(it, &args));
    def("count_nonzero", |it, args| count_nonzero(it, &args));
    def("logspace", |_, args| {
        let (a, b, n, endpoint) = num_args(&args)?;
        let base = float_kw(&args, 4, "base")?.unwrap_or(10.0);
        spaced(&args, logspace_values(a, b, n, endpoint, base))
    });
    def("geomspace", |_, args| {
        let (a, b, n, endpoint) = num_args(&args)?;
        if a == 0.0 || b == 0.0 {
            return Err(Exception::value_error(
                "Geometric sequence cannot include zero",
            ));
        }
        // NumPy takes the sign out, spaces the logarithms and puts the exact ends back.
        let s = a.signum();
        let mut v = logspace_values((a / s).log10(), (b / s).log10(), n, endpoint, 10.0);
        if n > 0 {
            v[0] = a / s;
        }
        if n > 1 && endpoint {
            v[n - 1] = b / s;
        }
        spaced(&args, v.into_iter().map(|x| s * x).collect())
    });
    for (name, f) in [
        ("arcsin", f64::asin as fn(f64) -> f64),
        ("arccos", f64::acos),
        ("arctan", f64::atan),
        ("sinh", f64::sinh),
        ("cosh", f64::cosh),
        ("arcsinh", f64::asinh),
        ("arccosh", f64::acosh),
        ("arctanh", f64::atanh),
        ("log1p", f64::ln_1p),
        ("expm1", f64::exp_m1),
        ("exp2", f64::exp2),
        ("cbrt", f64::cbrt),
        ("trunc", f64::trunc),
        ("rint", f64::round_ties_even),
        ("deg2rad", f64::to_radians),
        ("radians", f64::to_radians),
        ("rad2deg", f64::to_degrees),
        ("degrees", f64::to_degrees),
    ] {
        ufunc1(m, name, f);
    }
    float2(m, "arctan2", f64::atan2);
    float2(m, "hypot", f64::hypot);
    for (name, op) in [
        ("not_equal", NpOp::Ne),
        ("less_equal", NpOp::Le),
        ("greater_equal", NpOp::Ge),
    ] {
        ufunc2(m, name, op);
    }
    def("logical_not", |it, args| {
        let t = array_arg(it, &need(&args, 0, "x")?)?;
        let v = elems(&t).bools().into_iter().map(|b| !b).collect();
        Ok(result(build(Elems::Bool(v), &t.shape(), DType::Bool)?))
    });
    for (name, _) in KINDS {
        let ty = TypeObj::build(
            name.into(),
            Some("numpy".into()),
            None,
            None,
            Default::default(),
        );
        m.set(name, Value::Type(Rc::new(ty)));
    }
    def("issubdtype", |_, args| issubdtype(&args));
    def("set_printoptions", |_, args| set_printoptions(&args));
    def("get_printoptions", |_, _| {
        let o = print::options();
        let mut d = crate::lang::value::Dict::new();
        for (k, v) in [
            ("edgeitems", Value::Int(o.edgeitems as i64)),
            ("threshold", Value::Int(o.threshold as i64)),
            ("linewidth", Value::Int(o.linewidth as i64)),
            ("precision", Value::Int(o.precision as i64)),
            ("suppress", Value::Bool(o.suppress)),
        ] {
            d.insert(Value::str(k), v)?;
        }
        Ok(Value::dict(d))
    });
    def("array2string", |it, args| array2string(it, &args));
}
