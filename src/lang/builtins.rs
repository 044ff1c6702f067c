//! Builtin functions, types and exception classes, and the methods of str, list, dict and set.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::rc::Rc;

use super::ast::{BinOp, CmpOp, Name};
use num_traits::Signed;

use super::bigint;
use super::error::Exception;
use super::interp::{Interpreter, key_error};
use super::native::{Args, NativeObject};
use super::value::*;

type R<T> = Result<T, Exception>;

/// CPython's exception hierarchy (the part lessons meet), parent before child.
const EXCEPTIONS: &[(&str, &str)] = &[
    ("BaseException", ""),
    ("Exception", "BaseException"),
    ("KeyboardInterrupt", "BaseException"),
    ("BaseExceptionGroup", "BaseException"),
    ("ExceptionGroup", "Exception"),
    ("SystemExit", "BaseException"),
    ("ArithmeticError", "Exception"),
    ("ZeroDivisionError", "ArithmeticError"),
    ("OverflowError", "ArithmeticError"),
    ("FloatingPointError", "ArithmeticError"),
    ("AssertionError", "Exception"),
    ("AttributeError", "Exception"),
    ("ImportError", "Exception"),
    ("ModuleNotFoundError", "ImportError"),
    ("LookupError", "Exception"),
    ("IndexError", "LookupError"),
    ("KeyError", "LookupError"),
    ("NameError", "Exception"),
    ("UnboundLocalError", "NameError"),
    ("OSError", "Exception"),
    ("TimeoutError", "OSError"),
    ("FileNotFoundError", "OSError"),
    ("PermissionError", "OSError"),
    ("IsADirectoryError", "OSError"),
    ("FileExistsError", "OSError"),
    ("NotADirectoryError", "OSError"),
    ("InterruptedError", "OSError"),
    ("ConnectionError", "OSError"),
    ("BrokenPipeError", "ConnectionError"),
    ("ConnectionAbortedError", "ConnectionError"),
    ("ConnectionRefusedError", "ConnectionError"),
    ("ConnectionResetError", "ConnectionError"),
    ("EOFError", "Exception"),
    ("SystemError", "Exception"),
    ("BufferError", "Exception"),
    ("ReferenceError", "Exception"),
    ("StopAsyncIteration", "Exception"),
    ("GeneratorExit", "BaseException"),
    ("RuntimeError", "Exception"),
    ("RecursionError", "RuntimeError"),
    ("NotImplementedError", "RuntimeError"),
    ("StopIteration", "Exception"),
    ("SyntaxError", "Exception"),
    ("IndentationError", "SyntaxError"),
    ("TypeError", "Exception"),
    ("ValueError", "Exception"),
    ("UnicodeError", "ValueError"),
    ("UnicodeDecodeError", "UnicodeError"),
    ("UnicodeEncodeError", "UnicodeError"),
    ("Warning", "Exception"),
    ("UserWarning", "Warning"),
    ("DeprecationWarning", "Warning"),
    ("RuntimeWarning", "Warning"),
];

fn def(it: &mut Interpreter, name: &str, f: impl Fn(&mut Interpreter, Args) -> R<Value> + 'static) {
    it.builtins.insert(name.into(), Value::builtin(name, f));
}

fn add_type(it: &mut Interpreter, name: &'static str, base: Option<&str>, ctor: Option<NativeFn>) {
    let base = base.and_then(|b| it.types.get(b).cloned());
    let t = TypeObj::new(name, base, ctor);
    it.types.insert(name, t.clone());
    it.builtins.insert(name.into(), Value::Type(t));
}

fn ctor(f: impl Fn(&mut Interpreter, Args) -> R<Value> + 'static) -> Option<NativeFn> {
    Some(Rc::new(f))
}

/// Exactly one positional argument, CPython's C-function wording.
fn one(args: &Args) -> R<Value> {
    args.no_kwargs()?;
    if args.pos.len() != 1 {
        return Err(Exception::type_error(format!(
            "{}() takes exactly one argument ({} given)",
            args.fname,
            args.pos.len()
        )));
    }
    Ok(args.pos[0].clone())
}

fn arity(args: &Args, min: usize, max: usize) -> R<()> {
    let n = args.pos.len();
    if n < min {
        return Err(Exception::type_error(format!(
            "{} expected at least {min} argument{}, got {n}",
            args.fname,
            if min == 1 { "" } else { "s" }
        )));
    }
    if n > max {
        return Err(Exception::type_error(format!(
            "{} expected at most {max} argument{}, got {n}",
            args.fname,
            if max == 1 { "" } else { "s" }
        )));
    }
    Ok(())
}

pub fn install(it: &mut Interpreter) {
    for (name, parent) in EXCEPTIONS {
        let base = if parent.is_empty() { None } else { Some(*parent) };
        add_type(it, name, base, None);
    }
    install_types(it);
    super::pybytes::install(it);
    super::frozenset::install(it);
    install_functions(it);
    install_class_support(it);
    it.modules.insert("math".into(), super::math::module());
    it.modules.insert("random".into(), super::random::module());
    super::stdlib::install(it);
}

/// The type object for a value (`type(v)`).
pub fn type_of(it: &Interpreter, v: &Value) -> Rc<TypeObj> {
    let name = match v {
        Value::Native(n) => {
            let object = it.types.get("object").cloned();
            return Rc::new(TypeObj::build(n.type_name().into(), n.module_name().map(Into::into), object, None, Default::default()));
        }
        Value::Exception(e) => return e.typ.clone(),
        Value::Instance(i) => return i.class.clone(),
        other => other.type_name(),
    };
    match it.types.get(name.as_str()) {
        Some(t) => t.clone(),
        None => TypeObj::new(&name, it.types.get("object").cloned(), None),
    }
}

pub(crate) fn is_instance(it: &Interpreter, v: &Value, cls: &Value) -> R<bool> {
    match cls {
        Value::Type(t) => {
            if &*t.name == "object" && t.module.is_none() {
                return Ok(true);
            }
            if let Value::Native(n) = v
                && n.is_instance_of(&t.name) {
                    return Ok(true);
                }
            Ok(type_of(it, v).is_subclass_of(t))
        }
        Value::Tuple(items) => {
            for c in items.iter() {
                if is_instance(it, v, c)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        _ => Err(Exception::type_error("isinstance() arg 2 must be a type, a tuple of types, or a union")),
    }
}

fn install_types(it: &mut Interpreter) {
    add_type(it, "object", None, None);
    add_type(
        it,
        "int",
        None,
        ctor(|it, args| {
            let [x, base] = args.bind(&["x=", "base="])?;
            let Some(x) = x else { return Ok(Value::Int(0)) };
            if let Some(b) = base {
                let b = b.expect_int("base")?;
                if !(b == 0 || (2..=36).contains(&b)) {
                    return Err(Exception::value_error("int() base must be >= 2 and <= 36, or 0"));
                }
                let Value::Str(s) = &x else {
                    return Err(Exception::type_error("int() can't convert non-string with explicit base"));
                };
                return parse_int(s, b as u32);
            }
            to_int(it, &x)
        }),
    );
    add_type(it, "bool", Some("int"), ctor(|it, args| {
        let [x] = args.bind(&["x=", "/"])?;
        Ok(Value::Bool(match x {
            Some(x) => it.truthy(&x)?,
            None => false,
        }))
    }));
    add_type(
        it,
        "float",
        None,
        ctor(|it, args| {
            let [x] = args.bind(&["x=", "/"])?;
            let Some(x) = x else { return Ok(Value::Float(0.0)) };
            to_float(it, &x).map(Value::Float)
        }),
    );
    add_type(
        it,
        "str",
        None,
        ctor(|it, args| {
            let [x, encoding, errors] = args.bind(&["object=", "encoding=", "errors="])?;
            if encoding.is_some() || errors.is_some() {
                // `str(b, 'utf-8')` decodes, as `b.decode('utf-8')` does.
                let b = x.unwrap_or_else(|| super::pybytes::new_bytes(Vec::new()));
                let decode = it.get_attr(&b, "decode").map_err(|_| {
                    Exception::type_error(format!("decoding to str: need a bytes-like object, {} found", b.type_name()))
                })?;
                let pos = [encoding, errors].into_iter().map_while(|v| v).collect();
                return it.call_positional(&decode, pos);
            }
            Ok(match x {
                Some(x) => Value::Str(it.to_str(&x)?.into()),
                None => Value::str(""),
            })
        }),
    );
    add_type(
        it,
        "list",
        None,
        ctor(|it, args| {
            let [x] = args.bind(&["iterable=", "/"])?;
            Ok(Value::list(match x {
                Some(x) => it.iterate(&x)?,
                None => Vec::new(),
            }))
        }),
    );
    add_type(
        it,
        "tuple",
        None,
        ctor(|it, args| {
            let [x] = args.bind(&["iterable=", "/"])?;
            Ok(match &x {
                Some(Value::Tuple(t)) => Value::Tuple(t.clone()),
                Some(x) => Value::tuple(it.iterate(x)?),
                None => Value::tuple(Vec::new()),
            })
        }),
    );
    add_type(
        it,
        "set",
        None,
        ctor(|it, args| {
            let [x] = args.bind(&["iterable=", "/"])?;
            let mut d = Dict::new();
            if let Some(x) = x {
                for v in it.iterate(&x)? {
                    d.insert(v, Value::None)?;
                }
            }
            Ok(Value::set(d))
        }),
    );
    add_type(
        it,
        "dict",
        None,
        ctor(|it, args| {
            if args.pos.len() > 1 {
                return Err(Exception::type_error(format!("dict expected at most 1 argument, got {}", args.pos.len())));
            }
            let mut d = Dict::new();
            if let Some(src) = args.pos.first() {
                dict_update(it, &mut d, src)?;
            }
            for (k, v) in &args.kw {
                d.insert(Value::Str(k.clone()), v.clone())?;
            }
            Ok(Value::dict(d))
        }),
    );
    add_type(
        it,
        "range",
        None,
        ctor(|_, args| {
            args.no_kwargs()?;
            if args.pos.iter().any(|v| matches!(v, Value::BigInt(_))) {
                return Err(Exception::unsupported("range() with bounds beyond 64 bits"));
            }
            let ints: Vec<i64> = args.pos.iter().map(|v| v.expect_int("")).collect::<R<_>>()?;
            let (start, stop, step) = match ints.as_slice() {
                [stop] => (0, *stop, 1),
                [start, stop] => (*start, *stop, 1),
                [start, stop, step] => (*start, *stop, *step),
                [] => return Err(Exception::type_error("range expected at least 1 argument, got 0")),
                _ => return Err(Exception::type_error(format!("range expected at most 3 arguments, got {}", ints.len()))),
            };
            if step == 0 {
                return Err(Exception::value_error("range() arg 3 must not be zero"));
            }
            Ok(Value::Range(Rc::new(RangeVal { start, stop, step })))
        }),
    );
    add_type(
        it,
        "type",
        None,
        ctor(|it, args| {
            let x = one(&args)?;
            Ok(Value::Type(type_of(it, &x)))
        }),
    );
    for name in ["NoneType", "function", "builtin_function_or_method", "module", "ellipsis"] {
        add_type(it, name, None, None);
    }
    // slice(stop), slice(start, stop[, step]): the object `a[1:2]` builds.
    add_type(
        it,
        "slice",
        None,
        ctor(|_, args| {
            args.no_kwargs()?;
            if args.pos.is_empty() {
                return Err(Exception::type_error("slice expected at least 1 argument, got 0"));
            }
            let [a, b, c] = match &args.pos[..] {
                [stop] => [Value::None, stop.clone(), Value::None],
                [start, stop] => [start.clone(), stop.clone(), Value::None],
                [start, stop, step] => [start.clone(), stop.clone(), step.clone()],
                p => return Err(Exception::type_error(format!("slice expected at most 3 arguments, got {}", p.len()))),
            };
            Ok(Value::Slice(Rc::new([a, b, c])))
        }),
    );
    it.builtins.remove("NoneType");
    it.builtins.remove("function");
    it.builtins.remove("builtin_function_or_method");
    it.builtins.remove("module");
    it.builtins.remove("ellipsis");
    it.builtins.insert("Ellipsis".into(), Value::Ellipsis);
}

pub fn parse_int(s: &str, base: u32) -> R<Value> {
    let err = || Exception::value_error(format!("invalid literal for int() with base {base}: {}", str_repr(s)));
    let t = s.trim();
    let (neg, body) = match t.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    if base != 0 && !(2..=36).contains(&base) {
        return Err(Exception::value_error("int() base must be >= 2 and <= 36, or 0"));
    }
    // A radix prefix is allowed when it names the base (or base 0 asks to read it).
    let lower = body.get(..2).map(str::to_ascii_lowercase);
    let prefixed = match lower.as_deref() {
        Some("0x") => Some(16),
        Some("0o") => Some(8),
        Some("0b") => Some(2),
        _ => None,
    };
    let (base, body) = match prefixed {
        Some(p) if base == 0 || base == p => (p, body[2..].strip_prefix('_').unwrap_or(&body[2..])),
        _ if base == 0 => {
            // Base 0 reads decimals as literals do: no leading zeros.
            if body.len() > 1 && body.starts_with('0') && body.chars().any(|c| c != '0' && c != '_') {
                return Err(err());
            }
            (10, body)
        }
        _ => (base, body),
    };
    if body.is_empty() || body.starts_with('_') || body.ends_with('_') || body.contains("__") {
        return Err(err());
    }
    let digits: String = body.chars().filter(|c| *c != '_').collect();
    bigint::parse_digits(&digits, base, neg)?.ok_or_else(err)
}

pub fn to_int(it: &mut Interpreter, x: &Value) -> R<Value> {
    match x {
        Value::Int(i) => Ok(Value::Int(*i)),
        Value::BigInt(_) => Ok(x.clone()),
        Value::Bool(b) => Ok(Value::Int(*b as i64)),
        Value::Float(f) => float_to_int(*f),
        Value::Str(s) => parse_int(s, 10),
        Value::Instance(_) => {
            for name in ["__int__", "__index__", "__trunc__"] {
                if let Some(v) = it.call_dunder(x, name, Vec::new())? {
                    return match v {
                        Value::Int(_) | Value::BigInt(_) | Value::Bool(_) => to_int(it, &v),
                        other => Err(Exception::type_error(format!("{name} returned non-int (type {})", other.type_name()))),
                    };
                }
            }
            match super::value::number_half(x) {
                Some(h) => to_int(it, &h),
                None => Err(Exception::type_error(format!(
                    "int() argument must be a string, a bytes-like object or a real number, not '{}'",
                    x.type_name()
                ))),
            }
        }
        Value::Native(n) => {
            let n = n.clone();
            match n.as_number(it)? {
                Some(Value::Float(f)) => float_to_int(f),
                Some(v) if v.as_int().is_some() => Ok(Value::Int(v.as_int().unwrap_or(0))),
                _ => Err(Exception::type_error(format!(
                    "int() argument must be a string, a bytes-like object or a real number, not '{}'",
                    n.type_name()
                ))),
            }
        }
        other => Err(Exception::type_error(format!(
            "int() argument must be a string, a bytes-like object or a real number, not '{}'",
            other.type_name()
        ))),
    }
}

pub fn float_to_int(f: f64) -> R<Value> {
    bigint::float_to_int(f)
}

pub fn to_float(it: &mut Interpreter, x: &Value) -> R<f64> {
    match x {
        Value::Float(f) => Ok(*f),
        Value::Int(_) | Value::Bool(_) => Ok(x.as_f64().unwrap_or(0.0)),
        Value::BigInt(b) => bigint::to_f64(b),
        Value::Instance(_) => {
            for name in ["__float__", "__index__"] {
                if let Some(v) = it.call_dunder(x, name, Vec::new())? {
                    return match v {
                        Value::Float(_) | Value::Int(_) | Value::BigInt(_) | Value::Bool(_) => to_float(it, &v),
                        other => Err(Exception::type_error(format!(
                            "{}.{name} returned non-float (type {})",
                            x.type_name(),
                            other.type_name()
                        ))),
                    };
                }
            }
            match super::value::number_half(x) {
                Some(h) => to_float(it, &h),
                None => Err(Exception::type_error(format!(
                    "float() argument must be a string or a real number, not '{}'",
                    x.type_name()
                ))),
            }
        }
        Value::Str(s) => {
            let t = s.trim();
            let lower = t.to_ascii_lowercase();
            let body = lower.trim_start_matches(['+', '-']);
            let neg = lower.starts_with('-');
            let special = match body {
                "nan" => Some(f64::NAN),
                "inf" | "infinity" => Some(f64::INFINITY),
                _ => None,
            };
            if let Some(v) = special {
                return Ok(if neg { -v } else { v });
            }
            let clean: String = t.chars().filter(|c| *c != '_').collect();
            let valid = !t.is_empty()
                && !t.starts_with('_')
                && !t.ends_with('_')
                && t.chars().all(|c| c.is_ascii_digit() || "+-.eE_".contains(c));
            match clean.parse::<f64>() {
                Ok(v) if valid => Ok(v),
                _ => Err(Exception::value_error(format!("could not convert string to float: {}", str_repr(s)))),
            }
        }
        Value::Native(n) => {
            let n = n.clone();
            match n.as_number(it)? {
                Some(v) if v.as_f64().is_some() => Ok(v.as_f64().unwrap_or(0.0)),
                _ => Err(Exception::type_error(format!(
                    "float() argument must be a string or a real number, not '{}'",
                    n.type_name()
                ))),
            }
        }
        other => Err(Exception::type_error(format!(
            "float() argument must be a string or a real number, not '{}'",
            other.type_name()
        ))),
    }
}

/// `{**m}` and `f(**m)` of a mapping that is not a dict (an OrderedDict, a state dict, a class
/// with `keys`): its contents as a dict; None when `m` has no `keys`.
pub(crate) fn mapping_as_dict(it: &mut Interpreter, m: &Value) -> R<Option<Value>> {
    if !matches!(m, Value::Native(_) | Value::Instance(_)) || it.get_attr(m, "keys").is_err() {
        return Ok(None);
    }
    let mut d = Dict::new();
    dict_update(it, &mut d, m)?;
    Ok(Some(Value::dict(d)))
}

fn dict_update(it: &mut Interpreter, d: &mut Dict, src: &Value) -> R<()> {
    if let Value::Dict(s) = src {
        for (k, v) in s.borrow().items() {
            d.insert(k, v)?;
        }
        return Ok(());
    }
    // A mapping (defaultdict, Counter, OrderedDict, a class with `keys`): its keys and items,
    // as CPython's dict() takes any object with a `keys` method.
    if matches!(src, Value::Native(_) | Value::Instance(_))
        && let Ok(keys) = it.get_attr(src, "keys")
    {
        let keys = it.call(&keys, Args::new("keys", Vec::new()))?;
        for k in it.iterate(&keys)? {
            let v = it.get_item(src, &k)?;
            d.insert(k, v)?;
        }
        return Ok(());
    }
    let items = it.iterate(src)?;
    for (i, item) in items.into_iter().enumerate() {
        let pair = match &item {
            Value::Tuple(_) | Value::List(_) => it.iterate(&item)?,
            _ => {
                return Err(Exception::type_error(format!(
                    "cannot convert dictionary update sequence element #{i} to a sequence"
                )));
            }
        };
        if pair.len() != 2 {
            return Err(Exception::value_error(format!(
                "dictionary update sequence element #{i} has length {}; 2 is required",
                pair.len()
            )));
        }
        d.insert(pair[0].clone(), pair[1].clone())?;
    }
    Ok(())
}

fn sort_values(it: &mut Interpreter, items: &mut Vec<Value>, key: Option<Value>, reverse: bool) -> R<()> {
    let keys: Vec<Value> = match &key {
        Some(k) if !k.is_none() => {
            let mut ks = Vec::with_capacity(items.len());
            for v in items.iter() {
                ks.push(it.call(k, Args::new("key", vec![v.clone()]))?);
            }
            ks
        }
        _ => items.clone(),
    };
    let mut idx: Vec<usize> = (0..items.len()).collect();
    let mut err = None;
    idx.sort_by(|&i, &j| {
        if err.is_some() {
            return Ordering::Equal;
        }
        // A long sort stops at the cell's deadline like any loop.
        if let Err(e) = it.tick() {
            err = Some(e);
            return Ordering::Equal;
        }
        // Python sorts with `<` only; a reverse sort keeps equal items in order.
        let (a, b) = if reverse { (&keys[j], &keys[i]) } else { (&keys[i], &keys[j]) };
        match it.compare(CmpOp::Lt, a, b).and_then(|v| it.truthy(&v)) {
            Ok(true) => Ordering::Less,
            Ok(false) => match it.compare(CmpOp::Lt, b, a).and_then(|v| it.truthy(&v)) {
                Ok(true) => Ordering::Greater,
                Ok(false) => Ordering::Equal,
                Err(e) => {
                    err = Some(e);
                    Ordering::Equal
                }
            },
            Err(e) => {
                err = Some(e);
                Ordering::Equal
            }
        }
    });
    if let Some(e) = err {
        return Err(e);
    }
    let sorted: Vec<Value> = idx.into_iter().map(|i| items[i].clone()).collect();
    *items = sorted;
    Ok(())
}

fn min_max(it: &mut Interpreter, args: Args, want: Ordering) -> R<Value> {
    let name = args.fname.clone();
    let mut key = None;
    let mut default = None;
    for (k, v) in &args.kw {
        match &**k {
            "key" => key = Some(v.clone()),
            "default" => default = Some(v.clone()),
            other => {
                return Err(Exception::type_error(format!("'{other}' is an invalid keyword argument for {name}()")));
            }
        }
    }
    let items = match args.pos.len() {
        0 => return Err(Exception::type_error(format!("{name} expected at least 1 argument, got 0"))),
        1 => it.iterate(&args.pos[0])?,
        _ => {
            if default.is_some() {
                return Err(Exception::type_error(format!(
                    "Cannot specify a default for {name}() with multiple positional arguments"
                )));
            }
            args.pos.clone()
        }
    };
    let key = key.filter(|k| !k.is_none());
    let mut best: Option<(Value, Value)> = None;
    for v in items {
        let k = match &key {
            Some(f) => it.call(f, Args::new("key", vec![v.clone()]))?,
            None => v.clone(),
        };
        let replace = match &best {
            None => true,
            Some((_, bk)) => {
                let op = if want == Ordering::Greater { CmpOp::Gt } else { CmpOp::Lt };
                let r = it.compare(op, &k, bk)?;
                it.truthy(&r)?
            }
        };
        if replace {
            best = Some((v, k));
        }
    }
    match (best, default) {
        (Some((v, _)), _) => Ok(v),
        (None, Some(d)) => Ok(d),
        (None, None) => Err(Exception::value_error(format!("{name}() arg is an empty sequence"))),
    }
}

fn iter_value(state: IterState) -> Value {
    Value::Iter(Rc::new(RefCell::new(state)))
}

/// Python's round-half-even of a float to `nd` decimals, through the exact decimal expansion.
pub fn round_float(x: f64, nd: i64) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    if nd >= 0 {
        if nd > 330 {
            return x;
        }
        let s = format!("{:.*}", nd as usize, x);
        s.parse().unwrap_or(x)
    } else {
        let p = 10f64.powi(nd.saturating_neg().min(400) as i32);
        let y = x / p;
        let r = y.round_ties_even() * p;
        if r.is_finite() { r } else { 0.0f64.copysign(x) }
    }
}

/// The sum of a range's items: n * (first + last) / 2, exact.
fn range_sum(r: &RangeVal) -> Value {
    use num_bigint::BigInt;
    let n = r.len_exact();
    if n == 0 {
        return Value::Int(0);
    }
    let first = BigInt::from(r.start);
    let last = BigInt::from(r.start as i128 + (n - 1) * r.step as i128);
    bigint::norm(BigInt::from(n) * (first + last) / 2)
}

fn install_functions(it: &mut Interpreter) {
    def(it, "print", |it, args| {
        let mut sep = " ".to_string();
        let mut end = "\n".to_string();
        for (k, v) in &args.kw {
            match (&**k, v) {
                ("sep", Value::None) | ("end", Value::None) | ("file", _) | ("flush", _) => {}
                ("sep", Value::Str(s)) => sep = s.to_string(),
                ("end", Value::Str(s)) => end = s.to_string(),
                ("sep", o) | ("end", o) => {
                    return Err(Exception::type_error(format!("{k} must be None or a string, not {}", o.type_name())));
                }
                (other, _) => {
                    return Err(Exception::type_error(format!("'{other}' is an invalid keyword argument for print()")));
                }
            }
        }
        let mut line = String::new();
        for (i, v) in args.pos.iter().enumerate() {
            if i > 0 {
                line.push_str(&sep);
            }
            line.push_str(&it.to_str(v)?);
        }
        line.push_str(&end);
        // `print(..., file=f)` writes through `f.write` (an `io.StringIO`, say).
        if let Some((_, f)) = args.kw.iter().find(|(k, v)| &**k == "file" && !matches!(v, Value::None)) {
            let write = it.get_attr(f, "write")?;
            it.call(&write, crate::lang::native::Args::new("write", vec![Value::Str(line.as_str().into())]))?;
            return Ok(Value::None);
        }
        it.out.push_str(&line);
        Ok(Value::None)
    });
    def(it, "len", |it, args| {
        let x = one(&args)?;
        Ok(Value::Int(it.len(&x)? as i64))
    });
    def(it, "repr", |it, args| {
        let x = one(&args)?;
        Ok(Value::Str(it.repr(&x)?.into()))
    });
    def(it, "format", |it, args| {
        let [v, spec] = args.bind(&["value", "format_spec=", "/"])?;
        let spec = match &spec {
            Some(Value::Str(s)) => s.to_string(),
            Some(o) => {
                return Err(Exception::type_error(format!(
                    "format() argument 2 must be str, not {}",
                    o.type_name()
                )));
            }
            None => String::new(),
        };
        Ok(Value::Str(it.format(&v.unwrap_or(Value::None), &spec)?.into()))
    });
    def(it, "abs", |it, args| {
        let x = one(&args)?;
        match &x {
            Value::Int(i) => Ok(i.checked_abs().map_or_else(|| bigint::norm(num_bigint::BigInt::from(*i).abs()), Value::Int)),
            Value::BigInt(b) => Ok(bigint::norm(b.abs())),
            Value::Bool(b) => Ok(Value::Int(*b as i64)),
            Value::Float(f) => Ok(Value::Float(f.abs())),
            Value::Instance(_) => match it.call_dunder(&x, "__abs__", Vec::new())? {
                Some(v) => Ok(v),
                None => Err(Exception::type_error(format!("bad operand type for abs(): '{}'", x.type_name()))),
            },
            Value::Native(n) => {
                let n = n.clone();
                match n.get_attr(&x, "abs", it)? {
                    Some(f) => it.call(&f, Args::new("abs", vec![])),
                    None => Err(Exception::type_error(format!("bad operand type for abs(): '{}'", n.type_name()))),
                }
            }
            o => Err(Exception::type_error(format!("bad operand type for abs(): '{}'", o.type_name()))),
        }
    });
    def(it, "round", |it, args| {
        let [x, nd] = args.bind(&["number", "ndigits="])?;
        let x = x.unwrap_or(Value::None);
        let nd = match nd {
            None | Some(Value::None) => None,
            Some(v) => Some(v.expect_int("ndigits")?),
        };
        match (&x, nd) {
            (Value::Float(f), None) => float_to_int(f.round_ties_even()),
            (Value::Float(f), Some(n)) => Ok(Value::Float(round_float(*f, n))),
            (Value::BigInt(_), None) => Ok(x.clone()),
            (Value::Int(_) | Value::Bool(_), None) => Ok(Value::Int(x.as_int().unwrap_or(0))),
            (Value::Int(_) | Value::Bool(_) | Value::BigInt(_), Some(n)) => {
                if n >= 0 {
                    return to_int(it, &x);
                }
                Ok(bigint::round_int(&bigint::to_big(&x).unwrap_or_default(), n))
            }
            (Value::Instance(_), _) if it.dunder(&x, "__round__").is_some() => {
                let nd = nd.map(Value::Int).into_iter().collect();
                Ok(it.call_dunder(&x, "__round__", nd)?.unwrap_or(Value::None))
            }
            (o, _) => Err(Exception::type_error(format!("type {} doesn't define __round__ method", o.type_name()))),
        }
    });
    def(it, "divmod", |it, args| {
        args.no_kwargs()?;
        if args.pos.len() != 2 {
            return Err(Exception::type_error(format!("divmod expected 2 arguments, got {}", args.pos.len())));
        }
        let (a, b) = (&args.pos[0], &args.pos[1]);
        let q = it.binary(BinOp::FloorDiv, a, b)?;
        let r = it.binary(BinOp::Mod, a, b)?;
        Ok(Value::tuple(vec![q, r]))
    });
    def(it, "pow", |it, args| {
        let [b, e, m] = args.bind(&["base", "exp", "mod="])?;
        let (b, e) = (b.unwrap_or(Value::None), e.unwrap_or(Value::None));
        match m {
            None | Some(Value::None) => it.binary(BinOp::Pow, &b, &e),
            Some(m) => {
                let (Some(base), Some(exp), Some(md)) = (bigint::to_big(&b), bigint::to_big(&e), bigint::to_big(&m)) else {
                    return Err(Exception::type_error("pow() 3rd argument not allowed unless all arguments are integers"));
                };
                bigint::pow_mod(&base, &exp, &md)
            }
        }
    });
    def(it, "sum", |it, args| {
        let [iterable, start] = args.bind(&["iterable", "/", "start="])?;
        let mut acc = start.unwrap_or(Value::Int(0));
        if let Value::Str(_) = acc {
            return Err(Exception::type_error("sum() can't sum strings [use ''.join(seq) instead]"));
        }
        let iterable = iterable.unwrap_or(Value::None);
        // A range's sum is an arithmetic series: exact, without a loop over its items.
        if let (Value::Range(r), true) = (&iterable, bigint::is_int(&acc)) {
            return it.binary(BinOp::Add, &acc, &range_sum(r));
        }
        for v in it.iterate(&iterable)? {
            acc = it.binary(BinOp::Add, &acc, &v)?;
        }
        Ok(acc)
    });
    def(it, "min", |it, args| min_max(it, args, Ordering::Less));
    def(it, "max", |it, args| min_max(it, args, Ordering::Greater));
    def(it, "any", |it, args| {
        let x = one(&args)?;
        let iter = it.iter(&x)?;
        while let Some(v) = it.next(&iter)? {
            if it.truthy(&v)? {
                return Ok(Value::Bool(true));
            }
        }
        Ok(Value::Bool(false))
    });
    def(it, "all", |it, args| {
        let x = one(&args)?;
        let iter = it.iter(&x)?;
        while let Some(v) = it.next(&iter)? {
            if !it.truthy(&v)? {
                return Ok(Value::Bool(false));
            }
        }
        Ok(Value::Bool(true))
    });
    def(it, "sorted", |it, args| {
        let [iterable, key, reverse] = args.bind(&["iterable", "/", "*", "key=", "reverse="])?;
        let mut items = it.iterate(&iterable.unwrap_or(Value::None))?;
        let reverse = match reverse {
            Some(r) => it.truthy(&r)?,
            None => false,
        };
        sort_values(it, &mut items, key, reverse)?;
        Ok(Value::list(items))
    });
    def(it, "reversed", |it, args| {
        let x = one(&args)?;
        Ok(match &x {
            Value::List(l) => {
                let n = l.borrow().len();
                iter_value(IterState::Reversed { seq: x.clone(), idx: n })
            }
            Value::Tuple(t) => iter_value(IterState::Reversed { seq: x.clone(), idx: t.len() }),
            Value::Range(r) => {
                let n = r.len();
                iter_value(IterState::Range { cur: r.get(n - 1), stop: r.get(-1), step: -r.step })
            }
            Value::Str(_) | Value::Dict(_) => {
                let mut items = it.iterate(&x)?;
                items.reverse();
                Value::iter_items(items)
            }
            Value::Native(n) if n.len(it)?.is_some() => {
                let mut items = it.iterate(&x)?;
                items.reverse();
                Value::iter_items(items)
            }
            o => return Err(Exception::type_error(format!("'{}' object is not reversible", o.type_name()))),
        })
    });
    def(it, "enumerate", |it, args| {
        let [iterable, start] = args.bind(&["iterable", "start="])?;
        let inner = it.iter(&iterable.unwrap_or(Value::None))?;
        let count = match start {
            Some(s) => s.expect_int("start")?,
            None => 0,
        };
        Ok(iter_value(IterState::Enumerate { inner, count }))
    });
    def(it, "zip", |it, args| {
        let mut strict = false;
        for (k, v) in &args.kw {
            if &**k == "strict" {
                strict = it.truthy(v)?;
            } else {
                return Err(Exception::type_error(format!("zip() got an unexpected keyword argument '{k}'")));
            }
        }
        let mut inners = Vec::new();
        for (i, a) in args.pos.iter().enumerate() {
            if !it.is_iterable(a) {
                let _ = i;
                return Err(Exception::type_error(format!("'{}' object is not iterable", a.type_name())));
            }
            inners.push(it.iter(a)?);
        }
        Ok(iter_value(IterState::Zip { inners, strict }))
    });
    def(it, "map", |it, args| {
        args.no_kwargs()?;
        if args.pos.len() < 2 {
            return Err(Exception::type_error("map() must have at least two arguments."));
        }
        let func = args.pos[0].clone();
        let mut inners = Vec::new();
        for a in &args.pos[1..] {
            inners.push(it.iter(a)?);
        }
        Ok(iter_value(IterState::Map { func, inners }))
    });
    def(it, "filter", |it, args| {
        args.no_kwargs()?;
        if args.pos.len() != 2 {
            return Err(Exception::type_error(format!("filter expected 2 arguments, got {}", args.pos.len())));
        }
        let inner = it.iter(&args.pos[1])?;
        Ok(iter_value(IterState::Filter { func: args.pos[0].clone(), inner }))
    });
    def(it, "iter", |it, args| {
        let x = one(&args)?;
        it.iter(&x)
    });
    def(it, "next", |it, args| {
        args.no_kwargs()?;
        arity(&args, 1, 2)?;
        let iter = &args.pos[0];
        let user_iter = matches!(iter, Value::Instance(_)) && it.dunder(iter, "__next__").is_some();
        if !matches!(iter, Value::Iter(_) | Value::Native(_)) && !user_iter {
            return Err(Exception::type_error(format!("'{}' object is not an iterator", iter.type_name())));
        }
        match it.next(iter)? {
            Some(v) => Ok(v),
            None => match args.pos.get(1) {
                Some(d) => Ok(d.clone()),
                None => Err(Exception::new("StopIteration", "")),
            },
        }
    });
    def(it, "isinstance", |it, args| {
        args.no_kwargs()?;
        if args.pos.len() != 2 {
            return Err(Exception::type_error(format!("isinstance expected 2 arguments, got {}", args.pos.len())));
        }
        Ok(Value::Bool(is_instance(it, &args.pos[0], &args.pos[1])?))
    });
    def(it, "issubclass", |_, args| {
        args.no_kwargs()?;
        if args.pos.len() != 2 {
            return Err(Exception::type_error(format!("issubclass expected 2 arguments, got {}", args.pos.len())));
        }
        let Value::Type(a) = &args.pos[0] else {
            return Err(Exception::type_error("issubclass() arg 1 must be a class"));
        };
        let classes = match &args.pos[1] {
            Value::Tuple(t) => t.to_vec(),
            other => vec![other.clone()],
        };
        for c in classes {
            let Value::Type(b) = &c else {
                return Err(Exception::type_error("issubclass() arg 2 must be a class, a tuple of classes, or a union"));
            };
            if a.is_subclass_of(b) || &*b.name == "object" {
                return Ok(Value::Bool(true));
            }
        }
        Ok(Value::Bool(false))
    });
    def(it, "callable", |it, args| {
        let x = one(&args)?;
        Ok(Value::Bool(match &x {
            Value::Function(_) | Value::Builtin(_) | Value::Method(_) => true,
            Value::Instance(_) => it.dunder(&x, "__call__").is_some(),
            Value::Type(t) if t.is_user() => true,
            Value::Type(t) => t.ctor.is_some() || t.base.is_some(),
            _ => false,
        }))
    });
    def(it, "hasattr", |it, args| {
        let [obj, name] = args.bind(&["obj", "name", "/"])?;
        let Some(Value::Str(name)) = name.as_ref() else {
            return Err(Exception::type_error("hasattr(): attribute name must be string"));
        };
        let obj = obj.unwrap_or(Value::None);
        match it.get_attr(&obj, name) {
            Ok(_) => Ok(Value::Bool(true)),
            Err(e) if e.py_type() == "AttributeError" => Ok(Value::Bool(super::dunders::type_has(it, &obj, name))),
            Err(e) => Err(e),
        }
    });
    def(it, "getattr", |it, args| {
        args.no_kwargs()?;
        arity(&args, 2, 3)?;
        let Value::Str(name) = &args.pos[1] else {
            return Err(Exception::type_error("attribute name must be string"));
        };
        match it.get_attr(&args.pos[0], name) {
            Ok(v) => Ok(v),
            Err(e) if e.py_type() == "AttributeError" && args.pos.len() == 3 => Ok(args.pos[2].clone()),
            Err(e) => Err(e),
        }
    });
    def(it, "setattr", |it, args| {
        let [obj, name, value] = args.bind(&["obj", "name", "value", "/"])?;
        let Some(Value::Str(name)) = name.as_ref() else {
            return Err(Exception::type_error("attribute name must be string"));
        };
        it.set_attr(&obj.unwrap_or(Value::None), name, value.unwrap_or(Value::None))?;
        Ok(Value::None)
    });
    def(it, "id", |_, args| {
        let x = one(&args)?;
        // Several native handles can be one Python object (a tensor read twice as
        // `m.weight`): its id is that object's, stable across reads as in PyTorch.
        if let Value::Native(n) = &x
            && let Some(k) = n.key_identity()
        {
            return Ok(Value::Int(0x7f00_0000_0000 + 16 * k as i64));
        }
        let id = x.identity();
        Ok(Value::Int(if id != 0 { id as i64 } else { hash_value(&x).unwrap_or(0) as i64 & 0x7fff_ffff_ffff }))
    });
    def(it, "hash", |_, args| {
        let x = one(&args)?;
        Ok(match &x {
            Value::Int(i) => Value::Int(bigint::hash_i64(*i)),
            Value::BigInt(b) => Value::Int(bigint::hash_big(b)),
            Value::Bool(b) => Value::Int(*b as i64),
            Value::Float(f) if !f.is_nan() => Value::Int(bigint::hash_f64(*f)),
            Value::Tuple(_) if let Some(h) = numeric_tuple_hash(&x) => Value::Int(h),
            _ => Value::Int((hash_value(&x)? >> 2) as i64),
        })
    });
    def(it, "chr", |_, args| {
        let x = one(&args)?;
        if let Value::BigInt(_) = x {
            return Err(Exception::new("OverflowError", "Python int too large to convert to C int"));
        }
        let x = x.expect_int("")?;
        u32::try_from(x)
            .ok()
            .and_then(char::from_u32)
            .map(|c| Value::Str(c.to_string().into()))
            .ok_or_else(|| Exception::value_error("chr() arg not in range(0x110000)"))
    });
    def(it, "ord", |_, args| {
        let x = one(&args)?;
        if let Some(b) = super::pybytes::bytes_of(&x) {
            return match b[..] {
                [c] => Ok(Value::Int(c as i64)),
                _ => Err(Exception::type_error(format!(
                    "ord() expected a character, but string of length {} found",
                    b.len()
                ))),
            };
        }
        let Value::Str(s) = &x else {
            return Err(Exception::type_error(format!(
                "ord() expected string of length 1, but {} found",
                x.type_name()
            )));
        };
        let mut cs = s.chars();
        match (cs.next(), cs.next()) {
            (Some(c), None) => Ok(Value::Int(c as i64)),
            _ => Err(Exception::type_error(format!(
                "ord() expected a character, but string of length {} found",
                s.chars().count()
            ))),
        }
    });
    for (name, radix, prefix) in [("hex", 16, "0x"), ("oct", 8, "0o"), ("bin", 2, "0b")] {
        def(it, name, move |_, args| {
            let x = one(&args)?;
            let Some(i) = bigint::to_big(&x) else {
                return Err(Exception::type_error(format!(
                    "'{}' object cannot be interpreted as an integer",
                    x.type_name()
                )));
            };
            let digits = bigint::magnitude_digits(&i, radix)?;
            Ok(Value::Str(format!("{}{prefix}{digits}", if bigint::sign_of(&x).is_lt() { "-" } else { "" }).into()))
        });
    }
}

// ---- attributes of builtin values (methods) ----

/// `obj.name` for builtin values; Ok(None) when there is no such attribute.
pub fn attribute(_it: &mut Interpreter, obj: &Value, name: &str) -> R<Option<Value>> {
    let m = |f: fn(&mut Interpreter, Args) -> R<Value>| Some(Value::method(obj.clone(), name, f));
    Ok(match obj {
        Value::Str(_) | Value::List(_) | Value::Tuple(_) | Value::Dict(_) | Value::Set(_) => {
            method_fn(obj, name).and_then(m)
        }
        _ => attribute_other(obj, name, m),
    })
}

/// The Rust function behind a method of a str, list, tuple, dict or set: it takes the receiver
/// as `Args::this` and dispatches on `Args::fname`. The evaluator calls it directly for
/// `obj.name(...)`, without making the bound method `attribute` returns.
pub fn method_fn(obj: &Value, name: &str) -> Option<fn(&mut Interpreter, Args) -> R<Value>> {
    match obj {
        Value::Str(_) => match name {
            "format" | "join" | "split" | "rsplit" | "strip" | "lstrip" | "rstrip" | "upper" | "lower"
            | "replace" | "startswith" | "endswith" | "find" | "rfind" | "index" | "rindex" | "count"
            | "center" | "ljust" | "rjust" | "zfill" | "title" | "capitalize" | "isdigit" | "isalpha"
            | "isalnum" | "isspace" | "isupper" | "islower" | "isnumeric" | "isdecimal" | "splitlines"
            | "partition" | "rpartition" | "swapcase" | "casefold" | "removeprefix" | "removesuffix"
            | "expandtabs" | "isidentifier" | "istitle" => Some(str_method),
            "encode" => Some(super::pybytes::str_encode),
            _ => None,
        },
        Value::List(_) => match name {
            "append" | "extend" | "insert" | "pop" | "remove" | "index" | "count" | "sort" | "reverse"
            | "copy" | "clear" => Some(list_method),
            _ => None,
        },
        Value::Tuple(_) => match name {
            "index" | "count" => Some(list_method),
            _ => None,
        },
        Value::Dict(_) => match name {
            "get" | "keys" | "values" | "items" | "pop" | "update" | "setdefault" | "copy" | "clear"
            | "popitem" => Some(dict_method),
            _ => None,
        },
        Value::Set(_) => match name {
            "add" | "remove" | "discard" | "update" | "union" | "intersection" | "difference"
            | "symmetric_difference" | "copy" | "clear" | "pop" | "issubset" | "issuperset" | "isdisjoint" => {
                Some(set_method)
            }
            _ => None,
        },
        _ => None,
    }
}

fn attribute_other(
    obj: &Value,
    name: &str,
    m: impl Fn(fn(&mut Interpreter, Args) -> R<Value>) -> Option<Value>,
) -> Option<Value> {
    match obj {
        Value::Int(i) => match name {
            "real" | "numerator" => Some(Value::Int(*i)),
            "imag" => Some(Value::Int(0)),
            "denominator" => Some(Value::Int(1)),
            "bit_length" | "is_integer" | "conjugate" | "bit_count" => m(int_method),
            _ => None,
        },
        Value::BigInt(_) => match name {
            "real" | "numerator" => Some(obj.clone()),
            "imag" => Some(Value::Int(0)),
            "denominator" => Some(Value::Int(1)),
            "bit_length" | "is_integer" | "conjugate" | "bit_count" => m(int_method),
            _ => None,
        },
        Value::Bool(b) => match name {
            "real" | "numerator" => Some(Value::Int(*b as i64)),
            "imag" => Some(Value::Int(0)),
            _ => None,
        },
        Value::Float(f) => match name {
            "real" => Some(Value::Float(*f)),
            "imag" => Some(Value::Float(0.0)),
            "is_integer" | "conjugate" | "hex" | "as_integer_ratio" => m(float_method),
            _ => None,
        },
        Value::Range(r) => match name {
            "start" => Some(Value::Int(r.start)),
            "stop" => Some(Value::Int(r.stop)),
            "step" => Some(Value::Int(r.step)),
            "index" | "count" => m(list_method),
            _ => None,
        },
        Value::Slice(s) => match name {
            "start" => Some(s[0].clone()),
            "stop" => Some(s[1].clone()),
            "step" => Some(s[2].clone()),
            _ => None,
        },
        _ => None,
    }
}

/// `str.lower`, `list.append`, ...: the method with the receiver as first argument.
pub fn unbound_method(it: &mut Interpreter, t: &TypeObj, name: &str) -> R<Option<Value>> {
    let sample = match &*t.name {
        "str" => Value::str(""),
        "list" => Value::list(Vec::new()),
        "tuple" => Value::tuple(Vec::new()),
        "dict" => Value::dict(Dict::new()),
        "set" => Value::set(Dict::new()),
        "int" => Value::Int(0),
        "float" => Value::Float(0.0),
        _ => return Ok(None),
    };
    if t.module.is_some() || attribute(it, &sample, name)?.is_none() {
        return Ok(None);
    }
    let tname = t.name.clone();
    let mname: Rc<str> = name.into();
    Ok(Some(Value::builtin(name, move |it, mut args| {
        if args.pos.is_empty() {
            return Err(Exception::type_error(format!(
                "unbound method {tname}.{mname}() needs an argument"
            )));
        }
        let recv = args.pos.remove(0);
        if recv.type_name() != *tname && !(&*tname == "int" && matches!(recv, Value::Bool(_))) {
            return Err(Exception::type_error(format!(
                "descriptor '{mname}' for '{tname}' objects doesn't apply to a '{}' object",
                recv.type_name()
            )));
        }
        let m = attribute(it, &recv, &mname)?
            .ok_or_else(|| Exception::new("AttributeError", format!("no attribute '{mname}'")))?;
        it.call(&m, args)
    })))
}

fn this(args: &Args) -> Value {
    args.this.clone().unwrap_or(Value::None)
}

fn str_arg(v: &Value, what: &str) -> R<Rc<str>> {
    match v {
        Value::Str(s) => Ok(s.clone()),
        o => Err(Exception::type_error(format!("{what}must be str, not {}", o.type_name()))),
    }
}

fn opt_chars(v: Option<Value>, fname: &str) -> R<Option<Rc<str>>> {
    match &v {
        None | Some(Value::None) => Ok(None),
        Some(Value::Str(s)) => Ok(Some(s.clone())),
        Some(o) => Err(Exception::type_error(format!("{fname} arg must be None or str, not {}", o.type_name()))).map(|_: ()| None),
    }
}

/// Python's str.split with no separator: runs of whitespace, leading/trailing ignored.
fn split_whitespace(s: &str, maxsplit: i64) -> Vec<Value> {
    let mut out = Vec::new();
    let mut rest = s.trim_start();
    while !rest.is_empty() {
        if maxsplit >= 0 && out.len() as i64 == maxsplit {
            out.push(Value::str(rest));
            return out;
        }
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        out.push(Value::str(&rest[..end]));
        rest = rest[end..].trim_start();
    }
    out
}

/// Char-index bounds for find/count/startswith's optional start/end.
fn char_range(s: &str, start: Option<Value>, end: Option<Value>) -> R<(usize, usize)> {
    let n = s.chars().count() as i64;
    let fix = |v: Option<Value>, d: i64| -> R<i64> {
        Ok(match v {
            None | Some(Value::None) => d,
            Some(v) => {
                let i = v.expect_int("")?;
                if i < 0 { (i + n).max(0) } else { i.min(n) }
            }
        })
    };
    let a = fix(start, 0)?;
    let b = fix(end, n)?;
    let to_byte = |ci: i64| s.char_indices().nth(ci as usize).map_or(s.len(), |(b, _)| b);
    Ok((to_byte(a), to_byte(b.max(a))))
}

fn str_method(it: &mut Interpreter, args: Args) -> R<Value> {
    let me = this(&args);
    let Value::Str(s) = &me else { return Err(Exception::type_error("str method on a non-str")) };
    let s = s.clone();
    let name: &str = &args.fname.clone();
    let b = |x: bool| Ok(Value::Bool(x));
    match name {
        "format" => {
            let pos = args.pos.clone();
            let kw = args.kw.clone();
            Ok(Value::Str(str_format(it, &s, &pos, &kw)?.into()))
        }
        "join" => {
            let x = one(&args)?;
            let items = it.iterate(&x)?;
            let mut out = String::new();
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(&s);
                }
                match v {
                    Value::Str(p) => out.push_str(p),
                    o => {
                        return Err(Exception::type_error(format!(
                            "sequence item {i}: expected str instance, {} found",
                            o.type_name()
                        )));
                    }
                }
            }
            Ok(Value::Str(out.into()))
        }
        "split" | "rsplit" => {
            let [sep, maxsplit] = args.bind(&["sep=", "maxsplit="])?;
            let maxsplit = match maxsplit {
                Some(m) => m.expect_int("")?,
                None => -1,
            };
            match opt_chars(sep, name)? {
                None => {
                    if name == "rsplit" && maxsplit >= 0 {
                        let rev: String = s.chars().rev().collect();
                        let mut parts = split_whitespace(&rev, maxsplit);
                        parts.reverse();
                        let parts = parts.into_iter().map(|p| Value::str(&p.to_str().chars().rev().collect::<String>())).collect();
                        return Ok(Value::list(parts));
                    }
                    Ok(Value::list(split_whitespace(&s, maxsplit)))
                }
                Some(sep) => {
                    if sep.is_empty() {
                        return Err(Exception::value_error("empty separator"));
                    }
                    let parts: Vec<Value> = if maxsplit < 0 {
                        s.split(&*sep).map(Value::str).collect()
                    } else if name == "split" {
                        s.splitn(maxsplit as usize + 1, &*sep).map(Value::str).collect()
                    } else {
                        let mut v: Vec<Value> = s.rsplitn(maxsplit as usize + 1, &*sep).map(Value::str).collect();
                        v.reverse();
                        v
                    };
                    Ok(Value::list(parts))
                }
            }
        }
        "splitlines" => {
            let [keep] = args.bind(&["keepends="])?;
            let keep = match keep {
                Some(k) => it.truthy(&k)?,
                None => false,
            };
            Ok(Value::list(split_lines(&s, keep).into_iter().map(Value::str).collect()))
        }
        "strip" | "lstrip" | "rstrip" => {
            let [chars] = args.bind(&["chars=", "/"])?;
            let chars = opt_chars(chars, name)?;
            let pat = |c: char| match &chars {
                Some(cs) => cs.contains(c),
                None => c.is_whitespace(),
            };
            Ok(Value::str(match name {
                "strip" => s.trim_matches(pat),
                "lstrip" => s.trim_start_matches(pat),
                _ => s.trim_end_matches(pat),
            }))
        }
        "upper" => Ok(Value::Str(s.to_uppercase().into())),
        "lower" | "casefold" => Ok(Value::Str(s.to_lowercase().into())),
        "swapcase" => Ok(Value::Str(
            s.chars()
                .map(|c| if c.is_uppercase() { c.to_lowercase().collect::<String>() } else { c.to_uppercase().collect() })
                .collect::<String>()
                .into(),
        )),
        "title" => {
            let mut out = String::new();
            let mut prev_cased = false;
            for c in s.chars() {
                if c.is_alphabetic() {
                    if prev_cased {
                        out.extend(c.to_lowercase());
                    } else {
                        out.extend(c.to_uppercase());
                    }
                    prev_cased = true;
                } else {
                    out.push(c);
                    prev_cased = false;
                }
            }
            Ok(Value::Str(out.into()))
        }
        "capitalize" => {
            let mut cs = s.chars();
            let out = match cs.next() {
                Some(f) => f.to_uppercase().collect::<String>() + &cs.as_str().to_lowercase(),
                None => String::new(),
            };
            Ok(Value::Str(out.into()))
        }
        "replace" => {
            let [old, new, count] = args.bind(&["old", "new", "count=", "/"])?;
            let old = str_arg(&old.unwrap_or(Value::None), "replace() argument 1 ")?;
            let new = str_arg(&new.unwrap_or(Value::None), "replace() argument 2 ")?;
            let count = match count {
                Some(c) => c.expect_int("")?,
                None => -1,
            };
            Ok(Value::Str(if count < 0 { s.replace(&*old, &new) } else { s.replacen(&*old, &new, count as usize) }.into()))
        }
        "startswith" | "endswith" => {
            let [prefix, start, end] = args.bind(&["prefix", "start=", "end=", "/"])?;
            let (a, bnd) = char_range(&s, start, end)?;
            let sub = &s[a..bnd];
            let prefixes = match &prefix.unwrap_or(Value::None) {
                Value::Str(p) => vec![p.clone()],
                Value::Tuple(t) => t.iter().map(|v| str_arg(v, "")).collect::<R<Vec<_>>>()?,
                o => {
                    return Err(Exception::type_error(format!(
                        "{name} first arg must be str or a tuple of str, not {}",
                        o.type_name()
                    )));
                }
            };
            b(prefixes.iter().any(|p| if name == "startswith" { sub.starts_with(&**p) } else { sub.ends_with(&**p) }))
        }
        "find" | "rfind" | "index" | "rindex" | "count" => {
            let [sub, start, end] = args.bind(&["sub", "start=", "end=", "/"])?;
            let sub = str_arg(&sub.unwrap_or(Value::None), "")
                .map_err(|_| Exception::type_error("must be str, not int"))?;
            let (a, bnd) = char_range(&s, start, end)?;
            let hay = &s[a..bnd];
            if name == "count" {
                let n = if sub.is_empty() { hay.chars().count() + 1 } else { hay.matches(&*sub).count() };
                return Ok(Value::Int(n as i64));
            }
            let found = if name.starts_with('r') { hay.rfind(&*sub) } else { hay.find(&*sub) };
            match found {
                Some(byte) => Ok(Value::Int(s[..a + byte].chars().count() as i64)),
                None if name.contains("index") => Err(Exception::value_error("substring not found")),
                None => Ok(Value::Int(-1)),
            }
        }
        "center" | "ljust" | "rjust" => {
            let [width, fill] = args.bind(&["width", "fillchar=", "/"])?;
            let width = width.unwrap_or(Value::Int(0)).expect_int("")?.max(0) as usize;
            let fill = match &fill {
                Some(Value::Str(f)) if f.chars().count() == 1 => f.chars().next().unwrap_or(' '),
                Some(_) => {
                    return Err(Exception::type_error("The fill character must be exactly one character long"));
                }
                None => ' ',
            };
            let n = s.chars().count();
            if n >= width {
                return Ok(Value::Str(s));
            }
            super::limits::check_text(width as u128 * fill.len_utf8() as u128)?;
            let total = width - n;
            let (l, r) = match name {
                "ljust" => (0, total),
                "rjust" => (total, 0),
                // CPython centers with the extra space on the left when the width is odd.
                _ => {
                    let left = total / 2 + (total & width & 1);
                    (left, total - left)
                }
            };
            let mut out = String::with_capacity(s.len() + total * fill.len_utf8());
            out.extend(std::iter::repeat_n(fill, l).chain(s.chars()).chain(std::iter::repeat_n(fill, r)));
            Ok(Value::Str(out.into()))
        }
        "zfill" => {
            let w = one(&args)?.expect_int("")?.max(0) as usize;
            let n = s.chars().count();
            if n >= w {
                return Ok(Value::Str(s));
            }
            super::limits::check_text(w as u128)?;
            let (sign, rest) = match s.chars().next() {
                Some(c @ ('+' | '-')) => (c.to_string(), &s[1..]),
                _ => (String::new(), &s[..]),
            };
            let mut out = String::with_capacity(w + s.len());
            out.extend(sign.chars().chain(std::iter::repeat_n('0', w - n)).chain(rest.chars()));
            Ok(Value::Str(out.into()))
        }
        "isdigit" | "isnumeric" | "isdecimal" => b(!s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c.is_numeric())),
        "isalpha" => b(!s.is_empty() && s.chars().all(char::is_alphabetic)),
        "isalnum" => b(!s.is_empty() && s.chars().all(char::is_alphanumeric)),
        "isspace" => b(!s.is_empty() && s.chars().all(char::is_whitespace)),
        "isupper" => b(s.chars().any(char::is_uppercase) && !s.chars().any(char::is_lowercase)),
        "islower" => b(s.chars().any(char::is_lowercase) && !s.chars().any(char::is_uppercase)),
        "isidentifier" => b(s.chars().next().is_some_and(|c| c == '_' || c.is_alphabetic())
            && s.chars().all(|c| c == '_' || c.is_alphanumeric())),
        "istitle" => {
            let t = str_method(it, Args { fname: "title".into(), this: Some(Value::Str(s.clone())), pos: vec![], kw: vec![] })?;
            b(t.to_str() == *s && s.chars().any(char::is_alphabetic))
        }
        "partition" | "rpartition" => {
            let sep = str_arg(&one(&args)?, "")?;
            let found = if name == "partition" { s.find(&*sep) } else { s.rfind(&*sep) };
            Ok(Value::tuple(match found {
                Some(i) => vec![Value::str(&s[..i]), Value::Str(sep.clone()), Value::str(&s[i + sep.len()..])],
                None if name == "partition" => vec![Value::Str(s.clone()), Value::str(""), Value::str("")],
                None => vec![Value::str(""), Value::str(""), Value::Str(s.clone())],
            }))
        }
        "removeprefix" => {
            let p = str_arg(&one(&args)?, "")?;
            Ok(Value::str(s.strip_prefix(&*p).unwrap_or(&s)))
        }
        "removesuffix" => {
            let p = str_arg(&one(&args)?, "")?;
            Ok(Value::str(s.strip_suffix(&*p).unwrap_or(&s)))
        }
        "expandtabs" => Ok(Value::Str(s.replace('\t', "        ").into())),
        _ => Err(Exception::new("AttributeError", format!("'str' object has no attribute '{name}'"))),
    }
}

/// `str.format`: auto/explicit numbering, names, attribute and index lookups, conversions, specs.
pub fn str_format(it: &mut Interpreter, fmt: &str, pos: &[Value], kw: &[(Name, Value)]) -> R<String> {
    let chars: Vec<char> = fmt.chars().collect();
    let mut out = String::new();
    let mut auto = 0usize;
    let mut manual = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '}' {
            if chars.get(i + 1) == Some(&'}') {
                out.push('}');
                i += 2;
                continue;
            }
            return Err(Exception::value_error("Single '}' encountered in format string"));
        }
        if c != '{' {
            out.push(c);
            i += 1;
            continue;
        }
        if chars.get(i + 1) == Some(&'{') {
            out.push('{');
            i += 2;
            continue;
        }
        // Find the matching close brace, allowing one level of nesting in the spec.
        let mut depth = 1;
        let mut j = i + 1;
        while j < chars.len() {
            match chars[j] {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
            j += 1;
        }
        if j >= chars.len() {
            return Err(Exception::value_error("expected '}' before end of string"));
        }
        let field: String = chars[i + 1..j].iter().collect();
        i = j + 1;
        let (head, spec) = match field.find(':') {
            Some(k) => (&field[..k], &field[k + 1..]),
            None => (&field[..], ""),
        };
        let (name, conv) = match head.find('!') {
            Some(k) => (&head[..k], Some(&head[k + 1..])),
            None => (head, None),
        };
        let first_end = name.find(['.', '[']).unwrap_or(name.len());
        let first = &name[..first_end];
        let mut value = if first.is_empty() {
            if manual {
                return Err(Exception::value_error(
                    "cannot switch from manual field specification to automatic field numbering",
                ));
            }
            let v = pos.get(auto).cloned().ok_or_else(|| {
                Exception::new("IndexError", format!("Replacement index {auto} out of range for positional args tuple"))
            })?;
            auto += 1;
            v
        } else if let Ok(k) = first.parse::<usize>() {
            if auto > 0 {
                return Err(Exception::value_error(
                    "cannot switch from automatic field numbering to manual field specification",
                ));
            }
            manual = true;
            pos.get(k).cloned().ok_or_else(|| {
                Exception::new("IndexError", format!("Replacement index {k} out of range for positional args tuple"))
            })?
        } else {
            kw.iter()
                .find(|(k, _)| &**k == first)
                .map(|(_, v)| v.clone())
                .ok_or_else(|| Exception::new("KeyError", str_repr(first)))?
        };
        // Attribute and index chain.
        let mut rest = &name[first_end..];
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix('.') {
                let end = r.find(['.', '[']).unwrap_or(r.len());
                value = it.get_attr(&value, &r[..end])?;
                rest = &r[end..];
            } else if let Some(r) = rest.strip_prefix('[') {
                let end = r.find(']').ok_or_else(|| Exception::value_error("Missing ']' in format string"))?;
                let key = &r[..end];
                let k = match key.parse::<i64>() {
                    Ok(n) => Value::Int(n),
                    Err(_) => Value::str(key),
                };
                value = it.get_item(&value, &k)?;
                rest = &r[end + 1..];
            } else {
                return Err(Exception::value_error("Only '.' or '[' may follow ']' in format field specifier"));
            }
        }
        value = match conv {
            None => value,
            Some("r") | Some("a") => Value::Str(it.repr(&value)?.into()),
            Some("s") => Value::Str(it.to_str(&value)?.into()),
            Some(other) => {
                return Err(Exception::value_error(format!(
                    "Unknown conversion specifier {}",
                    other.chars().next().unwrap_or(' ')
                )));
            }
        };
        let spec = if spec.contains('{') {
            // Nested fields consume automatic numbers after the outer field, as in CPython.
            let sub_pos: Vec<Value> = pos.iter().skip(auto).cloned().collect();
            let before = spec.matches('{').count();
            let s = str_format(it, spec, &sub_pos, kw)?;
            if !manual {
                auto += before;
            }
            s
        } else {
            spec.to_string()
        };
        out.push_str(&it.format(&value, &spec)?);
    }
    Ok(out)
}

fn list_method(it: &mut Interpreter, args: Args) -> R<Value> {
    let recv = this(&args);
    let name: &str = &args.fname.clone();
    let items_of = |v: &Value| -> Vec<Value> {
        match v {
            Value::List(l) => l.borrow().clone(),
            Value::Tuple(t) => t.to_vec(),
            Value::Range(r) => (0..r.len()).map(|i| Value::Int(r.get(i))).collect(),
            _ => Vec::new(),
        }
    };
    match name {
        "index" => {
            let [x, start, end] = args.bind(&["value", "start=", "stop=", "/"])?;
            let x = x.unwrap_or(Value::None);
            let items = items_of(&recv);
            let n = items.len() as i64;
            let fix = |v: Option<Value>, d: i64| -> R<i64> {
                Ok(match v {
                    None => d,
                    Some(v) => {
                        let i = v.expect_int("")?;
                        if i < 0 { (i + n).max(0) } else { i.min(n) }
                    }
                })
            };
            let (a, bnd) = (fix(start, 0)?, fix(end, n)?);
            for i in a..bnd.max(a) {
                let eq = it.compare(CmpOp::Eq, &items[i as usize], &x)?;
                if it.truthy(&eq)? {
                    return Ok(Value::Int(i));
                }
            }
            let what = match recv {
                Value::Tuple(_) => "tuple.index(x): x not in tuple".to_string(),
                Value::Range(_) => format!("{} is not in range", x.repr()),
                _ => format!("{} is not in list", x.repr()),
            };
            Err(Exception::value_error(what))
        }
        "count" => {
            let x = one(&args)?;
            let mut n = 0;
            for v in items_of(&recv) {
                let eq = it.compare(CmpOp::Eq, &v, &x)?;
                if it.truthy(&eq)? {
                    n += 1;
                }
            }
            Ok(Value::Int(n))
        }
        _ => {
            let Value::List(l) = &recv else { return Err(Exception::type_error("list method on a non-list")) };
            match name {
                "append" => {
                    let x = one(&args)?;
                    l.borrow_mut().push(x);
                    Ok(Value::None)
                }
                "extend" => {
                    let x = one(&args)?;
                    let items = it.iterate(&x)?;
                    l.borrow_mut().extend(items);
                    Ok(Value::None)
                }
                "insert" => {
                    args.no_kwargs()?;
                    if args.pos.len() != 2 {
                        return Err(Exception::type_error(format!("insert expected 2 arguments, got {}", args.pos.len())));
                    }
                    let i = args.pos[0].expect_int("")?;
                    let mut v = l.borrow_mut();
                    let n = v.len() as i64;
                    let j = if i < 0 { (i + n).max(0) } else { i.min(n) };
                    v.insert(j as usize, args.pos[1].clone());
                    Ok(Value::None)
                }
                "pop" => {
                    args.no_kwargs()?;
                    arity(&args, 0, 1)?;
                    let mut v = l.borrow_mut();
                    if v.is_empty() {
                        return Err(Exception::new("IndexError", "pop from empty list"));
                    }
                    let n = v.len() as i64;
                    let i = match args.pos.first() {
                        Some(x) => x.expect_int("")?,
                        None => -1,
                    };
                    let j = if i < 0 { i + n } else { i };
                    if j < 0 || j >= n {
                        return Err(Exception::new("IndexError", "pop index out of range"));
                    }
                    Ok(v.remove(j as usize))
                }
                "remove" => {
                    let x = one(&args)?;
                    let items = l.borrow().clone();
                    for (i, v) in items.iter().enumerate() {
                        let eq = it.compare(CmpOp::Eq, v, &x)?;
                        if it.truthy(&eq)? {
                            l.borrow_mut().remove(i);
                            return Ok(Value::None);
                        }
                    }
                    Err(Exception::value_error("list.remove(x): x not in list"))
                }
                "sort" => {
                    if !args.pos.is_empty() {
                        return Err(Exception::type_error("sort() takes no positional arguments"));
                    }
                    let [key, reverse] = args.bind(&["*", "key=", "reverse="])?;
                    let reverse = match reverse {
                        Some(r) => it.truthy(&r)?,
                        None => false,
                    };
                    let mut items = l.borrow().clone();
                    sort_values(it, &mut items, key, reverse)?;
                    *l.borrow_mut() = items;
                    Ok(Value::None)
                }
                "reverse" => {
                    l.borrow_mut().reverse();
                    Ok(Value::None)
                }
                "copy" => Ok(Value::list(l.borrow().clone())),
                "clear" => {
                    l.borrow_mut().clear();
                    Ok(Value::None)
                }
                _ => Err(Exception::new("AttributeError", format!("'list' object has no attribute '{name}'"))),
            }
        }
    }
}

/// `dict.keys()` / `values()` / `items()`: live views, a native type of our own.
struct DictView {
    kind: &'static str,
    dict: Rc<RefCell<Dict>>,
}

impl DictView {
    fn items(&self) -> Vec<Value> {
        let d = self.dict.borrow();
        match self.kind {
            "dict_keys" | "odict_keys" => d.keys(),
            "dict_values" | "odict_values" => d.values(),
            _ => d.items().into_iter().map(|(k, v)| Value::tuple(vec![k, v])).collect(),
        }
    }
}

/// A live keys, values or items view of `dict` printed as `kind` (an OrderedDict's
/// `odict_keys`, say).
pub(crate) fn dict_view(kind: &'static str, dict: Rc<RefCell<Dict>>) -> Value {
    Value::native(DictView { kind, dict })
}

impl NativeObject for DictView {
    fn type_name(&self) -> &str {
        self.kind
    }
    fn repr(&self) -> String {
        format!("{}({})", self.kind, Value::list(self.items()).repr())
    }
    fn len(&self, _: &mut Interpreter) -> R<Option<usize>> {
        Ok(Some(self.dict.borrow().len()))
    }
    fn iter(&self, _: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(Value::iter_items(self.items())))
    }
    fn binary_op(&self, _: &Value, op: super::native::Op, other: &Value, reflected: bool, it: &mut Interpreter) -> R<Option<Value>> {
        if let (super::native::Op::Eq, Some(o)) = (op, other.downcast::<DictView>()) {
            return Ok(Some(Value::Bool(key_eq(&Value::list(self.items()), &Value::list(o.items())))));
        }
        // Keys and items views are set-like: `&`, `|`, `-`, `^` with any iterable give a set.
        if let super::native::Op::Bin(b @ (BinOp::BitAnd | BinOp::BitOr | BinOp::Sub | BinOp::BitXor)) = op
            && !self.kind.ends_with("values")
            && it.is_iterable(other)
        {
            let as_set = |items: Vec<Value>| -> R<Value> {
                let mut d = Dict::new();
                for x in items {
                    d.insert(x, Value::None)?;
                }
                Ok(Value::set(d))
            };
            let mine = as_set(self.items())?;
            let theirs = as_set(it.iterate(other)?)?;
            let (a, b2) = if reflected { (theirs, mine) } else { (mine, theirs) };
            return it.binary(b, &a, &b2).map(Some);
        }
        Ok(None)
    }
}

fn dict_method(it: &mut Interpreter, args: Args) -> R<Value> {
    let me = this(&args);
    let Value::Dict(d) = &me else { return Err(Exception::type_error("dict method on a non-dict")) };
    let d = d.clone();
    let name: &str = &args.fname.clone();
    match name {
        "get" => {
            args.no_kwargs()?;
            arity(&args, 1, 2)?;
            let v = d.borrow().get(&args.pos[0])?;
            Ok(v.unwrap_or_else(|| args.pos.get(1).cloned().unwrap_or(Value::None)))
        }
        "keys" | "values" | "items" => {
            let kind = match name {
                "keys" => "dict_keys",
                "values" => "dict_values",
                _ => "dict_items",
            };
            Ok(Value::native(DictView { kind, dict: d.clone() }))
        }
        "pop" => {
            args.no_kwargs()?;
            arity(&args, 1, 2)?;
            let removed = d.borrow_mut().remove(&args.pos[0])?;
            match (removed, args.pos.get(1)) {
                (Some(v), _) => Ok(v),
                (None, Some(default)) => Ok(default.clone()),
                (None, None) => Err(key_error(&args.pos[0])),
            }
        }
        "popitem" => match d.borrow_mut().pop_last() {
            Some((k, v)) => Ok(Value::tuple(vec![k, v])),
            None => Err(Exception::new("KeyError", "'popitem(): dictionary is empty'")),
        },
        "setdefault" => {
            args.no_kwargs()?;
            arity(&args, 1, 2)?;
            let existing = d.borrow().get(&args.pos[0])?;
            match existing {
                Some(v) => Ok(v),
                None => {
                    let v = args.pos.get(1).cloned().unwrap_or(Value::None);
                    d.borrow_mut().insert(args.pos[0].clone(), v.clone())?;
                    Ok(v)
                }
            }
        }
        "update" => {
            arity(&args, 0, 1)?;
            let mut tmp = d.borrow().clone();
            if let Some(src) = args.pos.first() {
                dict_update(it, &mut tmp, src)?;
            }
            for (k, v) in &args.kw {
                tmp.insert(Value::Str(k.clone()), v.clone())?;
            }
            *d.borrow_mut() = tmp;
            super::classes::write_through(&d);
            Ok(Value::None)
        }
        "copy" => Ok(Value::dict(d.borrow().clone())),
        "clear" => {
            d.borrow_mut().clear();
            Ok(Value::None)
        }
        _ => Err(Exception::new("AttributeError", format!("'dict' object has no attribute '{name}'"))),
    }
}

fn set_method(it: &mut Interpreter, args: Args) -> R<Value> {
    let me = this(&args);
    let Value::Set(s) = &me else { return Err(Exception::type_error("set method on a non-set")) };
    let s = s.clone();
    let name: &str = &args.fname.clone();
    let new_set = |d: Dict| Value::set(d);
    match name {
        "add" => {
            let x = one(&args)?;
            s.borrow_mut().insert(x, Value::None)?;
            Ok(Value::None)
        }
        "remove" => {
            let x = one(&args)?;
            let r = s.borrow_mut().remove(&x)?;
            r.map(|_| Value::None).ok_or_else(|| key_error(&x))
        }
        "discard" => {
            let x = one(&args)?;
            s.borrow_mut().remove(&x)?;
            Ok(Value::None)
        }
        "pop" => match s.borrow_mut().pop_last() {
            Some((k, _)) => Ok(k),
            None => Err(Exception::new("KeyError", "'pop from an empty set'")),
        },
        "clear" => {
            s.borrow_mut().clear();
            Ok(Value::None)
        }
        "copy" => Ok(new_set(s.borrow().clone())),
        "update" => {
            for a in &args.pos {
                for v in it.iterate(a)? {
                    s.borrow_mut().insert(v, Value::None)?;
                }
            }
            Ok(Value::None)
        }
        "union" | "intersection" | "difference" | "symmetric_difference" => {
            let op = match name {
                "union" => BinOp::BitOr,
                "intersection" => BinOp::BitAnd,
                "difference" => BinOp::Sub,
                _ => BinOp::BitXor,
            };
            let mut acc = Value::Set(s.clone());
            for a in &args.pos {
                let mut d = Dict::new();
                for v in it.iterate(a)? {
                    d.insert(v, Value::None)?;
                }
                acc = it.binary(op, &acc, &new_set(d))?;
            }
            if args.pos.is_empty() {
                acc = new_set(s.borrow().clone());
            }
            Ok(acc)
        }
        "issubset" | "issuperset" | "isdisjoint" => {
            let other = one(&args)?;
            let mut d = Dict::new();
            for v in it.iterate(&other)? {
                d.insert(v, Value::None)?;
            }
            let (a, b) = (s.borrow(), &d);
            Ok(Value::Bool(match name {
                "issubset" => a.iter().all(|(k, _)| b.contains(k).unwrap_or(false)),
                "issuperset" => b.iter().all(|(k, _)| a.contains(k).unwrap_or(false)),
                _ => !a.iter().any(|(k, _)| b.contains(k).unwrap_or(false)),
            }))
        }
        _ => Err(Exception::new("AttributeError", format!("'set' object has no attribute '{name}'"))),
    }
}

fn int_method(_: &mut Interpreter, args: Args) -> R<Value> {
    args.no_kwargs()?;
    let recv = this(&args);
    let i = bigint::to_big(&recv).unwrap_or_default();
    if !args.pos.is_empty() {
        return Err(Exception::type_error(format!(
            "int.{}() takes no arguments ({} given)",
            args.fname,
            args.pos.len()
        )));
    }
    match &*args.fname {
        "bit_length" => Ok(Value::Int(i.bits() as i64)),
        "bit_count" => Ok(Value::Int(i.magnitude().count_ones() as i64)),
        "is_integer" => Ok(Value::Bool(true)),
        _ => Ok(bigint::norm(i)),
    }
}

/// The lowest-terms ratio of a finite float.
fn float_ratio(f: f64) -> (num_bigint::BigInt, num_bigint::BigInt) {
    use num_bigint::BigInt;
    if f == 0.0 {
        return (BigInt::from(0), BigInt::from(1));
    }
    let bits = f.to_bits();
    let raw_exp = ((bits >> 52) & 0x7ff) as i64;
    let frac = bits & ((1u64 << 52) - 1);
    let (mut mant, mut exp) = if raw_exp == 0 { (frac, -1074) } else { (frac | (1 << 52), raw_exp - 1075) };
    let tz = mant.trailing_zeros() as i64;
    mant >>= tz;
    exp += tz;
    let num = BigInt::from(mant);
    let num = if f < 0.0 { -num } else { num };
    if exp >= 0 { (num << exp as u64, BigInt::from(1)) } else { (num, BigInt::from(1) << (-exp) as u64) }
}

fn float_method(_: &mut Interpreter, args: Args) -> R<Value> {
    let f = this(&args).as_f64().unwrap_or(0.0);
    match &*args.fname {
        "is_integer" => Ok(Value::Bool(f.is_finite() && f.fract() == 0.0)),
        "as_integer_ratio" => {
            if f.is_nan() {
                return Err(Exception::value_error("cannot convert NaN to integer ratio"));
            }
            if !f.is_finite() {
                return Err(Exception::value_error("cannot convert Infinity to integer ratio"));
            }
            // f = m * 2^e exactly; reduce the power of two against the mantissa's.
            let (num, den) = float_ratio(f);
            Ok(Value::tuple(vec![bigint::norm(num), bigint::norm(den)]))
        }
        "hex" => Err(Exception::unsupported("float.hex()")),
        _ => Ok(Value::Float(f)),
    }
}

/// The builtins that classes need: super, property, staticmethod, classmethod, NotImplemented,
/// vars and delattr.
fn install_class_support(it: &mut Interpreter) {
    use super::classes::{ClassMethod, NotImplementedObj, Property, StaticMethod};
    // Zero-argument super() is resolved by the evaluator, which knows the calling method.
    def(it, "super", |it, args| it.explicit_super(&args));
    def(it, "property", |_, args| {
        let [fget, fset, _fdel, _doc] = args.bind(&["fget=", "fset=", "fdel=", "doc="])?;
        Ok(Value::native(Property { fget: fget.unwrap_or(Value::None), fset: fset.unwrap_or(Value::None) }))
    });
    def(it, "staticmethod", |_, args| Ok(Value::native(StaticMethod(one(&args)?))));
    def(it, "classmethod", |_, args| Ok(Value::native(ClassMethod(one(&args)?))));
    it.builtins.insert("NotImplemented".into(), Value::native(NotImplementedObj));
    def(it, "vars", |it, args| {
        // `vars()` at a cell's top level is its globals.
        if args.pos.is_empty() && args.kw.is_empty() {
            let globals = it.builtins.get("globals").cloned().unwrap_or(Value::None);
            return it.call(&globals, args);
        }
        let x = one(&args)?;
        match &x {
            Value::Instance(_) | Value::Exception(_) | Value::Type(_) => it.get_attr(&x, "__dict__"),
            _ => Err(Exception::type_error("vars() argument must have __dict__ attribute")),
        }
    });
    if let Some(d) = it.types.get("dict") {
        d.attrs.borrow_mut().insert(
            "fromkeys".into(),
            Value::builtin("fromkeys", |it, args| {
                let [keys, value] = args.bind(&["iterable", "value=", "/"])?;
                let value = value.unwrap_or(Value::None);
                let mut d = Dict::new();
                for k in it.iterate(&keys.unwrap_or(Value::None))? {
                    d.insert(k, value.clone())?;
                }
                Ok(Value::dict(d))
            }),
        );
    }
    def(it, "delattr", |it, args| {
        let [obj, name] = args.bind(&["obj", "name", "/"])?;
        let (Some(obj), Some(Value::Str(name))) = (obj, name.as_ref()) else {
            return Err(Exception::type_error("attribute name must be string"));
        };
        it.instance_delattr(&obj, name)?;
        Ok(Value::None)
    });
}

/// CPython's `hash()` of a tuple whose items hash alike in every process (numbers, and tuples
/// of them; strings are salted per process, so other tuples keep our own hash): its xxHash-based
/// `tuplehash` over the items' hashes (Objects/tupleobject.c, 64-bit).
fn numeric_tuple_hash(v: &Value) -> Option<i64> {
    const P1: u64 = 11_400_714_785_074_694_791;
    const P2: u64 = 14_029_467_366_897_019_727;
    const P5: u64 = 2_870_177_450_012_600_261;
    let item = |v: &Value| -> Option<i64> {
        match v {
            Value::Int(i) => Some(bigint::hash_i64(*i)),
            Value::BigInt(b) => Some(bigint::hash_big(b)),
            Value::Bool(b) => Some(*b as i64),
            Value::Float(f) if !f.is_nan() => Some(bigint::hash_f64(*f)),
            Value::Tuple(_) => numeric_tuple_hash(v),
            _ => None,
        }
    };
    let Value::Tuple(items) = v else { return None };
    let mut acc = P5;
    for x in items.iter() {
        let lane = item(x)? as u64;
        acc = acc.wrapping_add(lane.wrapping_mul(P2)).rotate_left(31).wrapping_mul(P1);
    }
    acc = acc.wrapping_add(items.len() as u64 ^ (P5 ^ 3_527_539));
    Some(if acc == u64::MAX { 1_546_275_796 } else { acc as i64 })
}

/// `str.splitlines`: lines end at CPython's line boundaries (`\n`, `\r\n`, `\r`, `\v`, `\f`,
/// `\x1c`-`\x1e`, `\x85`, `\u2028`, `\u2029`), kept with `keepends`.
fn split_lines(s: &str, keep: bool) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if !matches!(c, '\n' | '\r' | '\x0b' | '\x0c' | '\x1c' | '\x1d' | '\x1e' | '\u{85}' | '\u{2028}' | '\u{2029}') {
            continue;
        }
        let mut end = i + c.len_utf8();
        if c == '\r' && chars.peek().is_some_and(|(_, n)| *n == '\n') {
            chars.next();
            end += 1;
        }
        out.push(if keep { &s[start..end] } else { &s[start..i] });
        start = end;
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}
