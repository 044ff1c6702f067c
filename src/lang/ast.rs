//! The syntax tree: every expression and statement carries the span of its source text.

use std::cell::OnceCell;
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
    Str(Rc<str>),
    Ellipsis,
    FString(Vec<FPart>),
    Name(Name),
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
    GenExp(Box<Expr>, Vec<Comp>),
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
}

#[derive(Debug)]
pub struct FuncDef {
    pub name: Name,
    pub params: Vec<Param>,
    pub body: Vec<Stmt>,
    pub decorators: Vec<Expr>,
    pub span: Span,
    /// The body contains `yield`: calling the function makes a generator.
    pub is_generator: bool,
    /// Names bound in the body (the function's locals), computed once on first call.
    pub scope: OnceCell<ScopeInfo>,
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
}

#[derive(Debug, Clone)]
pub struct Handler {
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
}

impl FuncDef {
    /// Which names the body binds, honouring `global`/`nonlocal`; nested scopes are not entered.
    pub fn scope(&self) -> &ScopeInfo {
        self.scope.get_or_init(|| {
            let mut info = ScopeInfo::default();
            for p in &self.params {
                info.locals.insert(p.name.clone());
            }
            collect_stmts(&self.body, &mut info);
            for g in info.globals.iter().chain(info.nonlocals.iter()) {
                info.locals.remove(g);
            }
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
                info.locals.insert(f.name.clone());
            }
            StmtKind::Class(c) => {
                info.locals.insert(c.name.clone());
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
                    let n = alias.clone().or_else(|| path.first().cloned());
                    info.locals.extend(n);
                }
            }
            StmtKind::ImportFrom(_, items) => {
                for (n, alias) in items {
                    info.locals.insert(alias.clone().unwrap_or_else(|| n.clone()));
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
                        info.locals.insert(n.clone());
                    }
                    collect_stmts(&h.body, info);
                }
                collect_stmts(orelse, info);
                collect_stmts(finally, info);
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
        ExprKind::Name(n) => {
            info.locals.insert(n.clone());
        }
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
        info.locals.insert(n.clone());
    }
}
