//! Copies of tensors for a live preview's per-cell snapshots: a copy shares its elements (an
//! immutable `Rc<Storage>`, replaced or copied on write) but not its buffer, version counter,
//! gradient or flags, so writes to the original after the snapshot are not seen by the copy.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use super::super::Tensor;
use super::super::tensor::{Backing, Inner};
use super::{Shared, View};

/// A memoised copier: a tensor, or a buffer, reached twice is copied once, so aliases
/// (`detach()`, `.data`, views of one base) stay aliases among the copies.
#[derive(Default)]
pub struct TensorCopier {
    tensors: HashMap<usize, Tensor>,
    buffers: HashMap<usize, Rc<Shared>>,
    /// Bytes of each distinct storage the copies hold, by address.
    storages: HashMap<usize, u64>,
}

impl TensorCopier {
    /// A copy of `t`, or None when `t` carries autograd history or hooks (a graph of closures
    /// the copy could not own).
    pub fn copy(&mut self, t: &Tensor) -> Option<Tensor> {
        let key = Rc::as_ptr(&t.0) as usize;
        if let Some(done) = self.tensors.get(&key) {
            return Some(done.clone());
        }
        let inner = &*t.0;
        if inner.grad_fn.borrow().is_some() || !inner.hooks.borrow().is_empty() {
            return None;
        }
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
            Some(g) => Some(self.copy(g)?),
            None => None,
        };
        let copy = Tensor(Rc::new(Inner {
            id: inner.id,
            data,
            requires_grad: Cell::new(inner.requires_grad.get()),
            grad: RefCell::new(grad),
            grad_fn: RefCell::new(None),
            retains_grad: Cell::new(inner.retains_grad.get()),
            is_param: inner.is_param,
            hooks: RefCell::new(Vec::new()),
        }));
        self.tensors.insert(key, copy.clone());
        Some(copy)
    }

    fn buffer(&mut self, shared: &Rc<Shared>) -> Rc<Shared> {
        let key = Rc::as_ptr(shared) as usize;
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
