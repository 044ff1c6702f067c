//! Finding lesson files on disk and loading them.

use std::path::{Path, PathBuf};

use super::{Lesson, parse};
use crate::source::SourceFile;

/// A lesson file and its path relative to the folder it was found in (its place in a site).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LessonPath {
    pub path: PathBuf,
    pub rel: PathBuf,
}

/// Every `*.md` file named or found (recursively) under the given paths, sorted so that runs
/// and reports are in a stable order. Hidden folders and `target` are not searched.
pub fn discover(paths: &[PathBuf]) -> std::io::Result<Vec<LessonPath>> {
    let mut out = Vec::new();
    for root in paths {
        let meta = std::fs::metadata(root)
            .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", root.display())))?;
        if meta.is_dir() {
            walk(root, root, &mut out)?;
        } else {
            let rel = root.file_name().map(PathBuf::from).unwrap_or_else(|| root.clone());
            out.push(LessonPath { path: root.clone(), rel });
        }
    }
    out.sort();
    out.dedup_by(|a, b| a.path == b.path);
    Ok(out)
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<LessonPath>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        let ty = entry.file_type()?;
        if ty.is_dir() {
            if name != "target" && name != "node_modules" {
                walk(root, &path, out)?;
            }
        } else if name.ends_with(".md") {
            let rel = path.strip_prefix(root).map(Path::to_path_buf).unwrap_or_else(|_| path.clone());
            out.push(LessonPath { path, rel });
        }
    }
    Ok(())
}

/// Reads and parses one lesson file.
pub fn load(path: &Path) -> std::io::Result<Lesson> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    Ok(parse(SourceFile::new(path, text)))
}
