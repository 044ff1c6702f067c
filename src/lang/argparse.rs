//! `argparse`: the `ArgumentParser` and `Namespace` that example scripts (pytorch/examples)
//! build their settings with. A lesson has no command line, so `parse_args()` without a list
//! parses an empty one (every option at its default) and a list given parses as CPython's
//! would for the common forms: `--name value`, `--name=value`, `-n value`, flags
//! (`store_true`, `store_false`, `store_const`, `count`, `append`) and positionals with
//! `nargs` of None, `'?'`, `'*'` and `'+'`. A bad command line raises `SystemExit(2)` with
//! argparse's `prog: error: ...` message.

use std::cell::RefCell;
use std::rc::Rc;

use super::classes::NativeMethod;
use super::native::{Args, NativeObject};
use super::value::{Module, TypeObj};
use super::{Exception, Interpreter, Value};

type R<T> = Result<T, Exception>;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Store,
    StoreConst,
    StoreTrue,
    StoreFalse,
    Count,
    Append,
}

/// One `add_argument` call.
#[derive(Clone)]
struct Action {
    /// Option strings (`--batch-size`, `-b`); empty for a positional.
    options: Vec<String>,
    dest: String,
    kind: Kind,
    /// None, `?`, `*`, `+` or a count.
    nargs: Option<Value>,
    default: Value,
    constant: Value,
    typ: Option<Value>,
    choices: Option<Value>,
    required: bool,
}

/// What `parse` found: (destination, value) pairs in the namespace's order, and the command
/// line's words no action took.
type Parsed = (Vec<(String, Value)>, Vec<String>);

struct Parser {
    prog: String,
    description: Value,
    actions: RefCell<Vec<Action>>,
    /// `set_defaults(**kw)`: defaults for any destination, applied after the actions'.
    defaults: RefCell<Vec<(String, Value)>>,
    namespace: Rc<TypeObj>,
}

fn system_exit(prog: &str, msg: &str) -> Exception {
    Exception::new("SystemExit", format!("{prog}: error: {msg}"))
}

fn str_arg(v: &Value, what: &str) -> R<String> {
    match v {
        Value::Str(s) => Ok(s.to_string()),
        v => Err(Exception::type_error(format!(
            "{what} must be a string, not {}",
            v.type_name()
        ))),
    }
}

fn add_argument(p: &Parser, args: &Args, it: &mut Interpreter) -> R<Value> {
    let names = args
        .pos
        .iter()
        .map(|v| str_arg(v, "argument name"))
        .collect::<R<Vec<_>>>()?;
    let Some(first) = names.first() else {
        return Err(Exception::type_error(
            "add_argument() missing required argument 'name'",
        ));
    };
    let positional = !first.starts_with('-');
    if positional && names.len() > 1 {
        return Err(Exception::value_error(
            "invalid option string: must start with a character '-'",
        ));
    }
    let kw = |name: &str| {
        args.kw
            .iter()
            .find(|(k, _)| &**k == name)
            .map(|(_, v)| v.clone())
    };
    for (k, _) in &args.kw {
        if ![
            "action", "type", "default", "help", "metavar", "choices", "required", "nargs", "dest",
            "const",
        ]
        .contains(&&**k)
        {
            return Err(Exception::type_error(format!(
                "_StoreAction.__init__() got an unexpected keyword argument '{k}'"
            )));
        }
    }
    let kind = match &kw("action") {
        None | Some(Value::None) => Kind::Store,
        Some(Value::Str(s)) => match &**s {
            "store" => Kind::Store,
            "store_const" => Kind::StoreConst,
            "store_true" => Kind::StoreTrue,
            "store_false" => Kind::StoreFalse,
            "count" => Kind::Count,
            "append" => Kind::Append,
            other => {
                return Err(Exception::value_error(format!(
                    "unknown action \"{other}\""
                )));
            }
        },
        Some(v) => {
            return Err(Exception::type_error(format!(
                "action must be a string here, not {}",
                it.repr(v)?
            )));
        }
    };
    let dest = match kw("dest") {
        Some(d) => str_arg(&d, "dest")?,
        None if positional => first.clone(),
        None => {
            let long = names.iter().find(|n| n.starts_with("--")).unwrap_or(first);
            long.trim_start_matches('-').replace('-', "_")
        }
    };
    let default = kw("default").unwrap_or(match kind {
        Kind::StoreTrue => Value::Bool(false),
        Kind::StoreFalse => Value::Bool(true),
        _ => Value::None,
    });
    let constant = match kind {
        Kind::StoreTrue => Value::Bool(true),
        Kind::StoreFalse => Value::Bool(false),
        _ => kw("const").unwrap_or(Value::None),
    };
    let required = match kw("required") {
        Some(v) => it.truthy(&v)?,
        None => {
            positional
                && !matches!(kw("nargs"), Some(Value::Str(ref s)) if &**s == "?" || &**s == "*")
        }
    };
    p.actions.borrow_mut().push(Action {
        options: if positional { Vec::new() } else { names },
        dest,
        kind,
        nargs: kw("nargs").filter(|v| !matches!(v, Value::None)),
        default,
        constant,
        typ: kw("type").filter(|v| !matches!(v, Value::None)),
        choices: kw("choices").filter(|v| !matches!(v, Value::None)),
        required,
    });
    Ok(Value::None)
}

/// Converts one command-line string with the action's `type` and checks its `choices`.
fn convert(p: &Parser, a: &Action, s: &str, it: &mut Interpreter) -> R<Value> {
    let v = match &a.typ {
        Some(t) => match it.call(t, Args::new("type", vec![Value::str(s)])) {
            Ok(v) => v,
            Err(e) if e.py_type() == "ValueError" || e.py_type() == "TypeError" => {
                let tname = match t {
                    Value::Type(t) => t.name.to_string(),
                    other => it.repr(other)?,
                };
                let name = a.options.first().cloned().unwrap_or_else(|| a.dest.clone());
                return Err(system_exit(
                    &p.prog,
                    &format!("argument {name}: invalid {tname} value: '{s}'"),
                ));
            }
            Err(e) => return Err(e),
        },
        None => Value::str(s),
    };
    if let Some(choices) = &a.choices {
        let items = it.iterate(choices)?;
        let mut found = false;
        for c in &items {
            let eq = it.compare(super::ast::CmpOp::Eq, c, &v)?;
            if it.truthy(&eq)? {
                found = true;
                break;
            }
        }
        if !found {
            let shown = items
                .iter()
                .map(|c| it.repr(c))
                .collect::<R<Vec<_>>>()?
                .join(", ");
            let name = a.options.first().cloned().unwrap_or_else(|| a.dest.clone());
            return Err(system_exit(
                &p.prog,
                &format!(
                    "argument {name}: invalid choice: {} (choose from {shown})",
                    it.repr(&v)?
                ),
            ));
        }
    }
    Ok(v)
}

/// How many values an action takes: (least, most).
fn arity(a: &Action) -> (usize, usize) {
    match a.kind {
        Kind::Store | Kind::Append => match &a.nargs {
            None => (1, 1),
            Some(Value::Str(s)) if &**s == "?" => (0, 1),
            Some(Value::Str(s)) if &**s == "*" => (0, usize::MAX),
            Some(Value::Str(s)) if &**s == "+" => (1, usize::MAX),
            Some(Value::Int(n)) => (*n as usize, *n as usize),
            Some(_) => (1, 1),
        },
        _ => (0, 0),
    }
}

/// The value stored for `vals` taken by `a` (a list for `nargs` of `*`, `+` or a count).
fn stored(p: &Parser, a: &Action, vals: &[String], it: &mut Interpreter) -> R<Value> {
    let conv = vals
        .iter()
        .map(|s| convert(p, a, s, it))
        .collect::<R<Vec<_>>>()?;
    Ok(match &a.nargs {
        None => conv.into_iter().next().unwrap_or(Value::None),
        Some(Value::Str(s)) if &**s == "?" => match conv.into_iter().next() {
            Some(v) => v,
            None if a.options.is_empty() => a.default.clone(),
            None => a.constant.clone(),
        },
        _ => Value::list(conv),
    })
}

/// Parses `argv` into (destination, value) pairs in the order argparse fills its namespace
/// (every action's default first, in the order added), plus what it did not recognise.
fn parse(p: &Parser, argv: &[String], it: &mut Interpreter) -> R<Parsed> {
    let actions = p.actions.borrow().clone();
    let mut out: Vec<(String, Value)> = Vec::new();
    let set = |out: &mut Vec<(String, Value)>, k: &str, v: Value| match out
        .iter_mut()
        .find(|(d, _)| d == k)
    {
        Some(slot) => slot.1 = v,
        None => out.push((k.to_string(), v)),
    };
    for a in &actions {
        // String defaults go through `type`, as argparse converts them.
        let v = match (&a.default, a.kind) {
            (Value::Str(s), Kind::Store) if a.typ.is_some() && a.nargs.is_none() => {
                convert(p, a, s, it)?
            }
            (d, _) => d.clone(),
        };
        if !out.iter().any(|(d, _)| d == &a.dest) {
            out.push((a.dest.clone(), v));
        }
    }
    for (k, v) in p.defaults.borrow().iter() {
        if !actions
            .iter()
            .any(|a| &a.dest == k && !matches!(a.default, Value::None))
        {
            set(&mut out, k, v.clone());
        }
    }
    let mut extras = Vec::new();
    let mut positionals: Vec<String> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let mut i = 0;
    let mut only_positional = false;
    let mut argv_rest: Vec<String> = Vec::new();
    while i < argv.len() || !argv_rest.is_empty() {
        let arg = &if argv_rest.is_empty() {
            i += 1;
            argv[i - 1].clone()
        } else {
            argv_rest.remove(0)
        };
        if only_positional || !arg.starts_with('-') || arg == "-" || arg.parse::<f64>().is_ok() {
            positionals.push(arg.clone());
            continue;
        }
        if arg == "--" {
            only_positional = true;
            continue;
        }
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ if !arg.starts_with("--") && arg.len() > 2 => {
                (arg[..2].to_string(), Some(arg[2..].to_string()))
            }
            _ => (arg.clone(), None),
        };
        let found = actions
            .iter()
            .find(|a| a.options.contains(&name))
            .or_else(|| {
                // Unique prefixes of long options are accepted, as with allow_abbrev.
                let m: Vec<&Action> = actions
                    .iter()
                    .filter(|a| {
                        a.options
                            .iter()
                            .any(|o| o.starts_with("--") && o.starts_with(&name))
                    })
                    .collect();
                if m.len() == 1 && name.starts_with("--") {
                    Some(m[0])
                } else {
                    None
                }
            });
        let Some(a) = found else {
            extras.push(arg.clone());
            continue;
        };
        seen.push(a.dest.clone());
        let (least, most) = arity(a);
        let mut vals = Vec::new();
        let short_flags = !arg.starts_with("--") && most == 0;
        if let (Some(v), true) = (&inline, short_flags) {
            // `-vv`: single-dash flags run together; the rest is the next flag.
            argv_rest.insert(0, format!("-{v}"));
        } else if let Some(v) = inline {
            if most == 0 {
                return Err(system_exit(
                    &p.prog,
                    &format!(
                        "argument {}: ignored explicit argument '{v}'",
                        a.options.join("/")
                    ),
                ));
            }
            vals.push(v);
        } else {
            while vals.len() < most
                && i < argv.len()
                && !(argv[i].starts_with('-')
                    && argv[i].len() > 1
                    && argv[i].parse::<f64>().is_err())
            {
                vals.push(argv[i].clone());
                i += 1;
            }
        }
        if vals.len() < least {
            let what = if least == 1 && most == 1 {
                "expected one argument".to_string()
            } else {
                "expected at least one argument".to_string()
            };
            return Err(system_exit(
                &p.prog,
                &format!("argument {}: {what}", a.options.join("/")),
            ));
        }
        let v = match a.kind {
            Kind::StoreTrue | Kind::StoreFalse | Kind::StoreConst => a.constant.clone(),
            Kind::Count => {
                let now = out
                    .iter()
                    .find(|(d, _)| d == &a.dest)
                    .map(|(_, v)| v.clone())
                    .unwrap_or(Value::None);
                match now {
                    Value::Int(n) => Value::Int(n + 1),
                    _ => Value::Int(1),
                }
            }
            Kind::Append => {
                let now = out
                    .iter()
                    .find(|(d, _)| d == &a.dest)
                    .map(|(_, v)| v.clone())
                    .unwrap_or(Value::None);
                let mut items = match &now {
                    Value::None => Vec::new(),
                    other => it.iterate(other)?,
                };
                items.push(stored(p, a, &vals, it)?);
                Value::list(items)
            }
            Kind::Store => stored(p, a, &vals, it)?,
        };
        set(&mut out, &a.dest, v);
    }
    // Positionals take the command line's loose values in order.
    let mut rest = positionals.as_slice();
    for a in actions.iter().filter(|a| a.options.is_empty()) {
        let (least, most) = arity(a);
        let take = most.min(rest.len());
        if take < least {
            continue;
        }
        let v = stored(p, a, &rest[..take], it)?;
        if take > 0 || least == 0 {
            seen.push(a.dest.clone());
        }
        set(&mut out, &a.dest, v);
        rest = &rest[take..];
    }
    extras.extend(rest.iter().cloned());
    let missing: Vec<String> = actions
        .iter()
        .filter(|a| a.required && !seen.contains(&a.dest))
        .map(|a| {
            if a.options.is_empty() {
                a.dest.clone()
            } else {
                a.options.join("/")
            }
        })
        .collect();
    if !missing.is_empty() {
        return Err(system_exit(
            &p.prog,
            &format!(
                "the following arguments are required: {}",
                missing.join(", ")
            ),
        ));
    }
    Ok((out, extras))
}

fn namespace_of(p: &Parser, pairs: Vec<(String, Value)>, it: &mut Interpreter) -> R<Value> {
    let mut args = Args::new("Namespace", Vec::new());
    args.kw = pairs
        .into_iter()
        .map(|(k, v)| (Rc::from(k.as_str()), v))
        .collect();
    it.call(&Value::Type(p.namespace.clone()), args)
}

fn argv_of(v: Option<Value>, it: &mut Interpreter) -> R<Vec<String>> {
    match v {
        None | Some(Value::None) => Ok(Vec::new()),
        Some(v) => it
            .iterate(&v)?
            .iter()
            .map(|s| str_arg(s, "command-line argument"))
            .collect(),
    }
}

impl NativeObject for Parser {
    fn type_name(&self) -> &str {
        "ArgumentParser"
    }
    fn module_name(&self) -> Option<&str> {
        Some("argparse")
    }
    fn repr_in(&self, _: &Value, it: &mut Interpreter) -> R<Option<String>> {
        Ok(Some(format!(
            "ArgumentParser(prog={}, usage=None, description={}, formatter_class=<class 'argparse.HelpFormatter'>, conflict_handler='error', add_help=True)",
            it.repr(&Value::str(&self.prog))?,
            it.repr(&self.description)?
        )))
    }
    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(match name {
            "prog" => Value::str(&self.prog),
            "description" => self.description.clone(),
            "add_argument" => Value::method(this.clone(), "add_argument", |it, args| {
                let p = args.this_native::<Parser>()?;
                add_argument(p, &args, it)
            }),
            // Groups only change the help text: their arguments are the parser's.
            "add_argument_group" | "add_mutually_exclusive_group" => {
                Value::method(this.clone(), "add_argument_group", |_, args| {
                    Ok(args.this.clone().unwrap_or(Value::None))
                })
            }
            "set_defaults" => Value::method(this.clone(), "set_defaults", |_, args| {
                let p = args.this_native::<Parser>()?;
                let mut d = p.defaults.borrow_mut();
                for (k, v) in &args.kw {
                    match d.iter_mut().find(|(n, _)| **n == **k) {
                        Some(slot) => slot.1 = v.clone(),
                        None => d.push((k.to_string(), v.clone())),
                    }
                }
                drop(d);
                for a in p.actions.borrow_mut().iter_mut() {
                    if let Some((_, v)) = args.kw.iter().find(|(k, _)| **k == *a.dest) {
                        a.default = v.clone();
                    }
                }
                Ok(Value::None)
            }),
            "get_default" => Value::method(this.clone(), "get_default", |_, args| {
                let [dest] = args.bind(&["dest"])?;
                let dest = str_arg(&dest.unwrap_or(Value::None), "dest")?;
                let p = args.this_native::<Parser>()?;
                if let Some(a) = p.actions.borrow().iter().find(|a| a.dest == dest) {
                    return Ok(a.default.clone());
                }
                Ok(p.defaults
                    .borrow()
                    .iter()
                    .find(|(k, _)| *k == dest)
                    .map_or(Value::None, |(_, v)| v.clone()))
            }),
            "parse_args" => Value::method(this.clone(), "parse_args", |it, args| {
                let [argv, _ns] = args.bind(&["args=", "namespace="])?;
                let p = args.this_native::<Parser>()?;
                let argv = argv_of(argv, it)?;
                let (pairs, extras) = parse(p, &argv, it)?;
                if !extras.is_empty() {
                    return Err(system_exit(
                        &p.prog,
                        &format!("unrecognized arguments: {}", extras.join(" ")),
                    ));
                }
                namespace_of(p, pairs, it)
            }),
            "parse_known_args" => Value::method(this.clone(), "parse_known_args", |it, args| {
                let [argv, _ns] = args.bind(&["args=", "namespace="])?;
                let p = args.this_native::<Parser>()?;
                let argv = argv_of(argv, it)?;
                let (pairs, extras) = parse(p, &argv, it)?;
                let ns = namespace_of(p, pairs, it)?;
                Ok(Value::tuple(vec![
                    ns,
                    Value::list(extras.iter().map(|s| Value::str(s)).collect()),
                ]))
            }),
            "error" => Value::method(this.clone(), "error", |_, args| {
                let [msg] = args.bind(&["message"])?;
                let p = args.this_native::<Parser>()?;
                Err(system_exit(
                    &p.prog,
                    &str_arg(&msg.unwrap_or(Value::None), "message")?,
                ))
            }),
            _ => return Ok(None),
        }))
    }
}

/// `argparse.Namespace`: a plain class whose `__init__` sets its keyword arguments as
/// attributes, with CPython's repr and equality.
fn namespace_class(object: Option<Rc<TypeObj>>) -> Rc<TypeObj> {
    let mut attrs = super::ast::NameMap::default();
    attrs.insert("__module__".into(), Value::str("argparse"));
    attrs.insert("__qualname__".into(), Value::str("Namespace"));
    attrs.insert(
        "__bases__".into(),
        Value::tuple(object.iter().map(|o| Value::Type(o.clone())).collect()),
    );
    attrs.insert(
        "__mro__".into(),
        Value::tuple(object.iter().map(|o| Value::Type(o.clone())).collect()),
    );
    let init = Value::builtin("__init__", |it, args| {
        let this = args.pos.first().cloned().unwrap_or(Value::None);
        if args.pos.len() > 1 {
            return Err(Exception::type_error(format!(
                "Namespace.__init__() takes 1 positional argument but {} were given",
                args.pos.len()
            )));
        }
        for (k, v) in &args.kw {
            it.set_attr(&this, k, v.clone())?;
        }
        Ok(Value::None)
    });
    attrs.insert("__init__".into(), Value::native(NativeMethod(init)));
    let repr = Value::builtin("__repr__", |it, args| {
        let this = args.pos.first().cloned().unwrap_or(Value::None);
        let Value::Instance(i) = &this else {
            return Ok(Value::str("Namespace()"));
        };
        let items: Vec<(Rc<str>, Value)> = i
            .dict
            .borrow()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut parts = Vec::with_capacity(items.len());
        for (k, v) in items {
            let ident = k
                .chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
                && k.chars().all(|c| c.is_alphanumeric() || c == '_');
            if ident {
                parts.push(format!("{k}={}", it.repr(&v)?));
            } else {
                parts.push(format!(
                    "**{{{}: {}}}",
                    it.repr(&Value::Str(k.clone()))?,
                    it.repr(&v)?
                ));
            }
        }
        Ok(Value::str(&format!("Namespace({})", parts.join(", "))))
    });
    attrs.insert("__repr__".into(), Value::native(NativeMethod(repr)));
    let contains = Value::builtin("__contains__", |_, args| {
        let (Some(Value::Instance(i)), Some(Value::Str(k))) = (args.pos.first(), args.pos.get(1))
        else {
            return Ok(Value::Bool(false));
        };
        Ok(Value::Bool(i.get(k).is_some()))
    });
    attrs.insert("__contains__".into(), Value::native(NativeMethod(contains)));
    Rc::new(TypeObj::build(
        "Namespace".into(),
        Some("argparse".into()),
        object,
        None,
        attrs,
    ))
}

/// Registers `argparse` with `it`.
pub fn install(it: &mut Interpreter) {
    let namespace = namespace_class(it.types.get("object").cloned());
    let m = Module::new("argparse");
    m.set("Namespace", Value::Type(namespace.clone()));
    m.set("SUPPRESS", Value::str("==SUPPRESS=="));
    let ns = namespace.clone();
    m.set(
        "ArgumentParser",
        Value::builtin("ArgumentParser", move |_, args| {
            let kw = |name: &str| {
                args.kw
                    .iter()
                    .find(|(k, _)| &**k == name)
                    .map(|(_, v)| v.clone())
            };
            if let Some(v) = args.pos.first() {
                str_arg(v, "prog")?;
            }
            let prog = match &args.pos.first().cloned().or_else(|| kw("prog")) {
                Some(Value::Str(s)) => s.to_string(),
                // CPython names the program after sys.argv[0]; a lesson has none, and IPython's
                // kernel reports its launcher's name, which nothing should depend on.
                _ => "lesson".to_string(),
            };
            let description = args
                .pos
                .get(2)
                .cloned()
                .or_else(|| kw("description"))
                .unwrap_or(Value::None);
            Ok(Value::native(Parser {
                prog,
                description,
                actions: RefCell::new(Vec::new()),
                defaults: RefCell::new(Vec::new()),
                namespace: ns.clone(),
            }))
        }),
    );
    for name in [
        "HelpFormatter",
        "RawTextHelpFormatter",
        "ArgumentDefaultsHelpFormatter",
        "RawDescriptionHelpFormatter",
    ] {
        m.set(name, Value::str(name));
    }
    it.modules
        .insert("argparse".into(), Value::Module(Rc::new(m)));
}
