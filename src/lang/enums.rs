//! The `enum` module: `Enum` and `auto()`. A class deriving from `Enum` has its
//! plain class attributes turned into members when the `class` statement ends (instances of the
//! class with `name` and `value`, in definition order, a repeated value an alias of the first);
//! `Color(2)` looks a member up by value, `Color['RED']` by name, and iterating the class gives
//! the members. Reprs are CPython's: `Color.RED` and `<Color.RED: 1>`.

use std::rc::Rc;

use super::ast::Name;
use super::classes::{ClassMethod, NativeMethod, Property, StaticMethod};
use super::native::{Args, NativeObject};
use super::value::{Instance, NameMap, TypeObj};
use super::{Exception, Interpreter, Module, Value};

type R<T> = Result<T, Exception>;

/// `auto()`: replaced by the last member's int value plus one (1 for the first).
struct Auto;

impl NativeObject for Auto {
    fn type_name(&self) -> &str {
        "auto"
    }
    fn module_name(&self) -> Option<&str> {
        Some("enum")
    }
    fn snapshot(&self, _: &mut super::interp::Copier) -> Option<Value> {
        Some(Value::native(Auto))
    }
}

/// The members of an enum class, in order, if `cls` is one.
pub fn members(cls: &Rc<TypeObj>) -> Option<Vec<Value>> {
    match cls.attrs.borrow().get("_member_list_") {
        Some(Value::Tuple(t)) => Some(t.to_vec()),
        _ => None,
    }
}

fn is_enum_class(cls: &Rc<TypeObj>) -> bool {
    cls.mro()
        .iter()
        .skip(1)
        .any(|t| t.attrs.borrow().contains_key("__enum_base__"))
}

fn member_attr(v: &Value, name: &str) -> Value {
    match v {
        Value::Instance(i) => i.get(name).unwrap_or(Value::None),
        _ => Value::None,
    }
}

/// Turn the plain class attributes `names` (in definition order) of a new class deriving
/// from `Enum` into its members.
pub fn finish_class(it: &mut Interpreter, cls: &Rc<TypeObj>, names: &[Name]) -> R<()> {
    if !is_enum_class(cls) {
        return Ok(());
    }
    let mut list: Vec<Value> = Vec::new();
    let mut map = super::value::Dict::new();
    let mut last_int: i64 = 0;
    let flag = super::enum_flags::is_flag_class(cls);
    let int = cls.mro().iter().any(|t| !t.is_user() && t.module.is_none() && &*t.name == "int");
    let mut highest: i64 = 0;
    for name in names {
        if name.starts_with('_') {
            continue;
        }
        let Some(v) = cls.attrs.borrow().get(&**name).cloned() else {
            continue;
        };
        let descriptor = matches!(v, Value::Function(_) | Value::Type(_) | Value::Builtin(_))
            || v.downcast::<Property>().is_some()
            || v.downcast::<ClassMethod>().is_some()
            || v.downcast::<StaticMethod>().is_some()
            || v.downcast::<NativeMethod>().is_some();
        if descriptor {
            continue;
        }
        let value = if v.downcast::<Auto>().is_some() {
            Value::Int(if flag { super::enum_flags::next_auto(highest) } else { last_int + 1 })
        } else {
            v
        };
        if let Value::Int(i) = value {
            last_int = i;
            highest = highest.max(i);
        }
        let mut alias = None;
        for m in &list {
            let same = it.compare(super::ast::CmpOp::Eq, &member_attr(m, "_value_"), &value)?;
            if it.truthy(&same)? {
                alias = Some(m.clone());
                break;
            }
        }
        let member = match alias {
            Some(m) => m,
            None => {
                // An IntEnum/IntFlag member is an int: its value is its builtin half.
                let inst = Rc::new(Instance {
                    class: cls.clone(),
                    dict: std::cell::RefCell::new(Vec::new()),
                    native: std::cell::RefCell::new(int.then(|| value.clone())),
                });
                super::cycles::track_instance(&inst);
                inst.set("_name_", Value::Str(name.clone()));
                inst.set("_value_", value.clone());
                inst.set("name", Value::Str(name.clone()));
                inst.set("value", value);
                let m = Value::Instance(inst);
                list.push(m.clone());
                m
            }
        };
        map.insert(Value::Str(name.clone()), member.clone())?;
        cls.attrs.borrow_mut().insert(name.clone(), member);
    }
    let mut attrs = cls.attrs.borrow_mut();
    attrs.insert("_member_list_".into(), Value::tuple(list));
    attrs.insert("_member_map_".into(), Value::dict(map));
    drop(attrs);
    if flag {
        super::enum_flags::finish(cls)?;
    }
    it.invalidate_class_flags();
    Ok(())
}

/// `Color(value)`: the member with that value (None: `cls` is not an enum).
pub fn call_class(it: &mut Interpreter, cls: &Rc<TypeObj>, args: &Args) -> R<Option<Value>> {
    let Some(list) = members(cls) else {
        return Ok(None);
    };
    let [v] = args.pos.as_slice() else {
        return Err(Exception::type_error(format!(
            "{}() takes exactly one argument",
            cls.name
        )));
    };
    if let Value::Int(i) = v
        && super::enum_flags::is_flag_class(cls)
    {
        return super::enum_flags::member_of(it, cls, *i).map(Some);
    }
    for m in &list {
        let same = it.compare(super::ast::CmpOp::Eq, &member_attr(m, "_value_"), v)?;
        if it.truthy(&same)? {
            return Ok(Some(m.clone()));
        }
    }
    Err(Exception::value_error(format!(
        "{} is not a valid {}",
        it.repr(v)?,
        cls.name
    )))
}

/// `Color['RED']` (None: `cls` is not an enum).
pub fn class_item(it: &mut Interpreter, cls: &Rc<TypeObj>, key: &Value) -> R<Option<Value>> {
    let map = cls.attrs.borrow().get("_member_map_").cloned();
    let Some(Value::Dict(d)) = &map else {
        return Ok(None);
    };
    let found = d.borrow().get(key)?;
    match found {
        Some(m) => Ok(Some(m)),
        None => Err(Exception::new("KeyError", it.repr(key)?)),
    }
}

fn this_member(args: &Args) -> R<(Value, Rc<TypeObj>)> {
    match args.pos.first() {
        Some(v @ Value::Instance(i)) => Ok((v.clone(), i.class.clone())),
        _ => Err(Exception::type_error("expected an enum member")),
    }
}

/// Registers `enum` with `it`.
pub fn install(it: &mut Interpreter) {
    let object = it.type_object("object");
    let int = it.type_object("int");
    let make_base = |name: &str, extra: Option<Rc<TypeObj>>, flag: bool| {
        let mut attrs: NameMap<Value> = NameMap::default();
        attrs.insert("__module__".into(), Value::str("enum"));
        attrs.insert("__qualname__".into(), Value::str(name));
        attrs.insert("__enum_base__".into(), Value::Bool(true));
        let mut mro = Vec::new();
        mro.extend(extra.clone().map(Value::Type));
        mro.extend(object.clone().map(Value::Type));
        attrs.insert("__bases__".into(), Value::tuple(mro.clone()));
        attrs.insert("__mro__".into(), Value::tuple(mro));
        attrs.insert(
            "__repr__".into(),
            Value::native(NativeMethod(Value::builtin("__repr__", |it, args| {
                let (m, cls) = this_member(&args)?;
                let v = it.repr(&member_attr(&m, "_value_"))?;
                Ok(Value::str(&format!(
                    "<{}.{}: {v}>",
                    cls.name,
                    it.to_str(&member_attr(&m, "_name_"))?
                )))
            }))),
        );
        let is_int = extra.is_some();
        attrs.insert(
            "__str__".into(),
            Value::native(NativeMethod(Value::builtin("__str__", move |it, args| {
                let (m, cls) = this_member(&args)?;
                if is_int {
                    // IntEnum's str is its value's (Python 3.11).
                    return Ok(Value::str(&it.to_str(&member_attr(&m, "_value_"))?));
                }
                Ok(Value::str(&format!(
                    "{}.{}",
                    cls.name,
                    it.to_str(&member_attr(&m, "_name_"))?
                )))
            }))),
        );
        if flag {
            super::enum_flags::add_methods(&mut attrs, is_int);
        }
        let t = Rc::new(TypeObj::build(
            name.into(),
            Some("enum".into()),
            extra.or(object.clone()),
            None,
            attrs,
        ));
        super::cycles::track_type(&t);
        t
    };
    let m = Module::new("enum");
    m.set("Enum", Value::Type(make_base("Enum", None, false)));
    m.set("IntEnum", Value::Type(make_base("IntEnum", int.clone(), false)));
    m.set("Flag", Value::Type(make_base("Flag", None, true)));
    m.set("IntFlag", Value::Type(make_base("IntFlag", int, true)));
    m.set(
        "auto",
        Value::builtin("auto", |_, args| {
            args.no_kwargs()?;
            Ok(Value::native(Auto))
        }),
    );
    it.modules.insert("enum".into(), Value::Module(Rc::new(m)));
}
