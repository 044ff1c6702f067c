//! Import paths scripts name classes by: `torch.nn.modules.<file>.<Class>` (each `torch.nn`
//! class under the file of `torch/nn/modules/` that defines it, save.rs's table),
//! `torch.serialization` (`safe_globals`, `add_safe_globals`) and `torch.onnx`, importable for
//! scripts that import it at the top (its `export` writes a file, which lessons do not).

use std::rc::Rc;

use crate::lang::native::NativeObject;
use crate::lang::{Exception, Interpreter, Module, Value};

type R<T> = Result<T, Exception>;

/// `with torch.serialization.safe_globals([...]):` as a context manager. lessonrun's
/// `weights_only` check does not consult the list (docs/divergences.md).
struct SafeGlobals;

impl NativeObject for SafeGlobals {
    fn type_name(&self) -> &str {
        "safe_globals"
    }
    fn module_name(&self) -> Option<&str> {
        Some("torch.serialization")
    }
    fn repr(&self) -> String {
        "<torch.serialization.safe_globals object at 0x7f0000000000>".into()
    }
    fn enter(&self, _: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(Value::None))
    }
    fn exit(&self, _: &Value, _: Option<&Exception>, _: &mut Interpreter) -> R<bool> {
        Ok(false)
    }
}

fn globals_list(v: Option<Value>) -> R<()> {
    match v {
        Some(Value::List(_)) => Ok(()),
        Some(v) => Err(Exception::type_error(format!(
            "safe_globals must be a list, got {}",
            v.type_name()
        ))),
        None => Err(Exception::type_error(
            "safe_globals() missing 1 required positional argument: 'safe_globals'",
        )),
    }
}

/// Registers the modules with `interp`; `torch` and `nn` are the modules they hang from.
pub fn install(interp: &mut Interpreter, torch: &Module, nn: &Module) {
    let modules = Module::new("torch.nn.modules");
    for (file, names) in super::save::NN_FILES {
        let m = Module::new(&format!("torch.nn.modules.{file}"));
        for name in names.split(' ') {
            if let Some(c) = nn.get(name) {
                m.set(name, c);
            }
        }
        // MultiheadAttention's output projection is this subclass of Linear in PyTorch.
        if *file == "linear"
            && let Some(l) = nn.get("Linear")
        {
            m.set("NonDynamicallyQuantizableLinear", l);
        }
        let m = Value::Module(Rc::new(m));
        modules.set(file, m.clone());
        interp.register_module(&format!("torch.nn.modules.{file}"), m);
    }
    let modules = Value::Module(Rc::new(modules));
    nn.set("modules", modules.clone());
    interp.register_module("torch.nn.modules", modules);

    let ser = Module::new("torch.serialization");
    ser.set(
        "safe_globals",
        Value::builtin("safe_globals", |_, args| {
            let [g] = args.bind(&["safe_globals"])?;
            globals_list(g)?;
            Ok(Value::native(SafeGlobals))
        }),
    );
    ser.set(
        "add_safe_globals",
        Value::builtin("add_safe_globals", |_, args| {
            let [g] = args.bind(&["safe_globals"])?;
            globals_list(g)?;
            Ok(Value::None)
        }),
    );
    for name in ["save", "load"] {
        if let Some(f) = torch.get(name) {
            ser.set(name, f);
        }
    }
    let ser = Value::Module(Rc::new(ser));
    torch.set("serialization", ser.clone());
    interp.register_module("torch.serialization", ser);

    let onnx = Module::new("torch.onnx");
    onnx.set(
        "export",
        Value::builtin("export", |_, _| {
            Err(Exception::unsupported(
                "torch.onnx.export (it writes an ONNX file; lessons write no files)",
            ))
        }),
    );
    let onnx = Value::Module(Rc::new(onnx));
    torch.set("onnx", onnx.clone());
    interp.register_module("torch.onnx", onnx);
}
