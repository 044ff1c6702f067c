//! The Python interpreter: lexer, parser and a tree-walking evaluator with CPython 3.11 semantics.
//!
//! It does no I/O: `print` writes to the [`OutputSink`] given to [`Interpreter::run_cell`].
//! torch and friends plug in as native modules and objects through [`native`].

pub mod ast;
pub mod bigint;
mod builtins;
mod pymods;
mod bytes_io;
mod csv;
mod dataclasses;
mod dir;
mod dunders;
mod enums;
pub(crate) mod exec;
pub mod classes;
pub mod cycles;
pub mod error;
pub mod files;
mod files_mem;
pub mod format;
mod generator;
pub mod interp;
pub mod matplotlib;
pub mod lexer;
pub mod limits;
mod lru_cache;
mod math;
mod math_gamma;
mod contextlib;
pub mod os;
mod signature;
pub mod os_files;
mod tempfile;
mod subprocess;
mod uuid;
mod warnings;
pub mod glob;
pub mod unicodedata;
pub mod unicodedata_tables;
pub(crate) mod pathlib;
mod random;
mod re;
mod sandbox;
mod stdlib;
mod stdmods;
mod timeit_timer;
mod argparse;
mod future;
mod pycollections;
mod pybytes;
mod frozenset;
mod itertools;
mod json;
mod namedtuple;
pub mod trash;
pub mod native;
pub mod numpy;
mod ops;
pub mod torch;
pub mod parser;
pub mod value;

pub use error::{ErrorKind, Exception, Frame, LangError};
pub use interp::{Interpreter, OutputSink};
pub use native::{Args, NativeObject, Op};
pub use value::{Dict, Module, TypeObj, Value};
