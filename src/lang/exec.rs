//! `exec`, `eval`, `compile` and `globals()`: Python code given as a string, parsed by
//! lessonrun's own parser and run by the interpreter (no I/O: the string is all there is).
//!
//! A string's spans are not offsets into the lesson file, so each distinct string gets a range of
//! its own past [`EXEC_BASE`]; an error escaping a cell is mapped back (see [`remap`]): it points
//! at the call that ran the string, and its stack names the string's own line and column.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use super::ast::{Stmt, StmtKind};
use super::error::{Exception, Frame, LangError};
use super::interp::{Flow, Interpreter, compile};
use super::native::{Args, NativeObject};
use super::parser;
use super::value::{Dict, Value};
use crate::source::Span;

type R<T> = Result<T, Exception>;

/// Spans at or past this offset are in strings given to `exec`/`eval`/`compile`, not the file.
pub(crate) const EXEC_BASE: usize = 1 << 48;

/// What `exec`/`eval` parsed, per interpreter: each distinct string once (a `Timer` runs its
/// statement thousands of times), with the span range it was given.
#[derive(Default)]
pub(crate) struct ExecSources {
    parsed: HashMap<(Rc<str>, Mode), Rc<Parsed>>,
    /// (base, text), in the order given, so bases ascend.
    texts: Vec<(usize, Rc<str>)>,
    /// The dict the last `globals()` returned: `exec(code, globals())` writes through to the
    /// module's globals, as CPython's live dict does.
    live: Option<Weak<RefCell<Dict>>>,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) enum Mode {
    Exec,
    Eval,
}

/// A parsed string: its statements (an `eval` string is one expression statement).
pub(crate) struct Parsed {
    body: Vec<Stmt>,
    mode: Mode,
}

impl ExecSources {
    /// The line and column (from 1) of `offset` within the string whose range holds it.
    fn locate(&self, offset: usize) -> Option<(usize, usize)> {
        let i = self
            .texts
            .partition_point(|(b, _)| *b <= offset)
            .checked_sub(1)?;
        let (base, text) = &self.texts[i];
        let rel = (offset - base).min(text.len());
        let mut rel = rel;
        while !text.is_char_boundary(rel) {
            rel -= 1;
        }
        let before = &text[..rel];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Some((line, col))
    }
}

fn in_string(span: Span) -> bool {
    span.start >= EXEC_BASE
}

/// Parse `src` in `mode` (once per distinct string), raising Python's SyntaxError.
pub(crate) fn parse(it: &mut Interpreter, src: &str, mode: Mode) -> R<Rc<Parsed>> {
    // eval() ignores leading spaces and tabs, as CPython's does.
    let src: Rc<str> = if mode == Mode::Eval {
        src.trim_start_matches([' ', '\t']).into()
    } else {
        src.into()
    };
    if let Some(p) = it.exec_sources.parsed.get(&(src.clone(), mode)) {
        return Ok(p.clone());
    }
    let base = match it.exec_sources.texts.last() {
        Some((b, t)) => b + t.len() + 1,
        None => EXEC_BASE,
    };
    it.exec_sources.texts.push((base, src.clone()));
    let body = parser::parse_cell(&src, base).map_err(|e| {
        let (line, _) = it.exec_sources.locate(e.span.start).unwrap_or((1, 1));
        syntax_error(
            e.py_type,
            &e.message,
            line,
            src.lines().nth(line - 1).unwrap_or(""),
            e.unsupported,
        )
    })?;
    if mode == Mode::Eval
        && !matches!(
            &body[..],
            [Stmt {
                kind: StmtKind::Expr(_),
                ..
            }]
        )
    {
        let line = body
            .first()
            .and_then(|s| it.exec_sources.locate(s.span.start))
            .map_or(1, |l| l.0);
        return Err(syntax_error(
            "SyntaxError",
            "invalid syntax",
            line,
            src.lines().nth(line - 1).unwrap_or(""),
            false,
        ));
    }
    let p = Rc::new(Parsed { body, mode });
    it.exec_sources.parsed.insert((src, mode), p.clone());
    Ok(p)
}

/// CPython's SyntaxError for a string: the message as its last traceback line shows it, with
/// args `(msg, ('<string>', line, ...))` so that `e.args` and `e.lineno` can be read.
fn syntax_error(
    py_type: &str,
    message: &str,
    line: usize,
    text: &str,
    unsupported: bool,
) -> Exception {
    if unsupported {
        return Exception::unsupported(message.to_string());
    }
    let details = Value::tuple(vec![
        Value::str("<string>"),
        Value::Int(line as i64),
        Value::None,
        Value::str(text),
    ]);
    Exception::new(py_type, message).with_args(vec![Value::str(message), details])
}

/// Run parsed code at module level; an `eval` string's value, else None.
pub(crate) fn run(it: &mut Interpreter, code: &Parsed) -> R<Value> {
    let r = run_body(it, code);
    r.map_err(leave_string)
}

fn run_body(it: &mut Interpreter, code: &Parsed) -> R<Value> {
    if code.mode == Mode::Eval
        && let [
            Stmt {
                kind: StmtKind::Expr(e),
                ..
            },
        ] = &code.body[..]
    {
        return it.eval(e, &None);
    }
    for stmt in &code.body {
        // As a cell's statements: loops and assignments run compiled.
        let flow = if matches!(
            stmt.kind,
            StmtKind::While(..)
                | StmtKind::For(..)
                | StmtKind::If(..)
                | StmtKind::Assign(..)
                | StmtKind::AugAssign(..)
                | StmtKind::Expr(..)
        ) {
            compile::module_stmt(stmt).run(it, &None)?
        } else {
            it.exec(stmt, &None)?
        };
        if !matches!(flow, Flow::Normal) {
            return Err(Exception::new("SyntaxError", "'return' outside function").at(stmt.span));
        }
    }
    Ok(Value::None)
}

/// An exception leaving a string's code: the string's top level becomes a `<string>` frame (as
/// CPython's traceback shows it), and the call that ran the string is where it happened.
fn leave_string(mut e: Exception) -> Exception {
    let d = &mut e.0;
    if let Some(site) = d.site.filter(|s| in_string(*s)) {
        d.traceback.insert(
            0,
            Frame {
                function: "<string>".into(),
                span: site,
            },
        );
        d.site = None;
    }
    if d.span.is_some_and(in_string) && d.traceback.first().is_none_or(|f| !in_string(f.span)) {
        d.traceback.insert(
            0,
            Frame {
                function: "<string>".into(),
                span: d.span.unwrap_or_default(),
            },
        );
    }
    if d.span.is_some_and(in_string) {
        d.span = None;
    }
    e
}

/// Maps a cell's error out of the strings' span ranges: a frame in a string takes its caller's
/// site and names the string's line and column; so does the error's own span.
pub(crate) fn remap(sources: &ExecSources, e: &mut LangError) {
    if sources.texts.is_empty()
        || (!in_string(e.span) && !e.traceback.iter().any(|f| in_string(f.span)))
    {
        return;
    }
    let mut outer = Span::default();
    for f in &mut e.traceback {
        if in_string(f.span) {
            if let Some((line, col)) = sources.locate(f.span.start) {
                f.function = if f.function == "<string>" {
                    format!("<string> line {line}, column {col}")
                } else {
                    format!("{} (<string> line {line}, column {col})", f.function)
                };
            }
            f.span = outer;
        } else {
            outer = f.span;
        }
    }
    if in_string(e.span) {
        e.span = outer;
    }
}

/// A `globals` argument: a dict (or None), with CPython's wording for anything else.
fn namespace(v: Option<Value>, mode: Mode) -> R<Option<Rc<RefCell<Dict>>>> {
    match v.as_ref() {
        None | Some(Value::None) => Ok(None),
        Some(Value::Dict(d)) => Ok(Some(d.clone())),
        Some(other) if mode == Mode::Exec => Err(Exception::type_error(format!(
            "exec() globals must be a dict, not {}",
            other.type_name()
        ))),
        // eval() tells a mapping (anything subscriptable) from the rest.
        Some(Value::List(_) | Value::Tuple(_) | Value::Str(_)) => Err(Exception::type_error(
            "globals must be a real dict; try eval(expr, {}, mapping)",
        )),
        Some(_) => Err(Exception::type_error("globals must be a dict")),
    }
}

/// Run `f` with `d` as the module's globals: names the code binds land in `d`. The lesson's own
/// functions called meanwhile see `d` too (they have no globals of their own here).
pub(crate) fn with_globals<T>(
    it: &mut Interpreter,
    d: &Rc<RefCell<Dict>>,
    f: impl FnOnce(&mut Interpreter) -> R<T>,
) -> R<T> {
    let live = it
        .exec_sources
        .live
        .as_ref()
        .and_then(Weak::upgrade)
        .is_some_and(|l| Rc::ptr_eq(&l, d));
    let entries: Vec<(Value, Value)> = d
        .borrow()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut names = Vec::with_capacity(entries.len());
    for (k, v) in entries {
        match &k {
            Value::Str(s) => names.push((s.clone(), v)),
            // CPython accepts other keys but no name can reach them.
            _ => continue,
        }
    }
    let saved = if live {
        None
    } else {
        Some(it.globals.take_values())
    };
    for (name, v) in names {
        it.set_global(&name, v);
    }
    let r = f(it);
    let now = it.globals.bound();
    let mut out = Dict::new();
    for (name, v) in now {
        out.insert(Value::Str(name), v)?;
    }
    *d.borrow_mut() = out;
    if let Some(saved) = saved {
        it.globals.restore_values(saved);
    }
    r
}

/// Run `f` with `d`'s names bound over the lesson's globals, all restored afterwards: a
/// `torch.utils.benchmark.Timer` statement, whose calls into the lesson's own functions must
/// find those functions' globals (`F` in a module's `forward`), which `with_globals` hides.
pub(crate) fn with_overlay<T>(
    it: &mut Interpreter,
    d: &Rc<RefCell<Dict>>,
    f: impl FnOnce(&mut Interpreter) -> R<T>,
) -> R<T> {
    let saved = it.globals.copy_values();
    let names: Vec<(Value, Value)> = d.borrow().iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    for (k, v) in names {
        if let Value::Str(s) = &k {
            it.set_global(s, v);
        }
    }
    let r = f(it);
    it.globals.restore_values(saved);
    r
}

fn exec_or_eval(it: &mut Interpreter, args: &Args, mode: Mode) -> R<Value> {
    let fname = if mode == Mode::Exec { "exec" } else { "eval" };
    let [source, globals, locals] = args.bind(&["source", "globals=", "locals=", "/"])?;
    let globals = namespace(globals, mode)?;
    if locals.as_ref().is_some_and(|l| !l.is_none()) {
        return Err(Exception::unsupported(format!(
            "{fname}() with a locals mapping"
        )));
    }
    let code = match &source.unwrap_or(Value::None) {
        Value::Str(s) => parse(it, s, mode)?,
        v => match v.downcast::<CodeObject>() {
            // eval() of an exec-mode code object runs it and gives None, as CPython's does.
            Some(c) => c.0.clone(),
            None => {
                return Err(Exception::type_error(format!(
                    "{fname}() arg 1 must be a string, bytes or code object"
                )));
            }
        },
    };
    let value = match &globals {
        Some(d) => with_globals(it, d, |it| run(it, &code))?,
        None => run(it, &code)?,
    };
    Ok(if mode == Mode::Exec {
        Value::None
    } else {
        value
    })
}

/// What `compile()` returns: the parsed string, run by `exec`/`eval`.
struct CodeObject(Rc<Parsed>, String);

impl NativeObject for CodeObject {
    fn type_name(&self) -> &str {
        "code"
    }
    fn repr(&self) -> String {
        format!(
            "<code object <module> at 0x7f0000000000, file \"{}\", line 1>",
            self.1
        )
    }
}

/// Binds `exec`, `eval`, `compile` and `globals` among the builtins.
pub(crate) fn install(it: &mut Interpreter) {
    let def = |it: &mut Interpreter, name: &str, f: fn(&mut Interpreter, Args) -> R<Value>| {
        it.builtins.insert(name.into(), Value::builtin(name, f));
    };
    def(it, "exec", |it, args| exec_or_eval(it, &args, Mode::Exec));
    def(it, "eval", |it, args| exec_or_eval(it, &args, Mode::Eval));
    def(it, "compile", |it, args| {
        let [source, filename, mode, _flags, _dont_inherit, _optimize] = args.bind(&[
            "source",
            "filename",
            "mode",
            "flags=",
            "dont_inherit=",
            "optimize=",
        ])?;
        let filename = match filename.as_ref() {
            Some(Value::Str(s)) => s.to_string(),
            Some(v) => {
                return Err(Exception::type_error(format!(
                    "compile() argument 'filename' must be str, bytes or os.PathLike, not {}",
                    v.type_name()
                )));
            }
            None => {
                return Err(Exception::type_error(
                    "compile() missing required argument 'filename' (pos 2)",
                ));
            }
        };
        let mode = match mode.as_ref() {
            Some(Value::Str(s)) if &**s == "exec" => Mode::Exec,
            Some(Value::Str(s)) if &**s == "eval" => Mode::Eval,
            Some(Value::Str(s)) if &**s == "single" => {
                return Err(Exception::unsupported("compile() in 'single' mode"));
            }
            Some(Value::Str(_)) => {
                return Err(Exception::value_error(
                    "compile() mode must be 'exec', 'eval' or 'single'",
                ));
            }
            Some(v) => {
                return Err(Exception::type_error(format!(
                    "compile() argument 'mode' must be str, not {}",
                    v.type_name()
                )));
            }
            None => {
                return Err(Exception::type_error(
                    "compile() missing required argument 'mode' (pos 3)",
                ));
            }
        };
        let code = match &source.unwrap_or(Value::None) {
            Value::Str(s) => parse(it, s, mode)?,
            v => {
                return Err(Exception::type_error(format!(
                    "compile() arg 1 must be a string, bytes or AST object, not {}",
                    v.type_name()
                )));
            }
        };
        Ok(Value::native(CodeObject(code, filename)))
    });
    def(it, "globals", |it, args| {
        args.no_kwargs()?;
        if !args.pos.is_empty() {
            return Err(Exception::type_error(format!(
                "globals() takes no arguments ({} given)",
                args.pos.len()
            )));
        }
        let mut d = Dict::new();
        for (name, v) in it.globals.bound() {
            d.insert(Value::Str(name), v)?;
        }
        let d = Value::dict(d);
        if let Value::Dict(rc) = &d {
            it.exec_sources.live = Some(Rc::downgrade(rc));
        }
        Ok(d)
    });
}
