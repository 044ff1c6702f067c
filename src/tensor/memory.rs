//! Bytes held by the live tensor storages of the current thread, and an optional limit on them.
//!
//! A lesson runs on a thread of its own, so these per-thread figures are per-lesson figures.
//! A storage is registered when a tensor takes it. It is freed when its last `Rc` goes, which
//! the registry sees through a `Weak` when it sweeps: before it reports a figure or decides that
//! the limit is exceeded, and whenever it has grown to twice its size after the last sweep (so
//! registering stays O(1) amortised). Figures therefore never drift, whoever drops a storage.
//!
//! Exceeding the limit cannot fail the allocation itself (tensors are built infallibly all over
//! the engine), so it is recorded instead; whoever drives the engine asks
//! [`take_memory_exceeded`] after each step and turns it into an error.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use super::storage::Storage;

/// The limit was crossed: `requested` bytes were being added to `in_use` bytes already held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryExceeded {
    pub requested: u64,
    pub in_use: u64,
    pub limit: u64,
}

#[derive(Default)]
struct Registry {
    entries: Vec<(Weak<Storage>, u64)>,
    /// Bytes of the registered storages, counting those dropped since the last sweep.
    counted: u64,
    limit: Option<u64>,
    sweep_at: usize,
    exceeded: Option<MemoryExceeded>,
}

impl Registry {
    fn sweep(&mut self) {
        let mut freed = 0;
        self.entries.retain(|(w, bytes)| {
            let alive = w.strong_count() > 0;
            if !alive {
                freed += *bytes;
            }
            alive
        });
        self.counted -= freed;
        self.sweep_at = (2 * self.entries.len()).max(1024);
    }
}

thread_local! {
    static REGISTRY: RefCell<Registry> = RefCell::new(Registry::default());
    /// Called when the limit is first crossed, so a host can notice without polling.
    static ON_EXCEEDED: RefCell<Option<Box<dyn Fn()>>> = const { RefCell::new(None) };
}

/// Sets (or removes) what to call, on this thread, when a storage first crosses the limit.
pub fn set_exceeded_hook(hook: Option<Box<dyn Fn()>>) {
    ON_EXCEEDED.with(|h| *h.borrow_mut() = hook);
}

/// Bytes one storage holds: elements times the element size.
pub(crate) fn storage_bytes(s: &Storage) -> u64 {
    // A storage's dtype is the wide array it holds (narrow dtypes live in wide arrays).
    s.numel() as u64 * s.dtype().element_size() as u64
}

/// Registers a new storage a tensor has just taken. Call it once per storage: a tensor that
/// shares another tensor's storage (`detach`, saved values) must not register it again.
pub(crate) fn track(s: &Rc<Storage>) {
    REGISTRY.with(|r| {
        let mut r = r.borrow_mut();
        let bytes = storage_bytes(s);
        if r.entries.len() >= r.sweep_at {
            r.sweep();
        }
        if let Some(limit) = r.limit
            && r.counted + bytes > limit
        {
            r.sweep();
            if r.counted + bytes > limit && r.exceeded.is_none() {
                r.exceeded = Some(MemoryExceeded { requested: bytes, in_use: r.counted, limit });
                ON_EXCEEDED.with(|h| {
                    if let Some(hook) = &*h.borrow() {
                        hook();
                    }
                });
            }
        }
        r.entries.push((Rc::downgrade(s), bytes));
        r.counted += bytes;
    });
}

/// Sets (or with `None` removes) the limit on the bytes all live tensors of this thread hold.
/// Also forgets an exceeded limit not yet taken.
pub fn set_memory_limit(limit: Option<u64>) {
    REGISTRY.with(|r| {
        let mut r = r.borrow_mut();
        r.limit = limit;
        r.exceeded = None;
    });
}

/// The limit set for this thread.
pub fn memory_limit() -> Option<u64> {
    REGISTRY.with(|r| r.borrow().limit)
}

/// Bytes held by the live tensor storages of this thread.
pub fn memory_in_use() -> u64 {
    REGISTRY.with(|r| {
        let mut r = r.borrow_mut();
        r.sweep();
        r.counted
    })
}

/// Whether `bytes` more would fit under this thread's limit (with what is live now) and under
/// the thread's allocator budget, which also counts the lesson's other values and the buffers
/// an operation holds while it builds a new storage (an in-place fill draws a whole new array
/// before the old one goes). The allocator cannot refuse a request, only note it afterwards,
/// so a large one must be asked about here first.
pub fn fits(bytes: u64) -> bool {
    let tensors = match memory_limit() {
        None => true,
        Some(limit) => memory_in_use().saturating_add(bytes) <= limit,
    };
    tensors && i64::try_from(bytes).is_ok_and(|b| b <= crate::alloc::headroom())
}

/// `OverBudget` unless a new array of `bytes` fits (see [`fits`]). Small arrays pass without
/// a sweep: they are counted when their storage registers.
pub(crate) fn reserve(bytes: u64) -> super::Result<()> {
    if bytes < 4 << 20 || fits(bytes) {
        return Ok(());
    }
    Err(super::TensorError::OverBudget { mib: bytes >> 20, limit_mib: memory_limit().unwrap_or(0) >> 20 })
}

/// The first crossing of the limit since the last call, if any (and clears it).
pub fn take_memory_exceeded() -> Option<MemoryExceeded> {
    REGISTRY.with(|r| r.borrow_mut().exceeded.take())
}
