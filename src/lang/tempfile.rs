//! `tempfile`'s directory names: `TemporaryDirectory` (a context manager giving a path) and
//! `gettempdir`/`mkdtemp`. Lessons have no file system to write to; what they save under such
//! a path goes to the interpreter's in-memory files as any `torch.save` path does. CPython
//! draws the names at random; here they are numbered, so a lesson's output is reproducible.

use std::cell::Cell;
use std::rc::Rc;

use super::native::{Args, NativeObject};
use super::{Exception, Interpreter, Module, Value};

type R<T> = Result<T, Exception>;

thread_local! {
    static NEXT: Cell<u64> = const { Cell::new(0) };
}

/// The next directory name, `/tmp/tmp` and eight characters as CPython's are.
fn fresh(prefix: &str, suffix: &str, dir: &str) -> String {
    let n = NEXT.with(|c| {
        let v = c.get();
        c.set(v + 1);
        v
    });
    format!("{dir}/{prefix}{n:08x}{suffix}")
}

fn str_kw(args: &Args, name: &str, default: &str) -> R<String> {
    match args.kw.iter().find(|(k, _)| &**k == name).map(|(_, v)| v) {
        None | Some(Value::None) => Ok(default.to_string()),
        Some(Value::Str(s)) => Ok(s.to_string()),
        Some(v) => Err(Exception::type_error(format!(
            "{name} must be str, not {}",
            v.type_name()
        ))),
    }
}

fn name_from(args: &Args, fname: &str) -> R<String> {
    for (k, _) in &args.kw {
        if !matches!(
            &**k,
            "suffix" | "prefix" | "dir" | "ignore_cleanup_errors" | "delete"
        ) {
            return Err(Exception::type_error(format!(
                "{fname}() got an unexpected keyword argument '{k}'"
            )));
        }
    }
    if !args.pos.is_empty() {
        return Err(Exception::unsupported(format!(
            "{fname}() with positional arguments"
        )));
    }
    Ok(fresh(
        &str_kw(args, "prefix", "tmp")?,
        &str_kw(args, "suffix", "")?,
        &str_kw(args, "dir", "/tmp")?,
    ))
}

/// `tempfile.TemporaryDirectory()`: `with` gives its `name`.
struct TemporaryDirectory(String);

impl NativeObject for TemporaryDirectory {
    fn type_name(&self) -> &str {
        "TemporaryDirectory"
    }
    fn module_name(&self) -> Option<&str> {
        Some("tempfile")
    }
    fn repr(&self) -> String {
        format!("<TemporaryDirectory '{}'>", self.0)
    }
    fn get_attr(&self, _: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(match name {
            "name" => Some(Value::str(&self.0)),
            "cleanup" => Some(Value::builtin("cleanup", |_, _| Ok(Value::None))),
            _ => None,
        })
    }
    fn enter(&self, _: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(Value::str(&self.0)))
    }
    fn exit(&self, _: &Value, _: Option<&Exception>, _: &mut Interpreter) -> R<bool> {
        Ok(false)
    }
}

/// Registers `tempfile` with `it`.
pub fn install(it: &mut Interpreter) {
    let m = Module::new("tempfile");
    m.set(
        "TemporaryDirectory",
        Value::builtin("TemporaryDirectory", |_, args| {
            Ok(Value::native(TemporaryDirectory(name_from(
                &args,
                "TemporaryDirectory",
            )?)))
        }),
    );
    m.set(
        "mkdtemp",
        Value::builtin("mkdtemp", |_, args| {
            Ok(Value::str(&name_from(&args, "mkdtemp")?))
        }),
    );
    m.set(
        "gettempdir",
        Value::builtin("gettempdir", |_, _| Ok(Value::str("/tmp"))),
    );
    m.set("tempdir", Value::None);
    it.modules
        .insert("tempfile".into(), Value::Module(Rc::new(m)));
}
