//! Runtime values: the Python object model the evaluator works on, with repr, equality and hashing.

use std::cell::RefCell;
use std::rc::Rc;

use super::ast::{FuncDef, Name};
use super::bigint;
use super::error::Exception;
use super::format::float_repr;
use super::interp::{Interpreter, Scope};
use super::native::{Args, NativeObject};

pub use super::ast::{NameHasher, NameMap};

/// A Python value. Containers share through `Rc` so aliasing behaves as in Python.
#[derive(Clone)]
pub enum Value {
    None,
    Ellipsis,
    Bool(bool),
    Int(i64),
    /// An int outside i64 (never one that fits: see `bigint::norm`).
    BigInt(Rc<num_bigint::BigInt>),
    Float(f64),
    Str(Rc<str>),
    List(Rc<RefCell<Vec<Value>>>),
    Tuple(Rc<Vec<Value>>),
    Dict(Rc<RefCell<Dict>>),
    Set(Rc<RefCell<Dict>>),
    Range(Rc<RangeVal>),
    Slice(Rc<[Value; 3]>),
    Function(Rc<Function>),
    Builtin(Rc<Builtin>),
    Module(Rc<Module>),
    Type(Rc<TypeObj>),
    Exception(Rc<ExcValue>),
    Iter(Rc<RefCell<IterState>>),
    Native(Rc<dyn NativeObject>),
    /// An instance of a class defined in Python.
    Instance(Rc<Instance>),
    /// A function bound to its receiver (`obj.method`).
    Method(Rc<BoundMethod>),
}

/// An instance of a user class: its class, its `__dict__` (insertion-ordered, few entries, so a
/// vector beats hashing), and the native object a native base class (nn.Module) made for it.
pub struct Instance {
    pub class: Rc<TypeObj>,
    pub dict: RefCell<Vec<(Name, Value)>>,
    pub native: RefCell<Option<Value>>,
}

impl Instance {
    pub fn get(&self, name: &str) -> Option<Value> {
        self.dict.borrow().iter().find(|(k, _)| &**k == name).map(|(_, v)| v.clone())
    }

    pub fn set(&self, name: &str, value: Value) {
        set_in(&mut self.dict.borrow_mut(), name, value);
    }

    /// Whether the instance's own dict binds `name` (which shadows a method of its class).
    pub fn has_own(&self, name: &super::ast::Name) -> bool {
        self.dict.borrow().iter().any(|(k, _)| Rc::ptr_eq(k, name) || **k == **name)
    }

    pub fn remove(&self, name: &str) -> bool {
        let mut d = self.dict.borrow_mut();
        let before = d.len();
        d.retain(|(k, _)| &**k != name);
        d.len() != before
    }
}

/// Append an int's decimal digits (ints are formatted on every `print`, `str` and f-string,
/// and `fmt`'s machinery costs several times this).
pub fn push_int(out: &mut String, i: i64) {
    let mut buf = [0u8; 20];
    let mut pos = buf.len();
    let mut n = i.unsigned_abs();
    loop {
        pos -= 1;
        buf[pos] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if i < 0 {
        out.push('-');
    }
    // The buffer holds ASCII digits only.
    out.push_str(std::str::from_utf8(&buf[pos..]).unwrap_or_default());
}

/// Insert or replace in an attribute vector.
pub fn set_in(d: &mut Vec<(Name, Value)>, name: &str, value: Value) {
    match d.iter_mut().find(|(k, _)| &**k == name) {
        Some(slot) => slot.1 = value,
        None => d.push((name.into(), value)),
    }
}

/// A callable bound to `this`: calling it prepends `this` to the arguments.
pub struct BoundMethod {
    pub this: Value,
    pub func: Value,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RangeVal {
    pub start: i64,
    pub stop: i64,
    pub step: i64,
}

impl RangeVal {
    /// The item count, saturated at i64::MAX (see `len_exact`).
    pub fn len(&self) -> i64 {
        i64::try_from(self.len_exact()).unwrap_or(i64::MAX)
    }

    /// The item count, which exceeds i64 for ranges spanning more than 2^63.
    pub fn len_exact(&self) -> i128 {
        let (lo, hi, st) = (self.start as i128, self.stop as i128, self.step as i128);
        if st > 0 {
            if hi > lo { (hi - lo + st - 1) / st } else { 0 }
        } else if lo > hi {
            (lo - hi - st - 1) / (-st)
        } else {
            0
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The i-th item (0 <= i < len): an item lies between the bounds, so it fits in i64 even
    /// where `i * step` alone would not.
    pub fn get(&self, i: i64) -> i64 {
        (self.start as i128 + i as i128 * self.step as i128) as i64
    }
}

/// A user-defined function (or lambda) with its evaluated defaults and enclosing scope.
pub struct Function {
    pub def: Rc<FuncDef>,
    /// One entry per parameter: its default value, if it has one.
    pub defaults: Vec<Option<Value>>,
    pub closure: Option<Rc<Scope>>,
    /// The class whose body defined this function, for zero-argument `super()`.
    pub owner: RefCell<Option<std::rc::Weak<TypeObj>>>,
    /// The frame of this function's last finished call, when nothing else held it: the next
    /// call reuses it with its function and closure already in place (see
    /// `Interpreter::new_frame`). It holds no locals and no strong reference to the class.
    pub spare: RefCell<Option<Rc<Scope>>>,
}

/// The Rust side of a builtin function or method.
pub type NativeFn = Rc<dyn Fn(&mut Interpreter, Args) -> Result<Value, Exception>>;

/// A builtin function, or a builtin method bound to `this`.
pub struct Builtin {
    pub name: Rc<str>,
    pub this: Option<Value>,
    pub f: NativeFn,
}

/// A module: a name and an attribute table.
pub struct Module {
    pub name: Rc<str>,
    pub attrs: RefCell<NameMap<Value>>,
}

impl Module {
    pub fn new(name: &str) -> Module {
        Module { name: name.into(), attrs: RefCell::new(NameMap::default()) }
    }

    pub fn set(&self, name: &str, value: Value) {
        self.attrs.borrow_mut().insert(name.into(), value);
    }

    pub fn get(&self, name: &str) -> Option<Value> {
        self.attrs.borrow().get(name).cloned()
    }
}

/// A class object. Builtin types, exception classes and native types are all `TypeObj`s.
pub struct TypeObj {
    pub name: Rc<str>,
    /// `module.` prefix in the repr (`<class 'torch.Tensor'>`); None for builtins.
    pub module: Option<Rc<str>>,
    pub base: Option<Rc<TypeObj>>,
    /// What calling the class does; None means the class is not callable.
    pub ctor: Option<NativeFn>,
    /// Class attributes (static methods, constants) for natives.
    pub attrs: RefCell<NameMap<Value>>,
    /// For user classes: the attribute flags of its MRO and the class generation they were
    /// computed in (see `Interpreter::flags`).
    pub flag_cache: std::cell::Cell<Option<(u64, super::classes::ClassFlags)>>,
    /// For user classes: what `obj.name(...)` call sites found for a name (the call site's own
    /// name string, compared by address) in a class generation: the plain function, if any.
    pub method_cache: RefCell<Vec<MethodCacheEntry>>,
}

/// A call site's name, the class generation, and the plain function found (if any).
pub type MethodCacheEntry = (Name, u64, Option<Rc<Function>>);

impl TypeObj {
    pub fn new(name: &str, base: Option<Rc<TypeObj>>, ctor: Option<NativeFn>) -> Rc<TypeObj> {
        Rc::new(TypeObj::build(name.into(), None, base, ctor, NameMap::default()))
    }

    /// Every type object is made here, so its caches start empty in one place.
    pub fn build(
        name: Rc<str>,
        module: Option<Rc<str>>,
        base: Option<Rc<TypeObj>>,
        ctor: Option<NativeFn>,
        attrs: NameMap<Value>,
    ) -> TypeObj {
        TypeObj {
            name,
            module,
            base,
            ctor,
            attrs: RefCell::new(attrs),
            flag_cache: Default::default(),
            method_cache: Default::default(),
        }
    }

    pub fn is_subclass_of(&self, other: &TypeObj) -> bool {
        if self.same(other) {
            return true;
        }
        if let Some(Value::Tuple(mro)) = self.attrs.borrow().get("__mro__") {
            return mro.iter().any(|b| matches!(b, Value::Type(b) if b.same(other)));
        }
        self.base.as_ref().is_some_and(|b| b.is_subclass_of(other))
    }

    fn same(&self, other: &TypeObj) -> bool {
        std::ptr::eq(self, other) || (self.name == other.name && self.module == other.module)
    }

    /// Whether this is the builtin (or a subclass named like the builtin) `name`, by name.
    pub fn is_named(&self, name: &str) -> bool {
        &*self.name == name
    }

    /// A class defined by a `class` statement (it carries its linearized bases).
    pub fn is_user(&self) -> bool {
        self.attrs.borrow().contains_key("__mro__")
    }

    /// The method resolution order, this class first.
    pub fn mro(self: &Rc<Self>) -> Vec<Rc<TypeObj>> {
        let mut out = vec![self.clone()];
        if let Some(Value::Tuple(mro)) = self.attrs.borrow().get("__mro__") {
            out.extend(mro.iter().filter_map(|b| match b {
                Value::Type(t) => Some(t.clone()),
                _ => None,
            }));
            return out;
        }
        let mut cur = self.base.clone();
        while let Some(t) = cur {
            cur = t.base.clone();
            out.push(t);
        }
        out
    }

    pub fn qualname(&self) -> String {
        // A nested class's `__qualname__` names its outer classes.
        let nested = self.attrs.try_borrow().ok().and_then(|a| match a.get("__qualname__") {
            Some(Value::Str(q)) if **q != *self.name => Some(q.clone()),
            _ => None,
        });
        let name = nested.as_deref().unwrap_or(&self.name);
        match &self.module {
            Some(m) => format!("{m}.{name}"),
            None => name.to_string(),
        }
    }
}

/// An exception instance, as seen by `except E as e`.
pub struct ExcValue {
    pub typ: Rc<TypeObj>,
    /// `e.args`; `super().__init__(msg)` in a user exception class replaces them.
    pub args: RefCell<Vec<Value>>,
    /// Attributes set on the instance (`self.code = code` in a user exception's `__init__`).
    pub dict: RefCell<Vec<(Name, Value)>>,
    /// The message of an exception raised by the interpreter or a native (already worded).
    pub display: Option<String>,
}

impl ExcValue {
    /// `str(e)`: empty, the single argument's str, or the args tuple's repr.
    pub fn message(&self) -> String {
        if let Some(d) = &self.display {
            return d.clone();
        }
        let args = self.args.borrow();
        if let Some(m) = super::exc_group::message(&args).filter(|_| super::exc_group::is_group_type(&self.typ)) {
            return m;
        }
        match args.len() {
            0 => String::new(),
            1 if self.typ.mro().iter().any(|t| t.is_named("KeyError") && t.module.is_none()) => args[0].repr(),
            1 => args[0].to_str(),
            _ => Value::Tuple(Rc::new(args.clone())).repr(),
        }
    }
}

/// The state of a builtin iterator.
pub enum IterState {
    Seq { seq: Value, idx: usize },
    Range { cur: i64, stop: i64, step: i64 },
    Items { items: Vec<Value>, idx: usize },
    Enumerate { inner: Value, count: i64 },
    Zip { inners: Vec<Value>, strict: bool },
    Map { func: Value, inners: Vec<Value> },
    Filter { func: Value, inner: Value },
    Reversed { seq: Value, idx: usize },
    /// A generator expression, run lazily: one iterator per active `for` clause, innermost last.
    GenExp { def: Rc<super::ast::CompDef>, scope: Option<Rc<Scope>>, iters: Vec<Value> },
    /// A suspended generator function (see `lang::generator`).
    Generator(Box<super::generator::GenState>),
    Done,
}

/// An insertion-ordered hash table keyed by Python equality; also backs `set`. Entries sit in
/// insertion order (holes where removed); the table maps hashes to entry positions.
#[derive(Clone, Default)]
pub struct Dict {
    entries: Vec<Option<Entry>>,
    index: hashbrown::HashTable<usize>,
    live: usize,
}

#[derive(Clone)]
struct Entry {
    hash: u64,
    key: Value,
    value: Value,
}

impl Dict {
    pub fn new() -> Dict {
        Dict::default()
    }

    /// A copy with each value (not key) replaced by `f`'s, or None if `f` fails once (a live
    /// preview's snapshot; keys keep their stored hashes, so they must be copied as themselves).
    pub(crate) fn try_map_values(&self, mut f: impl FnMut(&Value) -> Option<Value>) -> Option<Dict> {
        let mut out = self.clone();
        for e in out.entries.iter_mut().flatten() {
            e.value = f(&e.value)?;
        }
        Some(out)
    }

    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    fn find(&self, key: &Value, h: u64) -> Option<usize> {
        let entries = &self.entries;
        self.index
            .find(h, |&i| entries[i].as_ref().is_some_and(|e| e.hash == h && key_eq(&e.key, key)))
            .copied()
    }

    pub fn get(&self, key: &Value) -> Result<Option<Value>, Exception> {
        let h = hash_value(key)?;
        Ok(self.find(key, h).and_then(|i| self.entries[i].as_ref().map(|e| e.value.clone())))
    }

    pub fn contains(&self, key: &Value) -> Result<bool, Exception> {
        let h = hash_value(key)?;
        Ok(self.find(key, h).is_some())
    }

    pub fn insert(&mut self, key: Value, value: Value) -> Result<(), Exception> {
        let h = hash_value(&key)?;
        if let Some(i) = self.find(&key, h) {
            if let Some(e) = self.entries[i].as_mut() {
                e.value = value;
            }
            return Ok(());
        }
        let entries = &self.entries;
        self.index.insert_unique(h, entries.len(), |&i| entries[i].as_ref().map_or(0, |e| e.hash));
        self.entries.push(Some(Entry { hash: h, key, value }));
        self.live += 1;
        Ok(())
    }

    pub fn remove(&mut self, key: &Value) -> Result<Option<Value>, Exception> {
        let h = hash_value(key)?;
        let Some(i) = self.find(key, h) else { return Ok(None) };
        if let Ok(slot) = self.index.find_entry(h, |&j| j == i) {
            slot.remove();
        }
        self.live -= 1;
        let old = self.entries[i].take().map(|e| e.value);
        if self.entries.len() > 32 && self.live * 2 < self.entries.len() {
            self.compact();
        }
        Ok(old)
    }

    /// Drop the holes left by removals and rebuild the table.
    fn compact(&mut self) {
        self.entries.retain(Option::is_some);
        self.index.clear();
        let entries = &self.entries;
        for (i, e) in entries.iter().enumerate() {
            let h = e.as_ref().map_or(0, |e| e.hash);
            self.index.insert_unique(h, i, |&j| entries[j].as_ref().map_or(0, |e| e.hash));
        }
    }

    pub fn clear(&mut self) {
        *self = Dict::new();
    }

    /// Empties the dict, handing over its keys and values (for freeing without recursion).
    pub(crate) fn take_all(&mut self) -> Vec<Value> {
        let entries = std::mem::take(&mut self.entries);
        *self = Dict::new();
        entries.into_iter().flatten().flat_map(|e| [e.key, e.value]).collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Value, &Value)> {
        self.entries.iter().flatten().map(|e| (&e.key, &e.value))
    }

    pub fn keys(&self) -> Vec<Value> {
        self.iter().map(|(k, _)| k.clone()).collect()
    }

    pub fn values(&self) -> Vec<Value> {
        self.iter().map(|(_, v)| v.clone()).collect()
    }

    pub fn items(&self) -> Vec<(Value, Value)> {
        self.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    pub fn pop_last(&mut self) -> Option<(Value, Value)> {
        let i = self.entries.iter().rposition(Option::is_some)?;
        let k = self.entries[i].as_ref()?.key.clone();
        let v = self.remove(&k).ok().flatten()?;
        Some((k, v))
    }
}

/// Hash consistent with `key_eq`: 1, 1.0 and True hash alike.
/// The int or float an instance of a subclass of `int` or `float` holds (an `IntEnum` member):
/// it hashes, compares and computes as that number.
pub fn number_half(v: &Value) -> Option<Value> {
    let Value::Instance(i) = v else { return None };
    match &*i.native.borrow() {
        Some(h @ (Value::Int(_) | Value::BigInt(_) | Value::Float(_) | Value::Bool(_))) => Some(h.clone()),
        _ => None,
    }
}

pub fn hash_value(v: &Value) -> Result<u64, Exception> {
    use std::hash::{Hash, Hasher};
    if let Some(h) = number_half(v) {
        return hash_value(&h);
    }
    // Keys are hashed on every dict and set access; a multiply-rotate hash is several times
    // cheaper than SipHash, and hash flooding is no concern for a lesson's own data.
    let mut h = NameHasher::default();
    match v {
        Value::None => 0u8.hash(&mut h),
        Value::Ellipsis => 1u8.hash(&mut h),
        Value::Bool(b) => (*b as i64).hash(&mut h),
        // CPython's numeric hash: equal ints and floats (2**64 and 2.0**64) hash alike.
        Value::Int(i) => bigint::hash_i64(*i).hash(&mut h),
        Value::BigInt(b) => bigint::hash_big(b).hash(&mut h),
        Value::Float(f) => {
            if f.is_nan() {
                f.to_bits().hash(&mut h)
            } else {
                bigint::hash_f64(*f).hash(&mut h)
            }
        }
        Value::Str(s) => s.hash(&mut h),
        Value::Tuple(items) => {
            7u8.hash(&mut h);
            for i in items.iter() {
                hash_value(i)?.hash(&mut h);
            }
        }
        Value::Range(r) => (r.start, r.stop, r.step).hash(&mut h),
        Value::List(_) | Value::Dict(_) | Value::Set(_) | Value::Slice(_) => {
            return Err(Exception::new("TypeError", format!("unhashable type: '{}'", v.type_name())));
        }
        Value::Native(n) => match n.hash() {
            Some(x) => x.hash(&mut h),
            None => return Err(Exception::new("TypeError", format!("unhashable type: '{}'", n.type_name()))),
        },
        other => other.identity().hash(&mut h),
    }
    Ok(h.finish())
}

/// Equality for dict keys and `in`/`==` on builtin values. Natives compare by identity here;
/// the evaluator asks natives first when they are operands of `==`.
pub fn key_eq(a: &Value, b: &Value) -> bool {
    use Value::*;
    if matches!(a, Instance(_)) || matches!(b, Instance(_)) {
        let (ha, hb) = (number_half(a), number_half(b));
        if ha.is_some() || hb.is_some() {
            return key_eq(ha.as_ref().unwrap_or(a), hb.as_ref().unwrap_or(b));
        }
    }
    match (a, b) {
        (None, None) | (Ellipsis, Ellipsis) => true,
        (Bool(_) | Int(_) | BigInt(_) | Float(_), Bool(_) | Int(_) | BigInt(_) | Float(_)) => num_eq(a, b),
        (Str(x), Str(y)) => x == y,
        (List(x), List(y)) => {
            if Rc::ptr_eq(x, y) {
                return true;
            }
            let (x, y) = (x.borrow(), y.borrow());
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| key_eq(p, q))
        }
        (Tuple(x), Tuple(y)) => x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| key_eq(p, q)),
        (Dict(x), Dict(y)) | (Set(x), Set(y)) => {
            if Rc::ptr_eq(x, y) {
                return true;
            }
            let (x, y) = (x.borrow(), y.borrow());
            x.len() == y.len()
                && x.iter().all(|(k, v)| y.get(k).ok().flatten().is_some_and(|w| key_eq(v, &w)))
        }
        (Range(x), Range(y)) => {
            let (lx, ly) = (x.len(), y.len());
            lx == ly && (lx == 0 || (x.start == y.start && (lx == 1 || x.step == y.step)))
        }
        (Slice(x), Slice(y)) => x.iter().zip(y.iter()).all(|(p, q)| key_eq(p, q)),
        (Type(x), Type(y)) => Rc::ptr_eq(x, y) || (x.name == y.name && x.module == y.module),
        (Native(x), Native(y)) if !Rc::ptr_eq(x, y) => match (x.eq_key(b), x.key_identity(), y.key_identity()) {
            (Some(eq), _, _) => eq,
            (Option::None, Some(p), Some(q)) => p == q,
            _ => false,
        },
        _ => a.identity() == b.identity() && a.identity() != 0,
    }
}

fn num_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::BigInt(x), Value::BigInt(y)) => x == y,
        // Normalised: a big int never equals an i64.
        (Value::BigInt(_), Value::Int(_) | Value::Bool(_)) | (Value::Int(_) | Value::Bool(_), Value::BigInt(_)) => false,
        (Value::Float(f), o @ Value::BigInt(_)) | (o @ Value::BigInt(_), Value::Float(f)) => {
            bigint::cmp_int_float(o, *f) == Some(std::cmp::Ordering::Equal)
        }
        // Compare exactly: an i64 beyond 2^53 must not equal a float that merely rounds to it.
        (Value::Float(f), o) | (o, Value::Float(f)) => o.as_int().is_some_and(|i| int_float_eq(i, *f)),
        _ => a.as_int() == b.as_int(),
    }
}

fn int_float_eq(i: i64, f: f64) -> bool {
    f.fract() == 0.0 && (-9.223372036854776e18..9.223372036854776e18).contains(&f) && f as i64 == i
}

impl Value {
    pub fn str(s: &str) -> Value {
        Value::Str(s.into())
    }

    pub fn list(items: Vec<Value>) -> Value {
        let l = Rc::new(RefCell::new(items));
        super::cycles::track_list(&l);
        Value::List(l)
    }

    pub fn set(d: Dict) -> Value {
        let d = Rc::new(RefCell::new(d));
        super::cycles::track_dict(&d);
        Value::Set(d)
    }

    pub fn tuple(items: Vec<Value>) -> Value {
        Value::Tuple(Rc::new(items))
    }

    pub fn dict(d: Dict) -> Value {
        let d = Rc::new(RefCell::new(d));
        super::cycles::track_dict(&d);
        Value::Dict(d)
    }

    pub fn iter_items(items: Vec<Value>) -> Value {
        Value::Iter(Rc::new(RefCell::new(IterState::Items { items, idx: 0 })))
    }

    /// A builtin function value from a Rust closure.
    pub fn builtin(name: &str, f: impl Fn(&mut Interpreter, Args) -> Result<Value, Exception> + 'static) -> Value {
        Value::Builtin(Rc::new(Builtin { name: name.into(), this: None, f: Rc::new(f) }))
    }

    /// A method bound to `this`; the closure finds the receiver in `args.this`.
    pub fn method(
        this: Value,
        name: &str,
        f: impl Fn(&mut Interpreter, Args) -> Result<Value, Exception> + 'static,
    ) -> Value {
        Value::Builtin(Rc::new(Builtin { name: name.into(), this: Some(this), f: Rc::new(f) }))
    }

    pub fn native(obj: impl NativeObject) -> Value {
        Value::Native(Rc::new(obj))
    }

    /// The Python type name, as used in error messages.
    pub fn type_name(&self) -> String {
        match self {
            Value::None => "NoneType".into(),
            Value::Ellipsis => "ellipsis".into(),
            Value::Bool(_) => "bool".into(),
            Value::Int(_) | Value::BigInt(_) => "int".into(),
            Value::Float(_) => "float".into(),
            Value::Str(_) => "str".into(),
            Value::List(_) => "list".into(),
            Value::Tuple(_) => "tuple".into(),
            Value::Dict(_) => "dict".into(),
            Value::Set(_) => "set".into(),
            Value::Range(_) => "range".into(),
            Value::Slice(_) => "slice".into(),
            Value::Function(_) => "function".into(),
            Value::Builtin(_) => "builtin_function_or_method".into(),
            Value::Module(_) => "module".into(),
            Value::Type(_) => "type".into(),
            Value::Exception(e) => e.typ.name.to_string(),
            Value::Iter(it) => match &*it.borrow() {
                IterState::Seq { seq, .. } => format!("{}_iterator", seq.type_name()),
                IterState::Range { .. } => "range_iterator".into(),
                IterState::Items { .. } | IterState::GenExp { .. } | IterState::Generator(_) => "generator".into(),
                IterState::Enumerate { .. } => "enumerate".into(),
                IterState::Zip { .. } => "zip".into(),
                IterState::Map { .. } => "map".into(),
                IterState::Filter { .. } => "filter".into(),
                IterState::Reversed { .. } => "list_reverseiterator".into(),
                IterState::Done => "iterator".into(),
            },
            Value::Native(n) => n.type_name().to_string(),
            Value::Instance(i) => i.class.name.to_string(),
            Value::Method(_) => "method".into(),
        }
    }

    /// A pointer identity for `is` and `id()`; 0 for values compared by content.
    pub fn identity(&self) -> usize {
        match self {
            Value::List(r) => Rc::as_ptr(r) as *const u8 as usize,
            Value::Tuple(r) => Rc::as_ptr(r) as *const u8 as usize,
            Value::Dict(r) | Value::Set(r) => Rc::as_ptr(r) as *const u8 as usize,
            Value::Range(r) => Rc::as_ptr(r) as *const u8 as usize,
            Value::BigInt(r) => Rc::as_ptr(r) as *const u8 as usize,
            Value::Slice(r) => Rc::as_ptr(r) as *const u8 as usize,
            Value::Function(r) => Rc::as_ptr(r) as *const u8 as usize,
            Value::Builtin(r) => Rc::as_ptr(r) as *const u8 as usize,
            Value::Module(r) => Rc::as_ptr(r) as *const u8 as usize,
            Value::Type(r) => Rc::as_ptr(r) as *const u8 as usize,
            Value::Exception(r) => Rc::as_ptr(r) as *const u8 as usize,
            Value::Iter(r) => Rc::as_ptr(r) as *const u8 as usize,
            Value::Native(r) => Rc::as_ptr(r) as *const u8 as usize,
            Value::Instance(r) => Rc::as_ptr(r) as *const u8 as usize,
            Value::Method(r) => Rc::as_ptr(r) as *const u8 as usize,
            Value::Str(s) => s.as_ptr() as usize,
            _ => 0,
        }
    }

    /// `a is b`.
    pub fn is(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::None, Value::None) | (Value::Ellipsis, Value::Ellipsis) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            // CPython caches small ints; equal ints compare `is`-equal in the common cases.
            (Value::Int(a), Value::Int(b)) => a == b && (-5..=256).contains(a),
            (Value::Float(_), Value::Float(_)) => false,
            (Value::Str(a), Value::Str(b)) => Rc::ptr_eq(a, b) || (a == b && a.len() <= 1),
            (Value::Type(a), Value::Type(b)) => key_eq(&Value::Type(a.clone()), &Value::Type(b.clone())),
            (Value::Native(a), Value::Native(b)) => Rc::ptr_eq(a, b) || a.same_object(other),
            _ => {
                let (x, y) = (self.identity(), other.identity());
                x != 0 && x == y
            }
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Bool(b) => Some(*b as i64),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Bool(b) => Some(*b as i64 as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    pub fn is_none(&self) -> bool {
        matches!(self, Value::None)
    }

    /// `str(v)` for values whose str needs no interpreter (everything but natives' hooks).
    pub fn to_str(&self) -> String {
        match self {
            Value::Str(s) => s.to_string(),
            Value::Int(i) => {
                let mut out = String::new();
                push_int(&mut out, *i);
                out
            }
            Value::Exception(e) => e.message(),
            Value::Native(n) => n.str(),
            _ => self.repr(),
        }
    }

    /// `repr(v)`.
    pub fn repr(&self) -> String {
        let mut out = String::new();
        self.write_repr(&mut out, 0);
        out
    }

    fn write_repr(&self, out: &mut String, depth: usize) {
        if depth > 200 {
            out.push_str("...");
            return;
        }
        match self {
            Value::None => out.push_str("None"),
            Value::Ellipsis => out.push_str("Ellipsis"),
            Value::Bool(b) => out.push_str(if *b { "True" } else { "False" }),
            Value::Int(i) => push_int(out, *i),
            // Unlimited here (error messages); str()/repr() through the interpreter apply the limit.
            Value::BigInt(b) => out.push_str(&b.to_string()),
            Value::Float(f) => out.push_str(&float_repr(*f)),
            Value::Str(s) => out.push_str(&str_repr(s)),
            Value::List(l) => {
                let Ok(items) = l.try_borrow() else {
                    out.push_str("[...]");
                    return;
                };
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    if let Value::List(inner) = v
                        && Rc::ptr_eq(inner, l) {
                            out.push_str("[...]");
                            continue;
                        }
                    v.write_repr(out, depth + 1);
                }
                out.push(']');
            }
            Value::Tuple(t) => {
                out.push('(');
                for (i, v) in t.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    v.write_repr(out, depth + 1);
                }
                if t.len() == 1 {
                    out.push(',');
                }
                out.push(')');
            }
            Value::Dict(d) => {
                let Ok(d) = d.try_borrow() else {
                    out.push_str("{...}");
                    return;
                };
                out.push('{');
                for (i, (k, v)) in d.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    k.write_repr(out, depth + 1);
                    out.push_str(": ");
                    v.write_repr(out, depth + 1);
                }
                out.push('}');
            }
            Value::Set(s) => {
                let Ok(s) = s.try_borrow() else {
                    out.push_str("{...}");
                    return;
                };
                if s.is_empty() {
                    out.push_str("set()");
                    return;
                }
                out.push('{');
                for (i, (k, _)) in s.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    k.write_repr(out, depth + 1);
                }
                out.push('}');
            }
            Value::Range(r) => {
                if r.step == 1 {
                    out.push_str(&format!("range({}, {})", r.start, r.stop));
                } else {
                    out.push_str(&format!("range({}, {}, {})", r.start, r.stop, r.step));
                }
            }
            Value::Slice(s) => {
                out.push_str(&format!("slice({}, {}, {})", s[0].repr(), s[1].repr(), s[2].repr()));
            }
            Value::Function(f) => {
                out.push_str(&format!("<function {} at {:#x}>", f.def.name, self.identity()));
            }
            Value::Builtin(b) => match &b.this {
                Some(this) => out.push_str(&format!(
                    "<built-in method {} of {} object at {:#x}>",
                    b.name,
                    this.type_name(),
                    this.identity()
                )),
                None => out.push_str(&format!("<built-in function {}>", b.name)),
            },
            Value::Module(m) => out.push_str(&format!("<module '{}'>", m.name)),
            Value::Type(t) => out.push_str(&format!("<class '{}'>", t.qualname())),
            Value::Exception(e) => {
                let n = e.args.borrow().len();
                let args = Value::Tuple(Rc::new(e.args.borrow().clone())).repr();
                if n == 1 {
                    out.push_str(&format!("{}({})", e.typ.name, &args[1..args.len() - 2]));
                } else {
                    out.push_str(&format!("{}{}", e.typ.name, args));
                }
            }
            Value::Iter(_) => out.push_str(&format!("<{} object at {:#x}>", self.type_name(), self.identity())),
            Value::Native(n) => out.push_str(&n.repr()),
            Value::Instance(i) => {
                out.push_str(&format!("<{} object at {:#x}>", i.class.qualname(), self.identity()))
            }
            Value::Method(m) => {
                let fname = match &m.func {
                    Value::Function(f) => f.def.name.to_string(),
                    Value::Builtin(b) => b.name.to_string(),
                    other => other.type_name(),
                };
                out.push_str(&format!("<bound method {}.{fname} of ", m.this.type_name()));
                m.this.write_repr(out, depth + 1);
                out.push('>');
            }
        }
    }
}

/// Python's repr of a string: single quotes unless the text has ' and no ".
pub fn str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (0x80..0xa0).contains(&(c as u32)) => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if c.is_ascii() => out.push(c),
            // CPython escapes what `str.isprintable` rejects: the categories C* and Z* but ' '.
            c if matches!(super::unicodedata::category(c), "Cc" | "Cf" | "Cs" | "Co" | "Cn" | "Zl" | "Zp" | "Zs") => {
                let cp = c as u32;
                out.push_str(&if cp <= 0xff {
                    format!("\\x{cp:02x}")
                } else if cp <= 0xffff {
                    format!("\\u{cp:04x}")
                } else {
                    format!("\\U{cp:08x}")
                });
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}
