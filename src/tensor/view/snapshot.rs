//! Copies of tensors for a live preview's per-cell snapshots: a copy shares its elements (an
//! immutable `Rc<Storage>`, replaced or copied on write) but not its buffer, version counter,
//! gradient or flags, so writes to the original after the snapshot are not seen by the copy.
//!
//! A tensor with autograd history is copied with its graph: each node is copied (its edges
//! lead to the copies of the nodes and leaves they led to, so a later `backward()` from the
//! restored state accumulates into the restored parameters), while the formulas are shared,
//! since they only read the values they saved, which nothing can write. Hooks, and formulas
//! the host wrote (`torch.autograd.Function`), may reach mutable host state: a tensor whose
//! graph holds one is not copied.
//!
//! The same copier serialises for `torch.save` ([`TensorCopier::detached`]): as pickle does,
//! each copy is a leaf keeping only its elements, views and `requires_grad`; its graph,
//! gradient and hooks are left behind.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use super::super::Tensor;
use super::super::autograd::{Edge, Node, Target};
use super::super::tensor::{Backing, Inner};
use super::{Shared, View};

/// A memoised copier: a tensor, a buffer or a graph node reached twice is copied once, so
/// aliases (`detach()`, `.data`, views of one base, two results of one graph) stay aliases
/// among the copies.
#[derive(Default)]
pub struct TensorCopier {
    tensors: HashMap<usize, Tensor>,
    buffers: HashMap<usize, Rc<Shared>>,
    nodes: HashMap<usize, Rc<Node>>,
    /// Tensors being copied (a leaf whose `.grad` has a graph leading back to the leaf).
    busy: HashSet<usize>,
    /// Bytes of each distinct storage the copies hold, by address.
    storages: HashMap<usize, u64>,
    /// Copies are leaves without graph, gradient or hooks (`torch.save`).
    detached: bool,
}

fn addr<T: ?Sized>(rc: &Rc<T>) -> usize {
    Rc::as_ptr(rc) as *const u8 as usize
}

impl TensorCopier {
    /// A copier for `torch.save`: copies keep elements, views and `requires_grad` only.
    pub fn detached() -> Self {
        TensorCopier { detached: true, ..TensorCopier::default() }
    }

    /// A copy of `t`, or None when `t` or its graph carries hooks or host formulas.
    pub fn copy(&mut self, t: &Tensor) -> Option<Tensor> {
        let key = addr(&t.0);
        if let Some(done) = self.tensors.get(&key) {
            return Some(done.clone());
        }
        if !self.busy.insert(key) {
            return None;
        }
        let copy = self.copy_new(t);
        self.busy.remove(&key);
        let copy = copy?;
        self.tensors.insert(key, copy.clone());
        Some(copy)
    }

    fn copy_new(&mut self, t: &Tensor) -> Option<Tensor> {
        let inner = &*t.0;
        if !inner.hooks.borrow().is_empty() && !self.detached {
            return None;
        }
        let grad_fn = match &*inner.grad_fn.borrow() {
            Some(n) if !self.detached => Some(self.node(n)?),
            _ => None,
        };
        let data = match &inner.data {
            Backing::Own(shared) => Backing::Own(self.buffer(shared)),
            Backing::View(v) => {
                let base = match &v.base {
                    Some((b, layout)) => Some((self.copy(b)?, layout.clone())),
                    None => None,
                };
                Backing::View(View {
                    root: self.buffer(&v.root),
                    layout: v.layout.clone(),
                    cache: RefCell::new(None),
                    base,
                    grad_version: Cell::new(v.grad_version.get()),
                    creation: v.creation,
                })
            }
        };
        let grad = match &*inner.grad.borrow() {
            Some(g) if !self.detached => Some(self.copy(g)?),
            _ => None,
        };
        let copy = Tensor(Rc::new(Inner {
            // A snapshot's copy replaces its original; a saved one lives beside it.
            id: if self.detached { super::super::tensor::next_id() } else { inner.id },
            data,
            requires_grad: Cell::new(inner.requires_grad.get()),
            grad: RefCell::new(grad),
            grad_fn: RefCell::new(grad_fn.clone()),
            retains_grad: Cell::new(inner.retains_grad.get() && !self.detached),
            is_param: inner.is_param,
            hooks: RefCell::new(Vec::new()),
            // Saved values live in formulas, which snapshots share rather than copy.
            origin: RefCell::new(None),
        }));
        // `retain_grad()` registered the original with its node: register the copy likewise.
        if let (Some(old), Some(new)) = (&*inner.grad_fn.borrow(), &grad_fn)
            && old
                .retained
                .borrow()
                .iter()
                .any(|w| std::ptr::eq(w.as_ptr(), inner))
        {
            new.retained.borrow_mut().push(Rc::downgrade(&copy.0));
        }
        Some(copy)
    }

    /// The copy of the graph below `root`, walked with a stack of its own (a graph built by a
    /// long loop is as deep as the loop is long).
    pub(crate) fn node(&mut self, root: &Rc<Node>) -> Option<Rc<Node>> {
        let mut stack = vec![(root.clone(), false)];
        while let Some((n, expanded)) = stack.pop() {
            let key = addr(&n);
            if self.nodes.contains_key(&key) {
                continue;
            }
            if n.host.get() || !n.hooks.borrow().is_empty() {
                return None;
            }
            if !expanded {
                stack.push((n.clone(), true));
                for e in &n.edges {
                    if let Some(Target::Node(m)) = &e.target
                        && !self.nodes.contains_key(&addr(m))
                    {
                        stack.push((m.clone(), false));
                    }
                }
                continue;
            }
            let mut edges = Vec::with_capacity(n.edges.len());
            for e in &n.edges {
                let target = match &e.target {
                    Some(Target::Node(m)) => Some(Target::Node(self.nodes.get(&addr(m))?.clone())),
                    Some(Target::Leaf(t)) => Some(Target::Leaf(self.copy(t)?)),
                    None => None,
                };
                edges.push(Edge {
                    target,
                    shape: e.shape.clone(),
                    dtype: e.dtype,
                });
            }
            let copy = Rc::new(Node {
                name: n.name,
                seq: n.seq,
                edges,
                saves: n.saves,
                backward: RefCell::new(n.backward.borrow().clone()),
                retained: RefCell::new(Vec::new()),
                hooks: RefCell::new(Vec::new()),
                host: Cell::new(false),
                relay: Cell::new(n.relay.get()),
                saved: RefCell::default(),
            });
            self.nodes.insert(key, copy);
        }
        self.nodes.get(&addr(root)).cloned()
    }

    fn buffer(&mut self, shared: &Rc<Shared>) -> Rc<Shared> {
        let key = addr(shared);
        if let Some(done) = self.buffers.get(&key) {
            return done.clone();
        }
        let data = shared.data.borrow().clone();
        self.storages.insert(
            Rc::as_ptr(&data) as usize,
            super::super::memory::storage_bytes(&data),
        );
        let copy = Rc::new(Shared {
            data: RefCell::new(data),
            version: Cell::new(shared.version.get()),
            narrow: Cell::new(shared.narrow.get()),
        });
        self.buffers.insert(key, copy.clone());
        copy
    }

    /// Bytes of the distinct element storages the copies made so far hold.
    pub fn bytes(&self) -> u64 {
        self.storages.values().sum()
    }
}
