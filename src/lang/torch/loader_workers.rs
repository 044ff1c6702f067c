//! A DataLoader's worker processes as their random streams: with `num_workers > 0` PyTorch
//! fetches batch `k` in worker `k % num_workers`, whose default generator was seeded with the
//! iterator's base seed plus the worker's id, so a dataset's `__getitem__` that draws random
//! numbers (an augmentation) draws from that worker's stream, not the lesson's.
//!
//! lessonrun makes every batch in its one process; what it keeps of the workers is their
//! generators, swapped in around each fetch.

use std::cell::RefCell;
use std::rc::Rc;

use crate::tensor::Generator;

/// One iterator's workers: a generator each, and which worker fetches next.
pub(super) struct Workers {
    /// The lesson's default generator, which `torch.rand` in `__getitem__` reads.
    default: Rc<RefCell<Generator>>,
    gens: RefCell<Vec<Generator>>,
    next: std::cell::Cell<usize>,
}

impl Workers {
    /// `_worker_loop` seeds worker `i` with `torch.manual_seed(base_seed + i)`; a new iterator
    /// (each epoch, without `persistent_workers`) starts new workers from a new base seed.
    pub(super) fn new(default: Rc<RefCell<Generator>>, base_seed: u64, count: usize) -> Self {
        let gens = (0..count as u64)
            .map(|i| Generator::new(base_seed.wrapping_add(i)))
            .collect();
        Workers {
            default,
            gens: RefCell::new(gens),
            next: std::cell::Cell::new(0),
        }
    }

    /// Runs `fetch` with the next worker's generator as the default one (batches go to the
    /// workers in turn, as `_try_put_index` cycles through them), restoring the lesson's
    /// generator afterwards whether or not the fetch raised.
    pub(super) fn run<T>(&self, fetch: impl FnOnce() -> T) -> T {
        let k = self.next.get();
        let count = self.gens.borrow().len();
        self.next.set((k + 1) % count);
        let swap = |gens: &RefCell<Vec<Generator>>| {
            std::mem::swap(&mut *self.default.borrow_mut(), &mut gens.borrow_mut()[k]);
        };
        swap(&self.gens);
        let out = fetch();
        swap(&self.gens);
        out
    }
}
