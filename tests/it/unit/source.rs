//! Unit tests of `source`.

use lessonrun::source::*;
use std::ops::Range;
use std::path::PathBuf;

#[test]
fn line_col_counts_from_one() {
    let f = SourceFile::new("a.md", "ab\ncd\n\né");
    assert_eq!(f.line_col(0), LineCol { line: 1, col: 1 });
    assert_eq!(f.line_col(4), LineCol { line: 2, col: 2 });
    assert_eq!(f.line_col(6), LineCol { line: 3, col: 1 });
    assert_eq!(f.line_col(7), LineCol { line: 4, col: 1 });
    assert_eq!(f.line_text(2), "cd");
    assert_eq!(f.line_text(4), "é");
    assert_eq!(f.location(3), "a.md:2:1");
}
