//! A lazy module's parameter before its first call (`<UninitializedParameter>`).

use super::convert::tv;
use crate::lang::native::NativeObject;
use crate::lang::{Exception, Interpreter, Value};
use crate::tensor::{DType, Tensor};

pub(super) struct Uninitialized;

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
