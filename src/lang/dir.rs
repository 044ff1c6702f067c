//! `dir()`: the sorted names an object's attributes go by. Modules, classes (their MRO) and
//! instances list their own dicts; to those are added the standard dunder names CPython's
//! `object`, functions and callables have, each kept only if `getattr` finds it here, so every
//! name listed can be read (a loop of `getattr(obj, name)` over `dir(obj)` never fails).

use super::error::Exception;
use super::interp::Interpreter;
use super::value::Value;

type R<T> = Result<T, Exception>;

/// `object`'s attributes, which every `dir` of a class or instance includes in CPython.
const OBJECT_NAMES: &[&str] = &[
    "__class__",
    "__delattr__",
    "__dir__",
    "__doc__",
    "__eq__",
    "__format__",
    "__ge__",
    "__getattribute__",
    "__gt__",
    "__hash__",
    "__init__",
    "__init_subclass__",
    "__le__",
    "__lt__",
    "__ne__",
    "__new__",
    "__reduce__",
    "__reduce_ex__",
    "__repr__",
    "__setattr__",
    "__sizeof__",
    "__str__",
    "__subclasshook__",
];

/// What functions and other callables add (`__call__` is what tells them apart).
const CALLABLE_NAMES: &[&str] = &["__call__", "__name__", "__qualname__", "__module__"];

pub fn install(it: &mut Interpreter) {
    it.builtins.insert(
        "dir".into(),
        Value::builtin("dir", |it, args| {
            args.no_kwargs()?;
            match args.pos.as_slice() {
                [] => {
                    let mut names: Vec<String> = it
                        .globals
                        .bound()
                        .into_iter()
                        .map(|(n, _)| n.to_string())
                        .collect();
                    names.sort();
                    Ok(Value::list(names.iter().map(|n| Value::str(n)).collect()))
                }
                [obj] => dir_of(it, obj),
                more => Err(Exception::type_error(format!(
                    "dir expected at most 1 argument, got {}",
                    more.len()
                ))),
            }
        }),
    );
}

fn dir_of(it: &mut Interpreter, obj: &Value) -> R<Value> {
    let mut names: Vec<String> = Vec::new();
    let mut standard = false;
    match obj {
        Value::Module(m) => {
            names.extend(m.attrs.borrow().keys().map(|k| k.to_string()));
            names.push("__name__".into());
        }
        Value::Type(t) => {
            for c in t.mro() {
                names.extend(c.attrs.borrow().keys().map(|k| k.to_string()));
            }
            standard = true;
        }
        Value::Instance(i) => {
            names.extend(i.dict.borrow().iter().map(|(k, _)| k.to_string()));
            for c in i.class.mro() {
                names.extend(c.attrs.borrow().keys().map(|k| k.to_string()));
            }
            standard = true;
        }
        _ => standard = true,
    }
    if standard {
        names.extend(OBJECT_NAMES.iter().map(|n| n.to_string()));
    }
    if matches!(
        obj,
        Value::Function(_) | Value::Builtin(_) | Value::Method(_)
    ) {
        names.extend(CALLABLE_NAMES.iter().map(|n| n.to_string()));
    }
    names.sort();
    names.dedup();
    // Only what reads back: a name listed here must not raise AttributeError in `getattr`.
    let mut out = Vec::with_capacity(names.len());
    for n in names {
        let known = n == "__call__"
            && matches!(
                obj,
                Value::Function(_) | Value::Builtin(_) | Value::Method(_)
            );
        if known || it.get_attr(obj, &n).is_ok() {
            out.push(Value::str(&n));
        }
    }
    Ok(Value::list(out))
}
