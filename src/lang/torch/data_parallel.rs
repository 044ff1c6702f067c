//! `nn.DataParallel` on a machine without CUDA: PyTorch then keeps the wrapped module as its
//! child `module` and its forward calls it directly (no replicas, no scatter), so the wrapper
//! only adds the `module.` prefix to names and state dicts.

use super::class;
use super::ext::ExtLayer;
use super::nn::ext_module;
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};

type R<T> = Result<T, Exception>;

struct DataParallel {
    module: Value,
    dim: i64,
}

impl ExtLayer for DataParallel {
    fn name(&self) -> &str {
        "DataParallel"
    }
    fn children(&self) -> Vec<(String, Value)> {
        vec![("module".into(), self.module.clone())]
    }
    fn repr(&self) -> String {
        "DataParallel()".into()
    }
    fn forward(&self, interp: &mut Interpreter, args: &Args, _: bool) -> R<Value> {
        let call = Args {
            fname: args.fname.clone(),
            this: None,
            pos: args.pos.clone(),
            kw: args.kw.clone(),
        };
        interp.call(&self.module, call)
    }
    fn get_attr(&self, name: &str) -> Option<Value> {
        Some(match name {
            "module" => self.module.clone(),
            // Without CUDA, `device_ids` is emptied and there is no output device.
            "device_ids" => Value::list(Vec::new()),
            "output_device" | "src_device_obj" => Value::None,
            "dim" => Value::Int(self.dim),
            _ => return None,
        })
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn copy(&self, c: &mut crate::lang::interp::Copier) -> Option<Box<dyn ExtLayer>> {
        Some(Box::new(DataParallel {
            module: c.value(&self.module)?,
            dim: self.dim,
        }))
    }
}

/// Adds `nn.DataParallel(module, device_ids=None, output_device=None, dim=0)` to `torch.nn`.
pub fn register(m: &Module) {
    m.set(
        "DataParallel",
        class("DataParallel", "torch.nn", |_, args| {
            let [module, _ids, _out, dim] =
                args.bind(&["module", "device_ids=", "output_device=", "dim="])?;
            let module = module.unwrap_or(Value::None);
            if module.downcast::<super::nn::PyModule>().is_none() && !is_module_instance(&module) {
                return Err(Exception::type_error(format!(
                    "DataParallel expects an nn.Module, not {}",
                    module.type_name()
                )));
            }
            let dim = match dim {
                None | Some(Value::None) => 0,
                Some(d) => d.expect_int("dim")?,
            };
            Ok(ext_module(DataParallel { module, dim }))
        }),
    );
}

/// A Python subclass of `nn.Module` (its native half made by `super().__init__()`).
fn is_module_instance(v: &Value) -> bool {
    match v {
        Value::Instance(i) => i
            .native
            .borrow()
            .as_ref()
            .is_some_and(|n| n.downcast::<super::nn::PyModule>().is_some()),
        _ => false,
    }
}
