//! `pathlib.Path` as pure POSIX paths: tutorials build data paths with `Path("data") / "mnist"`
//! before downloading; nothing here touches the host, so methods that would (`exists`, `mkdir`,
//! `open`) are absent and raise CPython's AttributeError at the line that needs them.

use std::rc::Rc;

use super::ast::BinOp;
use super::native::{NativeObject, Op};
use super::{Exception, Interpreter, Module, Value};

type R<T> = Result<T, Exception>;

/// A `PosixPath`: its text normalised as pathlib does (empty and `.` parts dropped, one `/`
/// between parts, `.` for no parts).
struct PosixPath(String);

fn normalise(raw: &str) -> String {
    let rooted = raw.starts_with('/');
    let parts: Vec<&str> = raw
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    match (rooted, parts.is_empty()) {
        (true, _) => format!("/{}", parts.join("/")),
        (false, true) => ".".to_string(),
        (false, false) => parts.join("/"),
    }
}

/// `a / b`: an absolute `b` replaces `a`, as in pathlib.
fn join(a: &str, b: &str) -> String {
    if b.starts_with('/') || a == "." {
        normalise(b)
    } else {
        normalise(&format!("{a}/{b}"))
    }
}

fn part_of(v: &Value, what: &str) -> R<String> {
    match v {
        Value::Str(s) => Ok(s.to_string()),
        v => match v.downcast::<PosixPath>() {
            Some(p) => Ok(p.0.clone()),
            None => Err(Exception::type_error(format!(
                "{what}argument should be a str or an os.PathLike object where __fspath__ returns a str, not '{}'",
                v.type_name()
            ))),
        },
    }
}

/// The path a `str` or `PosixPath` argument names, as `os.fspath` gives it, normalised as
/// pathlib would (`./a//b` is `a/b`): None for any other value.
pub fn fspath(v: &Value) -> Option<String> {
    match v {
        Value::Str(s) => Some(normalise(s)),
        v => v.downcast::<PosixPath>().map(|p| p.0.clone()),
    }
}

fn path(s: String) -> Value {
    Value::native(PosixPath(s))
}

impl PosixPath {
    fn name(&self) -> &str {
        if self.0 == "." || self.0 == "/" {
            ""
        } else {
            self.0.rsplit('/').next().unwrap_or("")
        }
    }

    /// The name's last suffix (`.gz` of `mnist.pkl.gz`); none for `.bashrc` or a trailing dot.
    fn suffix_at(&self) -> Option<usize> {
        let name = self.name();
        name.rfind('.').filter(|&i| i > 0 && i + 1 < name.len())
    }

    fn parent(&self) -> String {
        match self.0.rfind('/') {
            Some(0) => "/".to_string(),
            Some(i) => self.0[..i].to_string(),
            None => ".".to_string(),
        }
    }
}

impl NativeObject for PosixPath {
    fn type_name(&self) -> &str {
        "PosixPath"
    }

    fn module_name(&self) -> Option<&str> {
        Some("pathlib")
    }

    fn repr(&self) -> String {
        format!(
            "PosixPath('{}')",
            self.0.replace('\\', "\\\\").replace('\'', "\\'")
        )
    }

    fn str(&self) -> String {
        self.0.clone()
    }

    fn snapshot(&self, _c: &mut crate::lang::interp::Copier) -> Option<Value> {
        Some(path(self.0.clone()))
    }

    fn hash(&self) -> Option<u64> {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.0.hash(&mut h);
        Some(h.finish())
    }

    fn get_attr(&self, this: &Value, name: &str, _interp: &mut Interpreter) -> R<Option<Value>> {
        let name_ = self.name().to_string();
        Ok(Some(match name {
            "name" => Value::str(&name_),
            "suffix" => Value::str(self.suffix_at().map_or("", |i| &name_[i..])),
            "stem" => Value::str(self.suffix_at().map_or(name_.as_str(), |i| &name_[..i])),
            "parent" => path(self.parent()),
            "parts" => {
                let mut parts: Vec<Value> = Vec::new();
                if self.0.starts_with('/') {
                    parts.push(Value::str("/"));
                }
                parts.extend(
                    self.0
                        .split('/')
                        .filter(|p| !p.is_empty() && *p != ".")
                        .map(Value::str),
                );
                Value::tuple(parts)
            }
            "joinpath" => {
                let base = self.0.clone();
                Value::builtin("joinpath", move |_, args| {
                    let mut p = base.clone();
                    for a in &args.pos {
                        p = join(&p, &part_of(a, "")?);
                    }
                    Ok(path(p))
                })
            }
            "with_suffix" => {
                let (base, name, at) = (self.0.clone(), name_.clone(), self.suffix_at());
                Value::builtin("with_suffix", move |_, args| {
                    let [suffix] = args.bind(&["suffix"])?;
                    let suffix = part_of(&suffix.unwrap_or(Value::None), "")?;
                    if !suffix.is_empty() && (!suffix.starts_with('.') || suffix == ".") {
                        return Err(Exception::value_error(format!("Invalid suffix '{suffix}'")));
                    }
                    if name.is_empty() {
                        return Err(Exception::value_error(format!(
                            "PosixPath('{base}') has an empty name"
                        )));
                    }
                    let stem = at.map_or(name.as_str(), |i| &name[..i]);
                    Ok(path(format!(
                        "{}{stem}{suffix}",
                        &base[..base.len() - name.len()]
                    )))
                })
            }
            "as_posix" | "__fspath__" => {
                let s = self.0.clone();
                Value::builtin(name, move |_, _| Ok(Value::str(&s)))
            }
            "is_absolute" => {
                let abs = self.0.starts_with('/');
                Value::builtin("is_absolute", move |_, _| Ok(Value::Bool(abs)))
            }
            _ => {
                let _ = this;
                return Ok(None);
            }
        }))
    }

    fn binary_op(
        &self,
        _this: &Value,
        op: Op,
        other: &Value,
        reflected: bool,
        _interp: &mut Interpreter,
    ) -> R<Option<Value>> {
        match op {
            Op::Bin(BinOp::Div) => {
                let Ok(other) = part_of(other, "") else {
                    return Ok(None);
                };
                Ok(Some(path(if reflected {
                    join(&other, &self.0)
                } else {
                    join(&self.0, &other)
                })))
            }
            Op::Eq | Op::Ne => {
                let same = other.downcast::<PosixPath>().is_some_and(|p| p.0 == self.0);
                Ok(Some(Value::Bool(same == (op == Op::Eq))))
            }
            _ => Ok(None),
        }
    }
}

pub fn install(it: &mut Interpreter) {
    let make = |_: &mut Interpreter, args: super::Args| -> R<Value> {
        let mut p = ".".to_string();
        for a in &args.pos {
            p = join(&p, &part_of(a, "")?);
        }
        Ok(path(p))
    };
    let pathlib = Module::new("pathlib");
    for name in ["Path", "PosixPath", "PurePath", "PurePosixPath"] {
        pathlib.set(name, Value::builtin(name, make));
    }
    it.modules
        .insert("pathlib".into(), Value::Module(Rc::new(pathlib)));
}
