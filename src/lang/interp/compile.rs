//! Compiles a function body (or a module-level loop) once into a tree of closures, so running it
//! skips what the tree walker decides afresh at every node: which kind of node this is, where a
//! name lives, which arithmetic fast path applies.
//!
//! The closures are an optimisation only, never a second semantics. Each one does what
//! `Interpreter::eval`/`exec` does for its node (the same order of evaluation, the same errors
//! born at the same spans, the same resource checks), and any node without a specialised form
//! is run by the tree walker itself on a copy of the node. So a form that is rare or intricate
//! (`try`, `with`, comprehensions, `def`, starred arguments) keeps one implementation.

use std::cell::Cell;

use super::*;
use crate::source::Span;
use super::super::value::push_int;

/// A compiled expression.
type CE = Box<dyn Fn(&mut Interpreter, &Env) -> R<Value>>;
/// A compiled statement.
type CS = Box<dyn Fn(&mut Interpreter, &Env) -> R<Flow>>;
/// A compiled assignment target: binds the value it is given.
type CT = Box<dyn Fn(&mut Interpreter, &Env, Value) -> R<()>>;

/// A compiled block of statements, each with its span (errors are placed as `exec` places them).
pub(crate) struct Code {
    body: Vec<(CS, Span)>,
    /// A body that is one `return expr` (a lambda's, a one-line helper's): the expression,
    /// run without the statement machinery.
    returns: Option<(CE, Span)>,
}

impl Code {
    pub(crate) fn run(&self, it: &mut Interpreter, env: &Env) -> R<Flow> {
        run_block(&self.body, it, env)
    }

    /// Run a function body: what it returns (None when it ends without `return`).
    pub(crate) fn call(&self, it: &mut Interpreter, env: &Env) -> R<Value> {
        if let Some((e, span)) = &self.returns {
            return e(it, env).map_err(|err| err.at(*span));
        }
        match run_block(&self.body, it, env)? {
            Flow::Return(v) => Ok(v),
            _ => Ok(Value::None),
        }
    }
}

/// A function's compiled body, made on its first call and kept in its definition.
pub(crate) fn function_code(def: &FuncDef) -> &Code {
    let code = def.compiled.get_or_init(|| {
        let c = Compiler { func: Some(def), levels: Vec::new() };
        let mut code = c.block(&def.body);
        if let [Stmt { kind: StmtKind::Return(Some(e)), span }] = &def.body[..] {
            code.returns = Some((c.expr(e), *span));
        }
        Box::new(code)
    });
    // Only this module fills the cell, always with a `Code`.
    code.downcast_ref::<Code>().expect("compiled code is a Code")
}

/// A module-level statement compiled to run once (worth it for a loop).
pub(crate) fn module_stmt(stmt: &Stmt) -> Code {
    Compiler { func: None, levels: Vec::new() }.block(std::slice::from_ref(stmt))
}

#[inline(always)]
fn run_block(body: &[(CS, Span)], it: &mut Interpreter, env: &Env) -> R<Flow> {
    for (s, span) in body {
        match s(it, env).map_err(|e| e.at(*span))? {
            Flow::Normal => {}
            other => return Ok(other),
        }
    }
    Ok(Flow::Normal)
}

/// What `eval` does with a node's result: the host's resource check, then the node's span.
#[inline(always)]
fn done(it: &mut Interpreter, r: R<Value>, span: Span) -> R<Value> {
    let r = if RESOURCE_FLAG.get() { it.check_resources(r) } else { r };
    r.map_err(|e| e.at(span))
}

#[inline(always)]
fn truthy(it: &mut Interpreter, v: &Value) -> R<bool> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::Int(i) => Ok(*i != 0),
        _ => it.truthy(v),
    }
}

fn constant(v: Value) -> CE {
    Box::new(move |_, _| Ok(v.clone()))
}

/// Where a name lives, as seen from the code being compiled.
enum Place {
    Local(u32),
    Global,
    /// A function's free name: an enclosing function's, else a global or builtin.
    Free,
}

struct Compiler<'a> {
    /// The function whose body this is; None for module-level code.
    func: Option<&'a FuncDef>,
    /// The comprehensions being compiled around the current node, outermost first: the names
    /// each one's `for` clauses bind (they live in its own scope's `vars`, where the tree
    /// walker and any closure made inside look for them).
    levels: Vec<Vec<Name>>,
}

impl Compiler<'_> {
    /// How many comprehension scopes out `name` is bound in, if a comprehension binds it.
    fn comp_level(&self, name: &str) -> Option<usize> {
        self.levels.iter().rev().position(|names| names.iter().any(|n| &**n == name))
    }

    fn place(&self, name: &str) -> Place {
        match self.func {
            None => Place::Global,
            Some(def) => match def.scope().resolve(name) {
                Resolved::Local(i) => Place::Local(i),
                Resolved::Global => Place::Global,
                Resolved::Free | Resolved::Unresolved => Place::Free,
            },
        }
    }

    fn block(&self, body: &[Stmt]) -> Code {
        Code { body: body.iter().map(|s| (self.stmt(s), s.span)).collect(), returns: None }
    }

    // ---- statements ----

    fn stmt(&self, s: &Stmt) -> CS {
        match &s.kind {
            StmtKind::Expr(e) => {
                let c = self.expr(e);
                Box::new(move |it, env| {
                    c(it, env)?;
                    Ok(Flow::Normal)
                })
            }
            StmtKind::Assign(targets, value) if targets.len() == 1 => {
                let v = self.expr(value);
                let t = self.target(&targets[0]);
                Box::new(move |it, env| {
                    let x = v(it, env)?;
                    t(it, env, x)?;
                    Ok(Flow::Normal)
                })
            }
            StmtKind::AugAssign(target, op, value) => self.aug_assign(target, *op, value),
            StmtKind::If(cond, body, orelse) => {
                let c = self.expr(cond);
                let cspan = cond.span;
                let body = self.block(body);
                let orelse = self.block(orelse);
                Box::new(move |it, env| {
                    let v = c(it, env)?;
                    if truthy(it, &v).map_err(|e| e.at(cspan))? { body.run(it, env) } else { orelse.run(it, env) }
                })
            }
            StmtKind::While(cond, body, orelse) => {
                let c = self.expr(cond);
                let cspan = cond.span;
                let body = self.block(body);
                let orelse = self.block(orelse);
                Box::new(move |it, env| {
                    loop {
                        it.tick()?;
                        let v = c(it, env)?;
                        if !truthy(it, &v).map_err(|e| e.at(cspan))? {
                            return orelse.run(it, env);
                        }
                        match body.run(it, env)? {
                            Flow::Break => return Ok(Flow::Normal),
                            Flow::Return(v) => return Ok(Flow::Return(v)),
                            Flow::Normal | Flow::Continue => {}
                        }
                    }
                })
            }
            StmtKind::For(target, iter, body, orelse) => {
                let iterable = self.expr(iter);
                let ispan = iter.span;
                let t = self.target(target);
                // A local loop variable is written in its slot here, not through `t`.
                let local = self.local_slot(target);
                let body = self.block(body);
                let orelse = self.block(orelse);
                Box::new(move |it, env| {
                    let v = iterable(it, env)?;
                    let stop = each(it, &v, ispan, |it, item| {
                        match (local, env) {
                            (Some(i), Some(s)) => s.slots.borrow_mut()[i as usize] = Some(item),
                            _ => t(it, env, item)?,
                        }
                        Ok(match body.run(it, env)? {
                            Flow::Break => Some(Flow::Normal),
                            Flow::Return(v) => Some(Flow::Return(v)),
                            Flow::Normal | Flow::Continue => None,
                        })
                    })?;
                    match stop {
                        Some(flow) => Ok(flow),
                        None => orelse.run(it, env),
                    }
                })
            }
            StmtKind::Return(e) => match e {
                Some(e) => {
                    let c = self.expr(e);
                    Box::new(move |it, env| Ok(Flow::Return(c(it, env)?)))
                }
                None => Box::new(|_, _| Ok(Flow::Return(Value::None))),
            },
            StmtKind::Pass | StmtKind::Global(_) | StmtKind::Nonlocal(_) => Box::new(|_, _| Ok(Flow::Normal)),
            StmtKind::Break => Box::new(|_, _| Ok(Flow::Break)),
            StmtKind::Continue => Box::new(|_, _| Ok(Flow::Continue)),
            _ => {
                let s = s.clone();
                Box::new(move |it, env| it.exec(&s, env))
            }
        }
    }

    fn aug_assign(&self, target: &Expr, op: BinOp, value: &Expr) -> CS {
        let tspan = target.span;
        let opspan = target.span.to(value.span);
        let rhs = self.expr(value);
        match &target.kind {
            ExprKind::Name(n, _) => {
                let load = self.name(n, tspan);
                let store = self.store_name(n);
                let general: CS = Box::new(move |it, env| {
                    let cur = load(it, env)?;
                    let r = rhs(it, env)?;
                    let v = inplace(it, op, cur, r).map_err(|e| e.at(opspan))?;
                    store(it, env, v)?;
                    Ok(Flow::Normal)
                });
                // `i += 1` on a number: computed and stored in place.
                match (self.peek(target), self.peek(value)) {
                    (Some(tp @ (Peek::Local(_) | Peek::Global(..))), Some(rp)) => Box::new(move |it, env| {
                        if let (Some(a), Some(b)) = (peek(&tp, it, env), peek(&rp, it, env))
                            && let Some(v) = arith_num(op, a, b)
                        {
                            poke(&tp, it, env, v);
                            return Ok(Flow::Normal);
                        }
                        general(it, env)
                    }),
                    _ => general,
                }
            }
            ExprKind::Attribute(obj, name) => {
                let o = self.expr(obj);
                let name = name.clone();
                Box::new(move |it, env| {
                    let ov = o(it, env)?;
                    let cur = it.get_attr(&ov, &name).map_err(|e| e.at(tspan))?;
                    let r = rhs(it, env)?;
                    let v = inplace(it, op, cur, r).map_err(|e| e.at(opspan))?;
                    it.set_attr(&ov, &name, v).map_err(|e| e.at(tspan))?;
                    Ok(Flow::Normal)
                })
            }
            ExprKind::Subscript(obj, idx) => {
                let o = self.expr(obj);
                let k = self.expr(idx);
                Box::new(move |it, env| {
                    let ov = o(it, env)?;
                    let kv = k(it, env)?;
                    let cur = it.get_item(&ov, &kv).map_err(|e| e.at(tspan))?;
                    let r = rhs(it, env)?;
                    let v = inplace(it, op, cur, r).map_err(|e| e.at(opspan))?;
                    it.set_item(&ov, &kv, v).map_err(|e| e.at(tspan))?;
                    Ok(Flow::Normal)
                })
            }
            _ => Box::new(|_, _| Err(Exception::new("SyntaxError", "illegal expression for augmented assignment"))),
        }
    }

    // ---- assignment targets ----

    fn target(&self, t: &Expr) -> CT {
        let span = t.span;
        match &t.kind {
            ExprKind::Name(n, _) => self.store_name(n),
            ExprKind::Attribute(obj, name) => {
                let o = self.expr(obj);
                let name = name.clone();
                let hint = Cell::new(0usize);
                let local = self.local_slot(obj);
                Box::new(move |it, env, v| {
                    // `self.x = v`: the instance is used in its slot, not cloned out of it.
                    let v = match (local, env) {
                        (Some(i), Some(s)) => match &s.slots.borrow()[i as usize] {
                            Some(Value::Instance(inst)) => match set_plain_attr(it, inst, &name, &hint, v) {
                                None => return Ok(()),
                                Some(v) => v,
                            },
                            _ => v,
                        },
                        _ => v,
                    };
                    let ov = o(it, env)?;
                    if let Value::Instance(inst) = &ov {
                        match set_plain_attr(it, inst, &name, &hint, v) {
                            None => return Ok(()),
                            Some(v) => return it.set_attr(&ov, &name, v).map_err(|e| e.at(span)),
                        }
                    }
                    it.set_attr(&ov, &name, v).map_err(|e| e.at(span))
                })
            }
            ExprKind::Subscript(obj, idx) => {
                let o = self.expr(obj);
                let k = self.expr(idx);
                Box::new(move |it, env, v| {
                    let ov = o(it, env)?;
                    let kv = k(it, env)?;
                    match (&ov, &kv) {
                        (Value::List(l), Value::Int(i)) => {
                            let mut items = l.borrow_mut();
                            if let Some(j) = index_in(*i, items.len()) {
                                items[j] = v;
                                return Ok(());
                            }
                        }
                        (Value::Dict(d), _) => return d.borrow_mut().insert(kv, v).map_err(|e| e.at(span)),
                        _ => {}
                    }
                    it.set_item(&ov, &kv, v).map_err(|e| e.at(span))
                })
            }
            ExprKind::Tuple(items) | ExprKind::List(items)
                if !items.iter().any(|i| matches!(i.kind, ExprKind::Starred(_))) =>
            {
                let items_ast = items.clone();
                let targets: Vec<CT> = items.iter().map(|i| self.target(i)).collect();
                Box::new(move |it, env, v| {
                    let values = it.unpack(v, &items_ast).map_err(|e| e.at(span))?;
                    for (t, v) in targets.iter().zip(values) {
                        t(it, env, v)?;
                    }
                    Ok(())
                })
            }
            _ => {
                let t = t.clone();
                Box::new(move |it, env, v| it.assign(&t, v, env))
            }
        }
    }

    fn store_name(&self, n: &Name) -> CT {
        if let Some(k) = self.comp_level(n) {
            let n = n.clone();
            return Box::new(move |it, env, v| {
                match hop(env, k) {
                    Some(s) => s.vars.borrow_mut().insert(n.clone(), v),
                    None => it.store(&n, None, v, env),
                }
                Ok(())
            });
        }
        if !self.levels.is_empty() {
            // Only a comprehension's own targets are bound inside it (`:=` runs uncompiled).
            let n = n.clone();
            return Box::new(move |it, env, v| {
                it.store(&n, None, v, env);
                Ok(())
            });
        }
        match self.place(n) {
            Place::Local(i) => {
                let n = n.clone();
                Box::new(move |it, env, v| {
                    match env {
                        Some(s) => s.slots.borrow_mut()[i as usize] = Some(v),
                        // Function code always runs in its frame; this is only for safety.
                        None => it.store(&n, None, v, env),
                    }
                    Ok(())
                })
            }
            Place::Global => {
                let n = n.clone();
                let slot = NameSlot::default();
                Box::new(move |it, _, v| {
                    it.store_global_at(&n, Some(&slot), v);
                    Ok(())
                })
            }
            Place::Free => {
                let n = n.clone();
                let slot = NameSlot::default();
                Box::new(move |it, env, v| {
                    it.store(&n, Some(&slot), v, env);
                    Ok(())
                })
            }
        }
    }

    // ---- expressions ----

    fn expr(&self, e: &Expr) -> CE {
        let span = e.span;
        match &e.kind {
            ExprKind::None => constant(Value::None),
            ExprKind::Bool(b) => constant(Value::Bool(*b)),
            ExprKind::Int(i) => constant(Value::Int(*i)),
            ExprKind::Float(f) => constant(Value::Float(*f)),
            ExprKind::Imag(f) => constant(crate::lang::torch::complex::py_complex(0.0, *f)),
            ExprKind::Str(s) => constant(Value::Str(s.clone())),
            ExprKind::Name(n, _) => self.name(n, span),
            // `__class__` and `__dict__` are never read from the instance's dict.
            ExprKind::Attribute(obj, name) if &**name == "__class__" || &**name == "__dict__" => {
                let o = self.expr(obj);
                let name = name.clone();
                Box::new(move |it, env| {
                    let ov = o(it, env)?;
                    let r = it.get_attr(&ov, &name);
                    done(it, r, span)
                })
            }
            ExprKind::Attribute(obj, name) => {
                let o = self.expr(obj);
                let name = name.clone();
                let hint = Cell::new(0usize);
                if let Some(i) = self.local_slot(obj) {
                    // `self.x`: the instance is read in its slot, not cloned out of it.
                    return Box::new(move |it, env| {
                        if let Some(s) = env
                            && let Some(Value::Instance(inst)) = &s.slots.borrow()[i as usize]
                            && let Some(v) = plain_attr(it, inst, &name, &hint)
                        {
                            return Ok(v);
                        }
                        let ov = o(it, env)?;
                        let r = it.get_attr(&ov, &name);
                        done(it, r, span)
                    });
                }
                Box::new(move |it, env| {
                    let ov = o(it, env)?;
                    // An instance's own attribute, with no property that could take precedence:
                    // the slot the last read found is tried first.
                    if let Value::Instance(inst) = &ov
                        && let Some(v) = plain_attr(it, inst, &name, &hint)
                    {
                        return Ok(v);
                    }
                    let r = it.get_attr(&ov, &name);
                    done(it, r, span)
                })
            }
            ExprKind::Subscript(obj, idx) => {
                let o = self.expr(obj);
                let k = self.expr(idx);
                Box::new(move |it, env| {
                    let ov = o(it, env)?;
                    let kv = k(it, env)?;
                    // A list at an int index in range, a dict at a key it holds; anything
                    // else (misses included, for their errors) takes the full path.
                    match (&ov, &kv) {
                        (Value::List(l), Value::Int(i)) => {
                            let items = l.borrow();
                            if let Some(j) = index_in(*i, items.len()) {
                                return Ok(items[j].clone());
                            }
                        }
                        (Value::Dict(d), _) => {
                            if let Ok(Some(v)) = d.borrow().get(&kv) {
                                return Ok(v);
                            }
                        }
                        _ => {}
                    }
                    let r = it.get_item(&ov, &kv);
                    done(it, r, span)
                })
            }
            ExprKind::Binary(op, l, r) => {
                let op = *op;
                let slow = move |it: &mut Interpreter, a: &Value, b: &Value| it.binary(op, a, b);
                // Each operand is compiled once (a peeked operand is a leaf, so compiling it
                // again is free): compiling a subtree twice per level made long chains
                // exponential.
                match (self.peek(l), self.peek(r)) {
                    (Some(lp), Some(rp)) => {
                        with_peek(lp, rp, binary(op, self.expr(l), self.expr(r), span), move |a, b| arith_num(op, a, b))
                    }
                    (Some(lp), None) => with_peek_left(lp, self.expr(l), self.expr(r), span, move |a, b| arith_num(op, a, b), slow),
                    (None, Some(rp)) => with_peek_right(self.expr(l), rp, self.expr(r), span, move |a, b| arith_num(op, a, b), slow),
                    (None, None) => binary(op, self.expr(l), self.expr(r), span),
                }
            }
            ExprKind::Unary(op, x) => {
                let op = *op;
                let c = self.expr(x);
                Box::new(move |it, env| {
                    let v = c(it, env)?;
                    let r = it.unary(op, &v);
                    done(it, r, span)
                })
            }
            ExprKind::And(l, r) => {
                let (l, r) = (self.expr(l), self.expr(r));
                Box::new(move |it, env| {
                    let a = l(it, env)?;
                    if !truthy(it, &a).map_err(|e| e.at(span))? {
                        return Ok(a);
                    }
                    r(it, env)
                })
            }
            ExprKind::Or(l, r) => {
                let (l, r) = (self.expr(l), self.expr(r));
                Box::new(move |it, env| {
                    let a = l(it, env)?;
                    if truthy(it, &a).map_err(|e| e.at(span))? {
                        return Ok(a);
                    }
                    r(it, env)
                })
            }
            ExprKind::IfExp(cond, a, b) => {
                let (c, a, b) = (self.expr(cond), self.expr(a), self.expr(b));
                Box::new(move |it, env| {
                    let v = c(it, env)?;
                    if truthy(it, &v).map_err(|e| e.at(span))? { a(it, env) } else { b(it, env) }
                })
            }
            ExprKind::Compare(first, rest) if rest.len() == 1 => {
                let (op, right) = (rest[0].0, &rest[0].1);
                let slow = move |it: &mut Interpreter, a: &Value, b: &Value| it.compare(op, a, b);
                match (self.peek(first), self.peek(right)) {
                    (Some(lp), Some(rp)) => with_peek(
                        lp,
                        rp,
                        compare(op, self.expr(first), self.expr(right), span),
                        move |a, b| compare_num(op, a, b),
                    ),
                    (Some(lp), None) => {
                        with_peek_left(lp, self.expr(first), self.expr(right), span, move |a, b| compare_num(op, a, b), slow)
                    }
                    (None, Some(rp)) => with_peek_right(self.expr(first), rp, self.expr(right), span, move |a, b| compare_num(op, a, b), slow),
                    (None, None) => compare(op, self.expr(first), self.expr(right), span),
                }
            }
            ExprKind::List(items) | ExprKind::Tuple(items)
                if !items.iter().any(|i| matches!(i.kind, ExprKind::Starred(_))) =>
            {
                let is_list = matches!(e.kind, ExprKind::List(_));
                let items: Vec<CE> = items.iter().map(|i| self.expr(i)).collect();
                Box::new(move |it, env| {
                    let mut out = Vec::with_capacity(items.len());
                    for i in &items {
                        out.push(i(it, env)?);
                    }
                    Ok(if is_list { Value::list(out) } else { Value::tuple(out) })
                })
            }
            ExprKind::Call(func, args) => self.call(e, func, args),
            ExprKind::ListComp(elt, comps) if !comps.is_empty() => {
                let (first, clauses, inner) = self.clauses(comps);
                let elt = inner.expr(elt);
                Box::new(move |it, env| {
                    let mut out = Vec::new();
                    comprehension(it, env, &first, &clauses, &mut |it, sc| {
                        out.push(elt(it, sc)?);
                        Ok(())
                    })?;
                    Ok(Value::list(out))
                })
            }
            ExprKind::DictComp(k, v, comps) if !comps.is_empty() => {
                let (first, clauses, inner) = self.clauses(comps);
                let (k, v) = (inner.expr(k), inner.expr(v));
                Box::new(move |it, env| {
                    let mut d = Dict::new();
                    comprehension(it, env, &first, &clauses, &mut |it, sc| {
                        let kv = k(it, sc)?;
                        let vv = v(it, sc)?;
                        d.insert(kv, vv)
                    })?;
                    Ok(Value::dict(d))
                })
            }
            ExprKind::SetComp(elt, comps) if !comps.is_empty() => {
                let (first, clauses, inner) = self.clauses(comps);
                let elt = inner.expr(elt);
                Box::new(move |it, env| {
                    let mut d = Dict::new();
                    comprehension(it, env, &first, &clauses, &mut |it, sc| {
                        let v = elt(it, sc)?;
                        d.insert(v, Value::None)
                    })?;
                    Ok(Value::set(d))
                })
            }
            _ => self.fallback(e),
        }
    }

    /// A comprehension's clauses: its first iterable (evaluated in the enclosing scope, as in
    /// Python), each clause compiled in the comprehension's scope, and the compiler for the
    /// element.
    fn clauses(&self, comps: &[Comp]) -> ((CE, Span), Vec<Clause>, Compiler<'_>) {
        let mut names = Vec::new();
        for c in comps {
            target_names(&c.target, &mut names);
        }
        let mut levels = self.levels.clone();
        levels.push(names);
        let inner = Compiler { func: self.func, levels };
        let first = (self.expr(&comps[0].iter), comps[0].iter.span);
        let clauses = comps
            .iter()
            .enumerate()
            .map(|(i, c)| Clause {
                target: inner.target(&c.target),
                iter: if i == 0 { None } else { Some((inner.expr(&c.iter), c.iter.span)) },
                conds: c.conds.iter().map(|e| inner.expr(e)).collect(),
            })
            .collect();
        (first, clauses, inner)
    }

    /// `e` as an operand whose number can be read in place (see `peek`): a number literal, a
    /// local of the function, or a global.
    fn peek(&self, e: &Expr) -> Option<Peek> {
        match &e.kind {
            ExprKind::Int(i) => Some(Peek::Int(*i)),
            ExprKind::Float(f) => Some(Peek::Float(*f)),
            ExprKind::Name(n, _) if self.levels.is_empty() => match self.place(n) {
                Place::Local(i) => Some(Peek::Local(i)),
                Place::Global => Some(Peek::Global(n.clone(), NameSlot::default())),
                Place::Free => None,
            },
            ExprKind::Attribute(obj, name) if &**name != "__class__" && &**name != "__dict__" => {
                self.local_slot(obj).map(|i| Peek::Attr(i, name.clone(), Cell::new(0)))
            }
            _ => None,
        }
    }

    /// The frame slot of `e` when it is a plain local of the function (not in a comprehension).
    fn local_slot(&self, e: &Expr) -> Option<u32> {
        match (&e.kind, self.levels.is_empty()) {
            (ExprKind::Name(n, _), true) => match self.place(n) {
                Place::Local(i) => Some(i),
                _ => None,
            },
            _ => None,
        }
    }

    /// The tree walker runs the node.
    fn fallback(&self, e: &Expr) -> CE {
        let e = e.clone();
        Box::new(move |it, env| it.eval(&e, env))
    }

    fn name(&self, n: &Name, span: Span) -> CE {
        let n = n.clone();
        let slot = NameSlot::default();
        if let Some(k) = self.comp_level(&n) {
            return Box::new(move |it, env| {
                if let Some(s) = hop(env, k)
                    && let Some(v) = s.vars.borrow().get(&n)
                {
                    return Ok(v.clone());
                }
                it.lookup(&n, &slot, env).map_err(|e| e.at(span))
            });
        }
        let hops = self.levels.len();
        if hops > 0 {
            // Inside a comprehension: the enclosing function's locals are `hops` scopes out.
            return match self.place(&n) {
                Place::Local(i) => Box::new(move |it, env| {
                    if let Some(s) = hop(env, hops)
                        && let Some(v) = &s.slots.borrow()[i as usize]
                    {
                        return Ok(v.clone());
                    }
                    it.lookup(&n, &slot, env).map_err(|e| e.at(span))
                }),
                Place::Global => Box::new(move |it, _| it.lookup_global_at(&n, &slot).map_err(|e| e.at(span))),
                Place::Free => Box::new(move |it, env| it.lookup(&n, &slot, env).map_err(|e| e.at(span))),
            };
        }
        match self.place(&n) {
            Place::Local(i) => Box::new(move |it, env| {
                if let Some(s) = env
                    && let Some(v) = &s.slots.borrow()[i as usize]
                {
                    return Ok(v.clone());
                }
                if env.is_none() {
                    return it.lookup(&n, &slot, env).map_err(|e| e.at(span));
                }
                Err(Exception::new(
                    "UnboundLocalError",
                    format!("cannot access local variable '{n}' where it is not associated with a value"),
                )
                .at(span))
            }),
            Place::Global => Box::new(move |it, _| it.lookup_global_at(&n, &slot).map_err(|e| e.at(span))),
            Place::Free => Box::new(move |it, env| {
                // A function defined at module level sees the globals (and builtins) next.
                if let Some(s) = env
                    && s.parent.is_none()
                    && s.vars.borrow().is_empty()
                {
                    return it.lookup_global_at(&n, &slot).map_err(|e| e.at(span));
                }
                it.lookup(&n, &slot, env).map_err(|e| e.at(span))
            }),
        }
    }

    /// The positional arguments (the only kind `call` compiles).
    fn args(&self, args: &[Arg]) -> Vec<CE> {
        args.iter()
            .filter_map(|a| match a {
                Arg::Pos(e) => Some(self.expr(e)),
                _ => None,
            })
            .collect()
    }

    fn call(&self, e: &Expr, func: &Expr, args: &[Arg]) -> CE {
        let span = e.span;
        if !args.iter().all(|a| matches!(a, Arg::Pos(_))) {
            return self.fallback(e);
        }
        if let ExprKind::Name(n, _) = &func.kind
            && &**n == "super"
        {
            return self.fallback(e);
        }
        let args = self.args(args);
        if let ExprKind::Attribute(oe, name) = &func.kind {
            let o = self.expr(oe);
            let name = name.clone();
            let fspan = func.span;
            // The two container methods tutorials call in their loops, as CPython 3.11
            // specialises them: no argument vector, no dispatch on the method's name.
            let method = match (&*name, args.len()) {
                ("append", 1) => Some(Method::ListAppend),
                ("get", 1 | 2) => Some(Method::DictGet),
                _ => None,
            };
            // The method this site found last, for the class and class generation it found it
            // in (as `plain_method`'s per-class cache, without searching that cache).
            let last: RefCell<Option<(usize, u64, Rc<Function>)>> = RefCell::new(None);
            return Box::new(move |it, env| {
                let ov = o(it, env)?;
                match (method, &ov) {
                    (Some(Method::ListAppend), Value::List(l)) => {
                        let v = args[0](it, env)?;
                        l.borrow_mut().push(v);
                        return Ok(Value::None);
                    }
                    (Some(Method::DictGet), Value::Dict(d)) => {
                        let k = args[0](it, env)?;
                        let default = match args.get(1) {
                            Some(a) => a(it, env)?,
                            None => Value::None,
                        };
                        let found = d.borrow().get(&k);
                        return match found {
                            Ok(v) => Ok(v.unwrap_or(default)),
                            Err(e) => Err(e.at(span)),
                        };
                    }
                    _ => {}
                }
                if let Value::Instance(inst) = &ov
                    && let Some(m) = site_method(it, inst, &name, &last)
                {
                    let def = &m.def;
                    let r = if def.scope().simple_params && !def.is_generator && args.len() + 1 == def.params.len() {
                        let frame = it.new_frame(&m);
                        frame.slots.borrow_mut().push(Some(ov));
                        for a in &args {
                            let v = a(it, env)?;
                            frame.slots.borrow_mut().push(Some(v));
                        }
                        it.run_frame(&m, frame)
                    } else {
                        let mut pos = Vec::with_capacity(frame_capacity(&m, args.len() + 1));
                        pos.push(ov);
                        for a in &args {
                            pos.push(a(it, env)?);
                        }
                        let a = Args { fname: it.empty_name.clone(), this: None, pos, kw: Vec::new() };
                        it.call_function(&m, a)
                    };
                    return done(it, r, span);
                }
                // A method of a builtin container: its function, called with the receiver.
                if let Some(f) = super::super::builtins::method_fn(&ov, &name) {
                    let mut pos = Vec::with_capacity(args.len());
                    for a in &args {
                        pos.push(a(it, env)?);
                    }
                    let a = Args { fname: name.clone(), this: Some(ov), pos, kw: Vec::new() };
                    let r = f(it, a);
                    return done(it, r, span);
                }
                let f = it.get_attr(&ov, &name).map_err(|e| e.at(fspan))?;
                let mut pos = Vec::with_capacity(args.len() + 1);
                for a in &args {
                    pos.push(a(it, env)?);
                }
                let a = Args { fname: it.empty_name.clone(), this: None, pos, kw: Vec::new() };
                let r = it.call(&f, a);
                done(it, r, span)
            });
        }
        let fc = self.expr(func);
        Box::new(move |it, env| {
            let f = fc(it, env)?;
            // `str(n)` of an int, as in building labels in a loop.
            if let (Value::Type(t), [a]) = (&f, &args[..])
                && &*t.name == "str"
                && !t.is_user()
            {
                let v = a(it, env)?;
                if let Value::Int(i) = v {
                    let mut out = String::new();
                    push_int(&mut out, i);
                    return Ok(Value::Str(out.into()));
                }
                let a = Args { fname: it.empty_name.clone(), this: None, pos: vec![v], kw: Vec::new() };
                let r = it.call(&f, a);
                return done(it, r, span);
            }
            if let Value::Function(fu) = &f {
                let def = &fu.def;
                if def.scope().simple_params && !def.is_generator && args.len() == def.params.len() {
                    let frame = it.new_frame(fu);
                    for a in &args {
                        let v = a(it, env)?;
                        frame.slots.borrow_mut().push(Some(v));
                    }
                    let r = it.run_frame(fu, frame);
                    return done(it, r, span);
                }
            }
            let cap = match &f {
                Value::Function(func) => frame_capacity(func, args.len() + 1),
                _ => args.len() + 1,
            };
            let mut pos = Vec::with_capacity(cap);
            for a in &args {
                pos.push(a(it, env)?);
            }
            let a = Args { fname: it.empty_name.clone(), this: None, pos, kw: Vec::new() };
            let r = it.call(&f, a);
            done(it, r, span)
        })
    }
}

/// A builtin method `call` specialises.
#[derive(Clone, Copy)]
enum Method {
    ListAppend,
    DictGet,
}

/// `plain_method`, answered from the call site's last hit when the instance's class and the
/// class generation are the same and no instance attribute shadows the name.
#[inline(always)]
fn site_method(it: &Interpreter, inst: &Instance, name: &Name, last: &RefCell<Option<(usize, u64, Rc<Function>)>>) -> Option<Rc<Function>> {
    let class = Rc::as_ptr(&inst.class) as usize;
    let generation = it.class_generation.get();
    if let Some((c, g, f)) = &*last.borrow()
        && *c == class
        && *g == generation
    {
        return if inst.has_own(name) { None } else { Some(f.clone()) };
    }
    let m = it.plain_method(inst, name)?;
    *last.borrow_mut() = Some((class, generation, m.clone()));
    Some(m)
}

/// The scope `k` comprehension scopes out from `env`.
#[inline(always)]
fn hop(env: &Env, k: usize) -> &Env {
    let mut e = env;
    for _ in 0..k {
        match e {
            Some(s) => e = &s.parent,
            None => break,
        }
    }
    e
}

/// The names a `for` target binds.
fn target_names(t: &Expr, out: &mut Vec<Name>) {
    match &t.kind {
        ExprKind::Name(n, _) => out.push(n.clone()),
        ExprKind::Tuple(items) | ExprKind::List(items) => items.iter().for_each(|i| target_names(i, out)),
        ExprKind::Starred(inner) => target_names(inner, out),
        _ => {}
    }
}

/// One `for ... in ... if ...` clause of a comprehension; the first has no iterable here (it
/// is evaluated outside the comprehension's scope).
struct Clause {
    target: CT,
    iter: Option<(CE, Span)>,
    conds: Vec<CE>,
}

/// Run a comprehension: a fresh scope for its names, then its clauses, calling `body` for each
/// binding that passes every condition.
fn comprehension(
    it: &mut Interpreter,
    env: &Env,
    first: &(CE, Span),
    clauses: &[Clause],
    body: &mut dyn FnMut(&mut Interpreter, &Env) -> R<()>,
) -> R<()> {
    let iterable = (first.0)(it, env)?;
    let scope: Env = Some(Rc::new(Scope::new(None, env.clone())));
    run_clauses(it, &scope, clauses, iterable, first.1, body)
}

fn run_clauses(
    it: &mut Interpreter,
    scope: &Env,
    clauses: &[Clause],
    iterable: Value,
    ispan: Span,
    body: &mut dyn FnMut(&mut Interpreter, &Env) -> R<()>,
) -> R<()> {
    let Some((c, rest)) = clauses.split_first() else {
        return body(it, scope);
    };
    let mut item = |it: &mut Interpreter, v: Value| -> R<()> {
        (c.target)(it, scope, v)?;
        for cond in &c.conds {
            let v = cond(it, scope)?;
            if !truthy(it, &v)? {
                return Ok(());
            }
        }
        match rest.first().and_then(|r| r.iter.as_ref()) {
            Some((next, nspan)) => {
                let iterable = next(it, scope)?;
                run_clauses(it, scope, rest, iterable, *nspan, body)
            }
            None => body(it, scope),
        }
    };
    each(it, &iterable, ispan, |it, v| {
        item(it, v)?;
        Ok(None::<()>)
    })?;
    Ok(())
}

/// Run `step` on each item of `iterable` until it returns Some (which `each` returns). Ranges,
/// lists and tuples are walked directly (a list is read afresh at each index, as its iterator
/// does, so appends during the loop are seen); anything else through its iterator.
#[inline(always)]
fn each<T>(
    it: &mut Interpreter,
    iterable: &Value,
    ispan: Span,
    mut step: impl FnMut(&mut Interpreter, Value) -> R<Option<T>>,
) -> R<Option<T>> {
    match iterable {
        Value::Range(r) => {
            let RangeVal { start, stop, step: by } = **r;
            let mut cur = start;
            loop {
                it.tick()?;
                if (by > 0 && cur >= stop) || (by < 0 && cur <= stop) {
                    return Ok(None);
                }
                if let Some(x) = step(it, Value::Int(cur))? {
                    return Ok(Some(x));
                }
                match cur.checked_add(by) {
                    Some(n) => cur = n,
                    None => return Ok(None),
                }
            }
        }
        Value::List(l) => {
            let mut i = 0;
            loop {
                it.tick()?;
                let item = l.borrow().get(i).cloned();
                let Some(v) = item else { return Ok(None) };
                i += 1;
                if let Some(x) = step(it, v)? {
                    return Ok(Some(x));
                }
            }
        }
        Value::Tuple(items) => {
            for v in items.iter() {
                it.tick()?;
                if let Some(x) = step(it, v.clone())? {
                    return Ok(Some(x));
                }
            }
            it.tick()?;
            Ok(None)
        }
        _ => {
            let iterator = it.iter(iterable).map_err(|e| e.at(ispan))?;
            loop {
                it.tick()?;
                let Some(v) = it.next(&iterator).map_err(|e| e.at(ispan))? else { return Ok(None) };
                if let Some(x) = step(it, v)? {
                    return Ok(Some(x));
                }
            }
        }
    }
}

/// An instance's own attribute, when no property on its class could take precedence (the
/// caller has ruled out `__class__` and `__dict__`).
#[inline(always)]
fn plain_attr(it: &Interpreter, inst: &Instance, name: &Name, hint: &Cell<usize>) -> Option<Value> {
    if !it.reads_own_dict(inst) {
        return None;
    }
    let d = inst.dict.borrow();
    find_attr(&d, name, hint).map(|i| d[i].1.clone())
}

/// Store an instance's own attribute when its class has neither `__setattr__` nor properties
/// and no native half; otherwise give the value back for the full protocol.
#[inline(always)]
fn set_plain_attr(it: &Interpreter, inst: &Instance, name: &Name, hint: &Cell<usize>, v: Value) -> Option<Value> {
    if !it.writes_own_dict(inst) {
        return Some(v);
    }
    let mut d = inst.dict.borrow_mut();
    match find_attr(&d, name, hint) {
        Some(i) => d[i].1 = v,
        None => d.push((name.clone(), v)),
    }
    None
}

/// The index of `name` in an instance's attribute vector, trying the last hit first.
#[inline(always)]
fn find_attr(d: &[(Name, Value)], name: &Name, hint: &Cell<usize>) -> Option<usize> {
    let h = hint.get();
    if let Some((k, _)) = d.get(h)
        && (Rc::ptr_eq(k, name) || **k == **name)
    {
        return Some(h);
    }
    let i = d.iter().position(|(k, _)| **k == **name)?;
    hint.set(i);
    Some(i)
}

/// An operand read in place, without a closure call or a clone: the fast path of arithmetic
/// and comparisons on numbers. Reading has no side effects, so when either operand is not a
/// number the node runs its general closure from the start.
enum Peek {
    Int(i64),
    Float(f64),
    Local(u32),
    /// A global, through the global index this operand caches.
    Global(Name, NameSlot),
    /// `self.x`: an attribute in the own dict of an instance held in a local, when no property
    /// could take precedence (`plain_attr`).
    Attr(u32, Name, Cell<usize>),
}

#[derive(Clone, Copy)]
enum Num {
    I(i64),
    F(f64),
}

#[inline(always)]
fn num(v: &Value) -> Option<Num> {
    match v {
        Value::Int(i) => Some(Num::I(*i)),
        Value::Float(f) => Some(Num::F(*f)),
        _ => None,
    }
}

#[inline(always)]
fn peek(p: &Peek, it: &mut Interpreter, env: &Env) -> Option<Num> {
    match p {
        Peek::Int(i) => Some(Num::I(*i)),
        Peek::Float(f) => Some(Num::F(*f)),
        Peek::Local(i) => num(env.as_ref()?.slots.borrow().get(*i as usize)?.as_ref()?),
        Peek::Global(name, slot) => {
            let g = match slot.global_index(it.id) {
                Some(g) => g,
                None => {
                    let g = it.globals.index_of(name, &it.builtins);
                    slot.set_global_index(it.id, g);
                    g
                }
            };
            num(it.globals.values.get(g as usize)?.as_ref()?)
        }
        Peek::Attr(i, name, hint) => {
            let slots = env.as_ref()?.slots.borrow();
            let Some(Value::Instance(inst)) = slots.get(*i as usize)? else { return None };
            if !it.reads_own_dict(inst) {
                return None;
            }
            let d = inst.dict.borrow();
            num(&d[find_attr(&d, name, hint)?].1)
        }
    }
}

/// The value a peeked number came from (exact: only ints and floats are peeked).
#[inline(always)]
fn value_of(n: Num) -> Value {
    match n {
        Num::I(i) => Value::Int(i),
        Num::F(f) => Value::Float(f),
    }
}

/// A node whose left operand can be peeked and whose right cannot. The left number is read
/// first (a copy, so the right operand's side effects cannot change it, as in Python's order);
/// when the left is not a number it is evaluated (`l`, its compiled leaf) and the general
/// operation runs.
fn with_peek_left(
    lp: Peek,
    l: CE,
    r: CE,
    span: Span,
    fast: impl Fn(Num, Num) -> Option<Value> + 'static,
    slow: impl Fn(&mut Interpreter, &Value, &Value) -> R<Value> + 'static,
) -> CE {
    Box::new(move |it, env| {
        let Some(a) = peek(&lp, it, env) else {
            let a = l(it, env)?;
            let b = r(it, env)?;
            let r = slow(it, &a, &b);
            return done(it, r, span);
        };
        let b = r(it, env)?;
        if let Some(bn) = num(&b)
            && let Some(v) = fast(a, bn)
        {
            return Ok(v);
        }
        let r = slow(it, &value_of(a), &b);
        done(it, r, span)
    })
}

/// A node whose right operand can be peeked and whose left cannot: the left is evaluated,
/// then the right read (or, when it is not a number, evaluated).
fn with_peek_right(
    l: CE,
    rp: Peek,
    r: CE,
    span: Span,
    fast: impl Fn(Num, Num) -> Option<Value> + 'static,
    slow: impl Fn(&mut Interpreter, &Value, &Value) -> R<Value> + 'static,
) -> CE {
    Box::new(move |it, env| {
        let a = l(it, env)?;
        let b = match peek(&rp, it, env) {
            Some(bn) => {
                if let Some(an) = num(&a)
                    && let Some(v) = fast(an, bn)
                {
                    return Ok(v);
                }
                value_of(bn)
            }
            None => r(it, env)?,
        };
        let r = slow(it, &a, &b);
        done(it, r, span)
    })
}

/// Store into a local or global operand that `peek` has just read.
#[inline(always)]
fn poke(p: &Peek, it: &mut Interpreter, env: &Env, v: Value) {
    match p {
        Peek::Local(i) => {
            if let Some(s) = env
                && let Some(slot) = s.slots.borrow_mut().get_mut(*i as usize)
            {
                *slot = Some(v);
            }
        }
        Peek::Global(_, slot) => {
            if let Some(g) = slot.global_index(it.id)
                && let Some(cell) = it.globals.values.get_mut(g as usize)
            {
                *cell = Some(v);
            }
        }
        Peek::Int(_) | Peek::Float(_) | Peek::Attr(..) => {}
    }
}

/// A node with two in-place operands: `fast` on their numbers, else the general closure.
fn with_peek(lp: Peek, rp: Peek, general: CE, fast: impl Fn(Num, Num) -> Option<Value> + 'static) -> CE {
    Box::new(move |it, env| {
        if let (Some(a), Some(b)) = (peek(&lp, it, env), peek(&rp, it, env))
            && let Some(v) = fast(a, b)
        {
            return Ok(v);
        }
        general(it, env)
    })
}

#[inline(always)]
fn arith_num(op: BinOp, a: Num, b: Num) -> Option<Value> {
    match (a, b) {
        (Num::I(x), Num::I(y)) => int_op(op, x, y).map(Value::Int),
        (Num::F(x), Num::F(y)) => float_op(op, x, y).map(Value::Float),
        _ => None,
    }
}

#[inline(always)]
fn compare_num(op: CmpOp, a: Num, b: Num) -> Option<Value> {
    let o = match (a, b) {
        (Num::I(x), Num::I(y)) => x.cmp(&y),
        (Num::F(x), Num::F(y)) => match op {
            // IEEE comparisons, NaN included.
            CmpOp::Lt => return Some(Value::Bool(x < y)),
            CmpOp::Le => return Some(Value::Bool(x <= y)),
            CmpOp::Gt => return Some(Value::Bool(x > y)),
            CmpOp::Ge => return Some(Value::Bool(x >= y)),
            CmpOp::Eq => return Some(Value::Bool(x == y)),
            CmpOp::Ne => return Some(Value::Bool(x != y)),
            _ => return None,
        },
        _ => return None,
    };
    use std::cmp::Ordering::*;
    Some(Value::Bool(match op {
        CmpOp::Lt => o == Less,
        CmpOp::Le => o != Greater,
        CmpOp::Gt => o == Greater,
        CmpOp::Ge => o != Less,
        CmpOp::Eq => o == Equal,
        CmpOp::Ne => o != Equal,
        _ => return None,
    }))
}

/// Python's index `i` (negative from the end) into a sequence of `len` items, if in range.
#[inline(always)]
fn index_in(i: i64, len: usize) -> Option<usize> {
    let j = if i < 0 { i.checked_add(len as i64)? } else { i };
    if j >= 0 && (j as usize) < len { Some(j as usize) } else { None }
}

/// `x op y` for two ints when the answer is an i64 and needs none of Python's sign rules
/// (anything else goes to `Interpreter::binary`).
#[inline(always)]
fn int_op(op: BinOp, x: i64, y: i64) -> Option<i64> {
    match op {
        BinOp::Add => x.checked_add(y),
        BinOp::Sub => x.checked_sub(y),
        BinOp::Mul => x.checked_mul(y),
        BinOp::BitAnd => Some(x & y),
        BinOp::BitOr => Some(x | y),
        BinOp::BitXor => Some(x ^ y),
        BinOp::Mod if x >= 0 && y > 0 => Some(x % y),
        BinOp::FloorDiv if x >= 0 && y > 0 => Some(x / y),
        _ => None,
    }
}

/// `x op y` for two floats where IEEE arithmetic is Python's.
#[inline(always)]
fn float_op(op: BinOp, x: f64, y: f64) -> Option<f64> {
    match op {
        BinOp::Add => Some(x + y),
        BinOp::Sub => Some(x - y),
        BinOp::Mul => Some(x * y),
        _ => None,
    }
}

/// `a op= b`: ints and floats go straight to the arithmetic.
#[inline(always)]
fn inplace(it: &mut Interpreter, op: BinOp, a: Value, b: Value) -> R<Value> {
    match (&a, &b) {
        (Value::Int(x), Value::Int(y)) if let Some(v) = int_op(op, *x, *y) => Ok(Value::Int(v)),
        (Value::Float(x), Value::Float(y)) if let Some(v) = float_op(op, *x, *y) => Ok(Value::Float(v)),
        (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => it.inplace_binary(op, &a, &b),
        _ => it.inplace(op, a, b),
    }
}

fn binary(op: BinOp, l: CE, r: CE, span: Span) -> CE {
    Box::new(move |it, env| {
        let a = l(it, env)?;
        let b = r(it, env)?;
        match (&a, &b) {
            (Value::Int(x), Value::Int(y)) => {
                if let Some(v) = int_op(op, *x, *y) {
                    return Ok(Value::Int(v));
                }
            }
            (Value::Float(x), Value::Float(y)) => {
                if let Some(v) = float_op(op, *x, *y) {
                    return Ok(Value::Float(v));
                }
            }
            (Value::Str(x), Value::Str(y)) if op == BinOp::Add => {
                let mut s = String::with_capacity(x.len() + y.len());
                s.push_str(x);
                s.push_str(y);
                return Ok(Value::Str(s.into()));
            }
            _ => {}
        }
        let r = it.binary(op, &a, &b);
        done(it, r, span)
    })
}

fn compare(op: CmpOp, l: CE, r: CE, span: Span) -> CE {
    Box::new(move |it, env| {
        let a = l(it, env)?;
        let b = r(it, env)?;
        if let (Some(x), Some(y)) = (num(&a), num(&b))
            && let Some(v) = compare_num(op, x, y)
        {
            return Ok(v);
        }
        let r = it.compare(op, &a, &b);
        done(it, r, span)
    })
}
