//! Unit tests of `notebook::json`.

use lessonrun::notebook::json::*;
use serde::Serialize;
use serde_json::Value;
use lessonrun::notebook::NotebookError;

#[test]
fn multiline_strings_round_trip() {
    for t in ["", "a", "a\n", "a\nb", "a\n\nb\n"] {
        assert_eq!(text(&lines(t)).as_deref(), Some(t));
    }
    assert_eq!(text(&Value::String("x\ny".into())).as_deref(), Some("x\ny"));
    assert_eq!(text(&Value::Bool(true)), None);
}

#[test]
fn bad_json_names_line_and_column() {
    let e = parse("{\n \"cells\": [1,\n}").unwrap_err();
    let NotebookError::Json { line, column, .. } = e else {
        panic!("{e:?}")
    };
    assert_eq!((line, column), (3, 1));
}

#[test]
fn written_with_sorted_keys_and_one_space_indent() {
    let v = serde_json::json!({"b": 1, "a": [true]});
    assert_eq!(write(&v), "{\n \"a\": [\n  true\n ],\n \"b\": 1\n}\n");
}
