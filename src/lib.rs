//! lessonrun as a library: Markdown lessons in, verified outputs and HTML out.
//!
//! The pipeline, in reading order: [`source`] holds files and spans; [`lesson`] splits Markdown
//! into prose, cells and expected outputs; [`lang`] is the Python interpreter (no I/O);
//! [`tensor`] is the autograd engine (knows no Python); [`execute`] is the one module that joins
//! a lesson to the interpreter; [`check`] compares and blesses; [`render`] writes HTML; [`watch`]
//! rebuilds on save; [`cmd`] is the command line.

pub mod alloc;
pub mod addr_map;
pub mod source;
pub mod tensor;
pub mod plot;
pub mod lang;
pub mod lesson;
pub mod execute;
pub mod incremental;
pub mod watchdog;
mod limits;
pub mod lesson_files;
pub mod pytorch_engine;
pub mod check;
pub mod render;
pub mod notebook;
pub mod highlight;
pub mod site;
pub mod watch;
pub mod serve;
pub mod diagnostic;
pub mod cmd;
