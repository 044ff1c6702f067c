//! The Markdown side: a lesson as code cells and their expected outputs. Knows nothing of Python.
//!
//! A lesson is parsed once with pulldown-cmark (so fences inside lists, quotes and indented code
//! are classified as CommonMark classifies them); every cell and expected output keeps byte
//! spans into the file, which is how diagnostics, diffs and `--bless` find their place.

pub mod discover;
pub mod parse;
pub mod rewrite;

pub use discover::{Discovered, LessonPath, Refused, discover, discover_all, discover_glob, glob_match, is_glob, load};

pub use parse::{markdown_options, parse, parse_byte_size};
pub use rewrite::{Edit, RewriteError, apply_edits, bless_edit, rewrite_lesson, write_atomic, write_new};

use crate::source::{SourceFile, Span};

/// A parsed lesson: its source and its cells in document order.
#[derive(Clone, Debug)]
pub struct Lesson {
    pub source: SourceFile,
    pub cells: Vec<Cell>,
    /// Comparison options set for the whole lesson by its front matter (a `---` YAML block at
    /// the top); every expectation starts from these and its own info-string words add to them.
    pub defaults: CompareOptions,
    /// The front matter's `memory-limit` in bytes (0: no limit), overriding the command line's.
    pub memory_limit: Option<u64>,
    /// The front matter's body (the text between its `---` lines), if the lesson has one.
    pub front_matter: Option<Span>,
    /// The front matter's `title` and `order`: how the site names and places the page.
    pub meta: PageMeta,
    /// Things worth telling the author that do not stop the lesson from running.
    pub warnings: Vec<LessonError>,
    /// Problems that make the file's cells or expectations ambiguous (a fence never closed,
    /// front matter swallowing cells): such a lesson is reported, never run or rewritten.
    pub errors: Vec<LessonError>,
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
    /// `hide-code`: runs, and the page shows only its output.
    pub hide_code: bool,
    /// `hide-output`: runs and is checked, and the page shows only its code.
    pub hide_output: bool,
}

/// Front matter read by the site, not by the runner.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PageMeta {
    /// `title:` names the page (else its first heading, else its file name).
    pub title: Option<String>,
    /// `order:` places the page in the sidebar: pages with an order come first, by it.
    pub order: Option<f64>,
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

/// How actual and expected outputs are compared: words of the output block's info string, on
/// top of the lesson's front matter.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CompareOptions {
    /// `tolerance=R`: numbers compared with relative tolerance R, other text modulo whitespace.
    pub tolerance: Option<f64>,
    /// `normalize-whitespace`: every run of whitespace (newlines too) equals every other.
    pub normalize_whitespace: bool,
    /// `ellipsis`: `...` in the expectation matches any text, as in doctest.
    pub ellipsis: bool,
    /// `ignore`: the cell runs, its output is not compared.
    pub ignore: bool,
}

impl CompareOptions {
    /// Whether anything but byte-for-byte equality is asked for.
    pub fn is_exact(&self) -> bool {
        self.tolerance.is_none() && !self.normalize_whitespace && !self.ellipsis && !self.ignore
    }
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
    #[error("unknown option `{option}` on an output block (known: tolerance=R, ellipsis, normalize-whitespace, ignore)")]
    UnknownOutputOption { option: String, span: Span },
    #[error("`{value}` is not a tolerance: write a relative tolerance such as tolerance=1e-6")]
    BadTolerance { value: String, span: Span },
    #[error("a ```{info} block is shown but not run: only ```python blocks are cells; write ```python to run it, or ```python skip to show it unrun")]
    NotACell { info: String, span: Span },
    #[error("unknown cell option `{option}` is ignored (known: skip)")]
    UnknownCellOption { option: String, span: Span },
    #[error("front matter `{key}: {value}` is ignored: {expected}")]
    BadFrontMatter { key: String, value: String, expected: &'static str, span: Span },
    #[error("this code block is never closed, so it runs to {until}: end it with a line {fence} of its own")]
    UnclosedFence { fence: String, until: &'static str, span: Span },
    #[error("the front matter opened here {problem}: end it with a line `---` after its last `key: value`")]
    UnclosedFrontMatter { problem: &'static str, span: Span },
    #[error("lines end in a lone carriage return (CR, classic Mac OS style); lessonrun reads LF or CRLF line endings: convert the file, e.g. with `tr '\\r' '\\n'`")]
    CrLineEndings { span: Span },
}

impl LessonError {
    pub fn span(&self) -> Span {
        match self {
            LessonError::UnknownOutputOption { span, .. }
            | LessonError::BadTolerance { span, .. }
            | LessonError::UnknownCellOption { span, .. }
            | LessonError::NotACell { span, .. }
            | LessonError::BadFrontMatter { span, .. }
            | LessonError::UnclosedFence { span, .. }
            | LessonError::UnclosedFrontMatter { span, .. }
            | LessonError::CrLineEndings { span } => *span,
        }
    }
}
