//! `enum.Flag` and `enum.IntFlag`: members whose values are bits, combined with `|`, `&`, `^`
//! and `~` into members of the same class (named like `R|W`, made once per value and kept, so
//! equal combinations are the same object), tested with `in`; iterating the class gives the
//! single-bit members only. `auto()` gives the next power of two. CPython 3.11's reprs: `<Perm.R|W: 3>`,
//! `<Perm: 0>`; an `IntFlag` prints as its int and keeps bits no member names (`<P.A|8: 9>`).

use std::rc::Rc;

use super::classes::NativeMethod;
use super::native::Args;
use super::value::{Dict, Instance, NameMap, TypeObj};
use super::{Exception, Interpreter, Value};

type R<T> = Result<T, Exception>;

/// Does `cls` derive from `Flag` or `IntFlag`?
pub fn is_flag_class(cls: &Rc<TypeObj>) -> bool {
    cls.mro()
        .iter()
        .any(|t| t.attrs.borrow().contains_key("__flag_base__"))
}

fn is_int_class(cls: &Rc<TypeObj>) -> bool {
    cls.mro()
        .iter()
        .any(|t| !t.is_user() && t.module.is_none() && &*t.name == "int")
}

/// `auto()`'s value in a flag class: the power of two above the highest value so far.
pub fn next_auto(highest: i64) -> i64 {
    if highest <= 0 {
        1
    } else {
        1i64.checked_shl(64 - highest.leading_zeros()).unwrap_or(0)
    }
}

fn int_value(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        Value::Bool(b) => Some(*b as i64),
        Value::Instance(i) => match i.get("_value_") {
            Some(Value::Int(x)) => Some(x),
            _ => None,
        },
        _ => None,
    }
}

/// After the members of a flag class are made: iteration keeps the single-bit ones, and each
/// value maps to its member.
pub fn finish(cls: &Rc<TypeObj>) -> R<()> {
    let list = super::enums::members(cls).unwrap_or_default();
    let mut by_value = Dict::new();
    let map = cls.attrs.borrow().get("_member_map_").cloned();
    if let Some(Value::Dict(m)) = &map {
        for (_, member) in m.borrow().iter() {
            if let Some(v) = int_value(member)
                && !by_value.contains(&Value::Int(v))?
            {
                by_value.insert(Value::Int(v), member.clone())?;
            }
        }
    }
    let canonical: Vec<Value> = list
        .into_iter()
        .filter(|m| int_value(m).is_some_and(|v| v > 0 && v & (v - 1) == 0))
        .collect();
    let mut attrs = cls.attrs.borrow_mut();
    attrs.insert("_member_list_".into(), Value::tuple(canonical));
    attrs.insert("_value2member_map_".into(), Value::dict(by_value));
    Ok(())
}

/// The member of flag class `cls` with value `v`: a named one, one made before, or a new
/// combination (a ValueError for a `Flag` given bits no member has).
pub fn member_of(it: &mut Interpreter, cls: &Rc<TypeObj>, v: i64) -> R<Value> {
    let cache = cls.attrs.borrow().get("_value2member_map_").cloned();
    let Some(Value::Dict(cache)) = &cache else {
        return Err(Exception::type_error(format!(
            "{} is not a flag class",
            cls.name
        )));
    };
    if let Some(m) = cache.borrow().get(&Value::Int(v))? {
        return Ok(m);
    }
    let canonical = super::enums::members(cls).unwrap_or_default();
    let all = canonical.iter().filter_map(int_value).fold(0, |a, b| a | b);
    let int = is_int_class(cls);
    let extra = v & !all;
    if extra != 0 && !int {
        let width = (64 - v.leading_zeros()).max(64 - all.leading_zeros()) as usize;
        return Err(Exception::value_error(format!(
            "<flag '{}'> invalid value {v}\n    given 0b0 {v:0width$b}\n  allowed 0b0 {all:0width$b}",
            cls.name
        )));
    }
    let mut parts: Vec<String> = Vec::new();
    for m in &canonical {
        if int_value(m).is_some_and(|b| v & b != 0)
            && let Value::Instance(i) = m
            && let Some(n) = i.get("_name_")
        {
            parts.push(n.to_str());
        }
    }
    if extra != 0 {
        parts.push(extra.to_string());
    }
    let name = if parts.is_empty() {
        Value::None
    } else {
        Value::str(&parts.join("|"))
    };
    let inst = Rc::new(Instance {
        class: cls.clone(),
        dict: std::cell::RefCell::new(Vec::new()),
        native: std::cell::RefCell::new(int.then_some(Value::Int(v))),
    });
    super::cycles::track_instance(&inst);
    inst.set("_name_", name.clone());
    inst.set("_value_", Value::Int(v));
    inst.set("name", name);
    inst.set("value", Value::Int(v));
    let m = Value::Instance(inst);
    cache.borrow_mut().insert(Value::Int(v), m.clone())?;
    let _ = it;
    Ok(m)
}

fn this(args: &Args) -> R<(Rc<TypeObj>, i64)> {
    match args.pos.first() {
        Some(Value::Instance(i)) => match i.get("_value_") {
            Some(Value::Int(v)) => Ok((i.class.clone(), v)),
            _ => Err(Exception::type_error("expected a flag member")),
        },
        _ => Err(Exception::type_error("expected a flag member")),
    }
}

/// The other operand's value: a member of the same class, or an int for an `IntFlag`.
fn other(cls: &Rc<TypeObj>, args: &Args, op: &str) -> R<i64> {
    let o = args.pos.get(1).cloned().unwrap_or(Value::None);
    let same = matches!(&o, Value::Instance(i) if Rc::ptr_eq(&i.class, cls));
    let int = is_int_class(cls) && matches!(o, Value::Int(_) | Value::Bool(_));
    match int_value(&o) {
        Some(v) if same || int => Ok(v),
        _ => Err(Exception::type_error(format!(
            "unsupported operand type(s) for {op}: '{}' and '{}'",
            cls.name,
            o.type_name()
        ))),
    }
}

type Combine = fn(i64, i64) -> i64;

/// The binary operators, as (dunder names, symbol, combination).
const BINARY: &[(&str, &str, &str, Combine)] = &[
    ("__or__", "__ror__", "|", |a, b| a | b),
    ("__and__", "__rand__", "&", |a, b| a & b),
    ("__xor__", "__rxor__", "^", |a, b| a ^ b),
];

/// Adds the flag protocol to the base class `Flag` or `IntFlag` (`int`: the latter).
pub fn add_methods(attrs: &mut NameMap<Value>, int: bool) {
    let method = |name: &str, f: fn(&mut Interpreter, Args) -> R<Value>| {
        Value::native(NativeMethod(Value::builtin(name, f)))
    };
    attrs.insert("__flag_base__".into(), Value::Bool(true));
    for &(name, rname, symbol, f) in BINARY {
        for n in [name, rname] {
            attrs.insert(
                n.into(),
                Value::native(NativeMethod(Value::builtin(n, move |it, args| {
                    let (cls, a) = this(&args)?;
                    let b = other(&cls, &args, symbol)?;
                    member_of(it, &cls, f(a, b))
                }))),
            );
        }
    }
    attrs.insert(
        "__invert__".into(),
        method("__invert__", |it, args| {
            let (cls, a) = this(&args)?;
            let all = super::enums::members(&cls)
                .unwrap_or_default()
                .iter()
                .filter_map(int_value)
                .fold(0, |x, y| x | y);
            member_of(it, &cls, all & !a)
        }),
    );
    attrs.insert(
        "__contains__".into(),
        method("__contains__", |_, args| {
            let (cls, a) = this(&args)?;
            let o = args.pos.get(1).cloned().unwrap_or(Value::None);
            let same = matches!(&o, Value::Instance(i) if Rc::ptr_eq(&i.class, &cls));
            match int_value(&o) {
                Some(b) if same => Ok(Value::Bool(a & b == b)),
                _ => Err(Exception::type_error(format!(
                    "unsupported operand type(s) for 'in': '{}' and '{}'",
                    o.type_name(),
                    cls.name
                ))),
            }
        }),
    );
    attrs.insert(
        "__bool__".into(),
        method("__bool__", |_, args| Ok(Value::Bool(this(&args)?.1 != 0))),
    );
    attrs.insert(
        "__repr__".into(),
        method("__repr__", |_, args| {
            let (cls, v) = this(&args)?;
            Ok(Value::str(&match name_of(&args) {
                Some(n) => format!("<{}.{n}: {v}>", cls.name),
                None => format!("<{}: {v}>", cls.name),
            }))
        }),
    );
    if !int {
        attrs.insert(
            "__str__".into(),
            method("__str__", |_, args| {
                let (cls, v) = this(&args)?;
                Ok(Value::str(&match name_of(&args) {
                    Some(n) => format!("{}.{n}", cls.name),
                    None => format!("{}({v})", cls.name),
                }))
            }),
        );
    }
}

fn name_of(args: &Args) -> Option<String> {
    match args.pos.first() {
        Some(Value::Instance(i)) => match i.get("_name_") {
            Some(Value::Str(ref s)) => Some(s.to_string()),
            _ => None,
        },
        _ => None,
    }
}
