//! The `match` statement's syntax: `match` is a soft keyword (a statement starting with it is
//! tried as a match statement, and parsed again as ordinary code when it is not one), and the
//! `case` patterns with CPython's compile-time checks (unreachable cases, names bound twice or
//! differently by alternatives, starred names, repeated keys and attributes).

use super::*;

impl Parser<'_> {
    /// `match subject:` NEWLINE INDENT `case ...` ... DEDENT, or None (position restored) when
    /// the statement starting with the name `match` is not one (`match = 3`, `match(x)`).
    pub(super) fn match_stmt(&mut self, start: Span) -> PResult<Option<Stmt>> {
        let saved = (self.pos, self.depth, self.nest, self.saw_yield);
        self.advance();
        let subject = match self.starts_expr() || self.is_op("*") {
            true => self.exprlist().ok(),
            false => None,
        };
        let Some(subject) =
            subject.filter(|_| self.is_op(":") && matches!(self.peek_at(1), Tok::Newline))
        else {
            (self.pos, self.depth, self.nest, self.saw_yield) = saved;
            return Ok(None);
        };
        self.advance();
        self.advance();
        if !self.check(&Tok::Indent) {
            let line = self.line_of(start);
            return Err(self.error_with(
                "IndentationError",
                format!("expected an indented block after 'match' statement on line {line}"),
            ));
        }
        self.advance();
        let mut cases: Vec<MatchCase> = Vec::new();
        while !self.check(&Tok::Dedent) && !self.at_eof() {
            let cs = self.span();
            if !matches!(self.peek(), Tok::Name(n) if n == "case") {
                return Err(self.invalid());
            }
            self.advance();
            let pattern = self.top_pattern()?;
            let guard = if self.eat_kw("if") {
                Some(self.named_expr()?)
            } else {
                None
            };
            let body = self.block("'case' statement", cs)?;
            if let Some(prev) = cases.last()
                && prev.guard.is_none()
                && let Some(msg) = irrefutable(&prev.pattern)
            {
                return Err(ParseError {
                    span: prev.pattern.span,
                    ..self.error(msg)
                });
            }
            cases.push(MatchCase {
                pattern,
                guard,
                body,
            });
        }
        if self.check(&Tok::Dedent) {
            self.advance();
        }
        let span = start.to(self.prev_span());
        Ok(Some(Stmt {
            kind: StmtKind::Match(subject, cases),
            span,
        }))
    }

    /// A case's pattern: an open sequence (`case a, *rest:`) or one pattern; names checked.
    fn top_pattern(&mut self) -> PResult<Pattern> {
        let start = self.span();
        let first = self.star_pattern()?;
        let p = if self.is_op(",") || matches!(first.kind, PatternKind::Star(_)) {
            let mut items = vec![first];
            while self.eat_op(",") {
                if self.is_op(":") || self.is_kw("if") {
                    break;
                }
                items.push(self.star_pattern()?);
            }
            self.sequence(items, start)?
        } else {
            first
        };
        let mut names = Vec::new();
        p.bound_names(&mut names);
        for (i, n) in names.iter().enumerate() {
            if names[..i].contains(n) {
                return Err(ParseError {
                    span: p.span,
                    ..self.error(format!("multiple assignments to name '{n}' in pattern"))
                });
            }
        }
        Ok(p)
    }

    fn sequence(&self, items: Vec<Pattern>, start: Span) -> PResult<Pattern> {
        if items
            .iter()
            .filter(|p| matches!(p.kind, PatternKind::Star(_)))
            .count()
            > 1
        {
            return Err(ParseError {
                span: start,
                ..self.error("multiple starred names in sequence pattern")
            });
        }
        Ok(Pattern {
            kind: PatternKind::Sequence(items),
            span: start.to(self.prev_span()),
        })
    }

    /// `*name` (in a sequence) or an `as` pattern.
    fn star_pattern(&mut self) -> PResult<Pattern> {
        let start = self.span();
        if self.eat_op("*") {
            let n = self.name()?;
            let kind = PatternKind::Star(if &*n == "_" { None } else { Some(n) });
            return Ok(Pattern {
                kind,
                span: start.to(self.prev_span()),
            });
        }
        self.as_pattern()
    }

    fn as_pattern(&mut self) -> PResult<Pattern> {
        let start = self.span();
        let p = self.or_pattern()?;
        if !self.eat_kw("as") {
            return Ok(p);
        }
        if matches!(self.peek(), Tok::Name(n) if n == "_") {
            return Err(self.error("cannot use '_' as a target"));
        }
        let n = self.name()?;
        Ok(Pattern {
            kind: PatternKind::As(Box::new(p), n),
            span: start.to(self.prev_span()),
        })
    }

    fn or_pattern(&mut self) -> PResult<Pattern> {
        let start = self.span();
        let first = self.closed_pattern()?;
        if !self.is_op("|") {
            return Ok(first);
        }
        let mut alts = vec![first];
        while self.eat_op("|") {
            alts.push(self.closed_pattern()?);
        }
        for a in &alts[..alts.len() - 1] {
            if let Some(msg) = irrefutable(a) {
                return Err(ParseError {
                    span: a.span,
                    ..self.error(msg)
                });
            }
        }
        let mut first_names = Vec::new();
        alts[0].bound_names(&mut first_names);
        first_names.sort();
        for a in &alts[1..] {
            let mut names = Vec::new();
            a.bound_names(&mut names);
            names.sort();
            if names != first_names {
                return Err(ParseError {
                    span: start,
                    ..self.error("alternative patterns bind different names")
                });
            }
        }
        Ok(Pattern {
            kind: PatternKind::Or(alts),
            span: start.to(self.prev_span()),
        })
    }

    fn closed_pattern(&mut self) -> PResult<Pattern> {
        let start = self.span();
        self.nest(start)?;
        let r = self.closed_pattern_inner(start);
        self.nest -= 1;
        r
    }

    fn closed_pattern_inner(&mut self, start: Span) -> PResult<Pattern> {
        let kind = match self.peek().clone() {
            Tok::Name(n) => {
                let (e, dotted) = self.dotted_name()?;
                if self.eat_op("(") {
                    return self.class_pattern(e, start);
                }
                if dotted {
                    PatternKind::Value(e)
                } else if n == "_" {
                    PatternKind::Capture(None)
                } else {
                    let ExprKind::Name(n, _) = e.kind else {
                        return Err(self.invalid());
                    };
                    PatternKind::Capture(Some(n))
                }
            }
            Tok::Op("(") | Tok::Op("[") => {
                let close = if self.is_op("(") { ")" } else { "]" };
                self.advance();
                let mut items = Vec::new();
                let mut comma = false;
                while !self.is_op(close) {
                    items.push(self.star_pattern()?);
                    if !self.eat_op(",") {
                        break;
                    }
                    comma = true;
                }
                self.expect_op(close)?;
                // `(p)` is a group, not a one-item sequence.
                if close == ")"
                    && items.len() == 1
                    && !comma
                    && !matches!(items[0].kind, PatternKind::Star(_))
                    && let Some(p) = items.pop()
                {
                    return Ok(Pattern {
                        kind: p.kind,
                        span: start.to(self.prev_span()),
                    });
                }
                return self.sequence(items, start);
            }
            Tok::Op("{") => return self.mapping_pattern(start),
            Tok::Kw("None") | Tok::Kw("True") | Tok::Kw("False") => {
                PatternKind::Singleton(self.atom()?)
            }
            _ => PatternKind::Value(self.literal()?),
        };
        Ok(Pattern {
            kind,
            span: start.to(self.prev_span()),
        })
    }

    /// `a` or `a.b.c`, and whether it had dots.
    fn dotted_name(&mut self) -> PResult<(Expr, bool)> {
        let start = self.span();
        let n = self.name()?;
        let mut e = Expr {
            kind: ExprKind::Name(n, NameSlot::default()),
            span: start,
        };
        let mut dotted = false;
        while self.eat_op(".") {
            let a = self.name()?;
            e = Expr {
                kind: ExprKind::Attribute(Box::new(e), a),
                span: start.to(self.prev_span()),
            };
            dotted = true;
        }
        Ok((e, dotted))
    }

    /// A number (signed) or string literal.
    fn literal(&mut self) -> PResult<Expr> {
        let start = self.span();
        match self.peek() {
            Tok::Str(_) => self.atom(),
            Tok::Op("-") => {
                self.advance();
                if !matches!(self.peek(), Tok::Int(_) | Tok::BigInt(_) | Tok::Float(_)) {
                    return Err(self.invalid());
                }
                let n = self.atom()?;
                Ok(Expr {
                    kind: ExprKind::Unary(UnaryOp::Neg, Box::new(n)),
                    span: start.to(self.prev_span()),
                })
            }
            Tok::Int(_) | Tok::BigInt(_) | Tok::Float(_) => {
                let n = self.atom()?;
                if self.is_op("+") || self.is_op("-") {
                    return Err(self.error("imaginary number required in complex literal"));
                }
                Ok(n)
            }
            _ => Err(self.invalid()),
        }
    }

    fn mapping_pattern(&mut self, start: Span) -> PResult<Pattern> {
        self.advance();
        let mut items: Vec<(Expr, Pattern)> = Vec::new();
        let mut rest = None;
        let mut literal_keys: Vec<String> = Vec::new();
        while !self.is_op("}") {
            if self.eat_op("**") {
                rest = Some(self.name()?);
                self.eat_op(",");
                break;
            }
            let key = match self.peek() {
                Tok::Name(_) => {
                    let (e, dotted) = self.dotted_name()?;
                    if !dotted {
                        return Err(self.invalid());
                    }
                    e
                }
                Tok::Kw("None") | Tok::Kw("True") | Tok::Kw("False") => self.atom()?,
                _ => self.literal()?,
            };
            if let Some(text) = literal_text(&key) {
                if literal_keys.contains(&text) {
                    return Err(ParseError {
                        span: start,
                        ..self.error(format!("mapping pattern checks duplicate key ({text})"))
                    });
                }
                literal_keys.push(text);
            }
            self.expect_op(":")?;
            items.push((key, self.as_pattern()?));
            if !self.eat_op(",") {
                break;
            }
        }
        self.expect_op("}")?;
        Ok(Pattern {
            kind: PatternKind::Mapping(items, rest),
            span: start.to(self.prev_span()),
        })
    }

    /// `Cls(` has been read: positional patterns, then `attr=pattern`s, then `)`.
    fn class_pattern(&mut self, cls: Expr, start: Span) -> PResult<Pattern> {
        let mut pos = Vec::new();
        let mut kws: Vec<(Name, Pattern)> = Vec::new();
        while !self.is_op(")") {
            if let (Tok::Name(_), Tok::Op("=")) = (self.peek(), self.peek_at(1)) {
                let n = self.name()?;
                self.advance();
                if kws.iter().any(|(k, _)| *k == n) {
                    return Err(
                        self.error(format!("attribute name repeated in class pattern: {n}"))
                    );
                }
                kws.push((n, self.as_pattern()?));
            } else {
                let p = self.as_pattern()?;
                if !kws.is_empty() {
                    return Err(ParseError {
                        span: p.span,
                        ..self.error("positional patterns follow keyword patterns")
                    });
                }
                pos.push(p);
            }
            if !self.eat_op(",") {
                break;
            }
        }
        self.expect_op(")")?;
        Ok(Pattern {
            kind: PatternKind::Class(cls, pos, kws),
            span: start.to(self.prev_span()),
        })
    }
}

/// CPython's error for a pattern that always matches, when cases follow it.
fn irrefutable(p: &Pattern) -> Option<String> {
    match &p.kind {
        PatternKind::Capture(Some(n)) => Some(format!(
            "name capture '{n}' makes remaining patterns unreachable"
        )),
        PatternKind::Capture(None) => Some("wildcard makes remaining patterns unreachable".into()),
        PatternKind::As(inner, _) => irrefutable(inner),
        PatternKind::Or(alts) => alts.iter().find_map(irrefutable),
        _ => None,
    }
}

/// A literal key as CPython's duplicate-key message shows it (`'a'`, `1`).
fn literal_text(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Str(s) => Some(format!("'{s}'")),
        ExprKind::Int(i) => Some(i.to_string()),
        ExprKind::None => Some("None".into()),
        ExprKind::Bool(b) => Some(if *b { "True" } else { "False" }.into()),
        _ => None,
    }
}
