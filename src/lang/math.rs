//! The `math` module: constants and float functions with CPython's domain and range errors.

use std::rc::Rc;

unsafe extern "C" {
    // glibc's libm, which std already links (Rust's std has no erf).
    #[link_name = "erf"]
    fn libm_erf(x: f64) -> f64;
    #[link_name = "erfc"]
    fn libm_erfc(x: f64) -> f64;
}

use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{One, Signed, ToPrimitive, Zero};

use super::ast::BinOp;
use super::bigint;
use super::builtins::{float_to_int, to_float};
use super::error::Exception;
use super::interp::Interpreter;
use super::native::Args;
use super::value::{Module, Value};

type R<T> = Result<T, Exception>;

fn domain() -> Exception {
    Exception::value_error("math domain error")
}

fn range_err() -> Exception {
    Exception::new("OverflowError", "math range error")
}

/// Exactly `n` positional arguments, as float.
fn floats(it: &mut Interpreter, args: &Args, n: usize) -> R<Vec<f64>> {
    args.no_kwargs()?;
    if args.pos.len() != n {
        let msg = if n == 1 {
            format!("math.{}() takes exactly one argument ({} given)", args.fname, args.pos.len())
        } else {
            format!("{} expected {n} arguments, got {}", args.fname, args.pos.len())
        };
        return Err(Exception::type_error(msg));
    }
    args.pos.iter().map(|v| num(it, v)).collect()
}

fn num(it: &mut Interpreter, v: &Value) -> R<f64> {
    match v {
        Value::Str(_) | Value::None | Value::List(_) | Value::Tuple(_) | Value::Dict(_) => {
            Err(Exception::type_error(format!("must be real number, not {}", v.type_name())))
        }
        // A big int too large for a float keeps its OverflowError.
        Value::BigInt(b) => bigint::to_f64(b),
        _ => to_float(it, v).map_err(|_| Exception::type_error(format!("must be real number, not {}", v.type_name()))),
    }
}

/// An integer argument (bools are ints), exact however large.
fn int_arg(v: &Value) -> R<BigInt> {
    bigint::to_big(v).ok_or_else(|| {
        Exception::type_error(format!("'{}' object cannot be interpreted as an integer", v.type_name()))
    })
}

/// CPython's loghelper: `f` of an int too large for a float is f(m) + f(2) * e with
/// int = m * 2^e, so logs of huge ints stay finite. None for non-ints.
fn int_log(v: &Value, f: fn(f64) -> f64) -> Option<R<f64>> {
    let b = bigint::to_big(v)?;
    if !b.is_positive() {
        return Some(Err(domain()));
    }
    Some(Ok(match bigint::to_f64(&b) {
        Ok(x) => f(x),
        Err(_) => {
            let (m, e) = bigint::frexp_big(&b);
            f(m) + f(2.0) * e as f64
        }
    }))
}

/// A one-argument float function with a domain check and overflow detection.
fn unary(m: &Module, name: &'static str, f: fn(f64) -> f64, ok: fn(f64) -> bool) {
    m.set(
        name,
        Value::builtin(name, move |it, args| {
            let x = floats(it, &args, 1)?[0];
            if !ok(x) {
                return Err(domain());
            }
            let r = f(x);
            if r.is_nan() && !x.is_nan() {
                return Err(domain());
            }
            if r.is_infinite() && x.is_finite() {
                return Err(range_err());
            }
            Ok(Value::Float(r))
        }),
    );
}

/// Shewchuk's exact summation, as CPython's math.fsum.
fn fsum(xs: &[f64]) -> f64 {
    let mut partials: Vec<f64> = Vec::new();
    let mut special = 0.0;
    for &x0 in xs {
        let mut x = x0;
        if !x.is_finite() {
            special += x;
            continue;
        }
        let mut i = 0;
        for j in 0..partials.len() {
            let mut y = partials[j];
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            let hi = x + y;
            let lo = y - (hi - x);
            if lo != 0.0 {
                partials[i] = lo;
                i += 1;
            }
            x = hi;
        }
        partials.truncate(i);
        partials.push(x);
    }
    if special != 0.0 || special.is_nan() {
        return special;
    }
    let Some(mut hi) = partials.pop() else { return 0.0 };
    let mut lo = 0.0;
    while let Some(y) = partials.pop() {
        let x = hi;
        hi = x + y;
        let yr = hi - x;
        lo = y - yr;
        if lo != 0.0 {
            break;
        }
    }
    // Round-half-even correction, as in CPython.
    if let Some(&next) = partials.last()
        && ((lo < 0.0 && next < 0.0) || (lo > 0.0 && next > 0.0)) {
            let y = lo * 2.0;
            let x = hi + y;
            let yr = x - hi;
            if y == yr {
                hi = x;
            }
        }
    hi
}

pub fn module() -> Value {
    let m = Module::new("math");
    m.set("pi", Value::Float(std::f64::consts::PI));
    m.set("e", Value::Float(std::f64::consts::E));
    m.set("tau", Value::Float(std::f64::consts::TAU));
    m.set("inf", Value::Float(f64::INFINITY));
    m.set("nan", Value::Float(f64::NAN));
    unary(&m, "sqrt", f64::sqrt, |x| x >= 0.0 || x.is_nan());
    unary(&m, "exp", f64::exp, |_| true);
    for (name, f) in [("log2", f64::log2 as fn(f64) -> f64), ("log10", f64::log10)] {
        m.set(
            name,
            Value::builtin(name, move |it, args| {
                if args.pos.len() == 1
                    && let Some(r) = int_log(&args.pos[0], f)
                {
                    args.no_kwargs()?;
                    return r.map(Value::Float);
                }
                let x = floats(it, &args, 1)?[0];
                if !(x > 0.0 || x.is_nan()) {
                    return Err(domain());
                }
                Ok(Value::Float(f(x)))
            }),
        );
    }
    unary(&m, "log1p", f64::ln_1p, |x| x > -1.0 || x.is_nan());
    unary(&m, "expm1", f64::exp_m1, |_| true);
    unary(&m, "sin", f64::sin, |x| !x.is_infinite());
    unary(&m, "cos", f64::cos, |x| !x.is_infinite());
    unary(&m, "tan", f64::tan, |x| !x.is_infinite());
    unary(&m, "asin", f64::asin, |x| (-1.0..=1.0).contains(&x) || x.is_nan());
    unary(&m, "acos", f64::acos, |x| (-1.0..=1.0).contains(&x) || x.is_nan());
    unary(&m, "atan", f64::atan, |_| true);
    unary(&m, "sinh", f64::sinh, |_| true);
    unary(&m, "cosh", f64::cosh, |_| true);
    unary(&m, "tanh", f64::tanh, |_| true);
    unary(&m, "fabs", f64::abs, |_| true);
    // CPython's `math.erf`/`erfc` are the C library's.
    unary(&m, "erf", |x| unsafe { libm_erf(x) }, |_| true);
    unary(&m, "erfc", |x| unsafe { libm_erfc(x) }, |_| true);
    for (name, f) in [("gamma", super::math_gamma::gamma as fn(f64) -> R<f64>), ("lgamma", super::math_gamma::lgamma)] {
        m.set(name, Value::builtin(name, move |it, args| Ok(Value::Float(f(floats(it, &args, 1)?[0])?))));
    }
    unary(&m, "degrees", f64::to_degrees, |_| true);
    unary(&m, "radians", f64::to_radians, |_| true);
    m.set(
        "log",
        Value::builtin("log", |it, args| {
            args.no_kwargs()?;
            if args.pos.is_empty() || args.pos.len() > 2 {
                return Err(Exception::type_error(format!(
                    "log expected at least 1 argument, got {}",
                    args.pos.len()
                )));
            }
            let mut ln = |v: &Value| -> R<f64> {
                if let Some(r) = int_log(v, f64::ln) {
                    return r;
                }
                let x = num(it, v)?;
                if x <= 0.0 {
                    return Err(domain());
                }
                Ok(x.ln())
            };
            let x = ln(&args.pos[0])?;
            match args.pos.get(1) {
                None => Ok(Value::Float(x)),
                Some(b) => {
                    let b = ln(b)?;
                    if b == 0.0 {
                        return Err(Exception::new("ZeroDivisionError", "float division by zero"));
                    }
                    Ok(Value::Float(x / b))
                }
            }
        }),
    );
    m.set(
        "pow",
        Value::builtin("pow", |it, args| {
            let v = floats(it, &args, 2)?;
            let (x, y) = (v[0], v[1]);
            if x == 0.0 && y < 0.0 {
                return Err(domain());
            }
            let r = x.powf(y);
            if r.is_nan() && !x.is_nan() && !y.is_nan() {
                return Err(domain());
            }
            if r.is_infinite() && x.is_finite() && y.is_finite() {
                return Err(range_err());
            }
            Ok(Value::Float(r))
        }),
    );
    m.set(
        "atan2",
        Value::builtin("atan2", |it, args| {
            let v = floats(it, &args, 2)?;
            Ok(Value::Float(v[0].atan2(v[1])))
        }),
    );
    m.set(
        "copysign",
        Value::builtin("copysign", |it, args| {
            let v = floats(it, &args, 2)?;
            Ok(Value::Float(v[0].copysign(v[1])))
        }),
    );
    m.set(
        "hypot",
        Value::builtin("hypot", |it, args| {
            args.no_kwargs()?;
            let mut acc = 0.0f64;
            for v in &args.pos {
                acc = acc.hypot(num(it, v)?);
            }
            Ok(Value::Float(acc))
        }),
    );
    for (name, f) in [("floor", f64::floor as fn(f64) -> f64), ("ceil", f64::ceil), ("trunc", f64::trunc)] {
        m.set(
            name,
            Value::builtin(name, move |it, args| {
                args.no_kwargs()?;
                if args.pos.len() != 1 {
                    return Err(Exception::type_error(format!(
                        "math.{name}() takes exactly one argument ({} given)",
                        args.pos.len()
                    )));
                }
                if bigint::is_int(&args.pos[0]) {
                    return Ok(bigint::norm(bigint::to_big(&args.pos[0]).unwrap_or_default()));
                }
                // A class's own `__floor__`/`__ceil__`/`__trunc__` (a Fraction's exact ones).
                if let Some(v) = it.call_dunder(&args.pos[0], &format!("__{name}__"), Vec::new())? {
                    return Ok(v);
                }
                float_to_int(f(num(it, &args.pos[0])?))
            }),
        );
    }
    m.set(
        "frexp",
        Value::builtin("frexp", |it, args| {
            let [x] = args.bind(&["x", "/"])?;
            let (mant, exp) = frexp(num(it, &x.unwrap_or(Value::None))?);
            Ok(Value::tuple(vec![Value::Float(mant), Value::Int(exp)]))
        }),
    );
    m.set(
        "isclose",
        Value::builtin("isclose", |it, args| {
            let [a, b, rel, abs] = args.bind(&["a", "b", "/", "*", "rel_tol=", "abs_tol="])?;
            let a = num(it, &a.unwrap_or(Value::None))?;
            let b = num(it, &b.unwrap_or(Value::None))?;
            let rel = match rel {
                Some(v) => num(it, &v)?,
                None => 1e-9,
            };
            let abs = match abs {
                Some(v) => num(it, &v)?,
                None => 0.0,
            };
            if rel < 0.0 || abs < 0.0 {
                return Err(Exception::value_error("tolerances must be non-negative"));
            }
            if a == b {
                return Ok(Value::Bool(true));
            }
            if a.is_infinite() || b.is_infinite() {
                return Ok(Value::Bool(false));
            }
            let d = (b - a).abs();
            Ok(Value::Bool(d <= (rel * b).abs() || d <= (rel * a).abs() || d <= abs))
        }),
    );
    for (name, f) in [
        ("isnan", f64::is_nan as fn(f64) -> bool),
        ("isinf", f64::is_infinite),
        ("isfinite", f64::is_finite),
    ] {
        m.set(
            name,
            Value::builtin(name, move |it, args| {
                let x = floats(it, &args, 1)?[0];
                Ok(Value::Bool(f(x)))
            }),
        );
    }
    m.set(
        "fsum",
        Value::builtin("fsum", |it, args| {
            args.no_kwargs()?;
            let [x] = args.bind(&["seq", "/"])?;
            let items = it.iterate(&x.unwrap_or(Value::None))?;
            let xs: Vec<f64> = items.iter().map(|v| num(it, v)).collect::<R<_>>()?;
            Ok(Value::Float(fsum(&xs)))
        }),
    );
    m.set(
        "prod",
        Value::builtin("prod", |it, args| {
            let [x, start] = args.bind(&["iterable", "/", "*", "start="])?;
            let mut acc = start.unwrap_or(Value::Int(1));
            for v in it.iterate(&x.unwrap_or(Value::None))? {
                acc = it.binary(BinOp::Mul, &acc, &v)?;
            }
            Ok(acc)
        }),
    );
    m.set(
        "factorial",
        Value::builtin("factorial", |_, args| {
            args.no_kwargs()?;
            let [x] = args.bind(&["n", "/"])?;
            let x = x.unwrap_or(Value::None);
            let n = int_arg(&x)?;
            if n.is_negative() {
                return Err(Exception::value_error("factorial() not defined for negative values"));
            }
            let n = n.to_u64().filter(|&n| n <= i64::MAX as u64).ok_or_else(|| {
                Exception::new("OverflowError", "factorial() argument should not exceed 9223372036854775807")
            })?;
            bigint::factorial(n)
        }),
    );
    m.set(
        "gcd",
        Value::builtin("gcd", |_, args| {
            args.no_kwargs()?;
            let mut g = BigInt::zero();
            for v in &args.pos {
                g = g.gcd(&int_arg(v)?);
            }
            Ok(bigint::norm(g))
        }),
    );
    m.set(
        "lcm",
        Value::builtin("lcm", |_, args| {
            args.no_kwargs()?;
            let mut l = BigInt::one();
            for v in &args.pos {
                l = l.lcm(&int_arg(v)?);
            }
            Ok(bigint::norm(l))
        }),
    );
    m.set(
        "isqrt",
        Value::builtin("isqrt", |_, args| {
            args.no_kwargs()?;
            let [x] = args.bind(&["n", "/"])?;
            let n = int_arg(&x.unwrap_or(Value::None))?;
            if n.is_negative() {
                return Err(Exception::value_error("isqrt() argument must be nonnegative"));
            }
            Ok(bigint::isqrt(&n))
        }),
    );
    for name in ["comb", "perm"] {
        m.set(
            name,
            Value::builtin(name, move |_, args| {
                args.no_kwargs()?;
                let (n, k) = match (name, args.pos.as_slice()) {
                    (_, [n, k]) => (int_arg(n)?, Some(int_arg(k)?)),
                    ("perm", [n]) => (int_arg(n)?, None),
                    (_, a) => {
                        let want = if name == "comb" { "2 arguments" } else { "at most 2 arguments" };
                        return Err(Exception::type_error(format!("{name} expected {want}, got {}", a.len())));
                    }
                };
                if n.is_negative() {
                    return Err(Exception::value_error("n must be a non-negative integer"));
                }
                let k = k.unwrap_or_else(|| n.clone());
                if k.is_negative() {
                    return Err(Exception::value_error("k must be a non-negative integer"));
                }
                if k > n {
                    return Ok(Value::Int(0));
                }
                // comb(n, k) == comb(n, n - k): the shorter product is exact either way.
                let k = if name == "comb" { k.clone().min(&n - &k) } else { k };
                let k = k.to_u64().ok_or_else(|| {
                    Exception::new("OverflowError", format!("min(n - k, k) must not exceed {}", i64::MAX))
                })?;
                let mut num = BigInt::one();
                let mut den = BigInt::one();
                for j in 0..k {
                    num *= &n - j;
                    if name == "comb" {
                        den *= j + 1;
                    }
                }
                Ok(bigint::norm(num / den))
            }),
        );
    }
    Value::Module(Rc::new(m))
}

/// `math.frexp(x)`: `(m, e)` with `x == m * 2**e` and `0.5 <= |m| < 1`; zero, infinities and
/// NaN come back as they are with exponent 0 (CPython's rules).
fn frexp(x: f64) -> (f64, i64) {
    if x == 0.0 || !x.is_finite() {
        return (x, 0);
    }
    // A subnormal is scaled into the normal range first, so its exponent bits are exact.
    let (x, shift) = if x.abs() < f64::MIN_POSITIVE { (x * 2f64.powi(54), -54) } else { (x, 0) };
    let bits = x.to_bits();
    let e = ((bits >> 52) & 0x7ff) as i64 - 1022;
    let m = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (m, e + shift)
}
