//! Rewriting expected outputs in place (`check --bless`) without touching any other byte.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{Cell, ExpectedStyle};
use crate::source::{SourceFile, Span};

/// Replace the bytes of `span` with `text`.
#[derive(Clone, Debug, PartialEq)]
pub struct Edit {
    pub span: Span,
    pub text: String,
}

/// The edit that makes `cell`'s expected output equal `actual`, in the style it already has.
/// A cell without an expectation gets a new ```output block; one whose output became empty
/// loses its block (a cell that prints nothing has none, as torch-oracle writes it). Text the
/// edit adds ends its lines as the cell's opening fence line does (CRLF files stay CRLF).
pub fn bless_edit(text: &str, cell: &Cell, actual: &str) -> Option<Edit> {
    let mut actual = actual.to_string();
    if !actual.is_empty() && !actual.ends_with('\n') {
        actual.push('\n');
    }
    let fence_line = &text[cell.fence.start..];
    let crlf = fence_line[..fence_line.find('\n').unwrap_or(fence_line.len())].ends_with('\r');
    let eol = |s: &str| if crlf { s.replace('\n', "\r\n") } else { s.to_string() };
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
                    Some(Edit { span: Span::new(block.start, block.end), text: eol(&output_block(&actual, &info)) })
                } else {
                    Some(Edit { span: *body, text: eol(&actual) })
                }
            }
        }
        Some(ExpectedStyle::SeedString { body, closing_inline }) => {
            let mut inner = actual.clone();
            if *closing_inline {
                inner.pop();
            }
            // The string opens where the code to run ends, and closes right after the body.
            let (open, close) = (cell.code.end, body.end);
            let quote = &text[open..open + 3];
            if !closes_string(&inner, quote, *closing_inline) {
                return Some(Edit { span: *body, text: eol(&inner) });
            }
            // Printed text that would end the string early (and turn the rest into code) gets
            // the other quotes, or, holding both, an output block instead of the string.
            let other = if quote == "'''" { "\"\"\"" } else { "'''" };
            if !closes_string(&inner, other, *closing_inline) {
                let header = &text[open + 3..body.start];
                return Some(Edit { span: Span::new(open, close + 3), text: format!("{other}{header}{}{other}", eol(&inner)) });
            }
            let rest = &text[close + 3..cell.fence.end];
            let closing_fence = &rest[rest.find('\n').map_or(rest.len(), |i| i + 1)..];
            let lead = if closing_fence.ends_with('\n') { "\n" } else { "\n\n" };
            Some(Edit { span: Span::new(open, cell.fence.end), text: format!("{closing_fence}{}", eol(&format!("{lead}{}", output_block(&actual, "output")))) })
        }
        None if actual.is_empty() => None,
        None => {
            let lead = if text[..cell.fence.end].ends_with('\n') { "\n" } else { "\n\n" };
            Some(Edit { span: Span::new(cell.fence.end, cell.fence.end), text: eol(&format!("{lead}{}", output_block(&actual, "output"))) })
        }
    }
}

/// Whether `body`, put between `quote`s, would end the string before its closing quotes: it
/// holds them, or (with the closing quotes on its last line) ends in a quote character or in a
/// backslash that would escape them.
fn closes_string(body: &str, quote: &str, closing_inline: bool) -> bool {
    body.contains(quote) || (closing_inline && (body.ends_with(&quote[..1]) || body.ends_with('\\')))
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

/// Why a file could not be rewritten.
#[derive(Debug, thiserror::Error)]
pub enum RewriteError {
    #[error("{path} is a symbolic link: --bless rewrites regular files only (bless the file it points to)")]
    Symlink { path: String },
    #[error("{path} is not a regular file: --bless does not replace it")]
    NotAFile { path: String },
    #[error("{path} is read-only: --bless does not replace it (make it writable to bless it)")]
    ReadOnly { path: String },
    #[error("{path} changed on disk while it was being checked: not blessed, so that change is kept (check --bless again)")]
    Changed { path: String },
    #[error("cannot write {path}: {source}")]
    Io { path: String, source: std::io::Error },
}

/// Rewrites a lesson as `new_text` (its byte order mark kept) if the file still holds exactly
/// what `source` was read from: the file is read again just before the rename, so an edit saved
/// while the lesson ran is never lost. A link, a read-only file or anything but a regular file
/// is refused and left alone.
pub fn rewrite_lesson(source: &SourceFile, new_text: &str) -> Result<(), RewriteError> {
    let path = source.path.as_path();
    let name = path.display().to_string();
    let io = |source| RewriteError::Io { path: name.clone(), source };
    let meta = std::fs::symlink_metadata(path).map_err(io)?;
    if meta.file_type().is_symlink() {
        return Err(RewriteError::Symlink { path: name });
    }
    if !meta.is_file() {
        return Err(RewriteError::NotAFile { path: name });
    }
    if meta.permissions().readonly() {
        return Err(RewriteError::ReadOnly { path: name });
    }
    let read = source.file_contents(&source.text);
    replace_file(path, source.file_contents(new_text).as_bytes(), || match std::fs::read(path) {
        Ok(now) if now == read.as_bytes() => Ok(()),
        Ok(_) => Err(RewriteError::Changed { path: name.clone() }),
        Err(e) => Err(io(e)),
    })
}

/// Writes `contents` to `path` so that a reader sees either the old file or the new one, never a
/// half-written file: a temporary file beside it, flushed to disk, then renamed over it.
/// A link at `path` is replaced, never followed.
pub fn write_atomic(path: &Path, contents: &str) -> std::io::Result<()> {
    replace_file(path, contents.as_bytes(), || Ok(())).map_err(|e| match e {
        RewriteError::Io { source, .. } => source,
        other => std::io::Error::other(other.to_string()),
    })
}

/// Writes a new file at `path`, never replacing one: `contents` go to a temporary file beside
/// it, which is then hard-linked at `path` (refused by the system if anything, a link
/// included, is there by then) and removed; a reader never sees a half-written file.
pub fn write_new(path: &Path, contents: &str) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let (mut file, tmp) = create_temporary(dir, &name, false)?;
    let result = (|| {
        file.write_all(contents.as_bytes())?;
        file.sync_all()?;
        drop(file);
        match std::fs::hard_link(&tmp, path) {
            // A file system without hard links: create the file exclusively and write it.
            Err(e) if e.kind() == std::io::ErrorKind::Unsupported => {
                let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(path)?;
                f.write_all(contents.as_bytes())?;
                f.sync_all()
            }
            other => other,
        }
    })();
    let _ = std::fs::remove_file(&tmp);
    result
}

/// The temporary file has a name nobody can guess and is created exclusively (`O_EXCL`, which
/// also refuses a link planted at that name), so no other user can make lessonrun write through
/// a link of theirs; `ready` runs just before the rename and can still call it off.
fn replace_file(path: &Path, contents: &[u8], ready: impl FnOnce() -> Result<(), RewriteError>) -> Result<(), RewriteError> {
    let name = path.display().to_string();
    let io = |source| RewriteError::Io { path: name.clone(), source };
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // A regular file's permissions carry over; a link's or a new file's come from the umask.
    let keep = std::fs::symlink_metadata(path).ok().filter(|m| m.is_file()).map(|m| m.permissions());
    let (mut file, tmp) = create_temporary(dir, &file_name, keep.is_some()).map_err(io)?;
    let result = (|| {
        file.write_all(contents).map_err(io)?;
        if let Some(permissions) = keep {
            file.set_permissions(permissions).map_err(io)?;
        }
        file.sync_all().map_err(io)?;
        drop(file);
        ready()?;
        std::fs::rename(&tmp, path).map_err(io)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn create_temporary(dir: &Path, name: &str, private: bool) -> std::io::Result<(std::fs::File, PathBuf)> {
    let mut last = None;
    for _ in 0..16 {
        let tmp = dir.join(format!(".{name}.{:016x}.lessonrun-tmp", unpredictable()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        if private {
            use std::os::unix::fs::OpenOptionsExt;
            // Until the file gets the original's permissions, only its owner can open it.
            options.mode(0o600);
        }
        #[cfg(not(unix))]
        let _ = private;
        match options.open(&tmp) {
            Ok(f) => return Ok((f, tmp)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no temporary file name left")))
}

/// 64 bits no other process can predict: std's hasher keys come from the operating system's
/// random source.
fn unpredictable() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    h.finish()
}
