//! The parser: tokens to a syntax tree, by recursive descent with one function per grammar rule.

use std::cell::OnceCell;
use std::rc::Rc;

use super::ast::*;
use super::lexer::{self, LexError, StrLit, Tok, Token};
use crate::source::Span;

#[path = "parse_pattern.rs"]
mod pattern;

/// A parse failure: CPython's exception type name and message, and where.
#[derive(Clone, Debug, PartialEq)]
pub struct ParseError {
    pub py_type: &'static str,
    pub message: String,
    pub span: Span,
    /// True for valid Python this interpreter does not implement (classes, yield, ...).
    pub unsupported: bool,
}

impl From<LexError> for ParseError {
    fn from(e: LexError) -> ParseError {
        let unsupported = e.message.starts_with("unsupported");
        ParseError { py_type: e.py_type, message: e.message, span: e.span, unsupported }
    }
}

type PResult<T> = Result<T, ParseError>;

/// Parse a whole cell. Spans are offsets into the file (`base` added).
pub fn parse_cell(src: &str, base: usize) -> PResult<Vec<Stmt>> {
    let toks = lexer::tokenize(src, base)?;
    let mut p = Parser { toks, pos: 0, src, base, depth: 0, nest: 0, func_depth: 0, loop_depth: 0, saw_yield: false, class_name: None };
    let mut body = Vec::new();
    while !p.at_eof() {
        if p.check(&Tok::Indent) {
            return Err(p.error_with("IndentationError", "unexpected indent"));
        }
        body.extend(p.statement()?);
    }
    if let Some(span) = super::limits::too_deep(&body) {
        return Err(too_deep(span));
    }
    Ok(body)
}

/// CPython's error for code nested past what its compiler recurses through.
fn too_deep(span: Span) -> ParseError {
    ParseError {
        py_type: "RecursionError",
        message: "maximum recursion depth exceeded during compilation".into(),
        span,
        unsupported: false,
    }
}

struct Parser<'a> {
    toks: Vec<Token>,
    pos: usize,
    src: &'a str,
    base: usize,
    depth: usize,
    /// Recursion through `not` and `**` operands, bounded like parentheses (see `lang::limits`).
    nest: usize,
    func_depth: usize,
    loop_depth: usize,
    /// A `yield` was parsed in the function being parsed.
    saw_yield: bool,
    /// The innermost class whose body (or a function in it) is being parsed: its private names
    /// (`__x`) are mangled to `_Cls__x`, as CPython's compiler does.
    class_name: Option<Name>,
}

const MAX_DEPTH: usize = 200;

impl<'a> Parser<'a> {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos.min(self.toks.len() - 1)].tok
    }

    fn peek_at(&self, n: usize) -> &Tok {
        &self.toks[(self.pos + n).min(self.toks.len() - 1)].tok
    }

    fn span(&self) -> Span {
        self.toks[self.pos.min(self.toks.len() - 1)].span
    }

    fn prev_span(&self) -> Span {
        self.toks[self.pos.saturating_sub(1)].span
    }

    fn at_eof(&self) -> bool {
        matches!(self.peek(), Tok::Eof)
    }

    fn advance(&mut self) -> Token {
        let t = self.toks[self.pos.min(self.toks.len() - 1)].clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn check(&self, t: &Tok) -> bool {
        self.peek() == t
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Tok::Op(o) if *o == op)
    }

    fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Tok::Kw(k) if *k == kw)
    }

    fn eat_op(&mut self, op: &str) -> bool {
        if self.is_op(op) {
            self.advance();
            true
        } else {
            false
        }
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.is_kw(kw) {
            self.advance();
            true
        } else {
            false
        }
    }

    fn error_with(&self, py_type: &'static str, msg: impl Into<String>) -> ParseError {
        ParseError { py_type, message: msg.into(), span: self.span(), unsupported: false }
    }

    /// One more level of `not`/`**` recursion, refused past `limits::MAX_NESTING`.
    fn nest(&mut self, at: Span) -> PResult<()> {
        if self.nest >= super::limits::MAX_NESTING || super::limits::stack_low() {
            return Err(too_deep(at));
        }
        self.nest += 1;
        Ok(())
    }

    fn error(&self, msg: impl Into<String>) -> ParseError {
        self.error_with("SyntaxError", msg)
    }

    fn unsupported(&self, what: &str, span: Span) -> ParseError {
        ParseError {
            py_type: "NotImplementedError",
            message: format!("unsupported: {what}"),
            span,
            unsupported: true,
        }
    }

    fn invalid(&self) -> ParseError {
        self.error("invalid syntax")
    }

    fn expect_op(&mut self, op: &str) -> PResult<Span> {
        if self.is_op(op) {
            Ok(self.advance().span)
        } else if op == ":" {
            Err(self.error("expected ':'"))
        } else {
            Err(self.invalid())
        }
    }

    fn name(&mut self) -> PResult<Name> {
        match self.peek().clone() {
            Tok::Name(n) => {
                self.advance();
                Ok(self.mangle(&n))
            }
            _ => Err(self.invalid()),
        }
    }

    /// Private name mangling: inside a class `C`, `__x` (not ending in `__`) names `_C__x`
    /// (the class name stripped of its leading underscores; none left means no mangling).
    fn mangle(&self, n: &str) -> Name {
        if let Some(c) = &self.class_name
            && n.starts_with("__")
            && !n.ends_with("__")
        {
            let c = c.trim_start_matches('_');
            if !c.is_empty() {
                return intern(&format!("_{c}{n}"));
            }
        }
        intern(n)
    }

    fn line_of(&self, span: Span) -> usize {
        let off = span.start.saturating_sub(self.base).min(self.src.len());
        self.src[..off].matches('\n').count() + 1
    }

    // ---- statements ----

    fn statement(&mut self) -> PResult<Vec<Stmt>> {
        let start = self.span();
        let kw = match self.peek() {
            Tok::Kw(k) => Some(*k),
            _ => None,
        };
        match kw {
            Some("if") => return Ok(vec![self.if_stmt("if")?]),
            Some("while") => {
                self.advance();
                let cond = self.named_expr()?;
                self.loop_depth += 1;
                let body = self.block("'while' statement", start);
                self.loop_depth -= 1;
                let body = body?;
                let orelse = self.else_block()?;
                let span = start.to(self.prev_span());
                return Ok(vec![Stmt { kind: StmtKind::While(cond, body, orelse), span }]);
            }
            Some("for") => {
                self.advance();
                let target = self.target_list()?;
                if !self.eat_kw("in") {
                    return Err(self.invalid());
                }
                let iter = self.exprlist()?;
                self.loop_depth += 1;
                let body = self.block("'for' statement", start);
                self.loop_depth -= 1;
                let body = body?;
                let orelse = self.else_block()?;
                let span = start.to(self.prev_span());
                return Ok(vec![Stmt { kind: StmtKind::For(target, iter, body, orelse), span }]);
            }
            Some("def") => return Ok(vec![self.funcdef(Vec::new(), start)?]),
            Some("class") => return Ok(vec![self.classdef(Vec::new(), start)?]),
            Some("with") => {
                self.advance();
                let mut items = Vec::new();
                loop {
                    let ctx = self.expr()?;
                    let target = if self.eat_kw("as") { Some(self.target_single()?) } else { None };
                    items.push((ctx, target));
                    if !self.eat_op(",") {
                        break;
                    }
                }
                let body = self.block("'with' statement", start)?;
                let span = start.to(self.prev_span());
                return Ok(vec![Stmt { kind: StmtKind::With(items, body), span }]);
            }
            Some("try") => return Ok(vec![self.try_stmt()?]),
            None if matches!(self.peek(), Tok::Name(n) if n == "match") => {
                if let Some(m) = self.match_stmt(start)? {
                    return Ok(vec![m]);
                }
            }
            Some("async") | Some("await") => {
                return Err(self.unsupported(&format!("'{}'", kw.unwrap_or("")), start));
            }
            _ => {}
        }
        if self.is_op("@") {
            let mut decorators = Vec::new();
            while self.eat_op("@") {
                decorators.push(self.named_expr()?);
                if !self.check(&Tok::Newline) {
                    return Err(self.invalid());
                }
                self.advance();
            }
            let start = self.span();
            if self.is_kw("class") {
                return Ok(vec![self.classdef(decorators, start)?]);
            }
            if !self.is_kw("def") {
                return Err(self.invalid());
            }
            return Ok(vec![self.funcdef(decorators, start)?]);
        }
        self.simple_stmts()
    }

    fn simple_stmts(&mut self) -> PResult<Vec<Stmt>> {
        let mut out = vec![self.small_stmt()?];
        while self.eat_op(";") {
            if self.check(&Tok::Newline) {
                break;
            }
            out.push(self.small_stmt()?);
        }
        if self.check(&Tok::Newline) {
            self.advance();
            Ok(out)
        } else if self.at_eof() {
            Ok(out)
        } else {
            Err(self.invalid())
        }
    }

    fn small_stmt(&mut self) -> PResult<Stmt> {
        let start = self.span();
        let kw = match self.peek() {
            Tok::Kw(k) => Some(*k),
            _ => None,
        };
        let kind = match kw {
            Some("pass") => {
                self.advance();
                StmtKind::Pass
            }
            Some("break") => {
                self.advance();
                if self.loop_depth == 0 {
                    return Err(ParseError { span: start, ..self.error("'break' outside loop") });
                }
                StmtKind::Break
            }
            Some("continue") => {
                self.advance();
                if self.loop_depth == 0 {
                    return Err(ParseError { span: start, ..self.error("'continue' not properly in loop") });
                }
                StmtKind::Continue
            }
            Some("return") => {
                self.advance();
                if self.func_depth == 0 {
                    return Err(ParseError { span: start, ..self.error("'return' outside function") });
                }
                if self.at_stmt_end() {
                    StmtKind::Return(None)
                } else {
                    StmtKind::Return(Some(self.exprlist()?))
                }
            }
            Some("global") | Some("nonlocal") => {
                self.advance();
                let mut names = vec![self.name()?];
                while self.eat_op(",") {
                    names.push(self.name()?);
                }
                if kw == Some("global") { StmtKind::Global(names) } else { StmtKind::Nonlocal(names) }
            }
            Some("del") => {
                self.advance();
                let mut targets = vec![self.or_expr_star()?];
                while self.eat_op(",") {
                    if self.at_stmt_end() {
                        break;
                    }
                    targets.push(self.or_expr_star()?);
                }
                for t in &targets {
                    self.check_target(t, "delete")?;
                }
                StmtKind::Del(targets)
            }
            Some("assert") => {
                self.advance();
                let test = self.expr()?;
                let msg = if self.eat_op(",") { Some(self.expr()?) } else { None };
                StmtKind::Assert(test, msg)
            }
            Some("raise") => {
                self.advance();
                if self.at_stmt_end() {
                    StmtKind::Raise(None, None)
                } else {
                    let e = self.expr()?;
                    let cause = if self.eat_kw("from") { Some(self.expr()?) } else { None };
                    StmtKind::Raise(Some(e), cause)
                }
            }
            Some("import") => {
                self.advance();
                let mut items = Vec::new();
                loop {
                    let path = self.dotted()?;
                    let alias = if self.eat_kw("as") { Some(self.name()?) } else { None };
                    items.push((path, alias));
                    if !self.eat_op(",") {
                        break;
                    }
                }
                StmtKind::Import(items)
            }
            Some("from") => {
                self.advance();
                if self.is_op(".") || self.is_op("...") {
                    return Err(self.unsupported("relative imports", start));
                }
                let path = self.dotted()?;
                if !self.eat_kw("import") {
                    return Err(self.invalid());
                }
                let paren = self.eat_op("(");
                let mut items = Vec::new();
                if self.eat_op("*") {
                    return Err(self.unsupported("'from ... import *'", start.to(self.prev_span())));
                }
                loop {
                    let n = self.name()?;
                    let alias = if self.eat_kw("as") { Some(self.name()?) } else { None };
                    items.push((n, alias));
                    if !self.eat_op(",") {
                        break;
                    }
                    if paren && self.is_op(")") {
                        break;
                    }
                }
                if paren {
                    self.expect_op(")")?;
                }
                StmtKind::ImportFrom(path, items)
            }
            Some("await") | Some("async") | Some("class") => {
                return Err(self.unsupported(&format!("'{}'", kw.unwrap_or("")), start));
            }
            _ => return self.expr_stmt(),
        };
        Ok(Stmt { kind, span: start.to(self.prev_span()) })
    }

    fn at_stmt_end(&self) -> bool {
        matches!(self.peek(), Tok::Newline | Tok::Eof) || self.is_op(";")
    }

    fn dotted(&mut self) -> PResult<Vec<Name>> {
        let mut path = vec![self.name()?];
        while self.eat_op(".") {
            path.push(self.name()?);
        }
        Ok(path)
    }

    /// A `yield` expression where Python allows one unparenthesized, else an expression list.
    fn yield_or_exprlist(&mut self) -> PResult<Expr> {
        if !self.is_kw("yield") {
            return self.exprlist();
        }
        let start = self.span();
        if self.func_depth == 0 {
            return Err(ParseError { span: start, ..self.error("'yield' outside function") });
        }
        self.advance();
        self.saw_yield = true;
        let kind = if self.eat_kw("from") {
            ExprKind::YieldFrom(Box::new(self.expr()?))
        } else if self.at_stmt_end() || self.is_op(")") || self.is_op("=") {
            ExprKind::Yield(None)
        } else {
            ExprKind::Yield(Some(Box::new(self.exprlist()?)))
        };
        Ok(Expr { kind, span: start.to(self.prev_span()) })
    }

    fn expr_stmt(&mut self) -> PResult<Stmt> {
        let start = self.span();
        let first = self.yield_or_exprlist()?;
        if let Tok::Op(op) = self.peek().clone() {
            if let Some(bop) = aug_op(op) {
                match &first.kind {
                    ExprKind::Name(..) | ExprKind::Attribute(..) | ExprKind::Subscript(..) => {}
                    other => {
                        return Err(ParseError {
                            span: first.span,
                            ..self.error(format!(
                                "'{}' is an illegal expression for augmented assignment",
                                expr_desc(other)
                            ))
                        });
                    }
                }
                self.advance();
                let value = self.exprlist()?;
                return Ok(Stmt { kind: StmtKind::AugAssign(first, bop, value), span: start.to(self.prev_span()) });
            }
            if op == ":" {
                self.advance();
                self.check_target(&first, "assign to")?;
                let ann = self.expr()?;
                let value = if self.eat_op("=") { Some(self.exprlist()?) } else { None };
                return Ok(Stmt { kind: StmtKind::AnnAssign(first, ann, value), span: start.to(self.prev_span()) });
            }
        }
        if self.is_op("=") {
            let mut targets = vec![first];
            let mut value;
            loop {
                self.advance();
                value = self.yield_or_exprlist()?;
                if !self.is_op("=") {
                    break;
                }
                targets.push(value);
            }
            for t in &targets {
                self.check_target(t, "assign to")?;
            }
            return Ok(Stmt { kind: StmtKind::Assign(targets, value), span: start.to(self.prev_span()) });
        }
        if let (ExprKind::Name(n, _), Tok::Str(_) | Tok::Name(_) | Tok::Int(_) | Tok::BigInt(_) | Tok::Float(_)) = (&first.kind, self.peek())
            && &**n == "print" {
                return Err(ParseError {
                    span: first.span,
                    ..self.error("Missing parentheses in call to 'print'. Did you mean print(...)?")
                });
            }
        Ok(Stmt { span: first.span, kind: StmtKind::Expr(first) })
    }

    fn check_target(&self, t: &Expr, verb: &str) -> PResult<()> {
        match &t.kind {
            ExprKind::Name(..) | ExprKind::Attribute(..) | ExprKind::Subscript(..) => Ok(()),
            ExprKind::Tuple(items) | ExprKind::List(items) => {
                for i in items {
                    self.check_target(i, verb)?;
                }
                Ok(())
            }
            ExprKind::Starred(inner) if verb != "delete" => self.check_target(inner, verb),
            other => {
                let what = expr_desc(other);
                let msg = if verb == "assign to"
                    && !matches!(other, ExprKind::GenExp(..) | ExprKind::Lambda(_) | ExprKind::Starred(_))
                {
                    format!("cannot assign to {what} here. Maybe you meant '==' instead of '='?")
                } else if verb == "delete" {
                    format!("cannot delete {what}")
                } else {
                    format!("cannot assign to {what}")
                };
                Err(ParseError { span: t.span, ..self.error(msg) })
            }
        }
    }

    fn if_stmt(&mut self, which: &str) -> PResult<Stmt> {
        let start = self.advance().span;
        let cond = self.named_expr()?;
        if self.is_op("=") {
            return Err(self.error("invalid syntax. Maybe you meant '==' or ':=' instead of '='?"));
        }
        let body = self.block(&format!("'{which}' statement"), start)?;
        let orelse = if self.is_kw("elif") {
            vec![self.if_stmt("elif")?]
        } else {
            self.else_block()?
        };
        Ok(Stmt { kind: StmtKind::If(cond, body, orelse), span: start.to(self.prev_span()) })
    }

    fn else_block(&mut self) -> PResult<Vec<Stmt>> {
        if self.is_kw("else") {
            let s = self.advance().span;
            self.block("'else' statement", s)
        } else {
            Ok(Vec::new())
        }
    }

    /// `: suite`, where a suite is simple statements on the same line or an indented block.
    fn block(&mut self, what: &str, header: Span) -> PResult<Vec<Stmt>> {
        self.expect_op(":")?;
        if !self.check(&Tok::Newline) {
            return self.simple_stmts();
        }
        self.advance();
        if !self.check(&Tok::Indent) {
            let line = self.line_of(header);
            return Err(self.error_with(
                "IndentationError",
                format!("expected an indented block after {what} on line {line}"),
            ));
        }
        self.advance();
        let mut body = Vec::new();
        while !self.check(&Tok::Dedent) && !self.at_eof() {
            if self.check(&Tok::Indent) {
                return Err(self.error_with("IndentationError", "unexpected indent"));
            }
            body.extend(self.statement()?);
        }
        if self.check(&Tok::Dedent) {
            self.advance();
        }
        Ok(body)
    }

    fn classdef(&mut self, decorators: Vec<Expr>, start: Span) -> PResult<Stmt> {
        self.advance();
        let name = self.name()?;
        let bases = if self.eat_op("(") {
            let args = self.call_args()?;
            self.expect_op(")")?;
            args
        } else {
            Vec::new()
        };
        // A class body is neither a function nor a loop: `return` and `break` are errors there.
        let saved_func = std::mem::replace(&mut self.func_depth, 0);
        let saved_loop = std::mem::replace(&mut self.loop_depth, 0);
        let saved_class = self.class_name.replace(name.clone());
        let body = self.block("class definition", start);
        self.class_name = saved_class;
        self.func_depth = saved_func;
        self.loop_depth = saved_loop;
        let body = body?;
        let span = start.to(self.prev_span());
        let def = ClassDef { name, bases, body, decorators, span };
        Ok(Stmt { kind: StmtKind::Class(Rc::new(def)), span })
    }

    fn funcdef(&mut self, decorators: Vec<Expr>, start: Span) -> PResult<Stmt> {
        self.advance();
        let name = self.name()?;
        self.expect_op("(")?;
        let params = self.params(")")?;
        self.expect_op(")")?;
        let returns = if self.eat_op("->") { Some(self.expr()?) } else { None };
        self.func_depth += 1;
        let saved_loop = std::mem::replace(&mut self.loop_depth, 0);
        let saved_yield = std::mem::replace(&mut self.saw_yield, false);
        let body = self.block("function definition", start);
        self.func_depth -= 1;
        self.loop_depth = saved_loop;
        let is_generator = std::mem::replace(&mut self.saw_yield, saved_yield);
        let body = body?;
        let span = start.to(self.prev_span());
        let def = FuncDef { name, params, body, decorators, span, returns, is_generator, scope: OnceCell::new(), yields: OnceCell::new(), compiled: OnceCell::new() };
        Ok(Stmt { kind: StmtKind::Def(Rc::new(def)), span })
    }

    /// Parameter list up to (not including) `close`.
    fn params(&mut self, close: &str) -> PResult<Vec<Param>> {
        let mut params: Vec<Param> = Vec::new();
        let mut kwonly = false;
        let mut seen_default = false;
        while !self.is_op(close) {
            let pstart = self.span();
            let (kind, name) = if self.eat_op("**") {
                (ParamKind::VarKw, self.name()?)
            } else if self.eat_op("*") {
                kwonly = true;
                if self.is_op(",") {
                    self.advance();
                    continue;
                }
                (ParamKind::VarArgs, self.name()?)
            } else if self.eat_op("/") {
                if !self.is_op(close) {
                    self.expect_op(",")?;
                }
                continue;
            } else {
                (if kwonly { ParamKind::KwOnly } else { ParamKind::Normal }, self.name()?)
            };
            let annotation = if close == ")" && self.eat_op(":") { Some(self.expr()?) } else { None };
            let default = if self.eat_op("=") { Some(self.expr()?) } else { None };
            if kind == ParamKind::Normal {
                if default.is_some() {
                    seen_default = true;
                } else if seen_default {
                    return Err(ParseError {
                        span: pstart,
                        ..self.error("non-default argument follows default argument")
                    });
                }
            }
            if params.iter().any(|p| p.name == name) {
                return Err(ParseError {
                    span: pstart,
                    ..self.error(format!("duplicate argument '{name}' in function definition"))
                });
            }
            params.push(Param { name, kind, default, annotation });
            if !self.eat_op(",") {
                break;
            }
        }
        Ok(params)
    }

    fn try_stmt(&mut self) -> PResult<Stmt> {
        let start = self.advance().span;
        let body = self.block("'try' statement", start)?;
        let mut handlers = Vec::new();
        while self.is_kw("except") {
            let hs = self.advance().span;
            let star = self.eat_op("*");
            if handlers.first().is_some_and(|h: &Handler| h.star != star) {
                return Err(ParseError { span: hs, ..self.error("cannot have both 'except' and 'except*' on the same 'try'") });
            }
            if star && self.is_op(":") {
                return Err(self.error("expected one or more exception types"));
            }
            let (typ, name) = if self.is_op(":") {
                (None, None)
            } else {
                let t = self.expr()?;
                let t = if self.is_op(",") {
                    let mut items = vec![t];
                    while self.eat_op(",") {
                        items.push(self.expr()?);
                    }
                    let span = items[0].span.to(self.prev_span());
                    Expr { kind: ExprKind::Tuple(items), span }
                } else {
                    t
                };
                let n = if self.eat_kw("as") { Some(self.name()?) } else { None };
                (Some(t), n)
            };
            let hbody = self.block("'except' statement", hs)?;
            handlers.push(Handler { star, typ, name, body: hbody, span: hs });
        }
        let orelse = if !handlers.is_empty() { self.else_block()? } else { Vec::new() };
        let finally = if self.is_kw("finally") {
            let fs = self.advance().span;
            self.block("'finally' statement", fs)?
        } else {
            Vec::new()
        };
        if handlers.is_empty() && finally.is_empty() {
            return Err(self.error("expected 'except' or 'finally' block"));
        }
        Ok(Stmt { kind: StmtKind::Try { body, handlers, orelse, finally }, span: start.to(self.prev_span()) })
    }

    // ---- expressions ----

    /// Comma-separated expressions; a trailing comma or more than one makes a tuple.
    fn exprlist(&mut self) -> PResult<Expr> {
        let first = self.star_or_named()?;
        if !self.is_op(",") {
            return Ok(first);
        }
        let start = first.span;
        let mut items = vec![first];
        while self.eat_op(",") {
            if !self.starts_expr() {
                break;
            }
            items.push(self.star_or_named()?);
        }
        let span = start.to(self.prev_span());
        Ok(Expr { kind: ExprKind::Tuple(items), span })
    }

    fn star_or_named(&mut self) -> PResult<Expr> {
        if self.is_op("*") {
            let s = self.advance().span;
            let inner = self.or_expr()?;
            let span = s.to(inner.span);
            return Ok(Expr { kind: ExprKind::Starred(Box::new(inner)), span });
        }
        self.named_expr()
    }

    fn starts_expr(&self) -> bool {
        match self.peek() {
            Tok::Name(_) | Tok::Int(_) | Tok::BigInt(_) | Tok::Float(_) | Tok::Imag(_) | Tok::Str(_) => true,
            Tok::Kw(k) => matches!(*k, "None" | "True" | "False" | "not" | "lambda" | "await"),
            Tok::Op(o) => matches!(*o, "(" | "[" | "{" | "-" | "+" | "~" | "*" | "..."),
            _ => false,
        }
    }

    /// Targets of `for`: stops before `in`.
    fn target_list(&mut self) -> PResult<Expr> {
        let first = self.or_expr_star()?;
        let t = if self.is_op(",") {
            let start = first.span;
            let mut items = vec![first];
            while self.eat_op(",") {
                if self.is_kw("in") || self.is_op("=") {
                    break;
                }
                items.push(self.or_expr_star()?);
            }
            Expr { kind: ExprKind::Tuple(items), span: start.to(self.prev_span()) }
        } else {
            first
        };
        self.check_target(&t, "assign to")?;
        Ok(t)
    }

    fn target_single(&mut self) -> PResult<Expr> {
        let t = self.or_expr()?;
        self.check_target(&t, "assign to")?;
        Ok(t)
    }

    fn or_expr_star(&mut self) -> PResult<Expr> {
        if self.is_op("*") {
            let s = self.advance().span;
            let inner = self.or_expr()?;
            let span = s.to(inner.span);
            return Ok(Expr { kind: ExprKind::Starred(Box::new(inner)), span });
        }
        self.or_expr()
    }

    fn named_expr(&mut self) -> PResult<Expr> {
        if let (Tok::Name(n), Tok::Op(":=")) = (self.peek().clone(), self.peek_at(1).clone()) {
            let s = self.advance().span;
            self.advance();
            let value = self.expr()?;
            let span = s.to(value.span);
            return Ok(Expr { kind: ExprKind::Walrus(self.mangle(&n), Box::new(value)), span });
        }
        self.expr()
    }

    /// A full expression: lambda or conditional.
    fn expr(&mut self) -> PResult<Expr> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.depth -= 1;
            return Err(self.error("too many nested parentheses"));
        }
        let r = self.expr_inner();
        self.depth -= 1;
        r
    }

    fn expr_inner(&mut self) -> PResult<Expr> {
        if self.is_kw("lambda") {
            let start = self.advance().span;
            let params = self.params(":")?;
            self.expect_op(":")?;
            self.func_depth += 1;
            let body = self.expr();
            self.func_depth -= 1;
            let body = body?;
            let span = start.to(body.span);
            let ret = Stmt { span: body.span, kind: StmtKind::Return(Some(body)) };
            let def = FuncDef {
                name: "<lambda>".into(),
                params,
                body: vec![ret],
                decorators: Vec::new(),
                span,
                returns: None,
                is_generator: false,
                scope: OnceCell::new(),
                yields: OnceCell::new(),
                compiled: OnceCell::new(),
            };
            return Ok(Expr { kind: ExprKind::Lambda(Rc::new(def)), span });
        }
        let e = self.or_test()?;
        if self.is_kw("if") {
            self.advance();
            let cond = self.or_test()?;
            if !self.eat_kw("else") {
                return Err(self.error("expected 'else' after 'if' expression"));
            }
            let other = self.expr()?;
            let span = e.span.to(other.span);
            return Ok(Expr { kind: ExprKind::IfExp(Box::new(cond), Box::new(e), Box::new(other)), span });
        }
        Ok(e)
    }

    fn or_test(&mut self) -> PResult<Expr> {
        let mut l = self.and_test()?;
        while self.eat_kw("or") {
            let r = self.and_test()?;
            let span = l.span.to(r.span);
            l = Expr { kind: ExprKind::Or(Box::new(l), Box::new(r)), span };
        }
        Ok(l)
    }

    fn and_test(&mut self) -> PResult<Expr> {
        let mut l = self.not_test()?;
        while self.eat_kw("and") {
            let r = self.not_test()?;
            let span = l.span.to(r.span);
            l = Expr { kind: ExprKind::And(Box::new(l), Box::new(r)), span };
        }
        Ok(l)
    }

    fn not_test(&mut self) -> PResult<Expr> {
        if self.is_kw("not") {
            let s = self.advance().span;
            self.nest(s)?;
            let e = self.not_test();
            self.nest -= 1;
            let e = e?;
            let span = s.to(e.span);
            return Ok(Expr { kind: ExprKind::Unary(UnaryOp::Not, Box::new(e)), span });
        }
        self.comparison()
    }

    fn comparison(&mut self) -> PResult<Expr> {
        let first = self.or_expr()?;
        let mut rest = Vec::new();
        loop {
            let op = match self.peek() {
                Tok::Op("==") => CmpOp::Eq,
                Tok::Op("!=") => CmpOp::Ne,
                Tok::Op("<") => CmpOp::Lt,
                Tok::Op("<=") => CmpOp::Le,
                Tok::Op(">") => CmpOp::Gt,
                Tok::Op(">=") => CmpOp::Ge,
                Tok::Kw("in") => CmpOp::In,
                Tok::Kw("is") => {
                    if matches!(self.peek_at(1), Tok::Kw("not")) {
                        self.advance();
                        CmpOp::IsNot
                    } else {
                        CmpOp::Is
                    }
                }
                Tok::Kw("not") if matches!(self.peek_at(1), Tok::Kw("in")) => {
                    self.advance();
                    CmpOp::NotIn
                }
                _ => break,
            };
            self.advance();
            rest.push((op, self.or_expr()?));
        }
        if rest.is_empty() {
            return Ok(first);
        }
        let span = first.span.to(rest.last().map_or(first.span, |r| r.1.span));
        Ok(Expr { kind: ExprKind::Compare(Box::new(first), rest), span })
    }

    fn binary_level(&mut self, level: usize) -> PResult<Expr> {
        const LEVELS: &[&[(&str, BinOp)]] = &[
            &[("|", BinOp::BitOr)],
            &[("^", BinOp::BitXor)],
            &[("&", BinOp::BitAnd)],
            &[("<<", BinOp::LShift), (">>", BinOp::RShift)],
            &[("+", BinOp::Add), ("-", BinOp::Sub)],
            &[("*", BinOp::Mul), ("@", BinOp::MatMul), ("/", BinOp::Div), ("//", BinOp::FloorDiv), ("%", BinOp::Mod)],
        ];
        if level == LEVELS.len() {
            return self.unary();
        }
        let mut l = self.binary_level(level + 1)?;
        while let Tok::Op(o) = self.peek() {
            let Some(&(_, op)) = LEVELS[level].iter().find(|(s, _)| s == o) else { break };
            self.advance();
            let r = self.binary_level(level + 1)?;
            let span = l.span.to(r.span);
            l = Expr { kind: ExprKind::Binary(op, Box::new(l), Box::new(r)), span };
        }
        Ok(l)
    }

    fn or_expr(&mut self) -> PResult<Expr> {
        self.binary_level(0)
    }

    fn unary(&mut self) -> PResult<Expr> {
        let op = match self.peek() {
            Tok::Op("-") => UnaryOp::Neg,
            Tok::Op("+") => UnaryOp::Pos,
            Tok::Op("~") => UnaryOp::Invert,
            _ => return self.power(),
        };
        let s = self.advance().span;
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("too many nested parentheses"));
        }
        let e = self.unary();
        self.depth -= 1;
        let e = e?;
        let span = s.to(e.span);
        Ok(Expr { kind: ExprKind::Unary(op, Box::new(e)), span })
    }

    fn power(&mut self) -> PResult<Expr> {
        let base = self.primary()?;
        if self.eat_op("**") {
            self.nest(base.span)?;
            let exp = self.unary();
            self.nest -= 1;
            let exp = exp?;
            let span = base.span.to(exp.span);
            return Ok(Expr { kind: ExprKind::Binary(BinOp::Pow, Box::new(base), Box::new(exp)), span });
        }
        Ok(base)
    }

    fn primary(&mut self) -> PResult<Expr> {
        let mut e = self.atom()?;
        loop {
            if self.eat_op(".") {
                let n = self.name()?;
                let span = e.span.to(self.prev_span());
                e = Expr { kind: ExprKind::Attribute(Box::new(e), n), span };
            } else if self.is_op("(") {
                self.advance();
                let args = self.call_args()?;
                self.expect_op(")")?;
                let span = e.span.to(self.prev_span());
                e = Expr { kind: ExprKind::Call(Box::new(e), args), span };
            } else if self.is_op("[") {
                self.advance();
                let idx = self.subscript()?;
                self.expect_op("]")?;
                let span = e.span.to(self.prev_span());
                e = Expr { kind: ExprKind::Subscript(Box::new(e), Box::new(idx)), span };
            } else {
                break;
            }
        }
        Ok(e)
    }

    fn call_args(&mut self) -> PResult<Vec<Arg>> {
        let mut args = Vec::new();
        let mut seen_kw = false;
        while !self.is_op(")") {
            let astart = self.span();
            if self.eat_op("**") {
                args.push(Arg::DStar(self.expr()?));
                seen_kw = true;
            } else if self.eat_op("*") {
                args.push(Arg::Star(self.expr()?));
            } else if let (Tok::Name(n), Tok::Op("=")) = (self.peek().clone(), self.peek_at(1).clone()) {
                self.advance();
                self.advance();
                args.push(Arg::Kw(self.mangle(&n), self.expr()?));
                seen_kw = true;
            } else {
                let e = self.named_expr()?;
                if self.is_kw("for") {
                    let comps = self.comp_for()?;
                    let span = e.span.to(self.prev_span());
                    args.push(Arg::Pos(Expr { kind: ExprKind::GenExp(Rc::new(CompDef { elt: e, comps })), span }));
                    continue;
                }
                if seen_kw {
                    let msg = if args.iter().any(|a| matches!(a, Arg::DStar(_))) {
                        "positional argument follows keyword argument unpacking"
                    } else {
                        "positional argument follows keyword argument"
                    };
                    return Err(ParseError { span: astart.to(e.span), ..self.error(msg) });
                }
                args.push(Arg::Pos(e));
            }
            if !self.eat_op(",") {
                break;
            }
        }
        Ok(args)
    }

    fn subscript(&mut self) -> PResult<Expr> {
        let first = self.slice_item()?;
        if !self.is_op(",") {
            return Ok(first);
        }
        let start = first.span;
        let mut items = vec![first];
        while self.eat_op(",") {
            if self.is_op("]") {
                break;
            }
            items.push(self.slice_item()?);
        }
        Ok(Expr { kind: ExprKind::Tuple(items), span: start.to(self.prev_span()) })
    }

    fn slice_item(&mut self) -> PResult<Expr> {
        let start = self.span();
        let lower = if self.is_op(":") { None } else { Some(self.star_or_named()?) };
        if !self.is_op(":") {
            return lower.ok_or_else(|| self.invalid());
        }
        self.advance();
        let bound = |p: &mut Self| -> PResult<Option<Box<Expr>>> {
            if p.is_op(":") || p.is_op(",") || p.is_op("]") { Ok(None) } else { Ok(Some(Box::new(p.expr()?))) }
        };
        let upper = bound(self)?;
        let step = if self.eat_op(":") { bound(self)? } else { None };
        Ok(Expr { kind: ExprKind::Slice(lower.map(Box::new), upper, step), span: start.to(self.prev_span()) })
    }

    fn comp_for(&mut self) -> PResult<Vec<Comp>> {
        let mut comps = Vec::new();
        while self.eat_kw("for") {
            let target = self.target_list()?;
            if !self.eat_kw("in") {
                return Err(self.invalid());
            }
            let iter = self.or_test()?;
            let mut conds = Vec::new();
            while self.eat_kw("if") {
                conds.push(self.or_test()?);
            }
            comps.push(Comp { target, iter, conds });
        }
        Ok(comps)
    }

    fn atom(&mut self) -> PResult<Expr> {
        let t = self.advance();
        let span = t.span;
        let kind = match t.tok {
            Tok::Name(n) => ExprKind::Name(self.mangle(&n), NameSlot::default()),
            Tok::Int(v) => ExprKind::Int(v),
            Tok::BigInt(v) => ExprKind::BigInt(v),
            Tok::Float(v) => ExprKind::Float(v),
            Tok::Imag(v) => ExprKind::Imag(v),
            Tok::Kw("None") => ExprKind::None,
            Tok::Kw("True") => ExprKind::Bool(true),
            Tok::Kw("False") => ExprKind::Bool(false),
            Tok::Op("...") => ExprKind::Ellipsis,
            Tok::Str(lit) => return self.strings(lit, span),
            Tok::Op("(") => {
                if self.eat_op(")") {
                    ExprKind::Tuple(Vec::new())
                } else if self.is_kw("yield") {
                    // `(yield x)` is an expression wherever one may stand.
                    let inner = self.yield_or_exprlist()?;
                    self.expect_op(")")?;
                    return Ok(Expr { kind: inner.kind, span: span.to(self.prev_span()) });
                } else {
                    let first = self.star_or_named()?;
                    if self.is_kw("for") {
                        let comps = self.comp_for()?;
                        self.expect_op(")")?;
                        ExprKind::GenExp(Rc::new(CompDef { elt: first, comps }))
                    } else if self.is_op(",") {
                        let mut items = vec![first];
                        while self.eat_op(",") {
                            if self.is_op(")") {
                                break;
                            }
                            items.push(self.star_or_named()?);
                        }
                        self.expect_op(")")?;
                        ExprKind::Tuple(items)
                    } else {
                        self.expect_op(")")?;
                        // Parenthesised expressions keep the inner node, with the wider span.
                        return Ok(Expr { kind: first.kind, span: span.to(self.prev_span()) });
                    }
                }
            }
            Tok::Op("[") => {
                if self.eat_op("]") {
                    ExprKind::List(Vec::new())
                } else {
                    let first = self.star_or_named()?;
                    if self.is_kw("for") {
                        let comps = self.comp_for()?;
                        self.expect_op("]")?;
                        ExprKind::ListComp(Box::new(first), comps)
                    } else {
                        let mut items = vec![first];
                        while self.eat_op(",") {
                            if self.is_op("]") {
                                break;
                            }
                            items.push(self.star_or_named()?);
                        }
                        if items.len() > 1 && self.is_kw("for") {
                            return Err(self.error("did you forget parentheses around the comprehension target?"));
                        }
                        self.expect_op("]")?;
                        ExprKind::List(items)
                    }
                }
            }
            Tok::Op("{") => return self.brace(span),
            Tok::Op("-") | Tok::Op("+") | Tok::Op("~") => return Err(self.invalid()),
            _ => {
                self.pos -= 1;
                return Err(self.invalid());
            }
        };
        Ok(Expr { kind, span: span.to(self.prev_span()) })
    }

    fn brace(&mut self, start: Span) -> PResult<Expr> {
        if self.eat_op("}") {
            return Ok(Expr { kind: ExprKind::Dict(Vec::new()), span: start.to(self.prev_span()) });
        }
        let kind = if self.eat_op("**") {
            let first = self.or_expr()?;
            self.dict_rest(vec![(None, first)])?
        } else {
            let first = self.star_or_named()?;
            if self.eat_op(":") {
                let v = self.expr()?;
                if self.is_kw("for") {
                    let comps = self.comp_for()?;
                    self.expect_op("}")?;
                    ExprKind::DictComp(Box::new(first), Box::new(v), comps)
                } else {
                    self.dict_rest(vec![(Some(first), v)])?
                }
            } else if self.is_kw("for") {
                let comps = self.comp_for()?;
                self.expect_op("}")?;
                ExprKind::SetComp(Box::new(first), comps)
            } else {
                let mut items = vec![first];
                while self.eat_op(",") {
                    if self.is_op("}") {
                        break;
                    }
                    items.push(self.star_or_named()?);
                }
                self.expect_op("}")?;
                ExprKind::Set(items)
            }
        };
        Ok(Expr { kind, span: start.to(self.prev_span()) })
    }

    fn dict_rest(&mut self, mut items: Vec<(Option<Expr>, Expr)>) -> PResult<ExprKind> {
        while self.eat_op(",") {
            if self.is_op("}") {
                break;
            }
            if self.eat_op("**") {
                items.push((None, self.or_expr()?));
            } else {
                let k = self.expr()?;
                self.expect_op(":")?;
                items.push((Some(k), self.expr()?));
            }
        }
        self.expect_op("}")?;
        Ok(ExprKind::Dict(items))
    }

    /// Adjacent literals concatenate; any f-string among them makes the whole an f-string.
    fn strings(&mut self, first: StrLit, span: Span) -> PResult<Expr> {
        let mut parts: Vec<FPart> = Vec::new();
        let mut is_f = false;
        let mut end = span;
        let is_bytes = matches!(first, StrLit::Bytes(_));
        let mut data: Vec<u8> = Vec::new();
        let mut lit = Some(first);
        while let Some(l) = lit.take() {
            if matches!(l, StrLit::Bytes(_)) != is_bytes {
                return Err(self.error("cannot mix bytes and nonbytes literals"));
            }
            match l {
                StrLit::Bytes(b) => data.extend(b),
                StrLit::Plain(s) => push_lit(&mut parts, &s),
                StrLit::Format { body, offset, raw } => {
                    is_f = true;
                    let (ps, _) = self.fparts(&body, offset, raw, false)?;
                    for p in ps {
                        match p {
                            FPart::Lit(s) => push_lit(&mut parts, &s),
                            f => parts.push(f),
                        }
                    }
                }
            }
            if let Tok::Str(next) = self.peek().clone() {
                end = self.advance().span;
                lit = Some(next);
            }
        }
        let span = span.to(end);
        if is_bytes {
            return Ok(Expr { kind: ExprKind::Bytes(data.into()), span });
        }
        if !is_f {
            let s = match parts.pop() {
                Some(FPart::Lit(s)) => s,
                _ => String::new(),
            };
            return Ok(Expr { kind: ExprKind::Str(s.into()), span });
        }
        Ok(Expr { kind: ExprKind::FString(parts), span })
    }

    /// Split an f-string body (or a nested format spec when `in_spec`) into parts. Returns the
    /// parts and the byte length consumed (a spec stops at its closing `}`).
    fn fparts(&mut self, s: &str, offset: usize, raw: bool, in_spec: bool) -> PResult<(Vec<FPart>, usize)> {
        let b = s.as_bytes();
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut i = 0;
        let ferr = |msg: &str, at: usize| ParseError {
            py_type: "SyntaxError",
            message: format!("f-string: {msg}"),
            span: Span::new(offset + at, offset + at + 1),
            unsupported: false,
        };
        let flush = |lit: &mut String, parts: &mut Vec<FPart>| {
            if !lit.is_empty() {
                let text = if raw { std::mem::take(lit) } else { lexer::unescape(&std::mem::take(lit)) };
                parts.push(FPart::Lit(text));
            }
        };
        while i < b.len() {
            let c = b[i];
            if c == b'{' {
                if !in_spec && b.get(i + 1) == Some(&b'{') {
                    lit.push('{');
                    i += 2;
                    continue;
                }
                flush(&mut lit, &mut parts);
                // Find the end of the expression.
                let estart = i + 1;
                let mut j = estart;
                let mut depth = 0i32;
                let mut quote: Option<u8> = None;
                let mut debug = None;
                while j < b.len() {
                    let d = b[j];
                    if let Some(q) = quote {
                        if d == q {
                            quote = None;
                        }
                        j += 1;
                        continue;
                    }
                    match d {
                        b'\'' | b'"' => quote = Some(d),
                        b'(' | b'[' | b'{' => depth += 1,
                        b')' | b']' => depth -= 1,
                        b'}' if depth > 0 => depth -= 1,
                        b'}' => break,
                        b'!' if depth == 0 && b.get(j + 1) != Some(&b'=') => break,
                        b':' if depth == 0 => break,
                        b'=' if depth == 0
                            && !matches!(b.get(j + 1), Some(b'='))
                            && !matches!(b.get(j.wrapping_sub(1)), Some(b'=' | b'!' | b'<' | b'>')) =>
                        {
                            debug = Some(j);
                            break;
                        }
                        _ => {}
                    }
                    j += 1;
                }
                if j >= b.len() {
                    return Err(ferr("expecting '}'", i));
                }
                let expr_text = &s[estart..j];
                if expr_text.trim().is_empty() {
                    return Err(ferr("empty expression not allowed", i));
                }
                let expr = self.sub_expr(expr_text, offset + estart)?;
                let debug_text = if let Some(dj) = debug {
                    j = dj + 1;
                    while b.get(j) == Some(&b' ') {
                        j += 1;
                    }
                    Some(s[estart..j].to_string())
                } else {
                    None
                };
                let mut conv = None;
                if b.get(j) == Some(&b'!') {
                    match b.get(j + 1) {
                        Some(&c @ (b'r' | b's' | b'a')) => conv = Some(c as char),
                        _ => return Err(ferr("invalid conversion character: expected 's', 'r', or 'a'", j)),
                    }
                    j += 2;
                }
                let mut spec = None;
                if b.get(j) == Some(&b':') {
                    let (sp, used) = self.fparts(&s[j + 1..], offset + j + 1, raw, true)?;
                    spec = Some(sp);
                    j += 1 + used;
                }
                if b.get(j) != Some(&b'}') {
                    return Err(ferr("expecting '}'", j));
                }
                i = j + 1;
                if debug_text.is_some() && conv.is_none() && spec.is_none() {
                    conv = Some('r');
                }
                if let Some(d) = &debug_text {
                    push_lit(&mut parts, d);
                }
                parts.push(FPart::Field { expr: Box::new(expr), debug: debug_text, conv, spec });
                continue;
            }
            if c == b'}' {
                if in_spec {
                    flush(&mut lit, &mut parts);
                    return Ok((parts, i));
                }
                if b.get(i + 1) == Some(&b'}') {
                    lit.push('}');
                    i += 2;
                    continue;
                }
                return Err(ferr("single '}' is not allowed", i));
            }
            let ch_len = s[i..].chars().next().map_or(1, char::len_utf8);
            lit.push_str(&s[i..i + ch_len]);
            if c == b'\\' && i + 1 < b.len() && b[i + 1] != b'{' {
                lit.push(b[i + 1] as char);
                i += 2;
                continue;
            }
            i += ch_len;
        }
        if in_spec {
            return Err(ferr("expecting '}'", b.len()));
        }
        flush(&mut lit, &mut parts);
        Ok((parts, b.len()))
    }

    /// Parse an f-string replacement field: wrapped in parentheses so it may span lines.
    fn sub_expr(&mut self, text: &str, offset: usize) -> PResult<Expr> {
        let wrapped = format!("({text})");
        let toks = lexer::tokenize(&wrapped, offset.wrapping_sub(1))?;
        let mut p = Parser {
            toks,
            pos: 1,
            src: &wrapped,
            base: offset.wrapping_sub(1),
            depth: self.depth + 1,
            nest: self.nest,
            func_depth: self.func_depth,
            loop_depth: 0,
            saw_yield: false,
            class_name: self.class_name.clone(),
        };
        let e = p.exprlist()?;
        if !p.is_op(")") {
            return Err(p.invalid());
        }
        Ok(e)
    }
}

fn push_lit(parts: &mut Vec<FPart>, s: &str) {
    if let Some(FPart::Lit(prev)) = parts.last_mut() {
        prev.push_str(s);
    } else {
        parts.push(FPart::Lit(s.to_string()));
    }
}

fn aug_op(op: &str) -> Option<BinOp> {
    Some(match op {
        "+=" => BinOp::Add,
        "-=" => BinOp::Sub,
        "*=" => BinOp::Mul,
        "@=" => BinOp::MatMul,
        "/=" => BinOp::Div,
        "//=" => BinOp::FloorDiv,
        "%=" => BinOp::Mod,
        "**=" => BinOp::Pow,
        "<<=" => BinOp::LShift,
        ">>=" => BinOp::RShift,
        "&=" => BinOp::BitAnd,
        "|=" => BinOp::BitOr,
        "^=" => BinOp::BitXor,
        _ => return None,
    })
}

/// CPython's words for an expression kind in "cannot assign to ..." messages.
fn expr_desc(e: &ExprKind) -> &'static str {
    match e {
        ExprKind::None | ExprKind::Bool(_) | ExprKind::Ellipsis => "literal",
        ExprKind::Int(_) | ExprKind::BigInt(_) | ExprKind::Float(_) | ExprKind::Imag(_) | ExprKind::Str(_) | ExprKind::Bytes(_) => "literal",
        ExprKind::FString(_) => "f-string expression",
        ExprKind::Call(..) => "function call",
        ExprKind::Binary(..) | ExprKind::Unary(..) => "expression",
        ExprKind::And(..) | ExprKind::Or(..) => "expression",
        ExprKind::Compare(..) => "comparison",
        ExprKind::IfExp(..) => "conditional expression",
        ExprKind::Lambda(_) => "lambda",
        ExprKind::ListComp(..) => "list comprehension",
        ExprKind::SetComp(..) => "set comprehension",
        ExprKind::DictComp(..) => "dict comprehension",
        ExprKind::GenExp(..) => "generator expression",
        ExprKind::Dict(_) => "dict literal",
        ExprKind::Set(_) => "set display",
        ExprKind::Tuple(_) => "tuple",
        ExprKind::List(_) => "list",
        ExprKind::Walrus(..) => "named expression",
        ExprKind::Starred(_) => "starred",
        _ => "expression",
    }
}

thread_local! {
    /// Identifiers seen by this thread's parses, so each name is one shared string: the
    /// interpreter's caches (attribute slots, method caches) then match names by address.
    static NAMES: std::cell::RefCell<std::collections::HashSet<Name>> = std::cell::RefCell::new(std::collections::HashSet::new());
}

/// The shared string for identifier `n`. Interning only saves comparisons, so the table is
/// emptied when it grows past any real program's vocabulary (a fuzzer's inputs can be endless).
fn intern(n: &str) -> Name {
    NAMES.with_borrow_mut(|names| {
        if let Some(existing) = names.get(n) {
            return existing.clone();
        }
        if names.len() >= 1 << 16 {
            names.clear();
        }
        let name: Name = n.into();
        names.insert(name.clone());
        name
    })
}
