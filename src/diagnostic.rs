//! Rendering a problem at a place in a lesson: `file:line:col`, the source line and a caret.

use crate::source::{SourceFile, Span};

/// A message about a span of a source file, with optional notes (e.g. the call stack).
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    pub span: Span,
    pub notes: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

impl Diagnostic {
    /// The rustc-style text form:
    ///
    /// ```text
    /// error: NameError: name 'x' is not defined
    ///   --> lessons/a.md:12:7
    ///    |
    /// 12 | print(x)
    ///    |       ^
    /// ```
    pub fn render(&self, file: &SourceFile) -> String {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let lc = file.line_col(self.span.start);
        let line_text = file.line_text(lc.line);
        let gutter = lc.line.to_string().len();
        let pad = " ".repeat(gutter);
        // The caret covers the span on its first line, at least one column.
        let end_lc = file.line_col(self.span.end.max(self.span.start));
        let width = if end_lc.line == lc.line { end_lc.col.saturating_sub(lc.col).max(1) } else {
            line_text.chars().count().saturating_sub(lc.col - 1).max(1)
        };
        let lead: String = line_text.chars().take(lc.col - 1).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
        let mut out = format!(
            "{kind}: {}\n{pad}--> {}\n{pad} |\n{} | {line_text}\n{pad} | {lead}{}\n",
            self.message,
            file.location(self.span.start),
            lc.line,
            "^".repeat(width)
        );
        for note in &self.notes {
            out.push_str(&format!("{pad} = {note}\n"));
        }
        out
    }
}
