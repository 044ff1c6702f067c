//! The host side of a lesson's `open()`: a lesson may read the files of its own folder (and
//! below it), nothing else. Paths are resolved against that folder, then canonicalised, so `..`
//! and symbolic links that lead out of it are refused like any other path outside.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::lang::Exception;
use crate::lang::files::{FileReader, permission_denied};

/// The most one `open()` reads: data files of tutorials are kilobytes to a few megabytes.
const MAX_FILE_BYTES: u64 = 256 << 20;

/// Reads files inside `root` (the lesson's folder).
pub struct FolderReader {
    root: PathBuf,
}

impl FolderReader {
    /// A reader for the folder holding `lesson_path` (the current directory for a bare name).
    pub fn for_lesson(lesson_path: &Path) -> FolderReader {
        let root = match lesson_path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        FolderReader { root }
    }
}

fn os_error(kind: &str, errno: u32, what: &str, path: &str) -> Exception {
    Exception::new(kind, format!("[Errno {errno}] {what}: '{path}'"))
}

impl FileReader for FolderReader {
    /// A folder inside the lesson's, listed for `glob` (names only; nothing outside is listed,
    /// and a folder that is missing or outside lists as empty, as `glob` shows either).
    fn list_dir(&self, path: &str) -> Result<Vec<(String, bool)>, Exception> {
        if path.contains('\0') {
            return Ok(Vec::new());
        }
        let Ok(root) = self.root.canonicalize() else { return Ok(Vec::new()) };
        let Ok(real) = root.join(if path.is_empty() { "." } else { path }).canonicalize() else { return Ok(Vec::new()) };
        if !real.starts_with(&root) {
            return Ok(Vec::new());
        }
        let Ok(entries) = std::fs::read_dir(&real) else { return Ok(Vec::new()) };
        let mut out = Vec::new();
        for e in entries.flatten() {
            if let Some(name) = e.file_name().to_str() {
                // Symbolic links count as what they point to only when that stays inside.
                let is_dir = e.path().canonicalize().is_ok_and(|p| p.starts_with(&root) && p.is_dir());
                out.push((name.to_string(), is_dir));
            }
        }
        Ok(out)
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, Exception> {
        let outside = || permission_denied(path, "lessons may read only files inside their own folder");
        if path.contains('\0') {
            return Err(Exception::value_error("embedded null byte"));
        }
        let root = self.root.canonicalize().map_err(|_| os_error("FileNotFoundError", 2, "No such file or directory", path))?;
        let wanted = root.join(path);
        let real = match wanted.canonicalize() {
            Ok(p) => p,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // A missing file is reported as missing only when it would be inside the folder;
                // otherwise the lesson learns nothing about what exists outside.
                let lexically_inside = Path::new(path).is_relative()
                    && Path::new(path).components().all(|c| matches!(c, std::path::Component::Normal(_) | std::path::Component::CurDir));
                return Err(if lexically_inside { os_error("FileNotFoundError", 2, "No such file or directory", path) } else { outside() });
            }
            Err(_) => return Err(outside()),
        };
        if !real.starts_with(&root) {
            return Err(outside());
        }
        if real.is_dir() {
            return Err(os_error("IsADirectoryError", 21, "Is a directory", path));
        }
        if !real.is_file() {
            return Err(outside());
        }
        let f = std::fs::File::open(&real).map_err(|_| os_error("PermissionError", 13, "Permission denied", path))?;
        let mut bytes = Vec::new();
        f.take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Exception::new("OSError", format!("{e}: '{path}'")))?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(Exception::new("MemoryError", format!("'{path}' is larger than the {} MiB a lesson may read from one file", MAX_FILE_BYTES >> 20)));
        }
        Ok(bytes)
    }
}
