//! Small standard-library modules that tutorials import for one or two names, provided
//! natively: `collections.OrderedDict`. What is missing from them raises CPython's
//! ImportError/AttributeError, so a lesson fails at the line that needs more.

use std::rc::Rc;

use super::{Exception, Interpreter, Module, Value};

/// Registers the modules of this file with `it`.
pub fn install(it: &mut Interpreter) {
    let collections = Module::new("collections");
    // Dicts keep insertion order, so an OrderedDict behaves as a dict for what tutorials do
    // with it (build one, pass it to nn.Sequential, iterate it); its repr is a dict's.
    collections.set("OrderedDict", Value::builtin("OrderedDict", |it, args| {
        let dict = it.types.get("dict").cloned().ok_or_else(|| Exception::runtime_error("dict type missing"))?;
        it.call(&Value::Type(dict), args)
    }));
    it.modules.insert("collections".into(), Value::Module(Rc::new(collections)));
}
