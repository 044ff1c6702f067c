//! Unit tests of `lang::glob`.

use lessonrun::lang::glob::*;
use std::rc::Rc;
use lessonrun::lang::files::FileReader;
use lessonrun::lang::{Exception, Interpreter, Module, Value};

fn m(n: &str, p: &str) -> bool {
    fnmatch(&n.chars().collect::<Vec<_>>(), &p.chars().collect::<Vec<_>>())
}

#[test]
fn tutport5_fnmatch_like_cpython() {
    assert!(m("Italian.txt", "*.txt"));
    assert!(!m("Italian.txt.bak", "*.txt"));
    assert!(m("a.txt", "?.txt"));
    assert!(m("b1", "[a-c][0-9]"));
    assert!(!m("d1", "[a-c][0-9]"));
    assert!(m("d1", "[!a-c]1"));
    assert!(m("[x", "[x"));
    assert!(m("", "*"));
    assert!(m("abcabc", "*b*c"));
}
