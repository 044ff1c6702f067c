//! Issue #14's "fail loudly": nothing to do is never green, a `FILE:LINE` naming no cell stops
//! before anything runs, `build` survives a bad lesson and prunes pages of lessons that are gone,
//! other spellings of Python fences are reported, and errors name their path once.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::TempDir;

fn lessonrun(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lessonrun"))
        .args(args)
        .output()
        .unwrap()
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

const TWO_CELLS: &str = "# Two\n\n```python\nprint(1)\n```\n\n```output\n1\n```\n\nProse.\n\n```python\nprint(2)\n```\n\n```output\n2\n```\n";

#[test]
fn a_file_line_naming_no_cell_is_a_usage_error_before_anything_runs() {
    let t = TempDir::new("fileline");
    let a = t.write("a.md", TWO_CELLS);
    for line in ["11", "99"] {
        let o = lessonrun(&["check", &format!("{}:{line}", s(&a))]);
        assert_eq!(o.status.code(), Some(2), "{}", err(&o));
        assert_eq!(out(&o), "", "nothing is reported before the usage error");
        assert!(
            err(&o).contains(&format!(
                "{}:{line}: no cell at this line: {} has cells at lines 3, 13",
                s(&a),
                s(&a)
            )),
            "{}",
            err(&o)
        );
    }
    // A line inside a cell's expected output names that cell.
    let o = lessonrun(&["check", &format!("{}:8", s(&a))]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(out(&o).ends_with("1 passed, 0 failed\n"), "{}", out(&o));
}

#[test]
fn other_spellings_of_python_fences_are_reported_not_silently_skipped() {
    let t = TempDir::new("pyfence");
    let only = t.write(
        "only.md",
        "# Py\n\n```py\nprint(1)\n```\n\n```python3\nprint(2)\n```\n",
    );
    for cmd in ["check", "run"] {
        let o = lessonrun(&[cmd, s(&only)]);
        assert_eq!(o.status.code(), Some(2), "{cmd}: {}", err(&o));
        assert!(err(&o).contains("no cells found"), "{cmd}: {}", err(&o));
        assert!(
            err(&o).contains("a ```py block is shown but not run"),
            "{cmd}: {}",
            err(&o)
        );
        assert!(
            err(&o).contains(&format!("{}:3:4", s(&only))),
            "{cmd}: {}",
            err(&o)
        );
        assert!(
            err(&o).contains("a ```python3 block is shown but not run"),
            "{cmd}: {}",
            err(&o)
        );
    }
    let mixed = t.write("mixed.md", format!("{TWO_CELLS}\n```py\nprint(3)\n```\n"));
    let o = lessonrun(&["check", s(&mixed)]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "a warning does not fail the check: {}",
        err(&o)
    );
    assert!(
        err(&o).contains(&format!("{}:21:4", s(&mixed))),
        "{}",
        err(&o)
    );
    // `python skip` is the way to show Python unrun without a warning.
    let skip = t.write(
        "skip.md",
        format!("{TWO_CELLS}\n```python skip\nprint(3)\n```\n"),
    );
    let o = lessonrun(&["check", s(&skip)]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(!err(&o).contains("warning"), "{}", err(&o));
}

#[test]
fn build_survives_an_unreadable_lesson_writes_the_index_and_prunes_gone_pages() {
    let t = TempDir::new("buildall");
    let lessons = t.join("lessons");
    t.write("lessons/a.md", TWO_CELLS);
    t.write(
        "lessons/b.md",
        b"# Bad\n\n\xff\xfe not UTF-8\n```python\nprint(1)\n```\n",
    );
    t.write("lessons/sub/c.md", TWO_CELLS);
    let site = t.join("site");
    std::fs::create_dir_all(&site).unwrap();
    std::fs::write(site.join("mine.html"), "the author's own page").unwrap();
    let o = lessonrun(&["build", s(&lessons), "--out", s(&site)]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "a lesson that cannot be read is an error: {}",
        err(&o)
    );
    let b = lessons.join("b.md");
    assert_eq!(
        err(&o).matches(s(&b)).count(),
        1,
        "the bad lesson is named once: {}",
        err(&o)
    );
    assert!(
        site.join("a.html").is_file() && site.join("sub/c.html").is_file(),
        "{}",
        err(&o)
    );
    let index = std::fs::read_to_string(site.join("index.html")).unwrap();
    assert!(
        index.contains("a.html") && index.contains("sub/c.html"),
        "{index}"
    );

    // The lesson c is deleted: its page goes; pages lessonrun did not write stay.
    std::fs::remove_file(lessons.join("sub/c.md")).unwrap();
    std::fs::remove_file(&b).unwrap();
    let o = lessonrun(&["build", s(&lessons), "--out", s(&site)]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(!site.join("sub/c.html").exists(), "{}", err(&o));
    assert!(
        err(&o).contains("removed sub/c.html (its lesson is gone)"),
        "{}",
        err(&o)
    );
    assert!(site.join("a.html").is_file() && site.join("index.html").is_file());
    assert_eq!(
        std::fs::read_to_string(site.join("mine.html")).unwrap(),
        "the author's own page"
    );
    assert!(
        !std::fs::read_to_string(site.join("index.html"))
            .unwrap()
            .contains("c.html")
    );
}

#[test]
fn check_help_states_the_exit_codes_it_returns() {
    let help = out(&lessonrun(&["check", "--help"]));
    assert!(help.contains("0 every cell passed"), "{help}");
    assert!(help.contains("1 a cell failed"), "{help}");
    assert!(help.contains("2 a usage error"), "{help}");
    // Each case in the help, as it happens.
    let t = TempDir::new("exitcodes");
    let good = t.write("good.md", TWO_CELLS);
    let bad = t.write("bad.md", TWO_CELLS.replace("```output\n2", "```output\n3"));
    let unreadable = t.write("unreadable.md", b"\xff\xfe");
    assert_eq!(lessonrun(&["check", s(&good)]).status.code(), Some(0));
    assert_eq!(lessonrun(&["check", s(&bad)]).status.code(), Some(1));
    assert_eq!(
        lessonrun(&["check", s(&unreadable), s(&good)])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        lessonrun(&["check", "--jobs", "x", s(&good)]).status.code(),
        Some(2)
    );
}

#[test]
fn an_error_names_its_path_once() {
    let t = TempDir::new("pathonce");
    let missing = t.join("missing.md");
    for cmd in [
        vec!["check", s(&missing)],
        vec!["run", s(&missing)],
        vec!["build", s(&missing), "--out", s(&t.join("site"))],
    ] {
        let o = lessonrun(&cmd);
        assert_eq!(o.status.code(), Some(2), "{cmd:?}: {}", err(&o));
        assert_eq!(
            err(&o).matches("missing.md").count(),
            1,
            "{cmd:?}: {}",
            err(&o)
        );
    }
    // A page that cannot be written (a folder stands where it goes) names its lesson.
    let lesson = t.join("page.md");
    std::fs::write(&lesson, "```python\nprint(1)\n```\n").unwrap();
    std::fs::create_dir_all(t.join("site2/page.html/x")).unwrap();
    let o = lessonrun(&["build", s(&lesson), "--out", s(&t.join("site2"))]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert_eq!(err(&o).matches("page.md").count(), 1, "{}", err(&o));
}
