//! `torch.testing.assert_close`: tensors, Python numbers and (nested) sequences and mappings of
//! them compared with PyTorch's default tolerances per dtype, raising its AssertionError
//! messages (mismatch counts, greatest absolute and relative differences and where).
//!
//! Facts from `torch/testing/_comparison.py`: `isclose` in the inputs' dtype
//! (`|a - e| <= atol + |rtol * e|`, or equal), differences computed in the dtype too (integers
//! in int64, their relative difference a float32 division), the first greatest difference's
//! index, attributes compared first (shape, then dtype).

use std::rc::Rc;

use super::R;
use super::convert::as_tensor;
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::{DType, Tensor};

/// Registers `torch.testing` and sets it on `torch`.
pub fn install(interp: &mut Interpreter, torch: &Module) {
    let m = Module::new("torch.testing");
    m.set("assert_close", Value::builtin("assert_close", assert_close));
    let m = Value::Module(Rc::new(m));
    torch.set("testing", m.clone());
    interp.register_module("torch.testing", m);
}

/// The options of one call.
struct Opts {
    rtol: Option<Value>,
    atol: Option<Value>,
    equal_nan: bool,
    check_dtype: bool,
}

fn assert_close(interp: &mut Interpreter, args: Args) -> R<Value> {
    let [
        actual,
        expected,
        _allow_subclasses,
        rtol,
        atol,
        equal_nan,
        _device,
        check_dtype,
        _layout,
        _stride,
        msg,
    ] = args.bind(&[
        "actual",
        "expected",
        "*",
        "allow_subclasses=",
        "rtol=",
        "atol=",
        "equal_nan=",
        "check_device=",
        "check_dtype=",
        "check_layout=",
        "check_stride=",
        "msg=",
    ])?;
    let some = |v: Option<Value>| v.filter(|v| !v.is_none());
    let (rtol, atol) = (some(rtol), some(atol));
    match (&rtol, &atol) {
        (Some(_), None) | (None, Some(_)) => {
            let missing = if rtol.is_none() { "rtol" } else { "atol" };
            return Err(Exception::value_error(format!(
                "Both 'rtol' and 'atol' must be either specified or omitted, but got no {missing}."
            )));
        }
        _ => {}
    }
    let equal_nan = match equal_nan {
        Some(v) => interp.truthy(&v)?,
        None => false,
    };
    let check_dtype = match check_dtype {
        Some(v) => interp.truthy(&v)?,
        None => true,
    };
    let opts = Opts {
        rtol,
        atol,
        equal_nan,
        check_dtype,
    };
    let (actual, expected) = (
        actual.unwrap_or(Value::None),
        expected.unwrap_or(Value::None),
    );
    let mut path = Vec::new();
    match compare(interp, &actual, &expected, &opts, &mut path)? {
        None => Ok(Value::None),
        Some((kind, text)) => {
            let text = match &msg {
                Some(Value::Str(s)) => s.to_string(),
                _ if path.is_empty() => text,
                _ => format!("{text}\n\nThe failure occurred for item {}", path.concat()),
            };
            Err(if kind == Kind::Type {
                Exception::type_error(text)
            } else {
                Exception::new("AssertionError", text)
            })
        }
    }
}

#[derive(PartialEq)]
enum Kind {
    Assertion,
    Type,
}

type Failure = Option<(Kind, String)>;

/// Compares two inputs; `path` collects the `[key]` items leading to a failure.
fn compare(
    interp: &mut Interpreter,
    a: &Value,
    e: &Value,
    opts: &Opts,
    path: &mut Vec<String>,
) -> R<Failure> {
    let seq = |v: &Value| matches!(v, Value::List(_) | Value::Tuple(_));
    if let (Some(ta), Some(te)) = (as_tensor(a), as_tensor(e)) {
        return compare_tensors(ta, te, opts);
    }
    if seq(a) && seq(e) {
        let (xa, xe) = (interp.iterate(a)?, interp.iterate(e)?);
        if xa.len() != xe.len() {
            let text = format!(
                "The length of the sequences mismatch: {} != {}",
                xa.len(),
                xe.len()
            );
            return Ok(Some((Kind::Assertion, text)));
        }
        for (i, (x, y)) in xa.iter().zip(&xe).enumerate() {
            path.push(format!("[{i}]"));
            if let Some(f) = compare(interp, x, y, opts, path)? {
                return Ok(Some(f));
            }
            path.pop();
        }
        return Ok(None);
    }
    if let (Value::Dict(da), Value::Dict(de)) = (a, e) {
        let (ka, ke) = (da.borrow().keys(), de.borrow().keys());
        let has = |d: &std::cell::RefCell<crate::lang::value::Dict>, k: &Value| {
            d.borrow().get(k).ok().flatten().is_some()
        };
        let missing: Vec<&Value> = ke.iter().filter(|k| !has(da, k)).collect();
        let extra: Vec<&Value> = ka.iter().filter(|k| !has(de, k)).collect();
        if !missing.is_empty() || !extra.is_empty() {
            let list = |v: &[&Value]| {
                format!(
                    "[{}]",
                    v.iter().map(|k| k.repr()).collect::<Vec<_>>().join(", ")
                )
            };
            let text = format!(
                "The keys of the mappings do not match:\nMissing keys in the actual mapping: {}\nAdditional keys in the actual mapping: {}",
                list(&missing),
                list(&extra)
            );
            return Ok(Some((Kind::Assertion, text)));
        }
        for k in ka {
            let (x, y) = (da.borrow().get(&k)?, de.borrow().get(&k)?);
            if let (Some(x), Some(y)) = (x, y) {
                path.push(format!("[{}]", k.repr()));
                if let Some(f) = compare(interp, &x, &y, opts, path)? {
                    return Ok(Some(f));
                }
                path.pop();
            }
        }
        return Ok(None);
    }
    let number = |v: &Value| matches!(v, Value::Int(_) | Value::Float(_) | Value::Bool(_));
    if number(a) && number(e) {
        return compare_numbers(a, e, opts);
    }
    let class = |v: &Value| {
        if as_tensor(v).is_some() {
            "torch.Tensor".to_string()
        } else {
            v.type_name()
        }
    };
    Ok(Some((
        Kind::Type,
        format!(
            "No comparison pair was able to handle inputs of type <class '{}'> and <class '{}'>.",
            class(a),
            class(e)
        ),
    )))
}

/// PyTorch's default `(rtol, atol)` for a dtype.
fn default_tolerance(d: DType) -> (f64, f64) {
    match d {
        DType::Float16 => (1e-3, 1e-5),
        DType::BFloat16 => (1.6e-2, 1e-5),
        DType::Float32 => (1.3e-6, 1e-5),
        DType::Float64 => (1e-7, 1e-7),
        _ => (0.0, 0.0),
    }
}

/// The tolerances in force and how to print them: the caller's values as given, else the
/// dtype defaults (the larger of two dtypes').
fn tolerances(opts: &Opts, dtypes: &[DType]) -> R<(f64, f64, String, String)> {
    match (&opts.rtol, &opts.atol) {
        (Some(r), Some(a)) => Ok((
            r.expect_f64("rtol")?,
            a.expect_f64("atol")?,
            r.repr(),
            a.repr(),
        )),
        _ => {
            let (r, a) = dtypes
                .iter()
                .map(|&d| default_tolerance(d))
                .fold((0.0f64, 0.0f64), |(r, a), (x, y)| (r.max(x), a.max(y)));
            let show = |x: f64| {
                if x == 0.0 {
                    "0".to_string()
                } else {
                    crate::lang::format::float_repr(x)
                }
            };
            Ok((r, a, show(r), show(a)))
        }
    }
}

fn compare_tensors(a: &Tensor, e: &Tensor, opts: &Opts) -> R<Failure> {
    if a.shape() != e.shape() {
        let size = |t: &Tensor| {
            format!(
                "torch.Size([{}])",
                t.shape()
                    .iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        return Ok(Some((
            Kind::Assertion,
            format!(
                "The values for attribute 'shape' do not match: {} != {}.",
                size(a),
                size(e)
            ),
        )));
    }
    if opts.check_dtype && a.dtype() != e.dtype() {
        let text = format!(
            "The values for attribute 'dtype' do not match: {} != {}.",
            a.dtype(),
            e.dtype()
        );
        return Ok(Some((Kind::Assertion, text)));
    }
    let (rtol, atol, rtol_s, atol_s) = tolerances(opts, &[a.dtype(), e.dtype()])?;
    let dtype = crate::tensor::result_type_of(&[a, e], &[]);
    let float = dtype.is_floating_point();
    let single = float && dtype != DType::Float64;
    let (va, ve) = (a.to_f64_vec(), e.to_f64_vec());
    // Rounds an intermediate to the comparison dtype (float32 for the narrow floats too).
    let round = |x: f64| if single { f64::from(x as f32) } else { x };
    let close: Vec<bool> = va
        .iter()
        .zip(&ve)
        .map(|(&x, &y)| {
            if x == y || (opts.equal_nan && x.is_nan() && y.is_nan()) {
                return true;
            }
            let allowed = round(round(atol) + round(round(round(rtol) * y).abs()));
            let err = round(x - y).abs();
            err.is_finite() && err <= allowed
        })
        .collect();
    let mismatches = close.iter().filter(|c| !**c).count();
    if mismatches == 0 {
        return Ok(None);
    }
    let equality = rtol == 0.0 && atol == 0.0;
    let title = if equality { "equal" } else { "close" };
    if a.dim() == 0 {
        let show = |x: f64| {
            if float {
                crate::lang::format::float_repr(x)
            } else {
                format!("{}", x as i64)
            }
        };
        // A 0-d tensor is compared as its `.item()` Python numbers.
        let abs = (va[0] - ve[0]).abs();
        let rel = if ve[0] == 0.0 {
            f64::INFINITY
        } else {
            abs / ve[0].abs()
        };
        let text = format!(
            "Scalars are not {title}!\n\nExpected {} but got {}.\n{}\n{}",
            show(ve[0]),
            show(va[0]),
            diff_line("Absolute difference", &show(abs), equality, &atol_s),
            diff_line(
                "Relative difference",
                &crate::lang::format::float_repr(rel),
                equality,
                &rtol_s
            )
        );
        return Ok(Some((Kind::Assertion, text)));
    }
    let n = close.len();
    let abs: Vec<f64> = va
        .iter()
        .zip(&ve)
        .zip(&close)
        .map(|((&x, &y), &c)| if c { 0.0 } else { round(x - y).abs() })
        .collect();
    // Relative differences: the dtype's division, float32 for integers (true division).
    let rel: Vec<f64> = abs
        .iter()
        .zip(&ve)
        .zip(&close)
        .map(|((&d, &y), &c)| {
            if c {
                0.0
            } else if float && !single {
                d / y.abs()
            } else {
                f64::from(d as f32 / y.abs() as f32)
            }
        })
        .collect();
    let (ia, ir) = (argmax(&abs), argmax(&rel));
    let index = |flat: usize| unravel(flat, &a.shape());
    let abs_text = if float {
        crate::lang::format::float_repr(abs[ia])
    } else {
        format!("{}", abs[ia] as i64)
    };
    let text = format!(
        "Tensor-likes are not {title}!\n\nMismatched elements: {mismatches} / {n} ({})\n{}\n{}",
        percent(mismatches, n),
        diff_line(
            "Greatest absolute difference",
            &format!("{abs_text} at index {}", index(ia)),
            equality,
            &atol_s
        ),
        diff_line(
            "Greatest relative difference",
            &format!(
                "{} at index {}",
                crate::lang::format::float_repr(rel[ir]),
                index(ir)
            ),
            equality,
            &rtol_s
        )
    );
    Ok(Some((Kind::Assertion, text)))
}

fn compare_numbers(a: &Value, e: &Value, opts: &Opts) -> R<Failure> {
    let is_float = |v: &Value| matches!(v, Value::Float(_));
    if opts.check_dtype && is_float(a) != is_float(e) {
        let class = |v: &Value| if is_float(v) { "float" } else { "int" };
        let text = format!(
            "The values for attribute 'dtype' do not match: <class '{}'> != <class '{}'>.",
            class(a),
            class(e)
        );
        return Ok(Some((Kind::Assertion, text)));
    }
    let float = is_float(a) || is_float(e);
    let (rtol, atol, rtol_s, atol_s) =
        tolerances(opts, &[if float { DType::Float64 } else { DType::Int64 }])?;
    let (x, y) = (a.expect_f64("actual")?, e.expect_f64("expected")?);
    let abs = (x - y).abs();
    if x == y
        || (opts.equal_nan && x.is_nan() && y.is_nan())
        || (abs.is_finite() && abs <= atol + rtol * y.abs())
    {
        return Ok(None);
    }
    let equality = rtol == 0.0 && atol == 0.0;
    let rel = if y == 0.0 {
        f64::INFINITY
    } else {
        abs / y.abs()
    };
    let abs_s = if float {
        crate::lang::format::float_repr(abs)
    } else {
        format!("{}", abs as i64)
    };
    let text = format!(
        "Scalars are not {}!\n\nExpected {} but got {}.\n{}\n{}",
        if equality { "equal" } else { "close" },
        e.repr(),
        a.repr(),
        diff_line("Absolute difference", &abs_s, equality, &atol_s),
        diff_line(
            "Relative difference",
            &crate::lang::format::float_repr(rel),
            equality,
            &rtol_s
        )
    );
    Ok(Some((Kind::Assertion, text)))
}

fn diff_line(what: &str, value: &str, equality: bool, tol: &str) -> String {
    if equality {
        format!("{what}: {value}")
    } else {
        format!("{what}: {value} (up to {tol} allowed)")
    }
}

/// The first index of the greatest value; a NaN is the greatest (`torch.max` propagates it).
fn argmax(v: &[f64]) -> usize {
    if let Some(i) = v.iter().position(|x| x.is_nan()) {
        return i;
    }
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

/// A flat index as the Python tuple of coordinates (`(1,)`, `(0, 2)`).
fn unravel(mut flat: usize, shape: &[usize]) -> String {
    let mut idx = vec![0; shape.len()];
    for (d, &s) in shape.iter().enumerate().rev() {
        idx[d] = flat % s.max(1);
        flat /= s.max(1);
    }
    match idx.as_slice() {
        [one] => format!("({one},)"),
        many => format!(
            "({})",
            many.iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Python's `{:.1%}`.
fn percent(k: usize, n: usize) -> String {
    crate::lang::format::format_float(k as f64 / n as f64, ".1%").unwrap_or_default()
}
