//! `torch.jit`: `script` of a built-in module gives a `RecursiveScriptModule` over it (sharing
//! its parameters, every submodule scripted alike, printed with its `original_name`, with a
//! training flag of its own) whose forward runs the original's in the script module's modes;
//! `save` keeps the script module in memory by path as `torch.save` does and `jit.load` gives a
//! fresh copy; `trace` runs its function once and gives back what runs it eagerly. There is no TorchScript compiler here: what is computed is what the eager
//! modules compute. Modules and functions a lesson defines cannot be scripted, as in the
//! reference, where TorchScript finds no source file for a lesson's cells.

use super::ext::ExtLayer;
use super::nn::{PyModule, ext_module, native_module};
use crate::lang::interp::Copier;
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::Tensor;

type R<T> = Result<T, Exception>;

const NO_SOURCE: &str = "TorchScript requires source access in order to carry out compilation, make sure original .py files are available.";

struct ScriptModule {
    /// The scripted module (its parameters are the script module's own ones).
    original: Value,
    /// Its class name, shown as `original_name=`.
    original_name: String,
    /// The scripted submodules, named as the original's.
    children: Vec<(String, Value)>,
    /// The original's submodules: what indexing a scripted Sequential returns.
    original_children: Vec<Value>,
}

fn py_module(v: &Value) -> Option<Value> {
    native_module(v).filter(|n| n.downcast::<PyModule>().is_some())
}

fn training_of(v: &Value) -> Option<bool> {
    py_module(v).and_then(|n| n.downcast::<PyModule>().map(PyModule::is_training))
}

fn set_training_of(v: &Value, mode: bool) {
    if let Some(n) = py_module(v)
        && let Some(m) = n.downcast::<PyModule>()
    {
        m.set_own_training(mode);
    }
}

impl ScriptModule {
    /// A scripted Sequential or ModuleList indexes and measures its submodules.
    fn indexable(&self) -> bool {
        matches!(self.original_name.as_str(), "Sequential" | "ModuleList")
    }

    /// Gives each original module the mode of its scripted counterpart, returning what to
    /// restore afterwards (`(module, its own mode)`).
    fn lend_modes(&self, mode: bool, restore: &mut Vec<(Value, bool)>) {
        if let Some(own) = training_of(&self.original)
            && own != mode
        {
            set_training_of(&self.original, mode);
            restore.push((self.original.clone(), own));
        }
        for (_, c) in &self.children {
            let Some(n) = py_module(c) else { continue };
            let Some(m) = n.downcast::<PyModule>() else {
                continue;
            };
            if let Some(s) = m
                .ext()
                .and_then(|l| l.as_any().downcast_ref::<ScriptModule>())
            {
                s.lend_modes(m.is_training(), restore);
            }
        }
    }
}

impl ExtLayer for ScriptModule {
    fn name(&self) -> &str {
        "RecursiveScriptModule"
    }
    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        py_module(&self.original)
            .and_then(|n| n.downcast::<PyModule>().map(PyModule::own_parameters))
            .unwrap_or_default()
    }
    fn children(&self) -> Vec<(String, Value)> {
        self.children.clone()
    }
    fn repr(&self) -> String {
        format!(
            "RecursiveScriptModule(original_name={})",
            self.original_name
        )
    }
    fn forward(&self, interp: &mut Interpreter, args: &Args, training: bool) -> R<Value> {
        // The originals run in the script modules' modes (`eval()` on a script module leaves
        // the module it was made from as it was), which are given back after the call.
        let mut restore = Vec::new();
        self.lend_modes(training, &mut restore);
        let call = Args {
            fname: args.fname.clone(),
            this: None,
            pos: args.pos.clone(),
            kw: args.kw.clone(),
        };
        let out = interp.call(&self.original, call);
        for (m, mode) in restore {
            set_training_of(&m, mode);
        }
        out
    }
    fn get_attr(&self, name: &str) -> Option<Value> {
        match name {
            "original_name" => Some(Value::str(&self.original_name)),
            _ => None,
        }
    }
    fn method(&self, this: &Value, name: &str) -> Option<Value> {
        if name != "save" {
            return None;
        }
        Some(Value::method(this.clone(), "save", |interp, args| {
            let this = args.this.clone().unwrap_or(Value::None);
            let [f, _extra] = args.bind(&["f", "_extra_files="])?;
            let path = match &f {
                Some(Value::Str(s)) => s.to_string(),
                Some(v) => crate::lang::pathlib::fspath(v).ok_or_else(|| {
                    Exception::type_error(format!(
                        "save(): incompatible function arguments: f must be str, not {}",
                        v.type_name()
                    ))
                })?,
                None => {
                    return Err(Exception::type_error(
                        "save() missing required argument: 'f'",
                    ));
                }
            };
            let copy = Copier::pickling().value(&this).ok_or_else(|| {
                Exception::unsupported(
                    "ScriptModule.save of a module holding a generator, a hook or an iterator",
                )
            })?;
            interp.saved.insert(path, Some(copy));
            Ok(Value::None)
        }))
    }
    fn module_name(&self) -> &str {
        "torch.jit._script"
    }
    fn get_item(&self, key: &Value) -> R<Option<Value>> {
        if !self.indexable() {
            return Ok(None);
        }
        let i = super::nn::list_index(key, self.original_children.len())?;
        Ok(Some(self.original_children[i].clone()))
    }
    fn len(&self) -> Option<usize> {
        self.indexable().then_some(self.children.len())
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn copy(&self, c: &mut Copier) -> Option<Box<dyn ExtLayer>> {
        let mut children = Vec::with_capacity(self.children.len());
        for (k, v) in &self.children {
            children.push((k.clone(), c.value(v)?));
        }
        let mut original_children = Vec::with_capacity(self.original_children.len());
        for v in &self.original_children {
            original_children.push(c.value(v)?);
        }
        Some(Box::new(ScriptModule {
            original: c.value(&self.original)?,
            original_name: self.original_name.clone(),
            children,
            original_children,
        }))
    }
}

/// `torch.jit.script(module)`: the module and each submodule, scripted. `top` tells the
/// module passed in (whose class source TorchScript looks for first) from its submodules
/// (whose `forward` it looks for).
fn script_module(interp: &mut Interpreter, module: &Value, top: bool) -> R<Value> {
    let Some(native) = py_module(module) else {
        return Err(Exception::type_error(format!(
            "<class '{}'> is a built-in class",
            module.type_name()
        )));
    };
    let Some(m) = native.downcast::<PyModule>() else {
        return Err(Exception::type_error("expected an nn.Module"));
    };
    if m.ext().is_some_and(|l| l.as_any().is::<ScriptModule>()) {
        // Scripting a script module returns it unchanged.
        return Ok(module.clone());
    }
    if m.owner().is_some() {
        if top {
            return Err(Exception::new("OSError", "could not get source code"));
        }
        let repr = interp.repr(module)?;
        let class = module.type_name();
        return Err(Exception::new(
            "OSError",
            format!("Can't get source for <bound method {class}.forward of {repr}>. {NO_SOURCE}"),
        ));
    }
    let original_name = m.name().to_string();
    let training = m.is_training();
    let mut children = Vec::new();
    let mut original_children = Vec::new();
    for (k, c) in m.children() {
        children.push((k, script_module(interp, &c, false)?));
        original_children.push(c);
    }
    let s = ext_module(ScriptModule {
        original: module.clone(),
        original_name,
        children,
        original_children,
    });
    set_training_of(&s, training);
    Ok(s)
}

/// Registers `torch.jit` (`script`, `load`) as an attribute of `torch` and an importable module.
pub fn install(interp: &mut Interpreter, torch: &Module) {
    let jit = Module::new("torch.jit");
    jit.set(
        "script",
        Value::builtin("script", |interp, args| {
            let [obj, _optimize, _frames, _rcb, _inputs] = args.bind(&[
                "obj",
                "optimize=",
                "_frames_up=",
                "_rcb=",
                "example_inputs=",
            ])?;
            let obj = obj.unwrap_or(Value::None);
            if native_module(&obj).is_some() {
                return script_module(interp, &obj, true);
            }
            match &obj {
                Value::Function(_) => {
                    let repr = interp.repr(&obj)?;
                    Err(Exception::new(
                        "OSError",
                        format!("Can't get source for {repr}. {NO_SOURCE}"),
                    ))
                }
                Value::Builtin(_) => Ok(obj),
                v => Err(Exception::type_error(format!(
                    "<class '{}'> is a built-in class",
                    v.type_name()
                ))),
            }
        }),
    );
    // `torch.jit.trace(func, example_inputs)`: tracing runs `func` once on the inputs; what
    // comes back runs eagerly (a built-in module as a script module, anything else as it is).
    jit.set(
        "trace",
        Value::builtin("trace", |interp, args| {
            let [func, inputs] = args.bind(&["func", "example_inputs="])?;
            let func = func.unwrap_or(Value::None);
            let inputs = match &inputs {
                None | Some(Value::None) => Vec::new(),
                Some(Value::Tuple(t)) => t.iter().cloned().collect(),
                Some(v) => vec![v.clone()],
            };
            interp.call(&func, Args::new("trace", inputs))?;
            if native_module(&func).is_some() && py_module(&func).is_some_and(|n| n.downcast::<PyModule>().is_some_and(|m| m.owner().is_none())) {
                return script_module(interp, &func, true);
            }
            Ok(func)
        }),
    );
    jit.set(
        "load",
        Value::builtin("load", |interp, args| {
            let [f, _map, _extra] = args.bind(&["f", "map_location=", "_extra_files="])?;
            let path = match &f {
                Some(Value::Str(s)) => s.to_string(),
                Some(v) => crate::lang::pathlib::fspath(v).unwrap_or_default(),
                None => String::new(),
            };
            let Some(Some(saved)) = interp.saved.get(&path).cloned() else {
                return Err(Exception::value_error(format!(
                    "The provided filename {path} does not exist"
                )));
            };
            Copier::pickling()
                .value(&saved)
                .ok_or_else(|| Exception::unsupported("torch.jit.load of this module"))
        }),
    );
    let jit = Value::Module(std::rc::Rc::new(jit));
    torch.set("jit", jit.clone());
    interp.register_module("torch.jit", jit);
}
