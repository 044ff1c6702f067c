//! `contextlib.nullcontext`: the context manager that does nothing, which scripts use where a
//! device may or may not need one (nanoGPT's `nullcontext() if device_type == 'cpu' else
//! torch.amp.autocast(...)`).

use std::rc::Rc;

use super::native::NativeObject;
use super::{Exception, Interpreter, Module, Value};

type R<T> = Result<T, Exception>;

/// `nullcontext(enter_result=None)`: `with` gives `enter_result` and suppresses nothing.
struct NullContext(Value);

impl NativeObject for NullContext {
    fn type_name(&self) -> &str {
        "nullcontext"
    }
    fn module_name(&self) -> Option<&str> {
        Some("contextlib")
    }
    fn repr(&self) -> String {
        // CPython prints the object's address; lessonrun's objects have a fixed one.
        "<contextlib.nullcontext object at 0x7f0000000000>".into()
    }
    fn get_attr(&self, _: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok((name == "enter_result").then(|| self.0.clone()))
    }
    fn enter(&self, _: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(self.0.clone()))
    }
    fn exit(&self, _: &Value, _: Option<&Exception>, _: &mut Interpreter) -> R<bool> {
        Ok(false)
    }
}

/// Registers `contextlib` with `it`.
pub fn install(it: &mut Interpreter) {
    let m = Module::new("contextlib");
    m.set(
        "nullcontext",
        Value::builtin("nullcontext", |_, args| {
            let [enter_result] = args.bind(&["enter_result="])?;
            Ok(Value::native(NullContext(
                enter_result.unwrap_or(Value::None),
            )))
        }),
    );
    it.modules
        .insert("contextlib".into(), Value::Module(Rc::new(m)));
}
