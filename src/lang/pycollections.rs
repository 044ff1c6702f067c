//! `collections.defaultdict`, `Counter`, `OrderedDict` and `deque`, as NLP tutorials build
//! vocabularies (`counts = defaultdict(int)`, `Counter(tokens).most_common(10)`) and
//! reinforcement-learning ones keep a replay memory (`deque([], maxlen=10000)`).
//!
//! A defaultdict, Counter or OrderedDict wraps a real dict: its methods, iteration and printing
//! are the dict's; a missing key read with `d[key]` is filled from the factory first (a Counter
//! answers 0 and stores nothing). `isinstance(d, dict)` is True, as for CPython's subclasses;
//! `type(d)` is not a subclass of `dict` here (docs/divergences.md). An OrderedDict adds
//! `move_to_end`, `popitem(last=)`, its `OrderedDict([...])` repr and order-sensitive equality.

use std::cell::RefCell;
use std::collections::VecDeque;

use super::native::{Args, NativeObject, Op};
use super::ast::{BinOp, CmpOp};
use super::value::{Dict, key_eq};
use super::{Exception, Interpreter, Value};

type R<T> = Result<T, Exception>;

pub(crate) struct DefaultDict {
    /// The default factory; for a Counter, None.
    factory: Value,
    /// Always a `Value::Dict`.
    inner: Value,
    counter: bool,
    ordered: bool,
}

impl DefaultDict {
    fn dict(&self) -> &std::rc::Rc<RefCell<Dict>> {
        match &self.inner {
            Value::Dict(d) => d,
            _ => unreachable!("a defaultdict wraps a dict"),
        }
    }
}

pub(crate) fn defaultdict(it: &mut Interpreter, args: Args) -> R<Value> {
    let factory = args.pos.first().cloned().unwrap_or(Value::None);
    if matches!(
        factory,
        Value::Int(_)
            | Value::Float(_)
            | Value::Bool(_)
            | Value::Str(_)
            | Value::List(_)
            | Value::Tuple(_)
            | Value::Dict(_)
    ) {
        return Err(Exception::type_error(
            "first argument must be callable or None",
        ));
    }
    let d = init_dict(it, args.pos.get(1), &args.kw)?;
    Ok(Value::native(DefaultDict {
        factory,
        inner: Value::dict(d),
        counter: false,
        ordered: false,
    }))
}

/// A dict from a mapping or an iterable of pairs, then keyword arguments.
fn init_dict(it: &mut Interpreter, init: Option<&Value>, kw: &[(super::ast::Name, Value)]) -> R<Dict> {
    let mut d = Dict::new();
    if let Some(init) = init {
        let pairs = match init {
            Value::Dict(src) => src.borrow().items(),
            v => {
                // A mapping (another OrderedDict, a state dict): its items.
                let v = match v {
                    Value::Native(_) if it.get_attr(v, "keys").is_ok() => {
                        let items = it.get_attr(v, "items")?;
                        it.call_positional(&items, Vec::new())?
                    }
                    v => v.clone(),
                };
                let mut pairs = Vec::new();
                for item in it.iterate(&v)? {
                    let kv = it.iterate(&item)?;
                    if kv.len() != 2 {
                        return Err(Exception::value_error(format!(
                            "dictionary update sequence element #{} has length {}; 2 is required",
                            pairs.len(),
                            kv.len()
                        )));
                    }
                    pairs.push((kv[0].clone(), kv[1].clone()));
                }
                pairs
            }
        };
        for (k, v) in pairs {
            d.insert(k, v)?;
        }
    }
    for (k, v) in kw {
        d.insert(Value::Str(k.clone()), v.clone())?;
    }
    Ok(d)
}

/// `OrderedDict(mapping_or_pairs, **kw)`.
pub(crate) fn ordered_dict(it: &mut Interpreter, args: Args) -> R<Value> {
    if args.pos.len() > 1 {
        return Err(Exception::type_error(format!("expected at most 1 arguments, got {}", args.pos.len())));
    }
    let d = init_dict(it, args.pos.first(), &args.kw)?;
    Ok(Value::native(DefaultDict { factory: Value::None, inner: Value::dict(d), counter: false, ordered: true }))
}

/// `Counter(iterable)`, `Counter(mapping)`, `Counter(**counts)`.
pub(crate) fn counter(it: &mut Interpreter, args: Args) -> R<Value> {
    if args.pos.len() > 1 {
        return Err(Exception::type_error(format!(
            "expected at most 1 arguments, got {}",
            args.pos.len()
        )));
    }
    let c = DefaultDict {
        factory: Value::None,
        inner: Value::dict(Dict::new()),
        counter: true,
        ordered: false,
    };
    if let Some(src) = args.pos.first() {
        c.add_counts(it, src, 1)?;
    }
    for (k, v) in &args.kw {
        c.dict()
            .borrow_mut()
            .insert(Value::Str(k.clone()), v.clone())?;
    }
    Ok(Value::native(c))
}

impl DefaultDict {
    /// `==`: by content with any mapping; in order too between two OrderedDicts.
    fn equals(&self, other: &Value, it: &mut Interpreter) -> R<bool> {
        let theirs = match other.downcast::<DefaultDict>() {
            Some(o) if self.ordered && o.ordered => {
                let (a, b) = (self.dict().borrow().items(), o.dict().borrow().items());
                if a.len() != b.len() || !a.iter().zip(&b).all(|(x, y)| key_eq(&x.0, &y.0)) {
                    return Ok(false);
                }
                for (x, y) in a.iter().zip(&b) {
                    let eq = it.compare(CmpOp::Eq, &x.1, &y.1)?;
                    if !it.truthy(&eq)? {
                        return Ok(false);
                    }
                }
                return Ok(true);
            }
            Some(o) => o.inner.clone(),
            None => other.clone(),
        };
        let eq = it.compare(CmpOp::Eq, &self.inner, &theirs)?;
        it.truthy(&eq)
    }

    /// `move_to_end(key, last=True)`: the key moves to the end, or to the front.
    fn move_to_end(&self, key: &Value, last: bool) -> R<()> {
        let mut d = self.dict().borrow_mut();
        let Some(v) = d.remove(key)? else { return Err(super::interp::key_error(key)) };
        if last {
            return d.insert(key.clone(), v);
        }
        let mut front = Dict::new();
        front.insert(key.clone(), v)?;
        for (k, v) in d.items() {
            front.insert(k, v)?;
        }
        *d = front;
        Ok(())
    }

    /// `update` (`sign` 1) or `subtract` (-1): counts of an iterable's items, or a mapping's.
    fn add_counts(&self, it: &mut Interpreter, src: &Value, sign: i64) -> R<()> {
        let pairs: Vec<(Value, Value)> = match src {
            Value::Dict(d) => d.borrow().items(),
            Value::Native(n) if n.type_name() == "Counter" || n.type_name() == "defaultdict" => {
                let items = it.get_attr(src, "items")?;
                let items = it.call_positional(&items, Vec::new())?;
                it.iterate(&items)?
                    .into_iter()
                    .map(|kv| match &kv {
                        Value::Tuple(t) if t.len() == 2 => (t[0].clone(), t[1].clone()),
                        _ => (Value::None, Value::None),
                    })
                    .collect()
            }
            v => it
                .iterate(v)?
                .into_iter()
                .map(|k| (k, Value::Int(1)))
                .collect(),
        };
        for (k, n) in pairs {
            let old = self.dict().borrow().get(&k)?.unwrap_or(Value::Int(0));
            let n = if sign < 0 {
                it.unary(super::ast::UnaryOp::Neg, &n)?
            } else {
                n
            };
            let new = it.binary(super::ast::BinOp::Add, &old, &n)?;
            self.dict().borrow_mut().insert(k, new)?;
        }
        Ok(())
    }

    /// `most_common()`: by count, largest first; ties keep insertion order (CPython sorts
    /// stably, and `nlargest` is documented to agree).
    fn most_common(&self, it: &mut Interpreter) -> R<Vec<(Value, Value)>> {
        let mut items = self.dict().borrow().items();
        let mut err = None;
        // A stable insertion sort keeps ties in order and reports a comparison error.
        for i in 1..items.len() {
            let mut j = i;
            while j > 0 {
                match it.order(&items[j - 1].1, &items[j].1, "<") {
                    Ok(Some(std::cmp::Ordering::Less)) => items.swap(j - 1, j),
                    Ok(_) => break,
                    Err(e) => {
                        err = Some(e);
                        break;
                    }
                }
                j -= 1;
            }
        }
        match err {
            Some(e) => Err(e),
            None => Ok(items),
        }
    }
}

impl NativeObject for DefaultDict {
    fn type_name(&self) -> &str {
        if self.counter {
            "Counter"
        } else if self.ordered {
            "OrderedDict"
        } else {
            "defaultdict"
        }
    }
    fn module_name(&self) -> Option<&str> {
        Some("collections")
    }
    fn is_instance_of(&self, type_name: &str) -> bool {
        type_name == self.type_name() || type_name == "dict"
    }
    fn contains(&self, item: &Value, _: &mut Interpreter) -> R<Option<bool>> {
        self.dict().borrow().contains(item).map(Some)
    }
    fn snapshot(&self, c: &mut super::interp::Copier) -> Option<Value> {
        Some(Value::native(DefaultDict {
            factory: c.value(&self.factory)?,
            inner: c.value(&self.inner)?,
            counter: self.counter,
            ordered: self.ordered,
        }))
    }
    fn str_in(&self, this: &Value, it: &mut Interpreter) -> R<Option<String>> {
        self.repr_in(this, it)
    }
    fn repr_in(&self, _: &Value, it: &mut Interpreter) -> R<Option<String>> {
        if self.counter {
            if self.dict().borrow().is_empty() {
                return Ok(Some("Counter()".into()));
            }
            let mut d = Dict::new();
            for (k, v) in self.most_common(it)? {
                d.insert(k, v)?;
            }
            return Ok(Some(format!("Counter({})", it.repr(&Value::dict(d))?)));
        }
        if self.ordered {
            let items: Vec<Value> =
                self.dict().borrow().items().into_iter().map(|(k, v)| Value::tuple(vec![k, v])).collect();
            if items.is_empty() {
                return Ok(Some("OrderedDict()".into()));
            }
            return Ok(Some(format!("OrderedDict({})", it.repr(&Value::list(items))?)));
        }
        let f = match &self.factory {
            Value::None => "None".to_string(),
            f => it.repr(f)?,
        };
        Ok(Some(format!("defaultdict({f}, {})", it.repr(&self.inner)?)))
    }
    /// A Counter's `+`, `-`, `|` and `&` with another Counter, as CPython's (only positive
    /// counts kept).
    fn binary_op(&self, _: &Value, op: Op, other: &Value, reflected: bool, it: &mut Interpreter) -> R<Option<Value>> {
        if let Op::Eq | Op::Ne = op {
            return self.equals(other, it).map(|eq| Some(Value::Bool(eq == (op == Op::Eq))));
        }
        let Some(o) = other.downcast::<DefaultDict>().filter(|o| o.counter && self.counter && !reflected) else {
            return Ok(None);
        };
        let op = match op {
            Op::Bin(op @ (BinOp::Add | BinOp::Sub | BinOp::BitOr | BinOp::BitAnd)) => op,
            _ => return Ok(None),
        };
        let zero = Value::Int(0);
        let positive = |it: &mut Interpreter, v: &Value| -> R<bool> {
            let gt = it.compare(CmpOp::Gt, v, &Value::Int(0))?;
            it.truthy(&gt)
        };
        let less = |it: &mut Interpreter, a: &Value, b: &Value| -> R<bool> {
            let lt = it.compare(CmpOp::Lt, a, b)?;
            it.truthy(&lt)
        };
        let mut out = Dict::new();
        let mine = self.dict().borrow().items();
        let theirs = o.dict().borrow().items();
        for (k, count) in &mine {
            let other_count = o.dict().borrow().get(k)?.unwrap_or_else(|| zero.clone());
            let new = match op {
                BinOp::Add => it.binary(BinOp::Add, count, &other_count)?,
                BinOp::Sub => it.binary(BinOp::Sub, count, &other_count)?,
                BinOp::BitOr if less(it, count, &other_count)? => other_count,
                BinOp::BitAnd if !less(it, count, &other_count)? => other_count,
                _ => count.clone(),
            };
            if positive(it, &new)? {
                out.insert(k.clone(), new)?;
            }
        }
        if op != BinOp::BitAnd {
            for (k, count) in &theirs {
                if self.dict().borrow().contains(k)? {
                    continue;
                }
                let new = if op == BinOp::Sub { it.binary(BinOp::Sub, &zero, count)? } else { count.clone() };
                if positive(it, &new)? {
                    out.insert(k.clone(), new)?;
                }
            }
        }
        Ok(Some(Value::native(DefaultDict { factory: Value::None, inner: Value::dict(out), counter: true, ordered: false })))
    }
    fn get_item(&self, _: &Value, key: &Value, it: &mut Interpreter) -> R<Option<Value>> {
        if let Some(v) = self.dict().borrow().get(key)? {
            return Ok(Some(v));
        }
        if self.counter {
            return Ok(Some(Value::Int(0)));
        }
        if matches!(self.factory, Value::None) {
            return Err(super::interp::key_error(key));
        }
        let v = it.call_positional(&self.factory, Vec::new())?;
        self.dict().borrow_mut().insert(key.clone(), v.clone())?;
        Ok(Some(v))
    }
    fn set_item(&self, _: &Value, key: &Value, value: Value, _: &mut Interpreter) -> R<bool> {
        self.dict().borrow_mut().insert(key.clone(), value)?;
        Ok(true)
    }
    fn len(&self, _: &mut Interpreter) -> R<Option<usize>> {
        Ok(Some(self.dict().borrow().len()))
    }
    fn truthy(&self, _: &mut Interpreter) -> R<Option<bool>> {
        Ok(Some(!self.dict().borrow().is_empty()))
    }
    fn iter(&self, _: &Value, it: &mut Interpreter) -> R<Option<Value>> {
        it.iter(&self.inner).map(Some)
    }
    fn get_attr(&self, this: &Value, name: &str, it: &mut Interpreter) -> R<Option<Value>> {
        let method = |f: fn(&DefaultDict, &mut Interpreter, &Args) -> R<Value>| {
            Value::method(this.clone(), name, move |it, args: Args| {
                f(args.this_native::<DefaultDict>()?, it, &args)
            })
        };
        Ok(match name {
            "default_factory" if !self.counter && !self.ordered => Some(self.factory.clone()),
            "move_to_end" if self.ordered => Some(method(|c, _, args| {
                let [key, last] = args.bind(&["key", "last="])?;
                let last = match last {
                    Some(l) => l.as_int().ok_or_else(|| Exception::type_error("last must be a bool"))? != 0,
                    None => true,
                };
                c.move_to_end(&key.unwrap_or(Value::None), last)?;
                Ok(Value::None)
            })),
            "popitem" if self.ordered => Some(method(|c, _, args| {
                let [last] = args.bind(&["last="])?;
                let last = last.is_none_or(|l| l.as_int() != Some(0));
                let mut d = c.dict().borrow_mut();
                let key = if last { d.keys().pop() } else { d.keys().into_iter().next() };
                let Some(key) = key else {
                    return Err(Exception::new("KeyError", "'dictionary is empty'"));
                };
                let v = d.remove(&key)?.unwrap_or(Value::None);
                Ok(Value::tuple(vec![key, v]))
            })),
            "copy" if self.ordered => Some(method(|c, _, _| {
                let d = c.dict().borrow().clone();
                Ok(Value::native(DefaultDict { factory: Value::None, inner: Value::dict(d), counter: false, ordered: true }))
            })),
            "keys" | "values" | "items" if self.ordered => {
                let kind = match name {
                    "keys" => "odict_keys",
                    "values" => "odict_values",
                    _ => "odict_items",
                };
                let d = self.dict().clone();
                Some(Value::method(this.clone(), name, move |_, args| {
                    let [] = args.bind(&[])?;
                    Ok(super::builtins::dict_view(kind, d.clone()))
                }))
            }
            "most_common" if self.counter => Some(method(|c, it, args| {
                let [n] = args.bind(&["n="])?;
                let mut items = c.most_common(it)?;
                if let Some(n) = n.filter(|n| !matches!(n, Value::None)) {
                    items.truncate(n.expect_int("n")?.max(0) as usize);
                }
                Ok(Value::list(
                    items
                        .into_iter()
                        .map(|(k, v)| Value::tuple(vec![k, v]))
                        .collect(),
                ))
            })),
            "update" | "subtract" if self.counter => Some(method(|c, it, args| {
                let sign = if &*args.fname == "subtract" { -1 } else { 1 };
                if let Some(src) = args.pos.first() {
                    c.add_counts(it, src, sign)?;
                }
                for (k, v) in &args.kw {
                    let mut d = Dict::new();
                    d.insert(Value::Str(k.clone()), v.clone())?;
                    c.add_counts(it, &Value::dict(d), sign)?;
                }
                Ok(Value::None)
            })),
            "total" if self.counter => Some(method(|c, it, _| {
                let mut t = Value::Int(0);
                for v in c.dict().borrow().values() {
                    t = it.binary(super::ast::BinOp::Add, &t, &v)?;
                }
                Ok(t)
            })),
            "elements" if self.counter => Some(method(|c, it, _| {
                let mut out = Vec::new();
                for (k, v) in c.dict().borrow().items() {
                    if let Value::Int(n) = v {
                        out.extend(std::iter::repeat_n(k, n.max(0) as usize));
                    }
                }
                it.iter(&Value::list(out))
            })),
            _ => it.get_attr(&self.inner, name).ok(),
        })
    }
}

pub(crate) struct Deque {
    items: RefCell<VecDeque<Value>>,
    maxlen: Option<usize>,
}

impl Deque {
    fn push(&self, v: Value, left: bool) {
        let mut d = self.items.borrow_mut();
        if self.maxlen == Some(0) {
            return;
        }
        if self.maxlen.is_some_and(|m| d.len() >= m) {
            if left {
                d.pop_back();
            } else {
                d.pop_front();
            }
        }
        if left {
            d.push_front(v)
        } else {
            d.push_back(v)
        }
    }
}

pub(crate) fn deque(it: &mut Interpreter, args: Args) -> R<Value> {
    let [src, maxlen] = args.bind(&["iterable=", "maxlen="])?;
    let maxlen = match maxlen {
        None | Some(Value::None) => None,
        Some(v) => {
            let n = v.expect_int("maxlen")?;
            if n < 0 {
                return Err(Exception::value_error("maxlen must be non-negative"));
            }
            Some(n as usize)
        }
    };
    let d = Deque {
        items: RefCell::new(VecDeque::new()),
        maxlen,
    };
    if let Some(src) = src {
        for v in it.iterate(&src)? {
            d.push(v, false);
        }
    }
    Ok(Value::native(d))
}

fn index(d: &VecDeque<Value>, key: &Value) -> R<usize> {
    let i = key.expect_int("index")?;
    let n = d.len() as i64;
    let j = if i < 0 { i + n } else { i };
    if j < 0 || j >= n {
        return Err(Exception::new("IndexError", "deque index out of range"));
    }
    Ok(j as usize)
}

impl NativeObject for Deque {
    fn type_name(&self) -> &str {
        "deque"
    }
    fn module_name(&self) -> Option<&str> {
        Some("collections")
    }
    fn snapshot(&self, c: &mut super::interp::Copier) -> Option<Value> {
        let items = self
            .items
            .borrow()
            .iter()
            .map(|v| c.value(v))
            .collect::<Option<_>>()?;
        Some(Value::native(Deque {
            items: RefCell::new(items),
            maxlen: self.maxlen,
        }))
    }
    fn str_in(&self, this: &Value, it: &mut Interpreter) -> R<Option<String>> {
        self.repr_in(this, it)
    }
    fn repr_in(&self, _: &Value, it: &mut Interpreter) -> R<Option<String>> {
        let items: Vec<Value> = self.items.borrow().iter().cloned().collect();
        let body = it.repr(&Value::list(items))?;
        Ok(Some(match self.maxlen {
            Some(m) => format!("deque({body}, maxlen={m})"),
            None => format!("deque({body})"),
        }))
    }
    fn len(&self, _: &mut Interpreter) -> R<Option<usize>> {
        Ok(Some(self.items.borrow().len()))
    }
    fn truthy(&self, _: &mut Interpreter) -> R<Option<bool>> {
        Ok(Some(!self.items.borrow().is_empty()))
    }
    fn iter(&self, _: &Value, it: &mut Interpreter) -> R<Option<Value>> {
        let items: Vec<Value> = self.items.borrow().iter().cloned().collect();
        it.iter(&Value::list(items)).map(Some)
    }
    fn get_item(&self, _: &Value, key: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        let d = self.items.borrow();
        Ok(Some(d[index(&d, key)?].clone()))
    }
    fn set_item(&self, _: &Value, key: &Value, value: Value, _: &mut Interpreter) -> R<bool> {
        let mut d = self.items.borrow_mut();
        let i = index(&d, key)?;
        d[i] = value;
        Ok(true)
    }
    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        let m = |f: fn(&Deque, &mut Interpreter, &Args) -> R<Value>| {
            Value::method(this.clone(), name, move |it, args: Args| {
                f(args.this_native::<Deque>()?, it, &args)
            })
        };
        Ok(Some(match name {
            "maxlen" => self.maxlen.map_or(Value::None, |n| Value::Int(n as i64)),
            "append" | "appendleft" => m(|d, _, args| {
                let [x] = args.bind(&["x"])?;
                d.push(x.unwrap_or(Value::None), &*args.fname == "appendleft");
                Ok(Value::None)
            }),
            "extend" | "extendleft" => m(|d, it, args| {
                let [src] = args.bind(&["iterable"])?;
                for v in it.iterate(&src.unwrap_or(Value::None))? {
                    d.push(v, &*args.fname == "extendleft");
                }
                Ok(Value::None)
            }),
            "pop" | "popleft" => m(|d, _, args| {
                args.bind::<0>(&[])?;
                let mut items = d.items.borrow_mut();
                let v = if &*args.fname == "pop" {
                    items.pop_back()
                } else {
                    items.pop_front()
                };
                v.ok_or_else(|| {
                    Exception::new("IndexError", format!("{} from an empty deque", args.fname))
                })
            }),
            "clear" => m(|d, _, _| {
                d.items.borrow_mut().clear();
                Ok(Value::None)
            }),
            "rotate" => m(|d, _, args| {
                let [n] = args.bind(&["n="])?;
                let n = n.map_or(Ok(1), |v| v.expect_int("n"))?;
                let mut items = d.items.borrow_mut();
                let len = items.len() as i64;
                if len > 0 {
                    let k = n.rem_euclid(len) as usize;
                    items.rotate_right(k);
                }
                Ok(Value::None)
            }),
            "count" => m(|d, it, args| {
                let [x] = args.bind(&["x"])?;
                let x = x.unwrap_or(Value::None);
                let items: Vec<Value> = d.items.borrow().iter().cloned().collect();
                let mut n = 0;
                for v in items {
                    let eq = it.compare(super::ast::CmpOp::Eq, &v, &x)?;
                    if it.truthy(&eq)? {
                        n += 1;
                    }
                }
                Ok(Value::Int(n))
            }),
            _ => return Ok(None),
        }))
    }
}
