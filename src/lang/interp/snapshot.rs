//! Snapshots of an interpreter's state between cells, for a live preview that re-runs a lesson
//! from its first changed cell.
//!
//! Python containers are shared, mutable `Rc<RefCell<..>>`s, so a snapshot is a deep copy of
//! the value graph reachable from the globals, memoised by address: an object reached twice is
//! copied once, so aliasing (two names for one list, a cycle, a closure's cell) survives.
//! Tensors copy cheaply: a copy shares the immutable element storage, which the engine replaces
//! or copies on write, and a tensor's autograd graph is copied with it (`tensor::TensorCopier`).
//! Native objects (modules, optimizers, loaders...) copy themselves through the same [`Copier`]
//! (`NativeObject::snapshot`), so a parameter an optimizer and a module both hold is copied once.
//! What cannot be copied faithfully (hooks, a generator function suspended mid-body, a native
//! object without a copy rule) makes [`Interpreter::snapshot`] return None: that cell simply
//! gets no snapshot, and a later run starts from an earlier one.
//!
//! A snapshot is frozen: restoring copies it again, so it can be restored any number of times.
//! Builtin and native types, modules and builtin functions are immutable here and shared.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use super::super::classes::{ClassMethod, NotImplementedObj, Property, StaticMethod};
use super::super::torch::{PyGenerator, PyTensor};
use super::{Interpreter, Scope, Vars};
use crate::lang::ast::Name;
use crate::lang::value::{
    BoundMethod, Dict, ExcValue, Function, Instance, IterState, TypeObj, Value,
};
use crate::tensor::{Generator, TensorCopier};

/// The state of an interpreter after a cell: its globals, the default generator and grad mode.
pub struct Snapshot {
    globals: Vec<(Name, Value)>,
    /// What `torch.save` wrote so far (see `Interpreter::saved`).
    saved: Vec<(String, Option<Value>)>,
    rng: Option<Generator>,
    grad_enabled: bool,
    /// `torch.set_default_dtype`'s setting, lesson state like the generator.
    default_dtype: crate::tensor::DType,
    /// What the snapshot holds, roughly: tensor storages plus a small size per object.
    bytes: u64,
}

impl Snapshot {
    /// Roughly how much memory the snapshot keeps alive (storages it shares with live tensors
    /// are counted too: they stay alive as long as the snapshot does).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

/// About what one copied object costs beside its tensors' elements, and one item of a copied
/// list, tuple or dict (a `Value` is 16 bytes; allocator overhead and spare capacity add some).
const OBJECT_BYTES: u64 = 64;
const ITEM_BYTES: u64 = 24;

impl Interpreter {
    /// A deep copy of the state later cells can see, or None if some value cannot be copied.
    pub fn snapshot(&self) -> Option<Snapshot> {
        let mut c = Copier::default();
        let mut globals = Vec::new();
        for (name, &i) in self.globals.index.iter() {
            if let Some(v) = &self.globals.values[i as usize] {
                globals.push((i, name.clone(), c.value(v)?));
            }
        }
        globals.sort_by_key(|g| g.0);
        let mut saved = Vec::new();
        for (path, v) in &self.saved {
            let v = match v {
                Some(v) => Some(c.value(v)?),
                None => None,
            };
            saved.push((path.clone(), v));
        }
        let rng = super::super::torch::default_rng().map(|g| g.borrow().clone());
        let bytes = c.tensors.bytes() + c.objects * OBJECT_BYTES + c.items * ITEM_BYTES;
        Some(Snapshot {
            globals: globals.into_iter().map(|(_, n, v)| (n, v)).collect(),
            saved,
            rng,
            grad_enabled: crate::tensor::is_grad_enabled(),
            default_dtype: super::super::torch::default_dtype(),
            bytes,
        })
    }

    /// Puts this interpreter back in the state `s` recorded (`s` stays as it was).
    pub fn restore(&mut self, s: &Snapshot) {
        let mut c = Copier::default();
        for v in self.globals.values.iter_mut() {
            *v = None;
        }
        for (name, v) in &s.globals {
            // A snapshot holds only values it could copy, so copying again cannot fail.
            if let Some(v) = c.value(v) {
                self.globals.insert(name.clone(), v, &self.builtins);
            }
        }
        self.saved = s
            .saved
            .iter()
            .map(|(p, v)| (p.clone(), v.as_ref().and_then(|v| c.value(v))))
            .collect();
        if let (Some(g), Some(saved)) = (super::super::torch::default_rng(), &s.rng) {
            *g.borrow_mut() = saved.clone();
        }
        crate::tensor::set_grad_enabled(s.grad_enabled);
        super::super::torch::set_default_dtype(s.default_dtype);
        // Classes were replaced by copies: cached class flags and method lookups are stale.
        self.invalidate_class_flags();
        self.frame_pool.clear();
    }
}

/// A deep copier of values, memoised by address (see the module's doc). Native objects copy
/// themselves through it ([`crate::lang::native::NativeObject::snapshot`]).
#[derive(Default)]
pub struct Copier {
    /// Copies made so far, by the address of the original's allocation.
    done: HashMap<usize, Value>,
    scopes: HashMap<usize, Rc<Scope>>,
    tensors: TensorCopier,
    generators: HashMap<usize, Rc<RefCell<Generator>>>,
    objects: u64,
    items: u64,
    /// Classes and functions are shared, not copied, as pickle saves them by name
    /// (`torch.save`); tensors are copied as detached leaves.
    by_reference: bool,
}

fn addr<T: ?Sized>(rc: &Rc<T>) -> usize {
    Rc::as_ptr(rc) as *const u8 as usize
}

impl Copier {
    /// A copier for `torch.save`/`torch.load`: values are copied as pickle would round-trip
    /// them (classes and functions by reference, tensors without their graphs).
    pub fn pickling() -> Copier {
        Copier { by_reference: true, tensors: TensorCopier::detached(), ..Copier::default() }
    }

    /// The copy of `t` (its graph included), shared by every path that reaches `t`.
    pub fn tensor(&mut self, t: &crate::tensor::Tensor) -> Option<crate::tensor::Tensor> {
        self.tensors.copy(t)
    }

    /// The tensor copier, for natives that hold other handles on tensors (graph nodes).
    pub fn tensors(&mut self) -> &mut TensorCopier {
        &mut self.tensors
    }

    /// The copy of a generator; the default one is restored in place, so it is itself.
    pub fn generator(&mut self, g: &Rc<RefCell<Generator>>) -> Rc<RefCell<Generator>> {
        if super::super::torch::default_rng().is_some_and(|d| Rc::ptr_eq(&d, g)) {
            return g.clone();
        }
        self.generators
            .entry(addr(g))
            .or_insert_with(|| Rc::new(RefCell::new(g.borrow().clone())))
            .clone()
    }

    /// The copy of `v`, or None if something it holds cannot be copied.
    pub fn value(&mut self, v: &Value) -> Option<Value> {
        let key = match v {
            Value::None | Value::Ellipsis | Value::Bool(_) | Value::Int(_) | Value::Float(_) => {
                return Some(v.clone());
            }
            Value::BigInt(_)
            | Value::Str(_)
            | Value::Range(_)
            | Value::Builtin(_)
            | Value::Module(_) => {
                if let Value::Builtin(b) = v
                    && b.this.is_some()
                {
                    addr(b)
                } else {
                    return Some(v.clone());
                }
            }
            Value::Type(t) if !t.is_user() => return Some(v.clone()),
            Value::Type(_) | Value::Function(_) if self.by_reference => return Some(v.clone()),
            Value::List(r) => addr(r),
            Value::Tuple(r) => addr(r),
            Value::Dict(r) | Value::Set(r) => addr(r),
            Value::Slice(r) => addr(r),
            Value::Function(r) => addr(r),
            Value::Type(r) => addr(r),
            Value::Exception(r) => addr(r),
            Value::Iter(r) => addr(r),
            Value::Native(r) => addr(r),
            Value::Instance(r) => addr(r),
            Value::Method(r) => addr(r),
        };
        if let Some(done) = self.done.get(&key) {
            return Some(done.clone());
        }
        self.objects += 1;
        // Mutable containers are registered before their contents are copied, so a cycle
        // through them finds the copy; immutable ones (tuples) cannot be part of a cycle
        // without a mutable object on it, which breaks the cycle.
        let copy = match v {
            Value::List(r) => {
                let new = Rc::new(RefCell::new(Vec::new()));
                self.remember(key, Value::List(new.clone()));
                let items = r
                    .borrow()
                    .iter()
                    .map(|x| self.value(x))
                    .collect::<Option<Vec<_>>>()?;
                self.items += items.len() as u64;
                *new.borrow_mut() = items;
                return Some(Value::List(new));
            }
            Value::Dict(r) | Value::Set(r) => {
                let new = Rc::new(RefCell::new(Dict::new()));
                let wrapped = if matches!(v, Value::Dict(_)) {
                    Value::Dict(new.clone())
                } else {
                    Value::Set(new.clone())
                };
                self.remember(key, wrapped.clone());
                let d = r.borrow();
                if !d.keys().iter().all(is_plain) {
                    return None;
                }
                self.items += 2 * d.len() as u64;
                *new.borrow_mut() = d.try_map_values(|x| self.value(x))?;
                return Some(wrapped);
            }
            Value::Tuple(items) => Value::Tuple({
                self.items += items.len() as u64;
                Rc::new(
                    items
                        .iter()
                        .map(|x| self.value(x))
                        .collect::<Option<Vec<_>>>()?,
                )
            }),
            Value::Slice(s) => Value::Slice(Rc::new([
                self.value(&s[0])?,
                self.value(&s[1])?,
                self.value(&s[2])?,
            ])),
            Value::Builtin(b) => {
                let this = match &b.this {
                    Some(t) => Some(self.value(t)?),
                    None => None,
                };
                Value::Builtin(Rc::new(crate::lang::value::Builtin {
                    name: b.name.clone(),
                    this,
                    f: b.f.clone(),
                }))
            }
            Value::Function(f) => return self.function(key, f),
            Value::Type(t) => return self.class(key, t),
            Value::Exception(e) => {
                let new = Rc::new(ExcValue {
                    typ: self.type_ref(&e.typ)?,
                    args: RefCell::new(Vec::new()),
                    dict: RefCell::new(Vec::new()),
                    display: e.display.clone(),
                });
                self.remember(key, Value::Exception(new.clone()));
                *new.args.borrow_mut() = e
                    .args
                    .borrow()
                    .iter()
                    .map(|x| self.value(x))
                    .collect::<Option<_>>()?;
                *new.dict.borrow_mut() = self.attrs(&e.dict.borrow())?;
                return Some(Value::Exception(new));
            }
            Value::Instance(i) => {
                let new = Rc::new(Instance {
                    class: self.type_ref(&i.class)?,
                    dict: RefCell::new(Vec::new()),
                    native: RefCell::new(None),
                });
                self.remember(key, Value::Instance(new.clone()));
                *new.dict.borrow_mut() = self.attrs(&i.dict.borrow())?;
                let native = match &*i.native.borrow() {
                    Some(n) => Some(self.value(n)?),
                    None => None,
                };
                *new.native.borrow_mut() = native;
                return Some(Value::Instance(new));
            }
            Value::Method(m) => Value::Method(Rc::new(BoundMethod {
                this: self.value(&m.this)?,
                func: self.value(&m.func)?,
            })),
            Value::Iter(it) => {
                let new = Rc::new(RefCell::new(IterState::Done));
                self.remember(key, Value::Iter(new.clone()));
                let state = self.iter_state(&it.borrow())?;
                *new.borrow_mut() = state;
                return Some(Value::Iter(new));
            }
            Value::Native(_) => {
                let copy = self.native(v)?;
                // Copying the object's parts may have come back to it (a module's owner
                // instance holds the module): the copy made then is the one others hold.
                if let Some(done) = self.done.get(&key) {
                    return Some(done.clone());
                }
                copy
            }
            _ => return Some(v.clone()),
        };
        self.remember(key, copy.clone());
        Some(copy)
    }

    /// Notes `copy` as the copy of the object at `key`; a copy that can close a cycle is
    /// recorded for `lang::cycles` like any object the lesson makes.
    fn remember(&mut self, key: usize, copy: Value) {
        crate::lang::cycles::track_value(&copy);
        self.done.insert(key, copy);
    }

    fn attrs(&mut self, attrs: &[(Name, Value)]) -> Option<Vec<(Name, Value)>> {
        attrs
            .iter()
            .map(|(k, v)| Some((k.clone(), self.value(v)?)))
            .collect()
    }

    /// The copy of a class (itself when builtin).
    fn type_ref(&mut self, t: &Rc<TypeObj>) -> Option<Rc<TypeObj>> {
        match &self.value(&Value::Type(t.clone()))? {
            Value::Type(t) => Some(t.clone()),
            _ => None,
        }
    }

    fn class(&mut self, key: usize, t: &Rc<TypeObj>) -> Option<Value> {
        let base = match &t.base {
            Some(b) => Some(self.type_ref(b)?),
            None => None,
        };
        if let Some(done) = self.done.get(&key) {
            // The base's attributes led back here.
            return Some(done.clone());
        }
        let new = Rc::new(TypeObj::build(
            t.name.clone(),
            t.module.clone(),
            base,
            t.ctor.clone(),
            Default::default(),
        ));
        self.remember(key, Value::Type(new.clone()));
        let attrs: Vec<(Name, Value)> = t
            .attrs
            .borrow()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut copied = Vec::with_capacity(attrs.len());
        for (k, v) in attrs {
            copied.push((k, self.value(&v)?));
        }
        new.attrs.borrow_mut().extend(copied);
        Some(Value::Type(new))
    }

    fn function(&mut self, key: usize, f: &Rc<Function>) -> Option<Value> {
        let closure = match &f.closure {
            Some(s) => Some(self.scope(s)?),
            None => None,
        };
        if let Some(done) = self.done.get(&key) {
            return Some(done.clone());
        }
        let owner = match f.owner.borrow().as_ref().and_then(std::rc::Weak::upgrade) {
            Some(t) => Some(Rc::downgrade(&self.type_ref(&t)?)),
            None => None,
        };
        let defaults = f
            .defaults
            .iter()
            .map(|d| match d {
                Some(v) => self.value(v).map(Some),
                None => Some(None),
            })
            .collect::<Option<Vec<_>>>()?;
        if let Some(done) = self.done.get(&key) {
            return Some(done.clone());
        }
        let new = Rc::new(Function {
            def: f.def.clone(),
            defaults,
            closure,
            owner: RefCell::new(owner),
            spare: RefCell::new(None),
        });
        let new = Value::Function(new);
        self.remember(key, new.clone());
        Some(new)
    }

    /// A closure's scope: its locals are copied, its function shared (code is immutable).
    fn scope(&mut self, s: &Rc<Scope>) -> Option<Rc<Scope>> {
        let key = addr(s);
        if let Some(done) = self.scopes.get(&key) {
            return Some(done.clone());
        }
        if s.yielded.is_some() {
            return None;
        }
        let parent = match &s.parent {
            Some(p) => Some(self.scope(p)?),
            None => None,
        };
        let owner = match s.owner.as_ref().and_then(std::rc::Weak::upgrade) {
            Some(t) => Some(Rc::downgrade(&self.type_ref(&t)?)),
            None => None,
        };
        let new = Rc::new(Scope {
            slots: RefCell::new(Vec::new()),
            vars: RefCell::new(Vars::default()),
            func: s.func.clone(),
            parent,
            class_body: s.class_body,
            owner,
            yielded: None,
        });
        crate::lang::cycles::track_scope(&new);
        self.scopes.insert(key, new.clone());
        let slots: Vec<Option<Value>> = s.slots.borrow().clone();
        let slots = slots
            .iter()
            .map(|v| match v {
                Some(v) => self.value(v).map(Some),
                None => Some(None),
            })
            .collect::<Option<Vec<_>>>()?;
        *new.slots.borrow_mut() = slots;
        let vars: Vec<(Name, Value)> = s.vars.borrow().0.clone();
        new.vars.borrow_mut().0 = self.attrs(&vars)?;
        Some(new)
    }

    fn iter_state(&mut self, s: &IterState) -> Option<IterState> {
        Some(match s {
            IterState::Seq { seq, idx } => IterState::Seq {
                seq: self.value(seq)?,
                idx: *idx,
            },
            IterState::Range { cur, stop, step } => IterState::Range {
                cur: *cur,
                stop: *stop,
                step: *step,
            },
            IterState::Items { items, idx } => IterState::Items {
                items: items.iter().map(|x| self.value(x)).collect::<Option<_>>()?,
                idx: *idx,
            },
            IterState::Enumerate { inner, count } => IterState::Enumerate {
                inner: self.value(inner)?,
                count: *count,
            },
            IterState::Zip { inners, strict } => IterState::Zip {
                inners: inners
                    .iter()
                    .map(|x| self.value(x))
                    .collect::<Option<_>>()?,
                strict: *strict,
            },
            IterState::Map { func, inners } => IterState::Map {
                func: self.value(func)?,
                inners: inners
                    .iter()
                    .map(|x| self.value(x))
                    .collect::<Option<_>>()?,
            },
            IterState::Filter { func, inner } => IterState::Filter {
                func: self.value(func)?,
                inner: self.value(inner)?,
            },
            IterState::Reversed { seq, idx } => IterState::Reversed {
                seq: self.value(seq)?,
                idx: *idx,
            },
            IterState::Done => IterState::Done,
            IterState::GenExp { .. } | IterState::Generator(_) => return None,
        })
    }

    /// Natives with a copy rule: tensors, generators, descriptors; immutable ones are shared.
    fn native(&mut self, v: &Value) -> Option<Value> {
        if let Some(t) = v.downcast::<PyTensor>() {
            return Some(Value::native(PyTensor(self.tensors.copy(&t.0)?)));
        }
        if let Some(g) = v.downcast::<PyGenerator>() {
            // The default generator is restored in place, so its handles stay shared.
            if super::super::torch::default_rng().is_some_and(|d| Rc::ptr_eq(&d, &g.0)) {
                return Some(v.clone());
            }
            return Some(Value::native(PyGenerator(self.generator(&g.0))));
        }
        if let Some(p) = v.downcast::<Property>() {
            return Some(Value::native(Property {
                fget: self.value(&p.fget)?,
                fset: self.value(&p.fset)?,
            }));
        }
        if let Some(m) = v.downcast::<StaticMethod>() {
            return Some(Value::native(StaticMethod(self.value(&m.0)?)));
        }
        if let Some(m) = v.downcast::<ClassMethod>() {
            return Some(Value::native(ClassMethod(self.value(&m.0)?)));
        }
        if let Value::Native(n) = v
            && let Some(copy) = n.snapshot(self)
        {
            return Some(copy);
        }
        let immutable = v.downcast::<NotImplementedObj>().is_some()
            || matches!(
                v.type_name().as_str(),
                "dtype" | "device" | "Size" | "torch.dtype" | "torch.device" | "torch.Size"
            );
        immutable.then(|| v.clone())
    }
}

/// A dict key a copy can keep as it is: its hash does not depend on an object's identity.
fn is_plain(v: &Value) -> bool {
    match v {
        Value::None
        | Value::Ellipsis
        | Value::Bool(_)
        | Value::Int(_)
        | Value::BigInt(_)
        | Value::Float(_)
        | Value::Str(_) => true,
        Value::Tuple(items) => items.iter().all(is_plain),
        Value::Type(t) => !t.is_user(),
        _ => false,
    }
}
