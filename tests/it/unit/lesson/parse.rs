//! Unit tests of `lesson::parse`.

use lessonrun::lesson::parse::*;
use pulldown_cmark::{CodeBlockKind, Event, MetadataBlockKind, Options, Parser, Tag, TagEnd};
use lessonrun::lesson::{Cell, CellOptions, CompareOptions, Expected, ExpectedStyle, Lesson, LessonError, PageMeta};
use lessonrun::source::{SourceFile, Span};

fn lesson(text: &str) -> Lesson {
    parse(SourceFile::new("t.md", text))
}

#[test]
fn cell_with_output_block() {
    let l = lesson("# T\n\n```python\nprint(1)\n```\n\n```output tolerance=1e-6\n1\n```\n");
    assert_eq!(l.cells.len(), 1);
    let c = &l.cells[0];
    assert_eq!(c.line, 3);
    assert_eq!(l.code(c), "print(1)\n");
    let e = c.expected.as_ref().unwrap();
    assert_eq!(e.text, "1\n");
    assert_eq!(e.options.tolerance, Some(1e-6));
    assert!(l.warnings.is_empty());
}

#[test]
fn output_block_must_follow_directly() {
    let l = lesson("```python\nprint(1)\n```\ntext\n```output\n1\n```\n");
    assert!(l.cells[0].expected.is_none());
}

#[test]
fn options_and_non_cells() {
    let l = lesson("```python skip\nx\n```\n```python3\ny\n```\n```text\nz\n```\n> ```python\n> q\n> ```\n");
    assert_eq!(l.cells.len(), 1);
    assert!(l.cells[0].options.skip);
}

#[test]
fn seed_style_output() {
    let src = "```python\nprint(2)\n\"\"\"\n--------\noutput:\n2\n\"\"\"\n```\n";
    let l = lesson(src);
    let c = &l.cells[0];
    assert_eq!(l.code(c), "print(2)\n");
    let e = c.expected.as_ref().unwrap();
    assert_eq!(e.text, "2\n");
    let ExpectedStyle::SeedString { body, closing_inline } = e.style else { panic!() };
    assert_eq!(&src[body.range()], "2\n");
    assert!(!closing_inline);
}

#[test]
fn plain_docstring_is_not_an_expectation() {
    let l = lesson("```python\nx = 1\n\"\"\"just a note\"\"\"\n```\n");
    assert!(l.cells[0].expected.is_none());
    assert_eq!(l.code(&l.cells[0]), "x = 1\n\"\"\"just a note\"\"\"\n");
}

#[test]
fn unclosed_fence_runs_to_end_and_is_an_error() {
    let l = lesson("# T\n```python\nprint(1)\n");
    assert_eq!(l.code(&l.cells[0]), "print(1)\n");
    assert!(matches!(&l.errors[..], [LessonError::UnclosedFence { span, .. }] if span.start == 4), "{:?}", l.errors);
    assert!(lesson("```python\nprint(1)\n```").errors.is_empty());
}

#[test]
fn bom_crlf_and_front_matter() {
    let l = lesson("\u{feff}---\nellipsis: true\n---\n```python\nprint(1)\n```\n");
    assert_eq!((l.cells.len(), l.defaults.ellipsis, l.source.bom), (1, true, true));
    let l = lesson("# T\r\n\r\n```python\r\nprint(1)\r\n```\r\n\r\n```output\r\n1\r\n```\r\n");
    assert!(l.errors.is_empty() && l.cells[0].expected.is_some());
    let cr = lesson("# T\r\r```python\rprint(1)\r```\r");
    assert!(matches!(&cr.errors[..], [LessonError::CrLineEndings { .. }]));
    let swallowing = lesson("---\ntitle: T\n\n```python\nprint(1)\n```\n\n---\n");
    assert!(matches!(&swallowing.errors[..], [LessonError::UnclosedFrontMatter { .. }]), "{:?}", swallowing.errors);
    let open = lesson("---\ntitle: T\n\n```python\nprint(1)\n```\n");
    assert!(matches!(&open.errors[..], [LessonError::UnclosedFrontMatter { .. }]));
    assert!(lesson("---\n\nA rule, then prose.\n").errors.is_empty());
}

#[test]
fn comparison_words_and_front_matter() {
    let src = "---\ntitle: T\nellipsis: true\ntolerance: 1e-3 # CPUs differ\nignore: maybe\n---\n\n# T\n\n\
               ```python\nprint(1)\n```\n```output normalize-whitespace\n1\n```\n\
               ```python\nprint(2)\n```\n```output ignore tolerance=0.5\n2\n```\n";
    let l = lesson(src);
    assert_eq!(l.defaults, CompareOptions { tolerance: Some(1e-3), ellipsis: true, ..CompareOptions::default() });
    let first = &l.cells[0].expected.as_ref().unwrap().options;
    assert!(first.normalize_whitespace && first.ellipsis && !first.ignore);
    assert_eq!(first.tolerance, Some(1e-3));
    let second = &l.cells[1].expected.as_ref().unwrap().options;
    assert!(second.ignore && second.ellipsis && !second.normalize_whitespace);
    assert_eq!(second.tolerance, Some(0.5));
    assert_eq!(l.warnings.len(), 1, "{:?}", l.warnings);
    let LessonError::BadFrontMatter { key, span, .. } = &l.warnings[0] else { panic!("{:?}", l.warnings) };
    assert_eq!(key, "ignore");
    assert_eq!(&src[span.range()], "ignore: maybe");
}

#[test]
fn memory_limit_in_front_matter() {
    let l = lesson("---\nmemory-limit: 512MiB\n---\n```python\nx = 1\n```\n");
    assert_eq!(l.memory_limit, Some(512 << 20));
    assert!(l.warnings.is_empty());
    assert_eq!(lesson("---\nmemory_limit: none\n---\n").memory_limit, Some(0));
    let l = lesson("---\nmemory-limit: lots\n---\n");
    assert_eq!(l.memory_limit, None);
    assert!(matches!(&l.warnings[..], [LessonError::BadFrontMatter { key, .. }] if key == "memory-limit"));
    assert_eq!(lesson("# no front matter\n").memory_limit, None);
}

#[test]
fn byte_sizes() {
    let cases = [
        ("2GiB", Some(2u64 << 30)),
        ("1.5 GiB", Some(3 << 29)),
        ("100MB", Some(100_000_000)),
        ("64k", Some(65536)),
        ("4096", Some(4096)),
        ("12 B", Some(12)),
        ("0", Some(0)),
        ("None", Some(0)),
        ("-1GiB", None),
        ("2 parsecs", None),
        ("", None),
        ("GiB", None),
    ];
    for (text, want) in cases {
        assert_eq!(parse_byte_size(text), want, "{text:?}");
    }
}

#[test]
fn a_rule_later_is_not_front_matter() {
    let l = lesson("# T\n\n---\nellipsis: true\n---\n");
    assert_eq!(l.defaults, CompareOptions::default());
}

#[test]
fn bad_options_warn() {
    let l = lesson("```python fast\n1\n```\n```output tolerance=x wide\n1\n```\n");
    assert_eq!(l.warnings.len(), 3);
}
