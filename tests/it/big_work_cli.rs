//! One line of a lesson that asks for enormous work (issue #15): a single big-int division
//! honours the cell's time limit, and an expectation with a tolerance and ellipses is matched
//! against a huge output in one pass, not one pass per position.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Instant;

use super::support::TempDir;

fn lessonrun(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lessonrun"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A dividend parsed from hex text has no size cap (CPython limits decimal text only):
/// dividing a 160-Mbit number by a 4-Mbit one is tens of seconds of num-bigint work in a single
/// call. The division now asks for the deadline between steps, so the cell ends at its time
/// limit and the next cell runs; a divisor past the 2^24-bit cap is a MemoryError at once.
#[test]
fn a_huge_division_ends_at_the_cell_time_limit() {
    let t = TempDir::new("bigdiv");
    let text = "# Division\n\n```python\na = int(\"f\" * (4 * 10**7), 16)\nb = int(\"e\" * 10**6, 16)\nq = a // b\nprint('not reached')\n```\n\n```python\nr = a % a\n```\n\n```python\nprint('next cell', (7 * 10**30) // (2 * 10**29), a % 7)\n```\n";
    let p = t.write("division.md", text);
    let started = Instant::now();
    let o = lessonrun(&["run", "--cell-timeout", "2", s(&p)]);
    let took = started.elapsed();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
    assert!(
        out.contains("TimeoutError: cell exceeded the time limit of 2.0s"),
        "{out}"
    );
    assert!(
        err.contains(&format!("--> {}:6:", p.display())),
        "the error is at `q = a // b`\n{err}"
    );
    assert!(!out.contains("not reached"), "{out}");
    assert!(
        err.contains(&format!("--> {}:11:", p.display())),
        "MemoryError at `r = a % a`\n{err}"
    );
    assert!(out.contains("\nMemoryError"), "{out}");
    assert!(out.contains("next cell 35 1"), "{out}");
    eprintln!("the division cell ended after {took:?} in all");
}

/// A 10 KB expectation made quadratic: its segment between two ellipses is 2,500 numbers that
/// the output repeats all but the last of, 300,000 times over. Compared from each start that
/// is 750 million comparisons per check (and the larger lesson below, 20 billion); matched over
/// token classes it is one pass. The failing cell is reported at its line, the file untouched.
#[test]
fn tolerant_ellipsis_matching_takes_one_pass_over_a_huge_output() {
    let t = TempDir::new("tolmatch");
    let lesson = |segment: usize, last: &str, repeats: usize| {
        format!(
            "# Tolerance\n\n```python\nprint(' '.join(['1.0'] * {repeats}), '2.0', ' '.join(['1.0'] * {repeats}))\n```\n\n```output ellipsis tolerance=1e-3\n1.0 ... {}{last} ...\n```\n",
            "1.0 ".repeat(segment)
        )
    };
    // Passes: the segment ends with the output's one 2.0 (within the tolerance).
    let pass = t.write("pass.md", lesson(2_500, "2.001", 300_000));
    // Fails: no number of the output is near 3.0.
    let fail_text = lesson(20_000, "3.0", 1_000_000);
    let fail = t.write("fail.md", &fail_text);
    let o = lessonrun(&["check", s(&pass)]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let started = Instant::now();
    let o = lessonrun(&["check", "--format", "github", s(&fail)]);
    eprintln!(
        "the check of a 1-million-number output took {:?}",
        started.elapsed()
    );
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains(&format!("file={},line=3", fail.display())),
        "{out:.2000}"
    );
    assert_eq!(
        std::fs::read_to_string(&fail).unwrap(),
        fail_text,
        "checking writes nothing"
    );
}
