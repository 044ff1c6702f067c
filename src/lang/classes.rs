//! Classes defined in Python: the `class` statement, instances with a `__dict__`, attribute
//! lookup along the MRO, bound methods, `super()`, `property`/`staticmethod`/`classmethod`, and
//! the special methods (`__repr__`, `__add__`, `__len__`, ...) the evaluator dispatches to.
//!
//! Room for native base classes (nn.Module): an instance keeps the native object its native base
//! made (`Instance::native`); attributes missing from the instance and its Python classes are
//! looked up on it, and `super().__init__(...)` reaching a native class calls its constructor.

use std::cell::RefCell;
use std::rc::Rc;

use super::ast::{BinOp, ClassDef, CmpOp, Name, UnaryOp};
use super::error::Exception;
use super::interp::{Env, Interpreter, Scope};
use super::native::{Args, NativeObject};
use super::value::*;

type R<T> = Result<T, Exception>;

/// `property(fget, fset)`: a data descriptor.
pub struct Property {
    pub fget: Value,
    pub fset: Value,
}

/// `staticmethod(f)`.
pub struct StaticMethod(pub Value);

/// `functools.cached_property(f)`: a non-data descriptor whose first read through an instance
/// calls `f` and stores the result in the instance's dict under `f`'s name, which later reads
/// find first.
pub struct CachedProperty {
    pub func: Value,
    pub name: Name,
}

impl NativeObject for CachedProperty {
    fn type_name(&self) -> &str {
        "cached_property"
    }

    fn module_name(&self) -> Option<&str> {
        Some("functools")
    }

    fn snapshot(&self, c: &mut super::interp::Copier) -> Option<Value> {
        Some(Value::native(CachedProperty { func: c.value(&self.func)?, name: self.name.clone() }))
    }

    fn get_attr(&self, _this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok((name == "func").then(|| self.func.clone()))
    }
}

/// `classmethod(f)`.
pub struct ClassMethod(pub Value);

/// A native function kept as a class attribute that binds to the instance as a `def` does
/// (the `__init__`, `__repr__` and `_replace` that `dataclass` and `namedtuple` generate).
pub struct NativeMethod(pub Value);

impl NativeObject for NativeMethod {
    fn type_name(&self) -> &str {
        "function"
    }

    fn snapshot(&self, c: &mut super::interp::Copier) -> Option<Value> {
        Some(Value::native(NativeMethod(c.value(&self.0)?)))
    }

    fn call(&self, _this: &Value, args: Args, interp: &mut Interpreter) -> R<Option<Value>> {
        interp.call(&self.0, args).map(Some)
    }
}

/// The builtin value an instance of a class deriving from list, tuple, dict, set or str keeps
/// as its native half: what indexing, iteration, `len` and `==` act on when the class does not
/// define them.
pub fn builtin_half(v: &Value) -> Option<Value> {
    let Value::Instance(i) = v else { return None };
    match &*i.native.borrow() {
        Some(h @ (Value::List(_) | Value::Tuple(_) | Value::Dict(_) | Value::Set(_) | Value::Str(_))) => Some(h.clone()),
        _ => None,
    }
}

/// What `super()` returns: attribute lookup starting after `after` in the MRO of `this`'s class.
pub struct SuperObj {
    pub this: Value,
    pub after: Rc<TypeObj>,
}

impl NativeObject for Property {
    fn type_name(&self) -> &str {
        "property"
    }

    fn get_attr(&self, _this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        let (fget, fset) = (self.fget.clone(), self.fset.clone());
        Ok(match name {
            "fget" => Some(fget),
            "fset" => Some(fset),
            "setter" => Some(Value::builtin("setter", move |_, args| {
                let f = args.pos.first().cloned().unwrap_or(Value::None);
                Ok(Value::native(Property { fget: fget.clone(), fset: f }))
            })),
            "getter" => Some(Value::builtin("getter", move |_, args| {
                let f = args.pos.first().cloned().unwrap_or(Value::None);
                Ok(Value::native(Property { fget: f, fset: fset.clone() }))
            })),
            _ => None,
        })
    }
}

impl NativeObject for StaticMethod {
    fn type_name(&self) -> &str {
        "staticmethod"
    }

    fn call(&self, _this: &Value, args: Args, interp: &mut Interpreter) -> R<Option<Value>> {
        interp.call(&self.0, args).map(Some)
    }
}

impl NativeObject for ClassMethod {
    fn type_name(&self) -> &str {
        "classmethod"
    }
}

impl NativeObject for SuperObj {
    fn type_name(&self) -> &str {
        "super"
    }

    fn repr(&self) -> String {
        format!("<super: <class '{}'>, <{} object>>", self.after.name, self.this.type_name())
    }

    fn get_attr(&self, _this: &Value, name: &str, interp: &mut Interpreter) -> R<Option<Value>> {
        let cls = match &self.this {
            Value::Type(t) => t.clone(),
            other => class_of(other).unwrap_or_else(|| self.after.clone()),
        };
        let mro = cls.mro();
        let start = mro.iter().position(|t| Rc::ptr_eq(t, &self.after)).map_or(mro.len(), |i| i + 1);
        for t in &mro[start..] {
            if !t.is_user() {
                if t.ctor.is_some() && name == "__init__" {
                    // A native base class: its constructor makes the native half of the instance.
                    let (ctor, this) = (t.clone(), self.this.clone());
                    return Ok(Some(Value::builtin("__init__", move |it, args| {
                        let native = it.call(&Value::Type(ctor.clone()), args)?;
                        if let Value::Instance(i) = &this {
                            if let Value::Native(n) = &native {
                                n.adopt(&this);
                            }
                            *i.native.borrow_mut() = Some(native);
                        }
                        Ok(Value::None)
                    })));
                }
                continue;
            }
            let found = t.attrs.borrow().get(name).cloned();
            if let Some(v) = found {
                return Ok(Some(bind(&v, &self.this, &cls, interp)?));
            }
        }
        Ok(object_method(&self.this, name))
    }
}

/// The class of an instance of a Python class (or of a user exception).
pub fn class_of(v: &Value) -> Option<Rc<TypeObj>> {
    match v {
        Value::Instance(i) => Some(i.class.clone()),
        Value::Exception(e) => Some(e.typ.clone()),
        _ => None,
    }
}

/// `object`'s (and BaseException's) own methods, as `super()` and `object.x` reach them.
pub fn object_method(this: &Value, name: &str) -> Option<Value> {
    let this = this.clone();
    Some(match name {
        "__init__" => Value::method(this, "__init__", |_, args| {
            if let Some(Value::Exception(e)) = &args.this {
                *e.args.borrow_mut() = args.pos.clone();
            }
            Ok(Value::None)
        }),
        "__setattr__" => Value::method(this, "__setattr__", |it, args| {
            let (Some(this), [Value::Str(k), v]) = (&args.this, args.pos.as_slice()) else {
                return Err(Exception::type_error("__setattr__ expected 2 arguments"));
            };
            it.generic_setattr(this, k, v.clone())?;
            Ok(Value::None)
        }),
        "__getattribute__" => Value::method(this, "__getattribute__", |it, args| {
            let (Some(this), [Value::Str(k)]) = (&args.this, args.pos.as_slice()) else {
                return Err(Exception::type_error("__getattribute__ expected 1 argument"));
            };
            it.generic_getattr(this, k)?
                .ok_or_else(|| no_attribute(this, k))
        }),
        "__repr__" | "__str__" => Value::method(this, "__repr__", |_, args| {
            Ok(Value::Str(args.this.as_ref().map(|t| t.repr()).unwrap_or_default().into()))
        }),
        "__eq__" => Value::method(this, "__eq__", |_, args| {
            let same = match (&args.this, args.pos.first()) {
                (Some(a), Some(b)) => a.is(b),
                _ => false,
            };
            Ok(Value::Bool(same))
        }),
        _ => return None,
    })
}

/// `object.__setattr__(self, name, value)` and friends, reached through the type.
pub fn object_type_attr(name: &str) -> Option<Value> {
    match name {
        "__setattr__" | "__init__" | "__getattribute__" | "__repr__" | "__str__" | "__eq__" => {
            let name = name.to_string();
            Some(Value::builtin(&name.clone(), move |it, mut args| {
                if args.pos.is_empty() {
                    return Err(Exception::type_error(format!("descriptor '{name}' of 'object' object needs an argument")));
                }
                let this = args.pos.remove(0);
                let m = object_method(&this, &name).ok_or_else(|| no_attribute(&this, &name))?;
                it.call(&m, args)
            }))
        }
        _ => None,
    }
}

fn no_attribute(v: &Value, name: &str) -> Exception {
    Exception::new("AttributeError", format!("'{}' object has no attribute '{name}'", v.type_name()))
}

/// A class attribute as seen through an instance (or class, for classmethods): functions bind.
fn bind(v: &Value, this: &Value, cls: &Rc<TypeObj>, interp: &mut Interpreter) -> R<Value> {
    Ok(match v {
        Value::Function(_) => Value::Method(Rc::new(BoundMethod { this: this.clone(), func: v.clone() })),
        Value::Native(_) => {
            if let Some(p) = v.downcast::<Property>() {
                let getter = p.fget.clone();
                return interp.call_positional(&getter, vec![this.clone()]);
            }
            if let Some(s) = v.downcast::<StaticMethod>() {
                return Ok(s.0.clone());
            }
            if let Some(c) = v.downcast::<CachedProperty>() {
                let (func, name) = (c.func.clone(), c.name.clone());
                let value = interp.call_positional(&func, vec![this.clone()])?;
                if let Value::Instance(i) = this {
                    i.set(&name, value.clone());
                }
                return Ok(value);
            }
            if let Some(c) = v.downcast::<ClassMethod>() {
                return Ok(Value::Method(Rc::new(BoundMethod { this: Value::Type(cls.clone()), func: c.0.clone() })));
            }
            if let Some(m) = v.downcast::<NativeMethod>() {
                return Ok(Value::Method(Rc::new(BoundMethod { this: this.clone(), func: m.0.clone() })));
            }
            v.clone()
        }
        other => other.clone(),
    })
}

/// Find `name` on the Python classes of `cls`'s MRO (native and builtin classes skipped).
pub fn lookup_user(cls: &Rc<TypeObj>, name: &str) -> Option<Value> {
    if let Some(v) = cls.attrs.borrow().get(name) {
        return Some(v.clone());
    }
    let attrs = cls.attrs.borrow();
    let Some(Value::Tuple(mro)) = attrs.get("__mro__") else { return None };
    for t in mro.iter() {
        if let Value::Type(t) = t
            && t.is_user()
            && let Some(v) = t.attrs.borrow().get(name)
        {
            return Some(v.clone());
        }
    }
    None
}

/// C3 linearization of the bases (the MRO without the class itself).
fn linearize(bases: &[Rc<TypeObj>]) -> R<Vec<Rc<TypeObj>>> {
    let mut seqs: Vec<Vec<Rc<TypeObj>>> = bases.iter().map(|b| b.mro()).collect();
    seqs.push(bases.to_vec());
    let mut out: Vec<Rc<TypeObj>> = Vec::new();
    loop {
        seqs.retain(|s| !s.is_empty());
        if seqs.is_empty() {
            return Ok(out);
        }
        let head = seqs.iter().map(|s| s[0].clone()).find(|h| !seqs.iter().any(|s| s[1..].iter().any(|t| Rc::ptr_eq(t, h))));
        let Some(head) = head else {
            let names: Vec<String> = bases.iter().map(|b| b.name.to_string()).collect();
            return Err(Exception::type_error(format!(
                "Cannot create a consistent method resolution\norder (MRO) for bases {}",
                names.join(", ")
            )));
        };
        for s in seqs.iter_mut() {
            if Rc::ptr_eq(&s[0], &head) {
                s.remove(0);
            }
        }
        out.push(head);
    }
}

fn binop_names(op: BinOp) -> (&'static str, &'static str, &'static str) {
    match op {
        BinOp::Add => ("__add__", "__radd__", "__iadd__"),
        BinOp::Sub => ("__sub__", "__rsub__", "__isub__"),
        BinOp::Mul => ("__mul__", "__rmul__", "__imul__"),
        BinOp::MatMul => ("__matmul__", "__rmatmul__", "__imatmul__"),
        BinOp::Div => ("__truediv__", "__rtruediv__", "__itruediv__"),
        BinOp::FloorDiv => ("__floordiv__", "__rfloordiv__", "__ifloordiv__"),
        BinOp::Mod => ("__mod__", "__rmod__", "__imod__"),
        BinOp::Pow => ("__pow__", "__rpow__", "__ipow__"),
        BinOp::LShift => ("__lshift__", "__rlshift__", "__ilshift__"),
        BinOp::RShift => ("__rshift__", "__rrshift__", "__irshift__"),
        BinOp::BitAnd => ("__and__", "__rand__", "__iand__"),
        BinOp::BitOr => ("__or__", "__ror__", "__ior__"),
        BinOp::BitXor => ("__xor__", "__rxor__", "__ixor__"),
    }
}

impl Interpreter {
    /// The attribute-related flags of a user class, computed once per class and cached.
    #[inline]
    pub(crate) fn flags(&self, cls: &Rc<TypeObj>) -> ClassFlags {
        let generation = self.class_generation.get();
        if let Some((g, f)) = cls.flag_cache.get()
            && g == generation
        {
            return f;
        }
        self.compute_flags(cls, generation)
    }

    #[cold]
    #[inline(never)]
    fn compute_flags(&self, cls: &Rc<TypeObj>, generation: u64) -> ClassFlags {
        let mut f = ClassFlags::default();
        for t in cls.mro() {
            if !t.is_user() {
                continue;
            }
            let attrs = t.attrs.borrow();
            f.setattr |= attrs.contains_key("__setattr__");
            f.getattr |= attrs.contains_key("__getattr__");
            f.properties |= attrs.values().any(|v| v.downcast::<Property>().is_some());
        }
        cls.flag_cache.set(Some((generation, f)));
        f
    }

    /// Run a `class` statement: evaluate the bases, run the body in its own namespace, build the
    /// class and apply decorators.
    pub(crate) fn exec_class(&mut self, def: &Rc<ClassDef>, env: &Env) -> R<Value> {
        let args = self.eval_args(&Value::None, &def.bases, env)?;
        if let Some((k, _)) = args.kw.first() {
            return Err(Exception::unsupported(format!("class keyword argument '{k}'")));
        }
        let mut bases = Vec::new();
        // `class P(typing.NamedTuple)`: built as a plain class, then remade as a namedtuple.
        let typed_namedtuple = matches!(args.pos.as_slice(), [Value::Builtin(b)] if &*b.name == "NamedTuple");
        for b in args.pos.iter().filter(|_| !typed_namedtuple) {
            match b {
                Value::Type(t) => bases.push(t.clone()),
                other => {
                    return Err(Exception::type_error(format!(
                        "bases must be types, not {}",
                        other.type_name()
                    )))
                }
            }
        }
        let object = self.type_object("object");
        if bases.is_empty() {
            bases.extend(object.clone());
        }
        for (i, b) in bases.iter().enumerate() {
            if bases[..i].iter().any(|o| Rc::ptr_eq(o, b)) {
                return Err(Exception::type_error(format!("duplicate base class {}", b.name)));
            }
            if matches!(&*b.name, "bool" | "NoneType" | "function" | "range" | "slice") && b.module.is_none() {
                return Err(Exception::type_error(format!("type '{}' is not an acceptable base type", b.name)));
            }
        }
        let mro = linearize(&bases)?;
        let scope = Rc::new(Scope::class_body(env.clone()));
        // CPython binds `__qualname__` before the body runs; a class defined in another
        // class's body is named through its outer class (`<class '__main__.models.VGG'>`).
        let outer = env.as_ref().filter(|e| e.is_class_body()).and_then(|e| e.get_var("__qualname__"));
        let qualname = match &outer {
            Some(Value::Str(outer)) => Value::str(&format!("{outer}.{}", def.name)),
            _ => Value::Str(def.name.clone()),
        };
        scope.set_var(&"__qualname__".into(), qualname);
        let body_env = Some(scope.clone());
        self.exec_class_body(&def.body, &body_env)?;
        let mut attrs: NameMap<Value> = scope.take_vars();
        if let doc @ Value::Str(_) = super::interp::docstring(&def.body) {
            attrs.insert("__doc__".into(), doc);
        }
        // As in CPython, a class belongs to the module its globals' `__name__` names.
        let module: Rc<str> = match &self.get_global("__name__") {
            Some(Value::Str(s)) => s.clone(),
            _ => "__main__".into(),
        };
        attrs.insert("__module__".into(), Value::Str(module.clone()));
        attrs.insert("__bases__".into(), Value::tuple(bases.iter().map(|b| Value::Type(b.clone())).collect()));
        attrs.insert("__mro__".into(), Value::tuple(mro.iter().map(|b| Value::Type(b.clone())).collect()));
        let cls = Rc::new(TypeObj::build(def.name.clone(), Some(module), bases.first().cloned(), None, attrs));
        super::cycles::track_type(&cls);
        for v in cls.attrs.borrow().values() {
            let f = match v {
                Value::Function(f) => Some(f.clone()),
                Value::Native(_) => v
                    .downcast::<ClassMethod>()
                    .map(|c| c.0.clone())
                    .or_else(|| v.downcast::<StaticMethod>().map(|s| s.0.clone()))
                    .or_else(|| v.downcast::<Property>().map(|p| p.fget.clone()))
                    .or_else(|| match v.downcast::<NativeMethod>().map(|m| m.0.clone()) {
                        Some(Value::Native(ref n)) => n.wrapped(),
                        _ => None,
                    })
                    .and_then(|f| if let Value::Function(f) = &f { Some(f.clone()) } else { None }),
                _ => None,
            };
            if let Some(f) = f {
                *f.owner.borrow_mut() = Some(Rc::downgrade(&cls));
            }
            if let Some(p) = v.downcast::<Property>()
                && let Value::Function(f) = &p.fset
            {
                *f.owner.borrow_mut() = Some(Rc::downgrade(&cls));
            }
        }
        self.invalidate_class_flags();
        if cls.mro().len() > 2 {
            // A class deriving from `enum.Enum`: its attributes become members, in order.
            let names: Vec<Name> = def
                .body
                .iter()
                .filter_map(|s| match &s.kind {
                    super::ast::StmtKind::Assign(targets, _) => match targets.first().map(|t| &t.kind) {
                        Some(super::ast::ExprKind::Name(n, _)) => Some(n.clone()),
                        _ => None,
                    },
                    super::ast::StmtKind::AnnAssign(t, _, Some(_)) => match &t.kind {
                        super::ast::ExprKind::Name(n, _) => Some(n.clone()),
                        _ => None,
                    },
                    _ => None,
                })
                .collect();
            super::enums::finish_class(self, &cls, &names)?;
        }
        let mut value = match typed_namedtuple {
            true => super::namedtuple::from_class(self, &cls)?,
            false => Value::Type(cls),
        };
        for d in def.decorators.iter().rev() {
            let dv = self.eval(d, env)?;
            value = self.call(&dv, Args::new("decorator", vec![value])).map_err(|e| e.at(d.span))?;
        }
        Ok(value)
    }

    /// `cls(*args)` for a class defined in Python.
    pub(crate) fn instantiate(&mut self, cls: &Rc<TypeObj>, args: Args) -> R<Value> {
        if let Some(member) = super::enums::call_class(self, cls, &args)? {
            return Ok(member);
        }
        let init = lookup_user(cls, "__init__");
        if self.is_exception_type(cls) {
            if init.is_none() && !args.kw.is_empty() {
                return Err(Exception::type_error(format!("{}() takes no keyword arguments", cls.name)));
            }
            let exc = Value::Exception(Rc::new(ExcValue {
                typ: cls.clone(),
                args: RefCell::new(args.pos.clone()),
                dict: RefCell::new(Vec::new()),
                display: None,
            }));
            if let Some(init) = init {
                self.call_init(&init, &exc, args)?;
            }
            return Ok(exc);
        }
        let inst = Rc::new(Instance { class: cls.clone(), dict: RefCell::new(Vec::new()), native: RefCell::new(None) });
        super::cycles::track_instance(&inst);
        let inst = Value::Instance(inst);
        match init {
            Some(init) => self.call_init(&init, &inst, args)?,
            None => {
                let native_base = cls.mro().into_iter().find(|t| !t.is_user() && t.ctor.is_some());
                match native_base {
                    Some(t) => {
                        let native = self.call(&Value::Type(t), args)?;
                        if let Value::Instance(i) = &inst {
                            if let Value::Native(n) = &native {
                                n.adopt(&inst);
                            }
                            *i.native.borrow_mut() = Some(native);
                        }
                    }
                    None if !args.pos.is_empty() || !args.kw.is_empty() => {
                        return Err(Exception::type_error(format!("{}() takes no arguments", cls.name)));
                    }
                    None => {}
                }
            }
        }
        Ok(inst)
    }

    fn call_init(&mut self, init: &Value, this: &Value, mut args: Args) -> R<()> {
        args.pos.insert(0, this.clone());
        let r = self.call(init, args)?;
        if !r.is_none() {
            return Err(Exception::type_error(format!("__init__() should return None, not '{}'", r.type_name())));
        }
        Ok(())
    }

    /// Zero-argument `super()` inside a method: the method's class and its first argument.
    pub(crate) fn zero_arg_super(&mut self, env: &Env) -> R<Value> {
        let err = || Exception::runtime_error("super(): no arguments");
        let scope = Scope::enclosing_function(env).ok_or_else(err)?;
        let (def, owner) = scope.function_and_owner();
        let owner = owner.ok_or_else(|| Exception::runtime_error("super(): __class__ cell not found"))?;
        let first = def.and_then(|d| d.params.first().map(|p| p.name.clone())).ok_or_else(err)?;
        let this = scope.get_var(&first).ok_or_else(|| Exception::runtime_error("super(): arg[0] deleted"))?;
        Ok(Value::native(SuperObj { this, after: owner }))
    }

    /// `super(cls, obj)`.
    pub(crate) fn explicit_super(&mut self, args: &Args) -> R<Value> {
        match args.pos.as_slice() {
            [Value::Type(t), this] => Ok(Value::native(SuperObj { this: this.clone(), after: t.clone() })),
            _ => Err(Exception::type_error("super() argument 1 must be a type")),
        }
    }

    /// A method found on the class of `inst` that is a plain function (the fast call path).
    /// Whether reading an attribute of `inst` may look in its own dict first: no property on
    /// its class could take precedence.
    pub(crate) fn reads_own_dict(&self, inst: &Instance) -> bool {
        !self.flags(&inst.class).properties
    }

    /// Whether setting an attribute of `inst` is a plain store in its own dict: its class has
    /// neither `__setattr__` nor properties, and it has no native half.
    pub(crate) fn writes_own_dict(&self, inst: &Instance) -> bool {
        let f = self.flags(&inst.class);
        !f.setattr && !f.properties && inst.native.borrow().is_none()
    }

    pub(crate) fn plain_method(&self, inst: &Instance, name: &Name) -> Option<Rc<Function>> {
        if inst.has_own(name) {
            return None;
        }
        // The class's cache, valid while no class changes (the generation `flags` also uses).
        let generation = self.class_generation.get();
        let cls = &inst.class;
        if let Some((_, g, f)) = cls.method_cache.borrow().iter().find(|(k, _, _)| Rc::ptr_eq(k, name))
            && *g == generation
        {
            return f.clone();
        }
        let found = match &lookup_user(cls, name) {
            Some(Value::Function(f)) => Some(f.clone()),
            _ => None,
        };
        let mut cache = cls.method_cache.borrow_mut();
        match cache.iter_mut().find(|(k, _, _)| Rc::ptr_eq(k, name)) {
            Some(entry) => *entry = (name.clone(), generation, found.clone()),
            None => {
                if cache.len() >= 32 {
                    cache.remove(0);
                }
                cache.push((name.clone(), generation, found.clone()));
            }
        }
        found
    }

    /// Attribute lookup without `__getattr__`: data descriptors, the instance dict, the class,
    /// then the native half.
    pub(crate) fn generic_getattr(&mut self, obj: &Value, name: &str) -> R<Option<Value>> {
        let (cls, dict_val) = match obj {
            Value::Instance(i) => (i.class.clone(), i.get(name)),
            Value::Exception(e) => {
                (e.typ.clone(), e.dict.borrow().iter().find(|(k, _)| &**k == name).map(|(_, v)| v.clone()))
            }
            _ => return Ok(None),
        };
        match name {
            "__class__" => return Ok(Some(Value::Type(cls))),
            "__dict__" => {
                let mut d = Dict::new();
                let items: Vec<(Name, Value)> = match obj {
                    Value::Instance(i) => i.dict.borrow().clone(),
                    Value::Exception(e) => e.dict.borrow().clone(),
                    _ => Vec::new(),
                };
                for (k, v) in items {
                    d.insert(Value::Str(k), v)?;
                }
                let d = Value::dict(d);
                if let (Value::Instance(i), Value::Dict(dr)) = (obj, &d) {
                    remember_snapshot(dr, i);
                }
                return Ok(Some(d));
            }
            _ => {}
        }
        let flags = self.flags(&cls);
        if !flags.properties
            && let Some(v) = dict_val
        {
            return Ok(Some(v));
        }
        let class_attr = lookup_user(&cls, name);
        if let Some(ca) = &class_attr
            && ca.downcast::<Property>().is_some()
        {
            return bind(ca, obj, &cls, self).map(Some);
        }
        if let Some(v) = dict_val {
            return Ok(Some(v));
        }
        if let Some(ca) = class_attr {
            return bind(&ca, obj, &cls, self).map(Some);
        }
        if let Value::Instance(i) = obj {
            let native = i.native.borrow().clone();
            if let Some(n) = native {
                return match self.get_attr(&n, name) {
                    Ok(v) => Ok(Some(v)),
                    Err(e) if e.py_type() == "AttributeError" => Ok(None),
                    Err(e) => Err(e),
                };
            }
        }
        Ok(None)
    }

    /// `obj.name` on an instance of a Python class.
    pub(crate) fn instance_getattr(&mut self, obj: &Value, name: &str) -> R<Option<Value>> {
        if let Some(v) = self.generic_getattr(obj, name)? {
            return Ok(Some(v));
        }
        if let Some(cls) = class_of(obj)
            && self.flags(&cls).getattr
            && let Some(ga) = lookup_user(&cls, "__getattr__")
        {
            return self.call_positional(&ga, vec![obj.clone(), Value::str(name)]).map(Some);
        }
        Ok(None)
    }

    /// `obj.name = value` without `__setattr__`: property setters, the native half, the dict.
    pub(crate) fn generic_setattr(&mut self, obj: &Value, name: &str, value: Value) -> R<()> {
        let Some(cls) = class_of(obj) else {
            return Err(no_attribute(obj, name));
        };
        if self.flags(&cls).properties
            && let Some(ca) = lookup_user(&cls, name)
            && let Some(p) = ca.downcast::<Property>()
        {
            if p.fset.is_none() {
                return Err(Exception::new(
                    "AttributeError",
                    format!("property '{name}' of '{}' object has no setter", cls.name),
                ));
            }
            let setter = p.fset.clone();
            self.call_positional(&setter, vec![obj.clone(), value])?;
            return Ok(());
        }
        match obj {
            Value::Instance(i) => {
                let native = i.native.borrow().clone();
                if let Some(Value::Native(n)) = &native
                    && n.set_attr(&Value::Native(n.clone()), name, value.clone(), self)?
                {
                    return Ok(());
                }
                i.set(name, value);
            }
            Value::Exception(e) => set_in(&mut e.dict.borrow_mut(), name, value),
            _ => {}
        }
        Ok(())
    }

    /// `obj.name = value` on an instance: through `__setattr__` when the class defines one.
    pub(crate) fn instance_setattr(&mut self, obj: &Value, name: &str, value: Value) -> R<()> {
        // The common write: a plain instance (no native half) of a class with neither
        // `__setattr__` nor properties stores straight into its dict.
        if let Value::Instance(i) = obj
            && self.writes_own_dict(i)
        {
            i.set(name, value);
            return Ok(());
        }
        if let Some(cls) = class_of(obj)
            && self.flags(&cls).setattr
            && let Some(sa) = lookup_user(&cls, "__setattr__")
        {
            self.call_positional(&sa, vec![obj.clone(), Value::str(name), value])?;
            return Ok(());
        }
        self.generic_setattr(obj, name, value)
    }

    pub(crate) fn instance_delattr(&mut self, obj: &Value, name: &str) -> R<()> {
        if let Some(cls) = class_of(obj)
            && let Some(da) = lookup_user(&cls, "__delattr__")
        {
            self.call_positional(&da, vec![obj.clone(), Value::str(name)])?;
            return Ok(());
        }
        let removed = match obj {
            Value::Instance(i) => i.remove(name),
            Value::Exception(e) => {
                let mut d = e.dict.borrow_mut();
                let n = d.len();
                d.retain(|(k, _)| &**k != name);
                d.len() != n
            }
            Value::Native(n) => n.del_attr(obj, name)?,
            _ => false,
        };
        if removed { Ok(()) } else { Err(no_attribute(obj, name)) }
    }

    /// A special method defined by the Python class of `v` (looked up on the type, as CPython does).
    pub(crate) fn dunder(&self, v: &Value, name: &str) -> Option<Value> {
        match v {
            Value::Instance(i) => lookup_user(&i.class, name),
            Value::Exception(e) if e.typ.is_user() => lookup_user(&e.typ, name),
            _ => None,
        }
    }

    /// Call `v.name(*args)` if the class of `v` defines it.
    pub(crate) fn call_dunder(&mut self, v: &Value, name: &str, args: Vec<Value>) -> R<Option<Value>> {
        let Some(f) = self.dunder(v, name) else { return Ok(None) };
        let mut pos = Vec::with_capacity(args.len() + 1);
        pos.push(v.clone());
        pos.extend(args);
        let cls = class_of(v);
        // staticmethod/classmethod dunders are rare; bind handles them, plain functions take self.
        if let (Value::Native(_), Some(cls)) = (&f, cls) {
            let bound = bind(&f, v, &cls, self)?;
            pos.remove(0);
            return self.call(&bound, Args::new(name, pos)).map(Some);
        }
        self.call(&f, Args::new(name, pos)).map(Some)
    }

    fn is_not_implemented(&self, v: &Value) -> bool {
        match (v, self.builtins.get("NotImplemented")) {
            (Value::Native(a), Some(Value::Native(b))) => Rc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// `a op b` through `__op__`/`__rop__`; None when neither operand's class handles it.
    pub(crate) fn instance_binary(&mut self, op: BinOp, a: &Value, b: &Value) -> R<Option<Value>> {
        let (fwd, rev, _) = binop_names(op);
        self.forward_then_reflected(a, fwd, b, rev)
    }

    /// `a.fwd(b)`, else `b.rev(a)`: Python's dispatch of binary operators and rich
    /// comparisons; NotImplemented from either side declines.
    fn forward_then_reflected(&mut self, a: &Value, fwd: &str, b: &Value, rev: &str) -> R<Option<Value>> {
        if let Some(v) = self.call_dunder(a, fwd, vec![b.clone()])?
            && !self.is_not_implemented(&v)
        {
            return Ok(Some(v));
        }
        if let Some(v) = self.call_dunder(b, rev, vec![a.clone()])?
            && !self.is_not_implemented(&v)
        {
            return Ok(Some(v));
        }
        Ok(None)
    }

    /// `a op= b` through `__iop__`.
    pub(crate) fn instance_inplace(&mut self, op: BinOp, a: &Value, b: &Value) -> R<Option<Value>> {
        let (_, _, inp) = binop_names(op);
        match self.call_dunder(a, inp, vec![b.clone()])? {
            Some(v) if !self.is_not_implemented(&v) => Ok(Some(v)),
            _ => Ok(None),
        }
    }

    /// Rich comparison through `__eq__`, `__lt__`, ... with the reflected fallback.
    pub(crate) fn instance_compare(&mut self, op: CmpOp, a: &Value, b: &Value) -> R<Option<Value>> {
        let (fwd, rev) = match op {
            CmpOp::Eq => ("__eq__", "__eq__"),
            CmpOp::Ne => ("__ne__", "__ne__"),
            CmpOp::Lt => ("__lt__", "__gt__"),
            CmpOp::Le => ("__le__", "__ge__"),
            CmpOp::Gt => ("__gt__", "__lt__"),
            CmpOp::Ge => ("__ge__", "__le__"),
            _ => return Ok(None),
        };
        if let Some(v) = self.forward_then_reflected(a, fwd, b, rev)? {
            return Ok(Some(v));
        }
        if op == CmpOp::Ne
            && (self.dunder(a, "__eq__").is_some() || self.dunder(b, "__eq__").is_some())
            && let Some(v) = self.instance_compare(CmpOp::Eq, a, b)?
        {
            return Ok(Some(Value::Bool(!self.truthy(&v)?)));
        }
        Ok(None)
    }

    pub(crate) fn instance_unary(&mut self, op: UnaryOp, v: &Value) -> R<Option<Value>> {
        let name = match op {
            UnaryOp::Neg => "__neg__",
            UnaryOp::Pos => "__pos__",
            UnaryOp::Invert => "__invert__",
            UnaryOp::Not => return Ok(None),
        };
        self.call_dunder(v, name, Vec::new())
    }

    /// `repr(v)` for instances: `__repr__`, else `<__main__.C object at 0x...>`.
    pub(crate) fn instance_repr(&mut self, v: &Value) -> R<String> {
        match &self.call_dunder(v, "__repr__", Vec::new())? {
            Some(Value::Str(s)) => Ok(s.to_string()),
            Some(other) => Err(Exception::type_error(format!(
                "__repr__ returned non-string (type {})",
                other.type_name()
            ))),
            // A class deriving from a native class (nn.Module) shows as its native half does.
            None => match v {
                Value::Instance(i) if i.native.borrow().is_some() => {
                    let native = i.native.borrow().clone().unwrap_or(Value::None);
                    self.repr(&native)
                }
                _ => Ok(v.repr()),
            },
        }
    }

    /// `str(v)` for instances: `__str__`, else `repr(v)`.
    pub(crate) fn instance_str(&mut self, v: &Value) -> R<String> {
        match &self.call_dunder(v, "__str__", Vec::new())? {
            Some(Value::Str(s)) => Ok(s.to_string()),
            Some(other) => Err(Exception::type_error(format!(
                "__str__ returned non-string (type {})",
                other.type_name()
            ))),
            None if matches!(v, Value::Exception(_)) => Ok(v.to_str()),
            None => self.instance_repr(v),
        }
    }
}

/// What a class's MRO defines that changes how attributes of its instances work.
#[derive(Clone, Copy, Default)]
pub struct ClassFlags {
    pub setattr: bool,
    pub getattr: bool,
    pub properties: bool,
}

/// The `NotImplemented` singleton binary special methods return to decline.
pub struct NotImplementedObj;

impl NativeObject for NotImplementedObj {
    fn type_name(&self) -> &str {
        "NotImplementedType"
    }

    fn repr(&self) -> String {
        "NotImplemented".into()
    }
}

/// An `obj.__dict__` snapshot and its instance, both weakly held.
type Snapshot = (std::rc::Weak<RefCell<Dict>>, std::rc::Weak<Instance>);

thread_local! {
    /// The `obj.__dict__` snapshots still alive, with their instances: `update` on one writes
    /// through to the instance (`self.__dict__.update(kwargs)`, a common idiom), as on CPython's
    /// live `__dict__`.
    static SNAPSHOTS: RefCell<Vec<Snapshot>> = const { RefCell::new(Vec::new()) };
}

fn remember_snapshot(d: &Rc<RefCell<Dict>>, inst: &Rc<Instance>) {
    SNAPSHOTS.with(|s| {
        let mut s = s.borrow_mut();
        s.retain(|(d, i)| d.strong_count() > 0 && i.strong_count() > 0);
        s.push((Rc::downgrade(d), Rc::downgrade(inst)));
    });
}

/// After `d.update(...)`: when `d` is an instance's `__dict__` snapshot, its string keys become
/// that instance's attributes (set directly, as CPython's dict update bypasses `__setattr__`).
pub(crate) fn write_through(d: &Rc<RefCell<Dict>>) {
    let inst = SNAPSHOTS.with(|s| {
        s.borrow()
            .iter()
            .find(|(w, _)| std::ptr::eq(w.as_ptr(), Rc::as_ptr(d)))
            .and_then(|(_, i)| i.upgrade())
    });
    if let Some(inst) = inst {
        for (k, v) in d.borrow().iter() {
            if let Value::Str(k) = k {
                inst.set(k, v.clone());
            }
        }
    }
}
