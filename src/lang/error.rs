//! Errors: the in-flight Python exception (`Exception`) and the cell-level result (`LangError`).

use crate::source::Span;

use super::value::Value;

/// One traceback entry: the function a line belongs to and the span executing there.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    pub function: String,
    pub span: Span,
}

/// What went wrong with a cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The cell did not parse (SyntaxError, IndentationError).
    Syntax,
    /// A Python exception escaped the cell.
    Exception,
    /// The interpreter stopped: time limit, or valid Python it does not implement.
    Limit,
}

/// A cell's failure, structured. `Display` is the one-line form.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{}", self.last_line())]
pub struct LangError {
    pub kind: ErrorKind,
    pub py_type: String,
    pub message: String,
    pub span: Span,
    /// Innermost last, like Python's traceback.
    pub traceback: Vec<Frame>,
}

impl LangError {
    /// Python's last traceback line, as `traceback.format_exception_only` gives it.
    pub fn last_line(&self) -> String {
        if self.message.is_empty() {
            self.py_type.clone()
        } else {
            format!("{}: {}", self.py_type, self.message)
        }
    }
}

/// A raised Python exception on its way up the stack. Natives create them with
/// [`Exception::new`]; the evaluator fills in where it happened and the traceback.
#[derive(Clone)]
pub struct Exception(pub(crate) Box<ExcData>);

#[derive(Clone)]
pub(crate) struct ExcData {
    pub py_type: String,
    pub message: String,
    /// Where it was raised (innermost), set once.
    pub span: Option<Span>,
    /// Where it currently is in the frame being unwound.
    pub site: Option<Span>,
    pub traceback: Vec<Frame>,
    /// The exception instance, once Python code has seen it or raised it.
    pub value: Option<Value>,
    /// The exception's args when they are not just the message (KeyError carries the key).
    pub args: Option<Vec<Value>>,
    /// Not a Python exception: stops the cell regardless of `try` (time limit, unsupported).
    pub limit: bool,
}

impl std::fmt::Debug for Exception {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.0.py_type, self.0.message)
    }
}

impl Exception {
    pub fn new(py_type: &str, message: impl Into<String>) -> Exception {
        Exception(Box::new(ExcData {
            py_type: py_type.to_string(),
            message: message.into(),
            span: None,
            site: None,
            traceback: Vec::new(),
            value: None,
            args: None,
            limit: false,
        }))
    }

    pub fn type_error(message: impl Into<String>) -> Exception {
        Exception::new("TypeError", message)
    }

    pub fn value_error(message: impl Into<String>) -> Exception {
        Exception::new("ValueError", message)
    }

    pub fn runtime_error(message: impl Into<String>) -> Exception {
        Exception::new("RuntimeError", message)
    }

    /// Valid Python this interpreter does not implement; `try` cannot catch it.
    pub fn unsupported(what: impl Into<String>) -> Exception {
        let mut e = Exception::new("NotImplementedError", format!("unsupported: {}", what.into()));
        e.0.limit = true;
        e
    }

    pub(crate) fn limit(py_type: &str, message: impl Into<String>) -> Exception {
        let mut e = Exception::new(py_type, message);
        e.0.limit = true;
        e
    }

    /// The exception leaving a call of `def` (a function's body or a generator's step): its
    /// frame, at the line being run, goes first in the traceback.
    pub(crate) fn in_function(mut self, def: &super::ast::FuncDef) -> Exception {
        let span = self.0.site.or(self.0.span).unwrap_or(def.span);
        self.0.traceback.insert(0, Frame { function: def.name.to_string(), span });
        self.0.site = None;
        self
    }

    /// Attach the exception's args (as `e.args` shows them), e.g. the missing key of a KeyError.
    pub fn with_args(mut self, args: Vec<Value>) -> Exception {
        self.0.args = Some(args);
        self
    }

    pub fn py_type(&self) -> &str {
        &self.0.py_type
    }

    pub fn message(&self) -> &str {
        &self.0.message
    }

    pub fn is_limit(&self) -> bool {
        self.0.limit
    }

    /// Record `span` as where this happened, unless an inner node already did.
    pub(crate) fn at(mut self, span: Span) -> Exception {
        if self.0.span.is_none() {
            self.0.span = Some(span);
        }
        if self.0.site.is_none() {
            self.0.site = Some(span);
        }
        self
    }
}
