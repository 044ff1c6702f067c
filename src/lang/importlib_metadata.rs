//! `importlib.metadata.version`: the installed versions of the reference environment's packages
//! (torch-oracle's venv), so a notebook's "which versions am I on" cell prints what PyTorch's run
//! prints; any other name raises `PackageNotFoundError`, as it does there.

use std::rc::Rc;

use super::native::Args;
use super::value::TypeObj;
use super::{Exception, Interpreter, Module, Value};

/// The reference environment's distributions, by normalised name (see `normalize`).
const VERSIONS: &[(&str, &str)] = &[
    ("torch", "2.15.0"),
    ("numpy", "2.4.6"),
    ("matplotlib", "3.11.2"),
    ("ipython", "9.18.1"),
    ("matplotlib_inline", "0.2.2"),
];

/// CPython's lookup key for a distribution name: lower case, runs of `-`, `_` and `.` as one `_`.
fn normalize(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('_') {
                out.push('_');
            }
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

fn version(_: &mut Interpreter, args: Args) -> Result<Value, Exception> {
    let [name] = args.bind(&["distribution_name"])?;
    let name = match &name.unwrap_or(Value::None) {
        Value::Str(s) => s.to_string(),
        v => {
            return Err(Exception::type_error(format!(
                "expected string or bytes-like object, got '{}'",
                v.type_name()
            )));
        }
    };
    let key = normalize(&name);
    match VERSIONS.iter().find(|(n, _)| *n == key) {
        Some((_, v)) => Ok(Value::str(v)),
        None => Err(Exception::new(
            "PackageNotFoundError",
            format!("No package metadata was found for {name}"),
        )),
    }
}

/// Registers `importlib`, `importlib.metadata` and `PackageNotFoundError` (a ModuleNotFoundError).
pub fn install(it: &mut Interpreter) {
    if let Some(base) = it.types.get("ModuleNotFoundError").cloned() {
        it.types.insert(
            "PackageNotFoundError",
            TypeObj::new("PackageNotFoundError", Some(base), None),
        );
    }
    let m = Module::new("importlib.metadata");
    m.set("version", Value::builtin("version", version));
    if let Some(t) = it.types.get("PackageNotFoundError") {
        m.set("PackageNotFoundError", Value::Type(t.clone()));
    }
    let metadata = Value::Module(Rc::new(m));
    let importlib = Module::new("importlib");
    importlib.set("metadata", metadata.clone());
    it.modules
        .insert("importlib".into(), Value::Module(Rc::new(importlib)));
    it.modules.insert("importlib.metadata".into(), metadata);
}
