//! A lazy module's parameter before its first call (`<UninitializedParameter>`). It holds the
//! parameter it becomes: the first call fills that tensor in place, so an optimizer given the
//! uninitialized parameter updates the materialised one, as in PyTorch.

use super::convert::tv;
use crate::lang::native::NativeObject;
use crate::lang::{Exception, Interpreter, Value};
use crate::tensor::{DType, Tensor};

pub(super) struct Uninitialized(pub(super) Tensor);

/// A tensor, or the parameter an uninitialized one will become (what an optimizer holds).
pub(super) fn param_tensor(v: &Value) -> Option<Tensor> {
    super::convert::as_tensor(v).cloned().or_else(|| v.downcast::<Uninitialized>().map(|u| u.0.clone()))
}

impl NativeObject for Uninitialized {
    fn type_name(&self) -> &str {
        "UninitializedParameter"
    }
    fn module_name(&self) -> Option<&str> {
        Some("torch.nn.parameter")
    }
    fn repr(&self) -> String {
        "<UninitializedParameter>".into()
    }
    fn get_attr(
        &self,
        _: &Value,
        name: &str,
        _: &mut Interpreter,
    ) -> Result<Option<Value>, Exception> {
        // PyTorch's `.data` of an uninitialized parameter is an empty float tensor: in-place
        // initialisation through it (`weight.data.normal_(0, 0.01)`, as d2l does before the
        // first call) touches nothing, and the first call draws the weights as usual.
        Ok(match name {
            "data" => Some(tv(Tensor::zeros(&[0], DType::Float32))),
            _ => None,
        })
    }
}

/// A lazy batch norm's running statistic before its first call (`<UninitializedBuffer>`).
pub(super) struct UninitializedBuffer;

impl NativeObject for UninitializedBuffer {
    fn type_name(&self) -> &str {
        "UninitializedBuffer"
    }
    fn module_name(&self) -> Option<&str> {
        Some("torch.nn.parameter")
    }
    fn repr(&self) -> String {
        "<UninitializedBuffer>".into()
    }
}
