//! `tensor.grad_fn` as a Python object: its name, `next_functions` (pairs of node and
//! output index, AccumulateGrad for leaves) and an AccumulateGrad's `variable`.

use super::convert::tv;
use crate::lang::native::NativeObject;
use crate::lang::{Exception, Interpreter, Value};
use crate::tensor::{GradFnRef, Tensor};

type R<T> = Result<T, Exception>;

pub struct GradFn(GradFnRef);

/// `t.grad_fn`: None for a leaf or a tensor without history.
pub fn grad_fn(t: &Tensor) -> Value {
    GradFnRef::of(t).map_or(Value::None, |n| Value::native(GradFn(n)))
}

impl NativeObject for GradFn {
    fn type_name(&self) -> &str {
        self.0.name()
    }
    fn snapshot(&self, c: &mut crate::lang::interp::Copier) -> Option<Value> {
        Some(Value::native(GradFn(self.0.copy(c.tensors())?)))
    }
    fn repr(&self) -> String {
        // PyTorch shows a memory address here; ours is stable per node but not PyTorch's
        // (lessons match it with `ellipsis`).
        format!("<{} object at 0x{:012x}>", self.0.name(), 0x7f00_0000_0000usize + (self.0.identity() & 0xffff_ffff) * 16)
    }
    fn get_attr(&self, this: &Value, name: &str, interp: &mut Interpreter) -> R<Option<Value>> {
        if name.starts_with("_saved_") {
            return super::saved_hooks::saved_attr(&self.0, name, interp);
        }
        Ok(match name {
            "name" => Some(Value::method(this.clone(), "name", |_, args| {
                // Nodes written in C++ by hand (not generated) report their namespace.
                let name = args.this_native::<GradFn>()?.0.name();
                Ok(Value::str(match name {
                    "CopySlices" => "torch::autograd::CopySlices",
                    "AccumulateGrad" => "torch::autograd::AccumulateGrad",
                    "CopyBackwards" => "torch::autograd::CopyBackwards",
                    n => n,
                }))
            })),
            "next_functions" => Some(Value::tuple(
                self.0
                    .next_functions()
                    .into_iter()
                    .map(|(f, i)| Value::tuple(vec![f.map_or(Value::None, |f| Value::native(GradFn(f))), Value::Int(i as i64)]))
                    .collect(),
            )),
            "variable" => self.0.variable().map(tv),
            _ => None,
        })
    }
}
