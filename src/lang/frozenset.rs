//! `frozenset`: an immutable, hashable set. It wraps a real set, so membership, iteration
//! order and the set algebra are the set's; results take the type of the left operand, as in
//! CPython (`frozenset | set` is a frozenset, `set | frozenset` a set).

use std::rc::Rc;

use super::ast::{BinOp, CmpOp};
use super::native::{Args, NativeObject, Op};
use super::value::{Dict, TypeObj, Value, hash_value, key_eq};
use super::{Exception, Interpreter};

type R<T> = Result<T, Exception>;

pub(crate) struct FrozenSet {
    /// Always a `Value::Set`, never changed after construction.
    inner: Value,
}

impl FrozenSet {
    fn dict(&self) -> std::cell::Ref<'_, Dict> {
        match &self.inner {
            Value::Set(d) => d.borrow(),
            _ => unreachable!("a frozenset wraps a set"),
        }
    }
}

fn wrap(set: Value) -> Value {
    Value::native(FrozenSet { inner: set })
}

/// The set inside a set or frozenset operand.
fn set_of(v: &Value) -> Option<Value> {
    match v {
        Value::Set(_) => Some(v.clone()),
        _ => v.downcast::<FrozenSet>().map(|f| f.inner.clone()),
    }
}

fn construct(it: &mut Interpreter, args: Args) -> R<Value> {
    let [src] = args.bind(&["iterable=", "/"])?;
    let Some(src) = src else {
        return Ok(wrap(Value::set(Dict::new())));
    };
    // frozenset(f) is f itself: it cannot change.
    if src.downcast::<FrozenSet>().is_some() {
        return Ok(src);
    }
    let mut d = Dict::new();
    for v in it.iterate(&src)? {
        d.insert(v, Value::None)?;
    }
    Ok(wrap(Value::set(d)))
}

impl NativeObject for FrozenSet {
    fn type_name(&self) -> &str {
        "frozenset"
    }
    fn snapshot(&self, c: &mut super::interp::Copier) -> Option<Value> {
        Some(wrap(c.value(&self.inner)?))
    }
    fn repr(&self) -> String {
        if self.dict().is_empty() {
            return "frozenset()".into();
        }
        format!("frozenset({})", self.inner.repr())
    }
    fn len(&self, _: &mut Interpreter) -> R<Option<usize>> {
        Ok(Some(self.dict().len()))
    }
    fn truthy(&self, _: &mut Interpreter) -> R<Option<bool>> {
        Ok(Some(!self.dict().is_empty()))
    }
    fn iter(&self, _: &Value, it: &mut Interpreter) -> R<Option<Value>> {
        it.iter(&self.inner).map(Some)
    }
    fn contains(&self, item: &Value, _: &mut Interpreter) -> R<Option<bool>> {
        self.dict().contains(item).map(Some)
    }
    fn hash(&self) -> Option<u64> {
        // Order-independent: each item's hash mixed (as CPython's frozenset hash does), then
        // combined by xor. Items are hashable, as they sit in a set.
        let mut h = 1927868237u64.wrapping_mul(self.dict().len() as u64 + 1);
        for (k, _) in self.dict().iter() {
            let x = hash_value(k).unwrap_or(0);
            h ^= (x ^ (x << 16) ^ 89869747).wrapping_mul(3644798167);
        }
        Some(h)
    }
    fn eq_key(&self, other: &Value) -> Option<bool> {
        other
            .downcast::<FrozenSet>()
            .map(|o| key_eq(&self.inner, &o.inner))
    }
    fn binary_op(
        &self,
        _: &Value,
        op: Op,
        other: &Value,
        reflected: bool,
        it: &mut Interpreter,
    ) -> R<Option<Value>> {
        let Some(o) = set_of(other) else {
            return Ok(None);
        };
        let (a, b) = if reflected {
            (o, self.inner.clone())
        } else {
            (self.inner.clone(), o)
        };
        let cmp = |op| Some(op);
        let cmp_op = match op {
            Op::Eq => cmp(CmpOp::Eq),
            Op::Ne => cmp(CmpOp::Ne),
            Op::Lt => cmp(CmpOp::Lt),
            Op::Le => cmp(CmpOp::Le),
            Op::Gt => cmp(CmpOp::Gt),
            Op::Ge => cmp(CmpOp::Ge),
            _ => None,
        };
        if let Some(c) = cmp_op {
            return it.compare(c, &a, &b).map(Some);
        }
        match op {
            Op::Bin(bop @ (BinOp::BitOr | BinOp::BitAnd | BinOp::Sub | BinOp::BitXor)) => {
                let r = it.binary(bop, &a, &b)?;
                Ok(Some(if reflected { r } else { wrap(r) }))
            }
            _ => Ok(None),
        }
    }
    fn get_attr(&self, this: &Value, name: &str, it: &mut Interpreter) -> R<Option<Value>> {
        Ok(match name {
            "union"
            | "intersection"
            | "difference"
            | "symmetric_difference"
            | "issubset"
            | "issuperset"
            | "isdisjoint" => {
                let f = it.get_attr(&self.inner, name)?;
                let wraps = !name.starts_with("is");
                Some(Value::method(this.clone(), name, move |it, args| {
                    let r = it.call(
                        &f,
                        Args {
                            fname: args.fname.clone(),
                            this: None,
                            pos: args.pos,
                            kw: args.kw,
                        },
                    )?;
                    Ok(if wraps { wrap(r) } else { r })
                }))
            }
            "copy" => {
                let me = this.clone();
                Some(Value::method(
                    this.clone(),
                    name,
                    move |_, _| Ok(me.clone()),
                ))
            }
            _ => None,
        })
    }
}

/// Registers `frozenset` as a builtin type.
pub(crate) fn install(it: &mut Interpreter) {
    let ctor: super::value::NativeFn = Rc::new(construct);
    let t = TypeObj::new("frozenset", it.types.get("object").cloned(), Some(ctor));
    it.types.insert("frozenset", t.clone());
    it.builtins.insert("frozenset".into(), Value::Type(t));
}
