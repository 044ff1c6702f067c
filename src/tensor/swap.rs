//! `torch.utils.swap_tensors` in the engine: two tensor handles exchange what they are (their
//! elements, dtype and autograd state) while each keeps its identity, so every holder of either
//! (a module, an optimizer's parameter list) sees the other's contents, as PyTorch's
//! `_swap_tensor_impl` does by exchanging the `at::Tensor`s of two Python objects.

use std::rc::Rc;

use super::tensor::Backing;
use super::view::Shared;
use super::{Result, Tensor, TensorError};

fn runtime(msg: String) -> TensorError {
    TensorError::Runtime { msg }
}

/// The buffer a tensor owns alone. lessonrun's handles share a buffer with their views and
/// `detach()`/`.data` aliases, so swapping a shared buffer would change those too; PyTorch
/// refuses the views (their base's use count) and keeps the aliases on the old elements.
/// Both are refused here (docs/divergences.md).
fn own_buffer<'a>(t: &'a Tensor, name: &str) -> Result<&'a Rc<Shared>> {
    match &t.0.data {
        Backing::Own(s) if Rc::strong_count(s) == 1 => Ok(s),
        Backing::Own(_) => Err(runtime(format!(
            "lessonrun: swap_tensors: {name} shares its elements with another tensor (a view, .data or detach() of it); only tensors that own their elements alone can be swapped"
        ))),
        Backing::View(_) => Err(runtime(format!(
            "lessonrun: swap_tensors: {name} is a view of another tensor; only tensors that own their elements alone can be swapped"
        ))),
    }
}

/// Exchanges the contents of `a` and `b`: elements (and so shape and dtype), version counter,
/// `requires_grad`, `grad`, `grad_fn`, `retain_grad` state and hooks.
pub fn swap_tensors(a: &Tensor, b: &Tensor) -> Result<()> {
    if Rc::ptr_eq(&a.0, &b.0) {
        return Ok(());
    }
    if a.0.is_param != b.0.is_param {
        return Err(runtime(
            "lessonrun: swap_tensors of an nn.Parameter with a plain Tensor is not supported (PyTorch swaps their classes)".into(),
        ));
    }
    let (sa, sb) = (own_buffer(a, "t1")?, own_buffer(b, "t2")?);
    sa.data.swap(&sb.data);
    sa.version.swap(&sb.version);
    sa.narrow.swap(&sb.narrow);
    let (ia, ib) = (&a.0, &b.0);
    ia.requires_grad.swap(&ib.requires_grad);
    ia.grad.swap(&ib.grad);
    ia.grad_fn.swap(&ib.grad_fn);
    ia.retains_grad.swap(&ib.retains_grad);
    ia.hooks.swap(&ib.hooks);
    ia.origin.swap(&ib.origin);
    Ok(())
}
