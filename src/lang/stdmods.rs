//! Standard-library modules tutorials import for a few names each: `time` (timing a training
//! loop), `copy` (`deepcopy(model)` to keep the best weights), `string`, `typing` (annotations),
//! `sys`, `operator`, `functools` and `timeit`. What is missing from them raises CPython's
//! AttributeError at the line that needs it.
//!
//! `time` reads the host's clocks, which no lesson output can depend on anyway; `time.sleep`
//! returns at once (a lesson that waits only makes its check slower: docs/divergences.md).

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::ast::{BinOp, CmpOp, UnaryOp};
use super::native::{Args, NativeObject};
use super::{Exception, Interpreter, Module, Value};

type R<T> = Result<T, Exception>;

fn arg(v: Option<Value>) -> Value {
    v.unwrap_or(Value::None)
}

thread_local! {
    /// The origin of `perf_counter`/`monotonic`: the first call on the lesson's thread.
    static EPOCH: Instant = Instant::now();
}

fn since_start() -> f64 {
    EPOCH.with(|e| e.elapsed().as_secs_f64())
}

fn wall() -> std::time::Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

fn time_module() -> Module {
    let m = Module::new("time");
    m.set(
        "time",
        Value::builtin("time", |_, _| Ok(Value::Float(wall().as_secs_f64()))),
    );
    m.set(
        "time_ns",
        Value::builtin("time_ns", |_, _| Ok(Value::Int(wall().as_nanos() as i64))),
    );
    for name in ["perf_counter", "monotonic", "process_time", "thread_time"] {
        m.set(
            name,
            Value::builtin(name, |_, args| {
                args.no_kwargs()?;
                Ok(Value::Float(since_start()))
            }),
        );
    }
    for name in ["perf_counter_ns", "monotonic_ns", "process_time_ns"] {
        m.set(
            name,
            Value::builtin(name, |_, _| Ok(Value::Int((since_start() * 1e9) as i64))),
        );
    }
    m.set(
        "sleep",
        Value::builtin("sleep", |_, args| {
            let [secs] = args.bind(&["secs"])?;
            let s = match arg(secs) {
                Value::Int(n) => n as f64,
                Value::Float(f) => f,
                v => {
                    return Err(Exception::type_error(format!(
                        "'{}' object cannot be interpreted as an integer",
                        v.type_name()
                    )));
                }
            };
            if s < 0.0 {
                return Err(Exception::value_error("sleep length must be non-negative"));
            }
            Ok(Value::None)
        }),
    );
    m
}

fn copy_module() -> Module {
    let m = Module::new("copy");
    m.set("deepcopy", Value::builtin("deepcopy", |_, args| {
        let [x, _memo] = args.bind(&["x", "memo="])?;
        let x = arg(x);
        if super::torch::is_non_leaf_tensor(&x) {
            return Err(Exception::runtime_error(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at the moment.  If you were attempting to deepcopy a module, this may be because of a torch.nn.utils.weight_norm usage, see https://github.com/pytorch/pytorch/pull/103001",
            ));
        }
        // Pickle's copy: classes and functions by reference, tensors as leaves keeping their
        // elements and `requires_grad`, everything else copied once however often it is reached.
        super::interp::Copier::pickling().value(&x).ok_or_else(|| {
            Exception::type_error(format!("cannot pickle '{}' object", x.type_name()))
        })
    }));
    m.set(
        "copy",
        Value::builtin("copy", |it, args| {
            let [x] = args.bind(&["x"])?;
            let x = arg(x);
            Ok(match &x {
                Value::List(l) => Value::list(l.borrow().clone()),
                Value::Dict(d) => Value::dict(d.borrow().clone()),
                Value::Set(d) => Value::Set(Rc::new(RefCell::new(d.borrow().clone()))),
                Value::Instance(_) => {
                    let copy = it.get_attr(&x, "__copy__").ok();
                    match (copy, &x) {
                        (Some(f), _) => it.call_positional(&f, Vec::new())?,
                        // A plain instance: a new one sharing the attribute values, as
                        // CPython's shallow copy does.
                        (None, Value::Instance(i)) if i.native.borrow().is_none() => {
                            let inst = Rc::new(super::value::Instance {
                                class: i.class.clone(),
                                dict: RefCell::new(i.dict.borrow().clone()),
                                native: RefCell::new(None),
                            });
                            super::cycles::track_instance(&inst);
                            Value::Instance(inst)
                        }
                        (None, _) => super::interp::Copier::pickling()
                            .value(&x)
                            .unwrap_or(x.clone()),
                    }
                }
                _ => x.clone(),
            })
        }),
    );
    m
}

fn string_module() -> Module {
    let m = Module::new("string");
    let lower = "abcdefghijklmnopqrstuvwxyz";
    let upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    let whitespace = " \t\n\r\x0b\x0c";
    m.set("ascii_lowercase", Value::str(lower));
    m.set("ascii_uppercase", Value::str(upper));
    m.set("ascii_letters", Value::str(&format!("{lower}{upper}")));
    m.set("digits", Value::str("0123456789"));
    m.set("hexdigits", Value::str("0123456789abcdefABCDEF"));
    m.set("octdigits", Value::str("01234567"));
    m.set("punctuation", Value::str(punctuation));
    m.set("whitespace", Value::str(whitespace));
    m.set(
        "printable",
        Value::str(&format!(
            "0123456789{lower}{upper}{punctuation}{whitespace}"
        )),
    );
    m
}

/// A `typing` name (`List`, `Optional[int]`): subscriptable, callable where CPython's is
/// (`TypeVar("T")`, `cast`), and otherwise only printed or ignored, as annotations are.
struct TypingName(String);

impl NativeObject for TypingName {
    fn type_name(&self) -> &str {
        "_GenericAlias"
    }
    fn module_name(&self) -> Option<&str> {
        Some("typing")
    }
    fn repr(&self) -> String {
        format!("typing.{}", self.0)
    }
    fn snapshot(&self, _: &mut super::interp::Copier) -> Option<Value> {
        Some(Value::native(TypingName(self.0.clone())))
    }
    fn get_item(&self, _: &Value, key: &Value, it: &mut Interpreter) -> R<Option<Value>> {
        let parts = match key {
            Value::Tuple(t) => t.to_vec(),
            k => vec![k.clone()],
        };
        let names: Vec<String> = parts.iter().map(|p| type_label(p, it)).collect::<R<_>>()?;
        Ok(Some(Value::native(TypingName(format!(
            "{}[{}]",
            self.0,
            names.join(", ")
        )))))
    }
    fn hash(&self) -> Option<u64> {
        Some(self.0.len() as u64)
    }
}

/// How `typing` prints an argument: a class by its name, None as `NoneType`, others by repr.
fn type_label(v: &Value, it: &mut Interpreter) -> R<String> {
    Ok(match v {
        Value::Type(t) => t.name.to_string(),
        Value::None => "NoneType".into(),
        Value::Ellipsis => "...".into(),
        Value::Native(n) if n.type_name() == "_GenericAlias" => {
            n.repr().trim_start_matches("typing.").to_string()
        }
        v => it.repr(v)?,
    })
}

fn typing_module() -> Module {
    let m = Module::new("typing");
    for name in [
        "Any",
        "List",
        "Dict",
        "Tuple",
        "Set",
        "FrozenSet",
        "Optional",
        "Union",
        "Callable",
        "Iterable",
        "Iterator",
        "Sequence",
        "Mapping",
        "MutableMapping",
        "Type",
        "Generator",
        "Literal",
        "Final",
        "ClassVar",
        "Deque",
        "DefaultDict",
        "OrderedDict",
        "Counter",
        "Hashable",
        "Sized",
        "Collection",
        "Awaitable",
        "NoReturn",
    ] {
        m.set(name, Value::native(TypingName(name.into())));
    }
    m.set("TYPE_CHECKING", Value::Bool(false));
    // `NamedTuple("P", [("x", int)])`; as a base class, `classes::exec_class` recognises it.
    m.set(
        "NamedTuple",
        Value::builtin("NamedTuple", |it, args| {
            let [typename, fields] = args.bind(&["typename", "fields="])?;
            let mut names = Vec::new();
            if let Some(f) = fields {
                for pair in it.iterate(&f)? {
                    let name = it.iterate(&pair)?.into_iter().next().unwrap_or(Value::None);
                    names.push(name);
                }
            }
            let pos = vec![typename.unwrap_or(Value::None), Value::list(names)];
            super::namedtuple::namedtuple(it, Args::new("NamedTuple", pos))
        }),
    );
    m.set(
        "cast",
        Value::builtin("cast", |_, args| {
            let [_typ, val] = args.bind(&["typ", "val"])?;
            Ok(arg(val))
        }),
    );
    m.set(
        "TypeVar",
        Value::builtin("TypeVar", |_, args| {
            let name = match args.pos.first() {
                Some(Value::Str(s)) => s.to_string(),
                _ => return Err(Exception::type_error("TypeVar name must be a string")),
            };
            Ok(Value::native(TypingName(format!("~{name}"))))
        }),
    );
    // Decorators that only inform type checkers.
    for name in ["overload", "final", "no_type_check", "runtime_checkable"] {
        m.set(
            name,
            Value::builtin(name, |_, args| {
                Ok(args.pos.first().cloned().unwrap_or(Value::None))
            }),
        );
    }
    m
}

fn sys_module() -> Module {
    let m = Module::new("sys");
    // The reference environment's interpreter (torch-oracle runs CPython 3.11).
    m.set(
        "version_info",
        Value::tuple(vec![
            Value::Int(3),
            Value::Int(11),
            Value::Int(7),
            Value::str("final"),
            Value::Int(0),
        ]),
    );
    m.set("version", Value::str("3.11.7 (main) [GCC 12.2.0]"));
    m.set("maxsize", Value::Int(i64::MAX));
    m.set("platform", Value::str("linux"));
    m.set("byteorder", Value::str("little"));
    m.set("argv", Value::list(vec![Value::str("")]));
    m.set(
        "getrecursionlimit",
        Value::builtin("getrecursionlimit", |_, _| Ok(Value::Int(1000))),
    );
    m
}

/// `functools.partial`: `func` with some arguments bound, callable with the rest.
struct Partial {
    func: Value,
    args: Vec<Value>,
    kw: Vec<(super::ast::Name, Value)>,
}

impl NativeObject for Partial {
    fn type_name(&self) -> &str {
        "partial"
    }
    fn module_name(&self) -> Option<&str> {
        Some("functools")
    }
    fn str_in(&self, this: &Value, it: &mut Interpreter) -> R<Option<String>> {
        self.repr_in(this, it)
    }
    fn repr_in(&self, _: &Value, it: &mut Interpreter) -> R<Option<String>> {
        let mut parts = vec![it.repr(&self.func)?];
        for a in &self.args {
            parts.push(it.repr(a)?);
        }
        for (k, v) in &self.kw {
            parts.push(format!("{k}={}", it.repr(v)?));
        }
        Ok(Some(format!("functools.partial({})", parts.join(", "))))
    }
    fn snapshot(&self, c: &mut super::interp::Copier) -> Option<Value> {
        let args = self
            .args
            .iter()
            .map(|a| c.value(a))
            .collect::<Option<_>>()?;
        let kw = self
            .kw
            .iter()
            .map(|(k, v)| Some((k.clone(), c.value(v)?)))
            .collect::<Option<_>>()?;
        Some(Value::native(Partial {
            func: c.value(&self.func)?,
            args,
            kw,
        }))
    }
    fn call(&self, _: &Value, args: Args, it: &mut Interpreter) -> R<Option<Value>> {
        let mut call = Args::new(
            "partial",
            self.args.iter().cloned().chain(args.pos).collect(),
        );
        call.kw = self.kw.clone();
        for (k, v) in args.kw {
            call.kw.retain(|(name, _)| *name != k);
            call.kw.push((k, v));
        }
        it.call(&self.func, call).map(Some)
    }
    fn get_attr(&self, _: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(match name {
            "func" => Some(self.func.clone()),
            "args" => Some(Value::tuple(self.args.clone())),
            _ => None,
        })
    }
}

fn functools_module() -> Module {
    let m = Module::new("functools");
    m.set(
        "reduce",
        Value::builtin("reduce", |it, args| {
            args.no_kwargs()?;
            let (func, src, initial) = match args.pos.as_slice() {
                [f, s] => (f.clone(), s.clone(), None),
                [f, s, i] => (f.clone(), s.clone(), Some(i.clone())),
                _ => {
                    return Err(Exception::type_error(format!(
                        "reduce expected at most 3 arguments, got {}",
                        args.pos.len()
                    )));
                }
            };
            let mut items = it.iterate(&src)?.into_iter();
            let mut acc = match initial.or_else(|| items.next()) {
                Some(v) => v,
                None => {
                    return Err(Exception::type_error(
                        "reduce() of empty iterable with no initial value",
                    ));
                }
            };
            for v in items {
                acc = it.call_positional(&func, vec![acc, v])?;
            }
            Ok(acc)
        }),
    );
    m.set(
        "partial",
        Value::builtin("partial", |_, args| {
            let Some((func, rest)) = args.pos.split_first() else {
                return Err(Exception::type_error(
                    "type 'partial' takes at least one argument",
                ));
            };
            Ok(Value::native(Partial {
                func: func.clone(),
                args: rest.to_vec(),
                kw: args.kw.clone(),
            }))
        }),
    );
    super::lru_cache::install(&m);
    m.set(
        "cached_property",
        Value::builtin("cached_property", |it, args| {
            let [func] = args.bind(&["func"])?;
            let func = arg(func);
            let name = match &it.get_attr(&func, "__name__")? {
                Value::Str(s) => s.clone(),
                _ => "".into(),
            };
            Ok(Value::native(super::classes::CachedProperty { func, name }))
        }),
    );
    // `@wraps(f)` copies metadata onto the wrapper; the wrapper itself is what matters.
    m.set(
        "wraps",
        Value::builtin("wraps", |_, args| {
            let [_wrapped, _assigned, _updated] =
                args.bind(&["wrapped", "assigned=", "updated="])?;
            Ok(Value::builtin("decorator", |_, args| {
                let [f] = args.bind(&["wrapper"])?;
                Ok(arg(f))
            }))
        }),
    );
    m
}

/// `operator.itemgetter` / `attrgetter`: one key gives the item, several a tuple.
struct Getter {
    keys: Vec<Value>,
    attr: bool,
}

impl NativeObject for Getter {
    fn type_name(&self) -> &str {
        if self.attr {
            "attrgetter"
        } else {
            "itemgetter"
        }
    }
    fn module_name(&self) -> Option<&str> {
        Some("operator")
    }
    fn snapshot(&self, c: &mut super::interp::Copier) -> Option<Value> {
        let keys = self
            .keys
            .iter()
            .map(|k| c.value(k))
            .collect::<Option<_>>()?;
        Some(Value::native(Getter {
            keys,
            attr: self.attr,
        }))
    }
    fn call(&self, _: &Value, args: Args, it: &mut Interpreter) -> R<Option<Value>> {
        let [obj] = args.bind(&["obj"])?;
        let obj = arg(obj);
        let mut out = Vec::with_capacity(self.keys.len());
        for k in &self.keys {
            out.push(if self.attr {
                let mut v = obj.clone();
                let path = match k {
                    Value::Str(s) => s.to_string(),
                    _ => return Err(Exception::type_error("attribute name must be a string")),
                };
                for part in path.split('.') {
                    v = it.get_attr(&v, part)?;
                }
                v
            } else {
                it.get_item(&obj, k)?
            });
        }
        Ok(Some(if out.len() == 1 {
            out.remove(0)
        } else {
            Value::tuple(out)
        }))
    }
}

fn operator_module() -> Module {
    let m = Module::new("operator");
    let binary = [
        ("add", BinOp::Add),
        ("sub", BinOp::Sub),
        ("mul", BinOp::Mul),
        ("truediv", BinOp::Div),
        ("floordiv", BinOp::FloorDiv),
        ("mod", BinOp::Mod),
        ("pow", BinOp::Pow),
        ("matmul", BinOp::MatMul),
        ("and_", BinOp::BitAnd),
        ("or_", BinOp::BitOr),
        ("xor", BinOp::BitXor),
    ];
    for (name, op) in binary {
        m.set(
            name,
            Value::builtin(name, move |it, args| {
                let [a, b] = args.bind(&["a", "b"])?;
                it.binary(op, &arg(a), &arg(b))
            }),
        );
    }
    for (name, op) in [
        ("eq", CmpOp::Eq),
        ("ne", CmpOp::Ne),
        ("lt", CmpOp::Lt),
        ("le", CmpOp::Le),
        ("gt", CmpOp::Gt),
        ("ge", CmpOp::Ge),
    ] {
        m.set(
            name,
            Value::builtin(name, move |it, args| {
                let [a, b] = args.bind(&["a", "b"])?;
                it.compare(op, &arg(a), &arg(b))
            }),
        );
    }
    m.set(
        "neg",
        Value::builtin("neg", |it, args| {
            let [a] = args.bind(&["a"])?;
            it.unary(UnaryOp::Neg, &arg(a))
        }),
    );
    m.set(
        "not_",
        Value::builtin("not_", |it, args| {
            let [a] = args.bind(&["a"])?;
            Ok(Value::Bool(!it.truthy(&arg(a))?))
        }),
    );
    m.set(
        "itemgetter",
        Value::builtin("itemgetter", |_, args| {
            args.no_kwargs()?;
            Ok(Value::native(Getter {
                keys: args.pos.clone(),
                attr: false,
            }))
        }),
    );
    m.set(
        "attrgetter",
        Value::builtin("attrgetter", |_, args| {
            args.no_kwargs()?;
            Ok(Value::native(Getter {
                keys: args.pos.clone(),
                attr: true,
            }))
        }),
    );
    m
}

/// `timeit`: `default_timer` (the `perf_counter` clock); `Timer`, `timeit` and `repeat` are
/// `timeit_timer.rs`'s.
fn timeit_module() -> Module {
    let m = Module::new("timeit");
    m.set(
        "default_timer",
        Value::builtin("perf_counter", |_, args| {
            args.no_kwargs()?;
            Ok(Value::Float(since_start()))
        }),
    );
    super::timeit_timer::install(&m);
    m
}

/// Registers the modules of this file with `it`.
pub fn install(it: &mut Interpreter) {
    for m in [
        time_module(),
        timeit_module(),
        copy_module(),
        string_module(),
        typing_module(),
        sys_module(),
        functools_module(),
        operator_module(),
    ] {
        let name = m.name.to_string();
        it.modules.insert(name, Value::Module(Rc::new(m)));
    }
}
