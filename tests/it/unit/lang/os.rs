//! Unit tests of `lang::os`.

use lessonrun::lang::os::*;
use std::rc::Rc;
use lessonrun::lang::{Exception, Interpreter, Module, Value};

#[test]
fn posix_path_rules() {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(join(&s(&["data", "names.txt"])), "data/names.txt");
    assert_eq!(join(&s(&["data/", "x", "/abs", "y"])), "/abs/y");
    assert_eq!(join(&s(&["", "x"])), "x");
    assert_eq!(split("a/b/c.txt"), ("a/b".into(), "c.txt".into()));
    assert_eq!(split("//x"), ("//".into(), "x".into()));
    assert_eq!(split("name"), ("".into(), "name".into()));
    assert_eq!(splitext("a/b.tar.gz"), ("a/b.tar".into(), ".gz".into()));
    assert_eq!(splitext(".bashrc"), (".bashrc".into(), "".into()));
    assert_eq!(splitext("a.b/c"), ("a.b/c".into(), "".into()));
}
