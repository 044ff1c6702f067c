//! The Markdown side: a lesson as code cells and their expected outputs. Knows nothing of Python.
//!
//! A lesson is parsed once with pulldown-cmark (so fences inside lists, quotes and indented code
//! are classified as CommonMark classifies them); every cell and expected output keeps byte
//! spans into the file, which is how diagnostics, diffs and `--bless` find their place.

mod discover;
mod parse;
mod rewrite;

pub use discover::{LessonPath, discover, load};

pub use parse::{markdown_options, parse};
pub use rewrite::{Edit, apply_edits, bless_edit, write_atomic};

use crate::source::{SourceFile, Span};

/// A parsed lesson: its source and its cells in document order.
#[derive(Clone, Debug)]
pub struct Lesson {
    pub source: SourceFile,
    pub cells: Vec<Cell>,
    /// Things worth telling the author that do not stop the lesson from running.
    pub warnings: Vec<LessonError>,
}

/// One ```python fenced block.
#[derive(Clone, Debug)]
pub struct Cell {
    /// 1-based line of the opening fence: how reports name the cell.
    pub line: usize,
    /// The whole fenced block, opening fence to closing fence inclusive.
    pub fence: Span,
    /// The code to run: the block's body without a seed-style trailing `output:` string.
    pub code: Span,
    pub options: CellOptions,
    pub expected: Option<Expected>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct CellOptions {
    /// `skip`: shown, not run.
    pub skip: bool,
}

/// What a cell is expected to print, and where that text lives in the file.
#[derive(Clone, Debug)]
pub struct Expected {
    pub text: String,
    pub style: ExpectedStyle,
    pub options: CompareOptions,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExpectedStyle {
    /// A ```output block after the cell: `block` is the whole fenced block, `body` the text
    /// between its fences (what `--bless` replaces).
    Block { block: Span, body: Span },
    /// The seed's style: a trailing `"""\n--------\noutput:\n...\n"""` string inside the cell;
    /// `body` is the output text inside it, `closing_inline` whether the closing quotes share
    /// the last output line (then a rewrite must not end the body with a newline).
    SeedString { body: Span, closing_inline: bool },
}

/// How actual and expected outputs are compared (words of the output block's info string).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CompareOptions {
    /// `tolerance=R`: numbers compared with relative tolerance R, other text exactly.
    pub tolerance: Option<f64>,
}

impl Lesson {
    /// The code a cell runs.
    pub fn code(&self, cell: &Cell) -> &str {
        &self.source.text[cell.code.range()]
    }
}

/// Problems in a lesson's Markdown, each at a place in the file.
#[derive(Clone, Debug, thiserror::Error, PartialEq)]
pub enum LessonError {
    #[error("unknown option `{option}` on an output block (known: tolerance=R)")]
    UnknownOutputOption { option: String, span: Span },
    #[error("`{value}` is not a tolerance: write a relative tolerance such as tolerance=1e-6")]
    BadTolerance { value: String, span: Span },
    #[error("unknown cell option `{option}` is ignored (known: skip)")]
    UnknownCellOption { option: String, span: Span },
}

impl LessonError {
    pub fn span(&self) -> Span {
        match self {
            LessonError::UnknownOutputOption { span, .. }
            | LessonError::BadTolerance { span, .. }
            | LessonError::UnknownCellOption { span, .. } => *span,
        }
    }
}
