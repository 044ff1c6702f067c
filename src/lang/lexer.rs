//! The lexer: cell text to tokens with spans, including Python's INDENT/DEDENT layout tokens.

use std::rc::Rc;

use super::bigint::MAX_STR_DIGITS;
use crate::source::Span;

/// One token. Keywords and operators are interned as static strings so the parser matches text.
#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    Name(String),
    Kw(&'static str),
    Op(&'static str),
    Int(i64),
    /// An int literal outside i64.
    BigInt(Rc<num_bigint::BigInt>),
    Float(f64),
    /// An imaginary literal (`2j`): its value's imaginary part.
    Imag(f64),
    /// A string literal; f-strings keep their raw body for the parser to split.
    Str(StrLit),
    Newline,
    Indent,
    Dedent,
    Eof,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StrLit {
    /// A finished string (escapes processed).
    Plain(String),
    /// An f-string: the raw body between the quotes, its file offset, and whether it is raw.
    Format { body: String, offset: usize, raw: bool },
    /// A bytes literal's value.
    Bytes(Vec<u8>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub span: Span,
}

/// A lexing failure, already worded as CPython's SyntaxError/IndentationError.
#[derive(Clone, Debug, PartialEq)]
pub struct LexError {
    pub py_type: &'static str,
    pub message: String,
    pub span: Span,
}

pub const KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

// Longest first, so maximal munch is a linear scan.
const OPERATORS: &[&str] = &[
    "**=", "//=", ">>=", "<<=", "...", "->", ":=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=",
    "@=", "**", "//", "<<", ">>", "<=", ">=", "==", "!=", "(", ")", "[", "]", "{", "}", ",", ":",
    ".", ";", "@", "=", "+", "-", "*", "/", "%", "&", "|", "^", "~", "<", ">",
];

/// Tokenize `src`; every span is shifted by `base`.
pub fn tokenize(src: &str, base: usize) -> Result<Vec<Token>, LexError> {
    Lexer { src, bytes: src.as_bytes(), pos: 0, base, toks: Vec::new(), indents: vec![0], brackets: Vec::new() }
        .run()
}

struct Lexer<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    base: usize,
    toks: Vec<Token>,
    indents: Vec<usize>,
    /// Open brackets with their offsets, for implicit line joining and "never closed" errors.
    brackets: Vec<(u8, usize)>,
}

impl<'a> Lexer<'a> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(start + self.base, end + self.base)
    }

    fn err(&self, py_type: &'static str, message: impl Into<String>, start: usize, end: usize) -> LexError {
        LexError { py_type, message: message.into(), span: self.span(start, end) }
    }

    fn push(&mut self, tok: Tok, start: usize, end: usize) {
        let span = self.span(start, end);
        self.toks.push(Token { tok, span });
    }

    fn peek(&self, off: usize) -> u8 {
        self.bytes.get(self.pos + off).copied().unwrap_or(0)
    }

    fn run(mut self) -> Result<Vec<Token>, LexError> {
        let mut at_line_start = true;
        while self.pos < self.bytes.len() {
            if at_line_start && self.brackets.is_empty() {
                at_line_start = false;
                if self.indentation()? {
                    // A blank or comment-only line: the next line starts a line too.
                    at_line_start = true;
                    continue;
                }
            }
            let c = self.bytes[self.pos];
            let start = self.pos;
            match c {
                b' ' | b'\t' | b'\x0c' | b'\r' => self.pos += 1,
                b'#' => {
                    while self.pos < self.bytes.len() && self.bytes[self.pos] != b'\n' {
                        self.pos += 1;
                    }
                }
                b'\\' => {
                    let mut p = self.pos + 1;
                    if self.bytes.get(p) == Some(&b'\r') {
                        p += 1;
                    }
                    if self.bytes.get(p) == Some(&b'\n') {
                        self.pos = p + 1;
                    } else {
                        return Err(self.err(
                            "SyntaxError",
                            "unexpected character after line continuation character",
                            start,
                            start + 1,
                        ));
                    }
                }
                b'\n' => {
                    self.pos += 1;
                    if self.brackets.is_empty() {
                        let last_is_line_end = matches!(
                            self.toks.last().map(|t| &t.tok),
                            None | Some(Tok::Newline) | Some(Tok::Indent) | Some(Tok::Dedent)
                        );
                        if !last_is_line_end {
                            self.push(Tok::Newline, start, start + 1);
                        }
                        at_line_start = true;
                    }
                }
                b'0'..=b'9' => self.number()?,
                b'.' if self.peek(1).is_ascii_digit() => self.number()?,
                b'"' | b'\'' => self.string(start, start, false, false)?,
                _ if c == b'_' || c.is_ascii_alphabetic() || c >= 0x80 => {
                    let mut end = self.pos;
                    for (i, ch) in self.src[self.pos..].char_indices() {
                        if ch == '_' || ch.is_alphanumeric() {
                            end = self.pos + i + ch.len_utf8();
                        } else {
                            break;
                        }
                    }
                    if end == self.pos {
                        let ch = self.src[self.pos..].chars().next().unwrap_or('?');
                        return Err(self.err(
                            "SyntaxError",
                            format!("invalid character '{ch}' (U+{:04X})", ch as u32),
                            start,
                            start + ch.len_utf8(),
                        ));
                    }
                    let word = &self.src[self.pos..end];
                    let next = self.bytes.get(end).copied().unwrap_or(0);
                    if matches!(next, b'"' | b'\'') && word.len() <= 2 {
                        let lower = word.to_ascii_lowercase();
                        let (raw, fmt, bytes) =
                            (lower.contains('r'), lower.contains('f'), lower.contains('b'));
                        if lower.chars().all(|c| "rfbu".contains(c)) {
                            if bytes && (fmt || lower.contains('u')) {
                                // `bf''` and `bu''` are not prefixes: a name then a string.
                                return Err(self.err("SyntaxError", "invalid syntax", start, end));
                            }
                            self.pos = end;
                            self.string(start, end, raw, fmt)?;
                            if bytes {
                                self.bytes_literal(start, raw)?;
                            }
                            continue;
                        }
                    }
                    self.pos = end;
                    let tok = match KEYWORDS.iter().find(|k| **k == word) {
                        Some(k) => Tok::Kw(k),
                        None => Tok::Name(word.to_string()),
                    };
                    self.push(tok, start, end);
                }
                _ => {
                    let rest = &self.src[self.pos..];
                    let Some(op) = OPERATORS.iter().find(|op| rest.starts_with(**op)) else {
                        let ch = rest.chars().next().unwrap_or('?');
                        let msg = if matches!(ch, '!' | '$' | '?' | '`') {
                            "invalid syntax".to_string()
                        } else {
                            format!("invalid character '{ch}' (U+{:04X})", ch as u32)
                        };
                        return Err(self.err("SyntaxError", msg, start, start + ch.len_utf8()));
                    };
                    self.pos += op.len();
                    match *op {
                        "(" | "[" | "{" => self.brackets.push((op.as_bytes()[0], start)),
                        ")" | "]" | "}" => {
                            let want = match *op {
                                ")" => b'(',
                                "]" => b'[',
                                _ => b'{',
                            };
                            match self.brackets.pop() {
                                None => {
                                    return Err(self.err(
                                        "SyntaxError",
                                        format!("unmatched '{op}'"),
                                        start,
                                        start + 1,
                                    ));
                                }
                                Some((open, _)) if open != want => {
                                    return Err(self.err(
                                        "SyntaxError",
                                        format!(
                                            "closing parenthesis '{op}' does not match opening parenthesis '{}'",
                                            open as char
                                        ),
                                        start,
                                        start + 1,
                                    ));
                                }
                                Some(_) => {}
                            }
                        }
                        _ => {}
                    }
                    self.push(Tok::Op(op), start, self.pos);
                }
            }
        }
        if let Some(&(open, at)) = self.brackets.last() {
            return Err(self.err("SyntaxError", format!("'{}' was never closed", open as char), at, at + 1));
        }
        let end = self.bytes.len();
        if !matches!(self.toks.last().map(|t| &t.tok), None | Some(Tok::Newline) | Some(Tok::Dedent)) {
            self.push(Tok::Newline, end, end);
        }
        while self.indents.len() > 1 {
            self.indents.pop();
            self.push(Tok::Dedent, end, end);
        }
        self.push(Tok::Eof, end, end);
        Ok(self.toks)
    }

    /// Measure a line's indentation and emit layout tokens. Returns true if the line was blank
    /// (or comment-only) and has been consumed.
    fn indentation(&mut self) -> Result<bool, LexError> {
        let start = self.pos;
        let mut col = 0usize;
        while self.pos < self.bytes.len() {
            match self.bytes[self.pos] {
                b' ' => col += 1,
                b'\t' => col = (col / 8 + 1) * 8,
                b'\x0c' => col = 0,
                _ => break,
            }
            self.pos += 1;
        }
        match self.bytes.get(self.pos) {
            None => return Ok(true),
            Some(b'\n') | Some(b'#') | Some(b'\r') => {
                while self.pos < self.bytes.len() && self.bytes[self.pos] != b'\n' {
                    self.pos += 1;
                }
                if self.pos < self.bytes.len() {
                    self.pos += 1;
                }
                return Ok(true);
            }
            Some(b'\\') => {}
            _ => {}
        }
        let top = self.indents.last().copied().unwrap_or(0);
        if col > top {
            if self.indents.len() >= super::limits::MAX_INDENT_LEVELS {
                return Err(self.err("IndentationError", "too many levels of indentation", start, self.pos));
            }
            self.indents.push(col);
            self.push(Tok::Indent, start, self.pos);
        } else if col < top {
            while self.indents.last().copied().unwrap_or(0) > col {
                self.indents.pop();
                self.push(Tok::Dedent, self.pos, self.pos);
            }
            if self.indents.last().copied().unwrap_or(0) != col {
                return Err(self.err(
                    "IndentationError",
                    "unindent does not match any outer indentation level",
                    start,
                    self.pos,
                ));
            }
        }
        Ok(false)
    }

    fn number(&mut self) -> Result<(), LexError> {
        let start = self.pos;
        let b = self.bytes;
        if b[start] == b'0' && matches!(self.peek(1), b'x' | b'X' | b'o' | b'O' | b'b' | b'B') {
            let radix = match self.peek(1) {
                b'x' | b'X' => 16,
                b'o' | b'O' => 8,
                _ => 2,
            };
            self.pos += 2;
            while self.pos < b.len() && (b[self.pos].is_ascii_alphanumeric() || b[self.pos] == b'_') {
                self.pos += 1;
            }
            let digits: String = self.src[start + 2..self.pos].chars().filter(|c| *c != '_').collect();
            let tok = match i64::from_str_radix(&digits, radix) {
                Ok(v) => Tok::Int(v),
                Err(_) => match num_bigint::BigInt::parse_bytes(digits.as_bytes(), radix) {
                    Some(b) if !digits.is_empty() && digits.chars().all(|c| c.is_digit(radix)) => Tok::BigInt(Rc::new(b)),
                    _ => {
                        return Err(self.err(
                            "SyntaxError",
                            format!("invalid literal '{}'", &self.src[start..self.pos]),
                            start,
                            self.pos,
                        ));
                    }
                },
            };
            self.push(tok, start, self.pos);
            return Ok(());
        }
        let mut is_float = false;
        let digits = |lx: &mut Lexer| {
            while lx.pos < b.len() && (b[lx.pos].is_ascii_digit() || b[lx.pos] == b'_') {
                lx.pos += 1;
            }
        };
        digits(self);
        if self.peek(0) == b'.' {
            is_float = true;
            self.pos += 1;
            digits(self);
        }
        if matches!(self.peek(0), b'e' | b'E')
            && (self.peek(1).is_ascii_digit() || (matches!(self.peek(1), b'+' | b'-') && self.peek(2).is_ascii_digit()))
        {
            is_float = true;
            self.pos += 2;
            digits(self);
        }
        if matches!(self.peek(0), b'j' | b'J') {
            let text: String = self.src[start..self.pos].chars().filter(|c| *c != '_').collect();
            self.pos += 1;
            let v = text.parse().map_err(|_| self.err("SyntaxError", "invalid imaginary literal", start, self.pos))?;
            self.push(Tok::Imag(v), start, self.pos);
            return Ok(());
        }
        if self.peek(0).is_ascii_alphabetic() || self.peek(0) == b'_' {
            return Err(self.err("SyntaxError", "invalid decimal literal", start, self.pos + 1));
        }
        let text: String = self.src[start..self.pos].chars().filter(|c| *c != '_').collect();
        let tok = if is_float {
            Tok::Float(text.parse().map_err(|_| self.err("SyntaxError", "invalid decimal literal", start, self.pos))?)
        } else {
            if text.len() > 1 && text.starts_with('0') && text.bytes().any(|c| c != b'0') {
                return Err(self.err(
                    "SyntaxError",
                    "leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers",
                    start,
                    self.pos,
                ));
            }
            match text.parse::<i64>() {
                Ok(v) => Tok::Int(v),
                Err(_) if text.len() > MAX_STR_DIGITS => {
                    return Err(self.err(
                        "SyntaxError",
                        format!(
                            "Exceeds the limit ({MAX_STR_DIGITS} digits) for integer string conversion: value has {} digits; use sys.set_int_max_str_digits() to increase the limit - Consider hexadecimal for huge integer literals to avoid decimal conversion limits.",
                            text.len()
                        ),
                        start,
                        self.pos,
                    ));
                }
                Err(_) => match text.parse::<num_bigint::BigInt>() {
                    Ok(b) => Tok::BigInt(Rc::new(b)),
                    Err(_) => return Err(self.err("SyntaxError", "invalid decimal literal", start, self.pos)),
                },
            }
        };
        self.push(tok, start, self.pos);
        Ok(())
    }

    /// Lex a string literal whose quote starts at `self.pos`; `start` includes any prefix.
    fn string(&mut self, start: usize, quote_at: usize, raw: bool, fmt: bool) -> Result<(), LexError> {
        let q = self.bytes[quote_at];
        let triple = self.bytes.get(quote_at + 1) == Some(&q) && self.bytes.get(quote_at + 2) == Some(&q);
        let body_start = quote_at + if triple { 3 } else { 1 };
        let mut p = body_start;
        let body_end;
        loop {
            let Some(&c) = self.bytes.get(p) else {
                let msg = if triple {
                    "unterminated triple-quoted string literal (detected at line 1)".to_string()
                } else {
                    "unterminated string literal (detected at line 1)".to_string()
                };
                return Err(self.err("SyntaxError", self.fix_line(msg, start), start, start + 1));
            };
            if c == b'\\' {
                p += 2;
                continue;
            }
            if c == b'\n' && !triple {
                let msg = "unterminated string literal (detected at line 1)".to_string();
                return Err(self.err("SyntaxError", self.fix_line(msg, start), start, start + 1));
            }
            if c == q {
                if !triple {
                    body_end = p;
                    p += 1;
                    break;
                }
                if self.bytes.get(p + 1) == Some(&q) && self.bytes.get(p + 2) == Some(&q) {
                    body_end = p;
                    p += 3;
                    break;
                }
            }
            p += 1;
        }
        let body = &self.src[body_start..body_end];
        let lit = if fmt {
            StrLit::Format { body: body.to_string(), offset: body_start + self.base, raw }
        } else if raw {
            StrLit::Plain(body.to_string())
        } else {
            StrLit::Plain(unescape(body))
        };
        self.pos = p;
        self.push(Tok::Str(lit), start, p);
        Ok(())
    }

    /// Turn the string token just pushed into a bytes literal: ASCII only, and `\x`/octal
    /// escapes are bytes (`\u` is no escape in bytes).
    fn bytes_literal(&mut self, start: usize, raw: bool) -> Result<(), LexError> {
        let Some(Token { tok: Tok::Str(StrLit::Plain(text)), span }) = self.toks.last().cloned() else {
            return Ok(());
        };
        let body_start = self.src[start..].find(['\'', '"']).map_or(start, |q| start + q);
        let quote = self.bytes[body_start];
        let triple = self.bytes.get(body_start + 1) == Some(&quote) && self.bytes.get(body_start + 2) == Some(&quote);
        let q = if triple { 3 } else { 1 };
        let body = &self.src[body_start + q..self.pos - q];
        if !body.is_ascii() {
            return Err(self.err("SyntaxError", "bytes can only contain ASCII literal characters", start, self.pos));
        }
        let data = if raw { text.into_bytes() } else { unescape_bytes(body) };
        if let Some(last) = self.toks.last_mut() {
            *last = Token { tok: Tok::Str(StrLit::Bytes(data)), span };
        }
        Ok(())
    }

    /// CPython reports the line number of the unterminated literal.
    fn fix_line(&self, msg: String, at: usize) -> String {
        let line = self.src[..at].matches('\n').count() + 1;
        msg.replace("line 1", &format!("line {line}"))
    }
}

/// Process backslash escapes of a non-raw bytes body (ASCII): `\xhh` and octal are bytes.
fn unescape_bytes(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' || i + 1 == b.len() {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let e = b[i + 1];
        i += 2;
        let hex = |j: usize| b.get(j).and_then(|c| (*c as char).to_digit(16));
        match e {
            b'\n' => {}
            b'\\' | b'\'' | b'"' => out.push(e),
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'a' => out.push(7),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'v' => out.push(11),
            b'0'..=b'7' => {
                let mut v = (e - b'0') as u32;
                for _ in 0..2 {
                    match b.get(i) {
                        Some(d @ b'0'..=b'7') => {
                            v = v * 8 + (d - b'0') as u32;
                            i += 1;
                        }
                        _ => break,
                    }
                }
                out.push(v as u8);
            }
            b'x' => match (hex(i), hex(i + 1)) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.extend_from_slice(b"\\x"),
            },
            other => out.extend_from_slice(&[b'\\', other]),
        }
    }
    out
}

/// Process backslash escapes of a non-raw string body.
pub fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(e) = chars.next() else {
            out.push('\\');
            break;
        };
        match e {
            '\n' => {}
            '\\' => out.push('\\'),
            '\'' => out.push('\''),
            '"' => out.push('"'),
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'f' => out.push('\x0c'),
            'v' => out.push('\x0b'),
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
            'x' | 'u' | 'U' => {
                let n = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let mut v = 0u32;
                let mut ok = true;
                for _ in 0..n {
                    match chars.peek().and_then(|c| c.to_digit(16)) {
                        Some(d) => {
                            v = v * 16 + d;
                            chars.next();
                        }
                        None => {
                            ok = false;
                            break;
                        }
                    }
                }
                match (ok, char::from_u32(v)) {
                    (true, Some(ch)) => out.push(ch),
                    _ => out.push('\u{fffd}'),
                }
            }
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    out
}
