//! The syntax tree: every expression and statement carries the span of its source text.

use std::cell::{Cell, OnceCell};
use std::collections::HashSet;
use std::rc::Rc;

use crate::source::Span;

pub type Name = Rc<str>;

/// A map keyed by names. Names are short and hashed on every variable and attribute access, so
/// this uses a multiply-rotate hash (as rustc's FxHash) instead of SipHash: no untrusted party
/// can pick our keys to collide beyond what a lesson's own author writes.
pub type NameMap<V> = std::collections::HashMap<Name, V, std::hash::BuildHasherDefault<NameHasher>>;

#[derive(Default, Clone, Copy)]
pub struct NameHasher(u64);

impl std::hash::Hasher for NameHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ b as u64).wrapping_mul(K);
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.write(&[i]);
    }
}

/// A set of names, hashed like [`NameMap`].
pub type NameSet = HashSet<Name, std::hash::BuildHasherDefault<NameHasher>>;

#[derive(Debug, Clone)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    MatMul,
    Div,
    FloorDiv,
    Mod,
    Pow,
    LShift,
    RShift,
    BitAnd,
    BitOr,
    BitXor,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::MatMul => "@",
            BinOp::Div => "/",
            BinOp::FloorDiv => "//",
            BinOp::Mod => "%",
            BinOp::Pow => "**",
            BinOp::LShift => "<<",
            BinOp::RShift => ">>",
            BinOp::BitAnd => "&",
            BinOp::BitOr => "|",
            BinOp::BitXor => "^",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Pos,
    Invert,
    Not,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Is,
    IsNot,
    In,
    NotIn,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Is => "is",
            CmpOp::IsNot => "is not",
            CmpOp::In => "in",
            CmpOp::NotIn => "not in",
        }
    }
}

#[derive(Debug, Clone)]
pub enum FPart {
    Lit(String),
    Field { expr: Box<Expr>, debug: Option<String>, conv: Option<char>, spec: Option<Vec<FPart>> },
}

#[derive(Debug, Clone)]
pub enum Arg {
    Pos(Expr),
    Star(Expr),
    Kw(Name, Expr),
    DStar(Expr),
}

#[derive(Debug, Clone)]
pub struct Comp {
    pub target: Expr,
    pub iter: Expr,
    pub conds: Vec<Expr>,
}

/// A generator expression: its element and its `for`/`if` clauses.
#[derive(Debug)]
pub struct CompDef {
    pub elt: Expr,
    pub comps: Vec<Comp>,
}

#[derive(Debug, Clone)]
pub enum ExprKind {
    /// `yield x` (None for a bare `yield`).
    Yield(Option<Box<Expr>>),
    /// `yield from it`.
    YieldFrom(Box<Expr>),
    None,
    Bool(bool),
    Int(i64),
    /// An int literal outside i64.
    BigInt(Rc<num_bigint::BigInt>),
    Float(f64),
    /// An imaginary literal (`2j`), a Python complex with this imaginary part.
    Imag(f64),
    Str(Rc<str>),
    Bytes(Rc<[u8]>),
    Ellipsis,
    FString(Vec<FPart>),
    Name(Name, NameSlot),
    List(Vec<Expr>),
    Tuple(Vec<Expr>),
    Set(Vec<Expr>),
    /// `None` key means `**mapping`.
    Dict(Vec<(Option<Expr>, Expr)>),
    Starred(Box<Expr>),
    Attribute(Box<Expr>, Name),
    Subscript(Box<Expr>, Box<Expr>),
    Slice(Option<Box<Expr>>, Option<Box<Expr>>, Option<Box<Expr>>),
    Call(Box<Expr>, Vec<Arg>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Unary(UnaryOp, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Compare(Box<Expr>, Vec<(CmpOp, Expr)>),
    IfExp(Box<Expr>, Box<Expr>, Box<Expr>),
    Lambda(Rc<FuncDef>),
    ListComp(Box<Expr>, Vec<Comp>),
    SetComp(Box<Expr>, Vec<Comp>),
    DictComp(Box<Expr>, Box<Expr>, Vec<Comp>),
    /// Shared so the lazy generator it makes can outlive the cell's syntax tree.
    GenExp(Rc<CompDef>),
    Walrus(Name, Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    Normal,
    VarArgs,
    KwOnly,
    VarKw,
}

#[derive(Debug, Clone)]
pub struct Param {
    pub name: Name,
    pub kind: ParamKind,
    pub default: Option<Expr>,
    /// `name: T`'s `T`, kept for `__annotations__`.
    pub annotation: Option<Expr>,
}

#[derive(Debug)]
pub struct FuncDef {
    pub name: Name,
    pub params: Vec<Param>,
    pub body: Vec<Stmt>,
    pub decorators: Vec<Expr>,
    pub span: Span,
    /// `-> T`'s `T`, kept for `__annotations__`.
    pub returns: Option<Expr>,
    /// The body contains `yield`: calling the function makes a generator.
    pub is_generator: bool,
    /// Names bound in the body (the function's locals), computed once on first call.
    pub scope: OnceCell<ScopeInfo>,
    /// For a generator: where its `yield`s are (see `lang::generator`), computed on first call.
    pub yields: OnceCell<YieldInfo>,
    /// The body compiled for the interpreter (`interp::compile::Code`), made on first call.
    /// Typed as `Any` so the syntax tree does not depend on the interpreter.
    pub compiled: OnceCell<Box<dyn std::any::Any>>,
}

/// Which statements of a generator function contain a `yield`, and whether every `yield` sits
/// where the resumable executor can stop (see `lang::generator`).
#[derive(Debug, Default)]
pub struct YieldInfo {
    pub lazy: bool,
    /// Addresses of the statements that contain a `yield` (the tree is immutable behind an `Rc`).
    pub stmts: HashSet<usize>,
}

/// `class Name(bases): body`.
#[derive(Debug)]
pub struct ClassDef {
    pub name: Name,
    pub bases: Vec<Arg>,
    pub body: Vec<Stmt>,
    pub decorators: Vec<Expr>,
    pub span: Span,
}

#[derive(Debug, Default)]
pub struct ScopeInfo {
    pub locals: NameSet,
    pub globals: NameSet,
    pub nonlocals: NameSet,
    /// The locals in order of first binding, parameters first: a function's frame keeps its
    /// locals in a vector indexed by this order, so a resolved name costs no hashing.
    pub slots: Vec<Name>,
    pub slot_of: NameMap<u32>,
    /// A parameter also declared `global` or `nonlocal` (CPython's SyntaxError), which would
    /// leave the parameters out of the first slots.
    pub param_conflict: Option<(Name, &'static str)>,
    /// Every parameter is plain positional-or-keyword and none conflicts: a call with exactly
    /// that many positional arguments binds them to the first slots as they come.
    pub simple_params: bool,
}

/// Where a name expression resolves when its innermost scope is a function. A name node sits
/// in exactly one function body, so the answer never changes: it is worked out on first use and
/// kept in the node.
#[derive(Debug, Clone, Default)]
pub struct NameSlot(Cell<u32>, Cell<u64>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved {
    Unresolved,
    /// Declared `global`: the module's globals, then the builtins.
    Global,
    /// Bound neither here nor declared global: an enclosing scope's, or a global.
    Free,
    /// The function's own local in this frame slot.
    Local(u32),
}

impl NameSlot {
    /// The name's index in the globals of the interpreter `owner` (see `interp::Globals`), if
    /// this node has been looked up there before.
    pub fn global_index(&self, owner: u32) -> Option<u32> {
        let g = self.1.get();
        if g >> 32 == owner as u64 { Some(g as u32) } else { None }
    }

    pub fn set_global_index(&self, owner: u32, index: u32) {
        self.1.set((owner as u64) << 32 | index as u64);
    }

    pub fn get(&self) -> Resolved {
        match self.0.get() {
            0 => Resolved::Unresolved,
            1 => Resolved::Global,
            2 => Resolved::Free,
            n => Resolved::Local(n - 3),
        }
    }

    pub fn set(&self, r: Resolved) {
        self.0.set(match r {
            Resolved::Unresolved => 0,
            Resolved::Global => 1,
            Resolved::Free => 2,
            Resolved::Local(i) => i + 3,
        });
    }
}

impl ScopeInfo {
    /// How `name` resolves in a function with this scope.
    pub fn resolve(&self, name: &str) -> Resolved {
        if self.globals.contains(name) {
            Resolved::Global
        } else if let Some(&i) = self.slot_of.get(name) {
            Resolved::Local(i)
        } else {
            Resolved::Free
        }
    }

    fn add_local(&mut self, name: &Name) {
        if self.locals.insert(name.clone()) {
            self.slots.push(name.clone());
        }
    }
}

#[derive(Debug, Clone)]
pub struct Handler {
    /// `except*`: the handler takes its types' part of an exception group.
    pub star: bool,
    pub typ: Option<Expr>,
    pub name: Option<Name>,
    pub body: Vec<Stmt>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum StmtKind {
    Expr(Expr),
    Assign(Vec<Expr>, Expr),
    AugAssign(Expr, BinOp, Expr),
    /// `x: T = v` (the annotation is evaluated and dropped) or bare `x: T`.
    AnnAssign(Expr, Expr, Option<Expr>),
    If(Expr, Vec<Stmt>, Vec<Stmt>),
    While(Expr, Vec<Stmt>, Vec<Stmt>),
    For(Expr, Expr, Vec<Stmt>, Vec<Stmt>),
    Break,
    Continue,
    Pass,
    Def(Rc<FuncDef>),
    Class(Rc<ClassDef>),
    Return(Option<Expr>),
    Global(Vec<Name>),
    Nonlocal(Vec<Name>),
    Del(Vec<Expr>),
    Assert(Expr, Option<Expr>),
    /// `import a.b.c as d`: (dotted path, alias).
    Import(Vec<(Vec<Name>, Option<Name>)>),
    ImportFrom(Vec<Name>, Vec<(Name, Option<Name>)>),
    With(Vec<(Expr, Option<Expr>)>, Vec<Stmt>),
    Try { body: Vec<Stmt>, handlers: Vec<Handler>, orelse: Vec<Stmt>, finally: Vec<Stmt> },
    Raise(Option<Expr>, Option<Expr>),
    /// `match subject:` and its `case`s, in order.
    Match(Expr, Vec<MatchCase>),
}

/// One `case pattern if guard: body` of a `match` statement.
#[derive(Debug, Clone)]
pub struct MatchCase {
    pub pattern: Pattern,
    pub guard: Option<Expr>,
    pub body: Vec<Stmt>,
}

#[derive(Debug, Clone)]
pub struct Pattern {
    pub kind: PatternKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum PatternKind {
    /// A literal or a dotted name, compared with `==`.
    Value(Expr),
    /// `None`, `True`, `False`: compared by identity.
    Singleton(Expr),
    /// A bare name; `None` for the wildcard `_`.
    Capture(Option<Name>),
    /// `[p, ...]`, `(p, ...)` or `p, ...`, with at most one `Star`.
    Sequence(Vec<Pattern>),
    /// `*name` in a sequence pattern; `None` for `*_`.
    Star(Option<Name>),
    /// `{key: p, ..., **rest}`: keys are literals or dotted names.
    Mapping(Vec<(Expr, Pattern)>, Option<Name>),
    /// `Cls(p, ..., attr=p, ...)`.
    Class(Expr, Vec<Pattern>, Vec<(Name, Pattern)>),
    Or(Vec<Pattern>),
    /// `p as name`.
    As(Box<Pattern>, Name),
}

impl Pattern {
    /// The names the pattern binds, in order of appearance.
    pub fn bound_names(&self, out: &mut Vec<Name>) {
        match &self.kind {
            PatternKind::Capture(Some(n)) | PatternKind::Star(Some(n)) => out.push(n.clone()),
            PatternKind::Sequence(ps) => ps.iter().for_each(|p| p.bound_names(out)),
            PatternKind::Mapping(items, rest) => {
                items.iter().for_each(|(_, p)| p.bound_names(out));
                out.extend(rest.iter().cloned());
            }
            PatternKind::Class(_, ps, kws) => {
                ps.iter().for_each(|p| p.bound_names(out));
                kws.iter().for_each(|(_, p)| p.bound_names(out));
            }
            // Every alternative binds the same names (the parser checks).
            PatternKind::Or(alts) => alts[0].bound_names(out),
            PatternKind::As(p, n) => {
                p.bound_names(out);
                out.push(n.clone());
            }
            PatternKind::Value(_) | PatternKind::Singleton(_) | PatternKind::Capture(None) | PatternKind::Star(None) => {}
        }
    }
}

impl FuncDef {
    /// Which names the body binds, honouring `global`/`nonlocal`; nested scopes are not entered.
    pub fn scope(&self) -> &ScopeInfo {
        self.scope.get_or_init(|| {
            let mut info = ScopeInfo::default();
            for p in &self.params {
                info.add_local(&p.name);
            }
            collect_stmts(&self.body, &mut info);
            for g in info.globals.iter().chain(info.nonlocals.iter()) {
                info.locals.remove(g);
            }
            let locals = &info.locals;
            info.slots.retain(|n| locals.contains(n));
            info.slot_of = info.slots.iter().enumerate().map(|(i, n)| (n.clone(), i as u32)).collect();
            info.param_conflict = self.params.iter().find_map(|p| {
                if info.globals.contains(&p.name) {
                    Some((p.name.clone(), "global"))
                } else if info.nonlocals.contains(&p.name) {
                    Some((p.name.clone(), "nonlocal"))
                } else {
                    None
                }
            });
            info.simple_params =
                info.param_conflict.is_none() && self.params.iter().all(|p| p.kind == ParamKind::Normal);
            info
        })
    }
}

fn collect_stmts(stmts: &[Stmt], info: &mut ScopeInfo) {
    for s in stmts {
        match &s.kind {
            StmtKind::Expr(e) => collect_walrus(e, info),
            StmtKind::Assign(ts, v) => {
                for t in ts {
                    collect_target(t, info);
                }
                collect_walrus(v, info);
            }
            StmtKind::AugAssign(t, _, _) | StmtKind::AnnAssign(t, _, _) => collect_target(t, info),
            StmtKind::If(c, a, b) | StmtKind::While(c, a, b) => {
                collect_walrus(c, info);
                collect_stmts(a, info);
                collect_stmts(b, info);
            }
            StmtKind::For(t, _, a, b) => {
                collect_target(t, info);
                collect_stmts(a, info);
                collect_stmts(b, info);
            }
            StmtKind::Def(f) => {
                info.add_local(&f.name);
            }
            StmtKind::Class(c) => {
                info.add_local(&c.name);
            }
            StmtKind::Global(ns) => info.globals.extend(ns.iter().cloned()),
            StmtKind::Nonlocal(ns) => info.nonlocals.extend(ns.iter().cloned()),
            StmtKind::Del(ts) => {
                for t in ts {
                    collect_target(t, info);
                }
            }
            StmtKind::Import(items) => {
                for (path, alias) in items {
                    if let Some(n) = alias.clone().or_else(|| path.first().cloned()) {
                        info.add_local(&n);
                    }
                }
            }
            StmtKind::ImportFrom(_, items) => {
                for (n, alias) in items {
                    info.add_local(&alias.clone().unwrap_or_else(|| n.clone()));
                }
            }
            StmtKind::With(items, body) => {
                for (_, t) in items {
                    if let Some(t) = t {
                        collect_target(t, info);
                    }
                }
                collect_stmts(body, info);
            }
            StmtKind::Try { body, handlers, orelse, finally } => {
                collect_stmts(body, info);
                for h in handlers {
                    if let Some(n) = &h.name {
                        info.add_local(n);
                    }
                    collect_stmts(&h.body, info);
                }
                collect_stmts(orelse, info);
                collect_stmts(finally, info);
            }
            StmtKind::Match(subject, cases) => {
                collect_walrus(subject, info);
                for c in cases {
                    let mut names = Vec::new();
                    c.pattern.bound_names(&mut names);
                    for n in &names {
                        info.add_local(n);
                    }
                    if let Some(g) = &c.guard {
                        collect_walrus(g, info);
                    }
                    collect_stmts(&c.body, info);
                }
            }
            StmtKind::Break
            | StmtKind::Continue
            | StmtKind::Pass
            | StmtKind::Return(_)
            | StmtKind::Assert(..)
            | StmtKind::Raise(..) => {}
        }
    }
}

fn collect_target(t: &Expr, info: &mut ScopeInfo) {
    match &t.kind {
        ExprKind::Name(n, _) => info.add_local(n),
        ExprKind::Tuple(items) | ExprKind::List(items) => {
            for i in items {
                collect_target(i, info);
            }
        }
        ExprKind::Starred(inner) => collect_target(inner, info),
        _ => {}
    }
}

/// `:=` binds in the enclosing function even from inside an expression.
fn collect_walrus(e: &Expr, info: &mut ScopeInfo) {
    if let ExprKind::Walrus(n, _) = &e.kind {
        info.add_local(n);
    }
}
