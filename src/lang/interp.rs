//! The evaluator: runs statements and expressions over `Value`s, with scopes, calls and limits.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

use super::ast::*;
use super::error::{ErrorKind, Exception, Frame, LangError};
use super::format;
use super::native::{Args, Op};
use super::parser;
use super::value::*;

pub(crate) mod compile;
mod snapshot;
pub use snapshot::{Copier, Snapshot};

/// Where `print` writes. The interpreter itself does no I/O.
pub trait OutputSink {
    fn write(&mut self, text: &str);

    /// A figure the cell showed (`plt.show()`, or open when the cell ended), in its place among
    /// the writes. Sinks that keep only text drop it.
    fn figure(&mut self, _figure: crate::plot::Figure) {}
}

impl OutputSink for String {
    fn write(&mut self, text: &str) {
        self.push_str(text);
    }
}

/// Run when a cell ends (see [`Interpreter::set_cell_end_hook`]).
pub type CellEndHook = Rc<dyn Fn(&mut Interpreter)>;

/// Names bound in a comprehension or class body (or, in a function, outside the scope
/// analysis). Few and short-lived: a vector searched by name beats hashing each access.
#[derive(Default)]
pub(crate) struct Vars(Vec<(Name, Value)>);

impl Vars {
    fn find(&self, name: &str) -> Option<usize> {
        // Same text at the same address is the common hit (one name node's own string).
        self.0.iter().position(|(k, _)| (k.as_ptr() == name.as_ptr() && k.len() == name.len()) || **k == *name)
    }

    fn get(&self, name: &str) -> Option<&Value> {
        self.find(name).map(|i| &self.0[i].1)
    }

    fn insert(&mut self, name: Name, value: Value) {
        match self.find(&name) {
            Some(i) => self.0[i].1 = value,
            None => self.0.push((name, value)),
        }
    }

    fn remove(&mut self, name: &str) -> Option<Value> {
        let i = self.find(name)?;
        Some(self.0.remove(i).1)
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A function's (or comprehension's) local variables, linked to the enclosing scope.
pub struct Scope {
    /// A function's locals, indexed by `ScopeInfo::slots`.
    slots: RefCell<Vec<Option<Value>>>,
    /// A comprehension's or class body's names (and, in a function, any name bound that the
    /// scope analysis did not see).
    vars: RefCell<Vars>,
    /// None for a comprehension scope or a class body.
    func: Option<Rc<FuncDef>>,
    parent: Option<Rc<Scope>>,
    /// A class body: functions defined in it do not see its names (they are class attributes).
    class_body: bool,
    /// For a method's scope, the class whose body defined it (zero-argument `super()`).
    owner: Option<std::rc::Weak<TypeObj>>,
    /// For a generator function's scope, the values yielded so far.
    yielded: Option<RefCell<Vec<Value>>>,
}

impl Scope {
    fn new(func: Option<Rc<FuncDef>>, parent: Env) -> Scope {
        let slots = match &func {
            Some(def) => vec![None; def.scope().slots.len()],
            None => Vec::new(),
        };
        Scope::with_slots(slots, func, parent)
    }

    fn with_slots(slots: Vec<Option<Value>>, func: Option<Rc<FuncDef>>, parent: Env) -> Scope {
        Scope {
            slots: RefCell::new(slots),
            vars: RefCell::new(Vars::default()),
            func,
            parent,
            class_body: false,
            owner: None,
            yielded: None,
        }
    }

    /// Empties the scope, giving back what it held (see `lang::cycles`).
    /// Moves the values the scope holds to the end of `out` (the cycle collector empties a
    /// scope into one list for all it frees, with no vector per scope).
    pub(crate) fn take_values_into(&self, out: &mut Vec<Value>) {
        if let Ok(mut s) = self.slots.try_borrow_mut() {
            out.extend(std::mem::take(&mut *s).into_iter().flatten());
        }
        if let Ok(mut v) = self.vars.try_borrow_mut() {
            out.extend(std::mem::take(&mut v.0).into_iter().map(|(_, v)| v));
        }
    }

    /// Calls `value` with each value the scope holds and `parent` with its parent (see
    /// `lang::cycles::collect`); false, having called nothing, if its locals are borrowed.
    pub(crate) fn visit_references(&self, value: &mut dyn FnMut(&Value), parent: &mut dyn FnMut(&Rc<Scope>)) -> bool {
        let (Ok(slots), Ok(vars)) = (self.slots.try_borrow(), self.vars.try_borrow()) else { return false };
        let yielded = match &self.yielded {
            Some(y) => match y.try_borrow() {
                Ok(y) => Some(y),
                Err(_) => return false,
            },
            None => None,
        };
        slots.iter().flatten().for_each(&mut *value);
        vars.0.iter().for_each(|(_, v)| value(v));
        yielded.iter().flat_map(|y| y.iter()).for_each(&mut *value);
        if let Some(p) = &self.parent {
            parent(p);
        }
        true
    }

    pub(crate) fn class_body(parent: Env) -> Scope {
        Scope { class_body: true, ..Scope::new(None, parent) }
    }

    pub(crate) fn is_class_body(&self) -> bool {
        self.class_body
    }

    /// The bound locals of this scope, slots in binding order then other names (`f_locals`).
    pub(crate) fn locals(&self) -> Vec<(Name, Value)> {
        let mut out = Vec::new();
        if let Some(def) = &self.func {
            let slots = self.slots.borrow();
            for (name, v) in def.scope().slots.iter().zip(slots.iter()) {
                if let Some(v) = v {
                    out.push((name.clone(), v.clone()));
                }
            }
        }
        out.extend(self.vars.borrow().0.iter().cloned());
        out
    }

    /// The function this scope runs, if it is a function's frame.
    pub(crate) fn function(&self) -> Option<&Rc<FuncDef>> {
        self.func.as_ref()
    }

    /// Drop the locals of a finished call, keeping the slot vector's allocation.
    fn clear_locals(&mut self) {
        self.slots.get_mut().clear();
        if !self.vars.get_mut().is_empty() {
            self.vars.get_mut().0.clear();
        }
    }

    pub(crate) fn take_vars(&self) -> NameMap<Value> {
        std::mem::take(&mut self.vars.borrow_mut().0).into_iter().collect()
    }

    /// The innermost function scope around `env`.
    pub(crate) fn enclosing_function(env: &Env) -> Option<Rc<Scope>> {
        let mut s = env.clone();
        while let Some(sc) = s {
            if sc.func.is_some() {
                return Some(sc);
            }
            s = sc.parent.clone();
        }
        None
    }

    pub(crate) fn function_and_owner(&self) -> (Option<Rc<FuncDef>>, Option<Rc<TypeObj>>) {
        (self.func.clone(), self.owner.as_ref().and_then(std::rc::Weak::upgrade))
    }

    /// This scope's own binding of `name`, if any.
    pub(crate) fn get_var(&self, name: &str) -> Option<Value> {
        if let Some(def) = &self.func
            && let Some(&i) = def.scope().slot_of.get(name)
        {
            return self.slots.borrow()[i as usize].clone();
        }
        self.vars.borrow().get(name).cloned()
    }

    /// Bind `name` in this scope itself.
    pub(crate) fn set_var(&self, name: &Name, value: Value) {
        if let Some(def) = &self.func
            && let Some(&i) = def.scope().slot_of.get(name)
        {
            self.slots.borrow_mut()[i as usize] = Some(value);
            return;
        }
        self.vars.borrow_mut().insert(name.clone(), value);
    }

    fn remove_var(&self, name: &str) -> bool {
        if let Some(def) = &self.func
            && let Some(&i) = def.scope().slot_of.get(name)
        {
            return self.slots.borrow_mut()[i as usize].take().is_some();
        }
        self.vars.borrow_mut().remove(name).is_some()
    }
}

/// The scope a piece of code runs in; None is the cell's (module's) global scope.
pub(crate) type Env = Option<Rc<Scope>>;

/// How a statement finished.
pub(crate) enum Flow {
    Normal,
    Break,
    Continue,
    Return(Value),
}

type R<T> = Result<T, Exception>;

/// The most bytes one sequence repetition may build by default (a list of 64 million items):
/// far above any lesson's needs, far below what would exhaust memory. CPython raises MemoryError
/// only when the allocation fails; we raise it before allocating.
pub const DEFAULT_MAX_SEQUENCE_BYTES: usize = 1 << 30;

/// CPython's default recursion limit.
pub const RECURSION_LIMIT: usize = 1000;
/// The deepest a host may allow: each Python call level takes a few KiB of the lesson thread's
/// native stack (256 MiB, execute.rs), so deeper recursion would overflow it.
pub const MAX_RECURSION_LIMIT: usize = 20_000;

/// Generators run eagerly; this bounds what one call may collect.
const MAX_YIELDED: usize = 10_000_000;

thread_local! {
    /// Raised by the host (from any layer, e.g. the tensor engine's memory hook) when the
    /// interpreter's resource check has something to say. Tested after every expression: a
    /// constant-initialised thread-local costs one load there, where calling the check would
    /// cost a call.
    static RESOURCE_FLAG: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// An exception of host code that ran where it could not fail (a saved tensor pack hook
    /// inside an op), raised once the current expression returns.
    static PARKED: std::cell::RefCell<Option<Exception>> = const { std::cell::RefCell::new(None) };
}

/// Raises `e` in the running code after the current expression (the first one parked wins).
pub fn raise_after_expression(e: Exception) {
    PARKED.with(|p| {
        let mut p = p.borrow_mut();
        if p.is_none() {
            *p = Some(e);
        }
    });
    RESOURCE_FLAG.set(true);
}

/// Ask the interpreter running on this thread to run its resource check after the current
/// expression (see [`Interpreter::set_resource_check`]).
pub fn raise_resource_flag() {
    RESOURCE_FLAG.set(true);
}

/// The module's global variables. A name keeps its index once bound (deleting empties the
/// entry), so a name node can remember the index (`NameSlot::global_index`) and read or write
/// the value without hashing the name again.
/// A name looked up but never bound gets an empty entry too, with the builtin of that name
/// beside it (the builtins are fixed once `Interpreter::new` returns), so a builtin read from a
/// name node costs no hashing either.
#[derive(Default)]
pub(crate) struct Globals {
    index: NameMap<u32>,
    values: Vec<Option<Value>>,
    builtins: Vec<Option<Value>>,
}

impl Globals {
    fn index_of(&mut self, name: &Name, builtins: &NameMap<Value>) -> u32 {
        if let Some(&i) = self.index.get(&**name) {
            return i;
        }
        let i = self.values.len() as u32;
        self.values.push(None);
        self.builtins.push(builtins.get(&**name).cloned());
        self.index.insert(name.clone(), i);
        i
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Value> {
        self.index.get(name).and_then(|&i| self.values[i as usize].as_ref())
    }

    pub(crate) fn insert(&mut self, name: Name, value: Value, builtins: &NameMap<Value>) {
        let i = self.index_of(&name, builtins);
        self.values[i as usize] = Some(value);
    }

    pub(crate) fn remove(&mut self, name: &str) -> Option<Value> {
        let i = *self.index.get(name)?;
        self.values[i as usize].take()
    }

    /// The bound names and their values (`globals()`), in the order the names were first seen.
    pub(crate) fn bound(&self) -> Vec<(Name, Value)> {
        let mut out: Vec<(u32, Name, Value)> = self
            .index
            .iter()
            .filter_map(|(n, &i)| self.values[i as usize].clone().map(|v| (i, n.clone(), v)))
            .collect();
        out.sort_by_key(|e| e.0);
        out.into_iter().map(|(_, n, v)| (n, v)).collect()
    }

    /// Unbinds every name, giving their values back for [`Globals::restore_values`] (`exec` with
    /// a dict of globals runs in that dict's names alone).
    pub(crate) fn take_values(&mut self) -> Vec<Option<Value>> {
        let n = self.values.len();
        std::mem::replace(&mut self.values, vec![None; n])
    }

    /// Every slot's value, kept for [`Globals::restore_values`] (a Timer's statement runs over them).
    pub(crate) fn copy_values(&self) -> Vec<Option<Value>> {
        self.values.clone()
    }

    pub(crate) fn restore_values(&mut self, mut saved: Vec<Option<Value>>) {
        // Names first seen meanwhile keep their slots, unbound.
        saved.resize(self.values.len(), None);
        self.values = saved;
    }
}

/// Tells interpreters apart in the global-index caches of name nodes.
static NEXT_INTERPRETER_ID: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);

/// One interpreter per lesson: cells share its globals.
pub struct Interpreter {
    pub(crate) globals: Globals,
    /// This interpreter's id in name nodes' global-index caches.
    id: u32,
    pub(crate) builtins: NameMap<Value>,
    pub(crate) modules: HashMap<String, Value>,
    pub(crate) types: HashMap<&'static str, Rc<TypeObj>>,
    pub(crate) out: String,
    /// Figures shown, each with the length `out` had then, so they keep their place in the output.
    figures: Vec<(usize, crate::plot::Figure)>,
    /// Run when a cell ends, errors included (matplotlib shows the figures left open).
    cell_end: Option<CellEndHook>,
    pub(crate) depth: usize,
    pub(crate) recursion_limit: usize,
    /// The most bytes one sequence repetition (`[0] * n`, `"ab" * n`) may build.
    pub(crate) max_sequence_bytes: usize,
    time_limit: Option<Duration>,
    deadline: Option<Instant>,
    ticks: u32,
    /// Raised by the host (another thread) to stop the run: checked on every tick.
    cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// Exceptions being handled by enclosing `except` blocks, for bare `raise`.
    pub(crate) handling: Vec<Exception>,
    /// Shared empty name for argument lists (saves an allocation per call).
    empty_name: Rc<str>,
    /// Each user class caches whether its MRO defines `__setattr__`, `__getattr__`, or any
    /// property; the caches are valid for this generation, bumped whenever a class is created or
    /// a class attribute changes (a base's change can alter a subclass's flags).
    pub(crate) class_generation: std::cell::Cell<u64>,
    /// Asked once `resource_flag` is raised, after the expression that raised it: an exception
    /// to raise for a resource the host watches (the lesson's tensor memory).
    resource_check: Option<fn() -> Option<Exception>>,
    /// Raised by the host (deadline passed, run cancelled): see [`Interpreter::set_stop_flag`].
    stop: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// Frames of finished calls that nothing else held, kept for the next call so a call
    /// allocates nothing (see `new_frame`).
    frame_pool: Vec<Rc<Scope>>,
    /// The frames of the Python calls in progress, outermost first (`inspect.currentframe()`).
    pub(crate) frames: Vec<Rc<Scope>>,
    /// What `torch.save` wrote, by normalised path: kept in memory, as lessons may not write
    /// files, so `torch.load` in a later cell reads it back. None: a save that failed midway
    /// left a truncated file.
    pub(crate) saved: HashMap<String, Option<Value>>,
    /// Text files the lesson wrote with `open(path, 'w')`, by normalised path (files_mem.rs).
    pub(crate) written: HashMap<String, String>,
    /// The strings `exec`/`eval`/`compile` parsed (see `lang::exec`).
    pub(crate) exec_sources: super::exec::ExecSources,
}

impl Default for Interpreter {
    fn default() -> Self {
        Interpreter::new()
    }
}

impl Interpreter {
    /// A fresh interpreter with the builtins and `math` imported.
    pub fn new() -> Interpreter {
        let mut it = Interpreter {
            globals: Globals::default(),
            id: NEXT_INTERPRETER_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            builtins: NameMap::default(),
            modules: HashMap::new(),
            types: HashMap::new(),
            out: String::new(),
            figures: Vec::new(),
            cell_end: None,
            depth: 0,
            recursion_limit: RECURSION_LIMIT,
            max_sequence_bytes: DEFAULT_MAX_SEQUENCE_BYTES,
            time_limit: None,
            deadline: None,
            ticks: 0,
            cancel: None,
            handling: Vec::new(),
            empty_name: "".into(),
            class_generation: std::cell::Cell::new(0),
            resource_check: None,
            stop: None,
            frame_pool: Vec::new(),
            frames: Vec::new(),
            saved: HashMap::new(),
            written: HashMap::new(),
            exec_sources: Default::default(),
        };
        super::builtins::install(&mut it);
        super::exec::install(&mut it);
        super::dir::install(&mut it);
        if let Some(m) = it.modules.get("math").cloned() {
            it.globals.insert("math".into(), m, &it.builtins);
        }
        it.globals.insert("__name__".into(), Value::str("__main__"), &it.builtins);
        it
    }

    /// Make `dotted` importable (`torch`, `torch.nn`, `torch.optim`).
    pub fn register_module(&mut self, dotted: &str, module: Value) {
        self.modules.insert(dotted.to_string(), module);
    }

    pub(crate) fn invalidate_class_flags(&self) {
        self.class_generation.set(self.class_generation.get() + 1);
    }

    pub fn set_global(&mut self, name: &str, value: Value) {
        self.globals.insert(name.into(), value, &self.builtins);
    }

    pub fn get_global(&self, name: &str) -> Option<Value> {
        self.globals.get(name).cloned()
    }

    /// Limit on the wall time of each cell; checked in loops and calls.
    /// The most bytes one sequence repetition may build (a fuzzer sets it low: a big but legal
    /// list takes seconds under its sanitizers).
    pub fn set_max_sequence_bytes(&mut self, bytes: usize) {
        self.max_sequence_bytes = bytes;
    }

    /// How deep Python calls may nest (at most [`MAX_RECURSION_LIMIT`]).
    pub fn set_recursion_limit(&mut self, limit: usize) {
        self.recursion_limit = limit.clamp(1, MAX_RECURSION_LIMIT);
    }

    /// Gives lessons `open()` for reading, through the host's `reader` (see `lang::files`).
    pub fn set_file_reader(&mut self, reader: Option<Rc<dyn super::files::FileReader>>) {
        self.builtins.insert("open".into(), super::files::open_builtin(reader.clone()));
        // `from io import open` is the builtin; `glob` lists what the reader may read.
        if let Some(Value::Module(io)) = self.modules.get("io") {
            io.set("open", super::files::open_builtin(reader.clone()));
        }
        super::os_files::install(self, reader.clone());
        super::glob::install(self, reader);
    }

    pub fn set_time_limit(&mut self, limit: Option<Duration>) {
        self.time_limit = limit;
    }

    /// A flag another thread raises to end the running cell with an uncatchable
    /// KeyboardInterrupt (a live preview cancelling a run the author has just made stale).
    pub fn set_cancel_flag(&mut self, flag: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>) {
        self.cancel = flag;
    }

    /// A check run once the returned flag is raised, after the expression that raised it; an
    /// exception it returns is raised at that expression (use [`Exception::limit`] for one that
    /// `try` must not catch).
    pub fn set_resource_check(&mut self, check: Option<fn() -> Option<Exception>>) {
        self.resource_check = check;
    }

    /// A flag another thread raises to stop the running cell (its deadline passed, the run was
    /// cancelled): polled at every tick, it ends the cell with the exception the resource check
    /// gives (see `lang::limits`).
    pub fn set_stop_flag(&mut self, flag: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>) {
        self.stop = flag;
    }

    /// A builtin type object by name (`int`, `ValueError`, ...).
    pub fn type_object(&self, name: &str) -> Option<Rc<TypeObj>> {
        self.types.get(name).cloned()
    }

    /// Run one notebook cell. `base` is the cell's byte offset in its file.
    pub fn run_cell(&mut self, code: &str, base: usize, sink: &mut dyn OutputSink) -> Result<(), LangError> {
        let body = parser::parse_cell(code, base).map_err(|e| LangError {
            kind: if e.unsupported { ErrorKind::Limit } else { ErrorKind::Syntax },
            py_type: e.py_type.to_string(),
            message: e.message,
            span: e.span,
            traceback: Vec::new(),
        })?;
        self.deadline = self.time_limit.map(|l| Instant::now() + l);
        self.depth = 0;
        self.handling.clear();
        let result = self.run_body(&body, code, base, sink);
        if let Some(hook) = self.cell_end.clone() {
            hook(self);
        }
        self.flush(sink);
        result.map_err(|e| {
            let d = *e.0;
            let span = d.span.unwrap_or_default();
            let mut traceback = d.traceback;
            traceback.insert(0, Frame { function: "<module>".into(), span: d.site.unwrap_or(span) });
            let py_type = self.qualified_type(&d.py_type, d.value.as_ref());
            let mut e = LangError {
                kind: if d.limit { ErrorKind::Limit } else { ErrorKind::Exception },
                py_type,
                message: d.message,
                span,
                traceback,
            };
            super::exec::remap(&self.exec_sources, &mut e);
            e
        })
    }

    /// The exception's name as CPython's last traceback line gives it: a class defined outside
    /// `builtins` and `__main__` is prefixed with its module (`__lesson__.MyError`,
    /// `json.decoder.JSONDecodeError`).
    fn qualified_type(&self, py_type: &str, value: Option<&Value>) -> String {
        const NATIVE: &[(&str, &str)] = &[
            ("JSONDecodeError", "json.decoder"),
            ("FrozenInstanceError", "dataclasses"),
            ("PackageNotFoundError", "importlib.metadata"),
        ];
        if py_type.contains('.') {
            return py_type.to_string();
        }
        if let Some(Value::Exception(ev)) = value
            && ev.typ.is_user()
            && let Some(m) = &ev.typ.module
            && !matches!(&**m, "builtins" | "__main__")
        {
            return format!("{m}.{}", ev.typ.name);
        }
        match NATIVE.iter().find(|(n, _)| *n == py_type) {
            Some((n, m)) => format!("{m}.{n}"),
            None => py_type.to_string(),
        }
    }

    /// Show a figure after what has been printed so far.
    pub fn emit_figure(&mut self, figure: crate::plot::Figure) {
        self.figures.push((self.out.len(), figure));
    }

    /// Set what runs at the end of every cell.
    pub fn set_cell_end_hook(&mut self, hook: Option<CellEndHook>) {
        self.cell_end = hook;
    }

    fn flush(&mut self, sink: &mut dyn OutputSink) {
        if !self.figures.is_empty() {
            let mut at = 0;
            for (pos, figure) in std::mem::take(&mut self.figures) {
                if pos > at {
                    sink.write(&self.out[at..pos]);
                    at = pos;
                }
                sink.figure(figure);
            }
            self.out.drain(..at);
        }
        if !self.out.is_empty() {
            sink.write(&self.out);
            self.out.clear();
        }
    }

    fn run_body(&mut self, body: &[Stmt], code: &str, base: usize, sink: &mut dyn OutputSink) -> R<()> {
        let n = body.len();
        for (i, stmt) in body.iter().enumerate() {
            if i + 1 == n
                && let StmtKind::Expr(e) = &stmt.kind {
                    let v = self.eval(e, &None)?;
                    let rest = code.get(stmt.span.end.saturating_sub(base)..).unwrap_or("");
                    let silenced = rest.trim_start_matches([' ', '\t']).starts_with(';');
                    if !v.is_none() && !silenced {
                        let r = self.repr(&v)?;
                        self.out.push_str(&r);
                        self.out.push('\n');
                    }
                    self.flush(sink);
                    continue;
                }
            // Statements that may repeat work (loops, comprehensions) run compiled: compiling
            // costs about one pass over the statement.
            let flow = if matches!(
                stmt.kind,
                StmtKind::While(..) | StmtKind::For(..) | StmtKind::If(..) | StmtKind::Assign(..) | StmtKind::AugAssign(..) | StmtKind::Expr(..)
            ) {
                compile::module_stmt(stmt).run(self, &None)?
            } else {
                self.exec(stmt, &None)?
            };
            match flow {
                Flow::Normal => {}
                // The parser rejects break/continue/return outside loops and functions.
                _ => return Err(Exception::new("SyntaxError", "'return' outside function").at(stmt.span)),
            }
            self.flush(sink);
        }
        Ok(())
    }

    /// Count work and enforce the time limit.
    #[inline(always)]
    pub(crate) fn tick(&mut self) -> R<()> {
        self.ticks = self.ticks.wrapping_add(1);
        // The live engine's cancel flag (one per save, see `incremental`).
        if let Some(c) = &self.cancel
            && c.load(std::sync::atomic::Ordering::Relaxed)
        {
            return Err(Exception::limit("KeyboardInterrupt", "the run was cancelled"));
        }
        let stop = self.stop.as_ref().is_some_and(|s| s.load(std::sync::atomic::Ordering::Relaxed));
        if stop || self.ticks.is_multiple_of(256) {
            return self.tick_slow(stop);
        }
        Ok(())
    }

    /// The host's stop flag is up, or a time limit set without one is polled.
    #[cold]
    #[inline(never)]
    fn tick_slow(&mut self, stop: bool) -> R<()> {
        if stop {
            return Err(self.stopped());
        }
        // A loop that makes cyclic garbage (micrograd's `Value`, whose `_backward` closure holds
        // its own node) frees it as it runs, as CPython's collector would, instead of holding
        // it all, fresh pages each time, until the cell ends (see `cycles::collect` for why
        // any tick is a safe point).
        super::cycles::collect_if_grown();
        if let (Some(d), Some(l)) = (self.deadline, self.time_limit)
                && Instant::now() > d {
                    return Err(Exception::limit(
                        "TimeoutError",
                        format!("cell exceeded the time limit of {:.1}s", l.as_secs_f64()),
                    ));
                }
        Ok(())
    }

    // ---- statements ----

    pub(crate) fn exec_block(&mut self, body: &[Stmt], env: &Env) -> R<Flow> {
        for s in body {
            match self.exec(s, env)? {
                Flow::Normal => {}
                other => return Ok(other),
            }
        }
        Ok(Flow::Normal)
    }

    pub(crate) fn exec(&mut self, stmt: &Stmt, env: &Env) -> R<Flow> {
        self.exec_inner(stmt, env).map_err(|e| e.at(stmt.span))
    }

    /// The stop flag is up: the host's check says why.
    #[cold]
    #[inline(never)]
    fn stopped(&mut self) -> Exception {
        RESOURCE_FLAG.set(false);
        self.resource_check
            .and_then(|check| check())
            .unwrap_or_else(|| Exception::limit("KeyboardInterrupt", "the run was cancelled"))
    }

    /// The host raised the resource flag: ask its check (see `set_resource_check`).
    /// `result` is what the expression gave; on an error from the check, it is dropped (perhaps
    /// the very tensor that crossed the limit).
    #[cold]
    #[inline(never)]
    fn check_resources(&mut self, result: R<Value>) -> R<Value> {
        RESOURCE_FLAG.set(false);
        if let Some(e) = PARKED.with(|p| p.borrow_mut().take()) {
            return Err(e);
        }
        match self.resource_check.and_then(|check| check()) {
            Some(err) => Err(err),
            None => result,
        }
    }

    fn exec_inner(&mut self, stmt: &Stmt, env: &Env) -> R<Flow> {
        match &stmt.kind {
            StmtKind::Expr(e) => {
                self.eval(e, env)?;
            }
            StmtKind::Assign(targets, value) => {
                let v = self.eval(value, env)?;
                for t in targets {
                    self.assign(t, v.clone(), env)?;
                }
            }
            StmtKind::AugAssign(target, op, value) => self.aug_assign(target, *op, value, env)?,
            StmtKind::AnnAssign(target, ann, value) => {
                if let (Some(scope), ExprKind::Name(name, _)) = (env, &target.kind)
                    && scope.class_body
                {
                    self.record_annotation(scope, name, ann, env)?;
                } else if let (None, ExprKind::Name(name, _)) = (env, &target.kind) {
                    self.record_module_annotation(name, ann)?;
                }
                if let Some(v) = value {
                    let v = self.eval(v, env)?;
                    self.assign(target, v, env)?;
                } else if !matches!(target.kind, ExprKind::Name(..)) {
                    self.eval(ann, env)?;
                }
            }
            StmtKind::If(cond, body, orelse) => {
                let c = self.eval(cond, env)?;
                let branch = if self.truthy(&c).map_err(|e| e.at(cond.span))? { body } else { orelse };
                return self.exec_block(branch, env);
            }
            StmtKind::While(cond, body, orelse) => {
                loop {
                    self.tick()?;
                    let c = self.eval(cond, env)?;
                    if !self.truthy(&c).map_err(|e| e.at(cond.span))? {
                        return self.exec_block(orelse, env);
                    }
                    match self.exec_block(body, env)? {
                        Flow::Break => break,
                        Flow::Return(v) => return Ok(Flow::Return(v)),
                        Flow::Normal | Flow::Continue => {}
                    }
                }
            }
            StmtKind::For(target, iter, body, orelse) => {
                let iterable = self.eval(iter, env)?;
                let it = self.iter(&iterable).map_err(|e| e.at(iter.span))?;
                loop {
                    self.tick()?;
                    let Some(item) = self.next(&it).map_err(|e| e.at(iter.span))? else {
                        return self.exec_block(orelse, env);
                    };
                    self.assign(target, item, env)?;
                    match self.exec_block(body, env)? {
                        Flow::Break => break,
                        Flow::Return(v) => return Ok(Flow::Return(v)),
                        Flow::Normal | Flow::Continue => {}
                    }
                }
            }
            StmtKind::Break => return Ok(Flow::Break),
            StmtKind::Continue => return Ok(Flow::Continue),
            StmtKind::Pass | StmtKind::Global(_) | StmtKind::Nonlocal(_) => {}
            StmtKind::Return(e) => {
                let v = match e {
                    Some(e) => self.eval(e, env)?,
                    None => Value::None,
                };
                return Ok(Flow::Return(v));
            }
            StmtKind::Def(def) => {
                let mut f = self.make_function(def, env)?;
                for d in def.decorators.iter().rev() {
                    let dv = self.eval(d, env)?;
                    f = self.call(&dv, Args::new("decorator", vec![f])).map_err(|e| e.at(d.span))?;
                }
                self.store(&def.name, None, f, env);
            }
            StmtKind::Class(def) => {
                let c = self.exec_class(def, env)?;
                self.store(&def.name, None, c, env);
            }
            StmtKind::Del(targets) => {
                for t in targets {
                    self.delete(t, env)?;
                }
            }
            StmtKind::Assert(test, msg) => {
                let v = self.eval(test, env)?;
                if !self.truthy(&v)? {
                    let m = match msg {
                        Some(m) => {
                            let mv = self.eval(m, env)?;
                            self.to_str(&mv)?
                        }
                        None => String::new(),
                    };
                    return Err(Exception::new("AssertionError", m));
                }
            }
            StmtKind::Import(items) => {
                for (path, alias) in items {
                    let dotted = path.iter().map(|s| &**s).collect::<Vec<_>>().join(".");
                    let module = self.import_module(&dotted)?;
                    match alias {
                        Some(a) => self.store(a, None, module, env),
                        None => {
                            let top = self.import_module(&path[0])?;
                            self.store(&path[0], None, top, env);
                        }
                    }
                }
            }
            StmtKind::ImportFrom(path, items) => {
                let dotted = path.iter().map(|s| &**s).collect::<Vec<_>>().join(".");
                let module = self.import_module(&dotted)?;
                for (name, alias) in items {
                    let attr = match &module {
                        Value::Module(m) => m.get(name),
                        _ => None,
                    };
                    // The lesson is `__main__` (its `__name__`): `from __main__ import f`
                    // finds its globals, as in a script (torch.utils.benchmark setups).
                    let attr = match attr {
                        None if dotted == "__main__" => self.get_global(name),
                        a => a,
                    };
                    let v = match attr {
                        Some(v) => v,
                        None => match self.modules.get(&format!("{dotted}.{name}")) {
                            Some(v) => v.clone(),
                            None => {
                                return Err(Exception::new(
                                    "ImportError",
                                    format!("cannot import name '{name}' from '{dotted}' (unknown location)"),
                                ));
                            }
                        },
                    };
                    self.store(alias.as_ref().unwrap_or(name), None, v, env);
                }
            }
            StmtKind::With(items, body) => return self.exec_with(items, body, env),
            StmtKind::Match(subject, cases) => return self.exec_match(subject, cases, env),
            StmtKind::Try { body, handlers, orelse, finally } if handlers.first().is_some_and(|h| h.star) => {
                let r = self.exec_try_star(body, handlers, orelse, env);
                if !finally.is_empty() {
                    match self.exec_block(finally, env)? {
                        Flow::Normal => {}
                        other => return Ok(other),
                    }
                }
                return r;
            }
            StmtKind::Try { body, handlers, orelse, finally } => {
                return self.exec_try(body, handlers, orelse, finally, env);
            }
            StmtKind::Raise(exc, cause) => {
                let cause = match cause {
                    Some(c) => Some(self.eval(c, env)?),
                    None => None,
                };
                let Some(exc) = exc else {
                    return Err(match self.handling.last() {
                        Some(e) => {
                            let mut e = e.clone();
                            e.0.span = None;
                            e.0.site = None;
                            e.0.traceback.clear();
                            e
                        }
                        None => Exception::new("RuntimeError", "No active exception to reraise"),
                    });
                };
                let v = self.eval(exc, env)?;
                let e = self.make_raise(v)?;
                self.chain_exception(&e, cause)?;
                return Err(e);
            }
        }
        Ok(Flow::Normal)
    }

    fn import_module(&mut self, dotted: &str) -> R<Value> {
        match self.modules.get(dotted).cloned() {
            Some(m) => {
                super::pymods::extend(self, dotted, &m)?;
                Ok(m)
            }
            None => {
                if let Some(m) = super::pymods::load(self, dotted)? {
                    return Ok(m);
                }
                // CPython names the first missing package on the path.
                let parts: Vec<&str> = dotted.split('.').collect();
                let mut missing = dotted.to_string();
                for i in 1..=parts.len() {
                    let prefix = parts[..i].join(".");
                    if !self.modules.contains_key(&prefix) {
                        missing = prefix;
                        break;
                    }
                }
                let mut available: Vec<String> = self.modules.keys().filter(|k| !k.contains('.')).cloned().collect();
                available.sort();
                Err(Exception::new("ModuleNotFoundError", super::sandbox::missing_module_message(&missing, &available)))
            }
        }
    }

    /// Turn the operand of `raise` into an exception.
    pub(crate) fn make_raise(&mut self, v: Value) -> R<Exception> {
        let v = match &v {
            Value::Type(t) if self.is_exception_type(t) => self.call(&v, Args::new("", Vec::new()))?,
            _ => v,
        };
        match &v {
            Value::Exception(ev) => {
                let message = if ev.typ.is_user() { self.to_str(&v)? } else { ev.message() };
                let mut e = Exception::new(&ev.typ.name, message);
                e.0.value = Some(v.clone());
                Ok(e)
            }
            _ => Err(Exception::type_error("exceptions must derive from BaseException")),
        }
    }

    /// `raise e from cause` and `raise e` inside `except`: records `__cause__`,
    /// `__suppress_context__` and `__context__` on the instance (read back as attributes).
    fn chain_exception(&mut self, e: &Exception, cause: Option<Value>) -> R<()> {
        let Some(Value::Exception(ev)) = &e.0.value else { return Ok(()) };
        let set = |k: &str, v: Value| {
            let mut d = ev.dict.borrow_mut();
            match d.iter_mut().find(|(n, _)| &**n == k) {
                Some(slot) => slot.1 = v,
                None => d.push((k.into(), v)),
            }
        };
        if let Some(c) = cause {
            let c = match &c {
                Value::None => Value::None,
                Value::Type(t) if self.is_exception_type(t) => self.call(&c, Args::new("", Vec::new()))?,
                Value::Exception(_) => c.clone(),
                _ => return Err(Exception::type_error("exception causes must derive from BaseException")),
            };
            set("__cause__", c);
            set("__suppress_context__", Value::Bool(true));
        }
        if let Some(h) = self.handling.last().cloned() {
            let ctx = self.exception_value(&h);
            set("__context__", ctx);
        }
        Ok(())
    }

    pub(crate) fn is_exception_type(&self, t: &TypeObj) -> bool {
        self.types.get("BaseException").is_some_and(|b| t.is_subclass_of(b))
    }

    /// The exception instance for `except ... as e`.
    pub(crate) fn exception_value(&mut self, e: &Exception) -> Value {
        if let Some(v) = &e.0.value {
            return v.clone();
        }
        let typ = self.exception_type(e.py_type());
        let args = match &e.0.args {
            Some(a) => a.clone(),
            None if e.message().is_empty() => Vec::new(),
            None => vec![Value::str(e.message())],
        };
        Value::Exception(Rc::new(ExcValue {
            typ,
            args: RefCell::new(args),
            dict: RefCell::new(Vec::new()),
            display: Some(e.message().to_string()),
        }))
    }

    fn exception_type(&mut self, name: &str) -> Rc<TypeObj> {
        if let Some(t) = self.types.get(name) {
            return t.clone();
        }
        // A native raised a type we have not seen: make it an Exception subclass.
        let base = self.types.get("Exception").cloned();
        TypeObj::new(name, base, None)
    }

    fn exec_try(&mut self, body: &[Stmt], handlers: &[Handler], orelse: &[Stmt], finally: &[Stmt], env: &Env) -> R<Flow> {
        let mut result = self.exec_block(body, env);
        if let Err(e) = &result {
            if !e.is_limit() && !handlers.is_empty() {
                let e = e.clone();
                let exc_type = match &e.0.value {
                    Some(Value::Exception(ev)) => ev.typ.clone(),
                    _ => self.exception_type(e.py_type()),
                };
                let mut handled = None;
                for h in handlers {
                    let matches = match &h.typ {
                        None => true,
                        Some(t) => {
                            let tv = match self.eval(t, env) {
                                Ok(v) => v,
                                Err(err) => {
                                    handled = Some(Err(err));
                                    break;
                                }
                            };
                            match self.exception_matches(&exc_type, &tv) {
                                Ok(m) => m,
                                Err(err) => {
                                    handled = Some(Err(err.at(t.span)));
                                    break;
                                }
                            }
                        }
                    };
                    if matches {
                        let ev = self.exception_value(&e);
                        let mut caught = e.clone();
                        caught.0.value = Some(ev.clone());
                        if let Some(n) = &h.name {
                            self.store(n, None, ev, env);
                        }
                        self.handling.push(caught);
                        let r = self.exec_block(&h.body, env);
                        self.handling.pop();
                        if let Some(n) = &h.name {
                            self.unbind(n, env);
                        }
                        handled = Some(r);
                        break;
                    }
                }
                if let Some(r) = handled {
                    result = r;
                }
            }
        } else if let Ok(Flow::Normal) = result {
            result = self.exec_block(orelse, env);
        }
        if !finally.is_empty() {
            match self.exec_block(finally, env)? {
                Flow::Normal => {}
                other => return Ok(other),
            }
        }
        result
    }

    fn exception_matches(&mut self, exc: &TypeObj, handler: &Value) -> R<bool> {
        match handler {
            Value::Type(t) if self.is_exception_type(t) => Ok(exc.is_subclass_of(t)),
            Value::Tuple(items) => {
                for i in items.iter() {
                    if self.exception_matches(exc, i)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            _ => Err(Exception::type_error("catching classes that do not inherit from BaseException is not allowed")),
        }
    }

    fn exec_with(&mut self, items: &[(Expr, Option<Expr>)], body: &[Stmt], env: &Env) -> R<Flow> {
        let Some(((ctx_expr, target), rest)) = items.split_first() else {
            return self.exec_block(body, env);
        };
        let ctx = self.eval(ctx_expr, env)?;
        if let Value::Instance(_) = &ctx {
            return self.exec_with_instance(ctx, ctx_expr, target, rest, body, env);
        }
        let Value::Native(n) = &ctx else {
            return Err(Exception::type_error(format!(
                "'{}' object does not support the context manager protocol",
                ctx.type_name()
            ))
            .at(ctx_expr.span));
        };
        let n = n.clone();
        let entered = n.enter(&ctx, self).map_err(|e| e.at(ctx_expr.span))?;
        let Some(entered) = entered else {
            return Err(Exception::type_error(format!(
                "'{}' object does not support the context manager protocol",
                n.type_name()
            ))
            .at(ctx_expr.span));
        };
        let r = match target {
            Some(t) => self.assign(t, entered, env).and_then(|_| self.exec_with(rest, body, env)),
            None => self.exec_with(rest, body, env),
        };
        match r {
            Ok(flow) => {
                n.exit(&ctx, None, self).map_err(|e| e.at(ctx_expr.span))?;
                Ok(flow)
            }
            Err(e) if e.is_limit() => {
                let _ = n.exit(&ctx, Some(&e), self);
                Err(e)
            }
            Err(e) => {
                if n.exit(&ctx, Some(&e), self).map_err(|e| e.at(ctx_expr.span))? {
                    Ok(Flow::Normal)
                } else {
                    Err(e)
                }
            }
        }
    }

    fn exec_with_instance(
        &mut self,
        ctx: Value,
        ctx_expr: &Expr,
        target: &Option<Expr>,
        rest: &[(Expr, Option<Expr>)],
        body: &[Stmt],
        env: &Env,
    ) -> R<Flow> {
        let (Some(_), Some(exit)) = (self.dunder(&ctx, "__enter__"), self.dunder(&ctx, "__exit__")) else {
            return Err(Exception::type_error(format!(
                "'{}' object does not support the context manager protocol",
                ctx.type_name()
            ))
            .at(ctx_expr.span));
        };
        let entered = self.call_dunder(&ctx, "__enter__", Vec::new())?.unwrap_or(Value::None);
        let r = match target {
            Some(t) => self.assign(t, entered, env).and_then(|_| self.exec_with(rest, body, env)),
            None => self.exec_with(rest, body, env),
        };
        match r {
            Ok(flow) => {
                self.call_positional(&exit, vec![ctx, Value::None, Value::None, Value::None])
                    .map_err(|e| e.at(ctx_expr.span))?;
                Ok(flow)
            }
            Err(e) if e.is_limit() => Err(e),
            Err(e) => {
                let ev = self.exception_value(&e);
                let typ = match &ev {
                    Value::Exception(x) => Value::Type(x.typ.clone()),
                    _ => Value::None,
                };
                let swallow = self
                    .call_positional(&exit, vec![ctx, typ, ev, Value::None])
                    .map_err(|e| e.at(ctx_expr.span))?;
                if self.truthy(&swallow)? { Ok(Flow::Normal) } else { Err(e) }
            }
        }
    }

    /// `name: T` in a class body: CPython evaluates `T` and keeps it in the class's
    /// `__annotations__` (which `dataclasses` reads for the fields, in order). An annotation we
    /// cannot evaluate (a typing form we lack) is kept as None rather than failing the class.
    fn record_annotation(&mut self, scope: &Rc<Scope>, name: &Name, ann: &Expr, env: &Env) -> R<()> {
        let a = match self.eval(ann, env) {
            Ok(a) => a,
            Err(e) if e.is_limit() => return Err(e),
            Err(_) => Value::None,
        };
        let key: Name = "__annotations__".into();
        let d = match scope.get_var(&key) {
            Some(d @ Value::Dict(_)) => d,
            _ => {
                let d = Value::dict(super::value::Dict::new());
                scope.set_var(&key, d.clone());
                d
            }
        };
        if let Value::Dict(d) = &d {
            d.borrow_mut().insert(Value::Str(name.clone()), a)?;
        }
        Ok(())
    }

    /// A function's `__annotations__`: its parameters' and return annotations, evaluated (in
    /// the scope that defined it) when asked for rather than when `def` ran; one we cannot
    /// evaluate is None, as for class bodies.
    fn function_annotations(&mut self, f: &Rc<Function>) -> R<Value> {
        let env = f.closure.clone();
        let params = f.def.params.iter().filter_map(|p| Some((p.name.clone(), p.annotation.as_ref()?)));
        let mut d = super::value::Dict::new();
        for (n, e) in params.chain(f.def.returns.as_ref().map(|e| (Name::from("return"), e))) {
            let v = match self.eval(e, &env) {
                Ok(v) => v,
                Err(e) if e.is_limit() => return Err(e),
                Err(_) => Value::None,
            };
            d.insert(Value::Str(n), v)?;
        }
        Ok(Value::dict(d))
    }

    /// `name: T` at module level: kept in the globals' `__annotations__`, made on first use.
    fn record_module_annotation(&mut self, name: &Name, ann: &Expr) -> R<()> {
        let a = match self.eval(ann, &None) {
            Ok(a) => a,
            Err(e) if e.is_limit() => return Err(e),
            Err(_) => Value::None,
        };
        let d = match self.get_global("__annotations__") {
            Some(d @ Value::Dict(_)) => d,
            _ => {
                let d = Value::dict(super::value::Dict::new());
                self.set_global("__annotations__", d.clone());
                d
            }
        };
        if let Value::Dict(d) = &d {
            d.borrow_mut().insert(Value::Str(name.clone()), a)?;
        }
        Ok(())
    }

    pub(crate) fn exec_class_body(&mut self, body: &[Stmt], env: &Env) -> R<()> {
        match self.exec_block(body, env)? {
            Flow::Normal => Ok(()),
            // The parser rejects return/break/continue directly in a class body.
            _ => Err(Exception::new("SyntaxError", "'return' outside function")),
        }
    }

    fn make_function(&mut self, def: &Rc<FuncDef>, env: &Env) -> R<Value> {
        let mut defaults = Vec::with_capacity(def.params.len());
        for p in &def.params {
            defaults.push(match &p.default {
                Some(d) => Some(self.eval(d, env)?),
                None => None,
            });
        }
        // Names of a class body are not visible from the functions defined in it.
        let mut closure = env.clone();
        while let Some(s) = &closure {
            if !s.class_body {
                break;
            }
            closure = s.parent.clone();
        }
        if let Some(s) = &closure {
            super::cycles::track_scope(s);
        }
        let f = Rc::new(Function { def: def.clone(), defaults, closure, owner: RefCell::new(None), spare: RefCell::new(None) });
        super::cycles::track_function(&f);
        Ok(Value::Function(f))
    }

    // ---- names ----

    /// How a name node resolves in the function scope `s`, cached in the node.
    fn resolve(slot: &NameSlot, name: &str, def: &FuncDef) -> Resolved {
        match slot.get() {
            Resolved::Unresolved => {
                let r = def.scope().resolve(name);
                slot.set(r);
                r
            }
            r => r,
        }
    }

    fn lookup(&mut self, name: &Name, slot: &NameSlot, env: &Env) -> R<Value> {
        if let Some(s) = env
            && let Some(def) = &s.func
        {
            match Self::resolve(slot, name, def) {
                Resolved::Local(i) => {
                    if let Some(v) = &s.slots.borrow()[i as usize] {
                        return Ok(v.clone());
                    }
                    return Err(Exception::new(
                        "UnboundLocalError",
                        format!("cannot access local variable '{name}' where it is not associated with a value"),
                    ));
                }
                Resolved::Global => return self.lookup_global_at(name, slot),
                Resolved::Free => {
                    if s.parent.is_none() && s.vars.borrow().is_empty() {
                        return self.lookup_global_at(name, slot);
                    }
                    if let Some(v) = s.vars.borrow().get(name) {
                        return Ok(v.clone());
                    }
                    return self.lookup_from(name, slot, s.parent.as_ref(), false);
                }
                Resolved::Unresolved => {}
            }
        }
        if env.is_none() {
            return self.lookup_global_at(name, slot);
        }
        self.lookup_from(name, slot, env.as_ref(), true)
    }

    /// A global (else builtin) through the node's cached global index.
    fn lookup_global_at(&mut self, name: &Name, slot: &NameSlot) -> R<Value> {
        let i = match slot.global_index(self.id) {
            Some(i) => i,
            None => {
                let i = self.globals.index_of(name, &self.builtins);
                slot.set_global_index(self.id, i);
                i
            }
        };
        if let Some(v) = &self.globals.values[i as usize] {
            return Ok(v.clone());
        }
        if let Some(v) = &self.globals.builtins[i as usize] {
            return Ok(v.clone());
        }
        Err(Exception::new("NameError", format!("name '{name}' is not defined")))
    }

    /// Bind a global through the node's cached global index.
    fn store_global_at(&mut self, name: &Name, slot: Option<&NameSlot>, value: Value) {
        let i = match slot.and_then(|s| s.global_index(self.id)) {
            Some(i) => i,
            None => {
                let i = self.globals.index_of(name, &self.builtins);
                if let Some(s) = slot {
                    s.set_global_index(self.id, i);
                }
                i
            }
        };
        self.globals.values[i as usize] = Some(value);
    }

    /// Look `name` up by name from scope `scope` outwards.
    fn lookup_from(&mut self, name: &Name, slot: &NameSlot, mut scope: Option<&Rc<Scope>>, mut innermost_function: bool) -> R<Value> {
        let mut first = true;
        while let Some(s) = scope {
            match &s.func {
                Some(def) => {
                    let info = def.scope();
                    if !info.globals.is_empty() && info.globals.contains(name) {
                        break;
                    }
                    if let Some(&i) = info.slot_of.get(name) {
                        if let Some(v) = &s.slots.borrow()[i as usize] {
                            return Ok(v.clone());
                        }
                        return Err(if innermost_function {
                            Exception::new(
                                "UnboundLocalError",
                                format!("cannot access local variable '{name}' where it is not associated with a value"),
                            )
                        } else {
                            Exception::new(
                                "NameError",
                                format!("cannot access free variable '{name}' where it is not associated with a value in enclosing scope"),
                            )
                        });
                    }
                    if let Some(v) = s.vars.borrow().get(name) {
                        return Ok(v.clone());
                    }
                    innermost_function = false;
                }
                None => {
                    // A class body's names are invisible from the scopes nested in it (a
                    // comprehension in the body sees past them, as functions do).
                    if (first || !s.class_body)
                        && let Some(v) = s.vars.borrow().get(name)
                    {
                        return Ok(v.clone());
                    }
                    // A comprehension is a function scope of its own: the enclosing
                    // function's locals are free variables from inside it.
                    innermost_function = false;
                }
            }
            first = false;
            scope = s.parent.as_ref();
        }
        self.lookup_global_at(name, slot)
    }

    pub(crate) fn store(&mut self, name: &Name, slot: Option<&NameSlot>, value: Value, env: &Env) {
        let Some(s) = env else {
            self.store_global_at(name, slot, value);
            return;
        };
        if let Some(def) = &s.func {
            let r = match slot {
                Some(slot) => Self::resolve(slot, name, def),
                None => def.scope().resolve(name),
            };
            match r {
                Resolved::Local(i) => {
                    s.slots.borrow_mut()[i as usize] = Some(value);
                    return;
                }
                Resolved::Global => {
                    self.store_global_at(name, slot, value);
                    return;
                }
                Resolved::Free | Resolved::Unresolved => {}
            }
            let info = def.scope();
            if !info.nonlocals.is_empty() && info.nonlocals.contains(name) {
                let mut p = s.parent.as_ref();
                while let Some(ps) = p {
                    if let Some(pd) = &ps.func
                        && pd.scope().slot_of.contains_key(name)
                    {
                        ps.set_var(name, value);
                        return;
                    }
                    p = ps.parent.as_ref();
                }
                self.globals.insert(name.clone(), value, &self.builtins);
                return;
            }
        }
        s.vars.borrow_mut().insert(name.clone(), value);
    }

    /// Remove a binding; returns whether it existed.
    pub(crate) fn unbind(&mut self, name: &Name, env: &Env) -> bool {
        match env {
            None => self.globals.remove(name).is_some(),
            Some(s) => {
                if let Some(def) = &s.func
                    && def.scope().globals.contains(name) {
                        return self.globals.remove(name).is_some();
                    }
                s.remove_var(name)
            }
        }
    }

    // ---- assignment ----

    pub(crate) fn assign(&mut self, target: &Expr, value: Value, env: &Env) -> R<()> {
        match &target.kind {
            ExprKind::Name(n, slot) => {
                self.store(n, Some(slot), value, env);
                Ok(())
            }
            ExprKind::Attribute(obj, name) => {
                let o = self.eval(obj, env)?;
                self.set_attr(&o, name, value).map_err(|e| e.at(target.span))
            }
            ExprKind::Subscript(obj, idx) => {
                let o = self.eval(obj, env)?;
                let k = self.eval(idx, env)?;
                self.set_item(&o, &k, value).map_err(|e| e.at(target.span))
            }
            ExprKind::Tuple(items) | ExprKind::List(items) => {
                let values = self.unpack(value, items).map_err(|e| e.at(target.span))?;
                for (t, v) in items.iter().zip(values) {
                    self.assign(t, v, env)?;
                }
                Ok(())
            }
            ExprKind::Starred(inner) => self.assign(inner, value, env),
            _ => Err(Exception::new("SyntaxError", "cannot assign to expression").at(target.span)),
        }
    }

    /// Values for unpacking targets; a starred target receives a list.
    fn unpack(&mut self, value: Value, targets: &[Expr]) -> R<Vec<Value>> {
        if !self.is_iterable(&value) {
            return Err(Exception::type_error(format!("cannot unpack non-iterable {} object", value.type_name())));
        }
        let items = self.iterate(&value)?;
        let star = targets.iter().position(|t| matches!(t.kind, ExprKind::Starred(_)));
        let n = targets.len();
        match star {
            None => {
                if items.len() > n {
                    return Err(Exception::value_error(format!("too many values to unpack (expected {n})")));
                }
                if items.len() < n {
                    return Err(Exception::value_error(format!(
                        "not enough values to unpack (expected {n}, got {})",
                        items.len()
                    )));
                }
                Ok(items)
            }
            Some(si) => {
                if items.len() < n - 1 {
                    return Err(Exception::value_error(format!(
                        "not enough values to unpack (expected at least {}, got {})",
                        n - 1,
                        items.len()
                    )));
                }
                let after = n - 1 - si;
                let mut out: Vec<Value> = items[..si].to_vec();
                out.push(Value::list(items[si..items.len() - after].to_vec()));
                out.extend_from_slice(&items[items.len() - after..]);
                Ok(out)
            }
        }
    }

    fn aug_assign(&mut self, target: &Expr, op: BinOp, value: &Expr, env: &Env) -> R<()> {
        match &target.kind {
            ExprKind::Name(n, slot) => {
                let cur = self.lookup(n, slot, env).map_err(|e| e.at(target.span))?;
                let rhs = self.eval(value, env)?;
                let v = self.inplace(op, cur, rhs).map_err(|e| e.at(target.span.to(value.span)))?;
                self.store(n, Some(slot), v, env);
            }
            ExprKind::Attribute(obj, name) => {
                let o = self.eval(obj, env)?;
                let cur = self.get_attr(&o, name).map_err(|e| e.at(target.span))?;
                let rhs = self.eval(value, env)?;
                let v = self.inplace(op, cur, rhs).map_err(|e| e.at(target.span.to(value.span)))?;
                self.set_attr(&o, name, v).map_err(|e| e.at(target.span))?;
            }
            ExprKind::Subscript(obj, idx) => {
                let o = self.eval(obj, env)?;
                let k = self.eval(idx, env)?;
                let cur = self.get_item(&o, &k).map_err(|e| e.at(target.span))?;
                let rhs = self.eval(value, env)?;
                let v = self.inplace(op, cur, rhs).map_err(|e| e.at(target.span.to(value.span)))?;
                self.set_item(&o, &k, v).map_err(|e| e.at(target.span))?;
            }
            _ => return Err(Exception::new("SyntaxError", "illegal expression for augmented assignment")),
        }
        Ok(())
    }

    /// `a op= b`: lists extend in place; natives may update in place; otherwise `a op b`.
    fn inplace(&mut self, op: BinOp, a: Value, b: Value) -> R<Value> {
        if let Value::Instance(_) = &a
            && let Some(v) = self.instance_inplace(op, &a, &b)?
        {
            return Ok(v);
        }
        // A list subclass: `+=`/`*=` change its list in place and keep the instance.
        if let Some(h @ Value::List(_)) = super::classes::builtin_half(&a)
            && matches!(op, BinOp::Add | BinOp::Mul)
        {
            self.inplace(op, h, b)?;
            return Ok(a);
        }
        match (&a, op) {
            (Value::List(l), BinOp::Add) => {
                let items = self.iterate(&b)?;
                l.borrow_mut().extend(items);
                return Ok(a);
            }
            (Value::List(l), BinOp::Mul) => {
                let Some(n) = b.as_int() else {
                    return self.binary(op, &a, &b);
                };
                let cur = l.borrow().clone();
                let mut out = Vec::new();
                for _ in 0..n.max(0) {
                    out.extend(cur.iter().cloned());
                }
                *l.borrow_mut() = out;
                return Ok(a);
            }
            (Value::Native(n), _) => {
                let n = n.clone();
                if let Some(v) = n.binary_op(&a, Op::InPlace(op), &b, false, self)? {
                    return Ok(v);
                }
            }
            _ => {}
        }
        self.inplace_binary(op, &a, &b)
    }

    fn delete(&mut self, target: &Expr, env: &Env) -> R<()> {
        match &target.kind {
            ExprKind::Name(n, _) => {
                if !self.unbind(n, env) {
                    return Err(Exception::new("NameError", format!("name '{n}' is not defined")).at(target.span));
                }
                Ok(())
            }
            ExprKind::Subscript(obj, idx) => {
                let o = self.eval(obj, env)?;
                let k = self.eval(idx, env)?;
                self.del_item(&o, &k).map_err(|e| e.at(target.span))
            }
            ExprKind::Tuple(items) | ExprKind::List(items) => {
                for i in items {
                    self.delete(i, env)?;
                }
                Ok(())
            }
            ExprKind::Attribute(obj, name) => {
                let o = self.eval(obj, env)?;
                match &o {
                    Value::Instance(_) | Value::Exception(_) | Value::Native(_) => self.instance_delattr(&o, name),
                    Value::Type(t) if t.is_user() => {
                        self.invalidate_class_flags();
                        if t.attrs.borrow_mut().remove(&**name).is_some() {
                            Ok(())
                        } else {
                            Err(Exception::new("AttributeError", format!("type object '{}' has no attribute '{name}'", t.name)))
                        }
                    }
                    _ => Err(Exception::new("AttributeError", format!("'{}' object has no attribute '{name}'", o.type_name()))),
                }
                .map_err(|e| e.at(target.span))
            }
            _ => Err(Exception::unsupported("this form of 'del'").at(target.span)),
        }
    }

    // ---- expressions ----

    #[inline(always)]
    pub(crate) fn eval(&mut self, e: &Expr, env: &Env) -> R<Value> {
        let r = self.eval_inner(e, env);
        if RESOURCE_FLAG.get() {
            return self.check_resources(r).map_err(|err| err.at(e.span));
        }
        r.map_err(|err| err.at(e.span))
    }

    fn eval_inner(&mut self, e: &Expr, env: &Env) -> R<Value> {
        Ok(match &e.kind {
            ExprKind::None => Value::None,
            ExprKind::Bool(b) => Value::Bool(*b),
            ExprKind::Int(i) => Value::Int(*i),
            ExprKind::Float(f) => Value::Float(*f),
            ExprKind::Imag(f) => crate::lang::torch::complex::py_complex(0.0, *f),
            ExprKind::Str(s) => Value::Str(s.clone()),
            ExprKind::Bytes(b) => super::pybytes::new_bytes(b.to_vec()),
            ExprKind::Name(n, slot) => self.lookup(n, slot, env)?,
            ExprKind::List(items) => Value::list(self.eval_items(items, env)?),
            ExprKind::Tuple(items) => Value::tuple(self.eval_items(items, env)?),
            ExprKind::Attribute(obj, name) => {
                let o = self.eval(obj, env)?;
                self.get_attr(&o, name)?
            }
            ExprKind::Subscript(obj, idx) => {
                let o = self.eval(obj, env)?;
                let k = self.eval(idx, env)?;
                self.get_item(&o, &k)?
            }
            ExprKind::Call(func, args) => {
                if let ExprKind::Attribute(oe, name) = &func.kind {
                    let o = self.eval(oe, env)?;
                    if let Value::Instance(inst) = &o
                        && let Some(m) = self.plain_method(inst, name)
                    {
                        if Self::binds_positionally(&m, 1, args) {
                            let slots = self.eval_into_slots(&m, Some(o), args, env)?;
                            return self.call_frame(&m, Ok(slots));
                        }
                        // The receiver goes first, in a vector sized for the callee's frame.
                        let mut pos = Vec::with_capacity(frame_capacity(&m, args.len() + 1));
                        pos.push(o);
                        let a = self.eval_args_into(&Value::Function(m.clone()), args, env, pos)?;
                        return self.call_function(&m, a);
                    }
                    // A method of a builtin container with plain positional arguments: call its
                    // function with the receiver, without making a bound method per call.
                    if let Some(f) = super::builtins::method_fn(&o, name)
                        && args.iter().all(|a| matches!(a, Arg::Pos(_)))
                    {
                        let mut a = self.eval_args_into(&Value::None, args, env, Vec::with_capacity(args.len()))?;
                        a.fname = name.clone();
                        a.this = Some(o);
                        return f(self, a);
                    }
                    let f = self.get_attr(&o, name).map_err(|e| e.at(func.span))?;
                    let args = self.eval_args(&f, args, env)?;
                    return self.call(&f, args);
                }
                if let ExprKind::Name(n, _) = &func.kind
                    && &**n == "super"
                {
                    let f = self.eval(func, env)?;
                    if self.builtins.get("super").is_some_and(|b| b.is(&f)) {
                        let a = self.eval_args(&f, args, env)?;
                        return if a.pos.is_empty() && a.kw.is_empty() {
                            self.zero_arg_super(env)
                        } else {
                            self.explicit_super(&a)
                        };
                    }
                }
                let f = self.eval(func, env)?;
                if let Value::Function(fu) = &f
                    && Self::binds_positionally(fu, 0, args)
                {
                    let slots = self.eval_into_slots(fu, None, args, env)?;
                    return self.call_frame(fu, Ok(slots));
                }
                let args = self.eval_args(&f, args, env)?;
                self.call(&f, args)?
            }
            ExprKind::Binary(op, l, r) => {
                let a = self.eval(l, env)?;
                let b = self.eval(r, env)?;
                self.binary(*op, &a, &b)?
            }
            ExprKind::Unary(op, x) => {
                let v = self.eval(x, env)?;
                self.unary(*op, &v)?
            }
            ExprKind::And(l, r) => {
                let a = self.eval(l, env)?;
                if !self.truthy(&a)? {
                    return Ok(a);
                }
                self.eval(r, env)?
            }
            ExprKind::Or(l, r) => {
                let a = self.eval(l, env)?;
                if self.truthy(&a)? {
                    return Ok(a);
                }
                self.eval(r, env)?
            }
            ExprKind::Compare(first, rest) => {
                let mut left = self.eval(first, env)?;
                let mut result = Value::Bool(true);
                for (i, (op, rexpr)) in rest.iter().enumerate() {
                    let right = self.eval(rexpr, env)?;
                    result = self.compare(*op, &left, &right)?;
                    if i + 1 < rest.len() && !self.truthy(&result)? {
                        return Ok(result);
                    }
                    left = right;
                }
                result
            }
            ExprKind::IfExp(cond, a, b) => {
                let c = self.eval(cond, env)?;
                if self.truthy(&c)? { self.eval(a, env)? } else { self.eval(b, env)? }
            }
            _ => return self.eval_rare(e, env),
        })
    }

    /// The expression kinds evaluated rarely (or once per comprehension), kept out of
    /// `eval_inner` so the hot kinds' code stays small.
    #[inline(never)]
    fn eval_rare(&mut self, e: &Expr, env: &Env) -> R<Value> {
        Ok(match &e.kind {
            ExprKind::BigInt(b) => Value::BigInt(b.clone()),
            ExprKind::Ellipsis => Value::Ellipsis,
            ExprKind::FString(parts) => Value::Str(self.fstring(parts, env)?.into()),
            ExprKind::Set(items) => {
                let mut d = Dict::new();
                for v in self.eval_items(items, env)? {
                    d.insert(v, Value::None)?;
                }
                Value::set(d)
            }
            ExprKind::Dict(items) => {
                let mut d = Dict::new();
                for (k, v) in items {
                    match k {
                        Some(k) => {
                            let kv = self.eval(k, env)?;
                            let vv = self.eval(v, env)?;
                            d.insert(kv, vv).map_err(|err| err.at(k.span))?;
                        }
                        None => {
                            let mut m = self.eval(v, env)?;
                            if let Some(d) = super::builtins::mapping_as_dict(self, &m)? {
                                m = d;
                            }
                            let Value::Dict(src) = &m else {
                                return Err(Exception::type_error(format!(
                                    "'{}' object is not a mapping",
                                    m.type_name()
                                )));
                            };
                            for (k2, v2) in src.borrow().items() {
                                d.insert(k2, v2)?;
                            }
                        }
                    }
                }
                Value::dict(d)
            }
            ExprKind::Starred(_) => {
                return Err(Exception::new("SyntaxError", "can't use starred expression here"));
            }
            ExprKind::Slice(a, b, c) => {
                let mut part = |x: &Option<Box<Expr>>| -> R<Value> {
                    match x {
                        Some(x) => self.eval(x, env),
                        None => Ok(Value::None),
                    }
                };
                Value::Slice(Rc::new([part(a)?, part(b)?, part(c)?]))
            }
            ExprKind::Lambda(def) => self.make_function(def, env)?,
            ExprKind::ListComp(elt, comps) => {
                let mut out = Vec::new();
                let scope = self.comp_scope(env);
                self.comprehension(comps, &scope, env, &mut |it, sc| {
                    out.push(it.eval(elt, sc)?);
                    Ok(())
                })?;
                Value::list(out)
            }
            ExprKind::GenExp(def) => {
                // As in Python, the first iterable is evaluated (and iterated) now, in the
                // enclosing scope; everything else runs as items are asked for.
                let Some(first) = def.comps.first() else {
                    return Err(Exception::new("SyntaxError", "generator expression without 'for'"));
                };
                let iterable = self.eval(&first.iter, env)?;
                let it = self.iter(&iterable).map_err(|e| e.at(first.iter.span))?;
                let scope = self.comp_scope(env);
                Value::Iter(Rc::new(RefCell::new(IterState::GenExp { def: def.clone(), scope, iters: vec![it] })))
            }
            ExprKind::SetComp(elt, comps) => {
                let mut d = Dict::new();
                let scope = self.comp_scope(env);
                self.comprehension(comps, &scope, env, &mut |it, sc| {
                    let v = it.eval(elt, sc)?;
                    d.insert(v, Value::None)
                })?;
                Value::set(d)
            }
            ExprKind::DictComp(k, v, comps) => {
                let mut d = Dict::new();
                let scope = self.comp_scope(env);
                self.comprehension(comps, &scope, env, &mut |it, sc| {
                    let kv = it.eval(k, sc)?;
                    let vv = it.eval(v, sc)?;
                    d.insert(kv, vv)
                })?;
                Value::dict(d)
            }
            ExprKind::Yield(x) => {
                let v = match x {
                    Some(x) => self.eval(x, env)?,
                    None => Value::None,
                };
                self.push_yield(vec![v], env)?;
                Value::None
            }
            ExprKind::YieldFrom(x) => {
                let v = self.eval(x, env)?;
                let items = self.iterate(&v)?;
                self.push_yield(items, env)?;
                Value::None
            }
            ExprKind::Walrus(n, x) => {
                let v = self.eval(x, env)?;
                // `:=` in a comprehension binds in the enclosing scope.
                let mut target = env.clone();
                while let Some(s) = &target {
                    if s.func.is_some() {
                        break;
                    }
                    target = s.parent.clone();
                }
                self.store(n, None, v.clone(), &target);
                v
            }
            // The common kinds, should one arrive here.
            _ => return self.eval_inner(e, env),
        })
    }

    fn push_yield(&mut self, items: Vec<Value>, env: &Env) -> R<()> {
        let scope = Scope::enclosing_function(env);
        let Some(out) = scope.as_ref().and_then(|s| s.yielded.as_ref()) else {
            return Err(Exception::new("SyntaxError", "'yield' outside function"));
        };
        let mut out = out.borrow_mut();
        if out.len() + items.len() > MAX_YIELDED {
            return Err(Exception::limit(
                "MemoryError",
                format!("a generator yielded more than {MAX_YIELDED} values (generators run eagerly in lessonrun)"),
            ));
        }
        out.extend(items);
        Ok(())
    }

    fn comp_scope(&self, env: &Env) -> Env {
        Some(Rc::new(Scope::new(None, env.clone())))
    }

    /// The next item of a generator expression: advance the innermost clause's iterator, open
    /// the next clause's when one binds, drop back a clause when one runs out.
    fn genexp_next(&mut self, def: &CompDef, scope: &Env, iters: &mut Vec<Value>) -> R<Option<Value>> {
        'items: while let Some(it) = iters.last().cloned() {
            self.tick()?;
            let level = iters.len() - 1;
            let Some(item) = self.next(&it)? else {
                iters.pop();
                continue;
            };
            let comp = &def.comps[level];
            self.assign(&comp.target, item, scope)?;
            for c in &comp.conds {
                let v = self.eval(c, scope)?;
                if !self.truthy(&v)? {
                    continue 'items;
                }
            }
            match def.comps.get(level + 1) {
                Some(next) => {
                    let iterable = self.eval(&next.iter, scope)?;
                    iters.push(self.iter(&iterable).map_err(|e| e.at(next.iter.span))?);
                }
                None => return self.eval(&def.elt, scope).map(Some),
            }
        }
        Ok(None)
    }

    /// Run nested `for`/`if` clauses, calling `body` for each surviving binding.
    fn comprehension(
        &mut self,
        comps: &[Comp],
        scope: &Env,
        outer: &Env,
        body: &mut dyn FnMut(&mut Interpreter, &Env) -> R<()>,
    ) -> R<()> {
        let Some((first, rest)) = comps.split_first() else {
            return body(self, scope);
        };
        // The first iterable is evaluated in the enclosing scope, as in Python.
        let iter_env = if std::ptr::eq(outer, scope) { scope } else { outer };
        let iterable = self.eval(&first.iter, iter_env)?;
        let it = self.iter(&iterable).map_err(|e| e.at(first.iter.span))?;
        'items: loop {
            self.tick()?;
            let Some(item) = self.next(&it)? else { break };
            self.assign(&first.target, item, scope)?;
            for c in &first.conds {
                let v = self.eval(c, scope)?;
                if !self.truthy(&v)? {
                    continue 'items;
                }
            }
            self.comprehension(rest, scope, scope, body)?;
        }
        Ok(())
    }

    fn eval_items(&mut self, items: &[Expr], env: &Env) -> R<Vec<Value>> {
        let mut out = Vec::with_capacity(items.len());
        for i in items {
            if let ExprKind::Starred(inner) = &i.kind {
                let v = self.eval(inner, env)?;
                out.extend(self.iterate(&v).map_err(|e| e.at(inner.span))?);
            } else {
                out.push(self.eval(i, env)?);
            }
        }
        Ok(out)
    }

    pub(crate) fn eval_args(&mut self, f: &Value, args: &[Arg], env: &Env) -> R<Args> {
        let cap = match f {
            Value::Function(func) => frame_capacity(func, args.len() + 1),
            _ => args.len() + 1,
        };
        self.eval_args_into(f, args, env, Vec::with_capacity(cap))
    }

    /// Evaluate call arguments after the positional values already in `pos`.
    fn eval_args_into(&mut self, f: &Value, args: &[Arg], env: &Env, pos: Vec<Value>) -> R<Args> {
        let mut out = Args { fname: self.empty_name.clone(), this: None, pos, kw: Vec::new() };
        for a in args {
            match a {
                Arg::Pos(e) => out.pos.push(self.eval(e, env)?),
                Arg::Star(e) => {
                    let v = self.eval(e, env)?;
                    if !self.is_iterable(&v) {
                        return Err(Exception::type_error(format!(
                            "{} argument after * must be an iterable, not {}",
                            self.callable_name(f),
                            v.type_name()
                        ))
                        .at(e.span));
                    }
                    out.pos.extend(self.iterate(&v)?);
                }
                Arg::Kw(n, e) => {
                    let v = self.eval(e, env)?;
                    if out.kw.iter().any(|(k, _)| k == n) {
                        return Err(Exception::new("SyntaxError", format!("keyword argument repeated: {n}")));
                    }
                    out.kw.push((n.clone(), v));
                }
                Arg::DStar(e) => {
                    let mut v = self.eval(e, env)?;
                    if let Some(d) = super::builtins::mapping_as_dict(self, &v)? {
                        v = d;
                    }
                    let Value::Dict(d) = &v else {
                        return Err(Exception::type_error(format!(
                            "{} argument after ** must be a mapping, not {}",
                            self.callable_name(f),
                            v.type_name()
                        ))
                        .at(e.span));
                    };
                    for (k, val) in d.borrow().items() {
                        let Value::Str(k) = &k else {
                            return Err(Exception::type_error("keywords must be strings"));
                        };
                        let k = k.clone();
                        if out.kw.iter().any(|(x, _)| *x == k) {
                            return Err(Exception::type_error(format!(
                                "{} got multiple values for keyword argument '{k}'",
                                self.callable_name(f)
                            )));
                        }
                        out.kw.push((k, val));
                    }
                }
            }
        }
        Ok(out)
    }

    fn callable_name(&self, f: &Value) -> String {
        match f {
            Value::Function(func) => format!("{}()", func.def.name),
            Value::Builtin(b) => format!("{}()", b.name),
            Value::Type(t) => format!("{}()", t.name),
            other => format!("{}()", other.type_name()),
        }
    }

    fn fstring(&mut self, parts: &[FPart], env: &Env) -> R<String> {
        let mut out = String::new();
        for p in parts {
            match p {
                FPart::Lit(s) => out.push_str(s),
                FPart::Field { expr, conv, spec, .. } => {
                    let mut v = self.eval(expr, env)?;
                    match conv {
                        Some('r') | Some('a') => v = Value::Str(self.repr(&v)?.into()),
                        Some('s') => v = Value::Str(self.to_str(&v)?.into()),
                        _ => {}
                    }
                    let spec_text = match spec {
                        Some(s) => self.fstring(s, env)?,
                        None => String::new(),
                    };
                    out.push_str(&self.format(&v, &spec_text).map_err(|e| e.at(expr.span))?);
                }
            }
        }
        Ok(out)
    }

    // ---- calls ----

    /// Call any callable with prepared arguments.
    pub fn call(&mut self, f: &Value, mut args: Args) -> R<Value> {
        match f {
            Value::Function(func) => self.call_function(func, args),
            Value::Builtin(b) => {
                args.fname = b.name.clone();
                args.this = b.this.clone();
                let f = b.f.clone();
                f(self, args)
            }
            Value::Type(t) => {
                if let Some(ctor) = &t.ctor {
                    args.fname = t.name.clone();
                    let ctor = ctor.clone();
                    return ctor(self, args);
                }
                if t.is_user() {
                    return self.instantiate(t, args);
                }
                if self.is_exception_type(t) {
                    if !args.kw.is_empty() {
                        return Err(Exception::type_error(format!("{}() takes no keyword arguments", t.name)));
                    }
                    if super::exc_group::is_group_type(t) {
                        super::exc_group::check_args(self, t, &args.pos)?;
                    }
                    return Ok(Value::Exception(Rc::new(ExcValue {
                        typ: t.clone(),
                        args: RefCell::new(args.pos),
                        dict: RefCell::new(Vec::new()),
                        display: None,
                    })));
                }
                Err(Exception::type_error(format!("cannot create '{}' instances", t.qualname())))
            }
            Value::Native(n) => {
                let n = n.clone();
                match n.call(f, args, self)? {
                    Some(v) => Ok(v),
                    None => Err(Exception::type_error(format!("'{}' object is not callable", n.type_name()))),
                }
            }
            Value::Method(m) => {
                args.pos.insert(0, m.this.clone());
                let func = m.func.clone();
                self.call(&func, args)
            }
            Value::Instance(inst) => match self.dunder(f, "__call__") {
                Some(c) => {
                    args.pos.insert(0, f.clone());
                    self.call(&c, args)
                }
                None => {
                    // An instance of a class with a native base (nn.Module) calls its native half.
                    let native = inst.native.borrow().clone();
                    match native {
                        Some(n) => self.call(&n, args),
                        None => Err(Exception::type_error(format!("'{}' object is not callable", f.type_name()))),
                    }
                }
            },
            other => Err(Exception::type_error(format!("'{}' object is not callable", other.type_name()))),
        }
    }

    /// Convenience for natives: call with positional arguments only.
    pub fn call_positional(&mut self, f: &Value, pos: Vec<Value>) -> R<Value> {
        self.call(f, Args::new("", pos))
    }

    pub(crate) fn call_function(&mut self, func: &Rc<Function>, mut args: Args) -> R<Value> {
        let def = &func.def;
        let info = def.scope();
        // The common call (exactly the positional parameters) turns the argument vector into
        // the frame's slot vector in place: no second allocation, no moves.
        if info.simple_params && args.kw.is_empty() && args.pos.len() == def.params.len() {
            let mut slots: Vec<Option<Value>> = std::mem::take(&mut args.pos).into_iter().map(Some).collect();
            slots.resize(info.slots.len(), None);
            return self.call_frame(func, Ok(slots));
        }
        self.call_frame(func, Err(args))
    }

    /// Whether a call site's arguments bind to `func`'s parameters as they come: plain
    /// positional arguments (after `extra` already evaluated ones), one per parameter.
    fn binds_positionally(func: &Function, extra: usize, args: &[Arg]) -> bool {
        func.def.scope().simple_params
            && args.len() + extra == func.def.params.len()
            && args.iter().all(|a| matches!(a, Arg::Pos(_)))
    }

    /// Evaluate a call site's positional arguments straight into the callee's frame slots
    /// (see `binds_positionally`), after `first` (a method's receiver).
    fn eval_into_slots(&mut self, func: &Function, first: Option<Value>, args: &[Arg], env: &Env) -> R<Vec<Option<Value>>> {
        let n = func.def.scope().slots.len();
        let mut slots = Vec::with_capacity(n);
        if first.is_some() {
            slots.push(first);
        }
        for a in args {
            if let Arg::Pos(e) = a {
                slots.push(Some(self.eval(e, env)?));
            }
        }
        slots.resize(n, None);
        Ok(slots)
    }

    /// Run a Python function in a new frame: its slots already bound (Ok), or the arguments
    /// to bind (Err).
    fn call_frame(&mut self, func: &Rc<Function>, bound: Result<Vec<Option<Value>>, Args>) -> R<Value> {
        self.tick()?;
        if self.depth >= self.recursion_limit || super::limits::stack_low() {
            return Err(Exception::new("RecursionError", "maximum recursion depth exceeded"));
        }
        let def = &func.def;
        let (mut scope, args) = match bound {
            Ok(slots) => (Scope::with_slots(slots, Some(def.clone()), func.closure.clone()), None),
            Err(args) => (Scope::new(Some(def.clone()), func.closure.clone()), Some(args)),
        };
        scope.owner = func.owner.borrow().clone();
        let lazy = def.is_generator && super::generator::yield_info(def).lazy;
        if def.is_generator && !lazy {
            scope.yielded = Some(RefCell::new(Vec::new()));
        }
        let scope = Rc::new(scope);
        if let Some(args) = args {
            self.bind_params(func, args, &scope)?;
        }
        if lazy {
            return Ok(super::generator::GenState::start(func.clone(), scope));
        }
        self.depth += 1;
        self.frames.push(scope.clone());
        let env = Some(scope);
        let r = if def.is_generator { self.exec_block(&def.body, &env) } else { compile::function_code(def).run(self, &env) };
        self.frames.pop();
        self.depth -= 1;
        if let (Ok(_), Some(s)) = (&r, &env)
            && let Some(y) = &s.yielded
        {
            // Generators run to completion when called (see docs/divergences.md).
            return Ok(Value::iter_items(std::mem::take(&mut *y.borrow_mut())));
        }
        match r {
            Ok(Flow::Return(v)) => Ok(v),
            Ok(_) => Ok(Value::None),
            Err(e) => Err(e.in_function(def)),
        }
    }

    /// An empty frame for calling `func` (not a generator), from the pool when one is free.
    /// The caller pushes the positional arguments into its slots, then calls `run_frame`.
    pub(crate) fn new_frame(&mut self, func: &Function) -> Rc<Scope> {
        let owner = func.owner.borrow();
        if let Some(mut rc) = func.spare.borrow_mut().take()
            && let Some(s) = Rc::get_mut(&mut rc)
        {
            // The owner is set when the class is made, perhaps after an earlier call.
            let same = match (&s.owner, &*owner) {
                (None, None) => true,
                (Some(a), Some(b)) => std::rc::Weak::ptr_eq(a, b),
                _ => false,
            };
            if !same {
                s.owner = owner.clone();
            }
            return rc;
        }
        if let Some(mut rc) = self.frame_pool.pop()
            && let Some(s) = Rc::get_mut(&mut rc)
        {
            s.func = Some(func.def.clone());
            s.parent = func.closure.clone();
            s.owner = owner.clone();
            return rc;
        }
        let slots = Vec::with_capacity(func.def.scope().slots.len());
        let mut s = Scope::with_slots(slots, Some(func.def.clone()), func.closure.clone());
        s.owner = owner.clone();
        Rc::new(s)
    }

    /// Run `func` (compiled, not a generator) in `frame` from `new_frame`, whose slots hold
    /// exactly its positional parameters; the frame goes back to the pool unless something
    /// (a closure, a traceback) still holds it.
    pub(crate) fn run_frame(&mut self, func: &Rc<Function>, frame: Rc<Scope>) -> R<Value> {
        let def = &func.def;
        {
            let n = def.scope().slots.len();
            let mut slots = frame.slots.borrow_mut();
            while slots.len() < n {
                slots.push(None);
            }
        }
        if let Err(e) = self.tick() {
            self.release_frame(frame);
            return Err(e);
        }
        if self.depth >= self.recursion_limit || super::limits::stack_low() {
            self.release_frame(frame);
            return Err(Exception::new("RecursionError", "maximum recursion depth exceeded"));
        }
        self.depth += 1;
        self.frames.push(frame.clone());
        let env = Some(frame);
        let r = compile::function_code(def).call(self, &env);
        self.frames.pop();
        self.depth -= 1;
        if let Some(mut frame) = env {
            // Kept for this function's next call when nothing else holds it, else pooled.
            let spare = &func.spare;
            match Rc::get_mut(&mut frame) {
                Some(s) if spare.borrow().is_none() => {
                    s.clear_locals();
                    *spare.borrow_mut() = Some(frame);
                }
                _ => self.release_frame(frame),
            }
        }
        r.map_err(|e| e.in_function(def))
    }

    fn release_frame(&mut self, mut frame: Rc<Scope>) {
        if self.frame_pool.len() < 64
            && let Some(s) = Rc::get_mut(&mut frame)
        {
            s.clear_locals();
            s.func = None;
            s.parent = None;
            s.owner = None;
            s.yielded = None;
            self.frame_pool.push(frame);
        }
    }

    fn bind_params(&mut self, func: &Function, args: Args, scope: &Scope) -> R<()> {
        let def = &func.def;
        if let Some((name, kind)) = &def.scope().param_conflict {
            return Err(Exception::new("SyntaxError", format!("name '{name}' is parameter and {kind}")));
        }
        // Parameters are the first slots, in order (see `ScopeInfo::slots`).
        let mut vars = scope.slots.borrow_mut();
        // The common call: exactly the positional parameters, nothing else.
        if args.kw.is_empty()
            && args.pos.len() == def.params.len()
            && def.params.iter().all(|p| p.kind == ParamKind::Normal)
        {
            for (slot, v) in vars.iter_mut().zip(args.pos) {
                *slot = Some(v);
            }
            return Ok(());
        }
        // The next most common: fewer positional arguments, defaults for the rest (`Value(x)`,
        // `Value(d, (a, b), '+')`), which would otherwise allocate on the general path below.
        let npos = args.pos.len();
        if args.kw.is_empty()
            && npos < def.params.len()
            && def.params.iter().all(|p| p.kind == ParamKind::Normal)
            && func.defaults[npos..].iter().all(Option::is_some)
        {
            let (given, rest) = vars.split_at_mut(npos);
            for (slot, v) in given.iter_mut().zip(args.pos) {
                *slot = Some(v);
            }
            for (slot, d) in rest.iter_mut().zip(&func.defaults[npos..]) {
                *slot = d.clone();
            }
            return Ok(());
        }
        // CPython names methods by their qualified name (`P.__init__() missing ...`).
        let qualname = func.owner.borrow().as_ref().and_then(std::rc::Weak::upgrade).map(|c| format!("{}.{}", c.name, def.name));
        let fname: &str = qualname.as_deref().unwrap_or(&def.name);
        let positional: Vec<usize> =
            (0..def.params.len()).filter(|&i| def.params[i].kind == ParamKind::Normal).collect();
        let varargs = def.params.iter().position(|p| p.kind == ParamKind::VarArgs);
        let varkw = def.params.iter().position(|p| p.kind == ParamKind::VarKw);
        if npos > positional.len() && varargs.is_none() {
            let req = positional.iter().filter(|&&i| func.defaults[i].is_none()).count();
            let takes = if req == positional.len() {
                format!("{} positional argument{}", req, if req == 1 { "" } else { "s" })
            } else {
                format!("from {} to {} positional arguments", req, positional.len())
            };
            return Err(Exception::type_error(format!(
                "{fname}() takes {takes} but {npos} {} given",
                if npos == 1 { "was" } else { "were" }
            )));
        }
        let mut extra = Vec::new();
        for (i, v) in args.pos.into_iter().enumerate() {
            match positional.get(i) {
                Some(&pi) => vars[pi] = Some(v),
                None => extra.push(v),
            }
        }
        if let Some(vi) = varargs {
            vars[vi] = Some(Value::tuple(extra));
        }
        let mut kwdict = Dict::new();
        for (k, v) in args.kw {
            let slot = def.params.iter().position(|p| p.name == k && matches!(p.kind, ParamKind::Normal | ParamKind::KwOnly));
            match slot {
                Some(pi) => {
                    if vars[pi].is_some() {
                        return Err(Exception::type_error(format!("{fname}() got multiple values for argument '{k}'")));
                    }
                    vars[pi] = Some(v);
                }
                None if varkw.is_some() => kwdict.insert(Value::Str(k), v)?,
                None => {
                    return Err(Exception::type_error(format!("{fname}() got an unexpected keyword argument '{k}'")));
                }
            }
        }
        if let Some(ki) = varkw {
            vars[ki] = Some(Value::dict(kwdict));
        }
        let mut missing_pos = Vec::new();
        let mut missing_kw = Vec::new();
        for (i, p) in def.params.iter().enumerate() {
            if matches!(p.kind, ParamKind::Normal | ParamKind::KwOnly) && vars[i].is_none() {
                match &func.defaults[i] {
                    Some(d) => vars[i] = Some(d.clone()),
                    None if p.kind == ParamKind::Normal => missing_pos.push(format!("'{}'", p.name)),
                    None => missing_kw.push(format!("'{}'", p.name)),
                }
            }
        }
        for (missing, kind) in [(missing_pos, "positional"), (missing_kw, "keyword-only")] {
            if !missing.is_empty() {
                return Err(missing_arguments(fname, kind, &missing));
            }
        }
        Ok(())
    }

    // ---- the object protocol ----

    pub fn truthy(&mut self, v: &Value) -> R<bool> {
        Ok(match v {
            Value::None => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::List(l) => !l.borrow().is_empty(),
            Value::Tuple(t) => !t.is_empty(),
            Value::Dict(d) | Value::Set(d) => !d.borrow().is_empty(),
            Value::Range(r) => !r.is_empty(),
            Value::Instance(_) => {
                if let Some(b) = self.call_dunder(v, "__bool__", Vec::new())? {
                    return match b {
                        Value::Bool(b) => Ok(b),
                        other => Err(Exception::type_error(format!(
                            "__bool__ should return bool, returned {}",
                            other.type_name()
                        ))),
                    };
                }
                if self.dunder(v, "__len__").is_some() {
                    return Ok(self.len(v)? > 0);
                }
                if let Some(h) = super::classes::builtin_half(v).or_else(|| super::value::number_half(v)) {
                    return self.truthy(&h);
                }
                true
            }
            Value::Native(n) => {
                let n = n.clone();
                match n.truthy(self)? {
                    Some(b) => b,
                    None => n.len(self)?.is_none_or(|l| l > 0),
                }
            }
            _ => true,
        })
    }

    pub fn repr(&mut self, v: &Value) -> R<String> {
        let mut out = String::new();
        let mut seen = Vec::new();
        self.repr_into(v, &mut out, &mut seen)?;
        Ok(out)
    }

    /// repr that calls `__repr__` of instances inside containers; `seen` guards cycles.
    fn repr_into(&mut self, v: &Value, out: &mut String, seen: &mut Vec<usize>) -> R<()> {
        let id = v.identity();
        let (open, close) = match v {
            Value::Instance(_) => {
                out.push_str(&self.instance_repr(v)?);
                return Ok(());
            }
            Value::Exception(e) if e.typ.is_user() => {
                out.push_str(&self.instance_repr(v)?);
                return Ok(());
            }
            Value::List(_) => ("[", "]"),
            Value::Tuple(_) => ("(", ")"),
            Value::Dict(_) => ("{", "}"),
            Value::Set(d) if !d.borrow().is_empty() => ("{", "}"),
            Value::BigInt(b) => {
                out.push_str(&super::bigint::to_decimal(b)?);
                return Ok(());
            }
            Value::Native(n) => {
                let n = n.clone();
                match n.repr_in(v, self)? {
                    Some(s) => out.push_str(&s),
                    None => out.push_str(&v.repr()),
                }
                return Ok(());
            }
            _ => {
                out.push_str(&v.repr());
                return Ok(());
            }
        };
        if seen.contains(&id) || seen.len() > 200 {
            out.push_str(match v {
                Value::List(_) => "[...]",
                Value::Tuple(_) => "(...)",
                _ => "{...}",
            });
            return Ok(());
        }
        seen.push(id);
        out.push_str(open);
        match v {
            Value::Dict(d) => {
                let items = d.borrow().items();
                for (i, (k, val)) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    self.repr_into(k, out, seen)?;
                    out.push_str(": ");
                    self.repr_into(val, out, seen)?;
                }
            }
            _ => {
                let items = match v {
                    Value::List(l) => l.borrow().clone(),
                    Value::Tuple(t) => t.to_vec(),
                    Value::Set(d) => d.borrow().keys(),
                    _ => Vec::new(),
                };
                for (i, x) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    self.repr_into(x, out, seen)?;
                }
                if items.len() == 1 && matches!(v, Value::Tuple(_)) {
                    out.push(',');
                }
            }
        }
        out.push_str(close);
        seen.pop();
        Ok(())
    }

    pub fn to_str(&mut self, v: &Value) -> R<String> {
        match v {
            Value::Str(s) => Ok(s.to_string()),
            Value::Instance(_) => self.instance_str(v),
            Value::Exception(e) if e.typ.is_user() => self.instance_str(v),
            Value::List(_) | Value::Tuple(_) | Value::Dict(_) | Value::Set(_) | Value::BigInt(_) => self.repr(v),
            Value::Native(n) => {
                let n = n.clone();
                Ok(match n.str_in(v, self)? {
                    Some(s) => s,
                    None => v.to_str(),
                })
            }
            _ => Ok(v.to_str()),
        }
    }

    /// `format(v, spec)`.
    pub fn format(&mut self, v: &Value, spec: &str) -> R<String> {
        if let Value::Native(n) = v {
            let n = n.clone();
            return match n.format(v, spec, self)? {
                Some(s) => Ok(s),
                // `format(x, '')` is `str(x)`, which may need the interpreter (a module's repr).
                None if spec.is_empty() => self.to_str(v),
                None => Err(Exception::type_error(format!(
                    "unsupported format string passed to {}.__format__",
                    n.type_name()
                ))),
            };
        }
        if let Value::Instance(_) = v {
            if let Some(r) = self.call_dunder(v, "__format__", vec![Value::str(spec)])? {
                return match &r {
                    Value::Str(s) => Ok(s.to_string()),
                    other => Err(Exception::type_error(format!(
                        "__format__ must return a str, not {}",
                        other.type_name()
                    ))),
                };
            }
            if spec.is_empty() {
                return self.to_str(v);
            }
            return Err(Exception::type_error(format!(
                "unsupported format string passed to {}.__format__",
                v.type_name()
            )));
        }
        if spec.is_empty() && matches!(v, Value::List(_) | Value::Tuple(_) | Value::Dict(_) | Value::Set(_)) {
            return self.to_str(v);
        }
        format::format_value(v, spec)
    }

    pub fn len(&mut self, v: &Value) -> R<usize> {
        Ok(match v {
            Value::Str(s) => s.chars().count(),
            Value::List(l) => l.borrow().len(),
            Value::Tuple(t) => t.len(),
            Value::Dict(d) | Value::Set(d) => d.borrow().len(),
            Value::Range(r) => usize::try_from(i64::try_from(r.len_exact()).map_err(|_| {
                Exception::new("OverflowError", "Python int too large to convert to C ssize_t")
            })?)
            .unwrap_or(0),
            Value::Instance(_) => match self.call_dunder(v, "__len__", Vec::new())? {
                Some(Value::Int(n)) if n >= 0 => n as usize,
                Some(Value::Int(_)) => return Err(Exception::value_error("__len__() should return >= 0")),
                Some(Value::Bool(b)) => b as usize,
                Some(other) => {
                    return Err(Exception::type_error(format!(
                        "'{}' object cannot be interpreted as an integer",
                        other.type_name()
                    )));
                }
                None => match super::classes::builtin_half(v) {
                    Some(h) => return self.len(&h),
                    None => {
                        return Err(Exception::type_error(format!("object of type '{}' has no len()", v.type_name())));
                    }
                },
            },
            Value::Native(n) => {
                let n = n.clone();
                match n.len(self)? {
                    Some(l) => l,
                    None => {
                        return Err(Exception::type_error(format!("object of type '{}' has no len()", n.type_name())));
                    }
                }
            }
            other => {
                return Err(Exception::type_error(format!("object of type '{}' has no len()", other.type_name())));
            }
        })
    }

    pub(crate) fn is_iterable(&self, v: &Value) -> bool {
        matches!(
            v,
            Value::Str(_)
                | Value::List(_)
                | Value::Tuple(_)
                | Value::Dict(_)
                | Value::Set(_)
                | Value::Range(_)
                | Value::Iter(_)
                | Value::Native(_)
        ) || (matches!(v, Value::Instance(_))
            && (self.dunder(v, "__iter__").is_some()
                || self.dunder(v, "__getitem__").is_some()
                || super::classes::builtin_half(v).is_some()))
            || matches!(v, Value::Type(t) if super::enums::members(t).is_some())
    }

    /// `iter(v)`.
    pub fn iter(&mut self, v: &Value) -> R<Value> {
        let state = match v {
            Value::List(_) | Value::Tuple(_) => IterState::Seq { seq: v.clone(), idx: 0 },
            Value::Str(s) => IterState::Items { items: s.chars().map(|c| Value::Str(c.to_string().into())).collect(), idx: 0 },
            Value::Dict(d) | Value::Set(d) => IterState::Items { items: d.borrow().keys(), idx: 0 },
            Value::Range(r) => IterState::Range { cur: r.start, stop: r.stop, step: r.step },
            Value::Iter(_) => return Ok(v.clone()),
            Value::Type(t) if super::enums::members(t).is_some() => {
                IterState::Items { items: super::enums::members(t).unwrap_or_default(), idx: 0 }
            }
            Value::Instance(_) => {
                if let Some(it) = self.call_dunder(v, "__iter__", Vec::new())? {
                    let ok = matches!(it, Value::Iter(_) | Value::Native(_))
                        || (matches!(it, Value::Instance(_)) && self.dunder(&it, "__next__").is_some());
                    if !ok {
                        return Err(Exception::type_error(format!(
                            "iter() returned non-iterator of type '{}'",
                            it.type_name()
                        )));
                    }
                    return Ok(it);
                }
                if let Some(h) = super::classes::builtin_half(v) {
                    return self.iter(&h);
                }
                if self.dunder(v, "__getitem__").is_some() {
                    // The old sequence protocol: v[0], v[1], ... until IndexError.
                    let mut items = Vec::new();
                    for i in 0.. {
                        self.tick()?;
                        match self.get_item(v, &Value::Int(i)) {
                            Ok(x) => items.push(x),
                            Err(e) if e.py_type() == "IndexError" || e.py_type() == "StopIteration" => break,
                            Err(e) => return Err(e),
                        }
                    }
                    return Ok(Value::iter_items(items));
                }
                return Err(Exception::type_error(format!("'{}' object is not iterable", v.type_name())));
            }
            Value::Native(n) => {
                let n = n.clone();
                return match n.iter(v, self)? {
                    Some(it) => Ok(it),
                    None => Err(Exception::type_error(format!("'{}' object is not iterable", n.type_name()))),
                };
            }
            other => return Err(Exception::type_error(format!("'{}' object is not iterable", other.type_name()))),
        };
        Ok(Value::Iter(Rc::new(RefCell::new(state))))
    }

    /// Advance an iterator made by [`Interpreter::iter`]; None when exhausted.
    pub fn next(&mut self, it: &Value) -> R<Option<Value>> {
        let cell = match it {
            Value::Iter(c) => c.clone(),
            Value::Native(n) => {
                let n = n.clone();
                return n.next(self);
            }
            Value::Instance(_) => {
                return match self.call_dunder(it, "__next__", Vec::new()) {
                    Ok(Some(v)) => Ok(Some(v)),
                    Ok(None) => Err(Exception::type_error(format!("'{}' object is not an iterator", it.type_name()))),
                    Err(e) if e.py_type() == "StopIteration" => Ok(None),
                    Err(e) => Err(e),
                };
            }
            other => return Err(Exception::type_error(format!("'{}' object is not an iterator", other.type_name()))),
        };
        // Fast states are advanced under the borrow; states that call back are handled below.
        {
            let mut st = cell.borrow_mut();
            match &mut *st {
                IterState::Seq { seq, idx } => {
                    let item = match seq {
                        Value::List(l) => l.borrow().get(*idx).cloned(),
                        Value::Tuple(t) => t.get(*idx).cloned(),
                        _ => None,
                    };
                    *idx += 1;
                    if item.is_none() {
                        *st = IterState::Done;
                    }
                    return Ok(item);
                }
                IterState::Range { cur, stop, step } => {
                    if (*step > 0 && *cur < *stop) || (*step < 0 && *cur > *stop) {
                        let v = *cur;
                        *cur = cur.saturating_add(*step);
                        return Ok(Some(Value::Int(v)));
                    }
                    return Ok(None);
                }
                IterState::Items { items, idx } => {
                    let item = items.get(*idx).cloned();
                    *idx += 1;
                    return Ok(item);
                }
                IterState::Reversed { seq, idx } => {
                    if *idx == 0 {
                        return Ok(None);
                    }
                    *idx -= 1;
                    let item = match seq {
                        Value::List(l) => l.borrow().get(*idx).cloned(),
                        Value::Tuple(t) => t.get(*idx).cloned(),
                        _ => None,
                    };
                    return Ok(item);
                }
                IterState::Done => return Ok(None),
                _ => {}
            }
        }
        let st = std::mem::replace(&mut *cell.borrow_mut(), IterState::Done);
        let (result, st) = match st {
            IterState::Enumerate { inner, count } => match self.next(&inner)? {
                Some(v) => (Some(Value::tuple(vec![Value::Int(count), v])), IterState::Enumerate { inner, count: count + 1 }),
                None => (None, IterState::Done),
            },
            IterState::Zip { inners, strict } => {
                let mut items = Vec::with_capacity(inners.len());
                let mut done_at = None;
                for (i, inner) in inners.iter().enumerate() {
                    match self.next(inner)? {
                        Some(v) => items.push(v),
                        None => {
                            done_at = Some(i);
                            break;
                        }
                    }
                }
                match done_at {
                    None if !inners.is_empty() => (Some(Value::tuple(items)), IterState::Zip { inners, strict }),
                    Some(i) if strict => {
                        if i > 0 {
                            let plural = if i == 1 { String::new() } else { format!("1-{}", i) };
                            let which = if i == 1 { "argument 1".to_string() } else { format!("arguments {plural}") };
                            return Err(Exception::value_error(format!("zip() argument {} is shorter than {which}", i + 1)));
                        }
                        for (j, inner) in inners.iter().enumerate().skip(1) {
                            if self.next(inner)?.is_some() {
                                let which = if j == 1 { "argument 1".to_string() } else { format!("arguments 1-{j}") };
                                return Err(Exception::value_error(format!("zip() argument {} is longer than {which}", j + 1)));
                            }
                        }
                        (None, IterState::Done)
                    }
                    _ => (None, IterState::Done),
                }
            }
            IterState::Map { func, inners } => {
                let mut items = Vec::with_capacity(inners.len());
                let mut done = false;
                for inner in &inners {
                    match self.next(inner)? {
                        Some(v) => items.push(v),
                        None => {
                            done = true;
                            break;
                        }
                    }
                }
                if done {
                    (None, IterState::Done)
                } else {
                    let v = self.call(&func, Args::new("map", items))?;
                    (Some(v), IterState::Map { func, inners })
                }
            }
            IterState::Filter { func, inner } => {
                let mut found = None;
                while let Some(v) = self.next(&inner)? {
                    self.tick()?;
                    let keep = if func.is_none() {
                        self.truthy(&v)?
                    } else {
                        let r = self.call(&func, Args::new("filter", vec![v.clone()]))?;
                        self.truthy(&r)?
                    };
                    if keep {
                        found = Some(v);
                        break;
                    }
                }
                match found {
                    Some(v) => (Some(v), IterState::Filter { func, inner }),
                    None => (None, IterState::Done),
                }
            }
            IterState::GenExp { def, scope, mut iters } => {
                // An exhausted generator stays a generator (with no clauses left).
                let v = self.genexp_next(&def, &scope, &mut iters)?;
                (v, IterState::GenExp { def, scope, iters })
            }
            IterState::Generator(mut g) => {
                let v = self.resume_generator(&mut g)?;
                (v, IterState::Generator(g))
            }
            other => (None, other),
        };
        *cell.borrow_mut() = st;
        Ok(result)
    }

    /// Collect any iterable into a vector (what natives use to consume Python iterables).
    pub fn iterate(&mut self, v: &Value) -> R<Vec<Value>> {
        match v {
            Value::List(l) => return Ok(l.borrow().clone()),
            Value::Tuple(t) => return Ok(t.to_vec()),
            Value::Range(r) => super::limits::check_items(r.len_exact().max(0) as u128, std::mem::size_of::<Value>() as u128)?,
            _ => {}
        }
        let it = self.iter(v)?;
        let mut out = Vec::new();
        while let Some(x) = self.next(&it)? {
            self.tick()?;
            out.push(x);
        }
        Ok(out)
    }

    pub fn get_attr(&mut self, obj: &Value, name: &str) -> R<Value> {
        match obj {
            Value::Module(m) => {
                if let Some(v) = m.get(name) {
                    return Ok(v);
                }
                if name == "__name__" {
                    return Ok(Value::Str(m.name.clone()));
                }
                let sub = format!("{}.{name}", m.name);
                if let Some(v) = self.modules.get(&sub) {
                    return Ok(v.clone());
                }
                return Err(Exception::new("AttributeError", format!("module '{}' has no attribute '{name}'", m.name)));
            }
            Value::Native(n) => {
                let n = n.clone();
                if let Some(v) = n.get_attr(obj, name, self)? {
                    return Ok(v);
                }
                // `layer.__class__.__name__`, as d2l prints layers: the type `type()` gives.
                if name == "__class__" {
                    return Ok(Value::Type(super::builtins::type_of(self, obj)));
                }
                // `scheduler.__module__ == lr_scheduler.__name__`, as d2l tells built-in
                // schedulers from its own: the module of the object's type.
                if name == "__module__"
                    && let Some(m) = n.module_name()
                {
                    return Ok(Value::str(m));
                }
                return Err(Exception::new(
                    "AttributeError",
                    format!("'{}' object has no attribute '{name}'", n.type_name()),
                ));
            }
            Value::Instance(inst) => {
                // The common read: an instance's own attribute, with no property on its class
                // that could take precedence (`__class__`/`__dict__` are never read from it).
                if self.reads_own_dict(inst)
                    && let Some(v) = inst.get(name)
                    && name != "__class__"
                    && name != "__dict__"
                {
                    return Ok(v);
                }
                if let Some(v) = self.instance_getattr(obj, name)? {
                    return Ok(v);
                }
                return Err(Exception::new(
                    "AttributeError",
                    format!("'{}' object has no attribute '{name}'", obj.type_name()),
                ));
            }
            Value::Method(m) => {
                return match name {
                    "__self__" => Ok(m.this.clone()),
                    "__func__" => Ok(m.func.clone()),
                    _ => self.get_attr(&m.func.clone(), name),
                };
            }
            Value::Exception(e) if e.typ.is_user() && name != "args" => {
                if let Some(v) = self.instance_getattr(obj, name)? {
                    return Ok(v);
                }
            }
            Value::Exception(e) if super::exc_group::is_group_type(&e.typ) && let Some(v) = super::exc_group::attr(e, name) => {
                return Ok(v);
            }
            Value::Exception(e) if name != "args" => {
                let found = e.dict.borrow().iter().find(|(k, _)| &**k == name).map(|(_, v)| v.clone());
                if let Some(v) = found {
                    return Ok(v);
                }
            }
            Value::Type(t) if t.is_user() => {
                match name {
                    "__name__" => return Ok(Value::Str(t.name.clone())),
                    // Not inherited: a class without a docstring has None.
                    "__doc__" => return Ok(t.attrs.borrow().get("__doc__").cloned().unwrap_or(Value::None)),
                    "__mro__" => {
                        let mro = t.mro().into_iter().map(Value::Type).collect();
                        return Ok(Value::tuple(mro));
                    }
                    "__dict__" => {
                        let mut d = Dict::new();
                        for (k, v) in t.attrs.borrow().iter() {
                            if &**k != "__mro__" {
                                d.insert(Value::Str(k.clone()), v.clone())?;
                            }
                        }
                        return Ok(Value::dict(d));
                    }
                    _ => {}
                }
                for c in t.mro() {
                    let found = c.attrs.borrow().get(name).cloned();
                    if let Some(v) = found {
                        if let Some(cm) = v.downcast::<super::classes::ClassMethod>() {
                            return Ok(Value::Method(Rc::new(BoundMethod { this: obj.clone(), func: cm.0.clone() })));
                        }
                        if let Some(sm) = v.downcast::<super::classes::StaticMethod>() {
                            return Ok(sm.0.clone());
                        }
                        return Ok(v);
                    }
                    if !c.is_user() && c.is_named("object") && c.module.is_none()
                        && let Some(v) = super::classes::object_type_attr(name) {
                            return Ok(v);
                        }
                }
                return Err(Exception::new(
                    "AttributeError",
                    format!("type object '{}' has no attribute '{name}'", t.name),
                ));
            }
            Value::Type(t) => {
                if let Some(v) = t.attrs.borrow().get(name) {
                    return Ok(v.clone());
                }
                if t.is_named("object") && t.module.is_none()
                    && let Some(v) = super::classes::object_type_attr(name) {
                        return Ok(v);
                    }
                if let Some(m) = super::builtins::unbound_method(self, t, name)? {
                    return Ok(m);
                }
                if name == "__name__" {
                    return Ok(Value::Str(t.name.clone()));
                }
                return Err(Exception::new(
                    "AttributeError",
                    format!("type object '{}' has no attribute '{name}'", t.name),
                ));
            }
            Value::Function(f) if name == "__name__" => return Ok(Value::Str(f.def.name.clone())),
            Value::Function(f) if name == "__doc__" => return Ok(docstring(&f.def.body)),
            Value::Function(f) if name == "__annotations__" => return self.function_annotations(f),
            Value::Builtin(b) if name == "__name__" => return Ok(Value::Str(b.name.clone())),
            Value::Exception(e) if name == "args" => return Ok(Value::tuple(e.args.borrow().clone())),
            Value::Exception(_) if matches!(name, "__cause__" | "__context__") => return Ok(Value::None),
            Value::Exception(_) if name == "__suppress_context__" => return Ok(Value::Bool(false)),
            _ => {}
        }
        if name == "send"
            && let Value::Iter(c) = obj
            && matches!(&*c.borrow(), IterState::Generator(_))
        {
            return Ok(super::generator::send_method(obj));
        }
        if let Some(v) = super::builtins::attribute(self, obj, name)? {
            return Ok(v);
        }
        Err(Exception::new("AttributeError", format!("'{}' object has no attribute '{name}'", obj.type_name())))
    }

    pub fn set_attr(&mut self, obj: &Value, name: &str, value: Value) -> R<()> {
        match obj {
            Value::Native(n) => {
                let n = n.clone();
                if n.set_attr(obj, name, value, self)? {
                    return Ok(());
                }
                Err(Exception::new("AttributeError", format!("'{}' object has no attribute '{name}'", n.type_name())))
            }
            Value::Module(m) => {
                m.set(name, value);
                Ok(())
            }
            Value::Instance(_) | Value::Exception(_) => self.instance_setattr(obj, name, value),
            Value::Type(t) if t.is_user() => {
                t.attrs.borrow_mut().insert(name.into(), value);
                self.invalidate_class_flags();
                Ok(())
            }
            Value::Type(t) => Err(Exception::type_error(format!(
                "cannot set '{name}' attribute of immutable type '{}'",
                t.name
            ))),
            other => {
                let has = super::builtins::attribute(self, other, name)?.is_some();
                if has {
                    Err(Exception::new(
                        "AttributeError",
                        format!("attribute '{name}' of '{}' objects is not writable", other.type_name()),
                    ))
                } else {
                    Err(Exception::new(
                        "AttributeError",
                        format!("'{}' object has no attribute '{name}'", other.type_name()),
                    ))
                }
            }
        }
    }

    pub fn get_item(&mut self, obj: &Value, key: &Value) -> R<Value> {
        // A tensor key of a Python sequence goes through its `__index__`.
        if let Value::Native(_) = key
            && matches!(obj, Value::List(_) | Value::Tuple(_) | Value::Str(_) | Value::Range(_))
            && let Some(i) = super::torch::tensor_index(key)
        {
            return self.get_item(obj, &Value::Int(i?));
        }
        match obj {
            Value::List(l) => {
                let items = l.borrow();
                seq_get(&items, key, "list").map(|r| r.unwrap_or_else(Value::list))
            }
            Value::Tuple(t) => seq_get(t, key, "tuple").map(|r| r.unwrap_or_else(Value::tuple)),
            Value::Str(s) => {
                // One character of an ASCII string, without splitting the whole string.
                if let Value::Int(i) = key
                    && s.is_ascii()
                {
                    let n = s.len() as i64;
                    let j = if *i < 0 { i.saturating_add(n) } else { *i };
                    if j < 0 || j >= n {
                        return Err(Exception::new("IndexError", "string index out of range"));
                    }
                    return Ok(Value::Str(s[j as usize..j as usize + 1].into()));
                }
                let chars: Vec<Value> = s.chars().map(|c| Value::Str(c.to_string().into())).collect();
                match key {
                    Value::Slice(_) | Value::Int(_) | Value::Bool(_) | Value::BigInt(_) => match seq_get(&chars, key, "string")? {
                        Ok(v) => Ok(v),
                        Err(parts) => Ok(Value::Str(parts.iter().map(|v| v.to_str()).collect::<String>().into())),
                    },
                    Value::Native(n) if n.index().is_some() => seq_get(&chars, key, "string")?
                        .map_err(|_| Exception::type_error("an __index__ key is not a slice")),
                    other => Err(Exception::type_error(format!(
                        "string indices must be integers, not '{}'",
                        c_type_name(other)
                    ))),
                }
            }
            Value::Range(r) => match key {
                Value::Slice(s) => {
                    let n = r.len();
                    let (start, stop, step) = slice_indices(s, n)?;
                    Ok(Value::Range(Rc::new(RangeVal {
                        start: r.get(start),
                        stop: r.get(stop),
                        step: r.step * step,
                    })))
                }
                Value::BigInt(_) => Err(Exception::new("IndexError", "range object index out of range")),
                _ => {
                    let i = index_of(key, "range")?;
                    let n = r.len();
                    let j = if i < 0 { i + n } else { i };
                    if j < 0 || j >= n {
                        return Err(Exception::new("IndexError", "range object index out of range"));
                    }
                    Ok(Value::Int(r.get(j)))
                }
            },
            Value::Dict(d) => {
                let v = d.borrow().get(key)?;
                v.ok_or_else(|| key_error(key))
            }
            Value::Native(n) => {
                let n = n.clone();
                match n.get_item(obj, key, self)? {
                    Some(v) => Ok(v),
                    None => Err(Exception::type_error(format!("'{}' object is not subscriptable", n.type_name()))),
                }
            }
            Value::Instance(_) => match self.call_dunder(obj, "__getitem__", vec![key.clone()])? {
                Some(v) => Ok(v),
                None => match super::classes::builtin_half(obj) {
                    Some(h) => self.get_item(&h, key),
                    None => Err(Exception::type_error(format!("'{}' object is not subscriptable", obj.type_name()))),
                },
            },
            Value::Type(t) => match super::enums::class_item(self, t, key)? {
                Some(m) => Ok(m),
                None => {
                    // `Stack[int]`: a class's `__class_getitem__` (implicitly a classmethod).
                    let hook = t.mro().iter().find_map(|c| c.attrs.borrow().get("__class_getitem__").cloned());
                    match hook {
                        Some(f) => {
                            let f = match f.downcast::<super::classes::ClassMethod>() {
                                Some(cm) => cm.0.clone(),
                                None => f,
                            };
                            self.call(&f, Args::new("__class_getitem__", vec![obj.clone(), key.clone()]))
                        }
                        None => Err(Exception::unsupported(format!("subscripting the type '{}'", t.name))),
                    }
                }
            },
            other => Err(Exception::type_error(format!("'{}' object is not subscriptable", other.type_name()))),
        }
    }

    pub fn set_item(&mut self, obj: &Value, key: &Value, value: Value) -> R<()> {
        match obj {
            Value::List(l) => {
                if let Value::Slice(s) = key {
                    let new_items = self.iterate(&value).map_err(|_| Exception::type_error("must assign iterable to extended slice"))?;
                    let mut items = l.borrow_mut();
                    let n = items.len() as i64;
                    let (start, stop, step) = slice_indices(s, n)?;
                    if step == 1 {
                        let stop = stop.max(start);
                        items.splice(start as usize..stop as usize, new_items);
                        return Ok(());
                    }
                    let idxs = slice_positions(start, stop, step);
                    if idxs.len() != new_items.len() {
                        return Err(Exception::value_error(format!(
                            "attempt to assign sequence of size {} to extended slice of size {}",
                            new_items.len(),
                            idxs.len()
                        )));
                    }
                    for (i, v) in idxs.into_iter().zip(new_items) {
                        items[i as usize] = v;
                    }
                    return Ok(());
                }
                let i = index_of(key, "list")?;
                let mut items = l.borrow_mut();
                let n = items.len() as i64;
                let j = if i < 0 { i + n } else { i };
                if j < 0 || j >= n {
                    return Err(Exception::new("IndexError", "list assignment index out of range"));
                }
                items[j as usize] = value;
                Ok(())
            }
            Value::Dict(d) => d.borrow_mut().insert(key.clone(), value),
            Value::Instance(_) if self.dunder(obj, "__setitem__").is_none() && super::classes::builtin_half(obj).is_some() => {
                let h = super::classes::builtin_half(obj).unwrap_or(Value::None);
                self.set_item(&h, key, value)
            }
            Value::Instance(_) => match self.call_dunder(obj, "__setitem__", vec![key.clone(), value])? {
                Some(_) => Ok(()),
                None => Err(Exception::type_error(format!(
                    "'{}' object does not support item assignment",
                    obj.type_name()
                ))),
            },
            Value::Native(n) => {
                let n = n.clone();
                if n.set_item(obj, key, value, self)? {
                    Ok(())
                } else {
                    Err(Exception::type_error(format!("'{}' object does not support item assignment", n.type_name())))
                }
            }
            other => Err(Exception::type_error(format!("'{}' object does not support item assignment", other.type_name()))),
        }
    }

    fn del_item(&mut self, obj: &Value, key: &Value) -> R<()> {
        match obj {
            Value::List(l) => {
                let mut items = l.borrow_mut();
                let n = items.len() as i64;
                if let Value::Slice(s) = key {
                    let (start, stop, step) = slice_indices(s, n)?;
                    let mut idxs = slice_positions(start, stop, step);
                    idxs.sort_unstable();
                    for i in idxs.into_iter().rev() {
                        items.remove(i as usize);
                    }
                    return Ok(());
                }
                let i = index_of(key, "list")?;
                let j = if i < 0 { i + n } else { i };
                if j < 0 || j >= n {
                    return Err(Exception::new("IndexError", "list assignment index out of range"));
                }
                items.remove(j as usize);
                Ok(())
            }
            Value::Dict(d) => {
                let removed = d.borrow_mut().remove(key)?;
                removed.map(|_| ()).ok_or_else(|| key_error(key))
            }
            Value::Instance(_) => match self.call_dunder(obj, "__delitem__", vec![key.clone()])? {
                Some(_) => Ok(()),
                None => match super::classes::builtin_half(obj) {
                    Some(h) => self.del_item(&h, key),
                    None => Err(Exception::type_error(format!("'{}' object doesn't support item deletion", obj.type_name()))),
                },
            },
            other => Err(Exception::type_error(format!("'{}' object doesn't support item deletion", other.type_name()))),
        }
    }
}

/// Room for a call's arguments that also fits the callee's frame, so the argument vector can
/// become the frame's slots without growing.
fn frame_capacity(func: &Function, args: usize) -> usize {
    args.max(func.def.scope().slots.len())
}

pub(crate) fn key_error(key: &Value) -> Exception {
    Exception::new("KeyError", key.repr()).with_args(vec![key.clone()])
}

/// An index operand as i64 (ints, bools and natives that act like ints are accepted).
pub(crate) fn index_of(key: &Value, what: &str) -> R<i64> {
    match key {
        Value::Int(i) => Ok(*i),
        Value::Bool(b) => Ok(*b as i64),
        Value::BigInt(_) => Err(Exception::new("IndexError", "cannot fit 'int' into an index-sized integer")),
        Value::Native(n) if let Some(i) = n.index() => i.map_err(Exception::type_error),
        Value::Instance(_) if let Some(h @ (Value::Int(_) | Value::Bool(_) | Value::BigInt(_))) = super::value::number_half(key) => index_of(&h, what),
        other => Err(Exception::type_error(format!(
            "{what} indices must be integers or slices, not {}",
            c_type_name(other)
        ))),
    }
}

/// The type's name as CPython's messages print it (`tp_name`): NumPy's types are C types
/// named with their module (`numpy.float64`), Python classes by their bare name.
fn c_type_name(v: &Value) -> String {
    match v {
        Value::Native(n) if n.module_name() == Some("numpy") => format!("numpy.{}", n.type_name()),
        other => other.type_name(),
    }
}

/// `seq[key]`: Ok(Ok(item)) for an index, Ok(Err(items)) for a slice.
pub(crate) fn seq_get(items: &[Value], key: &Value, what: &str) -> R<Result<Value, Vec<Value>>> {
    let n = items.len() as i64;
    if let Value::Slice(s) = key {
        let (start, stop, step) = slice_indices(s, n)?;
        return Ok(Err(slice_positions(start, stop, step).into_iter().map(|i| items[i as usize].clone()).collect()));
    }
    let i = index_of(key, what)?;
    let j = if i < 0 { i + n } else { i };
    if j < 0 || j >= n {
        return Err(Exception::new("IndexError", format!("{what} index out of range")));
    }
    Ok(Ok(items[j as usize].clone()))
}

/// CPython's PySlice_AdjustIndices: normalized (start, stop, step) for a length.
pub(crate) fn slice_indices(s: &[Value; 3], n: i64) -> R<(i64, i64, i64)> {
    let get = |v: &Value| -> R<Option<i64>> {
        match v {
            Value::None => Ok(None),
            // Out-of-range bounds clamp, as CPython's ssize_t slice indices do.
            Value::BigInt(b) => Ok(Some(if b.sign() == num_bigint::Sign::Minus { i64::MIN } else { i64::MAX })),
            Value::Native(n) if let Some(i) = n.index() => i.map(Some).map_err(Exception::type_error),
            other => other.as_int().map(Some).ok_or_else(|| {
                Exception::type_error("slice indices must be integers or None or have an __index__ method")
            }),
        }
    };
    let step = get(&s[2])?.unwrap_or(1);
    if step == 0 {
        return Err(Exception::value_error("slice step cannot be zero"));
    }
    let (lower, upper) = if step < 0 { (-1, n - 1) } else { (0, n) };
    let fix = |v: Option<i64>, default: i64| -> i64 {
        match v {
            None => default,
            Some(i) if i < 0 => (i + n).max(lower),
            Some(i) => i.min(upper),
        }
    };
    let start = fix(get(&s[0])?, if step < 0 { upper } else { lower });
    let stop = fix(get(&s[1])?, if step < 0 { lower } else { upper });
    Ok((start, stop, step))
}

pub(crate) fn slice_positions(start: i64, stop: i64, step: i64) -> Vec<i64> {
    let mut out = Vec::new();
    let mut i = start;
    if step > 0 {
        while i < stop {
            out.push(i);
            let Some(next) = i.checked_add(step) else { break };
            i = next;
        }
    } else {
        while i > stop {
            out.push(i);
            let Some(next) = i.checked_add(step) else { break };
            i = next;
        }
    }
    out
}

/// CPython's TypeError for arguments a call left out: `f() missing 2 required positional
/// arguments: 'a' and 'b'` (`names` already quoted, in order).
pub(crate) fn missing_arguments(fname: &str, kind: &str, names: &[String]) -> Exception {
    let list = match names.len() {
        0 => String::new(),
        1 => names[0].clone(),
        2 => format!("{} and {}", names[0], names[1]),
        n => format!("{}, and {}", names[..n - 1].join(", "), names[n - 1]),
    };
    Exception::type_error(format!(
        "{fname}() missing {} required {kind} argument{}: {list}",
        names.len(),
        if names.len() == 1 { "" } else { "s" }
    ))
}

/// A body's docstring: its first statement when that is a string literal, else None.
pub(crate) fn docstring(body: &[Stmt]) -> Value {
    match body.first().map(|s| &s.kind) {
        Some(StmtKind::Expr(e)) => match &e.kind {
            ExprKind::Str(s) => Value::Str(s.clone()),
            _ => Value::None,
        },
        _ => Value::None,
    }
}
