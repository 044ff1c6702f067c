//! `bytes` and `bytearray`: their construction, CPython's repr, indexing and slicing, operators,
//! hashing, the codecs lessons use (`str.encode`, `bytes.decode`: utf-8, latin-1 and ascii with
//! errors='strict', 'replace' or 'ignore') and the methods tokenizer code calls. Both are one
//! native type with a flag: a bytearray is bytes that can change in place and has no hash.

use std::cell::RefCell;
use std::rc::Rc;

use super::ast::BinOp;
use super::native::{Args, NativeObject, Op};
use super::value::{TypeObj, Value};
use super::{Exception, Interpreter};

type R<T> = Result<T, Exception>;

pub(crate) struct Bytes {
    data: RefCell<Vec<u8>>,
    mutable: bool,
}

fn make(mutable: bool, data: Vec<u8>) -> Value {
    Value::native(Bytes {
        data: RefCell::new(data),
        mutable,
    })
}

/// A `bytes` value (literals, `str.encode`).
pub(crate) fn new_bytes(data: Vec<u8>) -> Value {
    make(false, data)
}

/// The contents of a bytes or bytearray value; None for anything else.
pub(crate) fn bytes_of(v: &Value) -> Option<Vec<u8>> {
    v.downcast::<Bytes>().map(|b| b.data.borrow().clone())
}

/// CPython's repr of bytes: `b'...'`, double quotes when the data has ' and no ", printable
/// ASCII as itself and every other byte escaped.
pub(crate) fn bytes_repr(d: &[u8]) -> String {
    let quote = if d.contains(&b'\'') && !d.contains(&b'"') {
        b'"'
    } else {
        b'\''
    };
    let mut out = String::with_capacity(d.len() + 3);
    out.push('b');
    out.push(quote as char);
    for &c in d {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c as char);
            }
            0x20..=0x7e => out.push(c as char),
            c => out.push_str(&format!("\\x{c:02x}")),
        }
    }
    out.push(quote as char);
    out
}

#[derive(Clone, Copy, PartialEq)]
enum Codec {
    Utf8,
    Latin1,
    Ascii,
}

/// An encoding name as Python's codec registry normalises it (case, `_` for `-`).
fn codec(name: &str) -> R<Codec> {
    let n = name.to_ascii_lowercase().replace('_', "-");
    Ok(match n.as_str() {
        "utf-8" | "utf8" | "u8" | "utf" => Codec::Utf8,
        "latin-1" | "latin1" | "iso-8859-1" | "iso8859-1" | "l1" | "latin" => Codec::Latin1,
        "ascii" | "us-ascii" | "646" => Codec::Ascii,
        _ => {
            return Err(Exception::new(
                "LookupError",
                format!("unknown encoding: {name}"),
            ));
        }
    })
}

fn codec_name(c: Codec) -> &'static str {
    match c {
        Codec::Utf8 => "utf-8",
        Codec::Latin1 => "latin-1",
        Codec::Ascii => "ascii",
    }
}

/// What to do at an undecodable byte or unencodable character: raise, substitute or skip.
fn handler(errors: &str) -> R<u8> {
    match errors {
        "strict" => Ok(0),
        "replace" => Ok(1),
        "ignore" => Ok(2),
        other => Err(Exception::new(
            "LookupError",
            format!("unknown error handler name '{other}'"),
        )),
    }
}

fn str_arg(v: Option<Value>, what: &str, default: &str) -> R<String> {
    match &v {
        None => Ok(default.to_string()),
        Some(Value::Str(s)) => Ok(s.to_string()),
        Some(o) => Err(Exception::type_error(format!(
            "{what}() argument must be str, not {}",
            o.type_name()
        ))),
    }
}

fn char_escape(c: char) -> String {
    let cp = c as u32;
    if cp <= 0xff {
        format!("\\x{cp:02x}")
    } else if cp <= 0xffff {
        format!("\\u{cp:04x}")
    } else {
        format!("\\U{cp:08x}")
    }
}

fn encode(s: &str, c: Codec, errors: &str) -> R<Vec<u8>> {
    if c == Codec::Utf8 {
        return Ok(s.as_bytes().to_vec());
    }
    let limit = if c == Codec::Latin1 { 256 } else { 128 };
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let ch = chars[i];
        if (ch as u32) < limit {
            out.push(ch as u8);
            i += 1;
            continue;
        }
        match handler(errors)? {
            0 => {
                let end = (i..chars.len())
                    .find(|&j| (chars[j] as u32) < limit)
                    .unwrap_or(chars.len());
                let what = if end - i == 1 {
                    format!("character '{}' in position {i}", char_escape(ch))
                } else {
                    format!("characters in position {i}-{}", end - 1)
                };
                return Err(Exception::new(
                    "UnicodeEncodeError",
                    format!(
                        "'{}' codec can't encode {what}: ordinal not in range({limit})",
                        codec_name(c)
                    ),
                ));
            }
            1 => out.push(b'?'),
            _ => {}
        }
        i += 1;
    }
    Ok(out)
}

fn decode(d: &[u8], c: Codec, errors: &str) -> R<String> {
    let fail = |pos: usize, n: usize, why: &str| {
        let what = if n == 1 {
            format!("byte 0x{:02x} in position {pos}", d[pos])
        } else {
            format!("bytes in position {pos}-{}", pos + n - 1)
        };
        Exception::new(
            "UnicodeDecodeError",
            format!("'{}' codec can't decode {what}: {why}", codec_name(c)),
        )
    };
    match c {
        Codec::Latin1 => Ok(d.iter().map(|&b| b as char).collect()),
        Codec::Ascii => {
            let mut out = String::with_capacity(d.len());
            for (i, &b) in d.iter().enumerate() {
                if b < 128 {
                    out.push(b as char);
                } else {
                    match handler(errors)? {
                        0 => return Err(fail(i, 1, "ordinal not in range(128)")),
                        1 => out.push('\u{fffd}'),
                        _ => {}
                    }
                }
            }
            Ok(out)
        }
        Codec::Utf8 => {
            let mut out = String::with_capacity(d.len());
            let mut pos = 0;
            loop {
                match std::str::from_utf8(&d[pos..]) {
                    Ok(s) => {
                        out.push_str(s);
                        return Ok(out);
                    }
                    Err(e) => {
                        let good = pos + e.valid_up_to();
                        out.push_str(std::str::from_utf8(&d[pos..good]).unwrap_or_default());
                        // Rust reports the maximal invalid subpart, as CPython's decoder does.
                        let n = e.error_len().unwrap_or(d.len() - good);
                        match handler(errors)? {
                            0 => {
                                let why = match (e.error_len(), d[good]) {
                                    (None, _) => "unexpected end of data",
                                    (_, 0x80..=0xc1 | 0xf5..=0xff) => "invalid start byte",
                                    _ => "invalid continuation byte",
                                };
                                return Err(fail(good, n, why));
                            }
                            1 => out.push('\u{fffd}'),
                            _ => {}
                        }
                        pos = good + n;
                    }
                }
            }
        }
    }
}

/// `str.encode(encoding='utf-8', errors='strict')`.
pub(crate) fn str_encode(_: &mut Interpreter, args: Args) -> R<Value> {
    let Some(Value::Str(s)) = &args.this else {
        return Err(Exception::type_error("encode() needs a str"));
    };
    let [enc, errors] = args.bind(&["encoding=", "errors="])?;
    let c = codec(&str_arg(enc, "encode", "utf-8")?)?;
    Ok(new_bytes(encode(
        s,
        c,
        &str_arg(errors, "encode", "strict")?,
    )?))
}

/// `bytes(...)` / `bytearray(...)`: empty, n zero bytes, an iterable of ints, a buffer, or a
/// str with its encoding.
fn construct(it: &mut Interpreter, args: &Args, mutable: bool) -> R<Value> {
    let [src, enc, errors] = args.bind(&["source=", "encoding=", "errors="])?;
    let tname = if mutable { "bytearray" } else { "bytes" };
    let data = match &src {
        None if enc.is_none() && errors.is_none() => Vec::new(),
        None => {
            return Err(Exception::type_error(
                "encoding or errors without sequence argument",
            ));
        }
        Some(Value::Str(s)) => {
            let Some(enc) = enc else {
                return Err(Exception::type_error("string argument without an encoding"));
            };
            encode(
                s,
                codec(&str_arg(Some(enc), tname, "utf-8")?)?,
                &str_arg(errors, tname, "strict")?,
            )?
        }
        Some(_) if enc.is_some() => {
            return Err(Exception::type_error("encoding without a string argument"));
        }
        Some(_) if errors.is_some() => {
            return Err(Exception::type_error("errors without a string argument"));
        }
        Some(v @ (Value::Int(_) | Value::Bool(_))) => {
            let n = v.as_int().unwrap_or(0);
            if n < 0 {
                return Err(Exception::value_error("negative count"));
            }
            super::limits::check_text(n as u128)?;
            vec![0; n as usize]
        }
        Some(v) => match bytes_of(v) {
            Some(d) => d,
            None if matches!(v, Value::Float(_) | Value::None) => {
                return Err(Exception::type_error(format!(
                    "cannot convert '{}' object to {tname}",
                    v.type_name()
                )));
            }
            None => {
                let items = it.iterate(v).map_err(|_| {
                    Exception::type_error(format!(
                        "cannot convert '{}' object to {tname}",
                        v.type_name()
                    ))
                })?;
                items
                    .iter()
                    .map(|x| byte(x, mutable))
                    .collect::<R<Vec<u8>>>()?
            }
        },
    };
    Ok(make(mutable, data))
}

/// An int item of a bytes value, with CPython's errors.
fn byte(v: &Value, mutable: bool) -> R<u8> {
    let i = v.expect_int("byte")?;
    u8::try_from(i).map_err(|_| {
        Exception::value_error(if mutable {
            "byte must be in range(0, 256)"
        } else {
            "bytes must be in range(0, 256)"
        })
    })
}

/// A bytes-like argument, or CPython's TypeError naming what came instead.
fn buffer(v: &Value) -> R<Vec<u8>> {
    bytes_of(v).ok_or_else(|| {
        Exception::type_error(format!(
            "a bytes-like object is required, not '{}'",
            v.type_name()
        ))
    })
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() {
        return (from <= hay.len()).then_some(from);
    }
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn fromhex(_: &mut Interpreter, args: Args) -> R<Value> {
    let [s] = args.bind(&["string", "/"])?;
    let Some(Value::Str(s)) = &s else {
        return Err(Exception::type_error("fromhex() argument must be str"));
    };
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if is_space(b[i]) {
            i += 1;
            continue;
        }
        let digit = |j: usize| b.get(j).and_then(|c| (*c as char).to_digit(16));
        match (digit(i), digit(i + 1)) {
            (Some(h), Some(l)) => out.push((h * 16 + l) as u8),
            (Some(_), None) => {
                return Err(Exception::value_error(format!(
                    "non-hexadecimal number found in fromhex() arg at position {}",
                    i + 1
                )));
            }
            _ => {
                return Err(Exception::value_error(format!(
                    "non-hexadecimal number found in fromhex() arg at position {i}"
                )));
            }
        }
        i += 2;
    }
    Ok(new_bytes(out))
}

const METHODS: &[&str] = &[
    "decode",
    "hex",
    "join",
    "split",
    "startswith",
    "endswith",
    "replace",
    "count",
    "find",
    "index",
    "strip",
    "lstrip",
    "rstrip",
    "upper",
    "lower",
    "isdigit",
    "isalpha",
    "isspace",
    "isascii",
];
const MUTATORS: &[&str] = &["append", "extend", "pop", "clear", "copy"];

fn method(it: &mut Interpreter, args: Args) -> R<Value> {
    let me = args.this_native::<Bytes>()?;
    let mutable = me.mutable;
    let d = me.data.borrow().clone();
    let name: &str = &args.fname.clone();
    let same = |data: Vec<u8>| make(mutable, data);
    match name {
        "decode" => {
            let [enc, errors] = args.bind(&["encoding=", "errors="])?;
            let c = codec(&str_arg(enc, "decode", "utf-8")?)?;
            Ok(Value::Str(
                decode(&d, c, &str_arg(errors, "decode", "strict")?)?.into(),
            ))
        }
        "hex" => {
            let [] = args.bind(&[])?;
            Ok(Value::Str(
                d.iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>()
                    .into(),
            ))
        }
        "join" => {
            let [items] = args.bind(&["iterable_of_bytes", "/"])?;
            let mut out = Vec::new();
            for (i, v) in it
                .iterate(&items.unwrap_or(Value::None))?
                .iter()
                .enumerate()
            {
                if i > 0 {
                    out.extend_from_slice(&d);
                }
                let part = bytes_of(v).ok_or_else(|| {
                    Exception::type_error(format!(
                        "sequence item {i}: expected a bytes-like object, {} found",
                        v.type_name()
                    ))
                })?;
                out.extend_from_slice(&part);
            }
            Ok(same(out))
        }
        "split" => {
            let [sep, maxsplit] = args.bind(&["sep=", "maxsplit="])?;
            let mut left = match maxsplit {
                Some(m) => m.expect_int("maxsplit")?,
                None => -1,
            };
            let mut parts = Vec::new();
            match sep.filter(|s| !s.is_none()) {
                None => {
                    let mut i = 0;
                    loop {
                        while i < d.len() && is_space(d[i]) {
                            i += 1;
                        }
                        if i == d.len() {
                            break;
                        }
                        if left == 0 {
                            let mut end = d.len();
                            while end > i && is_space(d[end - 1]) {
                                end -= 1;
                            }
                            parts.push(same(d[i..end].to_vec()));
                            break;
                        }
                        let start = i;
                        while i < d.len() && !is_space(d[i]) {
                            i += 1;
                        }
                        parts.push(same(d[start..i].to_vec()));
                        left -= 1;
                    }
                }
                Some(sep) => {
                    let sep = buffer(&sep)?;
                    if sep.is_empty() {
                        return Err(Exception::value_error("empty separator"));
                    }
                    let mut start = 0;
                    while left != 0 {
                        let Some(p) = find(&d, &sep, start) else {
                            break;
                        };
                        parts.push(same(d[start..p].to_vec()));
                        start = p + sep.len();
                        left -= 1;
                    }
                    parts.push(same(d[start..].to_vec()));
                }
            }
            Ok(Value::list(parts))
        }
        "startswith" | "endswith" => {
            let [x] = args.bind(&["prefix", "/"])?;
            let x = x.unwrap_or(Value::None);
            let options = match &x {
                Value::Tuple(t) => t.iter().map(buffer).collect::<R<Vec<_>>>()?,
                v => vec![bytes_of(v).ok_or_else(|| {
                    Exception::type_error(format!(
                        "{name} first arg must be bytes or a tuple of bytes, not {}",
                        v.type_name()
                    ))
                })?],
            };
            let hit = |p: &Vec<u8>| {
                if name == "startswith" {
                    d.starts_with(p)
                } else {
                    d.ends_with(p)
                }
            };
            Ok(Value::Bool(options.iter().any(hit)))
        }
        "replace" => {
            let [old, new, count] = args.bind(&["old", "new", "count=", "/"])?;
            let (old, new) = (
                buffer(&old.unwrap_or(Value::None))?,
                buffer(&new.unwrap_or(Value::None))?,
            );
            let mut left = match count {
                Some(c) => c.expect_int("count")?,
                None => -1,
            };
            let mut out = Vec::with_capacity(d.len());
            let mut i = 0;
            while left != 0 && i <= d.len() {
                let Some(p) = find(&d, &old, i) else { break };
                out.extend_from_slice(&d[i..p]);
                out.extend_from_slice(&new);
                if old.is_empty() {
                    if p < d.len() {
                        out.push(d[p]);
                    }
                    i = p + 1;
                } else {
                    i = p + old.len();
                }
                left -= 1;
            }
            if i <= d.len() {
                out.extend_from_slice(&d[i..]);
            }
            Ok(same(out))
        }
        "count" | "find" | "index" => {
            let [sub] = args.bind(&["sub", "/"])?;
            let sub = sub.unwrap_or(Value::None);
            let sub = match &sub {
                Value::Int(_) | Value::Bool(_) => vec![byte(&sub, true)?],
                v => buffer(v)?,
            };
            if name == "count" {
                let (mut n, mut i) = (0, 0);
                while let Some(p) = find(&d, &sub, i) {
                    n += 1;
                    i = p + sub.len().max(1);
                    if i > d.len() {
                        break;
                    }
                }
                return Ok(Value::Int(n));
            }
            match find(&d, &sub, 0) {
                Some(p) => Ok(Value::Int(p as i64)),
                None if name == "find" => Ok(Value::Int(-1)),
                None => Err(Exception::value_error("subsection not found")),
            }
        }
        "strip" | "lstrip" | "rstrip" => {
            let [chars] = args.bind(&["bytes=", "/"])?;
            let set = match chars.filter(|c| !c.is_none()) {
                Some(c) => buffer(&c)?,
                None => b" \t\n\r\x0b\x0c".to_vec(),
            };
            let (mut s, mut e) = (0, d.len());
            if name != "rstrip" {
                while s < e && set.contains(&d[s]) {
                    s += 1;
                }
            }
            if name != "lstrip" {
                while e > s && set.contains(&d[e - 1]) {
                    e -= 1;
                }
            }
            Ok(same(d[s..e].to_vec()))
        }
        "upper" => Ok(same(d.to_ascii_uppercase())),
        "lower" => Ok(same(d.to_ascii_lowercase())),
        "isdigit" => Ok(Value::Bool(
            !d.is_empty() && d.iter().all(u8::is_ascii_digit),
        )),
        "isalpha" => Ok(Value::Bool(
            !d.is_empty() && d.iter().all(u8::is_ascii_alphabetic),
        )),
        "isspace" => Ok(Value::Bool(!d.is_empty() && d.iter().all(|b| is_space(*b)))),
        "isascii" => Ok(Value::Bool(d.is_ascii())),
        "append" => {
            let [x] = args.bind(&["item", "/"])?;
            let b = byte(&x.unwrap_or(Value::None), true)?;
            me.data.borrow_mut().push(b);
            Ok(Value::None)
        }
        "extend" => {
            let [x] = args.bind(&["iterable_of_ints", "/"])?;
            let x = x.unwrap_or(Value::None);
            let more = match bytes_of(&x) {
                Some(b) => b,
                None => it
                    .iterate(&x)?
                    .iter()
                    .map(|v| byte(v, true))
                    .collect::<R<Vec<u8>>>()?,
            };
            me.data.borrow_mut().extend(more);
            Ok(Value::None)
        }
        "pop" => {
            let [i] = args.bind(&["index=", "/"])?;
            let n = d.len() as i64;
            if n == 0 {
                return Err(Exception::new("IndexError", "pop from empty bytearray"));
            }
            let i = i.map_or(Ok(-1), |i| i.expect_int("index"))?;
            let j = if i < 0 { i + n } else { i };
            if !(0..n).contains(&j) {
                return Err(Exception::new("IndexError", "pop index out of range"));
            }
            Ok(Value::Int(me.data.borrow_mut().remove(j as usize) as i64))
        }
        "clear" => {
            me.data.borrow_mut().clear();
            Ok(Value::None)
        }
        "copy" => Ok(same(d)),
        _ => Err(Exception::new(
            "AttributeError",
            format!("'bytes' object has no attribute '{name}'"),
        )),
    }
}

impl Bytes {
    fn tname(&self) -> &'static str {
        if self.mutable { "bytearray" } else { "bytes" }
    }
}

impl NativeObject for Bytes {
    fn type_name(&self) -> &str {
        self.tname()
    }
    fn snapshot(&self, _: &mut super::interp::Copier) -> Option<Value> {
        Some(make(self.mutable, self.data.borrow().clone()))
    }
    fn repr(&self) -> String {
        let r = bytes_repr(&self.data.borrow());
        if self.mutable {
            format!("bytearray({r})")
        } else {
            r
        }
    }
    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        if METHODS.contains(&name) || (self.mutable && MUTATORS.contains(&name)) {
            return Ok(Some(Value::method(this.clone(), name, method)));
        }
        Ok(None)
    }
    fn binary_op(
        &self,
        this: &Value,
        op: Op,
        other: &Value,
        reflected: bool,
        _: &mut Interpreter,
    ) -> R<Option<Value>> {
        let d = self.data.borrow();
        let o = bytes_of(other);
        let ord = o.as_ref().map(|o| {
            if reflected {
                o.as_slice().cmp(&d)
            } else {
                d.as_slice().cmp(o)
            }
        });
        use std::cmp::Ordering::*;
        Ok(Some(match (op, ord) {
            (Op::Eq, ord) => Value::Bool(ord == Some(Equal)),
            (Op::Ne, ord) => Value::Bool(ord != Some(Equal)),
            (Op::Lt, Some(o)) => Value::Bool(o == Less),
            (Op::Le, Some(o)) => Value::Bool(o != Greater),
            (Op::Gt, Some(o)) => Value::Bool(o == Greater),
            (Op::Ge, Some(o)) => Value::Bool(o != Less),
            (Op::InPlace(BinOp::Add), _) if self.mutable => {
                let more = buffer(other).map_err(|_| {
                    Exception::type_error(format!(
                        "can't concat {} to bytearray",
                        other.type_name()
                    ))
                })?;
                drop(d);
                self.data.borrow_mut().extend(more);
                this.clone()
            }
            (Op::Bin(BinOp::Add), _) => {
                let (Some(o), false) = (o, reflected) else {
                    if reflected {
                        return Ok(None);
                    }
                    return Err(Exception::type_error(format!(
                        "can't concat {} to {}",
                        other.type_name(),
                        self.tname()
                    )));
                };
                super::limits::check_text(d.len() as u128 + o.len() as u128)?;
                let mut out = d.clone();
                out.extend(o);
                make(self.mutable, out)
            }
            (Op::Bin(BinOp::Mul), _) => {
                let Some(k) = other.as_int() else {
                    return Err(Exception::type_error(format!(
                        "can't multiply sequence by non-int of type '{}'",
                        other.type_name()
                    )));
                };
                let k = k.max(0) as usize;
                super::limits::check_text(d.len() as u128 * k as u128)?;
                make(self.mutable, d.repeat(k))
            }
            _ => return Ok(None),
        }))
    }
    fn contains(&self, item: &Value, _: &mut Interpreter) -> R<Option<bool>> {
        let d = self.data.borrow();
        Ok(Some(match item {
            Value::Int(_) | Value::Bool(_) => d.contains(&byte(item, true)?),
            v => find(&d, &buffer(v)?, 0).is_some(),
        }))
    }
    fn get_item(&self, _: &Value, key: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        let d = self.data.borrow();
        let n = d.len() as i64;
        if let Value::Slice(s) = key {
            let (start, stop, step) = super::interp::slice_indices(s, n)?;
            let picked = super::interp::slice_positions(start, stop, step)
                .into_iter()
                .map(|i| d[i as usize])
                .collect();
            return Ok(Some(make(self.mutable, picked)));
        }
        let Some(i) = key.as_int() else {
            return Err(Exception::type_error(format!(
                "{} indices must be integers or slices, not {}",
                if self.mutable { "bytearray" } else { "byte" },
                key.type_name()
            )));
        };
        let j = if i < 0 { i + n } else { i };
        if !(0..n).contains(&j) {
            let what = if self.mutable {
                "bytearray index out of range"
            } else {
                "index out of range"
            };
            return Err(Exception::new("IndexError", what));
        }
        Ok(Some(Value::Int(d[j as usize] as i64)))
    }
    fn set_item(&self, _: &Value, key: &Value, value: Value, _: &mut Interpreter) -> R<bool> {
        if !self.mutable {
            return Ok(false);
        }
        let Some(i) = key.as_int() else {
            return Err(Exception::type_error(format!(
                "bytearray indices must be integers or slices, not {}",
                key.type_name()
            )));
        };
        let b = byte(&value, true)?;
        let mut d = self.data.borrow_mut();
        let n = d.len() as i64;
        let j = if i < 0 { i + n } else { i };
        if !(0..n).contains(&j) {
            return Err(Exception::new("IndexError", "bytearray index out of range"));
        }
        d[j as usize] = b;
        Ok(true)
    }
    fn len(&self, _: &mut Interpreter) -> R<Option<usize>> {
        Ok(Some(self.data.borrow().len()))
    }
    fn truthy(&self, _: &mut Interpreter) -> R<Option<bool>> {
        Ok(Some(!self.data.borrow().is_empty()))
    }
    fn iter(&self, _: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(Value::iter_items(
            self.data
                .borrow()
                .iter()
                .map(|&b| Value::Int(b as i64))
                .collect(),
        )))
    }
    fn hash(&self) -> Option<u64> {
        if self.mutable {
            return None;
        }
        // FNV-1a: any content hash does, since equal bytes must hash alike.
        Some(
            self.data
                .borrow()
                .iter()
                .fold(0xcbf29ce484222325u64, |h, &b| {
                    (h ^ b as u64).wrapping_mul(0x100000001b3)
                }),
        )
    }
    fn eq_key(&self, other: &Value) -> Option<bool> {
        other
            .downcast::<Bytes>()
            .map(|o| *o.data.borrow() == *self.data.borrow())
    }
}

/// Registers `bytes` (with `bytes.fromhex`) and `bytearray` as builtin types.
pub(crate) fn install(it: &mut Interpreter) {
    for (name, mutable) in [("bytes", false), ("bytearray", true)] {
        let ctor: super::value::NativeFn =
            Rc::new(move |it: &mut Interpreter, args: Args| construct(it, &args, mutable));
        let t = TypeObj::new(name, it.types.get("object").cloned(), Some(ctor));
        t.attrs.borrow_mut().insert(
            "fromhex".into(),
            Value::builtin("fromhex", move |it, args| {
                let b = fromhex(it, args)?;
                Ok(if mutable {
                    make(true, bytes_of(&b).unwrap_or_default())
                } else {
                    b
                })
            }),
        );
        it.types.insert(name, t.clone());
        it.builtins.insert(name.into(), Value::Type(t));
    }
}
