//! `torch.special` (its names for the elementwise functions torch already has, plus `logit`
//! and `gammaln`) and small functions of `torch` tutorials call: `logit`, `lgamma`, `fmax`/`fmin`,
//! `sgn`, `isposinf`/`isneginf`, `gcd`/`lcm`, `float_power`, `isin`, `trapezoid`, and the dtype
//! questions `result_type`, `promote_types`, `can_cast`.

use super::R;
use super::convert::{as_scalar, as_tensor, dtype_arg, dtype_value, exc, tv};
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::{DType, Data, Scalar, Tensor, result_type_of};

unsafe extern "C" {
    // glibc's libm, which std already links: PyTorch's CPU lgamma is `std::lgamma`.
    fn lgamma(x: f64) -> f64;
    fn lgammaf(x: f32) -> f32;
}

/// `torch.special` names that are torch functions under another (or the same) name.
const SPECIAL_ALIASES: &[(&str, &str)] = &[
    ("expit", "sigmoid"),
    ("erf", "erf"),
    ("erfc", "erfc"),
    ("erfinv", "erfinv"),
    ("log1p", "log1p"),
    ("expm1", "expm1"),
    ("exp2", "exp2"),
    ("softmax", "softmax"),
    ("log_softmax", "log_softmax"),
    ("logsumexp", "logsumexp"),
    ("round", "round"),
    ("sinc", "sinc"),
    ("xlogy", "xlogy"),
    ("logit", "logit"),
    ("gammaln", "lgamma"),
];

/// Adds the functions and `torch.special` to `torch`.
pub fn install(m: &Module) {
    m.set(
        "logit",
        Value::builtin("logit", |_, args| {
            let [input, eps] = args.bind(&["input", "eps="])?;
            logit(&tensor_of(input.as_ref(), "logit")?, eps.as_ref()).map(tv)
        }),
    );
    m.set(
        "lgamma",
        Value::builtin("lgamma", |_, args| {
            let [input] = args.bind(&["input"])?;
            lgamma_of(&tensor_of(input.as_ref(), "lgamma")?).map(tv)
        }),
    );
    for (name, max) in [("fmax", true), ("fmin", false)] {
        m.set(
            name,
            Value::builtin(name, move |_, args| {
                let [a, b] = args.bind(&["input", "other"])?;
                let (a, b) = (tensor_of(a.as_ref(), name)?, other_of(b.as_ref(), name)?);
                fmax(&a, &b, max).map(tv)
            }),
        );
    }
    m.set(
        "sgn",
        Value::builtin("sgn", |_, args| {
            let [input] = args.bind(&["input"])?;
            tensor_of(input.as_ref(), "sgn")?
                .sign()
                .map(tv)
                .map_err(exc)
        }),
    );
    for (name, pos) in [("isposinf", true), ("isneginf", false)] {
        m.set(
            name,
            Value::builtin(name, move |_, args| {
                let [input] = args.bind(&["input"])?;
                let t = tensor_of(input.as_ref(), name)?;
                let inf = Scalar::Float(if pos {
                    f64::INFINITY
                } else {
                    f64::NEG_INFINITY
                });
                if !t.dtype().is_floating_point() {
                    return Ok(tv(Tensor::zeros(&t.shape(), DType::Bool)));
                }
                t.eq_scalar(inf).map(tv).map_err(exc)
            }),
        );
    }
    for (name, lcm) in [("gcd", false), ("lcm", true)] {
        m.set(
            name,
            Value::builtin(name, move |_, args| {
                let [a, b] = args.bind(&["input", "other"])?;
                let (a, b) = (tensor_of(a.as_ref(), name)?, other_of(b.as_ref(), name)?);
                gcd(&a, &b, lcm, name).map(tv)
            }),
        );
    }
    m.set(
        "float_power",
        Value::builtin("float_power", |_, args| {
            let [a, b] = args.bind(&["input", "exponent"])?;
            let a = a.unwrap_or(Value::None);
            let b = b.unwrap_or(Value::None);
            let wide = |v: &Value| -> R<Option<Tensor>> {
                Ok(match as_tensor(v) {
                    Some(t) => Some(t.to_dtype(DType::Float64).map_err(exc)?),
                    None => None,
                })
            };
            match (wide(&a)?, wide(&b)?, as_scalar(&a), as_scalar(&b)) {
                (Some(x), Some(y), _, _) => x.pow(&y).map(tv).map_err(exc),
                (Some(x), None, _, Some(s)) => {
                    x.pow_scalar(Scalar::Float(s.as_f64())).map(tv).map_err(exc)
                }
                (None, Some(y), Some(s), _) => y
                    .rpow_scalar(Scalar::Float(s.as_f64()))
                    .map(tv)
                    .map_err(exc),
                _ => Err(Exception::type_error(
                    "float_power(): argument 'input' must be Tensor",
                )),
            }
        }),
    );
    m.set(
        "isin",
        Value::builtin("isin", |_, args| {
            let [elements, test, _unique, invert] = args.bind(&[
                "elements",
                "test_elements",
                "*",
                "assume_unique=",
                "invert=",
            ])?;
            isin(
                elements.as_ref(),
                test.as_ref(),
                super::convert::bool_arg(invert.as_ref(), false),
            )
            .map(tv)
        }),
    );
    m.set("trapezoid", Value::builtin("trapezoid", trapezoid));
    m.set("trapz", Value::builtin("trapz", trapezoid));
    m.set(
        "result_type",
        Value::builtin("result_type", |_, args| {
            let [a, b] = args.bind(&["tensor1", "tensor2"])?;
            let (a, b) = (a.unwrap_or(Value::None), b.unwrap_or(Value::None));
            let (mut ts, mut ss) = (Vec::new(), Vec::new());
            for v in [&a, &b] {
                match (as_tensor(v), as_scalar(v)) {
                    (Some(t), _) => ts.push(t.clone()),
                    (None, Some(s)) => ss.push(s),
                    _ => {
                        return Err(Exception::type_error(format!(
                            "result_type(): argument 'tensor' must be Tensor, not {}",
                            v.type_name()
                        )));
                    }
                }
            }
            let refs: Vec<&Tensor> = ts.iter().collect();
            Ok(dtype_value(result_type_of(&refs, &ss)))
        }),
    );
    m.set(
        "promote_types",
        Value::builtin("promote_types", |_, args| {
            let [a, b] = args.bind(&["type1", "type2"])?;
            let a = dtype_arg(a.as_ref())?.ok_or_else(|| {
                Exception::type_error("promote_types(): argument 'type1' must be torch.dtype")
            })?;
            let b = dtype_arg(b.as_ref())?.ok_or_else(|| {
                Exception::type_error("promote_types(): argument 'type2' must be torch.dtype")
            })?;
            Ok(dtype_value(a.promote(b)))
        }),
    );
    m.set(
        "can_cast",
        Value::builtin("can_cast", |_, args| {
            let [a, b] = args.bind(&["from_", "to"])?;
            let from = dtype_arg(a.as_ref())?.ok_or_else(|| {
                Exception::type_error("can_cast(): argument 'from_' must be torch.dtype")
            })?;
            let to = dtype_arg(b.as_ref())?.ok_or_else(|| {
                Exception::type_error("can_cast(): argument 'to' must be torch.dtype")
            })?;
            // PyTorch refuses only a cast to a lower category: float to integer or bool, integer to bool.
            let rank = |d: DType| {
                if d == DType::Bool {
                    0
                } else if d.is_floating_point() {
                    2
                } else {
                    1
                }
            };
            Ok(Value::Bool(rank(from) <= rank(to)))
        }),
    );
    let special = Module::new("torch.special");
    for &(alias, name) in SPECIAL_ALIASES {
        if let Some(f) = m.get(name) {
            special.set(alias, f);
        }
    }
    super::special_fns::install(m, &special);
    m.set("special", Value::Module(std::rc::Rc::new(special)));
}

/// Tensor methods of this file: `logit`, `lgamma`, `sgn`, `fmax`/`fmin`, `isposinf`/`isneginf`,
/// `gcd`/`lcm`, `float_power`.
pub fn method(this: &Value, name: &str) -> Option<Value> {
    let name: &'static str = [
        "logit",
        "lgamma",
        "sgn",
        "fmax",
        "fmin",
        "isposinf",
        "isneginf",
        "gcd",
        "lcm",
        "float_power",
    ]
    .into_iter()
    .find(|n| *n == name)?;
    Some(Value::method(this.clone(), name, move |interp, args| {
        let f = super::as_method::torch_fn(name)?;
        let mut pos = vec![args.this.clone().unwrap_or(Value::None)];
        pos.extend(args.pos);
        interp.call(
            &f,
            Args {
                fname: name.into(),
                this: None,
                pos,
                kw: args.kw,
            },
        )
    }))
}

fn tensor_of(v: Option<&Value>, name: &str) -> R<Tensor> {
    v.and_then(as_tensor).cloned().ok_or_else(|| {
        Exception::type_error(format!(
            "{name}(): argument 'input' (position 1) must be Tensor, not {}",
            v.map_or("NoneType".to_string(), |v| v.type_name())
        ))
    })
}

fn other_of(v: Option<&Value>, name: &str) -> R<Tensor> {
    match v.map(|v| (as_tensor(v), as_scalar(v))) {
        Some((Some(t), _)) => Ok(t.clone()),
        Some((None, Some(s))) => Ok(Tensor::scalar(s, s.wrapped_dtype())),
        _ => Err(Exception::type_error(format!(
            "{name}(): argument 'other' (position 2) must be Tensor, not {}",
            v.map_or("NoneType".to_string(), |v| v.type_name())
        ))),
    }
}

/// `logit(x, eps)`: `log(x / (1 - x))`, `x` clamped to `[eps, 1 - eps]` first when given.
fn logit(t: &Tensor, eps: Option<&Value>) -> R<Tensor> {
    let x = if t.dtype().is_floating_point() {
        t.clone()
    } else {
        t.to_dtype(DType::Float32).map_err(exc)?
    };
    let x = match eps.and_then(as_scalar) {
        Some(e) => {
            let e = e.as_f64();
            x.clamp(Some(Scalar::Float(e)), Some(Scalar::Float(1.0 - e)))
                .map_err(exc)?
        }
        None => x,
    };
    let one_minus = x.rsub_scalar(Scalar::Float(1.0)).map_err(exc)?;
    x.div(&one_minus).and_then(|q| q.log()).map_err(exc)
}

/// `lgamma`: glibc's `lgammaf`/`lgamma` per element (no gradient: digamma is not here).
pub(super) fn lgamma_of(t: &Tensor) -> R<Tensor> {
    let dtype = t.dtype();
    let x = t.to_f64_vec();
    // SAFETY: lgamma/lgammaf are pure libm functions of one float.
    let data = if dtype == DType::Float64 {
        Data::F64(x.iter().map(|&v| unsafe { lgamma(v) }).collect())
    } else {
        Data::F32(x.iter().map(|&v| unsafe { lgammaf(v as f32) }).collect())
    };
    let r = Tensor::from_data(data, &t.shape()).map_err(exc)?;
    if dtype.is_floating_point() && dtype.is_narrow() {
        r.to_dtype(dtype).map_err(exc)
    } else {
        Ok(r)
    }
}

/// `fmax`/`fmin`: the larger (smaller) element, a NaN only where both are NaN.
fn fmax(a: &Tensor, b: &Tensor, max: bool) -> R<Tensor> {
    let e = |r: crate::tensor::Result<Tensor>| r.map_err(exc);
    let m = e(if max { a.maximum(b) } else { a.minimum(b) })?;
    let m = e(Tensor::where_(&b.isnan(), a, &m))?;
    e(Tensor::where_(&a.isnan(), b, &m))
}

/// `gcd`/`lcm` of integer tensors, broadcast (non-negative results, as `std::gcd`).
fn gcd(a: &Tensor, b: &Tensor, lcm: bool, name: &str) -> R<Tensor> {
    if !a.dtype().is_integral() || !b.dtype().is_integral() {
        let d = if a.dtype().is_integral() {
            b.dtype()
        } else {
            a.dtype()
        };
        return Err(Exception::new(
            "NotImplementedError",
            format!("\"{name}_cpu\" not implemented for '{}'", d.scalar_name()),
        ));
    }
    let dtype = result_type_of(&[a, b], &[]);
    let shape = a.add(b).map_err(exc)?.shape();
    let x = a.expand(&shape).map_err(exc)?.contiguous().to_f64_vec();
    let y = b.expand(&shape).map_err(exc)?.contiguous().to_f64_vec();
    fn g(mut p: i64, mut q: i64) -> i64 {
        while q != 0 {
            (p, q) = (q, p % q);
        }
        p.abs()
    }
    let out: Vec<i64> = x
        .iter()
        .zip(&y)
        .map(|(&p, &q)| {
            let (p, q) = (p as i64, q as i64);
            let d = g(p, q);
            if !lcm {
                d
            } else if d == 0 {
                0
            } else {
                (p / d).wrapping_mul(q).abs()
            }
        })
        .collect();
    let r = Tensor::from_data(Data::I64(out), &shape).map_err(exc)?;
    if dtype == DType::Int64 {
        Ok(r)
    } else {
        r.to_dtype(dtype).map_err(exc)
    }
}

/// `isin(elements, test_elements, invert=)`: whether each element occurs among the tests.
fn isin(elements: Option<&Value>, test: Option<&Value>, invert: bool) -> R<Tensor> {
    let to_t = |v: Option<&Value>| -> R<Tensor> {
        match v.map(|v| (as_tensor(v), as_scalar(v))) {
            Some((Some(t), _)) => Ok(t.clone()),
            Some((None, Some(s))) => Ok(Tensor::scalar(s, s.wrapped_dtype())),
            _ => Err(Exception::type_error(
                "isin(): argument 'elements' must be Tensor",
            )),
        }
    };
    let (e, t) = (to_t(elements)?, to_t(test)?);
    let tests = t.to_f64_vec();
    let out: Vec<bool> = e
        .to_f64_vec()
        .iter()
        .map(|x| tests.contains(x) != invert)
        .collect();
    let r = Tensor::from_data(
        Data::I64(out.iter().map(|&b| i64::from(b)).collect()),
        &e.shape(),
    )
    .map_err(exc)?;
    r.to_dtype(DType::Bool).map_err(exc)
}

/// `trapezoid(y, x=None, *, dx=None, dim=-1)`: with spacing `dx`, ATen's
/// `(sum(y) - (y[0] + y[-1]) * 0.5) * dx`; with sample points `x`, `sum(diff(x) * (y[1:] + y[:-1])) / 2`.
fn trapezoid(_: &mut Interpreter, args: Args) -> R<Value> {
    let [y, x, dx, dim] = args.bind(&["y", "x=", "*", "dx=", "dim="])?;
    let y = tensor_of(y.as_ref(), "trapezoid")?;
    let dim = dim.map_or(Ok(-1), |d| d.expect_int("dim"))? as isize;
    let e = |r: crate::tensor::Result<Tensor>| r.map_err(exc);
    let n = *y
        .shape()
        .get(if dim < 0 {
            (y.dim() as isize + dim).max(0) as usize
        } else {
            dim as usize
        })
        .unwrap_or(&0) as i64;
    let y = if y.dtype().is_floating_point() {
        y
    } else {
        e(y.to_dtype(DType::Float32))?
    };
    if let Some(xt) = x.as_ref().and_then(as_tensor) {
        let xt = if xt.dtype().is_floating_point() {
            xt.clone()
        } else {
            e(xt.to_dtype(DType::Float32))?
        };
        let lead = |t: &Tensor| e(t.narrow(dim, 1, n - 1));
        let trail = |t: &Tensor| e(t.narrow(dim, 0, n - 1));
        let dxs = e(lead(&xt)?.sub(&trail(&xt)?))?;
        let sums = e(lead(&y)?.add(&trail(&y)?))?;
        let s = e(dxs.mul(&sums)?.sum(Some(&[dim]), false))?;
        return e(s.div_scalar(Scalar::Float(2.0))).map(tv);
    }
    let dx = match dx.as_ref().or(x.as_ref()).and_then(as_scalar) {
        Some(s) => s,
        None => Scalar::Float(1.0),
    };
    if n == 0 {
        return e(y.sum(Some(&[dim]), false)).map(tv);
    }
    let ends = e(y.narrow(dim, 0, 1)?.add(&y.narrow(dim, n - 1, 1)?))?;
    let ends = e(e(ends.squeeze(Some(dim)))?.mul_scalar(Scalar::Float(0.5)))?;
    let total = e(y.sum(Some(&[dim]), false))?;
    e(total.sub(&ends)?.mul_scalar(dx)).map(tv)
}
