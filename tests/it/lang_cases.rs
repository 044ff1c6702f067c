//! Runs every tests/cases/lang/NAME.py as one notebook cell and compares with NAME.out
//! (produced by CPython 3.11 through tests/cases/lang/expect.py).

use std::path::Path;

use lessonrun::lang::Interpreter;

fn run_case(src: &str) -> String {
    let mut interp = Interpreter::new();
    interp.set_time_limit(Some(std::time::Duration::from_secs(10)));
    let mut out = String::new();
    if let Err(e) = interp.run_cell(src, 0, &mut out) {
        out.push_str(&e.last_line());
        out.push('\n');
    }
    out
}

fn diff(expected: &str, actual: &str) -> String {
    let mut s = String::new();
    for change in similar::TextDiff::from_lines(expected, actual).iter_all_changes() {
        let sign = match change.tag() {
            similar::ChangeTag::Delete => "-",
            similar::ChangeTag::Insert => "+",
            similar::ChangeTag::Equal => " ",
        };
        s.push_str(&format!("{sign}{}", change));
        if !change.to_string().ends_with('\n') {
            s.push_str("\n\\ no newline\n");
        }
    }
    s
}

#[test]
fn lang_cases() {
    // Deep recursion cases need more stack than the test thread's default, as in the lead's runner.
    let handle = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(check_all)
        .expect("spawn test thread");
    let failures = handle.join().expect("case runner panicked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn check_all() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/lang");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/cases/lang exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "py") && p.file_name().is_some_and(|n| n != "expect.py"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 300, "expected at least 300 cases, found {}", paths.len());
    let mut failures = Vec::new();
    for py in &paths {
        let src = std::fs::read_to_string(py).expect("read case");
        let expected = std::fs::read_to_string(py.with_extension("out"))
            .unwrap_or_else(|_| format!("<missing {}>", py.with_extension("out").display()));
        let actual = run_case(&src);
        if actual != expected {
            failures.push(format!("--- {}\n{}", py.display(), diff(&expected, &actual)));
        }
    }
    failures
}
