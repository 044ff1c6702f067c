//! Rewriting expected outputs in place (`check --bless`) without touching any other byte.

use std::io::Write;
use std::path::Path;

use super::{Cell, ExpectedStyle};
use crate::source::Span;

/// Replace the bytes of `span` with `text`.
#[derive(Clone, Debug, PartialEq)]
pub struct Edit {
    pub span: Span,
    pub text: String,
}

/// The edit that makes `cell`'s expected output equal `actual`, in the style it already has.
/// A cell without an expectation gets a new ```output block; one whose output became empty
/// loses its block (a cell that prints nothing has none, as torch-oracle writes it).
pub fn bless_edit(text: &str, cell: &Cell, actual: &str) -> Option<Edit> {
    let mut actual = actual.to_string();
    if !actual.is_empty() && !actual.ends_with('\n') {
        actual.push('\n');
    }
    match cell.expected.as_ref().map(|e| &e.style) {
        Some(ExpectedStyle::Block { block, body }) => {
            if actual.is_empty() {
                Some(Edit { span: Span::new(cell.fence.end, block.end), text: String::new() })
            } else {
                let fence_line = &text[block.start..body.start];
                let fence = fence_line.trim_start().chars().take_while(|&c| c == '`' || c == '~').count();
                if needs_longer_fence(&actual, fence) {
                    // The output itself holds a fence line: rewrite the whole block with a longer one.
                    let info = fence_line.trim().trim_start_matches(['`', '~']).to_string();
                    Some(Edit { span: Span::new(block.start, block.end), text: output_block(&actual, &info) })
                } else {
                    Some(Edit { span: *body, text: actual })
                }
            }
        }
        Some(ExpectedStyle::SeedString { body, closing_inline }) => {
            if *closing_inline {
                actual.pop();
            }
            Some(Edit { span: *body, text: actual })
        }
        None if actual.is_empty() => None,
        None => {
            let lead = if text[..cell.fence.end].ends_with('\n') { "\n" } else { "\n\n" };
            Some(Edit { span: Span::new(cell.fence.end, cell.fence.end), text: format!("{lead}{}", output_block(&actual, "output")) })
        }
    }
}

fn output_block(actual: &str, info: &str) -> String {
    let mut n = 3;
    while needs_longer_fence(actual, n) {
        n += 1;
    }
    let fence = "`".repeat(n);
    format!("{fence}{info}\n{actual}{fence}\n")
}

fn needs_longer_fence(actual: &str, fence_len: usize) -> bool {
    actual.lines().any(|l| {
        let t = l.trim_start();
        t.len() - t.trim_start_matches(['`', '~']).len() >= fence_len
    })
}

/// `text` with every edit applied. Edits must not overlap.
pub fn apply_edits(text: &str, edits: &[Edit]) -> String {
    let mut edits: Vec<&Edit> = edits.iter().collect();
    edits.sort_by_key(|e| (e.span.start, e.span.end));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for e in edits {
        out.push_str(&text[at..e.span.start.max(at)]);
        out.push_str(&e.text);
        at = e.span.end.max(at);
    }
    out.push_str(&text[at..]);
    out
}

/// Writes `contents` to `path` so that a reader sees either the old file or the new one, never a
/// half-written file: a temporary file in the same folder, flushed to disk, then renamed.
pub fn write_atomic(path: &Path, contents: &str) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.lessonrun-{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(contents.as_bytes())?;
        f.sync_all()?;
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(&tmp, meta.permissions())?;
        }
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::parse;
    use crate::source::SourceFile;

    fn bless(text: &str, actual: &[&str]) -> String {
        let l = parse(SourceFile::new("t.md", text));
        let edits: Vec<Edit> = l.cells.iter().zip(actual).filter_map(|(c, a)| bless_edit(text, c, a)).collect();
        apply_edits(text, &edits)
    }

    #[test]
    fn replaces_body_only() {
        let t = "a\n```python\nprint(2)\n```\n\n```output tolerance=1e-3\n1\n```\nb\n";
        assert_eq!(bless(t, &["2\n"]), t.replace("\n1\n", "\n2\n"));
    }

    #[test]
    fn adds_missing_block_and_removes_empty() {
        let t = "```python\nprint(2)\n```\ntail\n";
        assert_eq!(bless(t, &["2\n"]), "```python\nprint(2)\n```\n\n```output\n2\n```\ntail\n");
        let back = "```python\nx = 1\n```\n\n```output\n2\n```\ntail\n";
        assert_eq!(bless(back, &[""]), "```python\nx = 1\n```\ntail\n");
    }

    #[test]
    fn seed_style_kept() {
        let t = "```python\nprint(3)\n\"\"\"\n--------\noutput:\n2\n\"\"\"\n```\n";
        assert_eq!(bless(t, &["3\n4\n"]), t.replace("output:\n2\n", "output:\n3\n4\n"));
        let inline = "```python\nprint(3)\n\"\"\"output:\n2\"\"\"\n```\n";
        assert_eq!(bless(inline, &["3\n"]), inline.replace("\n2\"\"\"", "\n3\"\"\""));
    }

    #[test]
    fn output_with_fence_gets_longer_fence() {
        let t = "```python\nx\n```\n";
        assert!(bless(t, &["```\n"]).contains("````output\n```\n````\n"));
    }

    #[test]
    fn atomic_write_replaces() {
        let dir = std::env::temp_dir().join(format!("lessonrun-aw-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("x.md");
        std::fs::write(&p, "old").unwrap();
        write_atomic(&p, "new").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
