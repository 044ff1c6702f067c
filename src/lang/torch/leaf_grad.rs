//! A tensor's `.grad`, `.retains_grad` and `.retain_grad()` with PyTorch's checks: reading the
//! `.grad` of a non-leaf that does not retain it warns (TensorBody.h's `grad()`), and
//! `retain_grad()` on a tensor that does not require grad is a RuntimeError.

use super::super::{Exception, Interpreter, warnings};
use crate::tensor::Tensor;

type R<T> = Result<T, Exception>;

/// PyTorch's `TORCH_WARN` text, its "Triggered internally at" suffix included (that is what
/// `str()` of the caught warning gives in PyTorch's CPU wheel).
const NON_LEAF_GRAD: &str = "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. \
Its .grad attribute won't be populated during autograd.backward(). If you indeed want the .grad field \
to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you access the \
non-leaf Tensor by mistake, make sure you access the leaf Tensor instead. See \
github.com/pytorch/pytorch/pull/30531 for more information. (Triggered internally at \
/__w/pytorch/pytorch/build/aten/src/ATen/core/TensorBody.h:488.)";

/// `t.grad`: the gradient, or None; a non-leaf without a retained or assigned gradient warns
/// as PyTorch does (a UserWarning, which a lesson sees only through `warnings`' filters).
pub(super) fn grad(t: &Tensor, interp: &mut Interpreter) -> R<Option<Tensor>> {
    let g = t.grad();
    if g.is_none() && !t.is_leaf() && !t.retains_grad() {
        warnings::warn_native(interp, "UserWarning", NON_LEAF_GRAD)?;
    }
    Ok(g)
}

/// `t.retain_grad()`: a no-op on a leaf that requires grad; an error on one that does not.
pub(super) fn retain_grad(t: &Tensor) -> R<()> {
    if !t.requires_grad() {
        return Err(Exception::runtime_error(
            "can't retain_grad on Tensor that has requires_grad=False",
        ));
    }
    t.retain_grad();
    Ok(())
}
