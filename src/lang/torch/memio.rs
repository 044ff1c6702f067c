//! The `io` module lessons may import: `io.BytesIO` as an in-memory file for `torch.save` and
//! `torch.load` (what is saved stays in the interpreter, keyed by the buffer, as saves to a
//! path are), and `io.StringIO` as a text buffer (`write`, `getvalue`, `read`, `seek`).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::lang::native::NativeObject;
use crate::lang::{Exception, Interpreter, Module, Value};

type R<T> = Result<T, Exception>;

thread_local! {
    /// Numbers the buffers of a lesson, so each has its own key among the saved objects.
    static NEXT: Cell<u64> = const { Cell::new(1) };
}

/// `io.BytesIO()`: a file-like object that `torch.save`/`torch.load` accept. Only what
/// `torch.save` wrote can be read back; the position is kept for `seek`/`tell` only.
pub struct BytesIO {
    id: u64,
    pos: Cell<i64>,
}

impl BytesIO {
    /// The key under which `torch.save(obj, buf)` keeps `obj`.
    pub fn key(&self) -> String {
        format!("<io.BytesIO #{}>", self.id)
    }
}

/// `io.StringIO(initial='')`.
pub struct StringIO {
    text: RefCell<String>,
    pos: Cell<usize>,
}

/// Registers `io` for `import io`.
pub fn install(interp: &mut Interpreter) {
    let m = Module::new("io");
    m.set(
        "BytesIO",
        super::class("BytesIO", "_io", |_, args| {
            let [_initial] = args.bind(&["initial_bytes="])?;
            let id = NEXT.with(|n| {
                let v = n.get();
                n.set(v + 1);
                v
            });
            Ok(Value::native(BytesIO {
                id,
                pos: Cell::new(0),
            }))
        }),
    );
    m.set(
        "StringIO",
        super::class("StringIO", "_io", |_, args| {
            let [initial, _newline] = args.bind(&["initial_value=", "newline="])?;
            let text = match &initial {
                None | Some(Value::None) => String::new(),
                Some(Value::Str(s)) => s.to_string(),
                Some(v) => {
                    return Err(Exception::type_error(format!(
                        "initial_value must be str or None, not {}",
                        v.type_name()
                    )));
                }
            };
            Ok(Value::native(StringIO {
                text: RefCell::new(text),
                pos: Cell::new(0),
            }))
        }),
    );
    interp.register_module("io", Value::Module(Rc::new(m)));
}

/// `buf.seek(offset, whence=0)`: the new position.
fn seek(pos: i64, end: i64, args: &crate::lang::native::Args) -> R<i64> {
    let [offset, whence] = args.bind(&["offset", "whence="])?;
    let off = offset.map_or(Ok(0), |v| v.expect_int("offset"))?;
    let whence = whence.map_or(Ok(0), |v| v.expect_int("whence"))?;
    let p = match whence {
        0 if off < 0 => {
            return Err(Exception::new(
                "ValueError",
                format!("negative seek value {off}"),
            ));
        }
        0 => off,
        1 => pos + off,
        2 => end + off,
        w => {
            return Err(Exception::new(
                "ValueError",
                format!("invalid whence ({w}, should be 0, 1 or 2)"),
            ));
        }
    };
    Ok(p.max(0))
}

impl NativeObject for BytesIO {
    fn type_name(&self) -> &str {
        "BytesIO"
    }
    fn module_name(&self) -> Option<&str> {
        Some("_io")
    }
    fn snapshot(&self, _: &mut crate::lang::interp::Copier) -> Option<Value> {
        Some(Value::native(BytesIO {
            id: self.id,
            pos: Cell::new(self.pos.get()),
        }))
    }
    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(match name {
            "seek" => Value::method(this.clone(), "seek", |_, args| {
                let b = args.this_native::<BytesIO>()?;
                let p = seek(b.pos.get(), 0, &args)?;
                b.pos.set(p);
                Ok(Value::Int(p))
            }),
            "tell" => Value::method(this.clone(), "tell", |_, args| {
                Ok(Value::Int(args.this_native::<BytesIO>()?.pos.get()))
            }),
            "close" | "flush" => Value::method(this.clone(), "close", |_, _| Ok(Value::None)),
            "seekable" | "readable" | "writable" => {
                Value::method(this.clone(), "seekable", |_, _| Ok(Value::Bool(true)))
            }
            _ => return Ok(None),
        }))
    }
}

impl NativeObject for StringIO {
    fn type_name(&self) -> &str {
        "StringIO"
    }
    fn module_name(&self) -> Option<&str> {
        Some("_io")
    }
    fn snapshot(&self, _: &mut crate::lang::interp::Copier) -> Option<Value> {
        Some(Value::native(StringIO {
            text: RefCell::new(self.text.borrow().clone()),
            pos: Cell::new(self.pos.get()),
        }))
    }
    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(match name {
            "write" => Value::method(this.clone(), "write", |_, args| {
                let [s] = args.bind(&["s"])?;
                let s = match &s {
                    Some(Value::Str(s)) => s.to_string(),
                    Some(v) => {
                        return Err(Exception::type_error(format!(
                            "string argument expected, got '{}'",
                            v.type_name()
                        )));
                    }
                    None => {
                        return Err(Exception::type_error(
                            "write() takes exactly one argument (0 given)",
                        ));
                    }
                };
                let b = args.this_native::<StringIO>()?;
                let mut text = b.text.borrow_mut();
                let mut chars: Vec<char> = text.chars().collect();
                let p = b.pos.get();
                while chars.len() < p {
                    chars.push('\0');
                }
                let new: Vec<char> = s.chars().collect();
                let end = (p + new.len()).min(chars.len());
                chars.splice(p..end, new.iter().copied());
                *text = chars.into_iter().collect();
                b.pos.set(p + new.len());
                Ok(Value::Int(new.len() as i64))
            }),
            "getvalue" => Value::method(this.clone(), "getvalue", |_, args| {
                let b = args.this_native::<StringIO>()?;
                Ok(Value::Str(b.text.borrow().as_str().into()))
            }),
            "read" => Value::method(this.clone(), "read", |_, args| {
                let [size] = args.bind(&["size="])?;
                let b = args.this_native::<StringIO>()?;
                let chars: Vec<char> = b.text.borrow().chars().collect();
                let p = b.pos.get().min(chars.len());
                let n = match size {
                    None | Some(Value::None) => chars.len() - p,
                    Some(v) => {
                        let n = v.expect_int("size")?;
                        if n < 0 {
                            chars.len() - p
                        } else {
                            (n as usize).min(chars.len() - p)
                        }
                    }
                };
                b.pos.set(p + n);
                Ok(Value::Str(
                    chars[p..p + n].iter().collect::<String>().as_str().into(),
                ))
            }),
            "seek" => Value::method(this.clone(), "seek", |_, args| {
                let b = args.this_native::<StringIO>()?;
                let end = b.text.borrow().chars().count() as i64;
                let p = seek(b.pos.get() as i64, end, &args)?;
                b.pos.set(p as usize);
                Ok(Value::Int(p))
            }),
            "tell" => Value::method(this.clone(), "tell", |_, args| {
                Ok(Value::Int(args.this_native::<StringIO>()?.pos.get() as i64))
            }),
            "close" | "flush" => Value::method(this.clone(), "close", |_, _| Ok(Value::None)),
            _ => return Ok(None),
        }))
    }
}
