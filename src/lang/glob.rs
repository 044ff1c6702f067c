//! `glob.glob`/`glob.iglob` over the files beside a lesson, through the host's
//! [`FileReader::list_dir`] (read-only, the lesson's folder and below). CPython returns a
//! folder's entries in the file system's order, which differs between machines; lessonrun
//! sorts each folder's names, so a lesson's output is the same everywhere.

use std::rc::Rc;

use super::files::FileReader;
use super::{Exception, Interpreter, Module, Value};

type R<T> = Result<T, Exception>;

fn has_magic(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// `fnmatch.fnmatchcase(name, pat)` on characters: `*`, `?`, `[seq]`, `[!seq]` with ranges.
pub fn fnmatch(name: &[char], pat: &[char]) -> bool {
    let (mut n, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        if p < pat.len() {
            match pat[p] {
                '*' => {
                    star = Some((p, n));
                    p += 1;
                    continue;
                }
                '?' => {
                    n += 1;
                    p += 1;
                    continue;
                }
                '[' => {
                    if let Some((matched, next)) = class(&pat[p..], name[n]) {
                        if matched {
                            n += 1;
                            p += next;
                            continue;
                        }
                    } else if name[n] == '[' {
                        // An unclosed `[` is a literal.
                        n += 1;
                        p += 1;
                        continue;
                    }
                }
                c if c == name[n] => {
                    n += 1;
                    p += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, sn)) => {
                p = sp + 1;
                n = sn + 1;
                star = Some((sp, sn + 1));
            }
            None => return false,
        }
    }
    pat[p..].iter().all(|&c| c == '*')
}

/// A `[...]` set at the start of `pat`: whether `c` is in it and the set's length, or `None`
/// when the bracket is not closed.
fn class(pat: &[char], c: char) -> Option<(bool, usize)> {
    let mut i = 1;
    let negate = pat.get(i) == Some(&'!');
    if negate {
        i += 1;
    }
    let start = i;
    let mut found = false;
    while i < pat.len() && (pat[i] != ']' || i == start) {
        if i + 2 < pat.len() && pat[i + 1] == '-' && pat[i + 2] != ']' {
            found |= pat[i] <= c && c <= pat[i + 2];
            i += 3;
        } else {
            found |= pat[i] == c;
            i += 1;
        }
    }
    if i >= pat.len() {
        return None;
    }
    Some((found != negate, i + 1))
}

fn split(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(i) => {
            let head = path[..=i].trim_end_matches('/');
            (if head.is_empty() { &path[..=i] } else { head }, &path[i + 1..])
        }
        None => ("", path),
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// Whether `path` names an entry (folders: `want_dir`) inside the lesson's folder.
pub(super) fn exists(reader: &dyn FileReader, path: &str, want_dir: bool) -> R<bool> {
    let path = path.trim_end_matches('/');
    if path.is_empty() || path == "." {
        return Ok(true);
    }
    let (dir, name) = split(path);
    if name == "." || name == ".." {
        // `dir/.` and `dir/..` are folders, there when `dir` is.
        return exists(reader, dir, true);
    }
    Ok(reader.list_dir(dir)?.iter().any(|(n, d)| n == name && (!want_dir || *d)))
}

/// CPython's `glob._iglob` without `**`: the folder part globbed first, then each folder's
/// entries matched against the last part (hidden ones only by a pattern starting with `.`).
fn glob(reader: &dyn FileReader, path: &str, dir_only: bool) -> R<Vec<String>> {
    let (dir, base) = split(path);
    if !has_magic(path) {
        let want_dir = dir_only || path.ends_with('/');
        return Ok(if exists(reader, path, want_dir)? { vec![path.to_string()] } else { Vec::new() });
    }
    let dirs = if dir.is_empty() {
        vec![String::new()]
    } else if has_magic(dir) {
        glob(reader, dir, true)?
    } else if exists(reader, dir, true)? {
        vec![dir.to_string()]
    } else {
        Vec::new()
    };
    let pat: Vec<char> = base.chars().collect();
    let mut out = Vec::new();
    for d in dirs {
        if !has_magic(base) {
            let p = join(&d, base);
            if base.is_empty() || exists(reader, &p, dir_only)? {
                out.push(p);
            }
            continue;
        }
        let mut names: Vec<(String, bool)> = reader.list_dir(&d)?;
        names.sort();
        for (name, is_dir) in names {
            if dir_only && !is_dir {
                continue;
            }
            if name.starts_with('.') && !base.starts_with('.') {
                continue;
            }
            let chars: Vec<char> = name.chars().collect();
            if fnmatch(&chars, &pat) {
                out.push(join(&d, &name));
            }
        }
    }
    Ok(out)
}

fn glob_call(reader: &Option<Rc<dyn FileReader>>, args: &super::native::Args) -> R<Vec<String>> {
    let [path, root_dir, _dir_fd, recursive, _include_hidden] =
        args.bind(&["pathname", "*", "root_dir=", "dir_fd=", "recursive=", "include_hidden="])?;
    let path = match &path {
        Some(Value::Str(s)) => s.to_string(),
        Some(v) => super::pathlib::fspath(v).ok_or_else(|| Exception::type_error(format!("expected str, bytes or os.PathLike object, not {}", v.type_name())))?,
        None => return Err(Exception::type_error("glob() missing 1 required positional argument: 'pathname'")),
    };
    if root_dir.is_some_and(|v| !v.is_none()) {
        return Err(Exception::unsupported("glob(root_dir=...)"));
    }
    if path.split('/').any(|p| p == "**") && recursive.is_some_and(|v| matches!(v, Value::Bool(true))) {
        return Err(Exception::unsupported("glob(..., recursive=True) with '**'"));
    }
    match reader {
        Some(r) if !path.starts_with('/') => glob(&**r, &path, false),
        _ => Ok(Vec::new()),
    }
}

/// Registers `glob` over `reader` (none: every pattern matches nothing).
pub fn install(it: &mut Interpreter, reader: Option<Rc<dyn FileReader>>) {
    let m = Module::new("glob");
    let r = reader.clone();
    m.set("glob", Value::builtin("glob", move |_, args| {
        Ok(Value::list(glob_call(&r, &args)?.iter().map(|s| Value::str(s)).collect()))
    }));
    let r = reader;
    m.set("iglob", Value::builtin("iglob", move |it, args| {
        let list = Value::list(glob_call(&r, &args)?.iter().map(|s| Value::str(s)).collect());
        it.iter(&list)
    }));
    m.set("has_magic", Value::builtin("has_magic", |_, args| {
        let [s] = args.bind(&["s"])?;
        Ok(Value::Bool(s.is_some_and(|s| has_magic(&s.to_str()))))
    }));
    it.modules.insert("glob".into(), Value::Module(Rc::new(m)));
}
