//! Jupyter notebooks in and out: a lesson and its run as an nbformat 4.5 notebook
//! (`export`), and a notebook as a lesson (`import`). Knows nothing of `lang`: it maps the
//! `lesson` side and `execute`'s output items onto nbformat's cells and outputs.
//!
//! The mapping, both ways:
//! - prose between cells ⇄ markdown cells; a ```` ```python ```` cell ⇄ a code cell; what the
//!   cell printed ⇄ `stream` (stdout) outputs; an exception that ended it ⇄ an `error` output;
//!   a figure ⇄ a `display_data` output with `image/svg+xml` (import drops it: figures are not
//!   compared). lessonrun's output items do not tell a cell's last-expression value apart from
//!   its prints, so export writes both as one `stream`; import reads an `execute_result`'s
//!   `text/plain` as printed text, as lessonrun prints the value.
//! - front matter ⇄ the notebook metadata's `lessonrun.front_matter` (verbatim text); a `skip`
//!   cell ⇄ a code cell without outputs whose metadata has `lessonrun.skip`; an output block's
//!   comparison words (`tolerance=1e-6`) ⇄ the code cell's `lessonrun.output` metadata.
//! - lessons start with `torch`, `nn`, `F` and `math` imported and the generator seeded; a
//!   notebook does not, so export opens with a setup cell doing that (metadata
//!   `lessonrun.setup`), which import drops.

pub mod export;
pub mod import;
pub mod json;

pub use export::{notebook_json, to_notebook};
pub use import::{Imported, Note, from_json};

/// Why a notebook could not be read.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum NotebookError {
    /// Not JSON at all: where the parser stopped (1-based line and column) and why.
    #[error("{line}:{column}: not valid JSON: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    /// JSON, but not an nbformat 4 notebook.
    #[error("{0}")]
    Format(String),
}
