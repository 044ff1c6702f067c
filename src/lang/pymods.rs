//! Standard-library modules (and missing names of native ones) written in Python, in
//! `src/lang/pymods/*.py`: code that lessons call rarely and that is shorter in Python than in
//! Rust (heapq, bisect, statistics, textwrap, reprlib, abc, fractions; `string.Template`,
//! `contextlib.contextmanager`, `collections.ChainMap`, ...). A module's source is parsed and
//! run the first time a lesson imports it, so lessons that do not pay nothing.
//!
//! Each source defines `_make()`, which builds everything as locals and returns a dict of the
//! public names: a lesson's functions have no module globals of their own (see `lang::exec`), so
//! helpers must reach each other as closures, not globals.

use std::cell::RefCell;
use std::rc::Rc;

use super::exec::{self, Mode};
use super::native::Args;
use super::value::{Dict, Module, Value};
use super::{Exception, Interpreter};

type R<T> = Result<T, Exception>;

/// Modules written wholly in Python.
const MODULES: &[(&str, &str)] = &[
    ("heapq", include_str!("pymods/heapq.py")),
    ("bisect", include_str!("pymods/bisect.py")),
    ("statistics", include_str!("pymods/statistics.py")),
    ("textwrap", include_str!("pymods/textwrap.py")),
    ("reprlib", include_str!("pymods/reprlib.py")),
    ("abc", include_str!("pymods/abc.py")),
    ("fractions", include_str!("pymods/fractions.py")),
];

/// Names that `pymods/extras.py` adds to native modules: the module and one of its names, which
/// is missing until the extras have run.
const EXTENDED: &[(&str, &str)] = &[
    ("string", "Template"),
    ("contextlib", "contextmanager"),
    ("functools", "total_ordering"),
    ("collections", "ChainMap"),
    ("operator", "methodcaller"),
    ("itertools", "compress"),
    ("typing", "Generic"),
    ("sys", "stdout"),
];

const EXTRAS: &str = include_str!("pymods/extras.py");

/// `import dotted` for a module not registered yet: builds it if it is one of ours.
pub(crate) fn load(it: &mut Interpreter, dotted: &str) -> R<Option<Value>> {
    let Some((name, src)) = MODULES.iter().find(|(n, _)| *n == dotted) else {
        return Ok(None);
    };
    let names = run_source(it, name, src)?;
    let m = Module::new(name);
    for (k, v) in names {
        m.set(&k, v);
    }
    let v = Value::Module(Rc::new(m));
    it.modules.insert(name.to_string(), v.clone());
    Ok(Some(v))
}

/// Before `import dotted` returns a native module: adds the extras' names the first time one of
/// the extended modules is imported (each name only where the module lacks it).
pub(crate) fn extend(it: &mut Interpreter, dotted: &str, module: &Value) -> R<()> {
    let Value::Module(m) = module else {
        return Ok(());
    };
    let Some((_, probe)) = EXTENDED.iter().find(|(n, _)| *n == dotted) else {
        return Ok(());
    };
    if m.get(probe).is_some() {
        return Ok(());
    }
    let names = run_source(it, "lessonrun_extras", EXTRAS)?;
    for (key, v) in names {
        let Some((module_name, attr)) = key.split_once('.') else {
            continue;
        };
        if let Some(Value::Module(target)) = it.modules.get(module_name)
            && target.get(attr).is_none()
        {
            target.set(attr, v);
        }
    }
    Ok(())
}

/// Runs `src` in a namespace of its own and calls its `_make()`: the names it returns.
fn run_source(it: &mut Interpreter, name: &str, src: &str) -> R<Vec<(String, Value)>> {
    let parsed = exec::parse(it, src, Mode::Exec)?;
    let mut d = Dict::new();
    d.insert(Value::str("__name__"), Value::str(name))?;
    let d = Rc::new(RefCell::new(d));
    let made = exec::with_globals(it, &d, |it| {
        exec::run(it, &parsed)?;
        let make = it.get_global("_make").ok_or_else(|| {
            Exception::new("ImportError", format!("cannot build module '{name}'"))
        })?;
        it.call(&make, Args::new("_make", Vec::new()))
    })?;
    let Value::Dict(names) = &made else {
        return Err(Exception::new(
            "ImportError",
            format!("cannot build module '{name}'"),
        ));
    };
    let out = names
        .borrow()
        .iter()
        .filter_map(|(k, v)| match k {
            Value::Str(s) => Some((s.to_string(), v.clone())),
            _ => None,
        })
        .collect();
    Ok(out)
}
