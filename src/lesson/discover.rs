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

/// What a search for lessons found: the lessons, and the files it would not read.
#[derive(Clone, Debug, Default)]
pub struct Discovered {
    pub lessons: Vec<LessonPath>,
    pub refused: Vec<Refused>,
}

/// A `*.md` name that is not read as a lesson: a symbolic link to a file outside the folder it
/// was found in (a lesson `ln -s /proc/self/environ leak.md` must not publish the environment).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Refused {
    pub path: PathBuf,
    pub reason: String,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.reason)
    }
}

/// Every `*.md` file named or found (recursively) under the given paths, sorted so that runs
/// and reports are in a stable order. Hidden folders and `target` are not searched. Links out
/// of the tree are left out; [`discover_all`] names them.
pub fn discover(paths: &[PathBuf]) -> std::io::Result<Vec<LessonPath>> {
    Ok(discover_all(paths)?.lessons)
}

/// [`discover`], with the links it refused to follow. Folders are walked without following
/// links to folders; a link to a file is a lesson only when the file it resolves to lies inside
/// the folder given (for a file named directly: inside the folder holding the link).
pub fn discover_all(paths: &[PathBuf]) -> std::io::Result<Discovered> {
    let mut out = Discovered::default();
    for root in paths {
        let named = |e: std::io::Error| std::io::Error::new(e.kind(), format!("{}: {e}", root.display()));
        let meta = std::fs::symlink_metadata(root).map_err(named)?;
        if meta.is_dir() || (meta.file_type().is_symlink() && root.is_dir()) {
            let tree = root.canonicalize().map_err(named)?;
            walk(root, root, &tree, &mut out)?;
        } else {
            let rel = root.file_name().map(PathBuf::from).unwrap_or_else(|| root.clone());
            let lp = LessonPath { path: root.clone(), rel };
            if meta.file_type().is_symlink() {
                let folder = root.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
                let tree = folder.canonicalize().map_err(named)?;
                admit_link(lp, &tree, folder, &mut out);
            } else {
                out.lessons.push(lp);
            }
        }
    }
    out.lessons.sort();
    out.lessons.dedup_by(|a, b| a.path == b.path);
    out.refused.sort();
    out.refused.dedup();
    Ok(out)
}

/// Keeps a link named like a lesson if it resolves to a file inside `tree` (canonical).
fn admit_link(lp: LessonPath, tree: &Path, shown: &Path, out: &mut Discovered) {
    match lp.path.canonicalize() {
        Ok(target) if target.starts_with(tree) && target.is_file() => out.lessons.push(lp),
        Ok(target) => out.refused.push(Refused {
            path: lp.path,
            reason: format!(
                "a symbolic link to {}, outside {}: not read (lessons are read inside the folders given only)",
                target.display(),
                shown.display()
            ),
        }),
        Err(e) => out.refused.push(Refused { path: lp.path, reason: format!("a symbolic link that cannot be followed ({e}): not read") }),
    }
}

fn walk(root: &Path, dir: &Path, tree: &Path, out: &mut Discovered) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        // The entry's own type: a link to a folder is not descended into.
        let ty = entry.file_type()?;
        if ty.is_dir() {
            if name != "target" && name != "node_modules" {
                walk(root, &path, tree, out)?;
            }
        } else if name.ends_with(".md") {
            let rel = path.strip_prefix(root).map(Path::to_path_buf).unwrap_or_else(|_| path.clone());
            let lp = LessonPath { path, rel };
            if ty.is_symlink() {
                admit_link(lp, tree, root, out);
            } else {
                out.lessons.push(lp);
            }
        }
    }
    Ok(())
}

/// Whether a path argument is a glob pattern rather than a path: it holds `*`, `?` or `[`.
pub fn is_glob(arg: &str) -> bool {
    arg.contains(['*', '?', '['])
}

/// Every lesson file matching a glob pattern, sorted: the folder before the first component
/// with a wildcard is searched as by [`discover`], and the files whose path (with `/` as the
/// separator) matches the pattern are kept.
pub fn discover_glob(pattern: &str) -> std::io::Result<Discovered> {
    let pattern = pattern.replace('\\', "/");
    let components: Vec<&str> = pattern.split('/').collect();
    let literal = components.iter().take_while(|c| !is_glob(c)).count();
    let base = match components[..literal].join("/") {
        b if b.is_empty() && pattern.starts_with('/') => "/".to_string(),
        b if b.is_empty() => ".".to_string(),
        b => b,
    };
    let found = discover_all(&[PathBuf::from(&base)])?;
    // `*.md` names files of the current folder as `a.md`, as the shell would.
    let shown = |p: PathBuf| if base == "." { p.strip_prefix(".").map(Path::to_path_buf).unwrap_or(p) } else { p };
    let matches = |p: &Path| glob_match(&pattern, &p.to_string_lossy().replace('\\', "/"));
    Ok(Discovered {
        lessons: found
            .lessons
            .into_iter()
            .map(|lp| LessonPath { path: shown(lp.path), rel: lp.rel })
            .filter(|lp| matches(&lp.path))
            .collect(),
        refused: found.refused.into_iter().map(|r| Refused { path: shown(r.path), reason: r.reason }).filter(|r| matches(&r.path)).collect(),
    })
}

/// Shell-style matching of a `/`-separated path: `*` matches within one component, `**` as a
/// whole component any number of components, `?` one character, `[abc]`/`[a-z]`/`[!a]` one of
/// a set.
pub fn glob_match(pattern: &str, path: &str) -> bool {
    let pat: Vec<&str> = pattern.split('/').collect();
    let parts: Vec<&str> = path.split('/').collect();
    match_components(&pat, &parts)
}

fn match_components(pat: &[&str], parts: &[&str]) -> bool {
    match pat.split_first() {
        None => parts.is_empty(),
        Some((&"**", rest)) => (0..=parts.len()).any(|skip| match_components(rest, &parts[skip..])),
        Some((first, rest)) => {
            parts.split_first().is_some_and(|(p, prest)| {
                let (pc, tc): (Vec<char>, Vec<char>) = (first.chars().collect(), p.chars().collect());
                match_chars(&pc, &tc) && match_components(rest, prest)
            })
        }
    }
}

fn match_chars(pat: &[char], text: &[char]) -> bool {
    match pat.split_first() {
        None => text.is_empty(),
        Some(('*', rest)) => (0..=text.len()).any(|skip| match_chars(rest, &text[skip..])),
        Some(('?', rest)) => !text.is_empty() && match_chars(rest, &text[1..]),
        Some(('[', rest)) => match rest.iter().skip(1).position(|&c| c == ']') {
            Some(close) => {
                let set = &rest[..close + 1];
                let (negated, set) = match set.split_first() {
                    Some(('!' | '^', s)) => (true, s),
                    _ => (false, set),
                };
                let Some((&c, text_rest)) = text.split_first() else { return false };
                let mut hit = false;
                let mut i = 0;
                while i < set.len() {
                    if i + 2 < set.len() && set[i + 1] == '-' {
                        hit |= set[i] <= c && c <= set[i + 2];
                        i += 3;
                    } else {
                        hit |= set[i] == c;
                        i += 1;
                    }
                }
                hit != negated && match_chars(&rest[close + 2..], text_rest)
            }
            None => text.first() == Some(&'[') && match_chars(rest, &text[1..]),
        },
        Some((c, rest)) => text.first() == Some(c) && match_chars(rest, &text[1..]),
    }
}

/// Reads and parses one lesson file.
pub fn load(path: &Path) -> std::io::Result<Lesson> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    Ok(parse(SourceFile::new(path, text)))
}
