//! Generator functions run lazily: a resumable executor for their bodies, one statement at a time.
//!
//! The evaluator is a tree walker on the Rust stack, so it cannot suspend in the middle of an
//! expression. A generator's body is instead driven here, statement by statement, with its own
//! stack of positions (`GenFrame`s): statements without a `yield` run through the ordinary
//! evaluator; `yield x`, `x = yield y`, `yield from it` and the `for`/`while`/`if` statements
//! around them are stepped here, so the body can stop at a `yield` and carry on at the next
//! `next()`. A generator whose `yield`s sit anywhere else (inside `try`/`with`, or deep in an
//! expression) runs eagerly when called, as all generators once did (docs/divergences.md).

use std::collections::HashSet;
use std::rc::Rc;

use super::ast::*;
use super::error::Exception;
use super::interp::{Env, Flow, Interpreter, Scope};
use super::value::{Function, IterState, Value};

type R<T> = Result<T, Exception>;

/// The yield analysis of a generator function, computed once.
pub(crate) fn yield_info(def: &FuncDef) -> &YieldInfo {
    def.yields.get_or_init(|| {
        let mut info = YieldInfo { lazy: true, stmts: HashSet::new() };
        for s in &def.body {
            analyse_stmt(s, &mut info);
        }
        info
    })
}

/// Records whether `s` contains a `yield` (and returns it); clears `lazy` for a `yield` the
/// executor cannot stop at.
fn analyse_stmt(s: &Stmt, info: &mut YieldInfo) -> bool {
    let plain_yield = |e: &Expr| match &e.kind {
        ExprKind::Yield(x) => x.as_ref().is_none_or(|x| !expr_yields(x)),
        ExprKind::YieldFrom(x) => !expr_yields(x),
        _ => false,
    };
    let block = |b: &[Stmt], info: &mut YieldInfo| {
        let mut any = false;
        for s in b {
            any |= analyse_stmt(s, info);
        }
        any
    };
    let has = match &s.kind {
        StmtKind::Expr(e) => {
            if plain_yield(e) {
                true
            } else {
                let nested = expr_yields(e);
                if nested {
                    info.lazy = false;
                }
                nested
            }
        }
        StmtKind::Assign(targets, value) if matches!(value.kind, ExprKind::Yield(_)) && plain_yield(value) => {
            if targets.iter().any(expr_yields) {
                info.lazy = false;
            }
            true
        }
        StmtKind::If(c, body, orelse) | StmtKind::While(c, body, orelse) => {
            let header = expr_yields(c);
            let inner = block(body, info) | block(orelse, info);
            if header {
                info.lazy = false;
            }
            header || inner
        }
        StmtKind::For(t, it, body, orelse) => {
            let header = expr_yields(t) || expr_yields(it);
            let inner = block(body, info) | block(orelse, info);
            if header {
                info.lazy = false;
            }
            header || inner
        }
        StmtKind::Try { body, handlers, orelse, finally } => {
            let mut any = block(body, info) | block(orelse, info) | block(finally, info);
            for h in handlers {
                any |= block(&h.body, info) | h.typ.as_ref().is_some_and(expr_yields);
            }
            if any {
                info.lazy = false;
            }
            any
        }
        StmtKind::With(items, body) => {
            let any = block(body, info) | items.iter().any(|(e, t)| expr_yields(e) || t.as_ref().is_some_and(expr_yields));
            if any {
                info.lazy = false;
            }
            any
        }
        StmtKind::Match(subject, cases) => {
            let mut any = expr_yields(subject);
            for c in cases {
                any |= block(&c.body, info) | c.guard.as_ref().is_some_and(expr_yields);
            }
            if any {
                info.lazy = false;
            }
            any
        }
        // Nested functions and classes have their own scopes.
        StmtKind::Def(_) | StmtKind::Class(_) => false,
        other => {
            let any = match other {
                StmtKind::Assign(ts, v) => ts.iter().any(expr_yields) || expr_yields(v),
                StmtKind::AugAssign(t, _, v) => expr_yields(t) || expr_yields(v),
                StmtKind::AnnAssign(t, a, v) => expr_yields(t) || expr_yields(a) || v.as_ref().is_some_and(expr_yields),
                StmtKind::Return(v) => v.as_ref().is_some_and(expr_yields),
                StmtKind::Del(ts) => ts.iter().any(expr_yields),
                StmtKind::Assert(a, b) => expr_yields(a) || b.as_ref().is_some_and(expr_yields),
                StmtKind::Raise(a, b) => a.as_ref().is_some_and(expr_yields) || b.as_ref().is_some_and(expr_yields),
                _ => false,
            };
            if any {
                info.lazy = false;
            }
            any
        }
    };
    if has {
        info.stmts.insert(s as *const Stmt as usize);
    }
    has
}

/// Does `e` contain a `yield` of this function (not of a nested lambda)?
fn expr_yields(e: &Expr) -> bool {
    use ExprKind::*;
    let any = |v: &[Expr]| v.iter().any(expr_yields);
    let args = |v: &[Arg]| {
        v.iter().any(|a| match a {
            Arg::Pos(e) | Arg::Star(e) | Arg::Kw(_, e) | Arg::DStar(e) => expr_yields(e),
        })
    };
    let comps = |cs: &[Comp]| cs.iter().any(|c| expr_yields(&c.target) || expr_yields(&c.iter) || any(&c.conds));
    let opt = |x: &Option<Box<Expr>>| x.as_ref().is_some_and(|x| expr_yields(x));
    match &e.kind {
        Yield(_) | YieldFrom(_) => true,
        None | Bool(_) | Int(_) | BigInt(_) | Float(_) | Imag(_) | Str(_) | Bytes(_) | Ellipsis | Name(..) | Lambda(_) => false,
        FString(parts) => parts.iter().any(fpart_yields),
        List(v) | Tuple(v) | Set(v) => any(v),
        Dict(items) => items.iter().any(|(k, v)| k.as_ref().is_some_and(expr_yields) || expr_yields(v)),
        Starred(x) | Unary(_, x) | Attribute(x, _) | Walrus(_, x) => expr_yields(x),
        Subscript(a, b) | Binary(_, a, b) | And(a, b) | Or(a, b) => expr_yields(a) || expr_yields(b),
        Slice(a, b, c) => opt(a) || opt(b) || opt(c),
        Call(f, a) => expr_yields(f) || args(a),
        Compare(a, rest) => expr_yields(a) || rest.iter().any(|(_, x)| expr_yields(x)),
        IfExp(a, b, c) => expr_yields(a) || expr_yields(b) || expr_yields(c),
        ListComp(x, cs) | SetComp(x, cs) => expr_yields(x) || comps(cs),
        DictComp(k, v, cs) => expr_yields(k) || expr_yields(v) || comps(cs),
        GenExp(def) => expr_yields(&def.elt) || comps(&def.comps),
    }
}

fn fpart_yields(p: &FPart) -> bool {
    match p {
        FPart::Lit(_) => false,
        FPart::Field { expr, spec, .. } => expr_yields(expr) || spec.as_ref().is_some_and(|s| s.iter().any(fpart_yields)),
    }
}

/// A suspended generator: its function, its frame and where each nested block stands.
pub struct GenState {
    func: Rc<Function>,
    env: Env,
    /// `frames[0]` is the body; `frames[k + 1]` is a block of `frames[k]`'s current statement.
    /// Empty once the generator has finished.
    frames: Vec<GenFrame>,
    /// Whether it has run to a first `yield` (only then may `send` pass a value).
    started: bool,
    /// The value `send(v)` passed: what the pending `x = yield y` assigns.
    sent: Option<Value>,
}

#[derive(Default)]
struct GenFrame {
    /// The statement of this block being run.
    idx: usize,
    /// Which block of the parent's current statement this is: the body, or the `else`.
    orelse: bool,
    /// The iterator of the `for` statement at `idx`, while it runs.
    iter: Option<Value>,
    /// The statement at `idx` is `targets = yield x`, waiting for the generator to resume.
    pending_assign: bool,
    /// The statement at `idx` is `yield from it`, delegating to this iterator.
    yield_from: Option<Value>,
}

impl GenState {
    pub(crate) fn start(func: Rc<Function>, scope: Rc<Scope>) -> Value {
        let st = GenState { func, env: Some(scope), frames: vec![GenFrame::default()], started: false, sent: None };
        Value::Iter(Rc::new(std::cell::RefCell::new(IterState::Generator(Box::new(st)))))
    }
}

/// The block `frames[depth]` runs.
fn block<'a>(def: &'a FuncDef, frames: &[GenFrame], depth: usize) -> &'a [Stmt] {
    let mut blk: &[Stmt] = &def.body;
    for k in 0..depth {
        let Some(stmt) = blk.get(frames[k].idx) else { return &[] };
        blk = child(stmt, frames[k + 1].orelse);
    }
    blk
}

fn child(stmt: &Stmt, orelse: bool) -> &[Stmt] {
    match &stmt.kind {
        StmtKind::If(_, b, o) | StmtKind::While(_, b, o) | StmtKind::For(_, _, b, o) => {
            if orelse {
                o
            } else {
                b
            }
        }
        _ => &[],
    }
}

impl Interpreter {
    /// Run a generator to its next `yield`; None when it finishes.
    pub(crate) fn resume_generator(&mut self, g: &mut GenState) -> R<Option<Value>> {
        if g.frames.is_empty() {
            return Ok(None);
        }
        if self.depth >= self.recursion_limit || super::limits::stack_low() {
            return Err(Exception::new("RecursionError", "maximum recursion depth exceeded"));
        }
        self.depth += 1;
        g.started = true;
        let r = self.step_generator(g);
        self.depth -= 1;
        r.map_err(|e| {
            g.frames.clear();
            e.in_function(&g.func.def)
        })
    }

    fn step_generator(&mut self, g: &mut GenState) -> R<Option<Value>> {
        let func = g.func.clone();
        let def: &FuncDef = &func.def;
        let info = yield_info(def);
        let env = g.env.clone();
        loop {
            self.tick()?;
            let Some(depth) = g.frames.len().checked_sub(1) else { return Ok(None) };
            let blk = block(def, &g.frames, depth);
            let f = &mut g.frames[depth];
            if f.pending_assign {
                f.pending_assign = false;
                f.idx += 1;
                if let Some(StmtKind::Assign(targets, _)) = blk.get(f.idx - 1).map(|s| &s.kind) {
                    // What `send(v)` passed; `next()` sends None.
                    let v = g.sent.take().unwrap_or(Value::None);
                    for t in targets {
                        self.assign(t, v.clone(), &env)?;
                    }
                }
                continue;
            }
            if let Some(it) = f.yield_from.clone() {
                match self.next(&it)? {
                    Some(v) => return Ok(Some(v)),
                    None => {
                        let f = &mut g.frames[depth];
                        f.yield_from = None;
                        f.idx += 1;
                        continue;
                    }
                }
            }
            let Some(stmt) = blk.get(f.idx) else {
                // This block is done: its parent statement decides what follows.
                let orelse = f.orelse;
                g.frames.pop();
                let Some(p) = g.frames.len().checked_sub(1) else { return Ok(None) };
                let Some(pstmt) = block(def, &g.frames, p).get(g.frames[p].idx) else { return Ok(None) };
                match &pstmt.kind {
                    StmtKind::For(..) if !orelse => self.step_for(def, g, p, &env)?,
                    StmtKind::While(..) if !orelse => self.step_while(g, pstmt, &env)?,
                    _ => {
                        g.frames[p].iter = None;
                        g.frames[p].idx += 1;
                    }
                }
                continue;
            };
            if !info.stmts.contains(&(stmt as *const Stmt as usize)) {
                match self.exec(stmt, &env)? {
                    Flow::Normal => g.frames[depth].idx += 1,
                    Flow::Return(_) => {
                        g.frames.clear();
                        return Ok(None);
                    }
                    flow @ (Flow::Break | Flow::Continue) => self.leave_loop(def, g, matches!(flow, Flow::Break), &env)?,
                }
                continue;
            }
            match &stmt.kind {
                StmtKind::Expr(Expr { kind: ExprKind::Yield(x), .. }) => {
                    let v = match x {
                        Some(x) => self.eval(x, &env)?,
                        None => Value::None,
                    };
                    g.frames[depth].idx += 1;
                    return Ok(Some(v));
                }
                StmtKind::Expr(Expr { kind: ExprKind::YieldFrom(x), .. }) => {
                    let v = self.eval(x, &env)?;
                    let it = self.iter(&v).map_err(|e| e.at(x.span))?;
                    g.frames[depth].yield_from = Some(it);
                }
                StmtKind::Assign(_, Expr { kind: ExprKind::Yield(x), .. }) => {
                    let v = match x {
                        Some(x) => self.eval(x, &env)?,
                        None => Value::None,
                    };
                    g.frames[depth].pending_assign = true;
                    return Ok(Some(v));
                }
                StmtKind::If(c, _, _) => {
                    let v = self.eval(c, &env)?;
                    let orelse = !self.truthy(&v).map_err(|e| e.at(c.span))?;
                    g.frames.push(GenFrame { orelse, ..GenFrame::default() });
                }
                StmtKind::For(_, iter, _, _) => {
                    let v = self.eval(iter, &env)?;
                    let it = self.iter(&v).map_err(|e| e.at(iter.span))?;
                    g.frames[depth].iter = Some(it);
                    self.step_for(def, g, depth, &env)?;
                }
                StmtKind::While(..) => self.step_while(g, stmt, &env)?,
                _ => return Err(Exception::unsupported("this use of 'yield' in a lazily run generator").at(stmt.span)),
            }
        }
    }

    /// The `for` statement current in `frames[d]` takes its next item: bind it and enter the
    /// body, or enter the `else` block when the iterator is exhausted.
    fn step_for(&mut self, def: &FuncDef, g: &mut GenState, d: usize, env: &Env) -> R<()> {
        let Some(stmt) = block(def, &g.frames, d).get(g.frames[d].idx) else { return Ok(()) };
        let StmtKind::For(target, _, _, _) = &stmt.kind else { return Ok(()) };
        let Some(it) = g.frames[d].iter.clone() else { return Ok(()) };
        match self.next(&it)? {
            Some(item) => {
                self.assign(target, item, env)?;
                g.frames.push(GenFrame::default());
            }
            None => {
                g.frames[d].iter = None;
                g.frames.push(GenFrame { orelse: true, ..GenFrame::default() });
            }
        }
        Ok(())
    }

    /// The `while` statement current in `frames[d]` tests its condition again.
    fn step_while(&mut self, g: &mut GenState, stmt: &Stmt, env: &Env) -> R<()> {
        let StmtKind::While(c, _, _) = &stmt.kind else { return Ok(()) };
        let v = self.eval(c, env)?;
        let orelse = !self.truthy(&v).map_err(|e| e.at(c.span))?;
        g.frames.push(GenFrame { orelse, ..GenFrame::default() });
        Ok(())
    }

    /// `break` or `continue` reached a loop the executor is stepping: unwind to it.
    fn leave_loop(&mut self, def: &FuncDef, g: &mut GenState, is_break: bool, env: &Env) -> R<()> {
        loop {
            let Some(top) = g.frames.len().checked_sub(1).filter(|&t| t > 0) else {
                return Err(Exception::new("SyntaxError", "'break' or 'continue' outside loop"));
            };
            let orelse = g.frames[top].orelse;
            g.frames.pop();
            let p = top - 1;
            let Some(pstmt) = block(def, &g.frames, p).get(g.frames[p].idx) else {
                return Err(Exception::new("SyntaxError", "'break' or 'continue' outside loop"));
            };
            let is_loop = matches!(pstmt.kind, StmtKind::For(..) | StmtKind::While(..));
            if is_loop && !orelse {
                if is_break {
                    g.frames[p].iter = None;
                    g.frames[p].idx += 1;
                } else if matches!(pstmt.kind, StmtKind::For(..)) {
                    self.step_for(def, g, p, env)?;
                } else {
                    self.step_while(g, pstmt, env)?;
                }
                return Ok(());
            }
        }
    }
}

/// `gen.send(value)`: resumes the generator with `value` as the result of the `yield` it
/// stopped at (a `x = yield y` statement), and returns what it yields next.
pub(crate) fn send_method(generator: &Value) -> Value {
    Value::method(generator.clone(), "send", |it, args| {
        if args.pos.len() != 1 || !args.kw.is_empty() {
            return Err(Exception::type_error(format!(
                "generator.send() takes exactly one argument ({} given)",
                args.pos.len() + args.kw.len()
            )));
        }
        let v = args.pos[0].clone();
        let this = args.this.clone().unwrap_or(Value::None);
        if let Value::Iter(c) = &this
            && let IterState::Generator(g) = &mut *c.borrow_mut()
        {
            if !g.started && !v.is_none() {
                return Err(Exception::type_error("can't send non-None value to a just-started generator"));
            }
            g.sent = Some(v);
        }
        match it.next(&this)? {
            Some(x) => Ok(x),
            None => Err(Exception::new("StopIteration", "")),
        }
    })
}
