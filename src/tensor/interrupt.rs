//! A stop request for the current thread's long native loops (matmul, random fills).
//!
//! The host owns one flag per lesson, raised from another thread when a cell's deadline passes
//! or the run is cancelled, and a live preview one more per save (its cancel flag), raised
//! when a newer save makes the run stale. A loop that may run for more than a few milliseconds polls
//! [`should_stop`] between blocks of work and, when it says so, returns early with a partial
//! result: the engine's results stay infallible, and the host, told through the hook, turns
//! the stop into the cell's error before anything can see that result.

use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

thread_local! {
    static FLAG: RefCell<Option<Arc<AtomicBool>>> = const { RefCell::new(None) };
    /// A copy of `FLAG`'s pointer, so polling costs no borrow.
    static RAW: Cell<*const AtomicBool> = const { Cell::new(std::ptr::null()) };
    static ON_STOP: Cell<Option<fn()>> = const { Cell::new(None) };
    static CANCEL: RefCell<Option<Arc<AtomicBool>>> = const { RefCell::new(None) };
    static CANCEL_RAW: Cell<*const AtomicBool> = const { Cell::new(std::ptr::null()) };
}

/// Sets (or removes) the flag this thread's loops poll, and what to call when one stops early.
pub fn set_stop_flag(flag: Option<Arc<AtomicBool>>, on_stop: Option<fn()>) {
    RAW.set(flag.as_ref().map_or(std::ptr::null(), Arc::as_ptr));
    FLAG.with(|f| *f.borrow_mut() = flag);
    ON_STOP.set(on_stop);
}

/// Sets (or removes) the second flag this thread's loops poll (a live preview's per-save
/// cancel flag); a stop it causes is reported through the same hook.
pub fn set_cancel_flag(flag: Option<Arc<AtomicBool>>) {
    CANCEL_RAW.set(flag.as_ref().map_or(std::ptr::null(), Arc::as_ptr));
    CANCEL.with(|f| *f.borrow_mut() = flag);
}

fn raised(raw: *const AtomicBool) -> bool {
    // SAFETY: each raw pointer points into the `Arc` its cell (`FLAG`, `CANCEL`) keeps alive
    // on this same thread.
    !raw.is_null() && unsafe { &*raw }.load(Ordering::Relaxed)
}

/// How many times a native loop, on any thread, has given up early: a host's tests tell from
/// it that a stop reached inside native work rather than at the next interpreter tick.
static STOPS: AtomicU64 = AtomicU64::new(0);

pub fn stops() -> u64 {
    STOPS.load(Ordering::Relaxed)
}

/// Whether the current loop should give up now (the host has been told).
#[inline]
pub fn should_stop() -> bool {
    if !raised(RAW.get()) && !raised(CANCEL_RAW.get()) {
        return false;
    }
    STOPS.fetch_add(1, Ordering::Relaxed);
    if let Some(hook) = ON_STOP.get() {
        hook();
    }
    true
}

/// `n` values from `draw`, in order, polling the stop flag every 64 Ki values; once stopped,
/// the rest are `fill` (the result is dropped with the cell).
pub(crate) fn collect_polled<T: Copy>(n: usize, fill: T, mut draw: impl FnMut() -> T) -> Vec<T> {
    let mut v = Vec::with_capacity(n);
    while v.len() < n {
        if should_stop() {
            v.resize(n, fill);
            break;
        }
        let k = (n - v.len()).min(1 << 16);
        v.extend((0..k).map(|_| draw()));
    }
    v
}
