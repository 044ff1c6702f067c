//! A lazy module's parameter before its first call (`<UninitializedParameter>`). It holds the
//! parameter it becomes: the first call fills that tensor in place, so an optimizer given the
//! uninitialized parameter updates the materialised one, as in PyTorch. Also where a lazy Linear
//! or convolution stands ([`Lazy`]) and `load_state_dict`'s shaping of its parameters.

use super::convert::tv;
use crate::lang::native::NativeObject;
use crate::lang::{Exception, Interpreter, Value};
use crate::tensor::{Tensor};

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
            "data" => Some(tv(Tensor::zeros(&[0], super::default_dtype()))),
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

/// Where a lazy Linear or convolution stands before its first call.
pub(super) enum Lazy {
    /// Its parameters are uninitialized: the first call draws them from this generator.
    Pending(std::rc::Rc<std::cell::RefCell<crate::tensor::Generator>>),
    /// `load_state_dict` gave its parameters their shapes and values (PyTorch's
    /// `_lazy_load_hook`): the module is still lazy (`LazyLinear(in_features=0, ...)`), and its
    /// first call draws nothing and leaves `in_features` 0, as `initialize_parameters` skips a
    /// module without uninitialized parameters.
    Loaded,
}

impl Lazy {
    /// The generator of a module whose parameters are still uninitialized.
    pub(super) fn pending(&self) -> Option<&std::rc::Rc<std::cell::RefCell<crate::tensor::Generator>>> {
        match self {
            Lazy::Pending(g) => Some(g),
            Lazy::Loaded => None,
        }
    }
}

/// `_lazy_load_hook`: gives each uninitialized parameter the shape of the tensor a state
/// dict holds for it (`shapes` by parameter name: `weight`, `bias`), whatever that shape is,
/// filled with zeros (PyTorch's `materialize` leaves it uninitialised; `load_state_dict` copies
/// over it next). Only when every parameter is in the state dict is the module marked
/// [`Lazy::Loaded`]; otherwise it stays pending and its first call draws all of them.
pub(super) fn load_lazy(lazy: &std::cell::RefCell<Option<Lazy>>, params: &[(&str, Option<&Tensor>)], shapes: &[(String, Vec<usize>)]) -> Result<(), Exception> {
    if !matches!(&*lazy.borrow(), Some(Lazy::Pending(_))) {
        return Ok(());
    }
    let mut all = true;
    for (name, p) in params {
        let Some(p) = p else { continue };
        let Some((_, shape)) = shapes.iter().find(|(k, _)| k == name) else {
            all = false;
            continue;
        };
        crate::tensor::check_size(shape).map_err(super::convert::exc)?;
        p.materialize_from(Tensor::zeros(shape, super::default_dtype())).map_err(super::convert::exc)?;
    }
    if all {
        *lazy.borrow_mut() = Some(Lazy::Loaded);
    }
    Ok(())
}
