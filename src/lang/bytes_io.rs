//! Binary reads: the file `open(path, 'rb')` gives for a lesson's data file or a file it wrote
//! as text (`read`, `readlines`, iteration, giving `pybytes` values), and the `codecs` module's
//! `decode`/`encode` (UTF-8, Latin-1 and `unicode_escape`).

use std::cell::Cell;
use std::rc::Rc;

use super::native::NativeObject;
use super::pybytes::{bytes_of, new_bytes};
use super::{Exception, Interpreter, Module, Value};

type R<T> = Result<T, Exception>;

/// The text `b` holds in `encoding` (UTF-8, ASCII or Latin-1), or the error CPython raises.
pub fn decode(b: &[u8], encoding: &str) -> R<String> {
    match normalise(encoding).as_str() {
        "utf8" | "utf8sig" | "ascii" => String::from_utf8(b.to_vec()).map_err(|e| {
            let at = e.utf8_error().valid_up_to();
            Exception::new(
                "UnicodeDecodeError",
                format!(
                    "'utf-8' codec can't decode byte 0x{:02x} in position {at}: invalid start byte",
                    b[at]
                ),
            )
        }),
        "latin1" | "iso88591" | "l1" | "cp819" => Ok(b.iter().map(|&c| c as char).collect()),
        "unicodeescape" => unescape(&b.iter().map(|&c| c as char).collect::<String>()),
        _ => Err(Exception::new(
            "LookupError",
            format!("unknown encoding: {encoding}"),
        )),
    }
}

/// An encoding's name as codecs compares them: lower case, without `-` and `_`.
pub fn normalise(encoding: &str) -> String {
    encoding.to_ascii_lowercase().replace(['-', '_', ' '], "")
}

/// `unicode_escape` decoding: Python's backslash escapes turned into the characters they name.
fn unescape(s: &str) -> R<String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    let bad = |what: &str| {
        Exception::new(
            "UnicodeDecodeError",
            format!("'unicodeescape' codec can't decode bytes: {what}"),
        )
    };
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(e) = chars.next() else {
            return Err(bad("\\ at end of string"));
        };
        let hex = |chars: &mut std::iter::Peekable<std::str::Chars>, n: usize| -> R<char> {
            let digits: String = (0..n).filter_map(|_| chars.next()).collect();
            u32::from_str_radix(&digits, 16)
                .ok()
                .filter(|_| digits.len() == n)
                .and_then(char::from_u32)
                .ok_or_else(|| bad("truncated escape"))
        };
        match e {
            '\n' => {}
            '\\' | '\'' | '"' => out.push(e),
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'f' => out.push('\x0c'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\x0b'),
            'x' => out.push(hex(&mut chars, 2)?),
            'u' => out.push(hex(&mut chars, 4)?),
            'U' => out.push(hex(&mut chars, 8)?),
            '0'..='7' => {
                let mut v = e.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match chars.peek().and_then(|c| c.to_digit(8)) {
                        Some(d) => {
                            v = v * 8 + d;
                            chars.next();
                        }
                        None => break,
                    }
                }
                out.push(char::from_u32(v).unwrap_or('\u{fffd}'));
            }
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    Ok(out)
}


/// `open(path, 'rb')` of a data file (or of text the lesson wrote): its bytes, read whole.
pub struct BytesReader {
    name: String,
    data: Vec<u8>,
    pos: Cell<usize>,
    closed: Cell<bool>,
}

pub fn reader(name: String, data: Vec<u8>) -> Value {
    Value::native(BytesReader {
        name,
        data,
        pos: Cell::new(0),
        closed: Cell::new(false),
    })
}

impl BytesReader {
    fn check_open(&self) -> R<()> {
        if self.closed.get() {
            return Err(Exception::value_error("I/O operation on closed file."));
        }
        Ok(())
    }

    /// The next line, with its `\n`, from where the last read stopped.
    fn line(&self) -> Option<Vec<u8>> {
        let rest = &self.data[self.pos.get()..];
        if rest.is_empty() {
            return None;
        }
        let end = rest
            .iter()
            .position(|&c| c == b'\n')
            .map_or(rest.len(), |i| i + 1);
        self.pos.set(self.pos.get() + end);
        Some(rest[..end].to_vec())
    }
}

impl NativeObject for BytesReader {
    fn type_name(&self) -> &str {
        "BufferedReader"
    }
    fn module_name(&self) -> Option<&str> {
        Some("_io")
    }
    fn repr(&self) -> String {
        format!("<_io.BufferedReader name='{}'>", self.name)
    }
    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(match name {
            "name" => Value::str(&self.name),
            "mode" => Value::str("rb"),
            "closed" => Value::Bool(self.closed.get()),
            "close" => Value::method(this.clone(), name, |_, args| {
                args.this_native::<BytesReader>()?.closed.set(true);
                Ok(Value::None)
            }),
            "read" => Value::method(this.clone(), name, |_, args| {
                let [size] = args.bind(&["size="])?;
                let f = args.this_native::<BytesReader>()?;
                f.check_open()?;
                let rest = &f.data[f.pos.get()..];
                let n = match size.and_then(|s| s.as_int()) {
                    Some(n) if n >= 0 => (n as usize).min(rest.len()),
                    _ => rest.len(),
                };
                f.pos.set(f.pos.get() + n);
                Ok(new_bytes(rest[..n].to_vec()))
            }),
            "readline" => Value::method(this.clone(), name, |_, args| {
                let f = args.this_native::<BytesReader>()?;
                f.check_open()?;
                Ok(new_bytes(f.line().unwrap_or_default()))
            }),
            "readlines" => Value::method(this.clone(), name, |_, args| {
                let f = args.this_native::<BytesReader>()?;
                f.check_open()?;
                Ok(Value::list(
                    std::iter::from_fn(|| f.line())
                        .map(new_bytes)
                        .collect(),
                ))
            }),
            _ => return Ok(None),
        }))
    }
    fn iter(&self, this: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        self.check_open()?;
        Ok(Some(this.clone()))
    }
    fn next(&self, _: &mut Interpreter) -> R<Option<Value>> {
        self.check_open()?;
        Ok(self.line().map(new_bytes))
    }
    fn enter(&self, this: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(this.clone()))
    }
    fn exit(&self, _: &Value, _: Option<&Exception>, _: &mut Interpreter) -> R<bool> {
        self.closed.set(true);
        Ok(false)
    }
}

/// The `codecs` module: `decode` and `encode` over the encodings above.
pub fn install(it: &mut Interpreter) {
    let m = Module::new("codecs");
    m.set(
        "decode",
        Value::builtin("decode", |_, args| {
            let [obj, encoding, _errors] = args.bind(&["obj", "encoding=", "errors="])?;
            let enc = encoding.map_or_else(|| "utf-8".to_string(), |e| e.to_str());
            match &obj {
                Some(v) if bytes_of(v).is_some() => {
                    Ok(Value::str(&decode(&bytes_of(v).unwrap_or_default(), &enc)?))
                }
                // A str is first encoded to bytes (for `unicode_escape`, as Latin-1).
                Some(Value::Str(s)) => match normalise(&enc).as_str() {
                    "unicodeescape" => Ok(Value::str(&unescape(s)?)),
                    // The codec is looked up first: an unknown name is a LookupError.
                    "utf8" | "utf8sig" | "ascii" | "latin1" | "iso88591" | "l1" | "cp819" => Err(
                        Exception::type_error("a bytes-like object is required, not 'str'"),
                    ),
                    _ => Err(Exception::new(
                        "LookupError",
                        format!("unknown encoding: {enc}"),
                    )),
                },
                Some(v) => Err(Exception::type_error(format!(
                    "a bytes-like object is required, not '{}'",
                    v.type_name()
                ))),
                None => Err(Exception::type_error(
                    "decode() missing required argument 'obj' (pos 1)",
                )),
            }
        }),
    );
    m.set(
        "encode",
        Value::builtin("encode", |_, args| {
            let [obj, encoding, _errors] = args.bind(&["obj", "encoding=", "errors="])?;
            let enc = encoding.map_or_else(|| "utf-8".to_string(), |e| e.to_str());
            let Some(Value::Str(s)) = &obj else {
                return Err(Exception::type_error(
                    "utf_8_encode() argument 1 must be str",
                ));
            };
            match normalise(&enc).as_str() {
                "utf8" | "ascii" => Ok(new_bytes(s.as_bytes().to_vec())),
                "latin1" | "iso88591" => {
                    Ok(new_bytes(s.chars().map(|c| c as u32 as u8).collect()))
                }
                _ => Err(Exception::new(
                    "LookupError",
                    format!("unknown encoding: {enc}"),
                )),
            }
        }),
    );
    it.modules
        .insert("codecs".into(), Value::Module(Rc::new(m)));
}
