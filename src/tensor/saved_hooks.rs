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

/// A value an op's formula reads, given to [`keep`] once the op recorded its node.
pub(crate) struct Saved<'a> {
    name: &'static str,
    /// The copy the formula reads.
    handle: &'a Tensor,
    /// The tensor the op was given (`_saved_self is a`); None for the op's own output.
    original: Option<&'a Tensor>,
    need: Need,
}

impl<'a> Saved<'a> {
    /// The op's input `original`, read by the formula as `handle`, as `_saved_<name>`.
    pub(crate) fn input(name: &'static str, handle: &'a Tensor, original: &'a Tensor, need: Need) -> Self {
        Saved { name, handle, original: Some(original), need }
    }

    /// The op's own output (`_saved_result`), read by the formula as `handle`.
    pub(crate) fn result(handle: &'a Tensor) -> Self {
        Saved { name: "result", handle, original: None, need: Need::Always }
    }
}

/// A node's saved values. The first two are kept inline: a node is made for every op a
/// training loop runs, and the ops that note values note one or two, so noting costs no
/// allocation (a `Vec` per node made small loops 6% slower).
#[derive(Default)]
pub(crate) struct Slots {
    head: [Option<Slot>; 2],
    rest: Vec<Slot>,
}

impl Slots {
    fn push(&mut self, slot: Slot) {
        match self.head.iter_mut().find(|s| s.is_none()) {
            Some(free) => *free = Some(slot),
            None => self.rest.push(slot),
        }
    }

    fn iter(&self) -> impl Iterator<Item = &Slot> {
        self.head.iter().flatten().chain(&self.rest)
    }

    fn iter_mut(&mut self) -> impl Iterator<Item = &mut Slot> {
        self.head.iter_mut().flatten().chain(&mut self.rest)
    }
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

/// Gives the node `out` was just recorded with (if grad mode made one) the values its formula
/// reads, packing them when hooks are active. Called by an op right after it records: without
/// a node it costs nothing, and nothing noted can reach another op's node. An op that saves
/// values but keeps none cannot go through hooks yet.
pub(crate) fn keep(out: &Tensor, saved: &[Saved]) {
    let node = match &*out.0.grad_fn.borrow() {
        Some(node) => node.clone(),
        None => return,
    };
    attach_slots(&node, out, saved);
}

/// The nodes whose ops [`keep`] their saved values (named as PyTorch names them).
const KEEPING: [&str; 6] = ["MulBackward0", "PowBackward0", "ExpBackward0", "MmBackward0", "MvBackward0", "AddmmBackward0"];

/// Called for every node made while hooks are active: a node whose formula reads saved values
/// its op does not keep would silently skip the hooks, so it is refused instead.
pub(crate) fn recorded(node: &Node) {
    if ACTIVE.get() && node.saves && !node.host.get() && !KEEPING.contains(&node.name) {
        refuse(node);
    }
}

fn refuse(node: &Node) {
    park(TensorError::NotImplemented {
        msg: format!(
            "torch.autograd.graph.saved_tensors_hooks around {}: lessonrun passes only the tensors saved by mul, pow, exp, mm, mv and addmm (linear) through hooks yet",
            node.name
        ),
    });
}

fn attach_slots(node: &Node, out: &Tensor, saved: &[Saved]) {
    let needed = |need: Need| match need {
        Need::Always => true,
        Need::Input(i) => node.edges.get(i).is_some_and(|e| e.target.is_some()),
    };
    let mut slots = Slots::default();
    for s in saved.iter().filter(|s| needed(s.need)) {
        slots.push(Slot {
            name: s.name,
            handle: Some(s.handle.clone()),
            original: s.original.map(|o| Rc::downgrade(&o.0)),
            packed: None,
        });
    }
    let hooks = if ACTIVE.get() {
        HOOKS.with(|h| h.borrow().last().cloned())
    } else {
        None
    };
    if let Some(h) = &hooks {
        for slot in slots.iter_mut() {
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
    }
    if slots.head[0].is_some() {
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
    // One at a time, each dropped after the borrow ends: what a pack hook returned may run
    // host code when freed.
    loop {
        let freed = {
            let mut slots = node.saved.borrow_mut();
            match slots.iter_mut().find(|s| s.handle.is_some() || s.packed.is_some()) {
                Some(s) => (s.handle.take(), s.packed.take()),
                None => break,
            }
        };
        drop(freed);
    }
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
