//! The `re` module over our own backtracking engine (`engine`): `compile`, `match`, `search`,
//! `fullmatch`, `findall`, `finditer`, `sub`/`subn` (template strings with `\1`/`\g<name>`, or
//! a function), `split`, `escape`, the flags, and the `Pattern`/`Match` objects with CPython's
//! reprs. Iteration follows CPython 3.7+: an empty match is allowed right after a non-empty one,
//! never twice at one position.

mod engine;

use std::rc::Rc;

use crate::lang::native::{Args, NativeObject};
use crate::lang::value::str_repr;
use crate::lang::{Exception, Interpreter, Module, Value};

use engine::Regex;

type R<T> = Result<T, Exception>;

struct Pattern {
    source: String,
    re: Regex,
    flags: i64,
}

struct Match {
    text: Rc<[char]>,
    string: Value,
    caps: Vec<Option<(usize, usize)>>,
    pattern: Rc<Pattern>,
}

fn re_error(e: engine::PatternError) -> Exception {
    Exception::new("re.error", e.0)
}

fn slice(text: &[char], s: usize, e: usize) -> String {
    text[s..e].iter().collect()
}

impl Match {
    fn group_index(&self, v: &Value) -> R<usize> {
        let i = match v {
            Value::Int(i) => usize::try_from(*i).ok(),
            Value::Str(s) => self.pattern.re.names.get(&**s).copied(),
            _ => None,
        };
        i.filter(|&i| i < self.caps.len())
            .ok_or_else(|| Exception::new("IndexError", "no such group"))
    }

    fn group(&self, i: usize) -> Value {
        match self.caps[i] {
            Some((s, e)) => Value::str(&slice(&self.text, s, e)),
            None => Value::None,
        }
    }
}

impl NativeObject for Match {
    fn type_name(&self) -> &str {
        "Match"
    }
    fn module_name(&self) -> Option<&str> {
        Some("re")
    }
    fn repr(&self) -> String {
        let (s, e) = self.caps[0].unwrap_or((0, 0));
        format!(
            "<re.Match object; span=({s}, {e}), match={}>",
            str_repr(&slice(&self.text, s, e))
        )
    }
    fn truthy(&self, _: &mut Interpreter) -> R<Option<bool>> {
        Ok(Some(true))
    }
    fn get_item(&self, _: &Value, key: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(self.group(self.group_index(key)?)))
    }
    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        let m = |f: fn(&Match, &Args) -> R<Value>| {
            Some(Value::method(this.clone(), name, move |_, args| {
                f(args.this_native::<Match>()?, &args)
            }))
        };
        Ok(match name {
            "string" => Some(self.string.clone()),
            "re" => Some(Value::native(PatternRef(self.pattern.clone()))),
            "lastindex" => Some(
                (1..self.caps.len())
                    .rev()
                    .find(|&i| self.caps[i].is_some())
                    .map_or(Value::None, |i| Value::Int(i as i64)),
            ),
            "group" => m(|me, args| {
                if args.pos.is_empty() {
                    return Ok(me.group(0));
                }
                let gs: Vec<Value> = args
                    .pos
                    .iter()
                    .map(|v| me.group_index(v).map(|i| me.group(i)))
                    .collect::<R<_>>()?;
                Ok(if gs.len() == 1 {
                    gs.into_iter().next().unwrap_or(Value::None)
                } else {
                    Value::tuple(gs)
                })
            }),
            "groups" => m(|me, args| {
                let [default] = args.bind(&["default="])?;
                let d = default.unwrap_or(Value::None);
                Ok(Value::tuple(
                    (1..me.caps.len())
                        .map(|i| {
                            if me.caps[i].is_some() {
                                me.group(i)
                            } else {
                                d.clone()
                            }
                        })
                        .collect(),
                ))
            }),
            "groupdict" => m(|me, _| {
                let mut names: Vec<(&String, &usize)> = me.pattern.re.names.iter().collect();
                names.sort_by_key(|(_, i)| **i);
                let mut d = crate::lang::value::Dict::new();
                for (n, i) in names {
                    d.insert(Value::str(n), me.group(*i))?;
                }
                Ok(Value::dict(d))
            }),
            "start" | "end" | "span" => {
                let which = name.to_string();
                Some(Value::method(this.clone(), name, move |_, args| {
                    let me = args.this_native::<Match>()?;
                    let i = match args.pos.first() {
                        Some(v) => me.group_index(v)?,
                        None => 0,
                    };
                    let (s, e) = me.caps[i].map_or((-1, -1), |(s, e)| (s as i64, e as i64));
                    Ok(match which.as_str() {
                        "start" => Value::Int(s),
                        "end" => Value::Int(e),
                        _ => Value::tuple(vec![Value::Int(s), Value::Int(e)]),
                    })
                }))
            }
            _ => None,
        })
    }
}

/// A compiled pattern as a Python object.
struct PatternRef(Rc<Pattern>);

fn flag_names(flags: i64) -> String {
    let names: Vec<&str> = [
        (engine::IGNORECASE, "re.IGNORECASE"),
        (engine::MULTILINE, "re.MULTILINE"),
        (engine::DOTALL, "re.DOTALL"),
        (engine::VERBOSE, "re.VERBOSE"),
    ]
    .iter()
    .filter(|(f, _)| flags & f != 0)
    .map(|(_, n)| *n)
    .collect();
    names.join("|")
}

impl NativeObject for PatternRef {
    fn type_name(&self) -> &str {
        "Pattern"
    }
    fn module_name(&self) -> Option<&str> {
        Some("re")
    }
    fn repr(&self) -> String {
        let f = flag_names(self.0.flags);
        if f.is_empty() {
            format!("re.compile({})", str_repr(&self.0.source))
        } else {
            format!("re.compile({}, {f})", str_repr(&self.0.source))
        }
    }
    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(match name {
            "pattern" => Some(Value::str(&self.0.source)),
            "flags" => Some(Value::Int(self.0.flags & !engine::REGEX_SYNTAX | 32)),
            "groups" => Some(Value::Int(self.0.re.groups as i64)),
            "match" | "search" | "fullmatch" | "findall" | "finditer" | "sub" | "subn"
            | "split" => {
                let op = name.to_string();
                Some(Value::method(this.clone(), name, move |it, args| {
                    let p = args.this_native::<PatternRef>()?.0.clone();
                    call_op(it, &op, p, &args.pos, &args.kw, true)
                }))
            }
            _ => None,
        })
    }
}

fn compile(pattern: &Value, flags: i64) -> R<Rc<Pattern>> {
    if let Some(p) = pattern.downcast::<PatternRef>() {
        return Ok(p.0.clone());
    }
    let Value::Str(s) = pattern else {
        return Err(Exception::type_error(
            "first argument must be string or compiled pattern",
        ));
    };
    let re = Regex::new(s, flags).map_err(re_error)?;
    let flags = re.flags;
    Ok(Rc::new(Pattern {
        source: s.to_string(),
        re,
        flags,
    }))
}

fn text_of(v: &Value) -> R<Rc<[char]>> {
    match v {
        Value::Str(s) => Ok(s.chars().collect()),
        other => Err(Exception::type_error(format!(
            "expected string or bytes-like object, got '{}'",
            other.type_name()
        ))),
    }
}

/// All matches from the start, CPython's way (an empty match never twice at one position).
fn all_matches(p: &Pattern, text: &[char], limit: usize) -> Vec<Vec<Option<(usize, usize)>>> {
    let mut out = Vec::new();
    let mut pos = 0;
    let mut not_empty_at = None;
    while pos <= text.len() && (limit == 0 || out.len() < limit) {
        let Some(caps) = p.re.search(text, pos, false, false, not_empty_at) else {
            break;
        };
        let (s, e) = caps[0].unwrap_or((pos, pos));
        out.push(caps);
        pos = e;
        not_empty_at = if s == e { Some(e) } else { None };
    }
    out
}

/// Named arguments after the pattern, positional or by keyword.
fn get(
    pos: &[Value],
    kw: &[(crate::lang::ast::Name, Value)],
    i: usize,
    name: &str,
) -> Option<Value> {
    pos.get(i).cloned().or_else(|| {
        kw.iter()
            .find(|(k, _)| &**k == name)
            .map(|(_, v)| v.clone())
    })
}

fn int_or(v: Option<Value>, d: i64) -> R<i64> {
    v.map_or(Ok(d), |v| v.expect_int("int"))
}

fn expand_template(
    it: &mut Interpreter,
    p: &Rc<Pattern>,
    repl: &Value,
    text: &Rc<[char]>,
    string: &Value,
    caps: &[Option<(usize, usize)>],
) -> R<String> {
    let tmpl = match repl {
        Value::Str(s) => s.to_string(),
        f => {
            let m = Value::native(Match {
                text: text.clone(),
                string: string.clone(),
                caps: caps.to_vec(),
                pattern: p.clone(),
            });
            let r = it.call(f, Args::new("repl", vec![m]))?;
            return match &r {
                Value::Str(s) => Ok(s.to_string()),
                other => Err(Exception::type_error(format!(
                    "expected str instance, {} found",
                    other.type_name()
                ))),
            };
        }
    };
    let group = |i: usize| -> R<String> {
        if i >= caps.len() {
            return Err(Exception::new(
                "re.error",
                format!("invalid group reference {i}"),
            ));
        }
        Ok(caps[i].map_or(String::new(), |(s, e)| slice(text, s, e)))
    };
    let chars: Vec<char> = tmpl.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '\\' || i + 1 == chars.len() {
            out.push(c);
            i += 1;
            continue;
        }
        let n = chars[i + 1];
        i += 2;
        match n {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            '\\' => out.push('\\'),
            'g' if chars.get(i) == Some(&'<') => {
                let close = chars[i..].iter().position(|&c| c == '>').map(|k| i + k);
                let Some(close) = close else {
                    return Err(Exception::new("re.error", "missing >, unterminated name"));
                };
                let name: String = chars[i + 1..close].iter().collect();
                i = close + 1;
                let idx = match name.parse::<usize>() {
                    Ok(k) => k,
                    Err(_) => *p.re.names.get(&name).ok_or_else(|| {
                        Exception::new("IndexError", format!("unknown group name '{name}'"))
                    })?,
                };
                out.push_str(&group(idx)?);
            }
            d if d.is_ascii_digit() => {
                let mut k = d.to_digit(10).unwrap_or(0) as usize;
                if let Some(d2) = chars.get(i).and_then(|c| c.to_digit(10)) {
                    k = k * 10 + d2 as usize;
                    i += 1;
                }
                out.push_str(&group(k)?);
            }
            c if c.is_ascii_alphabetic() => {
                return Err(Exception::new(
                    "re.error",
                    format!("bad escape \\{c} at position {}", i - 2),
                ));
            }
            c => {
                out.push('\\');
                out.push(c);
            }
        }
    }
    Ok(out)
}

/// One of the pattern operations, given the arguments after the pattern (`method` is true for
/// `Pattern` methods, whose optional `flags` argument does not exist).
fn call_op(
    it: &mut Interpreter,
    op: &str,
    p: Rc<Pattern>,
    pos: &[Value],
    kw: &[(crate::lang::ast::Name, Value)],
    _method: bool,
) -> R<Value> {
    match op {
        "match" | "search" | "fullmatch" => {
            let string = get(pos, kw, 0, "string").ok_or_else(|| {
                Exception::type_error(format!("{op}() missing required argument 'string' (pos 2)"))
            })?;
            let text = text_of(&string)?;
            let found =
                p.re.search(&text, 0, op != "search", op == "fullmatch", None);
            Ok(found.map_or(Value::None, |caps| {
                Value::native(Match {
                    text,
                    string,
                    caps,
                    pattern: p.clone(),
                })
            }))
        }
        "findall" | "finditer" => {
            let string = get(pos, kw, 0, "string").ok_or_else(|| {
                Exception::type_error(format!("{op}() missing required argument 'string' (pos 2)"))
            })?;
            let text = text_of(&string)?;
            let ms = all_matches(&p, &text, 0);
            if op == "finditer" {
                let items = ms
                    .into_iter()
                    .map(|caps| {
                        Value::native(Match {
                            text: text.clone(),
                            string: string.clone(),
                            caps,
                            pattern: p.clone(),
                        })
                    })
                    .collect();
                return Ok(Value::iter_items(items));
            }
            let g = |caps: &[Option<(usize, usize)>], i: usize| {
                Value::str(&caps[i].map_or(String::new(), |(s, e)| slice(&text, s, e)))
            };
            Ok(Value::list(
                ms.iter()
                    .map(|caps| match p.re.groups {
                        0 => g(caps, 0),
                        1 => g(caps, 1),
                        n => Value::tuple((1..=n).map(|i| g(caps, i)).collect()),
                    })
                    .collect(),
            ))
        }
        "sub" | "subn" => {
            let repl = get(pos, kw, 0, "repl").ok_or_else(|| {
                Exception::type_error(format!("{op}() missing required argument 'repl' (pos 2)"))
            })?;
            let string = get(pos, kw, 1, "string").ok_or_else(|| {
                Exception::type_error(format!("{op}() missing required argument 'string' (pos 3)"))
            })?;
            let count = int_or(get(pos, kw, 2, "count"), 0)?;
            let text = text_of(&string)?;
            let ms = all_matches(&p, &text, count.max(0) as usize);
            let mut out = String::new();
            let mut last = 0;
            for caps in &ms {
                let (s, e) = caps[0].unwrap_or((last, last));
                out.push_str(&slice(&text, last, s));
                out.push_str(&expand_template(it, &p, &repl, &text, &string, caps)?);
                last = e;
            }
            out.push_str(&slice(&text, last, text.len()));
            Ok(if op == "sub" {
                Value::str(&out)
            } else {
                Value::tuple(vec![Value::str(&out), Value::Int(ms.len() as i64)])
            })
        }
        "split" => {
            let string = get(pos, kw, 0, "string").ok_or_else(|| {
                Exception::type_error("split() missing required argument 'string' (pos 2)")
            })?;
            let maxsplit = int_or(get(pos, kw, 1, "maxsplit"), 0)?;
            let text = text_of(&string)?;
            let ms = all_matches(&p, &text, maxsplit.max(0) as usize);
            let mut out = Vec::new();
            let mut last = 0;
            for caps in &ms {
                let (s, e) = caps[0].unwrap_or((last, last));
                out.push(Value::str(&slice(&text, last, s)));
                for c in &caps[1..] {
                    out.push(c.map_or(Value::None, |(s, e)| Value::str(&slice(&text, s, e))));
                }
                last = e;
            }
            out.push(Value::str(&slice(&text, last, text.len())));
            Ok(Value::list(out))
        }
        _ => Err(Exception::runtime_error(format!(
            "re: unknown operation {op}"
        ))),
    }
}

/// Registers `re`.
/// Registers `re`, and `regex` (the third-party module GPT tokenizers import): the same
/// functions over the same engine, with its `\p{..}` classes.
pub fn install(it: &mut Interpreter) {
    for (name, syntax) in [("re", 0), ("regex", engine::REGEX_SYNTAX)] {
        install_as(it, name, syntax);
    }
}

fn install_as(it: &mut Interpreter, modname: &str, syntax: i64) {
    let m = Module::new(modname);
    for (names, v) in [
        (&["I", "IGNORECASE"][..], engine::IGNORECASE),
        (&["M", "MULTILINE"][..], engine::MULTILINE),
        (&["S", "DOTALL"][..], engine::DOTALL),
        (&["X", "VERBOSE"][..], engine::VERBOSE),
        (&["A", "ASCII"][..], 256),
        (&["U", "UNICODE"][..], 32),
    ] {
        for n in names {
            m.set(n, Value::Int(v));
        }
    }
    m.set(
        "compile",
        Value::builtin("compile", move |_, args| {
            let [pattern, flags] = args.bind(&["pattern", "flags="])?;
            let flags = int_or(flags, 0)? | syntax;
            Ok(Value::native(PatternRef(compile(
                &pattern.unwrap_or(Value::None),
                flags,
            )?)))
        }),
    );
    // (name, position of `flags` among the arguments after the pattern)
    for (name, flags_at) in [
        ("match", 1),
        ("search", 1),
        ("fullmatch", 1),
        ("findall", 1),
        ("finditer", 1),
        ("sub", 3),
        ("subn", 3),
        ("split", 2),
    ] {
        m.set(
            name,
            Value::builtin(name, move |it, args| {
                let Some(pattern) = args.pos.first().cloned().or_else(|| {
                    args.kw
                        .iter()
                        .find(|(k, _)| &**k == "pattern")
                        .map(|(_, v)| v.clone())
                }) else {
                    return Err(Exception::type_error(format!(
                        "{name}() missing required argument 'pattern' (pos 1)"
                    )));
                };
                let rest: Vec<Value> = args.pos.iter().skip(1).cloned().collect();
                let flags = int_or(get(&rest, &args.kw, flags_at, "flags"), 0)? | syntax;
                let p = compile(&pattern, flags)?;
                let rest: Vec<Value> = rest.into_iter().take(flags_at).collect();
                let kw: Vec<_> = args
                    .kw
                    .iter()
                    .filter(|(k, _)| &**k != "flags" && &**k != "pattern")
                    .cloned()
                    .collect();
                call_op(it, name, p, &rest, &kw, false)
            }),
        );
    }
    m.set(
        "escape",
        Value::builtin("escape", |_, args| {
            let [s] = args.bind(&["pattern"])?;
            let Some(Value::Str(s)) = &s else {
                return Err(Exception::type_error("escape() expects a str"));
            };
            let mut out = String::new();
            for c in s.chars() {
                if "()[]{}?*+-|^$\\.&~# \t\n\r\u{b}\u{c}".contains(c) {
                    out.push('\\');
                }
                out.push(c);
            }
            Ok(Value::str(&out))
        }),
    );
    m.set(
        "Pattern",
        Value::Type(Rc::new(crate::lang::value::TypeObj::build(
            "Pattern".into(),
            Some("re".into()),
            None,
            None,
            Default::default(),
        ))),
    );
    m.set(
        "Match",
        Value::Type(Rc::new(crate::lang::value::TypeObj::build(
            "Match".into(),
            Some("re".into()),
            None,
            None,
            Default::default(),
        ))),
    );
    it.modules.insert(modname.into(), Value::Module(Rc::new(m)));
}
