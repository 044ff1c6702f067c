//! Finding cells and expected outputs in a lesson's Markdown (the one pulldown-cmark entry point).

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag};

use super::{Cell, CellOptions, CompareOptions, Expected, ExpectedStyle, Lesson, LessonError};
use crate::source::{SourceFile, Span};

/// The pulldown-cmark options every part of lessonrun reads lessons with, so that the renderer
/// and the parser agree on what is a code block.
pub fn markdown_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_MATH
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
}

/// A fenced block as found in the file.
struct Fence {
    info: String,
    /// Opening fence line start to closing fence line end.
    block: Span,
    body: Span,
    /// Byte offset of the info string's first character.
    info_at: usize,
    indent: usize,
}

/// Splits a lesson into cells. Never fails: problems that do not stop a lesson from running are
/// returned as warnings; malformed options are reported and the option ignored.
pub fn parse(source: SourceFile) -> Lesson {
    let fences = fenced_blocks(&source.text);
    let mut cells = Vec::new();
    let mut warnings = Vec::new();
    let mut i = 0;
    while i < fences.len() {
        let f = &fences[i];
        i += 1;
        let mut words = f.info.split(|c: char| c.is_whitespace() || c == ',').filter(|w| !w.is_empty());
        if words.next() != Some("python") || f.indent > 3 {
            continue;
        }
        let mut options = CellOptions::default();
        for w in words {
            match w {
                "skip" => options.skip = true,
                _ => warnings.push(LessonError::UnknownCellOption {
                    option: w.to_string(),
                    span: word_span(&source.text, f.info_at, w),
                }),
            }
        }
        let line = source.line_col(f.block.start).line;
        let mut cell = Cell { line, fence: f.block, code: f.body, options, expected: None };

        // An ```output block right after the cell (only blank lines between) is its expectation.
        if let Some(next) = fences.get(i) {
            let gap = &source.text[f.block.end..next.block.start];
            let mut words = next.info.split_whitespace();
            if gap.trim().is_empty() && words.next() == Some("output") {
                let options = compare_options(&source.text, next.info_at, words, &mut warnings);
                let text = source.text[next.body.range()].to_string();
                cell.expected = Some(Expected {
                    text,
                    style: ExpectedStyle::Block { block: next.block, body: next.body },
                    options,
                });
                i += 1;
            }
        }
        if cell.expected.is_none()
            && let Some((code_end, expected)) = seed_output(&source.text, f.body)
        {
            cell.code = Span::new(f.body.start, code_end);
            cell.expected = Some(expected);
        }
        cells.push(cell);
    }
    Lesson { source, cells, warnings }
}

/// Every fenced code block, in order, with its spans. Blocks inside block quotes are skipped:
/// their lines carry `>` markers, so they are examples of lessons, not cells.
fn fenced_blocks(text: &str) -> Vec<Fence> {
    let mut out = Vec::new();
    for (event, range) in Parser::new_ext(text, markdown_options()).into_offset_iter() {
        let Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) = event else { continue };
        let line_start = text[..range.start].rfind('\n').map_or(0, |i| i + 1);
        let prefix = &text[line_start..range.start];
        if !prefix.chars().all(|c| c == ' ') {
            continue;
        }
        let opening_end = text[range.start..].find('\n').map_or(text.len(), |i| range.start + i + 1);
        let opening = &text[range.start..opening_end];
        let marker_len = opening.chars().take_while(|&c| c == '`' || c == '~').count();
        let info_at = range.start + marker_len + (opening[marker_len..].len() - opening[marker_len..].trim_start().len());
        // The block's range ends after its closing fence line (or at the end of the file when
        // the fence is never closed, which CommonMark allows).
        let mut block_end = range.end.max(opening_end);
        if text[block_end..].starts_with('\n') {
            block_end += 1;
        }
        let last_line_start = text[..block_end].trim_end_matches('\n').rfind('\n').map_or(0, |i| i + 1);
        let last_line = text[last_line_start..block_end].trim();
        let closed = last_line_start >= opening_end
            && last_line.len() >= marker_len
            && last_line.chars().all(|c| c == opening.as_bytes()[0] as char);
        let body_end = if closed { last_line_start } else { block_end };
        out.push(Fence {
            info: info.to_string(),
            block: Span::new(line_start, block_end),
            body: Span::new(opening_end, body_end.max(opening_end)),
            info_at,
            indent: prefix.len(),
        });
    }
    out
}

fn compare_options<'a>(
    text: &str,
    info_at: usize,
    words: impl Iterator<Item = &'a str>,
    warnings: &mut Vec<LessonError>,
) -> CompareOptions {
    let mut options = CompareOptions::default();
    for w in words {
        let span = word_span(text, info_at, w);
        match w.split_once('=') {
            Some(("tolerance", value)) => match value.parse::<f64>() {
                Ok(t) if t >= 0.0 && t.is_finite() => options.tolerance = Some(t),
                _ => warnings.push(LessonError::BadTolerance { value: value.to_string(), span }),
            },
            _ => warnings.push(LessonError::UnknownOutputOption { option: w.to_string(), span }),
        }
    }
    options
}

/// The span of `word` within the info string that starts at `info_at`.
fn word_span(text: &str, info_at: usize, word: &str) -> Span {
    let line_end = text[info_at..].find('\n').map_or(text.len(), |i| info_at + i);
    let start = text[info_at..line_end].find(word).map_or(info_at, |i| info_at + i);
    Span::new(start, start + word.len())
}

/// The seed's style of expected output: the cell's last statement is a bare triple-quoted
/// string whose first line is `output:` (after an optional line of dashes). Returns where the
/// code to run ends and the expectation.
fn seed_output(text: &str, body: Span) -> Option<(usize, Expected)> {
    let code = &text[body.range()];
    let trimmed = code.trim_end();
    let quote = ["\"\"\"", "'''"].into_iter().find(|q| trimmed.ends_with(q))?;
    // The opening quotes start a line of their own (a top-level statement).
    let close_at = trimmed.len() - 3;
    let mut open_at = None;
    let mut line_start = 0;
    for line in code[..close_at].split_inclusive('\n') {
        if line.starts_with(quote) {
            open_at = Some(line_start);
        }
        line_start += line.len();
    }
    let open_at = open_at?;
    if open_at == close_at {
        return None;
    }
    let inner = &code[open_at + 3..close_at];
    // Walk the header lines: blank lines, one line of dashes, then `output:`.
    let mut pos = 0;
    let mut seen_dashes = false;
    loop {
        let line_end = inner[pos..].find('\n').map_or(inner.len(), |i| pos + i + 1);
        let line = inner[pos..line_end].trim();
        if line.is_empty() && line_end < inner.len() {
        } else if !seen_dashes && !line.is_empty() && line.chars().all(|c| c == '-') {
            seen_dashes = true;
        } else if line == "output:" {
            pos = line_end;
            break;
        } else {
            return None;
        }
        pos = line_end;
    }
    let out_start = open_at + 3 + pos;
    let closing_inline = !code[..close_at].ends_with('\n');
    let mut expected = code[out_start..close_at].to_string();
    if closing_inline && !expected.is_empty() {
        expected.push('\n');
    }
    Some((
        body.start + open_at,
        Expected {
            text: expected,
            style: ExpectedStyle::SeedString {
                body: Span::new(body.start + out_start.min(close_at), body.start + close_at),
                closing_inline,
            },
            options: CompareOptions::default(),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lesson(text: &str) -> Lesson {
        parse(SourceFile::new("t.md", text))
    }

    #[test]
    fn cell_with_output_block() {
        let l = lesson("# T\n\n```python\nprint(1)\n```\n\n```output tolerance=1e-6\n1\n```\n");
        assert_eq!(l.cells.len(), 1);
        let c = &l.cells[0];
        assert_eq!(c.line, 3);
        assert_eq!(l.code(c), "print(1)\n");
        let e = c.expected.as_ref().unwrap();
        assert_eq!(e.text, "1\n");
        assert_eq!(e.options.tolerance, Some(1e-6));
        assert!(l.warnings.is_empty());
    }

    #[test]
    fn output_block_must_follow_directly() {
        let l = lesson("```python\nprint(1)\n```\ntext\n```output\n1\n```\n");
        assert!(l.cells[0].expected.is_none());
    }

    #[test]
    fn options_and_non_cells() {
        let l = lesson("```python skip\nx\n```\n```python3\ny\n```\n```text\nz\n```\n> ```python\n> q\n> ```\n");
        assert_eq!(l.cells.len(), 1);
        assert!(l.cells[0].options.skip);
    }

    #[test]
    fn seed_style_output() {
        let src = "```python\nprint(2)\n\"\"\"\n--------\noutput:\n2\n\"\"\"\n```\n";
        let l = lesson(src);
        let c = &l.cells[0];
        assert_eq!(l.code(c), "print(2)\n");
        let e = c.expected.as_ref().unwrap();
        assert_eq!(e.text, "2\n");
        let ExpectedStyle::SeedString { body, closing_inline } = e.style else { panic!() };
        assert_eq!(&src[body.range()], "2\n");
        assert!(!closing_inline);
    }

    #[test]
    fn plain_docstring_is_not_an_expectation() {
        let l = lesson("```python\nx = 1\n\"\"\"just a note\"\"\"\n```\n");
        assert!(l.cells[0].expected.is_none());
        assert_eq!(l.code(&l.cells[0]), "x = 1\n\"\"\"just a note\"\"\"\n");
    }

    #[test]
    fn unclosed_fence_runs_to_end() {
        let l = lesson("```python\nprint(1)\n");
        assert_eq!(l.code(&l.cells[0]), "print(1)\n");
    }

    #[test]
    fn bad_options_warn() {
        let l = lesson("```python fast\n1\n```\n```output tolerance=x wide\n1\n```\n");
        assert_eq!(l.warnings.len(), 3);
    }
}
