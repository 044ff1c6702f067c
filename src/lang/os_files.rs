//! The parts of `os` that look at files and the process: `os.path.exists`/`isfile`/`isdir`
//! over the lesson's folder (through the host's reader) and what the lesson saved, `os.makedirs`
//! and `os.mkdir` as folders kept in memory (as `torch.save` keeps files), and `os.environ`,
//! an empty environment (a lesson's output must not depend on the machine's variables).

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;

use super::files::FileReader;
use super::{Exception, Interpreter, Value};

type R<T> = Result<T, Exception>;

/// Folders the lesson made, normalised; shared by `makedirs` and the `os.path` tests.
type Made = Rc<RefCell<BTreeSet<String>>>;

/// `path` without `./` parts and trailing slashes (`out/./ckpt` and `out/ckpt/` are `out/ckpt`).
pub fn normalise(path: &str) -> String {
    let abs = path.starts_with('/');
    let parts: Vec<&str> = path
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    let joined = parts.join("/");
    if abs { format!("/{joined}") } else { joined }
}

fn path_arg(v: Option<Value>, func: &str) -> R<String> {
    match &v {
        Some(Value::Str(s)) => Ok(s.to_string()),
        Some(v) => super::pathlib::fspath(v).ok_or_else(|| {
            Exception::type_error(format!(
                "{func}: path should be string, bytes or os.PathLike, not {}",
                v.type_name()
            ))
        }),
        None => Err(Exception::type_error(format!(
            "{func}() missing 1 required positional argument: 'path'"
        ))),
    }
}

/// What `path` is for the lesson: `Some(true)` a folder, `Some(false)` a file, None nothing.
fn kind(
    it: &Interpreter,
    reader: &Option<Rc<dyn FileReader>>,
    made: &Made,
    path: &str,
) -> R<Option<bool>> {
    if path.is_empty() {
        return Ok(None);
    }
    let p = normalise(path);
    if it.saved.contains_key(&p) || it.saved.contains_key(path) || it.written.contains_key(&p) {
        return Ok(Some(false));
    }
    let under = format!("{p}/");
    if p.is_empty()
        || made.borrow().contains(&p)
        || it.saved.keys().any(|k| normalise(k).starts_with(&under))
        || it.written.keys().any(|k| k.starts_with(&under))
    {
        return Ok(Some(true));
    }
    let Some(r) = reader else { return Ok(None) };
    if p.starts_with('/') {
        // Outside the lesson's folder nothing is visible.
        return Ok(None);
    }
    if super::glob::exists(&**r, &p, true)? {
        return Ok(Some(true));
    }
    Ok(super::glob::exists(&**r, &p, false)?.then_some(false))
}

/// Adds `os.path.exists`/`isfile`/`isdir`, `os.makedirs`/`os.mkdir` and `os.environ` to the
/// interpreter's `os` modules, over `reader` (none: only what the lesson saved or made).
pub fn install(it: &mut Interpreter, reader: Option<Rc<dyn FileReader>>) {
    let made: Made = Rc::default();
    if let Some(Value::Module(path)) = it.modules.get("os.path") {
        let path = path.clone();
        for (name, want) in [
            ("exists", None),
            ("isfile", Some(false)),
            ("isdir", Some(true)),
        ] {
            let (reader, made) = (reader.clone(), made.clone());
            path.set(
                name,
                Value::builtin(name, move |it, args| {
                    let [p] = args.bind(&["path"])?;
                    // CPython's tests answer False for what is not a path, not an error.
                    let Ok(p) = path_arg(p, name) else {
                        return Ok(Value::Bool(false));
                    };
                    let k = kind(it, &reader, &made, &p)?;
                    Ok(Value::Bool(match want {
                        None => k.is_some(),
                        Some(w) => k == Some(w),
                    }))
                }),
            );
        }
    }
    let Some(Value::Module(os)) = it.modules.get("os") else {
        return;
    };
    let os = os.clone();
    for (name, nested) in [("makedirs", true), ("mkdir", false)] {
        let (reader, made) = (reader.clone(), made.clone());
        os.set(
            name,
            Value::builtin(name, move |it, args| {
                let [p, _mode, exist_ok] = if nested {
                    args.bind(&["name", "mode=", "exist_ok="])?
                } else {
                    let [p, m] = args.bind(&["path", "mode="])?;
                    [p, m, None]
                };
                let p = path_arg(p, name)?;
                let exist_ok = match exist_ok {
                    Some(v) => it.truthy(&v)?,
                    None => false,
                };
                match kind(it, &reader, &made, &p)? {
                    Some(true) if exist_ok => return Ok(Value::None),
                    Some(_) => {
                        return Err(Exception::new(
                            "FileExistsError",
                            format!("[Errno 17] File exists: '{p}'"),
                        ));
                    }
                    None => {}
                }
                let n = normalise(&p);
                if n.is_empty() {
                    return Err(Exception::new(
                        "FileNotFoundError",
                        format!("[Errno 2] No such file or directory: '{p}'"),
                    ));
                }
                if !nested
                    && let Some(i) = n.rfind('/')
                    && i > 0
                    && kind(it, &reader, &made, &n[..i])? != Some(true)
                {
                    return Err(Exception::new(
                        "FileNotFoundError",
                        format!("[Errno 2] No such file or directory: '{p}'"),
                    ));
                }
                // Each parent is made too, as `makedirs` does.
                let mut m = made.borrow_mut();
                let mut at = 0;
                while let Some(i) = n[at..].find('/').map(|i| i + at) {
                    if i > 0 {
                        m.insert(n[..i].to_string());
                    }
                    at = i + 1;
                }
                m.insert(n);
                Ok(Value::None)
            }),
        );
    }
    if os.get("environ").is_none() {
        os.set("environ", Value::dict(super::value::Dict::new()));
    }
}
