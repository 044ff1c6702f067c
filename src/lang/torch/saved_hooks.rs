//! `torch.autograd.graph`: `saved_tensors_hooks(pack_hook, unpack_hook)` and `save_on_cpu`
//! over the engine's saved slots (src/tensor/saved_hooks.rs), and `grad_fn._saved_<name>`.
//!
//! A pack hook runs while an op records its node, where the engine cannot fail: a Python
//! exception it raises is parked and raised by the interpreter once the expression that ran
//! the op returns. The block's `__enter__` makes the interpreter reachable from the engine
//! (as a backward pass does) until its `__exit__`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::autograd::{call_python, enter_interp, exit_interp, take_pending};
use super::convert::{as_tensor, exc, tv};
use crate::lang::native::NativeObject;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::saved_hooks::{self as engine_hooks, PackHooks, Packed};
use crate::tensor::{self as engine, Tensor, TensorError};

type R<T> = Result<T, Exception>;

/// Registers `torch.autograd.graph` on `autograd`.
pub fn install(interp: &mut Interpreter, autograd: &Module) {
    engine_hooks::set_error_hook(Some(raise_parked));
    let m = Module::new("torch.autograd.graph");
    m.set(
        "saved_tensors_hooks",
        super::class("saved_tensors_hooks", "torch.autograd.graph", |_, a| {
            let [pack, unpack] = a.bind(&["pack_hook", "unpack_hook"])?;
            let hooks = PyHooks {
                pack: pack.unwrap_or(Value::None),
                unpack: unpack.unwrap_or(Value::None),
            };
            Ok(Value::native(HooksBlock::new(
                "saved_tensors_hooks",
                Rc::new(hooks),
            )))
        }),
    );
    m.set(
        "save_on_cpu",
        super::class("save_on_cpu", "torch.autograd.graph", |_, a| {
            // On a CPU-only build pinning changes nothing a lesson can see.
            let [_pin, _device] = a.bind(&["pin_memory=", "device_type="])?;
            Ok(Value::native(HooksBlock::new(
                "save_on_cpu",
                Rc::new(CpuCopy),
            )))
        }),
    );
    let m = Value::Module(Rc::new(m));
    autograd.set("graph", m.clone());
    interp.register_module("torch.autograd.graph", m);
}

/// The engine's parked error (a pack hook's exception, or an op that cannot go through hooks)
/// raised after the current expression.
fn raise_parked(e: TensorError) {
    let e = take_pending().unwrap_or_else(|| exc(e));
    crate::lang::interp::raise_after_expression(e);
}

/// Hooks written in Python.
struct PyHooks {
    pack: Value,
    unpack: Value,
}

struct PyPacked {
    value: Value,
    unpack: Value,
}

impl PackHooks for PyHooks {
    fn pack(&self, t: &Tensor) -> engine::Result<Rc<dyn Packed>> {
        let value = call_python(&self.pack, vec![tv(t.clone())])?;
        Ok(Rc::new(PyPacked {
            value,
            unpack: self.unpack.clone(),
        }))
    }
}

impl Packed for PyPacked {
    fn unpack(&self) -> engine::Result<Tensor> {
        let r = call_python(&self.unpack, vec![self.value.clone()])?;
        as_tensor(&r).cloned().ok_or_else(|| TensorError::Type {
            msg: format!("Output of saved tensor unpack_hook expected to be a Tensor but got result of type {}", r.type_name()),
        })
    }
}

/// `save_on_cpu`'s hooks: a copy of the elements (PyTorch's `tensor.cpu()` into a fresh,
/// possibly pinned, buffer), given back as it is.
struct CpuCopy;

struct CpuPacked(Tensor);

impl PackHooks for CpuCopy {
    fn pack(&self, t: &Tensor) -> engine::Result<Rc<dyn Packed>> {
        Ok(Rc::new(CpuPacked(t.detach_copy())))
    }
}

impl Packed for CpuPacked {
    fn unpack(&self) -> engine::Result<Tensor> {
        Ok(self.0.clone())
    }
}

/// The `with` block of a pair of hooks.
struct HooksBlock {
    name: &'static str,
    hooks: Rc<dyn PackHooks>,
    /// The interpreter pointer `__enter__` replaced, put back by `__exit__`.
    prev: RefCell<Vec<*mut Interpreter>>,
    entered: Cell<usize>,
}

impl HooksBlock {
    fn new(name: &'static str, hooks: Rc<dyn PackHooks>) -> HooksBlock {
        HooksBlock {
            name,
            hooks,
            prev: RefCell::new(Vec::new()),
            entered: Cell::new(0),
        }
    }
}

impl NativeObject for HooksBlock {
    fn type_name(&self) -> &str {
        self.name
    }
    fn module_name(&self) -> Option<&str> {
        Some("torch.autograd.graph")
    }
    fn enter(&self, _: &Value, interp: &mut Interpreter) -> R<Option<Value>> {
        self.prev.borrow_mut().push(enter_interp(interp));
        self.entered.set(self.entered.get() + 1);
        engine_hooks::push_hooks(self.hooks.clone());
        Ok(Some(Value::None))
    }
    fn exit(&self, _: &Value, _: Option<&Exception>, _: &mut Interpreter) -> R<bool> {
        if self.entered.get() == 0 {
            return Ok(false);
        }
        self.entered.set(self.entered.get() - 1);
        engine_hooks::pop_hooks();
        if let Some(prev) = self.prev.borrow_mut().pop() {
            exit_interp(prev);
        }
        Ok(false)
    }
}

/// `grad_fn._saved_<name>` for the slots the engine keeps (None: no such attribute).
pub fn saved_attr(
    node: &engine::GradFnRef,
    name: &str,
    interp: &mut Interpreter,
) -> R<Option<Value>> {
    let Some(slot) = name.strip_prefix("_saved_") else {
        return Ok(None);
    };
    if !node.has_saved(slot) {
        return Ok(None);
    }
    let t = super::autograd::with_interp(interp, || {
        node.saved(slot).unwrap_or(Err(TensorError::GraphFreed))
    })?;
    Ok(Some(tv(t)))
}
