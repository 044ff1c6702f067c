//! Property tests of the lexer and parser: no panics on any input, spans inside the cell and in
//! order, and generated programs that survive pretty-printing and re-parsing unchanged.

use lessonrun::lang::ast::{Arg, BinOp, CmpOp, Expr, ExprKind, Stmt, StmtKind, UnaryOp};
use lessonrun::lang::lexer::{Tok, tokenize};
use lessonrun::lang::parser::parse_cell;
use proptest::prelude::*;

/// Cells start at some offset in their Markdown file; spans must be shifted by it.
const BASE: usize = 1000;

/// Source-like text: the characters that steer the lexer (quotes, brackets, indentation,
/// backslashes, digits, operators, non-ASCII), in any order.
fn python_ish() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "a", "x1", "_", "é", "λ", "0", "1", "9", ".", "e", "j", "x", "b", "f", "r", "'", "\"", "'''", "\"\"\"", "\\",
        "#", "\n", "\r\n", " ", "    ", "\t", "(", ")", "[", "]", "{", "}", ":", ",", "=", "+", "-", "*", "**", "/",
        "//", "%", "@", "<", ">", "!", "~", "^", "&", "|", ";", "if", "def", "else", "lambda", "not", "in", "is",
        "\u{0}", "\u{feff}", "🦀",
    ]);
    prop::collection::vec(pieces, 0..60).prop_map(|v| v.concat())
}

fn check_tokens(src: &str) -> Result<(), TestCaseError> {
    match tokenize(src, BASE) {
        Ok(toks) => {
            prop_assert!(matches!(toks.last().map(|t| &t.tok), Some(Tok::Eof)), "ends with Eof");
            let mut last_start = BASE;
            for t in &toks {
                let (s, e) = (t.span.start, t.span.end);
                prop_assert!(BASE <= s && s <= e && e <= BASE + src.len(), "{:?} outside {}..{}", t, BASE, BASE + src.len());
                prop_assert!(src.is_char_boundary(s - BASE) && src.is_char_boundary(e - BASE), "{:?} splits a char", t);
                prop_assert!(s >= last_start, "{:?} starts before the previous token", t);
                last_start = s;
            }
        }
        Err(e) => {
            let (s, end) = (e.span.start, e.span.end);
            prop_assert!(BASE <= s && s <= end && end <= BASE + src.len(), "error span {:?} outside the cell", e);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    /// (a) Lexing never panics; spans are in bounds, on char boundaries, in order.
    #[test]
    fn lexing_arbitrary_text_never_panics(src in any::<String>()) {
        check_tokens(&src)?;
    }

    #[test]
    fn lexing_python_like_text_never_panics(src in python_ish()) {
        check_tokens(&src)?;
    }

    /// (c) The parser never panics on token soup; its errors point into the cell.
    #[test]
    fn parsing_token_soup_never_panics(src in token_soup()) {
        match parse_cell(&src, BASE) {
            Ok(_) => {}
            Err(e) => prop_assert!(BASE <= e.span.start && e.span.start <= e.span.end && e.span.end <= BASE + src.len(),
                "error span {:?} outside the cell of {} bytes", e, src.len()),
        }
    }

    /// (b) Generated programs print to source that parses back to the same tree (spans aside).
    #[test]
    fn printed_programs_parse_back_to_the_same_tree(prog in program()) {
        let src = print_block(&prog, 0);
        let parsed = parse_cell(&src, BASE).map_err(|e| TestCaseError::fail(format!("{e:?} in\n{src}")))?;
        prop_assert_eq!(shape(&parsed), shape(&prog), "source:\n{}", src);
    }
}

// ---- token soup ---------------------------------------------------------------------------

fn token_soup() -> impl Strategy<Value = String> {
    let tok = prop_oneof![
        prop::sample::select(lessonrun::lang::lexer::KEYWORDS.to_vec()).prop_map(str::to_string),
        prop::sample::select(vec![
            "(", ")", "[", "]", "{", "}", ",", ":", ".", ";", "=", "+", "-", "*", "**", "/", "//", "%", "@", "<", ">",
            "==", "!=", "<=", ">=", "+=", "->", ":=", "...", "~", "|", "&", "^", "<<", ">>", "\n", "\n    ", "\n        ",
        ])
        .prop_map(str::to_string),
        "[a-z_][a-z0-9_]{0,5}",
        "[0-9]{1,20}(\\.[0-9]{0,3})?(e-?[0-9]{1,3})?",
        "'[a-z \\\\{}]{0,6}'",
        "f'[a-z{}!:=]{0,8}'",
    ];
    prop::collection::vec(tok, 0..40).prop_map(|v| v.join(" "))
}

// ---- a generator of well-formed programs and their printer ------------------------------------

fn e(kind: ExprKind) -> Expr {
    Expr { kind, span: Default::default() }
}

fn s(kind: StmtKind) -> Stmt {
    Stmt { kind, span: Default::default() }
}

fn name() -> impl Strategy<Value = String> {
    // `[a-z]` names that are not keywords.
    "[a-z][a-z0-9_]{0,4}".prop_filter("keyword", |n| !lessonrun::lang::lexer::KEYWORDS.contains(&n.as_str()))
}

fn leaf() -> impl Strategy<Value = Expr> {
    prop_oneof![
        name().prop_map(|n| e(ExprKind::Name(n.into(), Default::default()))),
        (0i64..1_000_000_000).prop_map(|i| e(ExprKind::Int(i))),
        (0.0f64..1e12).prop_map(|f| e(ExprKind::Float(f))),
        prop::collection::vec(prop::sample::select(vec!['a', 'Z', ' ', '\'', '"', '\\', '\n', '\t', 'é', '🦀', '{', '}']), 0..6)
            .prop_map(|cs| e(ExprKind::Str(cs.into_iter().collect::<String>().into()))),
        any::<bool>().prop_map(|b| e(ExprKind::Bool(b))),
        Just(e(ExprKind::None)),
    ]
}

fn expr() -> impl Strategy<Value = Expr> {
    leaf().prop_recursive(4, 24, 3, |inner| {
        let bin = prop::sample::select(vec![
            BinOp::Add, BinOp::Sub, BinOp::Mul, BinOp::MatMul, BinOp::Div, BinOp::FloorDiv, BinOp::Mod, BinOp::Pow,
            BinOp::LShift, BinOp::RShift, BinOp::BitAnd, BinOp::BitOr, BinOp::BitXor,
        ]);
        let cmp = prop::sample::select(vec![
            CmpOp::Eq, CmpOp::Ne, CmpOp::Lt, CmpOp::Le, CmpOp::Gt, CmpOp::Ge, CmpOp::Is, CmpOp::IsNot, CmpOp::In, CmpOp::NotIn,
        ]);
        let un = prop::sample::select(vec![UnaryOp::Neg, UnaryOp::Pos, UnaryOp::Invert, UnaryOp::Not]);
        let b = |x: Expr| Box::new(x);
        prop_oneof![
            (bin, inner.clone(), inner.clone()).prop_map(move |(op, l, r)| e(ExprKind::Binary(op, b(l), b(r)))),
            (un, inner.clone()).prop_map(move |(op, x)| e(ExprKind::Unary(op, b(x)))),
            (inner.clone(), inner.clone()).prop_map(move |(l, r)| e(ExprKind::And(b(l), b(r)))),
            (inner.clone(), inner.clone()).prop_map(move |(l, r)| e(ExprKind::Or(b(l), b(r)))),
            (inner.clone(), prop::collection::vec((cmp, inner.clone()), 1..3))
                .prop_map(move |(l, rest)| e(ExprKind::Compare(b(l), rest))),
            (inner.clone(), inner.clone(), inner.clone()).prop_map(move |(a, c, x)| e(ExprKind::IfExp(b(c), b(a), b(x)))),
            prop::collection::vec(inner.clone(), 0..3).prop_map(|v| e(ExprKind::List(v))),
            prop::collection::vec(inner.clone(), 0..3).prop_map(|v| e(ExprKind::Tuple(v))),
            prop::collection::vec((inner.clone(), inner.clone()), 0..3)
                .prop_map(|v| e(ExprKind::Dict(v.into_iter().map(|(k, x)| (Some(k), x)).collect()))),
            (inner.clone(), name()).prop_map(move |(x, n)| e(ExprKind::Attribute(b(x), n.into()))),
            (inner.clone(), inner.clone()).prop_map(move |(x, i)| e(ExprKind::Subscript(b(x), b(i)))),
            (inner.clone(), prop::collection::vec(inner.clone(), 0..3), prop::collection::vec((name(), inner.clone()), 0..2))
                .prop_map(move |(f, pos, kw)| {
                    let mut args: Vec<Arg> = pos.into_iter().map(Arg::Pos).collect();
                    let mut seen = std::collections::HashSet::new();
                    args.extend(kw.into_iter().filter(|(n, _)| seen.insert(n.clone())).map(|(n, x)| Arg::Kw(n.into(), x)));
                    e(ExprKind::Call(b(f), args))
                }),
        ]
    })
}

/// A target: a name, an attribute or a subscript.
fn target() -> impl Strategy<Value = Expr> {
    prop_oneof![
        3 => name().prop_map(|n| e(ExprKind::Name(n.into(), Default::default()))),
        1 => (expr(), name()).prop_map(|(x, n)| e(ExprKind::Attribute(Box::new(x), n.into()))),
        1 => (expr(), expr()).prop_map(|(x, i)| e(ExprKind::Subscript(Box::new(x), Box::new(i)))),
    ]
}

fn simple_stmt() -> impl Strategy<Value = Stmt> {
    let aug = prop::sample::select(vec![BinOp::Add, BinOp::Sub, BinOp::Mul, BinOp::Div, BinOp::FloorDiv, BinOp::Mod, BinOp::Pow]);
    prop_oneof![
        expr().prop_map(|x| s(StmtKind::Expr(x))),
        (prop::collection::vec(target(), 1..3), expr()).prop_map(|(ts, v)| s(StmtKind::Assign(ts, v))),
        (target(), aug, expr()).prop_map(|(t, op, v)| s(StmtKind::AugAssign(t, op, v))),
        Just(s(StmtKind::Pass)),
    ]
}

fn block(inner: impl Strategy<Value = Stmt> + Clone) -> impl Strategy<Value = Vec<Stmt>> {
    prop::collection::vec(inner, 1..3)
}

fn stmt() -> impl Strategy<Value = Stmt> {
    simple_stmt().prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            (expr(), block(inner.clone()), prop::option::of(block(inner.clone())))
                .prop_map(|(c, a, b)| s(StmtKind::If(c, a, b.unwrap_or_default()))),
            (expr(), block(inner.clone())).prop_map(|(c, a)| s(StmtKind::While(c, a, Vec::new()))),
            (name(), expr(), block(inner.clone()))
                .prop_map(|(n, it, a)| s(StmtKind::For(e(ExprKind::Name(n.into(), Default::default())), it, a, Vec::new()))),
        ]
    })
}

fn program() -> impl Strategy<Value = Vec<Stmt>> {
    prop::collection::vec(stmt(), 1..5)
}

fn print_block(body: &[Stmt], depth: usize) -> String {
    body.iter().map(|st| print_stmt(st, depth)).collect()
}

fn print_stmt(st: &Stmt, depth: usize) -> String {
    let pad = "    ".repeat(depth);
    match &st.kind {
        StmtKind::Expr(x) => format!("{pad}{}\n", print_expr(x)),
        StmtKind::Assign(ts, v) => {
            let ts: String = ts.iter().map(|t| format!("{} = ", print_expr(t))).collect();
            format!("{pad}{ts}{}\n", print_expr(v))
        }
        StmtKind::AugAssign(t, op, v) => format!("{pad}{} {}= {}\n", print_expr(t), op.symbol(), print_expr(v)),
        StmtKind::Pass => format!("{pad}pass\n"),
        StmtKind::If(c, a, b) => {
            let mut out = format!("{pad}if {}:\n{}", print_expr(c), print_block(a, depth + 1));
            if !b.is_empty() {
                out += &format!("{pad}else:\n{}", print_block(b, depth + 1));
            }
            out
        }
        StmtKind::While(c, a, _) => format!("{pad}while {}:\n{}", print_expr(c), print_block(a, depth + 1)),
        StmtKind::For(t, it, a, _) => format!("{pad}for {} in {}:\n{}", print_expr(t), print_expr(it), print_block(a, depth + 1)),
        other => unreachable!("not generated: {other:?}"),
    }
}

/// Every compound expression is parenthesised, so precedence never matters.
fn print_expr(x: &Expr) -> String {
    let list = |v: &[Expr]| v.iter().map(print_expr).collect::<Vec<_>>().join(", ");
    match &x.kind {
        ExprKind::Name(n, _) => n.to_string(),
        ExprKind::Int(i) => i.to_string(),
        ExprKind::Float(f) => format!("{f:?}"),
        ExprKind::Str(t) => print_str(t),
        ExprKind::Bool(b) => if *b { "True" } else { "False" }.to_string(),
        ExprKind::None => "None".to_string(),
        ExprKind::Binary(op, l, r) => format!("({} {} {})", print_expr(l), op.symbol(), print_expr(r)),
        ExprKind::Unary(op, v) => {
            let sym = match op {
                UnaryOp::Neg => "-",
                UnaryOp::Pos => "+",
                UnaryOp::Invert => "~",
                UnaryOp::Not => "not ",
            };
            format!("({sym}{})", print_expr(v))
        }
        ExprKind::And(l, r) => format!("({} and {})", print_expr(l), print_expr(r)),
        ExprKind::Or(l, r) => format!("({} or {})", print_expr(l), print_expr(r)),
        ExprKind::Compare(l, rest) => {
            let rest: String = rest.iter().map(|(op, r)| format!(" {} {}", op.symbol(), print_expr(r))).collect();
            format!("({}{rest})", print_expr(l))
        }
        ExprKind::IfExp(c, a, b) => format!("({} if {} else {})", print_expr(a), print_expr(c), print_expr(b)),
        ExprKind::List(v) => format!("[{}]", list(v)),
        ExprKind::Tuple(v) if v.len() == 1 => format!("({},)", print_expr(&v[0])),
        ExprKind::Tuple(v) => format!("({})", list(v)),
        ExprKind::Dict(v) => {
            let items: Vec<String> =
                v.iter().map(|(k, x)| format!("{}: {}", k.as_ref().map(print_expr).unwrap_or_default(), print_expr(x))).collect();
            format!("{{{}}}", items.join(", "))
        }
        ExprKind::Attribute(v, n) => format!("({}).{n}", print_expr(v)),
        ExprKind::Subscript(v, i) => format!("({})[{}]", print_expr(v), print_expr(i)),
        ExprKind::Call(f, args) => {
            let args: Vec<String> = args
                .iter()
                .map(|a| match a {
                    Arg::Pos(x) => print_expr(x),
                    Arg::Kw(n, x) => format!("{n}={}", print_expr(x)),
                    other => unreachable!("not generated: {other:?}"),
                })
                .collect();
            format!("({})({})", print_expr(f), args.join(", "))
        }
        other => unreachable!("not generated: {other:?}"),
    }
}

fn print_str(t: &str) -> String {
    let mut out = String::from("'");
    for c in t.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// The tree's Debug text with every span removed: equal shapes mean equal trees modulo spans.
fn shape(body: &[Stmt]) -> String {
    let text = format!("{body:?}");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(i) = rest.find("Span {") {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        let close = after.find('}').map_or(after.len(), |j| j + 1);
        rest = &after[close..];
    }
    out.push_str(rest);
    out
}
