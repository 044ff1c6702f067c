//! Saved tensors as PyTorch names them (`grad_fn._saved_self`, `_saved_result`, ...) and the
//! pack/unpack hooks that may stand in for them (`torch.autograd.graph.saved_tensors_hooks`).
//!
//! An op that supports hooks notes the handles its formula reads, in the order PyTorch's
//! generated code packs them, right before it records its node; [`attach_slots`] gives them
//! to the node. While hooks are active each slot the node needs is packed then, and before the
//! formula runs its handle's elements are replaced by what the unpack hook returns, so the
//! formula computes with the unpacked values, as PyTorch's does. The handle is a copy
//! (`detach_copy`) with a buffer of its own, so the original tensor is never written.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use super::autograd::Node;
use super::tensor::Inner;
use super::{Result, Tensor, TensorError};

/// What a pack hook returned, able to give the tensor back.
pub trait Packed {
    fn unpack(&self) -> Result<Tensor>;
}

/// A pair of pack/unpack hooks: `pack` sees the tensor an op saves and returns what the graph
/// keeps instead.
pub trait PackHooks {
    fn pack(&self, t: &Tensor) -> Result<Rc<dyn Packed>>;
}

/// When a slot is saved: always, or only when the given input of the op needs a gradient
/// (PyTorch saves `self` of `a * b` only for `b`'s gradient).
#[derive(Clone, Copy)]
pub(crate) enum Need {
    Always,
    Input(usize),
}

struct Pending {
    name: &'static str,
    handle: Tensor,
    /// The tensor the op was given (`_saved_self is a`); None for the op's own output.
    original: Option<Weak<Inner>>,
    need: Need,
}

/// One saved value of a node.
pub(crate) struct Slot {
    name: &'static str,
    /// None once the node's formula was freed.
    handle: Option<Tensor>,
    original: Option<Weak<Inner>>,
    packed: Option<Rc<dyn Packed>>,
}

thread_local! {
    static HOOKS: RefCell<Vec<Rc<dyn PackHooks>>> = const { RefCell::new(Vec::new()) };
    static ACTIVE: Cell<bool> = const { Cell::new(false) };
    static PENDING: RefCell<Vec<Pending>> = const { RefCell::new(Vec::new()) };
    static ERROR: RefCell<Option<TensorError>> = const { RefCell::new(None) };
    /// The host's way to raise a parked error once the op returns (else it waits for
    /// [`take_error`]).
    static ERROR_HOOK: Cell<Option<fn(TensorError)>> = const { Cell::new(None) };
}

/// Installs the host's handler of errors raised where an op records its node.
pub fn set_error_hook(hook: Option<fn(TensorError)>) {
    ERROR_HOOK.set(hook);
}

/// Enters a `saved_tensors_hooks` block: ops recorded from now on pack with `hooks`.
pub fn push_hooks(hooks: Rc<dyn PackHooks>) {
    HOOKS.with(|h| h.borrow_mut().push(hooks));
    ACTIVE.set(true);
}

/// Leaves the innermost `saved_tensors_hooks` block.
pub fn pop_hooks() {
    HOOKS.with(|h| {
        let mut h = h.borrow_mut();
        h.pop();
        ACTIVE.set(!h.is_empty());
    });
}

/// The error a pack hook raised while an op recorded its node (ops cannot fail there: the
/// host raises it once the op returns).
pub fn take_error() -> Option<TensorError> {
    ERROR.with(|e| e.borrow_mut().take())
}

/// Whether an error is waiting for [`take_error`].
pub fn has_error() -> bool {
    ERROR.with(|e| e.borrow().is_some())
}

/// Notes that the next recorded node's formula reads `handle`, standing for `original` (the
/// op's input) as the node's `_saved_<name>`.
pub(crate) fn note(name: &'static str, handle: &Tensor, original: &Tensor, need: Need) {
    let original = Some(Rc::downgrade(&original.0));
    PENDING.with(|p| {
        p.borrow_mut().push(Pending {
            name,
            handle: handle.clone(),
            original,
            need,
        })
    });
}

/// Notes the op's own output (`_saved_result`), read by the formula as `handle`.
pub(crate) fn note_result(handle: &Tensor) {
    PENDING.with(|p| {
        p.borrow_mut().push(Pending {
            name: "result",
            handle: handle.clone(),
            original: None,
            need: Need::Always,
        })
    });
}

/// Drops what was noted without a node being recorded (grad mode off, no input needing grad).
pub(crate) fn discard() {
    PENDING.with(|p| {
        let mut p = p.borrow_mut();
        if !p.is_empty() {
            p.clear();
        }
    });
}

/// Gives `node` (just made for `out`) the slots its op noted, packing the ones it needs when
/// hooks are active. An op that saves values but noted none cannot go through hooks yet.
pub(crate) fn attach_slots(node: &Node, out: &Tensor) {
    let needed = |need: Need| match need {
        Need::Always => true,
        Need::Input(i) => node.edges.get(i).is_some_and(|e| e.target.is_some()),
    };
    // Drained (keeping the list's room for the next op) before any hook runs: a pack hook's
    // own ops note slots of their own.
    let mut slots: Vec<Slot> = PENDING.with(|p| {
        p.borrow_mut()
            .drain(..)
            .filter(|p| needed(p.need))
            .map(|p| Slot {
                name: p.name,
                handle: Some(p.handle),
                original: p.original,
                packed: None,
            })
            .collect()
    });
    let hooks = if ACTIVE.get() {
        HOOKS.with(|h| h.borrow().last().cloned())
    } else {
        None
    };
    if let Some(h) = &hooks {
        for slot in &mut slots {
            let t = match &slot.original {
                Some(w) => match w.upgrade() {
                    Some(inner) => Tensor(inner),
                    None => continue,
                },
                None => out.clone(),
            };
            // PyTorch runs a pack hook with the hooks disabled: what it computes saves nothing.
            ACTIVE.set(false);
            let r = h.pack(&t);
            ACTIVE.set(true);
            match r {
                Ok(packed) => slot.packed = Some(packed),
                Err(e) => park(e),
            }
        }
        if node.saves && slots.is_empty() && !node.host.get() {
            park(TensorError::NotImplemented {
                msg: format!(
                    "torch.autograd.graph.saved_tensors_hooks around {}: lessonrun passes only the tensors saved by mul, pow, exp, mm, mv and addmm (linear) through hooks yet",
                    node.name
                ),
            });
        }
    }
    if !slots.is_empty() {
        *node.saved.borrow_mut() = slots;
    }
}

fn park(e: TensorError) {
    if let Some(hook) = ERROR_HOOK.get() {
        hook(e);
        return;
    }
    ERROR.with(|slot| {
        let mut slot = slot.borrow_mut();
        if slot.is_none() {
            *slot = Some(e);
        }
    });
}

/// Before `node`'s formula runs: each packed slot's handle takes the elements its unpack hook
/// returns.
pub(crate) fn unpack_all(node: &Node) -> Result<()> {
    let slots = node.saved.borrow();
    for s in slots.iter() {
        if let (Some(p), Some(h)) = (&s.packed, &s.handle) {
            replace_elements(h, &p.unpack()?)?;
        }
    }
    Ok(())
}

/// Whether `node` keeps a saved value named `name`.
pub(crate) fn has(node: &Node, name: &str) -> bool {
    node.saved.borrow().iter().any(|s| s.name == name)
}

/// `grad_fn._saved_<name>`: None when the node has no such slot; the unpack hook's result
/// when it was packed (each access unpacks again, as PyTorch's does), else the tensor the op
/// was given (the same object while it lives) or the saved copy.
pub(crate) fn get(node: &Rc<Node>, name: &str) -> Option<Result<Tensor>> {
    let (packed, handle, original) = {
        let slots = node.saved.borrow();
        let s = slots.iter().find(|s| s.name == name)?;
        (s.packed.clone(), s.handle.clone(), s.original.clone())
    };
    let Some(handle) = handle else {
        return Some(Err(TensorError::GraphFreed));
    };
    let original = original.map(|w| w.upgrade().map(Tensor));
    if let Some(p) = packed {
        // PyTorch gives the unpacked elements the history of what was saved: the input's
        // grad_fn (or its leaf), or this node for the op's output.
        return Some(p.unpack().map(|u| {
            let u = u.detach_copy();
            let grad_fn = match &original {
                Some(Some(o)) => o.grad_fn().or_else(|| {
                    o.requires_grad().then(|| u.0.requires_grad.set(true));
                    None
                }),
                Some(None) => None,
                None => Some(node.clone()),
            };
            if let Some(f) = grad_fn {
                u.0.requires_grad.set(true);
                u.set_grad_fn(Some(f));
            }
            u
        }));
    }
    Some(Ok(original.flatten().unwrap_or(handle)))
}

/// Frees the slots of a node whose formula was freed (what a pack hook returned is released
/// then, as PyTorch releases it after backward).
pub(crate) fn release(node: &Node) {
    let freed: Vec<_> = node
        .saved
        .borrow_mut()
        .iter_mut()
        .map(|s| (s.handle.take(), s.packed.take()))
        .collect();
    // Dropped after the borrow ends: what a pack hook returned may run host code when freed.
    drop(freed);
}

/// Gives the saved copy `handle` the elements of `t`, the unpack hook's result (cast to the
/// saved dtype). The copy's buffer is its own, so the tensor the op was given is untouched.
fn replace_elements(handle: &Tensor, t: &Tensor) -> Result<()> {
    let t = if t.dtype() == handle.dtype() {
        t.clone()
    } else {
        t.to_dtype(handle.dtype())?
    };
    if t.shape() != handle.shape() {
        return Err(TensorError::NotImplemented {
            msg: format!(
                "an unpack hook returned a tensor of shape {:?} for a saved tensor of shape {:?}; lessonrun needs the saved shape back",
                t.shape(),
                handle.shape()
            ),
        });
    }
    handle.write_storage(t.storage())
}
