//! The interpreter's side of a lesson's resource limits: how deep code may nest, how much of the
//! lesson thread's stack is left, and whether an allocation whose size comes from the lesson
//! fits the lesson's memory budget before it is made.
//!
//! A lesson must never abort the process: Rust aborts on stack overflow and on a failed
//! allocation, so both are refused before they happen, with the error CPython gives
//! (`RecursionError`, `MemoryError`). The host (execute.rs) says how big the stack is and how
//! to ask the memory budget; `lang` stays unaware of the allocator and the tensor engine.

use std::cell::Cell;

use super::ast::{Arg, Comp, Expr, ExprKind, FPart, Stmt, StmtKind};
use super::error::Exception;
use crate::source::Span;

/// How deep an expression or statement tree may nest: CPython's compiler gives up near 3000
/// levels (`1+1+…` with 3000 terms) with "maximum recursion depth exceeded during compilation".
/// Every recursive walk over the tree (scopes, compiler, evaluator, drop) is then bounded.
pub const MAX_NESTING: usize = 2900;

/// CPython's limit on indentation levels (`too many levels of indentation`).
pub const MAX_INDENT_LEVELS: usize = 100;

/// The host's answer to whether `bytes` more fit the lesson's memory budget.
type FitsCheck = fn(u64) -> bool;

thread_local! {
    /// Addresses below this are the last part of the lesson thread's stack, kept for the work
    /// between two checks; 0 when the host set nothing (no check).
    static STACK_FLOOR: Cell<usize> = const { Cell::new(0) };
    /// Whether `bytes` more would still fit the lesson's memory budget (the host's answer).
    static FITS: Cell<Option<FitsCheck>> = const { Cell::new(None) };
    /// Whether long native work (a big-int power) should give up now (the host's answer).
    static STOP: Cell<Option<fn() -> bool>> = const { Cell::new(None) };
}

/// Sets (or removes) how long native work learns that the cell's deadline passed or the run
/// was cancelled. When it says stop, the host has been told and raises the stop's error after
/// the expression, so the work may return a partial result nobody will see.
pub fn set_stop_check(stop: Option<fn() -> bool>) {
    STOP.set(stop);
}

/// Whether long native work should give up now (see [`set_stop_check`]).
pub fn should_stop() -> bool {
    STOP.get().is_some_and(|stop| stop())
}

/// Declares that the current thread has about `size` bytes of stack above the caller and
/// that checks must fail once less than `reserve` bytes are left.
pub fn set_stack_size(size: usize, reserve: usize) {
    let here = approximate_sp();
    STACK_FLOOR.set(here.saturating_sub(size.saturating_sub(reserve)));
}

#[inline(always)]
fn approximate_sp() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

/// True when the stack is nearly used up (the caller should raise instead of recursing).
#[inline(always)]
pub fn stack_low() -> bool {
    approximate_sp() < STACK_FLOOR.get()
}

/// Sets (or removes) how the interpreter asks whether an allocation fits the lesson's budget.
pub fn set_budget_check(fits: Option<fn(u64) -> bool>) {
    FITS.set(fits);
}

/// The most bytes one allocation may take when the host set no budget: beyond this, an
/// allocation would fail or exhaust the machine, and a failed allocation aborts the process.
const UNBUDGETED_MAX: u64 = 1 << 36;

/// `MemoryError` unless `bytes` (computed from the lesson's values: a width, a repeat count, a
/// shape) can be allocated now. Call it before allocating.
pub(crate) fn check_alloc(bytes: u128) -> Result<(), Exception> {
    let ok = match u64::try_from(bytes) {
        Err(_) => false,
        Ok(b) if b > UNBUDGETED_MAX => false,
        Ok(b) => FITS.get().is_none_or(|fits| fits(b)),
    };
    if ok {
        Ok(())
    } else {
        Err(Exception::new("MemoryError", ""))
    }
}

/// [`check_alloc`] for a string of `bytes` that is built and then becomes a value: it exists
/// twice at that moment, as the buffer it was built in and as the `Rc<str>` copy the value
/// holds, so both are charged.
pub(crate) fn check_text(bytes: u128) -> Result<(), Exception> {
    check_alloc(bytes.saturating_mul(2))
}

/// [`check_alloc`] for `count` items of `item_bytes` each.
pub(crate) fn check_items(count: u128, item_bytes: u128) -> Result<(), Exception> {
    check_alloc(count.saturating_mul(item_bytes))
}

/// The first statement or expression nested deeper than [`MAX_NESTING`], if any. The walk
/// stops descending at the limit, so it is bounded itself.
pub(crate) fn too_deep(body: &[Stmt]) -> Option<Span> {
    stmts(body, 0).err()
}

type Deep = Result<(), Span>;

fn stmts(body: &[Stmt], depth: usize) -> Deep {
    body.iter().try_for_each(|s| stmt(s, depth + 1))
}

fn stmt(s: &Stmt, depth: usize) -> Deep {
    if depth > MAX_NESTING {
        return Err(s.span);
    }
    let d = depth;
    match &s.kind {
        StmtKind::Expr(e) => expr(e, d),
        StmtKind::Assign(ts, v) => {
            ts.iter().try_for_each(|t| expr(t, d))?;
            expr(v, d)
        }
        StmtKind::AugAssign(t, _, v) => {
            expr(t, d)?;
            expr(v, d)
        }
        StmtKind::AnnAssign(t, a, v) => {
            expr(t, d)?;
            expr(a, d)?;
            v.iter().try_for_each(|v| expr(v, d))
        }
        StmtKind::If(c, a, b) | StmtKind::While(c, a, b) => {
            expr(c, d)?;
            stmts(a, d)?;
            stmts(b, d)
        }
        StmtKind::For(t, i, a, b) => {
            expr(t, d)?;
            expr(i, d)?;
            stmts(a, d)?;
            stmts(b, d)
        }
        StmtKind::Def(f) => {
            f.decorators.iter().try_for_each(|e| expr(e, d))?;
            f.params
                .iter()
                .filter_map(|p| p.default.as_ref())
                .try_for_each(|e| expr(e, d))?;
            stmts(&f.body, d)
        }
        StmtKind::Class(c) => {
            c.decorators.iter().try_for_each(|e| expr(e, d))?;
            args(&c.bases, d)?;
            stmts(&c.body, d)
        }
        StmtKind::Return(v) => v.iter().try_for_each(|v| expr(v, d)),
        StmtKind::Del(ts) => ts.iter().try_for_each(|t| expr(t, d)),
        StmtKind::Assert(a, b) => {
            expr(a, d)?;
            b.iter().try_for_each(|b| expr(b, d))
        }
        StmtKind::Raise(a, b) => {
            a.iter().try_for_each(|a| expr(a, d))?;
            b.iter().try_for_each(|b| expr(b, d))
        }
        StmtKind::Match(subject, cases) => {
            expr(subject, d)?;
            for c in cases {
                c.guard.iter().try_for_each(|g| expr(g, d))?;
                stmts(&c.body, d)?;
            }
            Ok(())
        }
        StmtKind::With(items, body) => {
            for (e, t) in items {
                expr(e, d)?;
                t.iter().try_for_each(|t| expr(t, d))?;
            }
            stmts(body, d)
        }
        StmtKind::Try {
            body,
            handlers,
            orelse,
            finally,
        } => {
            stmts(body, d)?;
            for h in handlers {
                h.typ.iter().try_for_each(|t| expr(t, d))?;
                stmts(&h.body, d)?;
            }
            stmts(orelse, d)?;
            stmts(finally, d)
        }
        StmtKind::Break
        | StmtKind::Continue
        | StmtKind::Pass
        | StmtKind::Global(_)
        | StmtKind::Nonlocal(_)
        | StmtKind::Import(_)
        | StmtKind::ImportFrom(..) => Ok(()),
    }
}

fn args(a: &[Arg], d: usize) -> Deep {
    a.iter().try_for_each(|a| match a {
        Arg::Pos(e) | Arg::Star(e) | Arg::Kw(_, e) | Arg::DStar(e) => expr(e, d),
    })
}

fn comps(cs: &[Comp], d: usize) -> Deep {
    for c in cs {
        expr(&c.target, d)?;
        expr(&c.iter, d)?;
        c.conds.iter().try_for_each(|e| expr(e, d))?;
    }
    Ok(())
}

fn fparts(parts: &[FPart], d: usize) -> Deep {
    for p in parts {
        if let FPart::Field { expr: e, spec, .. } = p {
            expr(e, d)?;
            if let Some(spec) = spec {
                fparts(spec, d)?;
            }
        }
    }
    Ok(())
}

fn expr(e: &Expr, depth: usize) -> Deep {
    if depth > MAX_NESTING {
        return Err(e.span);
    }
    let d = depth + 1;
    let opt = |x: &Option<Box<Expr>>| x.as_deref().map_or(Ok(()), |x| expr(x, d));
    match &e.kind {
        ExprKind::Yield(x) => opt(x),
        ExprKind::YieldFrom(x)
        | ExprKind::Starred(x)
        | ExprKind::Attribute(x, _)
        | ExprKind::Unary(_, x) => expr(x, d),
        ExprKind::Walrus(_, x) => expr(x, d),
        ExprKind::None
        | ExprKind::Bool(_)
        | ExprKind::Int(_)
        | ExprKind::BigInt(_)
        | ExprKind::Float(_)
        | ExprKind::Imag(_)
        | ExprKind::Str(_)
        | ExprKind::Bytes(_)
        | ExprKind::Ellipsis
        | ExprKind::Name(..) => Ok(()),
        ExprKind::FString(parts) => fparts(parts, d),
        ExprKind::List(xs) | ExprKind::Tuple(xs) | ExprKind::Set(xs) => {
            xs.iter().try_for_each(|x| expr(x, d))
        }
        ExprKind::Dict(kvs) => kvs.iter().try_for_each(|(k, v)| {
            k.iter().try_for_each(|k| expr(k, d))?;
            expr(v, d)
        }),
        ExprKind::Subscript(a, b)
        | ExprKind::Binary(_, a, b)
        | ExprKind::And(a, b)
        | ExprKind::Or(a, b) => {
            expr(a, d)?;
            expr(b, d)
        }
        ExprKind::Slice(a, b, c) => {
            opt(a)?;
            opt(b)?;
            opt(c)
        }
        ExprKind::Call(f, a) => {
            expr(f, d)?;
            args(a, d)
        }
        ExprKind::Compare(first, rest) => {
            expr(first, d)?;
            rest.iter().try_for_each(|(_, x)| expr(x, d))
        }
        ExprKind::IfExp(a, b, c) => {
            expr(a, d)?;
            expr(b, d)?;
            expr(c, d)
        }
        ExprKind::Lambda(f) => {
            f.params
                .iter()
                .filter_map(|p| p.default.as_ref())
                .try_for_each(|x| expr(x, d))?;
            stmts(&f.body, d)
        }
        ExprKind::ListComp(elt, cs) | ExprKind::SetComp(elt, cs) => {
            expr(elt, d)?;
            comps(cs, d)
        }
        ExprKind::DictComp(k, v, cs) => {
            expr(k, d)?;
            expr(v, d)?;
            comps(cs, d)
        }
        ExprKind::GenExp(g) => {
            expr(&g.elt, d)?;
            comps(&g.comps, d)
        }
    }
}
