//! A DataLoader's iterator and `RandomSampler(replacement=True)`'s: one batch (or one chunk of
//! 32 indices) per `next`, as PyTorch's single-process iterator and sampler generator make them.
//!
//! Drawing lazily matters twice: a dataset whose `__getitem__` draws random numbers (an
//! augmentation, minGPT's sorting task) interleaves its draws with the training's (dropout,
//! `randn`) batch by batch in PyTorch, and a sampler may be endless in effect
//! (`RandomSampler(ds, replacement=True, num_samples=int(1e10))` in minGPT's trainer).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use super::convert::exc;
use crate::lang::native::NativeObject;
use crate::lang::{Exception, Interpreter, Value};
use crate::tensor::{self as engine, Generator};

type R<T> = Result<T, Exception>;

/// What a loader iterator takes its batches' indices from.
pub(super) enum Indices {
    /// `batch_sampler=`: an iterator of index lists, one per batch.
    Batches(Value),
    /// An iterator of single indices, grouped `batch_size` at a time.
    Single(Value),
}

/// The part of a loader iterator's work that belongs to its loader: where the indices come
/// from (made at the first `next`, when PyTorch's sampler generator starts) and how a batch
/// is made from them.
pub(super) trait Batches {
    fn indices(&self, interp: &mut Interpreter) -> R<Indices>;
    fn batch_size(&self) -> usize;
    fn drop_last(&self) -> bool;
    fn fetch(&self, interp: &mut Interpreter, indices: &[Value]) -> R<Value>;
}

/// `iter(loader)`: batches fetched one `next` at a time.
pub(super) struct LoaderIter {
    loader: Rc<dyn Batches>,
    /// None until the first `next`.
    source: RefCell<Option<Rc<Indices>>>,
    done: std::cell::Cell<bool>,
    /// `num_workers > 0`: the workers' generators, which each batch's fetch draws from.
    workers: Option<super::loader_workers::Workers>,
}

impl LoaderIter {
    pub(super) fn new(loader: Rc<dyn Batches>, workers: Option<super::loader_workers::Workers>) -> Self {
        LoaderIter {
            loader,
            source: RefCell::new(None),
            done: std::cell::Cell::new(false),
            workers,
        }
    }

    fn next_indices(&self, interp: &mut Interpreter) -> R<Option<Vec<Value>>> {
        let existing = self.source.borrow().clone();
        let source = match existing {
            Some(s) => s,
            None => {
                let s = Rc::new(self.loader.indices(interp)?);
                *self.source.borrow_mut() = Some(s.clone());
                s
            }
        };
        match &*source {
            Indices::Batches(it) => match interp.next(it)? {
                Some(batch) => interp.iterate(&batch).map(Some),
                None => Ok(None),
            },
            Indices::Single(it) => {
                let size = self.loader.batch_size();
                let mut batch = Vec::with_capacity(size);
                while batch.len() < size {
                    match interp.next(it)? {
                        Some(i) => batch.push(i),
                        None => break,
                    }
                }
                if batch.is_empty() || (self.loader.drop_last() && batch.len() < size) {
                    return Ok(None);
                }
                Ok(Some(batch))
            }
        }
    }
}

impl NativeObject for LoaderIter {
    fn type_name(&self) -> &str {
        "_SingleProcessDataLoaderIter"
    }
    fn module_name(&self) -> Option<&str> {
        Some("torch.utils.data.dataloader")
    }
    fn iter(&self, this: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(this.clone()))
    }
    fn next(&self, interp: &mut Interpreter) -> R<Option<Value>> {
        if self.done.get() {
            return Ok(None);
        }
        match self.next_indices(interp)? {
            Some(indices) => match &self.workers {
                Some(w) => w.run(|| self.loader.fetch(interp, &indices)).map(Some),
                None => self.loader.fetch(interp, &indices).map(Some),
            },
            None => {
                self.done.set(true);
                Ok(None)
            }
        }
    }
}

/// `iter(RandomSampler(data, replacement=True, num_samples=n))`: `n` indices below `high`,
/// drawn 32 at a time from the sampler's generator as each chunk is reached.
pub(super) struct ReplacementIter {
    generator: Rc<RefCell<Generator>>,
    high: i64,
    remaining: std::cell::Cell<usize>,
    chunk: RefCell<VecDeque<i64>>,
}

impl ReplacementIter {
    pub(super) fn new(generator: Rc<RefCell<Generator>>, high: usize, count: usize) -> Self {
        ReplacementIter {
            generator,
            high: high as i64,
            remaining: std::cell::Cell::new(count),
            chunk: RefCell::new(VecDeque::new()),
        }
    }
}

impl NativeObject for ReplacementIter {
    fn type_name(&self) -> &str {
        "generator"
    }
    fn iter(&self, this: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(this.clone()))
    }
    fn next(&self, _: &mut Interpreter) -> R<Option<Value>> {
        let mut chunk = self.chunk.borrow_mut();
        if chunk.is_empty() {
            let left = self.remaining.get();
            if left == 0 {
                return Ok(None);
            }
            // PyTorch's generator draws full chunks of 32, then the remainder.
            let size = left.min(32);
            self.remaining.set(left - size);
            let drawn = engine::randint(&mut self.generator.borrow_mut(), 0, self.high, &[size])
                .map_err(exc)?;
            chunk.extend(drawn.to_scalars().into_iter().map(|s| match s {
                engine::Scalar::Int(i) => i,
                _ => 0,
            }));
        }
        Ok(chunk.pop_front().map(Value::Int))
    }
}
