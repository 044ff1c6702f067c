//! `torch.utils.swap_tensors` (over the engine's `swap.rs`) and `torch.__future__`'s module
//! conversion flags (`set_swap_module_params_on_conversion`,
//! `set_overwrite_module_params_on_conversion` and their getters).

use std::cell::Cell;
use std::rc::Rc;

use super::convert::{as_tensor, exc};
use crate::lang::{Exception, Interpreter, Module, Value};

thread_local! {
    /// `torch.__future__`'s two flags (PyTorch's module globals), per lesson thread.
    static SWAP: Cell<bool> = const { Cell::new(false) };
    static OVERWRITE: Cell<bool> = const { Cell::new(false) };
}

/// Adds `swap_tensors` to `torch.utils` and the module `torch.__future__`.
pub fn install(interp: &mut Interpreter, torch: &Module, utils: &Module) {
    SWAP.with(|f| f.set(false));
    OVERWRITE.with(|f| f.set(false));
    utils.set(
        "swap_tensors",
        Value::builtin("swap_tensors", |_, args| {
            let [t1, t2] = args.bind(&["t1", "t2"])?;
            let (t1, t2) = (t1.unwrap_or(Value::None), t2.unwrap_or(Value::None));
            // PyTorch's Python code reads `t._use_count()` of each in turn.
            let tensor = |v: &Value| {
                as_tensor(v).cloned().ok_or_else(|| {
                    Exception::new(
                        "AttributeError",
                        format!("'{}' object has no attribute '_use_count'", v.type_name()),
                    )
                })
            };
            let (a, b) = (tensor(&t1)?, tensor(&t2)?);
            crate::tensor::swap::swap_tensors(&a, &b).map_err(exc)?;
            Ok(Value::None)
        }),
    );
    let future = Rc::new(Module::new("torch.__future__"));
    for (name, flag) in [
        ("swap_module_params_on_conversion", &SWAP),
        ("overwrite_module_params_on_conversion", &OVERWRITE),
    ] {
        // PyTorch stores whatever it is given and returns it; lessons pass bools.
        future.set(
            &format!("set_{name}"),
            Value::builtin("set", move |interp, args| {
                let [value] = args.bind(&["value"])?;
                let on = interp.truthy(&value.unwrap_or(Value::None))?;
                flag.with(|f| f.set(on));
                Ok(Value::None)
            }),
        );
        future.set(
            &format!("get_{name}"),
            Value::builtin("get", move |_, args| {
                let [] = args.bind(&[])?;
                Ok(Value::Bool(flag.with(|f| f.get())))
            }),
        );
    }
    torch.set("__future__", Value::Module(future.clone()));
    interp.register_module("torch.__future__", Value::Module(future));
}
