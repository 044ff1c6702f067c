//! Unit tests of `lang::parser`: the `match` soft keyword and private name mangling.

use lessonrun::lang::ast::{ExprKind, PatternKind, StmtKind};
use lessonrun::lang::parser::parse_cell;

#[test]
fn match_is_a_statement_only_where_one_can_start() {
    let body = parse_cell(
        "match x:\n    case [a, *rest] | (a, *rest) if a:\n        pass\n",
        0,
    )
    .unwrap();
    let StmtKind::Match(_, cases) = &body[0].kind else {
        panic!("not a match statement")
    };
    assert_eq!(cases.len(), 1);
    assert!(matches!(cases[0].pattern.kind, PatternKind::Or(_)));
    assert!(cases[0].guard.is_some());
    // `match` as a name: assignment, call, attribute, subscript annotation.
    for code in [
        "match = 1\n",
        "match(x)\n",
        "match.group(1)\n",
        "match[0]: int = 3\n",
        "print(match, case)\n",
    ] {
        let body = parse_cell(code, 0).unwrap_or_else(|e| panic!("{code}: {e:?}"));
        assert!(!matches!(body[0].kind, StmtKind::Match(..)), "{code}");
    }
}

#[test]
fn case_patterns_get_cpythons_compile_errors() {
    let cases = [
        (
            "match x:\n    case y:\n        pass\n    case 1:\n        pass\n",
            "name capture 'y' makes remaining patterns unreachable",
        ),
        (
            "match x:\n    case [a, a]:\n        pass\n",
            "multiple assignments to name 'a' in pattern",
        ),
        (
            "match x:\n    case C(b=1, b=2):\n        pass\n",
            "attribute name repeated in class pattern: b",
        ),
        (
            "match x:\n    case 1 + 2:\n        pass\n",
            "imaginary number required in complex literal",
        ),
    ];
    for (code, want) in cases {
        let e = parse_cell(code, 0).expect_err(code);
        assert_eq!(
            (e.py_type, e.message.as_str()),
            ("SyntaxError", want),
            "{code}"
        );
    }
}

#[test]
fn private_names_are_mangled_inside_classes_only() {
    let body = parse_cell(
        "class _C:\n    def f(self):\n        return self.__x + __y + self.__z__\n__w = 1\n",
        0,
    )
    .unwrap();
    let StmtKind::Class(c) = &body[0].kind else {
        panic!("not a class")
    };
    let StmtKind::Def(f) = &c.body[0].kind else {
        panic!("not a def")
    };
    let text = format!("{:?}", f.body[0]);
    assert!(
        text.contains("\"_C__x\"") && text.contains("\"_C__y\"") && text.contains("\"__z__\""),
        "{text}"
    );
    let StmtKind::Assign(targets, _) = &body[1].kind else {
        panic!("not an assignment")
    };
    assert!(matches!(&targets[0].kind, ExprKind::Name(n, _) if &**n == "__w"));
}
