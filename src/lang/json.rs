//! The `json` module's strings: `dumps` (with `indent`, `sort_keys`, `separators`,
//! `ensure_ascii`, `default`) and `loads`, in CPython's exact text (floats as `repr` gives them,
//! `NaN`/`Infinity`, `\uXXXX` escapes), and `JSONDecodeError` with CPython's position wording.
//! `dump`/`load` need files: lessons may not write, so only the string forms are here.

use std::rc::Rc;

use super::classes::builtin_half;
use super::native::Args;
use super::value::{Dict, TypeObj};
use super::{Exception, Interpreter, Module, Value};

type R<T> = Result<T, Exception>;

struct Dumper {
    indent: Option<String>,
    item_sep: String,
    key_sep: String,
    sort_keys: bool,
    ensure_ascii: bool,
    allow_nan: bool,
    skipkeys: bool,
    default: Option<Value>,
    /// Identities of the containers being written, for CPython's circular-reference error.
    open: Vec<usize>,
}

fn quote(s: &str, ascii: bool, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if ascii && (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

impl Dumper {
    fn float(&self, f: f64) -> R<String> {
        if f.is_finite() {
            return Ok(super::format::float_repr(f));
        }
        if !self.allow_nan {
            return Err(Exception::value_error(format!(
                "Out of range float values are not JSON compliant: {}",
                super::format::float_repr(f)
            )));
        }
        Ok(if f.is_nan() {
            "NaN"
        } else if f > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        }
        .to_string())
    }

    fn newline(&self, depth: usize, out: &mut String) {
        if let Some(ind) = &self.indent {
            out.push('\n');
            for _ in 0..depth {
                out.push_str(ind);
            }
        }
    }

    /// A dict key as JSON's string: strings as they are, numbers, bools and None spelled out.
    fn key(&self, k: &Value) -> R<Option<String>> {
        Ok(Some(match k {
            Value::Str(s) => s.to_string(),
            Value::Float(f) => self.float(*f)?,
            Value::Bool(true) => "true".into(),
            Value::Bool(false) => "false".into(),
            Value::None => "null".into(),
            Value::Int(i) => i.to_string(),
            Value::BigInt(b) => super::bigint::to_decimal(b)?,
            _ if self.skipkeys => return Ok(None),
            other => {
                return Err(Exception::type_error(format!(
                    "keys must be str, int, float, bool or None, not {}",
                    other.type_name()
                )));
            }
        }))
    }

    fn enter(&mut self, v: &Value) -> R<()> {
        let id = v.identity();
        if self.open.contains(&id) {
            return Err(Exception::value_error("Circular reference detected"));
        }
        self.open.push(id);
        Ok(())
    }

    fn write(&mut self, it: &mut Interpreter, v: &Value, depth: usize, out: &mut String) -> R<()> {
        it.tick()?;
        match v {
            Value::None => out.push_str("null"),
            Value::Bool(true) => out.push_str("true"),
            Value::Bool(false) => out.push_str("false"),
            Value::Int(i) => out.push_str(&i.to_string()),
            Value::BigInt(b) => out.push_str(&super::bigint::to_decimal(b)?),
            Value::Float(f) => out.push_str(&self.float(*f)?),
            Value::Str(s) => quote(s, self.ensure_ascii, out),
            Value::List(_) | Value::Tuple(_) => {
                let items = match v {
                    Value::List(l) => l.borrow().clone(),
                    Value::Tuple(t) => t.to_vec(),
                    _ => Vec::new(),
                };
                if items.is_empty() {
                    out.push_str("[]");
                    return Ok(());
                }
                self.enter(v)?;
                out.push('[');
                for (i, x) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(&self.item_sep);
                    }
                    self.newline(depth + 1, out);
                    self.write(it, x, depth + 1, out)?;
                }
                self.newline(depth, out);
                out.push(']');
                self.open.pop();
            }
            Value::Dict(d) => {
                let mut items = d.borrow().items();
                if items.is_empty() {
                    out.push_str("{}");
                    return Ok(());
                }
                if self.sort_keys {
                    let mut err = None;
                    let mut keyed = Vec::with_capacity(items.len());
                    for (k, x) in items {
                        keyed.push((k.clone(), x));
                    }
                    // CPython sorts the items by key with `<`, which fails for mixed key types.
                    let mut sorted: Vec<(Value, Value)> = Vec::with_capacity(keyed.len());
                    for (k, x) in keyed {
                        let mut pos = sorted.len();
                        for (j, (sk, _)) in sorted.iter().enumerate() {
                            match it.compare(super::ast::CmpOp::Lt, &k, sk) {
                                Ok(Value::Bool(true)) => {
                                    pos = j;
                                    break;
                                }
                                Ok(_) => {}
                                Err(e) => {
                                    err = Some(e);
                                    break;
                                }
                            }
                        }
                        if let Some(e) = err {
                            return Err(e);
                        }
                        sorted.insert(pos, (k, x));
                    }
                    items = sorted;
                }
                self.enter(v)?;
                out.push('{');
                let mut first = true;
                for (k, x) in &items {
                    let Some(key) = self.key(k)? else { continue };
                    if !first {
                        out.push_str(&self.item_sep);
                    }
                    first = false;
                    self.newline(depth + 1, out);
                    quote(&key, self.ensure_ascii, out);
                    out.push_str(&self.key_sep);
                    self.write(it, x, depth + 1, out)?;
                }
                self.newline(depth, out);
                out.push('}');
                self.open.pop();
            }
            other => {
                if let Some(h) = builtin_half(other) {
                    return self.write(it, &h, depth, out);
                }
                match self.default.clone() {
                    Some(f) => {
                        self.enter(other)?;
                        let r = it.call_positional(&f, vec![other.clone()])?;
                        self.write(it, &r, depth, out)?;
                        self.open.pop();
                    }
                    None => {
                        return Err(Exception::type_error(format!(
                            "Object of type {} is not JSON serializable",
                            other.type_name()
                        )));
                    }
                }
            }
        }
        Ok(())
    }
}

fn kwarg(args: &Args, name: &str) -> Option<Value> {
    args.kw
        .iter()
        .find(|(k, _)| &**k == name)
        .map(|(_, v)| v.clone())
}

fn dumps(it: &mut Interpreter, args: Args) -> R<Value> {
    if args.pos.len() != 1 {
        return Err(Exception::type_error(format!(
            "dumps() takes 1 positional argument but {} were given",
            args.pos.len()
        )));
    }
    let flag = |it: &mut Interpreter, name: &str, d: bool| -> R<bool> {
        match kwarg(&args, name) {
            Some(v) => it.truthy(&v),
            None => Ok(d),
        }
    };
    let indent = match &kwarg(&args, "indent") {
        None | Some(Value::None) => None,
        Some(Value::Int(n)) => Some(" ".repeat((*n).max(0) as usize)),
        Some(Value::Str(s)) => Some(s.to_string()),
        Some(other) => {
            return Err(Exception::type_error(format!(
                "indent must be an int or a str, not {}",
                other.type_name()
            )));
        }
    };
    let (mut item_sep, mut key_sep) = (
        if indent.is_some() { "," } else { ", " }.to_string(),
        ": ".to_string(),
    );
    if let Some(sep) = kwarg(&args, "separators").filter(|s| !s.is_none()) {
        match it.iterate(&sep)?.as_slice() {
            [Value::Str(a), Value::Str(b)] => {
                item_sep = a.to_string();
                key_sep = b.to_string();
            }
            _ => {
                return Err(Exception::value_error(
                    "separators must be a pair of strings",
                ));
            }
        }
    }
    let mut d = Dumper {
        indent,
        item_sep,
        key_sep,
        sort_keys: flag(it, "sort_keys", false)?,
        ensure_ascii: flag(it, "ensure_ascii", true)?,
        allow_nan: flag(it, "allow_nan", true)?,
        skipkeys: flag(it, "skipkeys", false)?,
        default: kwarg(&args, "default").filter(|v| !v.is_none()),
        open: Vec::new(),
    };
    let mut out = String::new();
    d.write(it, &args.pos[0], 0, &mut out)?;
    Ok(Value::str(&out))
}

/// A recursive-descent reader of JSON text with CPython's error positions.
struct Reader<'a> {
    s: &'a [char],
    i: usize,
}

impl Reader<'_> {
    fn error(&self, msg: &str, at: usize) -> Exception {
        let line = self.s[..at].iter().filter(|c| **c == '\n').count() + 1;
        let col = match self.s[..at].iter().rposition(|c| *c == '\n') {
            Some(p) => at - p,
            None => at + 1,
        };
        Exception::new(
            "JSONDecodeError",
            format!("{msg}: line {line} column {col} (char {at})"),
        )
    }

    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], ' ' | '\t' | '\n' | '\r') {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<char> {
        self.s.get(self.i).copied()
    }

    fn starts(&self, word: &str) -> bool {
        word.chars()
            .enumerate()
            .all(|(k, c)| self.s.get(self.i + k) == Some(&c))
    }

    fn value(&mut self, it: &mut Interpreter) -> R<Value> {
        it.tick()?;
        let start = self.i;
        match self.peek() {
            Some('{') => self.object(it),
            Some('[') => self.array(it),
            Some('"') => Ok(Value::str(&self.string()?)),
            Some('n') if self.starts("null") => {
                self.i += 4;
                Ok(Value::None)
            }
            Some('t') if self.starts("true") => {
                self.i += 4;
                Ok(Value::Bool(true))
            }
            Some('f') if self.starts("false") => {
                self.i += 5;
                Ok(Value::Bool(false))
            }
            Some('N') if self.starts("NaN") => {
                self.i += 3;
                Ok(Value::Float(f64::NAN))
            }
            Some('I') if self.starts("Infinity") => {
                self.i += 8;
                Ok(Value::Float(f64::INFINITY))
            }
            Some('-')
                if self.s.get(self.i + 1) == Some(&'I') && {
                    self.i += 1;
                    let ok = self.starts("Infinity");
                    self.i -= 1;
                    ok
                } =>
            {
                self.i += 9;
                Ok(Value::Float(f64::NEG_INFINITY))
            }
            Some(c) if c == '-' || c.is_ascii_digit() => self.number(it),
            _ => Err(self.error("Expecting value", start)),
        }
    }

    fn number(&mut self, it: &mut Interpreter) -> R<Value> {
        let start = self.i;
        if self.peek() == Some('-') {
            self.i += 1;
        }
        match self.peek() {
            Some('0') => self.i += 1,
            Some(c) if c.is_ascii_digit() => {
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.i += 1;
                }
            }
            _ => return Err(self.error("Expecting value", start)),
        }
        let mut float = false;
        if self.peek() == Some('.') && self.s.get(self.i + 1).is_some_and(|c| c.is_ascii_digit()) {
            float = true;
            self.i += 1;
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.i += 1;
            }
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            let save = self.i;
            self.i += 1;
            if matches!(self.peek(), Some('+' | '-')) {
                self.i += 1;
            }
            if self.peek().is_some_and(|c| c.is_ascii_digit()) {
                float = true;
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.i += 1;
                }
            } else {
                self.i = save;
            }
        }
        let text: String = self.s[start..self.i].iter().collect();
        if float {
            return text
                .parse::<f64>()
                .map(Value::Float)
                .map_err(|_| self.error("Expecting value", start));
        }
        match text.parse::<i64>() {
            Ok(i) => Ok(Value::Int(i)),
            Err(_) => {
                let int = it
                    .builtins
                    .get("int")
                    .cloned()
                    .ok_or_else(|| Exception::runtime_error("int missing"))?;
                it.call_positional(&int, vec![Value::str(&text)])
            }
        }
    }

    fn hex4(&mut self, at: usize) -> R<u32> {
        let h: String = self
            .s
            .get(self.i..self.i + 4)
            .map(|c| c.iter().collect())
            .unwrap_or_default();
        match u32::from_str_radix(&h, 16) {
            Ok(v) if h.len() == 4 => {
                self.i += 4;
                Ok(v)
            }
            _ => Err(self.error("Invalid \\uXXXX escape", at)),
        }
    }

    fn string(&mut self) -> R<String> {
        let start = self.i;
        self.i += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.error("Unterminated string starting at", start));
            };
            self.i += 1;
            match c {
                '"' => return Ok(out),
                '\\' => {
                    let at = self.i - 1;
                    let Some(e) = self.peek() else {
                        return Err(self.error("Unterminated string starting at", start));
                    };
                    self.i += 1;
                    match e {
                        '"' => out.push('"'),
                        '\\' => out.push('\\'),
                        '/' => out.push('/'),
                        'b' => out.push('\u{8}'),
                        'f' => out.push('\u{c}'),
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        'u' => {
                            let mut u = self.hex4(at)?;
                            if (0xd800..0xdc00).contains(&u) && self.starts("\\u") {
                                let save = self.i;
                                self.i += 2;
                                let lo = self.hex4(at)?;
                                if (0xdc00..0xe000).contains(&lo) {
                                    u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
                                } else {
                                    self.i = save;
                                }
                            }
                            out.push(char::from_u32(u).unwrap_or('\u{fffd}'));
                        }
                        _ => return Err(self.error("Invalid \\escape", at)),
                    }
                }
                c if (c as u32) < 0x20 => {
                    return Err(self.error("Invalid control character at", self.i - 1));
                }
                c => out.push(c),
            }
        }
    }

    fn array(&mut self, it: &mut Interpreter) -> R<Value> {
        self.i += 1;
        let mut items = Vec::new();
        self.ws();
        if self.peek() == Some(']') {
            self.i += 1;
            return Ok(Value::list(items));
        }
        loop {
            self.ws();
            items.push(self.value(it)?);
            self.ws();
            match self.peek() {
                Some(',') => self.i += 1,
                Some(']') => {
                    self.i += 1;
                    return Ok(Value::list(items));
                }
                _ => return Err(self.error("Expecting ',' delimiter", self.i)),
            }
        }
    }

    fn object(&mut self, it: &mut Interpreter) -> R<Value> {
        self.i += 1;
        let mut d = Dict::new();
        self.ws();
        if self.peek() == Some('}') {
            self.i += 1;
            return Ok(Value::dict(d));
        }
        loop {
            self.ws();
            if self.peek() != Some('"') {
                return Err(self.error("Expecting property name enclosed in double quotes", self.i));
            }
            let k = self.string()?;
            self.ws();
            if self.peek() != Some(':') {
                return Err(self.error("Expecting ':' delimiter", self.i));
            }
            self.i += 1;
            self.ws();
            let v = self.value(it)?;
            d.insert(Value::str(&k), v)?;
            self.ws();
            match self.peek() {
                Some(',') => self.i += 1,
                Some('}') => {
                    self.i += 1;
                    return Ok(Value::dict(d));
                }
                _ => return Err(self.error("Expecting ',' delimiter", self.i)),
            }
        }
    }
}

fn loads(it: &mut Interpreter, args: Args) -> R<Value> {
    let s = match args.pos.first() {
        Some(Value::Str(s)) => s.clone(),
        Some(other) => {
            return Err(Exception::type_error(format!(
                "the JSON object must be str, bytes or bytearray, not {}",
                other.type_name()
            )));
        }
        None => {
            return Err(Exception::type_error(
                "loads() missing 1 required positional argument: 's'",
            ));
        }
    };
    let chars: Vec<char> = s.chars().collect();
    let mut r = Reader { s: &chars, i: 0 };
    r.ws();
    let v = r.value(it)?;
    r.ws();
    if r.i < chars.len() {
        return Err(r.error("Extra data", r.i));
    }
    Ok(v)
}

/// Registers `json` and `json.JSONDecodeError` (a ValueError) with `it`.
pub fn install(it: &mut Interpreter) {
    if let Some(base) = it.types.get("ValueError").cloned() {
        it.types.insert(
            "JSONDecodeError",
            TypeObj::new("JSONDecodeError", Some(base), None),
        );
    }
    let m = Module::new("json");
    m.set("dumps", Value::builtin("dumps", dumps));
    m.set("loads", Value::builtin("loads", loads));
    if let Some(t) = it.types.get("JSONDecodeError") {
        m.set("JSONDecodeError", Value::Type(t.clone()));
    }
    it.modules.insert("json".into(), Value::Module(Rc::new(m)));
}
