//! Unit tests of `lesson::rewrite`.

use lessonrun::lesson::rewrite::*;
use std::io::Write;
use std::path::{Path, PathBuf};
use lessonrun::lesson::{Cell, ExpectedStyle};
use lessonrun::source::{SourceFile, Span};
use lessonrun::lesson::parse;

fn bless(text: &str, actual: &[&str]) -> String {
    let l = parse(SourceFile::new("t.md", text));
    let edits: Vec<Edit> = l.cells.iter().zip(actual).filter_map(|(c, a)| bless_edit(text, c, a)).collect();
    apply_edits(text, &edits)
}

#[test]
fn replaces_body_only() {
    let t = "a\n```python\nprint(2)\n```\n\n```output tolerance=1e-3\n1\n```\nb\n";
    assert_eq!(bless(t, &["2\n"]), t.replace("\n1\n", "\n2\n"));
}

#[test]
fn adds_missing_block_and_removes_empty() {
    let t = "```python\nprint(2)\n```\ntail\n";
    assert_eq!(bless(t, &["2\n"]), "```python\nprint(2)\n```\n\n```output\n2\n```\ntail\n");
    let back = "```python\nx = 1\n```\n\n```output\n2\n```\ntail\n";
    assert_eq!(bless(back, &[""]), "```python\nx = 1\n```\ntail\n");
}

#[test]
fn seed_style_kept() {
    let t = "```python\nprint(3)\n\"\"\"\n--------\noutput:\n2\n\"\"\"\n```\n";
    assert_eq!(bless(t, &["3\n4\n"]), t.replace("output:\n2\n", "output:\n3\n4\n"));
    let inline = "```python\nprint(3)\n\"\"\"output:\n2\"\"\"\n```\n";
    assert_eq!(bless(inline, &["3\n"]), inline.replace("\n2\"\"\"", "\n3\"\"\""));
}

#[test]
fn seed_string_takes_quotes_its_text_cannot_close() {
    let t = "```python\nprint(3)\n\"\"\"\noutput:\n2\n\"\"\"\n```\n";
    let out = bless(t, &["a\n\"\"\"\nprint(42)\n"]);
    assert_eq!(out, "```python\nprint(3)\n'''\noutput:\na\n\"\"\"\nprint(42)\n'''\n```\n");
    let l = parse(SourceFile::new("t.md", out.as_str()));
    assert_eq!(l.code(&l.cells[0]), "print(3)\n");
    let both = bless(t, &["'''\"\"\"\n"]);
    assert_eq!(both, "```python\nprint(3)\n```\n\n```output\n'''\"\"\"\n```\n");
    let inline = "```python\nprint(3)\n\"\"\"output:\n2\"\"\"\n```\n";
    assert_eq!(bless(inline, &["say \"hi\"\n"]), "```python\nprint(3)\n'''output:\nsay \"hi\"'''\n```\n");
}

#[test]
fn crlf_files_stay_crlf() {
    let t = "# T\r\n\r\n```python\r\nprint(1)\r\n```\r\n\r\n```output\r\n0\r\n```\r\n";
    assert_eq!(bless(t, &["1\n2\n"]), t.replace("\n0\r\n", "\n1\r\n2\r\n"));
    let missing = "# T\r\n\r\n```python\r\nprint(1)\r\n```\r\nend\r\n";
    assert_eq!(bless(missing, &["1\n"]), "# T\r\n\r\n```python\r\nprint(1)\r\n```\r\n\r\n```output\r\n1\r\n```\r\nend\r\n");
}

#[test]
fn output_with_fence_gets_longer_fence() {
    let t = "```python\nx\n```\n";
    assert!(bless(t, &["```\n"]).contains("````output\n```\n````\n"));
}

#[test]
fn atomic_write_replaces() {
    let dir = std::env::temp_dir().join(format!("lessonrun-aw-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("x.md");
    std::fs::write(&p, "old").unwrap();
    write_atomic(&p, "new").unwrap();
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn write_new_never_replaces() {
    let dir = std::env::temp_dir().join(format!("lessonrun-wn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("new.md");
    write_new(&p, "first").unwrap();
    assert_eq!(write_new(&p, "second").unwrap_err().kind(), std::io::ErrorKind::AlreadyExists);
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "first");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn rewrite_refuses_links_read_only_files_and_files_changed_since_read() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("lessonrun-rw-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("a.md");
    std::fs::write(&p, "\u{feff}old").unwrap();
    let source = SourceFile::new(&p, "\u{feff}old");
    rewrite_lesson(&source, "new").unwrap();
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "\u{feff}new");
    assert!(matches!(rewrite_lesson(&source, "newer"), Err(RewriteError::Changed { .. })));
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "\u{feff}new");
    let link = dir.join("b.md");
    std::os::unix::fs::symlink(&p, &link).unwrap();
    assert!(matches!(rewrite_lesson(&SourceFile::new(&link, "\u{feff}new"), "x"), Err(RewriteError::Symlink { .. })));
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o444)).unwrap();
    assert!(matches!(rewrite_lesson(&SourceFile::new(&p, "\u{feff}new"), "x"), Err(RewriteError::ReadOnly { .. })));
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "\u{feff}new");
    std::fs::remove_dir_all(&dir).unwrap();
}
