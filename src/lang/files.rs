//! `open()` for reading data files beside a lesson (`open('names.txt').read().splitlines()`).
//! `lang` still does no I/O: the host hands the interpreter a [`FileReader`] that decides what
//! may be read and returns the bytes; this file turns them into Python's text file object.
//! Files the lesson itself writes are kept in memory (files_mem.rs) and read back from there;
//! without a reader, other files raise PermissionError saying why.

use std::cell::Cell;
use std::rc::Rc;

use super::native::{Args, NativeObject};
use super::{Exception, Interpreter, Value};

type R<T> = Result<T, Exception>;

/// The host's side of `open()`: the whole content of the file a lesson names, or the Python
/// exception to raise (FileNotFoundError, PermissionError, IsADirectoryError...).
pub trait FileReader {
    fn read(&self, path: &str) -> Result<Vec<u8>, Exception>;
    /// The entries of a folder (`""` is the lesson's own), each with whether it is a folder,
    /// for `glob`; a host that gives no listing has none.
    fn list_dir(&self, _path: &str) -> Result<Vec<(String, bool)>, Exception> {
        Ok(Vec::new())
    }
}

/// `[Errno 13] Permission denied: 'path': why`, as PermissionError.
pub fn permission_denied(path: &str, why: &str) -> Exception {
    Exception::new("PermissionError", format!("[Errno 13] Permission denied: '{path}': {why}"))
}

/// The `open` builtin over `reader`.
pub fn open_builtin(reader: Option<Rc<dyn FileReader>>) -> Value {
    Value::builtin("open", move |it, args| {
        let [file, mode, _buffering, encoding, _errors, newline] =
            args.bind(&["file", "mode=", "buffering=", "encoding=", "errors=", "newline="])?;
        let path = match &file {
            Some(Value::Str(s)) => s.to_string(),
            // `open(Path('data') / 'names.txt')`.
            Some(v) => super::pathlib::fspath(v).ok_or_else(|| Exception::type_error(format!("expected str, bytes or os.PathLike object, not {}", v.type_name())))?,
            None => return Err(Exception::type_error("open() missing required argument 'file' (pos 1)")),
        };
        let mode = match &mode {
            None => "r".to_string(),
            Some(Value::Str(s)) => s.to_string(),
            Some(v) => return Err(Exception::type_error(format!("open() argument 'mode' must be str, not {}", v.type_name()))),
        };
        if mode.chars().any(|c| !"rwxabt+U".contains(c)) || mode.is_empty() {
            return Err(Exception::value_error(format!("invalid mode: '{mode}'")));
        }
        if mode.contains('b') {
            // A data file (or text the lesson wrote) read as bytes; `torch.save`'s files go to
            // the binary file `torch.load` reads.
            if mode == "rb" && !it.saved.contains_key(&path) {
                let bytes = match it.written.get(&super::files_mem::key(&path)) {
                    Some(text) => text.clone().into_bytes(),
                    None => reader.as_ref().ok_or_else(|| permission_denied(&path, "this run gives lessons no files"))?.read(&path)?,
                };
                return Ok(super::bytes_io::reader(path, bytes));
            }
            return super::files_mem::open_binary(it, &path, &mode);
        }
        if mode.contains(['w', 'a', 'x', '+']) {
            return super::files_mem::open_text_writer(it, &path, &mode);
        }
        let mut latin1 = false;
        if let Some(enc) = encoding.filter(|e| !e.is_none()) {
            let e = super::bytes_io::normalise(&enc.to_str());
            latin1 = matches!(e.as_str(), "latin1" | "iso88591" | "l1" | "cp819");
            if !latin1 && !matches!(e.as_str(), "utf8" | "ascii" | "utf8sig") {
                return Err(Exception::unsupported(format!("open() with encoding={}", enc.repr())));
            }
        }
        let bytes = match it.written.get(&super::files_mem::key(&path)) {
            Some(text) => text.clone().into_bytes(),
            None => reader.as_ref().ok_or_else(|| permission_denied(&path, "this run gives lessons no files"))?.read(&path)?,
        };
        let text = super::bytes_io::decode(&bytes, if latin1 { "latin-1" } else { "utf-8" })?;
        let text = text.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(text);
        // Universal newlines (newline=None, the default): \r\n and \r read as \n.
        let text = match newline {
            None | Some(Value::None) => text.replace("\r\n", "\n").replace('\r', "\n"),
            _ => text,
        };
        Ok(Value::native(PyFile { name: path, mode, text, pos: Cell::new(0), closed: Cell::new(false) }))
    })
}

/// A text file opened for reading: its whole content, read at `pos` (a byte offset).
struct PyFile {
    name: String,
    mode: String,
    text: String,
    pos: Cell<usize>,
    closed: Cell<bool>,
}

impl PyFile {
    fn check_open(&self) -> R<()> {
        if self.closed.get() {
            return Err(Exception::value_error("I/O operation on closed file."));
        }
        Ok(())
    }

    /// The next line with its `\n`, or "" at the end.
    fn next_line(&self) -> &str {
        let rest = &self.text[self.pos.get()..];
        let end = rest.find('\n').map_or(rest.len(), |i| i + 1);
        self.pos.set(self.pos.get() + end);
        &rest[..end]
    }
}

fn size_arg(v: Option<Value>) -> R<Option<usize>> {
    match v {
        None | Some(Value::None) => Ok(None),
        Some(v) => {
            let n = v.expect_int("size")?;
            Ok(usize::try_from(n).ok())
        }
    }
}

impl NativeObject for PyFile {
    fn type_name(&self) -> &str {
        "TextIOWrapper"
    }
    fn module_name(&self) -> Option<&str> {
        Some("_io")
    }
    fn repr(&self) -> String {
        format!("<_io.TextIOWrapper name='{}' mode='{}' encoding='UTF-8'>", self.name, self.mode)
    }
    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        let f = match name {
            "name" => return Ok(Some(Value::str(&self.name))),
            "mode" => return Ok(Some(Value::str(&self.mode))),
            "closed" => return Ok(Some(Value::Bool(self.closed.get()))),
            "encoding" => return Ok(Some(Value::str("UTF-8"))),
            "read" => Value::method(this.clone(), name, |_, args| {
                let [size] = args.bind(&["size="])?;
                let f = args.this_native::<PyFile>()?;
                f.check_open()?;
                let rest = &f.text[f.pos.get()..];
                let n = match size_arg(size)? {
                    Some(chars) => rest.char_indices().nth(chars).map_or(rest.len(), |(i, _)| i),
                    None => rest.len(),
                };
                f.pos.set(f.pos.get() + n);
                Ok(Value::str(&rest[..n]))
            }),
            "readline" => Value::method(this.clone(), name, |_, args| {
                let [_size] = args.bind(&["size="])?;
                let f = args.this_native::<PyFile>()?;
                f.check_open()?;
                Ok(Value::str(f.next_line()))
            }),
            "readlines" => Value::method(this.clone(), name, |_, args| {
                let [_hint] = args.bind(&["hint="])?;
                let f = args.this_native::<PyFile>()?;
                f.check_open()?;
                let mut lines = Vec::new();
                loop {
                    let l = f.next_line();
                    if l.is_empty() {
                        break;
                    }
                    lines.push(Value::str(l));
                }
                Ok(Value::list(lines))
            }),
            "close" => Value::method(this.clone(), name, |_, args| {
                args.this_native::<PyFile>()?.closed.set(true);
                Ok(Value::None)
            }),
            "readable" => Value::method(this.clone(), name, |_, _| Ok(Value::Bool(true))),
            "writable" => Value::method(this.clone(), name, |_, _| Ok(Value::Bool(false))),
            "write" | "writelines" => Value::method(this.clone(), name, |_, _| {
                Err(Exception::new("io.UnsupportedOperation", "not writable"))
            }),
            "seek" => Value::method(this.clone(), name, |_, args: Args| {
                let [offset, _whence] = args.bind(&["offset", "whence="])?;
                let f = args.this_native::<PyFile>()?;
                let n = offset.map_or(Ok(0), |v| v.expect_int("offset"))?.clamp(0, f.text.len() as i64) as usize;
                let n = (0..=n).rev().find(|&i| f.text.is_char_boundary(i)).unwrap_or(0);
                f.pos.set(n);
                Ok(Value::Int(n as i64))
            }),
            "tell" => Value::method(this.clone(), name, |_, args| Ok(Value::Int(args.this_native::<PyFile>()?.pos.get() as i64))),
            _ => return Ok(None),
        };
        Ok(Some(f))
    }
    fn iter(&self, this: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        self.check_open()?;
        Ok(Some(this.clone()))
    }
    fn next(&self, _: &mut Interpreter) -> R<Option<Value>> {
        self.check_open()?;
        let l = self.next_line();
        Ok(if l.is_empty() { None } else { Some(Value::str(l)) })
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
