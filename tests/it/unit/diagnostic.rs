//! Unit tests of `diagnostic`.

use lessonrun::diagnostic::*;
use lessonrun::source::{SourceFile, Span};

#[test]
fn caret_under_span() {
    let f = SourceFile::new("l.md", "# t\n```python\nprint(x)\n```\n");
    let at = f.text.find("x)").unwrap();
    let d = Diagnostic { severity: Severity::Error, message: "NameError: name 'x' is not defined".into(), span: Span::new(at, at + 1), notes: vec!["in cell at l.md:2".into()] };
    assert_eq!(
        d.render(&f),
        "error: NameError: name 'x' is not defined\n --> l.md:3:7\n  |\n3 | print(x)\n  |       ^\n  = in cell at l.md:2\n"
    );
}
