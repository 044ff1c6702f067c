//! The interface by which layers defined outside `nn.rs` (recurrent layers, attention) plug
//! into `nn.Module`: `nn.rs` asks an [`ExtLayer`] for what differs per kind of module and
//! keeps everything every module has (training flag, hooks, state dicts, the module tree).

use std::any::Any;

use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Value};
use crate::tensor::Tensor;

type R<T> = Result<T, Exception>;

pub trait ExtLayer {
    /// The class name (`LSTM`).
    fn name(&self) -> &str;
    /// This module's own parameters (not its children's), in registration order.
    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        Vec::new()
    }
    /// Direct submodules with their names.
    fn children(&self) -> Vec<(String, Value)> {
        Vec::new()
    }
    /// The repr without children: `Name(extra_repr)`.
    fn repr(&self) -> String;
    fn forward(&self, interp: &mut Interpreter, args: &Args, training: bool) -> R<Value>;
    /// Attributes other than the ones every module has; None when unknown.
    fn get_attr(&self, name: &str) -> Option<Value>;
    /// `module.name = value`; false when the name is not this layer's (the default: no
    /// attribute of its own can be set).
    fn set_attr(&self, _name: &str, _value: &Value) -> R<bool> {
        Ok(false)
    }
    /// The module `type(layer)` names (`torch.nn` for layers).
    fn module_name(&self) -> &str {
        "torch.nn"
    }
    /// A method that needs the module object itself (`this`); None: not one.
    fn method(&self, _this: &Value, _name: &str) -> Option<Value> {
        None
    }
    /// `layer[key]`; None: not subscriptable.
    fn get_item(&self, _key: &Value) -> R<Option<Value>> {
        Ok(None)
    }
    /// `len(layer)`; None: no length.
    fn len(&self) -> Option<usize> {
        None
    }
    /// For the layers that look inside others (TransformerEncoder copying its layer).
    fn as_any(&self) -> &dyn Any;
    /// A copy for an interpreter snapshot (`interp::Copier`); None: no copy rule yet.
    fn copy(&self, _c: &mut crate::lang::interp::Copier) -> Option<Box<dyn ExtLayer>> {
        None
    }
}
