//! Running the `match` statement: each case's pattern is tried against the subject in order,
//! its names collected and bound only once the whole pattern matched (as CPython does), then
//! the guard decides. Sequence, mapping and class patterns follow CPython's rules: `str` and
//! `bytes` are not sequences, a mapping is looked up key by key without calling
//! `__missing__`, a class pattern's positional sub-patterns go through `__match_args__` (or
//! match the subject itself for the builtin types that do so).

use super::ast::{CmpOp, MatchCase, Name, Pattern, PatternKind};
use super::interp::{Env, Flow};
use super::value::Dict;
use super::{Exception, Interpreter, Value};

type R<T> = Result<T, Exception>;

/// Builtin types whose class pattern's one positional sub-pattern matches the subject itself.
const MATCH_SELF: &[&str] = &[
    "bool",
    "bytearray",
    "bytes",
    "dict",
    "float",
    "frozenset",
    "int",
    "list",
    "set",
    "str",
    "tuple",
];

impl Interpreter {
    pub(crate) fn exec_match(
        &mut self,
        subject: &super::ast::Expr,
        cases: &[MatchCase],
        env: &Env,
    ) -> R<Flow> {
        let v = self.eval(subject, env)?;
        let mut binds: Vec<(Name, Value)> = Vec::new();
        for case in cases {
            binds.clear();
            if !self
                .match_pattern(&case.pattern, &v, &mut binds, env)
                .map_err(|e| e.at(case.pattern.span))?
            {
                continue;
            }
            for (n, x) in binds.drain(..) {
                self.store(&n, None, x, env);
            }
            if let Some(g) = &case.guard {
                let gv = self.eval(g, env)?;
                if !self.truthy(&gv).map_err(|e| e.at(g.span))? {
                    continue;
                }
            }
            return self.exec_block(&case.body, env);
        }
        Ok(Flow::Normal)
    }

    fn match_pattern(
        &mut self,
        p: &Pattern,
        v: &Value,
        binds: &mut Vec<(Name, Value)>,
        env: &Env,
    ) -> R<bool> {
        match &p.kind {
            PatternKind::Capture(None) | PatternKind::Star(None) => Ok(true),
            PatternKind::Capture(Some(n)) | PatternKind::Star(Some(n)) => {
                binds.push((n.clone(), v.clone()));
                Ok(true)
            }
            PatternKind::Value(e) => {
                let x = self.eval(e, env)?;
                let r = self.compare(CmpOp::Eq, v, &x)?;
                self.truthy(&r)
            }
            PatternKind::Singleton(e) => {
                let x = self.eval(e, env)?;
                let r = self.compare(CmpOp::Is, v, &x)?;
                self.truthy(&r)
            }
            PatternKind::As(inner, n) => {
                if !self.match_pattern(inner, v, binds, env)? {
                    return Ok(false);
                }
                binds.push((n.clone(), v.clone()));
                Ok(true)
            }
            PatternKind::Or(alts) => {
                let mark = binds.len();
                for a in alts {
                    if self.match_pattern(a, v, binds, env)? {
                        return Ok(true);
                    }
                    binds.truncate(mark);
                }
                Ok(false)
            }
            PatternKind::Sequence(items) => self.match_sequence(items, v, binds, env),
            PatternKind::Mapping(items, rest) => {
                self.match_mapping(items, rest.as_ref(), v, binds, env)
            }
            PatternKind::Class(cls, pos, kws) => {
                let cls = self.eval(cls, env)?;
                self.match_class(&cls, pos, kws, v, binds, env)
            }
        }
    }

    /// The subject's items if it is a sequence as `match` sees one (list, tuple, range, their
    /// subclasses, `deque`, `torch.Size`; never `str`, `bytes` or `bytearray`).
    fn sequence_items(&mut self, v: &Value) -> R<Option<Vec<Value>>> {
        let seq = match v {
            Value::List(l) => return Ok(Some(l.borrow().clone())),
            Value::Tuple(t) => return Ok(Some(t.as_ref().clone())),
            Value::Range(_) => true,
            Value::Native(n) => matches!(n.type_name(), "deque" | "Size"),
            Value::Instance(i) => i
                .class
                .mro()
                .iter()
                .any(|t| !t.is_user() && matches!(&*t.name, "list" | "tuple" | "deque")),
            _ => false,
        };
        if seq {
            Ok(Some(self.iterate(v)?))
        } else {
            Ok(None)
        }
    }

    fn match_sequence(
        &mut self,
        items: &[Pattern],
        v: &Value,
        binds: &mut Vec<(Name, Value)>,
        env: &Env,
    ) -> R<bool> {
        let Some(xs) = self.sequence_items(v)? else {
            return Ok(false);
        };
        let star = items
            .iter()
            .position(|p| matches!(p.kind, PatternKind::Star(_)));
        let fixed = items.len() - star.map_or(0, |_| 1);
        if xs.len() < fixed || (star.is_none() && xs.len() != fixed) {
            return Ok(false);
        }
        let s = star.unwrap_or(items.len());
        for (p, x) in items[..s].iter().zip(&xs) {
            if !self.match_pattern(p, x, binds, env)? {
                return Ok(false);
            }
        }
        if star.is_none() {
            return Ok(true);
        }
        let after = items.len() - s - 1;
        let tail = xs.len() - after;
        if !self.match_pattern(&items[s], &Value::list(xs[s..tail].to_vec()), binds, env)? {
            return Ok(false);
        }
        for (p, x) in items[s + 1..].iter().zip(&xs[tail..]) {
            if !self.match_pattern(p, x, binds, env)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn match_mapping(
        &mut self,
        items: &[(super::ast::Expr, Pattern)],
        rest: Option<&Name>,
        v: &Value,
        binds: &mut Vec<(Name, Value)>,
        env: &Env,
    ) -> R<bool> {
        let dict = match v {
            Value::Dict(d) => d.borrow().clone(),
            Value::Native(n)
                if matches!(n.type_name(), "defaultdict" | "OrderedDict" | "Counter") =>
            {
                self.mapping_copy(v)?
            }
            Value::Instance(i)
                if i.class
                    .mro()
                    .iter()
                    .any(|t| !t.is_user() && &*t.name == "dict") =>
            {
                self.mapping_copy(v)?
            }
            _ => return Ok(false),
        };
        if dict.len() < items.len() {
            return Ok(false);
        }
        let mut keys = Vec::with_capacity(items.len());
        for (k, p) in items {
            let key = self.eval(k, env)?;
            let Some(x) = dict.get(&key)? else {
                return Ok(false);
            };
            if !self.match_pattern(p, &x, binds, env)? {
                return Ok(false);
            }
            keys.push(key);
        }
        if let Some(r) = rest {
            let mut left = dict;
            for k in &keys {
                left.remove(k)?;
            }
            binds.push((r.clone(), Value::dict(left)));
        }
        Ok(true)
    }

    /// A mapping's items as a plain dict, read through `keys()` and `[]` (no default made:
    /// every key read is present).
    fn mapping_copy(&mut self, v: &Value) -> R<Dict> {
        let keys = self.get_attr(v, "keys")?;
        let keys = self.call_positional(&keys, Vec::new())?;
        let mut d = Dict::new();
        for k in self.iterate(&keys)? {
            let x = self.get_item(v, &k)?;
            d.insert(k, x)?;
        }
        Ok(d)
    }

    fn match_class(
        &mut self,
        cls: &Value,
        pos: &[Pattern],
        kws: &[(Name, Pattern)],
        v: &Value,
        binds: &mut Vec<(Name, Value)>,
        env: &Env,
    ) -> R<bool> {
        let Value::Type(t) = cls else {
            return Err(Exception::type_error("called match pattern must be a type"));
        };
        if !super::builtins::is_instance(self, v, cls)? {
            return Ok(false);
        }
        let mut attrs: Vec<(Name, &Pattern)> = Vec::new();
        if !pos.is_empty() {
            let match_args = match self.get_attr(cls, "__match_args__") {
                Ok(m) => Some(m),
                Err(e) if e.py_type() == "AttributeError" => None,
                Err(e) => return Err(e),
            };
            let plural = |n: usize| if n == 1 { "" } else { "s" };
            match &match_args {
                Some(Value::Tuple(names)) => {
                    if pos.len() > names.len() {
                        return Err(Exception::type_error(format!(
                            "{}() accepts {} positional sub-pattern{} ({} given)",
                            t.name,
                            names.len(),
                            plural(names.len()),
                            pos.len()
                        )));
                    }
                    for (n, p) in names.iter().zip(pos) {
                        let Value::Str(n) = n else {
                            return Err(Exception::type_error(format!(
                                "__match_args__ elements must be strings (got {})",
                                n.type_name()
                            )));
                        };
                        attrs.push((n.clone(), p));
                    }
                }
                Some(other) => {
                    return Err(Exception::type_error(format!(
                        "{}.__match_args__ must be a tuple (got {})",
                        t.name,
                        other.type_name()
                    )));
                }
                None if t
                    .mro()
                    .iter()
                    .any(|b| !b.is_user() && MATCH_SELF.contains(&&*b.name)) =>
                {
                    if pos.len() > 1 {
                        return Err(Exception::type_error(format!(
                            "{}() accepts 1 positional sub-pattern ({} given)",
                            t.name,
                            pos.len()
                        )));
                    }
                    if !self.match_pattern(&pos[0], v, binds, env)? {
                        return Ok(false);
                    }
                }
                None => {
                    return Err(Exception::type_error(format!(
                        "{}() accepts 0 positional sub-patterns ({} given)",
                        t.name,
                        pos.len()
                    )));
                }
            }
        }
        for (n, p) in kws {
            if attrs.iter().any(|(a, _)| a == n) {
                return Err(Exception::type_error(format!(
                    "{}() got multiple sub-patterns for attribute '{n}'",
                    t.name
                )));
            }
            attrs.push((n.clone(), p));
        }
        for (n, p) in attrs {
            let x = match self.get_attr(v, &n) {
                Ok(x) => x,
                Err(e) if e.py_type() == "AttributeError" => return Ok(false),
                Err(e) => return Err(e),
            };
            if !self.match_pattern(p, &x, binds, env)? {
                return Ok(false);
            }
        }
        Ok(true)
    }
}
