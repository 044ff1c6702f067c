//! The native protocol: how Rust objects (torch tensors, modules, optimizers) live inside Python.
//!
//! A native object is any Rust type implementing [`NativeObject`], wrapped as
//! `Value::Native(Rc<dyn NativeObject>)`. Every hook has a default that behaves like a plain
//! Python object without that dunder method, with CPython's error wording, so a type implements
//! only what it supports. Hooks receive `this` (the `Value` wrapping the object, handy for
//! returning bound methods or `self`) and the interpreter (to call back into Python values).
//!
//! Builtin functions are `Value::Builtin`, made with [`Value::builtin`] (free function) or
//! [`Value::method`] (bound: the receiver arrives in `args.this`). Arguments come as [`Args`];
//! [`Args::bind`] matches them against a signature such as `&["input", "dim=", "*", "keepdim="]`
//! and produces CPython-worded TypeErrors. Modules are `Value::Module` built with
//! [`Module::new`](super::value::Module::new) and registered with `Interpreter::register_module`.
//! A native type visible to `isinstance` is a [`TypeObj`](super::value::TypeObj) whose `name`
//! (and `module`) match what the objects' `type_name` / `module_name` return.
//!
//! Natives raise [`Exception::new`]`(py_type, message)`; the evaluator attaches the span of the
//! call or operator. To consume Python data, natives call [`Interpreter::iterate`] (any iterable
//! to a `Vec<Value>`, e.g. `model.parameters()` handed to an optimizer), [`Interpreter::call`]
//! (call any callable), [`Interpreter::repr`]/[`Interpreter::to_str`]. A native iterator
//! implements `next`; a native iterable returns one from `iter` (or returns
//! `Value::iter_items(vec)` for an eager list).
//!
//! Natives must not hold a `RefCell` borrow of their own state across a call back into Python.
//!
//! ```ignore
//! struct Counter(Cell<i64>);
//! impl NativeObject for Counter {
//!     fn type_name(&self) -> &str { "Counter" }
//!     fn repr(&self) -> String { format!("Counter({})", self.0.get()) }
//!     fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> Result<Option<Value>, Exception> {
//!         Ok(match name {
//!             "value" => Some(Value::Int(self.0.get())),
//!             "bump" => Some(Value::method(this.clone(), "bump", |_, args| {
//!                 let [by] = args.bind(&["by=1"])?;
//!                 let c = args.this_native::<Counter>()?;
//!                 c.0.set(c.0.get() + by.map_or(Ok(1), |v| v.expect_int("by"))?);
//!                 Ok(Value::None)
//!             })),
//!             _ => None,
//!         })
//!     }
//!     fn binary_op(&self, _: &Value, op: Op, other: &Value, reflected: bool, _: &mut Interpreter)
//!         -> Result<Option<Value>, Exception> {
//!         match (op, other) {
//!             (Op::Add, Value::Int(i)) => Ok(Some(Value::Int(self.0.get() + i))),
//!             _ => Ok(None), // NotImplemented: Python tries the other operand, then TypeError
//!         }
//!     }
//! }
//! let m = Module::new("counters");
//! m.set("Counter", Value::builtin("Counter", |_, args| {
//!     let [start] = args.bind(&["start=0"])?;
//!     Ok(Value::native(Counter(Cell::new(start.map_or(Ok(0), |v| v.expect_int("start"))?))))
//! }));
//! interp.register_module("counters", Value::Module(Rc::new(m)));
//! ```

use std::any::Any;
use std::rc::Rc;

use super::ast::{BinOp, Name, UnaryOp};
use super::error::Exception;
use super::interp::Interpreter;
use super::value::Value;

/// Operators a native may implement. Comparisons come through here too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Bin(BinOp),
    /// `a op= b`: return `Ok(None)` to fall back to `a = a op b`.
    InPlace(BinOp),
    Lt,
    Le,
    Eq,
    Ne,
    Gt,
    Ge,
}

/// A Rust object living inside Python. See the module docs for the contract.
pub trait NativeObject: Any {
    /// The Python type name (`Tensor`), used in error messages and `type()`.
    fn type_name(&self) -> &str;

    /// A deep copy for a snapshot of the interpreter's state, made through `c` so that what
    /// the object shares with others stays shared among the copies; None when the object
    /// cannot be copied faithfully (the cell then gets no snapshot).
    fn snapshot(&self, _c: &mut crate::lang::interp::Copier) -> Option<Value> {
        None
    }

    /// The module of the type for `type(x)` reprs (`torch`); None for none.
    fn module_name(&self) -> Option<&str> {
        None
    }

    /// Python's `__index__`, for objects used as list, tuple or string indices and slice
    /// bounds: None when the type has none (the caller raises its own TypeError), Some(Err)
    /// with the message of the TypeError `__index__` itself raises.
    fn index(&self) -> Option<Result<i64, String>> {
        None
    }

    fn repr(&self) -> String {
        format!("<{} object>", self.type_name())
    }

    fn str(&self) -> String {
        self.repr()
    }

    /// `repr(this)` when it needs the interpreter (to call Python code, such as a module's
    /// `extra_repr` or its children's `__repr__`); `Ok(None)` uses `repr`.
    fn repr_in(&self, _this: &Value, _interp: &mut Interpreter) -> Result<Option<String>, Exception> {
        Ok(None)
    }

    /// `str(this)` when it needs the interpreter; `Ok(None)` uses `str`.
    fn str_in(&self, _this: &Value, _interp: &mut Interpreter) -> Result<Option<String>, Exception> {
        Ok(None)
    }

    /// `this.name`; `Ok(None)` means no such attribute (the evaluator raises AttributeError).
    fn get_attr(&self, _this: &Value, _name: &str, _interp: &mut Interpreter) -> Result<Option<Value>, Exception> {
        Ok(None)
    }

    /// `this.name = value`; `Ok(false)` means not settable (AttributeError).
    fn set_attr(&self, _this: &Value, _name: &str, _value: Value, _interp: &mut Interpreter) -> Result<bool, Exception> {
        Ok(false)
    }

    /// `del this.name` / `delattr(this, name)`; `Ok(false)` means no such attribute.
    fn del_attr(&self, _this: &Value, _name: &str) -> Result<bool, Exception> {
        Ok(false)
    }

    /// The function this callable wraps (`functools.wraps`'s `__wrapped__`): a class holding
    /// the wrapper makes that function its method, naming it `Class.name` in errors.
    fn wrapped(&self) -> Option<Value> {
        None
    }

    /// `this(*args, **kwargs)`; `Ok(None)` means not callable.
    fn call(&self, _this: &Value, _args: Args, _interp: &mut Interpreter) -> Result<Option<Value>, Exception> {
        Ok(None)
    }

    /// `this op other` (or `other op this` when `reflected`). `Ok(None)` is NotImplemented.
    fn binary_op(
        &self,
        _this: &Value,
        _op: Op,
        _other: &Value,
        _reflected: bool,
        _interp: &mut Interpreter,
    ) -> Result<Option<Value>, Exception> {
        Ok(None)
    }

    /// `-this`, `+this`, `~this` (`not` is decided by `truthy`). `Ok(None)`: unsupported.
    fn unary_op(&self, _this: &Value, _op: UnaryOp, _interp: &mut Interpreter) -> Result<Option<Value>, Exception> {
        Ok(None)
    }

    /// `this[key]`; `Ok(None)`: not subscriptable.
    fn get_item(&self, _this: &Value, _key: &Value, _interp: &mut Interpreter) -> Result<Option<Value>, Exception> {
        Ok(None)
    }

    /// `this[key] = value`; `Ok(false)`: no item assignment.
    fn set_item(&self, _this: &Value, _key: &Value, _value: Value, _interp: &mut Interpreter) -> Result<bool, Exception> {
        Ok(false)
    }

    /// `len(this)`; `Ok(None)`: has no len().
    fn len(&self, _interp: &mut Interpreter) -> Result<Option<usize>, Exception> {
        Ok(None)
    }

    /// `iter(this)`: an iterator value (this itself, a native iterator, or `Value::iter_items`).
    fn iter(&self, _this: &Value, _interp: &mut Interpreter) -> Result<Option<Value>, Exception> {
        Ok(None)
    }

    /// For native iterators: the next item, `Ok(None)` when exhausted.
    fn next(&self, _interp: &mut Interpreter) -> Result<Option<Value>, Exception> {
        Err(Exception::type_error(format!("'{}' object is not an iterator", self.type_name())))
    }

    /// `bool(this)`; `Ok(None)` falls back to `len() != 0`, then True.
    fn truthy(&self, _interp: &mut Interpreter) -> Result<Option<bool>, Exception> {
        Ok(None)
    }

    /// `format(this, spec)`; `Ok(None)` means: str() for an empty spec, TypeError otherwise.
    fn format(&self, _this: &Value, _spec: &str, _interp: &mut Interpreter) -> Result<Option<String>, Exception> {
        Ok(None)
    }

    /// The object this handle stands for, when several native handles are one Python object
    /// (a tensor handed out again by `parameters()`): dict keys with the same one are equal.
    /// Default: None, the handle itself.
    fn key_identity(&self) -> Option<usize> {
        None
    }

    /// A hash for use as a dict key. Default: identity. Return None to be unhashable.
    fn hash(&self) -> Option<u64> {
        Some(self as *const Self as *const u8 as usize as u64)
    }

    /// `with this as x:` enter; `Ok(None)`: not a context manager.
    fn enter(&self, _this: &Value, _interp: &mut Interpreter) -> Result<Option<Value>, Exception> {
        Ok(None)
    }

    /// `with` exit; `exc` is the exception leaving the block, if any. Return true to swallow it.
    fn exit(&self, _this: &Value, _exc: Option<&Exception>, _interp: &mut Interpreter) -> Result<bool, Exception> {
        Ok(false)
    }

    /// The Python number this object converts to for `int()` and `float()` (a one-element
    /// tensor, say). `Ok(None)`: not convertible (TypeError).
    fn as_number(&self, _interp: &mut Interpreter) -> Result<Option<Value>, Exception> {
        Ok(None)
    }

    /// Called once when this object becomes the native half of an instance of a Python class
    /// deriving from a native class (`class Net(nn.Module)`), so it can find its Python half
    /// (e.g. to call the subclass's `forward` or name the subclass in its repr).
    fn adopt(&self, _instance: &Value) {}

    /// Whether `other`, another native value, is the same Python object as this one
    /// (`is`): a tensor handed out twice is one object in PyTorch, as its TensorImpl keeps
    /// its Python object.
    fn same_object(&self, _other: &Value) -> bool {
        false
    }

    /// `item in this`; `Ok(None)` searches what `iter` gives, comparing with `==`.
    fn contains(&self, _item: &Value, _interp: &mut Interpreter) -> Result<Option<bool>, Exception> {
        Ok(None)
    }

    /// Equality as a dict key or set item with another native value (bytes, frozenset), when
    /// it is by content; None compares by identity (`key_identity`).
    fn eq_key(&self, _other: &Value) -> Option<bool> {
        None
    }

    /// For `isinstance(this, cls)` with native classes: default compares `type_name`.
    fn is_instance_of(&self, type_name: &str) -> bool {
        self.type_name() == type_name
    }
}

/// Call arguments for builtins and natives.
pub struct Args {
    /// The function's name, for error messages.
    pub fname: Rc<str>,
    /// The receiver of a bound method.
    pub this: Option<Value>,
    pub pos: Vec<Value>,
    pub kw: Vec<(Name, Value)>,
}

impl Args {
    pub fn new(fname: &str, pos: Vec<Value>) -> Args {
        Args { fname: fname.into(), this: None, pos, kw: Vec::new() }
    }

    /// Bind to a signature: `"x"` required, `"x="` optional, `"*"` makes the rest keyword-only,
    /// `"/"` makes the preceding positional-only. Missing optional parameters are None.
    pub fn bind<const N: usize>(&self, sig: &[&str]) -> Result<[Option<Value>; N], Exception> {
        let mut out: [Option<Value>; N] = std::array::from_fn(|_| None);
        // The common call, positional arguments only and no markers, binds without allocating.
        if self.kw.is_empty()
            && sig.len() == N
            && self.pos.len() <= N
            && sig.iter().all(|s| *s != "*" && *s != "/")
            && sig[self.pos.len()..].iter().all(|s| s.ends_with('='))
        {
            for (o, v) in out.iter_mut().zip(&self.pos) {
                *o = Some(v.clone());
            }
            return Ok(out);
        }
        let f = &self.fname;
        let mut slots: Vec<(&str, bool, bool, bool)> = Vec::new(); // name, optional, kwonly, posonly
        let mut kwonly = false;
        for s in sig {
            match *s {
                "*" => kwonly = true,
                "/" => {
                    for sl in slots.iter_mut() {
                        sl.3 = true;
                    }
                }
                s => {
                    let (name, opt) = match s.strip_suffix('=') {
                        Some(n) => (n, true),
                        None => (s, false),
                    };
                    slots.push((name, opt, kwonly, false));
                }
            }
        }
        // `slots` and `out` line up except for the markers, which are not slots.
        let positional: Vec<usize> = (0..slots.len()).filter(|&i| !slots[i].2).collect();
        if self.pos.len() > positional.len() {
            let req = positional.iter().filter(|&&i| !slots[i].1).count();
            let takes = if req == positional.len() {
                format!("{} positional argument{}", req, if req == 1 { "" } else { "s" })
            } else {
                format!("from {} to {} positional arguments", req, positional.len())
            };
            return Err(Exception::type_error(format!(
                "{f}() takes {takes} but {} {} given",
                self.pos.len(),
                if self.pos.len() == 1 { "was" } else { "were" }
            )));
        }
        if slots.len() != N {
            return Err(Exception::runtime_error(format!("{f}(): internal signature mismatch")));
        }
        let mut filled: Vec<Option<Value>> = vec![None; slots.len()];
        for (v, &i) in self.pos.iter().zip(&positional) {
            filled[i] = Some(v.clone());
        }
        for (k, v) in &self.kw {
            // PyTorch's argument parser takes NumPy's names for `dim` and `keepdim` too.
            let alias = match &**k {
                "axis" => "dim",
                "keepdims" => "keepdim",
                other => other,
            };
            let Some(i) = slots.iter().position(|s| s.0 == &**k && !s.3).or_else(|| slots.iter().position(|s| s.0 == alias && !s.3)) else {
                return Err(Exception::type_error(format!("{f}() got an unexpected keyword argument '{k}'")));
            };
            if filled[i].is_some() {
                return Err(Exception::type_error(format!("{f}() got multiple values for argument '{k}'")));
            }
            filled[i] = Some(v.clone());
        }
        let missing: Vec<&str> =
            slots.iter().zip(&filled).filter(|(s, v)| !s.1 && v.is_none()).map(|(s, _)| s.0).collect();
        if !missing.is_empty() {
            let kind = if slots.iter().any(|s| s.0 == missing[0] && s.2) { "keyword-only" } else { "positional" };
            return Err(Exception::type_error(format!(
                "{f}() missing {} required {kind} argument{}: {}",
                missing.len(),
                if missing.len() == 1 { "" } else { "s" },
                join_names(&missing)
            )));
        }
        for (o, v) in out.iter_mut().zip(filled) {
            *o = v;
        }
        Ok(out)
    }

    /// No keyword arguments allowed (CPython's wording for C functions).
    pub fn no_kwargs(&self) -> Result<(), Exception> {
        if self.kw.is_empty() {
            Ok(())
        } else {
            Err(Exception::type_error(format!("{}() takes no keyword arguments", self.fname)))
        }
    }

    /// The receiver of a bound method, downcast to a native type.
    pub fn this_native<T: NativeObject>(&self) -> Result<&T, Exception> {
        match &self.this {
            Some(Value::Native(n)) => {
                let any: &dyn Any = &**n;
                any.downcast_ref::<T>()
                    .ok_or_else(|| Exception::type_error(format!("{}() called on the wrong object", self.fname)))
            }
            _ => Err(Exception::type_error(format!("{}() needs a receiver", self.fname))),
        }
    }
}

fn join_names(names: &[&str]) -> String {
    let q: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
    match q.len() {
        1 => q[0].clone(),
        2 => format!("{} and {}", q[0], q[1]),
        _ => format!("{}, and {}", q[..q.len() - 1].join(", "), q[q.len() - 1]),
    }
}

impl Value {
    /// Downcast a native value to its Rust type.
    pub fn downcast<T: NativeObject>(&self) -> Option<&T> {
        match self {
            Value::Native(n) => {
                let any: &dyn Any = &**n;
                any.downcast_ref::<T>()
            }
            _ => None,
        }
    }

    /// An int argument (bools count), with CPython's TypeError otherwise.
    /// `_what` names the parameter for callers' readability; CPython's message omits it.
    pub fn expect_int(&self, _what: &str) -> Result<i64, Exception> {
        if let Value::BigInt(_) = self {
            return Err(Exception::new("OverflowError", "Python int too large to convert to C ssize_t"));
        }
        self.as_int().ok_or_else(|| {
            Exception::type_error(format!("'{}' object cannot be interpreted as an integer", self.type_name()))
        })
    }

    /// A float argument (ints and bools convert).
    pub fn expect_f64(&self, _what: &str) -> Result<f64, Exception> {
        if let Value::BigInt(b) = self {
            return super::bigint::to_f64(b);
        }
        self.as_f64().ok_or_else(|| Exception::type_error(format!("must be real number, not {}", self.type_name())))
    }
}
