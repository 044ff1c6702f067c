//! Unit tests of `pytorch_engine`.

use lessonrun::pytorch_engine::*;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;
use serde::Deserialize;
use lessonrun::execute::{CellError, CellRun, LessonRun, OutputItem};
use lessonrun::lesson::Lesson;
use lessonrun::source::Span;

/// The protocol without PyTorch: a fake driver (any executable that answers like one)
/// is exercised through `cell_run`; the reply shapes are what the driver sends.
#[test]
fn replies_become_cell_runs() {
    let ok: Reply = serde_json::from_str(r#"{"output": "tensor(1.)\n", "error": null}"#).unwrap();
    let run = cell_run(ok, Span::default(), Instant::now());
    assert_eq!(run.text(), "tensor(1.)\n");
    let err: Reply = serde_json::from_str(r#"{"output": "a\n", "error": "NameError: name 'x' is not defined"}"#).unwrap();
    let run = cell_run(err, Span::default(), Instant::now());
    assert_eq!(run.text(), "a\nNameError: name 'x' is not defined\n");
    match &run.items[1] {
        OutputItem::Error(e) => assert_eq!((e.py_type.as_str(), e.message.as_str()), ("NameError", "name 'x' is not defined")),
        other => panic!("not an error item: {other:?}"),
    }
}

#[test]
fn a_missing_python_is_a_clear_error() {
    let lesson = lessonrun::lesson::parse(lessonrun::source::SourceFile::new("x.md", String::from("```python\n1\n```\n")));
    let e = run_lesson_pytorch(&lesson, Path::new("/nonexistent/python3")).unwrap_err();
    assert!(e.to_string().contains("cannot start Python `/nonexistent/python3`"), "{e}");
}
