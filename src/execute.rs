//! The one module that joins lessons to the interpreter: runs a lesson's cells in order.
//!
//! A cell's output is a sequence of typed items (text now; figures and rich values later), so
//! renderers and notebook export never have to re-parse a string. What `check` compares is
//! [`CellRun::text`], the concatenation a terminal would show.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use crate::lang::{Exception, Interpreter, LangError, OutputSink};
use crate::lesson::Lesson;
use crate::source::Span;

/// Limits and knobs for one lesson run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Wall-clock budget of one cell; `None` for no limit.
    pub cell_time_limit: Option<Duration>,
    /// Bytes a lesson may hold (its values and tensors together); `None` for no limit. A
    /// lesson's front matter `memory-limit` may lower it, never raise it.
    pub memory_limit: Option<u64>,
    /// How deep Python calls may nest (CPython's 1000 by default).
    pub recursion_limit: usize,
    /// Wall-clock budget of a whole lesson (CI); `None` for no limit.
    pub lesson_time_limit: Option<Duration>,
    /// Set by the caller to stop the run: the running cell ends with an uncatchable
    /// `KeyboardInterrupt` and the remaining cells do not run.
    pub cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

/// The default of [`RunOptions::memory_limit`]: 2 GiB.
pub const DEFAULT_MEMORY_LIMIT: u64 = 2 << 30;

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            cell_time_limit: Some(Duration::from_secs(60)),
            memory_limit: Some(DEFAULT_MEMORY_LIMIT),
            recursion_limit: crate::lang::interp::RECURSION_LIMIT,
            lesson_time_limit: None,
            cancel: None,
        }
    }
}

/// One thing a cell showed.
#[derive(Clone, Debug, PartialEq)]
pub enum OutputItem {
    Text(String),
    Error(CellError),
    /// A matplotlib figure the cell showed; drawn by `render`, not part of [`CellRun::text`].
    Figure(crate::plot::Figure),
}

/// An uncaught exception (or syntax error, or exceeded limit) that ended a cell.
#[derive(Clone, Debug, PartialEq)]
pub struct CellError {
    /// Python's exception class, e.g. `NameError`.
    pub py_type: String,
    pub message: String,
    /// What Python's traceback ends with: `NameError: name 'x' is not defined`.
    pub last_line: String,
    /// Where it was raised, as offsets into the lesson file.
    pub span: Span,
    /// Calls inside the lesson that led there, outermost first: (function name, call site).
    pub stack: Vec<(String, Span)>,
}

/// What running one cell produced.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CellRun {
    pub items: Vec<OutputItem>,
    /// `skip` cells are not run.
    pub skipped: bool,
    pub duration: Duration,
}

impl CellRun {
    /// The cell's output as one text: what it printed, then the error's last line if it raised.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for item in &self.items {
            match item {
                OutputItem::Text(t) => out.push_str(t),
                OutputItem::Error(e) => {
                    if !out.is_empty() && !out.ends_with('\n') {
                        out.push('\n');
                    }
                    out.push_str(&e.last_line);
                    out.push('\n');
                }
                OutputItem::Figure(_) => {}
            }
        }
        out
    }

    pub fn error(&self) -> Option<&CellError> {
        self.items.iter().find_map(|i| match i {
            OutputItem::Error(e) => Some(e),
            OutputItem::Text(_) | OutputItem::Figure(_) => None,
        })
    }
}

/// The runs of a lesson's cells, index for index with `Lesson::cells`.
#[derive(Clone, Debug, Default)]
pub struct LessonRun {
    pub cells: Vec<CellRun>,
}

/// Sees a running cell's output items so far, after each write (a live preview).
pub(crate) type OutputWatcher<'a> = &'a mut dyn FnMut(&[OutputItem]);

/// Collects what a cell prints into items, joining consecutive writes; `watcher` (a live
/// preview) sees the items after each write.
#[derive(Default)]
struct ItemSink<'a> {
    items: Vec<OutputItem>,
    watcher: Option<OutputWatcher<'a>>,
}

impl OutputSink for ItemSink<'_> {
    fn write(&mut self, text: &str) {
        if let Some(OutputItem::Text(last)) = self.items.last_mut() {
            last.push_str(text);
        } else if !text.is_empty() {
            self.items.push(OutputItem::Text(text.to_string()));
        }
        if let Some(w) = self.watcher.as_mut() {
            w(&self.items);
        }
    }

    fn figure(&mut self, figure: crate::plot::Figure) {
        self.items.push(OutputItem::Figure(figure));
    }
}

/// The interpreter recurses on the Rust stack; Python's own recursion limit (1000 frames) must
/// trip long before the thread's stack does, so lessons run on a thread with a generous stack.
const STACK_SIZE: usize = 256 << 20;

/// Freeing a value nested N levels deep (`x = [x]` in a loop) recurses N times in Rust's drop
/// glue, about 115 bytes of stack per level for some 64 bytes of heap: the stack is reserved
/// (address space, touched only when used) at twice the memory limit so that any nesting the
/// limit allows can be freed; without a limit, at the most we reserve.
fn stack_size(memory_limit: Option<u64>) -> usize {
    const MAX: u64 = 8 << 30;
    let wanted = memory_limit.map_or(MAX, |l| l.saturating_mul(2).saturating_add(128 << 20));
    (wanted.clamp(STACK_SIZE as u64, MAX)) as usize
}

/// Runs every cell of `lesson` top to bottom in one fresh interpreter. Never panics: a cell that
/// crashes the interpreter (a lessonrun bug) ends with an internal-error item and the next cells
/// still run.
pub fn run_lesson(lesson: &Lesson, options: &RunOptions) -> LessonRun {
    let cells: Vec<(String, usize, bool)> =
        lesson.cells.iter().map(|c| (lesson.code(c).to_string(), c.code.start, c.options.skip)).collect();
    let mut options = options.clone();
    // The operator's limit is a ceiling: front matter can only lower it.
    options.memory_limit = match (lesson.memory_limit.filter(|&l| l > 0), options.memory_limit) {
        (Some(mine), Some(ceiling)) => Some(mine.min(ceiling)),
        (mine, ceiling) => ceiling.or(mine),
    };
    let fallback_len = cells.len();
    let folder = lesson.source.path.clone();
    let spawn = |stack: usize| {
        let (cells, options, folder) = (cells.clone(), options.clone(), folder.clone());
        std::thread::Builder::new()
            .name("lesson".into())
            .stack_size(stack)
            .spawn(move || run_cells(&cells, &options, &folder, stack))
    };
    // A machine that refuses the large reservation still runs the lesson, on the usual stack.
    let worker = spawn(stack_size(options.memory_limit)).or_else(|_| spawn(STACK_SIZE));
    match worker.map(|h| h.join()) {
        Ok(Ok(run)) => run,
        _ => LessonRun {
            cells: (0..fallback_len)
                .map(|_| CellRun { items: vec![internal_error("the lesson thread could not run")], ..CellRun::default() })
                .collect(),
        },
    }
}

fn run_cells(cells: &[(String, usize, bool)], options: &RunOptions, lesson_path: &std::path::Path, stack: usize) -> LessonRun {
    let (mut interp, watchdog) = lesson_interpreter(options, lesson_path, stack);
    let lesson_deadline = options.lesson_time_limit.and_then(|l| Instant::now().checked_add(l));
    let mut runs = Vec::with_capacity(cells.len());
    for (code, base, skip) in cells {
        if *skip || is_cancelled(options) {
            runs.push(CellRun { skipped: true, ..CellRun::default() });
            continue;
        }
        // After a cancellation the remaining cells do not run; after the lesson's deadline
        // they do not either, and each says so (a CI run must not pass them silently).
        let ended = match watchdog.reason() {
            Some(crate::watchdog::StopReason::Cancelled) => {
                runs.push(CellRun { skipped: true, ..CellRun::default() });
                continue;
            }
            Some(crate::watchdog::StopReason::LessonTimeout) => {
                Some(crate::limits::lesson_timeout(options.lesson_time_limit.unwrap_or_default()))
            }
            _ => None,
        };
        if let Some(e) = ended {
            let e = LangError { kind: crate::lang::ErrorKind::Limit, py_type: e.py_type().into(), message: e.message().into(), span: Span { start: *base, end: *base }, traceback: Vec::new() };
            runs.push(CellRun { items: vec![cell_error(e)], skipped: false, duration: Duration::ZERO });
            continue;
        }
        let cell_deadline = options.cell_time_limit.and_then(|l| Instant::now().checked_add(l));
        watchdog.arm(match (cell_deadline, lesson_deadline) {
            (Some(c), Some(l)) if l < c => Some((l, crate::watchdog::StopReason::LessonTimeout)),
            (Some(c), _) => Some((c, crate::watchdog::StopReason::CellTimeout)),
            (None, Some(l)) => Some((l, crate::watchdog::StopReason::LessonTimeout)),
            (None, None) => None,
        });
        runs.push(run_cell(&mut interp, code, *base, None));
        // Between cells, no Python code runs: the cycles earlier cells left are freed here
        // once there are many, not only at the lesson's end (a micrograd lesson's graphs).
        crate::lang::cycles::collect_if_grown();
    }
    drop(interp);
    end_thread();
    LessonRun { cells: runs }
}

/// A fresh interpreter for one lesson with `options`' limits installed on the current thread
/// (a thread whose stack is `stack` bytes): the watchdog that ends cells by time or
/// cancellation, the memory budget, the stack guard. Call [`end_thread`] when done.
fn lesson_interpreter(options: &RunOptions, lesson_path: &std::path::Path, stack: usize) -> (Interpreter, std::sync::Arc<crate::watchdog::Watchdog>) {
    // Everything the lesson makes, the interpreter's own modules included, is freed after it
    // even when it forms cycles (see `lang::cycles`).
    crate::lang::cycles::set_tracking(true);
    let mut interp = Interpreter::new();
    // The module torch-oracle runs lessons in: classes print as `<class '__lesson__.Net'>`
    // and `if __name__ == "__main__":` blocks do not run, as there.
    interp.set_global("__name__", crate::lang::Value::str("__lesson__"));
    crate::lang::torch::install(&mut interp);
    crate::lang::matplotlib::install(&mut interp);
    interp.set_file_reader(Some(std::rc::Rc::new(crate::lesson_files::FolderReader::for_lesson(lesson_path))));
    interp.set_recursion_limit(options.recursion_limit);
    let watchdog = std::sync::Arc::new(crate::watchdog::Watchdog::start(options.cancel.clone()));
    crate::limits::install(&mut interp, watchdog.clone(), options, stack);
    (interp, watchdog)
}

/// Whether the host has cancelled the run.
pub fn is_cancelled(options: &RunOptions) -> bool {
    options.cancel.as_ref().is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed))
}

/// The live engine's interpreter (`incremental`): [`lesson_interpreter`] on a thread of
/// `stack` bytes, whose cells are bounded by the interpreter's own polled deadline (the
/// watchdog is armed per cell only by [`run_lesson`]) and cancelled through
/// `Interpreter::set_cancel_flag`, one flag per save.
pub(crate) fn new_interpreter(options: &RunOptions, lesson_path: &std::path::Path, stack: usize) -> Interpreter {
    let (mut interp, _watchdog) = lesson_interpreter(options, lesson_path, stack);
    interp.set_time_limit(options.cell_time_limit);
    interp.set_cancel_flag(options.cancel.clone());
    interp
}

/// Undoes [`lesson_interpreter`]'s per-thread settings and frees what the lesson's values
/// kept alive through cycles; the interpreter must be dropped first.
pub(crate) fn end_thread() {
    crate::lang::cycles::break_cycles();
    crate::limits::uninstall();
}

/// Runs one cell in `interp`, turning errors and interpreter panics into output items;
/// `watcher` sees the items so far after each write.
pub(crate) fn run_cell(interp: &mut Interpreter, code: &str, base: usize, watcher: Option<OutputWatcher<'_>>) -> CellRun {
    let start = Instant::now();
    let mut sink = ItemSink { items: Vec::new(), watcher };
    let result = catch_unwind(AssertUnwindSafe(|| interp.run_cell(code, base, &mut sink)));
    match result {
        Ok(Ok(())) => {}
        Ok(Err(e)) => sink.items.push(cell_error(e)),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            sink.items.push(internal_error(&what));
        }
    }
    CellRun { items: sink.items, skipped: false, duration: start.elapsed() }
}

/// After an expression during which a tensor pushed the lesson over its memory limit (the engine
/// raises the interpreter's flag through its exceeded hook): the cell then
/// ends with a MemoryError that `try` cannot catch; the tensor that crossed the limit is dropped
/// with the expression's value, so later cells run.
pub(crate) fn memory_check() -> Option<Exception> {
    let e = crate::tensor::take_memory_exceeded()?;
    let needed = e.in_use + e.requested;
    let suggestion = needed.next_power_of_two().max(e.limit.saturating_mul(2));
    Some(Exception::limit(
        "MemoryError",
        format!(
            "tensors of this lesson would hold {} (this one: {}), over its memory limit of {}; \
             raise the limit with `memory-limit: {}` in the lesson's front matter or `--memory-limit {}`",
            format_bytes(needed),
            format_bytes(e.requested),
            format_bytes(e.limit),
            format_bytes(suggestion).replace(' ', ""),
            format_bytes(suggestion).replace(' ', ""),
        ),
    ))
}

/// `2 GiB`, `1.5 MiB`, `300 B`: binary units, at most one decimal.
pub fn format_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    let text = if unit == 0 || value.fract() == 0.0 { format!("{value:.0}") } else { format!("{value:.1}") };
    format!("{} {}", text.trim_end_matches(".0"), UNITS[unit])
}

fn cell_error(e: LangError) -> OutputItem {
    OutputItem::Error(CellError {
        last_line: e.last_line(),
        py_type: e.py_type,
        message: e.message,
        span: e.span,
        stack: e.traceback.into_iter().map(|f| (f.function, f.span)).collect(),
    })
}

fn internal_error(what: &str) -> OutputItem {
    OutputItem::Error(CellError {
        py_type: "InternalError".into(),
        message: format!("lessonrun crashed on this cell ({what}); please report it with the cell"),
        last_line: format!("InternalError: lessonrun crashed on this cell ({what})"),
        span: Span::default(),
        stack: Vec::new(),
    })
}
