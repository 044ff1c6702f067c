//! The `dataclasses` module: `@dataclass` (with `frozen`, `eq`, `order`, `repr`, `init`), `field`,
//! `fields`, `asdict`, `astuple`, `replace`, `is_dataclass` and `FrozenInstanceError`.
//!
//! The fields come from the class's `__annotations__` in order (the interpreter records them
//! for `name: T` in a class body), after those of base dataclasses. The generated methods are
//! native functions wrapped in `NativeMethod`, so they bind to the instance as a `def` does.

use std::rc::Rc;

use super::classes::{NativeMethod, class_of, lookup_user};
use super::native::{Args, NativeObject};
use super::value::{Dict, TypeObj};
use super::{Exception, Interpreter, Module, Value};
use crate::lang::ast::CmpOp;

type R<T> = Result<T, Exception>;

/// A generated method's body before it is wrapped as a `NativeMethod`.
type MethodFn = Box<dyn Fn(&mut Interpreter, Args) -> R<Value>>;

/// One field of a dataclass, as `field(...)` gives it and `fields()` returns it.
#[derive(Clone)]
pub struct Field {
    name: Option<Rc<str>>,
    typ: Value,
    default: Option<Value>,
    factory: Option<Value>,
    init: bool,
    repr: bool,
    compare: bool,
}

impl Field {
    fn plain() -> Field {
        Field {
            name: None,
            typ: Value::None,
            default: None,
            factory: None,
            init: true,
            repr: true,
            compare: true,
        }
    }

    fn name(&self) -> Rc<str> {
        self.name.clone().unwrap_or_else(|| "".into())
    }

    fn has_default(&self) -> bool {
        self.default.is_some() || self.factory.is_some()
    }
}

/// `dataclasses.MISSING`: what a field without a default reports.
struct Missing;

impl NativeObject for Missing {
    fn type_name(&self) -> &str {
        "_MISSING_TYPE"
    }
    fn snapshot(&self, _: &mut super::interp::Copier) -> Option<Value> {
        Some(Value::native(Missing))
    }
    fn module_name(&self) -> Option<&str> {
        Some("dataclasses")
    }
}

impl NativeObject for Field {
    fn type_name(&self) -> &str {
        "Field"
    }
    fn module_name(&self) -> Option<&str> {
        Some("dataclasses")
    }
    fn snapshot(&self, _: &mut super::interp::Copier) -> Option<Value> {
        Some(Value::native(self.clone()))
    }
    fn get_attr(&self, _: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        let missing = || Value::native(Missing);
        Ok(Some(match name {
            "name" => self.name.clone().map_or(Value::None, Value::Str),
            "type" => self.typ.clone(),
            "default" => self.default.clone().unwrap_or_else(missing),
            "default_factory" => self.factory.clone().unwrap_or_else(missing),
            "init" => Value::Bool(self.init),
            "repr" => Value::Bool(self.repr),
            "compare" => Value::Bool(self.compare),
            _ => return Ok(None),
        }))
    }
}

fn flag(args: &Args, name: &str, default: bool, it: &mut Interpreter) -> R<bool> {
    match args.kw.iter().find(|(k, _)| &**k == name) {
        Some((_, v)) => it.truthy(&v.clone()),
        None => Ok(default),
    }
}

/// `field(*, default=, default_factory=, init=, repr=, compare=)`.
fn field(it: &mut Interpreter, args: Args) -> R<Value> {
    if !args.pos.is_empty() {
        return Err(Exception::type_error(format!(
            "field() takes 0 positional arguments but {} were given",
            args.pos.len()
        )));
    }
    let mut f = Field::plain();
    for (k, v) in &args.kw {
        match &**k {
            "default" => f.default = Some(v.clone()),
            "default_factory" => f.factory = Some(v.clone()),
            "init" | "repr" | "compare" | "hash" | "metadata" | "kw_only" => {}
            other => {
                return Err(Exception::type_error(format!(
                    "field() got an unexpected keyword argument '{other}'"
                )));
            }
        }
    }
    if f.default.is_some() && f.factory.is_some() {
        return Err(Exception::value_error(
            "cannot specify both default and default_factory",
        ));
    }
    f.init = flag(&args, "init", true, it)?;
    f.repr = flag(&args, "repr", true, it)?;
    f.compare = flag(&args, "compare", true, it)?;
    Ok(Value::native(f))
}

/// The options of `@dataclass(...)`.
#[derive(Clone, Copy)]
struct Options {
    init: bool,
    repr: bool,
    eq: bool,
    order: bool,
    frozen: bool,
}

/// `dataclass(cls)` or `dataclass(**options)(cls)`.
fn dataclass(it: &mut Interpreter, args: Args) -> R<Value> {
    let opts = Options {
        init: flag(&args, "init", true, it)?,
        repr: flag(&args, "repr", true, it)?,
        eq: flag(&args, "eq", true, it)?,
        order: flag(&args, "order", false, it)?,
        frozen: flag(&args, "frozen", false, it)?,
    };
    if opts.order && !opts.eq {
        return Err(Exception::value_error("eq must be true if order is true"));
    }
    match args.pos.first() {
        Some(Value::Type(cls)) => process(it, cls, opts),
        Some(other) => Err(Exception::type_error(format!(
            "dataclass() expects a class, not '{}'",
            other.type_name()
        ))),
        None => Ok(Value::builtin("dataclass", move |it, args| {
            match args.pos.first() {
                Some(Value::Type(cls)) => process(it, cls, opts),
                _ => Err(Exception::type_error("dataclass() expects a class")),
            }
        })),
    }
}

/// The fields of a dataclass type, in order (None: not a dataclass).
fn fields_of(cls: &Rc<TypeObj>) -> Option<Vec<Field>> {
    let found = lookup_user(cls, "__dataclass_fields__");
    let Some(Value::Dict(d)) = &found else {
        return None;
    };
    let items = d.borrow().items();
    Some(
        items
            .iter()
            .filter_map(|(_, f)| f.downcast::<Field>().cloned())
            .collect(),
    )
}

fn qualname(cls: &Rc<TypeObj>) -> String {
    match cls.attrs.borrow().get("__qualname__") {
        Some(Value::Str(s)) => s.to_string(),
        _ => cls.name.to_string(),
    }
}

fn process(it: &mut Interpreter, cls: &Rc<TypeObj>, opts: Options) -> R<Value> {
    // Base dataclasses' fields first (the nearest base's version of a name wins).
    let mut fields: Vec<Field> = Vec::new();
    let mro = cls.mro();
    for base in mro.iter().skip(1).rev() {
        if let Some(Value::Dict(d)) = base.attrs.borrow().get("__dataclass_fields__") {
            for (_, f) in d.borrow().items() {
                if let Some(f) = f.downcast::<Field>() {
                    match fields.iter_mut().find(|g| g.name == f.name) {
                        Some(g) => *g = f.clone(),
                        None => fields.push(f.clone()),
                    }
                }
            }
        }
    }
    let annotations = match cls.attrs.borrow().get("__annotations__") {
        Some(Value::Dict(d)) => d.borrow().items(),
        _ => Vec::new(),
    };
    for (name, typ) in annotations {
        let Value::Str(name) = &name else { continue };
        let name = name.clone();
        let attr = cls.attrs.borrow().get(&*name).cloned();
        let mut f = match &attr {
            Some(v) => match v.downcast::<Field>() {
                Some(f) => f.clone(),
                None => Field {
                    default: Some(v.clone()),
                    ..Field::plain()
                },
            },
            None => Field::plain(),
        };
        f.name = Some(name.clone());
        f.typ = typ;
        if let Some(d @ (Value::List(_) | Value::Dict(_) | Value::Set(_))) = &f.default {
            return Err(Exception::value_error(format!(
                "mutable default <class '{}'> for field {name} is not allowed: use default_factory",
                d.type_name()
            )));
        }
        // As in CPython, the class attribute becomes the plain default, or goes.
        match &f.default {
            Some(d) => {
                cls.attrs.borrow_mut().insert(name.clone(), d.clone());
            }
            None if attr.is_some() => {
                cls.attrs.borrow_mut().remove(&*name);
            }
            None => {}
        }
        match fields.iter_mut().find(|g| g.name == f.name) {
            Some(g) => *g = f,
            None => fields.push(f),
        }
    }
    let mut seen_default: Option<Rc<str>> = None;
    for f in fields.iter().filter(|f| f.init) {
        if f.has_default() {
            seen_default = Some(f.name());
        } else if seen_default.is_some() {
            return Err(Exception::type_error(format!(
                "non-default argument '{}' follows default argument",
                f.name()
            )));
        }
    }
    let mut d = Dict::new();
    for f in &fields {
        d.insert(Value::Str(f.name()), Value::native(f.clone()))?;
    }
    let fields = Rc::new(fields);
    let name = qualname(cls);
    let mut attrs = cls.attrs.borrow_mut();
    attrs.insert("__dataclass_fields__".into(), Value::dict(d));
    // For `match`'s class patterns: the `__init__` fields, positionally.
    if !attrs.contains_key("__match_args__") {
        let names = fields.iter().filter(|f| f.init).map(|f| Value::Str(f.name())).collect();
        attrs.insert("__match_args__".into(), Value::tuple(names));
    }
    let method = |n: &str, f: MethodFn| {
        Value::native(NativeMethod(Value::builtin(n, move |it, args| f(it, args))))
    };
    let user_defines = |n: &str| attrs.contains_key(n);
    let (want_init, want_repr, want_eq) = (
        opts.init && !user_defines("__init__"),
        opts.repr && !user_defines("__repr__"),
        opts.eq && !user_defines("__eq__"),
    );
    if want_init {
        let (fs, name) = (fields.clone(), name.clone());
        attrs.insert(
            "__init__".into(),
            method(
                "__init__",
                Box::new(move |it, args| init(it, args, &fs, &name, opts.frozen)),
            ),
        );
    }
    if want_repr {
        let fs = fields.clone();
        attrs.insert(
            "__repr__".into(),
            method("__repr__", Box::new(move |it, args| repr(it, args, &fs))),
        );
    }
    if want_eq {
        let fs = fields.clone();
        attrs.insert(
            "__eq__".into(),
            method("__eq__", Box::new(move |it, args| eq(it, args, &fs))),
        );
    }
    if opts.order {
        for (dunder, op) in [("__lt__", CmpOp::Lt), ("__le__", CmpOp::Le), ("__gt__", CmpOp::Gt), ("__ge__", CmpOp::Ge)] {
            if attrs.contains_key(dunder) {
                let cls_name = cls.name.to_string();
                return Err(Exception::type_error(format!(
                    "Cannot overwrite attribute {dunder} in class {cls_name}. Consider using functools.total_ordering"
                )));
            }
            let fs = fields.clone();
            attrs.insert(dunder.into(), method(dunder, Box::new(move |it, args| order(it, args, &fs, op))));
        }
    }
    if opts.frozen && want_eq && !attrs.contains_key("__hash__") {
        // eq and frozen: instances hash as the tuple of their compared fields.
        let fs = fields.clone();
        attrs.insert(
            "__hash__".into(),
            method("__hash__", Box::new(move |it, args| {
                let this = args.pos.first().cloned().unwrap_or(Value::None);
                let t = compared(it, &this, &fs)?;
                let hash = it.builtins.get("hash").cloned().unwrap_or(Value::None);
                it.call_positional(&hash, vec![t])
            })),
        );
    }
    if opts.frozen {
        attrs.insert(
            "__setattr__".into(),
            method(
                "__setattr__",
                Box::new(|_, args| Err(frozen_error("assign to", &args))),
            ),
        );
        attrs.insert(
            "__delattr__".into(),
            method(
                "__delattr__",
                Box::new(|_, args| Err(frozen_error("delete", &args))),
            ),
        );
    }
    drop(attrs);
    it.invalidate_class_flags();
    Ok(Value::Type(cls.clone()))
}

fn frozen_error(what: &str, args: &Args) -> Exception {
    let name = match args.pos.get(1) {
        Some(Value::Str(s)) => s.to_string(),
        _ => String::new(),
    };
    Exception::new(
        "FrozenInstanceError",
        format!("cannot {what} field '{name}'"),
    )
}

/// CPython's list of missing argument names: 'a', 'a' and 'b', 'a', 'b', and 'c'.
fn name_list(names: &[Rc<str>]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
    match quoted.len() {
        0 => String::new(),
        1 => quoted[0].clone(),
        2 => format!("{} and {}", quoted[0], quoted[1]),
        n => format!("{}, and {}", quoted[..n - 1].join(", "), quoted[n - 1]),
    }
}

fn init(it: &mut Interpreter, args: Args, fields: &[Field], name: &str, frozen: bool) -> R<Value> {
    let mut pos = args.pos.into_iter();
    let this = pos.next().ok_or_else(|| {
        Exception::type_error("__init__() missing 1 required positional argument: 'self'")
    })?;
    let init_fields: Vec<&Field> = fields.iter().filter(|f| f.init).collect();
    let pos: Vec<Value> = pos.collect();
    if pos.len() > init_fields.len() {
        let required = init_fields.iter().filter(|f| !f.has_default()).count();
        let takes = if required == init_fields.len() {
            format!(
                "{} positional argument{}",
                required + 1,
                if required == 0 { "" } else { "s" }
            )
        } else {
            format!(
                "from {} to {} positional arguments",
                required + 1,
                init_fields.len() + 1
            )
        };
        return Err(Exception::type_error(format!(
            "{name}.__init__() takes {takes} but {} were given",
            pos.len() + 1
        )));
    }
    let mut given: Vec<Option<Value>> = vec![None; init_fields.len()];
    for (i, v) in pos.into_iter().enumerate() {
        given[i] = Some(v);
    }
    for (k, v) in args.kw {
        let Some(i) = init_fields
            .iter()
            .position(|f| f.name.as_deref() == Some(&*k))
        else {
            return Err(Exception::type_error(format!(
                "{name}.__init__() got an unexpected keyword argument '{k}'"
            )));
        };
        if given[i].is_some() {
            return Err(Exception::type_error(format!(
                "{name}.__init__() got multiple values for argument '{k}'"
            )));
        }
        given[i] = Some(v);
    }
    let missing: Vec<Rc<str>> = init_fields
        .iter()
        .zip(&given)
        .filter(|(f, g)| g.is_none() && !f.has_default())
        .map(|(f, _)| f.name())
        .collect();
    if !missing.is_empty() {
        return Err(Exception::type_error(format!(
            "{name}.__init__() missing {} required positional argument{}: {}",
            missing.len(),
            if missing.len() == 1 { "" } else { "s" },
            name_list(&missing)
        )));
    }
    let mut given = given.into_iter();
    for f in fields {
        let v = if f.init { given.next().flatten() } else { None };
        let v = match (v, &f.default, &f.factory) {
            (Some(v), _, _) => v,
            (None, Some(d), _) => d.clone(),
            (None, None, Some(factory)) => it.call_positional(factory, Vec::new())?,
            (None, None, None) => continue,
        };
        if frozen {
            it.generic_setattr(&this, &f.name(), v)?;
        } else {
            it.set_attr(&this, &f.name(), v)?;
        }
    }
    if let Some(cls) = class_of(&this)
        && let Some(post) = lookup_user(&cls, "__post_init__")
    {
        it.call(&post, Args::new("__post_init__", vec![this.clone()]))?;
    }
    Ok(Value::None)
}

fn repr(it: &mut Interpreter, args: Args, fields: &[Field]) -> R<Value> {
    let this = args.pos.first().cloned().unwrap_or(Value::None);
    let name = class_of(&this).map(|c| qualname(&c)).unwrap_or_default();
    let mut parts = Vec::new();
    for f in fields.iter().filter(|f| f.repr) {
        let v = it.get_attr(&this, &f.name())?;
        parts.push(format!("{}={}", f.name(), it.repr(&v)?));
    }
    Ok(Value::str(&format!("{name}({})", parts.join(", "))))
}

fn compared(it: &mut Interpreter, v: &Value, fields: &[Field]) -> R<Value> {
    let mut items = Vec::new();
    for f in fields.iter().filter(|f| f.compare) {
        items.push(it.get_attr(v, &f.name())?);
    }
    Ok(Value::tuple(items))
}

fn eq(it: &mut Interpreter, args: Args, fields: &[Field]) -> R<Value> {
    let (Some(a), Some(b)) = (args.pos.first(), args.pos.get(1)) else {
        return Err(Exception::type_error("__eq__ expected 1 argument"));
    };
    let same = match (class_of(a), class_of(b)) {
        (Some(x), Some(y)) => Rc::ptr_eq(&x, &y),
        _ => false,
    };
    if !same {
        return Ok(it
            .builtins
            .get("NotImplemented")
            .cloned()
            .unwrap_or(Value::Bool(false)));
    }
    let (ta, tb) = (compared(it, a, fields)?, compared(it, b, fields)?);
    it.compare(CmpOp::Eq, &ta, &tb)
}

/// `order=True`'s comparisons: the compared fields as tuples, for two instances of one class
/// (NotImplemented otherwise, so Python raises its TypeError).
fn order(it: &mut Interpreter, args: Args, fields: &[Field], op: CmpOp) -> R<Value> {
    let (Some(a), Some(b)) = (args.pos.first(), args.pos.get(1)) else {
        return Err(Exception::type_error("comparison expected 1 argument"));
    };
    let same = match (class_of(a), class_of(b)) {
        (Some(x), Some(y)) => Rc::ptr_eq(&x, &y),
        _ => false,
    };
    if !same {
        return Ok(it.builtins.get("NotImplemented").cloned().unwrap_or(Value::Bool(false)));
    }
    let (ta, tb) = (compared(it, a, fields)?, compared(it, b, fields)?);
    it.compare(op, &ta, &tb)
}

/// The dataclass fields of an instance's class (None: not a dataclass instance).
fn instance_fields(v: &Value) -> Option<Vec<Field>> {
    match v {
        Value::Instance(i) => fields_of(&i.class),
        _ => None,
    }
}

/// `asdict`/`astuple`: dataclasses, lists, tuples and dicts inside are converted too.
fn convert(it: &mut Interpreter, v: &Value, as_dict: bool) -> R<Value> {
    it.tick()?;
    if let Some(fields) = instance_fields(v) {
        let mut d = Dict::new();
        let mut items = Vec::new();
        for f in &fields {
            let x = it.get_attr(v, &f.name())?;
            let x = convert(it, &x, as_dict)?;
            if as_dict {
                d.insert(Value::Str(f.name()), x)?;
            } else {
                items.push(x);
            }
        }
        return Ok(if as_dict {
            Value::dict(d)
        } else {
            Value::tuple(items)
        });
    }
    Ok(match v {
        Value::List(l) => {
            let items = l.borrow().clone();
            let mut out = Vec::with_capacity(items.len());
            for x in &items {
                out.push(convert(it, x, as_dict)?);
            }
            Value::list(out)
        }
        Value::Tuple(t) => {
            let mut out = Vec::with_capacity(t.len());
            for x in t.iter() {
                out.push(convert(it, x, as_dict)?);
            }
            Value::tuple(out)
        }
        Value::Dict(d) => {
            let items = d.borrow().items();
            let mut out = Dict::new();
            for (k, x) in &items {
                let k = convert(it, k, as_dict)?;
                let x = convert(it, x, as_dict)?;
                out.insert(k, x)?;
            }
            Value::dict(out)
        }
        other => other.clone(),
    })
}

fn one_instance(args: &Args, what: &str) -> R<(Value, Vec<Field>)> {
    let v = args.pos.first().cloned().unwrap_or(Value::None);
    match instance_fields(&v) {
        Some(f) => Ok((v, f)),
        None => Err(Exception::type_error(format!(
            "{what}() should be called on dataclass instances"
        ))),
    }
}

/// Registers `dataclasses` and its exception type with `it`.
pub fn install(it: &mut Interpreter) {
    if let Some(base) = it.types.get("AttributeError").cloned() {
        let t = TypeObj::new("FrozenInstanceError", Some(base), None);
        it.types.insert("FrozenInstanceError", t);
    }
    let m = Module::new("dataclasses");
    m.set("dataclass", Value::builtin("dataclass", dataclass));
    m.set("field", Value::builtin("field", field));
    m.set("MISSING", Value::native(Missing));
    if let Some(t) = it.types.get("FrozenInstanceError") {
        m.set("FrozenInstanceError", Value::Type(t.clone()));
    }
    m.set(
        "fields",
        Value::builtin("fields", |_, args| {
            let v = args.pos.first().cloned().unwrap_or(Value::None);
            let fs = match &v {
                Value::Type(t) => fields_of(t),
                other => instance_fields(other),
            };
            let fs = fs.ok_or_else(|| {
                Exception::type_error("must be called with a dataclass type or instance")
            })?;
            Ok(Value::tuple(
                fs.into_iter()
                    .filter(|f| f.name.is_some())
                    .map(Value::native)
                    .collect(),
            ))
        }),
    );
    m.set(
        "is_dataclass",
        Value::builtin("is_dataclass", |_, args| {
            let v = args.pos.first().cloned().unwrap_or(Value::None);
            Ok(Value::Bool(match &v {
                Value::Type(t) => fields_of(t).is_some(),
                other => instance_fields(other).is_some(),
            }))
        }),
    );
    m.set(
        "asdict",
        Value::builtin("asdict", |it, args| {
            let (v, _) = one_instance(&args, "asdict")?;
            convert(it, &v, true)
        }),
    );
    m.set(
        "astuple",
        Value::builtin("astuple", |it, args| {
            let (v, _) = one_instance(&args, "astuple")?;
            convert(it, &v, false)
        }),
    );
    m.set(
        "replace",
        Value::builtin("replace", |it, args| {
            let (v, fields) = one_instance(&args, "replace")?;
            let mut kw: Vec<(super::ast::Name, Value)> = Vec::new();
            for f in fields.iter().filter(|f| f.init) {
                let x = match args.kw.iter().find(|(k, _)| **k == *f.name()) {
                    Some((_, x)) => x.clone(),
                    None => it.get_attr(&v, &f.name())?,
                };
                kw.push((f.name(), x));
            }
            let cls = class_of(&v).map(Value::Type).unwrap_or(Value::None);
            let mut call = Args::new("replace", Vec::new());
            call.kw = kw;
            it.call(&cls, call)
        }),
    );
    it.modules
        .insert("dataclasses".into(), Value::Module(Rc::new(m)));
}
