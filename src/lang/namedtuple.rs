//! `collections.namedtuple`: a class deriving from `tuple` whose instances keep their values
//! as a tuple in their native half (so indexing, unpacking, `len`, `zip(*batch)` and `==` act
//! as on a tuple), with a property per field, `_fields`, `_field_defaults`, `_make`,
//! `_replace`, `_asdict` and CPython's repr. The DQN tutorial's
//! `Transition(*zip(*transitions))` is the idiom this serves.

use std::rc::Rc;

use super::classes::{ClassMethod, NativeMethod, Property, builtin_half};
use super::native::Args;
use super::value::{Dict, TypeObj};
use super::{Exception, Interpreter, Value};

type R<T> = Result<T, Exception>;

/// The field names: a string split on commas and whitespace, or an iterable of strings.
fn field_names(it: &mut Interpreter, v: &Value) -> R<Vec<Rc<str>>> {
    let items = match v {
        Value::Str(s) => s
            .replace(',', " ")
            .split_whitespace()
            .map(Value::str)
            .collect(),
        other => it.iterate(other)?,
    };
    let mut names: Vec<Rc<str>> = Vec::new();
    for x in items {
        let Value::Str(n) = &x else {
            return Err(Exception::type_error(
                "Type names and field names must be strings",
            ));
        };
        let n = n.clone();
        let ok = n
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
            && n.chars().all(|c| c.is_alphanumeric() || c == '_');
        if !ok {
            return Err(Exception::value_error(format!(
                "Type names and field names must be valid identifiers: '{n}'"
            )));
        }
        if n.starts_with('_') {
            return Err(Exception::value_error(format!(
                "Field names cannot start with an underscore: '{n}'"
            )));
        }
        if names.contains(&n) {
            return Err(Exception::value_error(format!(
                "Encountered duplicate field name: '{n}'"
            )));
        }
        names.push(n);
    }
    Ok(names)
}

/// The tuple an instance of a namedtuple class holds.
fn values(v: &Value) -> R<Rc<Vec<Value>>> {
    match &builtin_half(v) {
        Some(Value::Tuple(t)) => Ok(t.clone()),
        _ => Err(Exception::type_error(
            "descriptor requires a namedtuple instance",
        )),
    }
}

/// `namedtuple(typename, field_names, *, defaults=None, rename=False, module=None)`.
pub fn namedtuple(it: &mut Interpreter, args: Args) -> R<Value> {
    let [typename, names, defaults, _rename, module] = args.bind(&[
        "typename",
        "field_names",
        "*",
        "defaults=",
        "rename=",
        "module=",
    ])?;
    let Some(Value::Str(typename)) = &typename else {
        return Err(Exception::type_error(
            "namedtuple() missing required argument 'typename' (a string)",
        ));
    };
    let typename = typename.clone();
    let names = field_names(it, &names.unwrap_or(Value::None))?;
    let defaults = match defaults {
        None | Some(Value::None) => Vec::new(),
        Some(d) => it.iterate(&d)?,
    };
    if defaults.len() > names.len() {
        return Err(Exception::type_error(
            "Got more default values than field names",
        ));
    }
    let module: Rc<str> = match &module {
        Some(Value::Str(m)) => m.clone(),
        _ => match &it.get_global("__name__") {
            Some(Value::Str(s)) => s.clone(),
            _ => "__main__".into(),
        },
    };
    let tuple = it
        .type_object("tuple")
        .ok_or_else(|| Exception::runtime_error("tuple type missing"))?;
    let object = it.type_object("object");
    let names = Rc::new(names);
    let first_default = names.len() - defaults.len();
    let defaults = Rc::new(defaults);

    let mut attrs = super::value::NameMap::default();
    attrs.insert("__module__".into(), Value::Str(module.clone()));
    attrs.insert("__qualname__".into(), Value::Str(typename.clone()));
    attrs.insert(
        "__bases__".into(),
        Value::tuple(vec![Value::Type(tuple.clone())]),
    );
    let mut mro = vec![Value::Type(tuple.clone())];
    mro.extend(object.map(Value::Type));
    attrs.insert("__mro__".into(), Value::tuple(mro));
    attrs.insert(
        "_fields".into(),
        Value::tuple(names.iter().map(|n| Value::Str(n.clone())).collect()),
    );
    attrs.insert(
        "__match_args__".into(),
        Value::tuple(names.iter().map(|n| Value::Str(n.clone())).collect()),
    );
    let mut fd = Dict::new();
    for (n, d) in names[first_default..].iter().zip(defaults.iter()) {
        fd.insert(Value::Str(n.clone()), d.clone())?;
    }
    attrs.insert("_field_defaults".into(), Value::dict(fd));
    for (i, n) in names.iter().enumerate() {
        let fget = Value::builtin(n, move |_, args| {
            let this = args.pos.first().cloned().unwrap_or(Value::None);
            Ok(values(&this)?.get(i).cloned().unwrap_or(Value::None))
        });
        attrs.insert(
            n.clone(),
            Value::native(Property {
                fget,
                fset: Value::None,
            }),
        );
    }

    let (ns, ds, tn) = (names.clone(), defaults.clone(), typename.clone());
    let init = Value::builtin("__init__", move |_, args| {
        let mut pos = args.pos.into_iter();
        let this = pos.next().unwrap_or(Value::None);
        let pos: Vec<Value> = pos.collect();
        if pos.len() > ns.len() {
            return Err(Exception::type_error(format!(
                "{tn}.__new__() takes {} positional arguments but {} were given",
                ns.len() + 1,
                pos.len() + 1
            )));
        }
        let mut given: Vec<Option<Value>> = vec![None; ns.len()];
        for (i, v) in pos.into_iter().enumerate() {
            given[i] = Some(v);
        }
        for (k, v) in args.kw {
            let Some(i) = ns.iter().position(|n| **n == *k) else {
                return Err(Exception::type_error(format!(
                    "{tn}.__new__() got an unexpected keyword argument '{k}'"
                )));
            };
            if given[i].is_some() {
                return Err(Exception::type_error(format!(
                    "{tn}.__new__() got multiple values for argument '{k}'"
                )));
            }
            given[i] = Some(v);
        }
        let first_default = ns.len() - ds.len();
        let mut out = Vec::with_capacity(ns.len());
        let mut missing = Vec::new();
        for (i, g) in given.into_iter().enumerate() {
            match g {
                Some(v) => out.push(v),
                None if i >= first_default => out.push(ds[i - first_default].clone()),
                None => {
                    missing.push(format!("'{}'", ns[i]));
                    out.push(Value::None);
                }
            }
        }
        if !missing.is_empty() {
            let fname = format!("{tn}.__new__");
            return Err(crate::lang::interp::missing_arguments(&fname, "positional", &missing));
        }
        if let Value::Instance(i) = &this {
            *i.native.borrow_mut() = Some(Value::tuple(out));
        }
        Ok(Value::None)
    });
    attrs.insert("__init__".into(), Value::native(NativeMethod(init)));

    let (ns, tn) = (names.clone(), typename.clone());
    let repr = Value::builtin("__repr__", move |it, args| {
        let this = args.pos.first().cloned().unwrap_or(Value::None);
        let vals = values(&this)?;
        let mut parts = Vec::with_capacity(ns.len());
        for (n, v) in ns.iter().zip(vals.iter()) {
            parts.push(format!("{n}={}", it.repr(v)?));
        }
        Ok(Value::str(&format!("{tn}({})", parts.join(", "))))
    });
    attrs.insert("__repr__".into(), Value::native(NativeMethod(repr)));

    let ns = names.clone();
    let asdict = Value::builtin("_asdict", move |_, args| {
        let this = args.pos.first().cloned().unwrap_or(Value::None);
        let mut d = Dict::new();
        for (n, v) in ns.iter().zip(values(&this)?.iter()) {
            d.insert(Value::Str(n.clone()), v.clone())?;
        }
        Ok(Value::dict(d))
    });
    attrs.insert("_asdict".into(), Value::native(NativeMethod(asdict)));

    let ns = names.clone();
    let replace = Value::builtin("_replace", move |it, args| {
        let this = args.pos.first().cloned().unwrap_or(Value::None);
        let mut vals = values(&this)?.to_vec();
        for (k, v) in &args.kw {
            let Some(i) = ns.iter().position(|n| **n == **k) else {
                return Err(Exception::value_error(format!(
                    "Got unexpected field names: ['{k}']"
                )));
            };
            vals[i] = v.clone();
        }
        let cls = super::classes::class_of(&this)
            .map(Value::Type)
            .unwrap_or(Value::None);
        it.call(&cls, Args::new("_replace", vals))
    });
    attrs.insert("_replace".into(), Value::native(NativeMethod(replace)));

    let n_fields = names.len();
    let make = Value::builtin("_make", move |it, args| {
        let (Some(cls), Some(iterable)) = (args.pos.first(), args.pos.get(1)) else {
            return Err(Exception::type_error(
                "_make() missing required argument 'iterable'",
            ));
        };
        let vals = it.iterate(iterable)?;
        if vals.len() != n_fields {
            return Err(Exception::type_error(format!(
                "Expected {n_fields} arguments, got {}",
                vals.len()
            )));
        }
        let cls = cls.clone();
        it.call(&cls, Args::new("_make", vals))
    });
    attrs.insert("_make".into(), Value::native(ClassMethod(make)));

    let cls = Rc::new(TypeObj::build(
        typename,
        Some(module),
        Some(tuple),
        None,
        attrs,
    ));
    super::cycles::track_type(&cls);
    it.invalidate_class_flags();
    Ok(Value::Type(cls))
}

/// `class P(typing.NamedTuple)`: the fields are the class body's annotations, in order, their
/// assigned values the defaults; the body's other names (methods, docstring, class variables)
/// join the namedtuple class made from them.
pub fn from_class(it: &mut Interpreter, cls: &Rc<TypeObj>) -> R<Value> {
    let attrs = cls.attrs.borrow().clone();
    let mut names: Vec<Value> = Vec::new();
    let mut defaults: Vec<Value> = Vec::new();
    if let Some(Value::Dict(ann)) = attrs.get("__annotations__") {
        for k in ann.borrow().keys() {
            let Value::Str(n) = &k else { continue };
            match attrs.get(&**n) {
                Some(d) => defaults.push(d.clone()),
                None if !defaults.is_empty() => {
                    let prev = names.last().map(Value::to_str).unwrap_or_default();
                    return Err(Exception::type_error(format!(
                        "Non-default namedtuple field {n} cannot follow default field {prev}"
                    )));
                }
                None => {}
            }
            names.push(k.clone());
        }
    }
    let mut args = Args::new("NamedTuple", vec![Value::Str(cls.name.clone()), Value::list(names.clone())]);
    args.kw.push(("defaults".into(), Value::tuple(defaults)));
    if let Some(m) = attrs.get("__module__") {
        args.kw.push(("module".into(), m.clone()));
    }
    let nt = namedtuple(it, args)?;
    let Value::Type(t) = &nt else { return Ok(nt) };
    let fields: Vec<Rc<str>> = names.iter().filter_map(|n| if let Value::Str(s) = n { Some(s.clone()) } else { None }).collect();
    for (k, v) in attrs {
        if fields.contains(&k) || matches!(&*k, "__module__" | "__bases__" | "__mro__") {
            continue;
        }
        if let Value::Function(f) = &v {
            *f.owner.borrow_mut() = Some(Rc::downgrade(t));
        }
        t.attrs.borrow_mut().insert(k, v);
    }
    it.invalidate_class_flags();
    Ok(nt)
}
