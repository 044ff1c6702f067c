//! Unit tests of `lang::lexer`.

use lessonrun::lang::lexer::*;
use std::rc::Rc;
use lessonrun::lang::bigint::MAX_STR_DIGITS;
use lessonrun::source::Span;

fn kinds(src: &str) -> Vec<Tok> {
    tokenize(src, 0).unwrap().into_iter().map(|t| t.tok).collect()
}

/// Token texts, in order, separated only by trivia, rebuild the source.
fn check_roundtrip(src: &str, base: usize) {
    let toks = tokenize(src, base).unwrap();
    let mut prev_end = base;
    let mut rebuilt = String::new();
    for t in &toks {
        assert!(t.span.start >= prev_end, "spans must be monotone: {t:?}");
        assert!(t.span.end >= t.span.start);
        let gap = &src[prev_end - base..t.span.start - base];
        let trivia_ok = gap.lines().all(|l| {
            let l = l.trim_start_matches([' ', '\t', '\r']);
            l.is_empty() || l.starts_with('#') || l == "\\" || l.trim_end() == "\\" || l.trim().starts_with('#')
        });
        assert!(trivia_ok, "non-trivia gap {gap:?} before {t:?}");
        rebuilt.push_str(gap);
        rebuilt.push_str(&src[t.span.start - base..t.span.end - base]);
        prev_end = t.span.end;
    }
    rebuilt.push_str(&src[prev_end - base..]);
    assert_eq!(rebuilt, src);
}

#[test]
fn tokens_concatenate_back_to_source() {
    let srcs = [
        "x = 1\nif x:\n    y = [1,\n  2]  # c\n    z = f'{x!r:>{w}}'\nprint(y)\n",
        "def f(a, *b, **c):\n\treturn a \\\n  + 1\n\n\n# end\n",
        "s = '''a\nb''' + r'\\d' \"q\"; t = 0x1F + 1_000 + 1e-5 + .5 + 1.\n",
    ];
    for src in srcs {
        check_roundtrip(src, 0);
        check_roundtrip(src, 1234);
    }
}

#[test]
fn spans_are_shifted_by_base() {
    let a = tokenize("foo = 12", 0).unwrap();
    let b = tokenize("foo = 12", 100).unwrap();
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.span.shift(100), y.span);
    }
    assert_eq!(b[0].span, Span::new(100, 103));
    assert_eq!(b[2].span, Span::new(106, 108));
}

#[test]
fn indentation_tokens() {
    let t = kinds("if a:\n    b\n    if c:\n        d\ne\n");
    let layout: Vec<&Tok> = t.iter().filter(|t| matches!(t, Tok::Indent | Tok::Dedent)).collect();
    assert_eq!(layout, vec![&Tok::Indent, &Tok::Indent, &Tok::Dedent, &Tok::Dedent]);
    // Blank and comment lines do not affect layout.
    let t2 = kinds("if a:\n\n  # x\n    b\n");
    assert_eq!(t2.iter().filter(|t| matches!(t, Tok::Indent)).count(), 1);
}

#[test]
fn inconsistent_dedent_is_an_error() {
    let e = tokenize("if a:\n    b\n  c\n", 0).unwrap_err();
    assert_eq!(e.py_type, "IndentationError");
    assert_eq!(e.message, "unindent does not match any outer indentation level");
}

#[test]
fn brackets_join_lines_and_must_close() {
    let t = kinds("f(1,\n  2)\n");
    assert_eq!(t.iter().filter(|t| matches!(t, Tok::Newline)).count(), 1);
    let e = tokenize("f(1,\n", 0).unwrap_err();
    assert_eq!(e.message, "'(' was never closed");
    assert_eq!(e.span, Span::new(1, 2));
}

#[test]
fn numbers_and_strings() {
    assert_eq!(
        kinds("0x1f 0o17 0b101 1_000 1e-5 1. .5")[..7],
        [Tok::Int(31), Tok::Int(15), Tok::Int(5), Tok::Int(1000), Tok::Float(1e-5), Tok::Float(1.0), Tok::Float(0.5)]
    );
    assert_eq!(kinds(r"'a\nb'")[0], Tok::Str(StrLit::Plain("a\nb".into())));
    assert_eq!(kinds(r"r'a\nb'")[0], Tok::Str(StrLit::Plain("a\\nb".into())));
}

#[test]
fn imaginary_literals() {
    // CPython: an int, float or exponent literal followed by j or J; underscores allowed.
    assert_eq!(
        kinds("1j 2.5J 1e3j 1_0j .5j")[..5],
        [Tok::Imag(1.0), Tok::Imag(2.5), Tok::Imag(1000.0), Tok::Imag(10.0), Tok::Imag(0.5)]
    );
    // A plain number before an operator is unchanged.
    assert_eq!(kinds("1 + 2j")[..3], [Tok::Int(1), Tok::Op("+"), Tok::Imag(2.0)]);
    check_roundtrip("z = 3 - 4J\n", 0);
}
