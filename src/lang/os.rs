//! `os` and `os.path`, the string part only: tutorials `import os` at the top and build paths
//! with `os.path.join`; nothing here touches the host (no cwd, environment or file system), so
//! what is missing raises CPython's AttributeError at the line that needs it.

use std::rc::Rc;

use super::{Exception, Interpreter, Module, Value};

type R<T> = Result<T, Exception>;

fn path_arg(v: &Value, func: &str) -> R<String> {
    match v {
        Value::Str(s) => Ok(s.to_string()),
        v => Err(Exception::type_error(format!(
            "{func}: expected str, bytes or os.PathLike object, not {}",
            v.type_name()
        ))),
    }
}

/// posixpath.join: an absolute part restarts the path; parts are glued with one `/`.
pub fn join(parts: &[String]) -> String {
    let mut path = parts[0].clone();
    for b in &parts[1..] {
        if b.starts_with('/') {
            path = b.clone();
        } else if path.is_empty() || path.ends_with('/') {
            path.push_str(b);
        } else {
            path.push('/');
            path.push_str(b);
        }
    }
    path
}

/// posixpath.split: everything up to the last `/` (trailing slashes dropped unless it is all
/// slashes) and the rest.
pub fn split(p: &str) -> (String, String) {
    let i = p.rfind('/').map_or(0, |i| i + 1);
    let (head, tail) = (&p[..i], &p[i..]);
    let head = if !head.is_empty() && head.chars().any(|c| c != '/') { head.trim_end_matches('/') } else { head };
    (head.to_string(), tail.to_string())
}

/// posixpath.splitext: the last dot of the last component, unless the name is all leading dots.
pub fn splitext(p: &str) -> (String, String) {
    let sep = p.rfind('/').map_or(0, |i| i + 1);
    if let Some(dot) = p.rfind('.').filter(|&d| d >= sep)
        && p[sep..dot].chars().any(|c| c != '.')
    {
        return (p[..dot].to_string(), p[dot..].to_string());
    }
    (p.to_string(), String::new())
}

fn one_path(_: &mut Interpreter, args: &super::Args, func: &str) -> R<String> {
    let [p] = args.bind(&["p"])?;
    path_arg(&p.unwrap_or(Value::None), func)
}

fn pair(a: String, b: String) -> Value {
    Value::tuple(vec![Value::str(&a), Value::str(&b)])
}

/// Registers `os` and `os.path` with `it`.
pub fn install(it: &mut Interpreter) {
    let path = Module::new("posixpath");
    path.set("sep", Value::str("/"));
    path.set("join", Value::builtin("join", |_, args| {
        args.no_kwargs()?;
        if args.pos.is_empty() {
            return Err(Exception::type_error("join() missing 1 required positional argument: 'a'"));
        }
        let parts = args.pos.iter().map(|v| path_arg(v, "join()")).collect::<R<Vec<_>>>()?;
        Ok(Value::str(&join(&parts)))
    }));
    path.set("split", Value::builtin("split", |it, args| {
        let (h, t) = split(&one_path(it, &args, "split()")?);
        Ok(pair(h, t))
    }));
    path.set("basename", Value::builtin("basename", |it, args| Ok(Value::str(&split(&one_path(it, &args, "basename()")?).1))));
    path.set("dirname", Value::builtin("dirname", |it, args| Ok(Value::str(&split(&one_path(it, &args, "dirname()")?).0))));
    path.set("splitext", Value::builtin("splitext", |it, args| {
        let (root, ext) = splitext(&one_path(it, &args, "splitext()")?);
        Ok(pair(root, ext))
    }));
    path.set("isabs", Value::builtin("isabs", |it, args| Ok(Value::Bool(one_path(it, &args, "isabs()")?.starts_with('/')))));
    let path = Value::Module(Rc::new(path));

    let os = Module::new("os");
    os.set("sep", Value::str("/"));
    os.set("linesep", Value::str("\n"));
    os.set("name", Value::str("posix"));
    os.set("path", path.clone());
    // What a lesson saved (`torch.save`) lives in the interpreter: removing it forgets it.
    // Files of the lesson's folder (relative paths) are read-only to lessons; an absolute
    // path it did not save is not there.
    os.set("remove", Value::builtin("remove", |it, args| {
        let [p] = args.bind(&["path"])?;
        let p = match &p.unwrap_or(Value::None) {
            Value::Str(s) => s.to_string(),
            v => return Err(Exception::type_error(format!("remove: path should be string, bytes or os.PathLike, not {}", v.type_name()))),
        };
        if it.saved.remove(&p).is_some() {
            return Ok(Value::None);
        }
        if !p.starts_with('/') {
            return Err(super::files::permission_denied(&p, "lessons may read files in their folder but not write them"));
        }
        Err(Exception::new("FileNotFoundError", format!("[Errno 2] No such file or directory: '{p}'")))
    }));
    it.modules.insert("os".into(), Value::Module(Rc::new(os)));
    it.modules.insert("os.path".into(), path);
}
