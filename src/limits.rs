//! A lesson's limits, installed on its thread by `execute`: the memory budget (allocator and
//! tensor engine), the stack guard, the stop flag of its clock (`watchdog`), and the one
//! resource check through which the interpreter learns that one of them was hit.
//!
//! `lang`, `tensor` and the allocator each raise a flag of their own and know nothing of each
//! other; this module is where those flags become Python exceptions.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Duration;

use crate::lang::{Exception, Interpreter};
use crate::watchdog::{StopReason, Watchdog};

/// Bytes of the lesson thread's stack kept free below the last check (see `lang::limits`):
/// room for the deepest work between two checks (an expression nested to the parser's limit).
const STACK_RESERVE: usize = 64 << 20;

/// What the allocator's budget allows on top of the lesson's memory limit: the interpreter's
/// own structures on the lesson thread (parsed and compiled code, outputs) are not the
/// lesson's values, and a small limit (`memory-limit: 1MiB`) is meant for its tensors.
const INTERPRETER_ALLOWANCE: u64 = 64 << 20;

struct Limits {
    watchdog: Arc<Watchdog>,
    cell_time_limit: Option<Duration>,
    lesson_time_limit: Option<Duration>,
    memory_limit: Option<u64>,
}

thread_local! {
    static LIMITS: RefCell<Option<Limits>> = const { RefCell::new(None) };
}

/// Installs the limits on the current (lesson) thread, whose stack is `stack_size` bytes.
/// Call it once the interpreter is set up: the memory budget counts from here.
pub(crate) fn install(
    interp: &mut Interpreter,
    watchdog: Arc<Watchdog>,
    options: &crate::execute::RunOptions,
    stack_size: usize,
) {
    crate::lang::limits::set_stack_size(stack_size, STACK_RESERVE);
    interp.set_stop_flag(Some(watchdog.flag()));
    crate::tensor::interrupt::set_stop_flag(
        Some(watchdog.flag()),
        Some(crate::lang::interp::raise_resource_flag),
    );
    crate::tensor::set_memory_limit(options.memory_limit);
    crate::tensor::set_exceeded_hook(Some(Box::new(crate::lang::interp::raise_resource_flag)));
    let budget = options
        .memory_limit
        .map(|l| l.saturating_add(INTERPRETER_ALLOWANCE));
    crate::alloc::set_thread_budget(budget, Some(crate::lang::interp::raise_resource_flag));
    crate::lang::limits::set_budget_check(Some(fits));
    crate::lang::limits::set_stop_check(Some(crate::tensor::interrupt::should_stop));
    interp.set_resource_check(Some(check));
    LIMITS.with(|l| {
        *l.borrow_mut() = Some(Limits {
            watchdog,
            cell_time_limit: options.cell_time_limit,
            lesson_time_limit: options.lesson_time_limit,
            memory_limit: options.memory_limit,
        })
    });
}

/// Removes what [`install`] set on this thread.
pub(crate) fn uninstall() {
    crate::tensor::set_exceeded_hook(None);
    crate::tensor::interrupt::set_stop_flag(None, None);
    crate::alloc::set_thread_budget(None, None);
    crate::lang::limits::set_budget_check(None);
    crate::lang::limits::set_stop_check(None);
    LIMITS.with(|l| l.borrow_mut().take());
}

/// Whether `bytes` more fit the lesson's budget now.
fn fits(bytes: u64) -> bool {
    i64::try_from(bytes).is_ok_and(|b| b <= crate::alloc::headroom())
}

/// The interpreter's resource check: a stop from the clock first, then memory.
fn check() -> Option<Exception> {
    let (reason, cell, lesson, memory) = LIMITS.with(|l| {
        let l = l.borrow();
        let l = l.as_ref()?;
        Some((
            l.watchdog.reason(),
            l.cell_time_limit,
            l.lesson_time_limit,
            l.memory_limit,
        ))
    })?;
    match reason {
        Some(StopReason::Cancelled) => return Some(cancelled()),
        Some(StopReason::CellTimeout) => return Some(cell_timeout(cell.unwrap_or_default())),
        Some(StopReason::LessonTimeout) => return Some(lesson_timeout(lesson.unwrap_or_default())),
        None => {}
    }
    if let Some(e) = crate::execute::memory_check() {
        crate::alloc::take_over_budget();
        return Some(e);
    }
    if crate::alloc::take_over_budget() {
        let limit = memory.unwrap_or(0);
        let used = crate::alloc::used();
        let suggestion =
            crate::execute::format_bytes(used.max(limit).saturating_mul(2).next_power_of_two())
                .replace(' ', "");
        return Some(Exception::limit(
            "MemoryError",
            format!(
                "this lesson's values would take {}, over its memory limit of {}; raise the limit with `--memory-limit {suggestion}`",
                crate::execute::format_bytes(used),
                crate::execute::format_bytes(limit),
            ),
        ));
    }
    None
}

pub(crate) fn cancelled() -> Exception {
    Exception::limit("KeyboardInterrupt", "the run was cancelled")
}

pub(crate) fn cell_timeout(limit: Duration) -> Exception {
    Exception::limit(
        "TimeoutError",
        format!(
            "cell exceeded the time limit of {:.1}s",
            limit.as_secs_f64()
        ),
    )
}

pub(crate) fn lesson_timeout(limit: Duration) -> Exception {
    Exception::limit(
        "TimeoutError",
        format!(
            "the lesson exceeded its time budget of {:.1}s",
            limit.as_secs_f64()
        ),
    )
}
