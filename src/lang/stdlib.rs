//! Small standard-library modules that tutorials import for one or two names, provided
//! natively: `collections.OrderedDict`, `Counter`, `defaultdict` and `deque` (pycollections.rs); `inspect.currentframe`/`getargvalues` (d2l's
//! `save_hyperparameters` reads its caller's arguments that way). What is missing from them raises CPython's
//! ImportError/AttributeError, so a lesson fails at the line that needs more.

use std::rc::Rc;

use super::interp::Scope;
use super::native::NativeObject;
use super::{Exception, Interpreter, Module, Value};

type R<T> = Result<T, Exception>;

/// A frame of a Python call in progress: the call stack as it was when the frame object was
/// made, and this frame's place in it.
struct PyFrame {
    stack: Rc<Vec<Rc<Scope>>>,
    index: usize,
}

impl PyFrame {
    fn scope(&self) -> &Rc<Scope> {
        &self.stack[self.index]
    }

    fn locals_dict(&self) -> R<Value> {
        let mut d = super::value::Dict::new();
        for (k, v) in self.scope().locals() {
            d.insert(Value::Str(k), v)?;
        }
        Ok(Value::dict(d))
    }
}

impl NativeObject for PyFrame {
    fn type_name(&self) -> &str {
        "frame"
    }
    fn repr(&self) -> String {
        let name = self.scope().function().map_or("<module>".to_string(), |f| f.name.to_string());
        format!("<frame at 0x7f0000000000, code {name}>")
    }
    fn get_attr(&self, _: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(match name {
            "f_back" => Some(match self.index {
                0 => Value::None,
                i => Value::native(PyFrame { stack: self.stack.clone(), index: i - 1 }),
            }),
            "f_locals" => Some(self.locals_dict()?),
            _ => None,
        })
    }
}

/// Registers the modules of this file with `it`.
pub fn install(it: &mut Interpreter) {
    let collections = Module::new("collections");
    // A type, so that `isinstance(sd, OrderedDict)` and `type(sd) == OrderedDict` hold for
    // state dicts too; `issubclass(OrderedDict, dict)` through its base.
    let ordered: super::value::NativeFn = Rc::new(super::pycollections::ordered_dict);
    let odict = super::value::TypeObj::build(
        "OrderedDict".into(),
        Some("collections".into()),
        it.types.get("dict").cloned(),
        Some(ordered),
        Default::default(),
    );
    collections.set("OrderedDict", Value::Type(Rc::new(odict)));
    collections.set("Counter", Value::builtin("Counter", super::pycollections::counter));
    collections.set("defaultdict", Value::builtin("defaultdict", super::pycollections::defaultdict));
    collections.set("deque", Value::builtin("deque", super::pycollections::deque));
    collections.set("namedtuple", Value::builtin("namedtuple", super::namedtuple::namedtuple));
    it.modules.insert("collections".into(), Value::Module(Rc::new(collections)));

    let inspect = Module::new("inspect");
    inspect.set("currentframe", Value::builtin("currentframe", |it, args| {
        args.no_kwargs()?;
        if it.frames.is_empty() {
            return Ok(Value::None);
        }
        let stack = Rc::new(it.frames.clone());
        Ok(Value::native(PyFrame { index: stack.len() - 1, stack }))
    }));
    // getargvalues(frame) -> (args, varargs, keywords, locals), as CPython's ArgInfo unpacks.
    inspect.set("getargvalues", Value::builtin("getargvalues", |_, args| {
        let [frame] = args.bind(&["frame"])?;
        let frame = frame.unwrap_or(Value::None);
        let f = frame.downcast::<PyFrame>().ok_or_else(|| Exception::type_error("getargvalues() expects a frame"))?;
        let (mut names, mut varargs, mut varkw) = (Vec::new(), Value::None, Value::None);
        if let Some(def) = f.scope().function() {
            for p in &def.params {
                match p.kind {
                    super::ast::ParamKind::Normal | super::ast::ParamKind::KwOnly => names.push(Value::Str(p.name.clone())),
                    super::ast::ParamKind::VarArgs => varargs = Value::Str(p.name.clone()),
                    super::ast::ParamKind::VarKw => varkw = Value::Str(p.name.clone()),
                }
            }
        }
        Ok(Value::tuple(vec![Value::list(names), varargs, varkw, f.locals_dict()?]))
    }));
    inspect.set("signature", Value::builtin("signature", super::signature::signature));
    it.modules.insert("inspect".into(), Value::Module(Rc::new(inspect)));
    super::re::install(it);
    super::stdmods::install(it);
    super::itertools::install(it);
    super::os::install(it);
    super::tempfile::install(it);
    super::contextlib::install(it);
    super::uuid::install(it);
    super::subprocess::install(it);
    super::bytes_io::install(it);
    super::csv::install(it);
    super::warnings::install(it);
    // `import __main__`: the lesson's module; `from __main__ import` reads its globals.
    it.modules.insert("__main__".into(), Value::Module(Rc::new(Module::new("__main__"))));
    super::unicodedata::install(it);
    super::glob::install(it, None);
    super::pathlib::install(it);
    super::dataclasses::install(it);
    super::json::install(it);
    super::importlib_metadata::install(it);
    super::enums::install(it);
    super::argparse::install(it);
    super::future::install(it);
}
