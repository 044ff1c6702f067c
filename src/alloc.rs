//! The process's memory allocator: mimalloc, called through its plain (unaligned) entry points,
//! and a per-thread byte budget (a lesson's memory limit covers every allocation its thread
//! makes: Python values, tensors, the interpreter's own structures).
//!
//! Interpreted Python allocates a frame, an argument list and boxed values on every call;
//! mimalloc's small-object path is several times cheaper than glibc's malloc. The `mimalloc`
//! crate's own wrapper sends every request through `mi_malloc_aligned`, whose extra checks cost
//! as much again, so requests with at most the alignment `mi_malloc` guarantees go straight to
//! it (see BENCHMARKS.md, pure-Python section).
//!
//! The budget is one thread-local signed count of bytes still allowed ("headroom"): an
//! allocation subtracts its size, a free adds it back, so the fast path is one add and one sign
//! test. An allocator cannot fail gracefully (Rust aborts on a null return), so going below zero
//! never refuses the request: it records the crossing and calls the thread's hook once, and the
//! host turns that into a `MemoryError` after the expression. Sizes computed from lesson input
//! are checked against [`headroom`] before allocating (see `lang::limits`), so one huge request
//! never reaches the allocator.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::ffi::c_void;

use libmimalloc_sys as mi;

/// What `mi_malloc` guarantees on 64-bit targets (`MI_MAX_ALIGN_SIZE`).
const PLAIN_ALIGN: usize = 16;

/// Headroom of a thread without a budget: never reached.
const UNLIMITED: isize = isize::MAX / 2;

/// Bytes granted past the budget at each crossing, so that the code that runs next (the end of
/// the cell, a later cell freeing what it holds) can allocate a little; at most `GRACE_TOTAL`
/// in all, so the thread's bytes stay bounded by the budget plus that.
const GRACE: isize = 8 << 20;
const GRACE_TOTAL: isize = 64 << 20;

thread_local! {
    static HEADROOM: Cell<isize> = const { Cell::new(UNLIMITED) };
    static LIMIT: Cell<isize> = const { Cell::new(UNLIMITED) };
    static GRACE_LEFT: Cell<isize> = const { Cell::new(GRACE_TOTAL) };
    static TRIPPED: Cell<bool> = const { Cell::new(false) };
    static ON_OVER: Cell<Option<fn()>> = const { Cell::new(None) };
}

#[inline(always)]
fn charge(bytes: usize) {
    let h = HEADROOM.get().wrapping_sub(bytes as isize);
    HEADROOM.set(h);
    if h < 0 {
        over();
    }
}

#[inline(always)]
fn credit(bytes: usize) {
    HEADROOM.set(HEADROOM.get().wrapping_add(bytes as isize));
}

#[cold]
#[inline(never)]
fn over() {
    let grace = GRACE.min(GRACE_LEFT.get());
    if grace > 0 {
        GRACE_LEFT.set(GRACE_LEFT.get() - grace);
        HEADROOM.set(HEADROOM.get() + grace);
        LIMIT.set(LIMIT.get() + grace);
    }
    if !TRIPPED.get() {
        TRIPPED.set(true);
        if let Some(hook) = ON_OVER.get() {
            hook();
        }
    }
}

/// Gives the current thread a budget of `limit` bytes from now on (`None`: no budget), and
/// what to call when an allocation first goes over it. The hook runs inside the allocator: it
/// must not allocate (raising a flag is what it is for).
pub fn set_thread_budget(limit: Option<u64>, on_over: Option<fn()>) {
    let limit = limit.map_or(UNLIMITED, |l| l.min(UNLIMITED as u64) as isize);
    HEADROOM.set(limit);
    LIMIT.set(limit);
    GRACE_LEFT.set(if limit == UNLIMITED { 0 } else { GRACE_TOTAL });
    TRIPPED.set(false);
    ON_OVER.set(on_over);
}

/// Bytes the current thread may still allocate under its budget (negative when over it).
pub fn headroom() -> i64 {
    HEADROOM.get() as i64
}

/// Bytes allocated (and not freed) by this thread since its budget was set.
pub fn used() -> u64 {
    LIMIT.get().saturating_sub(HEADROOM.get()).max(0) as u64
}

/// Whether the budget was crossed since the last call (and clears that). Each crossing moves
/// the budget up by a small grace (64 MiB in all), so the next one comes only after more
/// allocation; once the grace is spent, every allocation over the budget is a crossing.
pub fn take_over_budget() -> bool {
    TRIPPED.replace(false)
}

/// mimalloc's `mi_option_purge_delay`, and its option setter (part of the C library that
/// libmimalloc-sys builds; the crate declares it only with its `extended` feature).
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;
unsafe extern "C" {
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

/// Keeps freed memory committed for a second before handing it back to the OS, unless the
/// environment set `MIMALLOC_PURGE_DELAY`. mimalloc's default, 10 ms, is shorter than a
/// training step, which frees and allocates again the same large buffers (conv columns, f64
/// copies, gradients): each return made the next step fault in and zero fresh pages, a third
/// of a LeNet step's time (BENCHMARKS.md, issue #10 layers). Call once, at start-up.
pub fn keep_freed_pages() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: setting an option is allowed at any time; the purge reads it each time.
        unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, 1000) };
    }
}

/// mimalloc's `mi_option_allow_thp`.
const MI_OPTION_ALLOW_THP: std::ffi::c_int = 37;
#[cfg(target_os = "linux")]
const PR_SET_THP_DISABLE: std::ffi::c_int = 41;
#[cfg(target_os = "linux")]
unsafe extern "C" {
    fn prctl(option: std::ffi::c_int, ...) -> std::ffi::c_int;
}

/// Turns transparent huge pages off for the process, unless the environment set
/// `MIMALLOC_ALLOW_THP` (mimalloc then decides, as documented). mimalloc asks for huge pages on
/// its arenas, so the first write anywhere in a fresh 2 MiB region makes the kernel zero all
/// of it; where the host backs guest memory lazily (this project's VMs), each such fault costs
/// milliseconds, and `d2l-transformer` (small tensors) spent 3-15 times its own CPU time in
/// the kernel's `clear_page_erms` (BENCHMARKS.md, branch tutperf2). With 4 KiB pages only what is written is
/// faulted in. mimalloc's own start-up, which would make the same `prctl` for the option, has
/// already run by `main`, so the option stops its later `madvise` calls and the `prctl` covers
/// the regions it already advised. Child processes inherit the setting (the `--worker` children, which want
/// it too, and `--engine pytorch`'s Python). Call once, at start-up.
pub fn no_huge_pages() {
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_some() {
        return;
    }
    // SAFETY: setting an option is allowed at any time; mimalloc reads it at each OS request.
    unsafe { mi_option_set(MI_OPTION_ALLOW_THP, 0) };
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes one integer argument and changes only this process's
    // page-fault policy; a kernel without it returns an error, which leaves things as they were.
    unsafe {
        prctl(PR_SET_THP_DISABLE, 1 as std::ffi::c_ulong, 0 as std::ffi::c_ulong, 0 as std::ffi::c_ulong, 0 as std::ffi::c_ulong);
    }
}

pub struct MiMalloc;

// SAFETY: each method forwards to the mimalloc function with the same contract; memory from
// the aligned entry points is freed by `mi_free` as mimalloc documents. The budget is plain
// thread-local arithmetic (const-initialised cells without destructors, so no allocation).
unsafe impl GlobalAlloc for MiMalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        charge(layout.size());
        unsafe {
            if layout.align() <= PLAIN_ALIGN {
                mi::mi_malloc(layout.size()) as *mut u8
            } else {
                mi::mi_malloc_aligned(layout.size(), layout.align()) as *mut u8
            }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        charge(layout.size());
        unsafe {
            if layout.align() <= PLAIN_ALIGN {
                mi::mi_zalloc(layout.size()) as *mut u8
            } else {
                mi::mi_zalloc_aligned(layout.size(), layout.align()) as *mut u8
            }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        credit(layout.size());
        unsafe { mi::mi_free(ptr as *mut c_void) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size >= layout.size() {
            charge(new_size - layout.size());
        } else {
            credit(layout.size() - new_size);
        }
        unsafe {
            if layout.align() <= PLAIN_ALIGN {
                mi::mi_realloc(ptr as *mut c_void, new_size) as *mut u8
            } else {
                mi::mi_realloc_aligned(ptr as *mut c_void, new_size, layout.align()) as *mut u8
            }
        }
    }
}

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;
