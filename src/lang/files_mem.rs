//! Files a lesson writes with `open()`: kept in the interpreter, never on disk. Text written
//! in `'w'`/`'a'`/`'x'` mode is read back by a later `open(path)`; a binary file opened with
//! `'wb'` is a target for `torch.save(obj, f)` and one opened with `'rb'` for `torch.load(f)`,
//! both keyed by the path, as `torch.save(obj, path)` is (src/lang/torch/save.rs).

use std::cell::Cell;

use super::native::{Args, NativeObject};
use super::{Exception, Interpreter, Value};

type R<T> = Result<T, Exception>;

/// `path` as the key of the lesson's written files: `./a//b/` and `a/b` are one file.
pub fn key(path: &str) -> String {
    super::os_files::normalise(path)
}

/// `open(path, mode)` for a mode that writes text: truncates (`'w'`), creates only (`'x'`) or
/// appends (`'a'`); `'+'` modes are refused, as they would read what this file object cannot.
pub fn open_text_writer(it: &mut Interpreter, path: &str, mode: &str) -> R<Value> {
    if mode.contains('+') {
        return Err(Exception::unsupported(format!(
            "open() with mode '{mode}' (read and write)"
        )));
    }
    let k = key(path);
    if mode.contains('x') && (it.written.contains_key(&k) || it.saved.contains_key(path)) {
        return Err(Exception::new(
            "FileExistsError",
            format!("[Errno 17] File exists: '{path}'"),
        ));
    }
    if !mode.contains('a') || !it.written.contains_key(&k) {
        it.written.insert(k.clone(), String::new());
    }
    Ok(Value::native(TextWriter {
        name: path.to_string(),
        key: k,
        mode: mode.to_string(),
        closed: Cell::new(false),
    }))
}

/// `open(path, 'wb')` (to `torch.save` into) or `open(path, 'rb')` of what `torch.save` wrote.
pub fn open_binary(it: &Interpreter, path: &str, mode: &str) -> R<Value> {
    if mode.contains('+') || mode.contains('a') {
        return Err(Exception::unsupported(format!("open() with mode '{mode}'")));
    }
    let reading = mode.contains('r');
    if reading && !it.saved.contains_key(path) {
        if it.written.contains_key(&key(path)) {
            return Err(Exception::unsupported(
                "open() in binary mode of a file written as text",
            ));
        }
        return Err(Exception::unsupported(
            "open() in binary mode ('rb') of a file torch.save did not write: lessonrun reads text files only",
        ));
    }
    Ok(Value::native(BinaryFile {
        name: path.to_string(),
        mode: mode.to_string(),
        reading,
        closed: Cell::new(false),
    }))
}

/// A text file being written: each `write` goes straight to the interpreter's copy.
struct TextWriter {
    name: String,
    key: String,
    mode: String,
    closed: Cell<bool>,
}

impl TextWriter {
    fn check_open(&self) -> R<()> {
        if self.closed.get() {
            return Err(Exception::value_error("I/O operation on closed file."));
        }
        Ok(())
    }

    fn append(&self, it: &mut Interpreter, s: &str) {
        it.written.entry(self.key.clone()).or_default().push_str(s);
    }
}

impl NativeObject for TextWriter {
    fn type_name(&self) -> &str {
        "TextIOWrapper"
    }
    fn module_name(&self) -> Option<&str> {
        Some("_io")
    }
    fn repr(&self) -> String {
        format!(
            "<_io.TextIOWrapper name='{}' mode='{}' encoding='UTF-8'>",
            self.name, self.mode
        )
    }
    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        let f = match name {
            "name" => return Ok(Some(Value::str(&self.name))),
            "mode" => return Ok(Some(Value::str(&self.mode))),
            "closed" => return Ok(Some(Value::Bool(self.closed.get()))),
            "encoding" => return Ok(Some(Value::str("UTF-8"))),
            "write" => Value::method(this.clone(), name, |it, args: Args| {
                let [s] = args.bind(&["s"])?;
                let f = args.this_native::<TextWriter>()?;
                f.check_open()?;
                let s = match &s {
                    Some(Value::Str(s)) => s.clone(),
                    Some(v) => {
                        return Err(Exception::type_error(format!(
                            "write() argument must be str, not {}",
                            v.type_name()
                        )));
                    }
                    None => {
                        return Err(Exception::type_error(
                            "write() takes exactly one argument (0 given)",
                        ));
                    }
                };
                f.append(it, &s);
                Ok(Value::Int(s.chars().count() as i64))
            }),
            "writelines" => Value::method(this.clone(), name, |it, args: Args| {
                let [lines] = args.bind(&["lines"])?;
                let f = args.this_native::<TextWriter>()?;
                f.check_open()?;
                for v in it.iterate(&lines.unwrap_or(Value::None))? {
                    match &v {
                        Value::Str(s) => f.append(it, s),
                        v => {
                            return Err(Exception::type_error(format!(
                                "write() argument must be str, not {}",
                                v.type_name()
                            )));
                        }
                    }
                }
                Ok(Value::None)
            }),
            "flush" => Value::method(this.clone(), name, |_, _| Ok(Value::None)),
            "close" => Value::method(this.clone(), name, |_, args| {
                args.this_native::<TextWriter>()?.closed.set(true);
                Ok(Value::None)
            }),
            "readable" => Value::method(this.clone(), name, |_, _| Ok(Value::Bool(false))),
            "writable" => Value::method(this.clone(), name, |_, _| Ok(Value::Bool(true))),
            "read" | "readline" | "readlines" => Value::method(this.clone(), name, |_, _| {
                Err(Exception::new("io.UnsupportedOperation", "not readable"))
            }),
            _ => return Ok(None),
        };
        Ok(Some(f))
    }
    fn enter(&self, this: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        self.check_open()?;
        Ok(Some(this.clone()))
    }
    fn exit(&self, _: &Value, _: Option<&Exception>, _: &mut Interpreter) -> R<bool> {
        self.closed.set(true);
        Ok(false)
    }
}

/// A binary file: only `torch.save`/`torch.load` use it, through its name.
pub struct BinaryFile {
    name: String,
    mode: String,
    reading: bool,
    closed: Cell<bool>,
}

impl BinaryFile {
    /// The key `torch.save`/`torch.load` use for this file; refused once it is closed.
    pub fn path_for(&self, saving: bool) -> R<String> {
        if self.closed.get() {
            return Err(Exception::value_error("I/O operation on closed file."));
        }
        if saving == self.reading {
            return Err(Exception::new(
                "io.UnsupportedOperation",
                if saving { "write" } else { "read" },
            ));
        }
        Ok(self.name.clone())
    }
}

impl NativeObject for BinaryFile {
    fn type_name(&self) -> &str {
        if self.reading {
            "BufferedReader"
        } else {
            "BufferedWriter"
        }
    }
    fn module_name(&self) -> Option<&str> {
        Some("_io")
    }
    fn repr(&self) -> String {
        format!("<_io.{} name='{}'>", self.type_name(), self.name)
    }
    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        let f = match name {
            "name" => return Ok(Some(Value::str(&self.name))),
            "mode" => return Ok(Some(Value::str(&self.mode))),
            "closed" => return Ok(Some(Value::Bool(self.closed.get()))),
            "close" => Value::method(this.clone(), name, |_, args| {
                args.this_native::<BinaryFile>()?.closed.set(true);
                Ok(Value::None)
            }),
            "flush" => Value::method(this.clone(), name, |_, _| Ok(Value::None)),
            "readable" => {
                let r = self.reading;
                Value::method(this.clone(), name, move |_, _| Ok(Value::Bool(r)))
            }
            "writable" => {
                let w = !self.reading;
                Value::method(this.clone(), name, move |_, _| Ok(Value::Bool(w)))
            }
            "read" | "write" | "readline" | "seek" | "tell" => {
                Value::method(this.clone(), name, |_, _| {
                    Err(Exception::unsupported(
                        "reading or writing bytes of a binary file (only torch.save/torch.load use one)",
                    ))
                })
            }
            _ => return Ok(None),
        };
        Ok(Some(f))
    }
    fn enter(&self, this: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(this.clone()))
    }
    fn exit(&self, _: &Value, _: Option<&Exception>, _: &mut Interpreter) -> R<bool> {
        self.closed.set(true);
        Ok(false)
    }
}
