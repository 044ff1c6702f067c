//! Source files and spans: byte offsets into a lesson's Markdown, and their line/column view.

use std::ops::Range;
use std::path::PathBuf;

/// A half-open byte range into one source text (for cells: into the Markdown file).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub const fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }

    /// This span moved right by `offset` bytes (cell-relative to file-relative).
    pub fn shift(self, offset: usize) -> Span {
        Span { start: self.start + offset, end: self.end + offset }
    }

    pub fn range(self) -> Range<usize> {
        self.start..self.end
    }
}

/// A value with the span it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Spanned<T> {
    pub node: T,
    pub span: Span,
}

/// A named text: a lesson file as read from disk.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    /// The file's text without a leading byte order mark (which would hide a first fence or
    /// front matter from the Markdown parser); spans are offsets into this text.
    pub text: String,
    /// Whether the file began with a UTF-8 byte order mark, which a rewrite puts back.
    pub bom: bool,
    line_starts: Vec<usize>,
}

/// A 1-based line and column (the column counts characters, as editors do).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineCol {
    pub line: usize,
    pub col: usize,
}

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, text: impl Into<String>) -> SourceFile {
        let mut text = text.into();
        let bom = text.starts_with('\u{feff}');
        if bom {
            text.drain(..'\u{feff}'.len_utf8());
        }
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SourceFile { path: path.into(), text, bom, line_starts }
    }

    /// The bytes of a file holding `text` as this one holds its own (the byte order mark kept).
    pub fn file_contents(&self, text: &str) -> String {
        if self.bom { format!("\u{feff}{text}") } else { text.to_string() }
    }

    /// Line and column of a byte offset (clamped to the text).
    pub fn line_col(&self, offset: usize) -> LineCol {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let col = self.text.get(start..offset).map_or(offset - start, |s| s.chars().count()) + 1;
        LineCol { line: line + 1, col }
    }

    /// The text of 1-based line `line`, without its newline.
    pub fn line_text(&self, line: usize) -> &str {
        let Some(&start) = self.line_starts.get(line.wrapping_sub(1)) else { return "" };
        let end = self.line_starts.get(line).map_or(self.text.len(), |&e| e - 1);
        self.text[start..end].trim_end_matches('\r')
    }

    /// `path:line:col` for a byte offset, the form editors and CI annotators understand.
    pub fn location(&self, offset: usize) -> String {
        let lc = self.line_col(offset);
        format!("{}:{}:{}", self.path.display(), lc.line, lc.col)
    }
}
