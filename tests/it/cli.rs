//! The binary as users and CI run it: exit codes, reports, bless round trips, build and watch.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const FIXTURE: &str = include_str!("fixtures/grad.md");

use super::support::TempDir;

fn lessonrun(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lessonrun")).args(args).env("NO_COLOR", "1").output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The 1-based line of the fixture's `n`th ```python fence.
fn cell_line(n: usize) -> usize {
    FIXTURE.lines().enumerate().filter(|(_, l)| l.starts_with("```python")).nth(n - 1).unwrap().0 + 1
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn check_passes_on_pytorch_outputs() {
    let t = TempDir::new("pass");
    t.write("grad.md", FIXTURE);
    let o = lessonrun(&["check", s(&t.0)]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), String::from_utf8_lossy(&o.stderr));
    assert_eq!(stdout(&o).lines().last(), Some("3 passed, 0 failed"));
}

#[test]
fn changed_number_fails_at_its_line_and_bless_restores_bytes() {
    let t = TempDir::new("bless");
    let broken = FIXTURE.replacen("dy/da: 6.0", "dy/da: 7.0", 1);
    assert_ne!(broken, FIXTURE);
    let p = t.write("grad.md", &broken);
    let o = lessonrun(&["check", s(&p)]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains(&format!("FAIL {}:{}:", s(&p), cell_line(1))), "{out}");
    assert!(out.contains("-dy/da: 7.0\n+dy/da: 6.0\n"), "{out}");
    assert_eq!(out.lines().last(), Some("2 passed, 1 failed"));

    let o = lessonrun(&["check", "--bless", s(&p)]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(std::fs::read_to_string(&p).unwrap(), FIXTURE);
    // Blessing a green lesson changes nothing.
    lessonrun(&["check", "--bless", s(&p)]);
    assert_eq!(std::fs::read_to_string(&p).unwrap(), FIXTURE);
}

#[test]
fn missing_output_is_a_failure_and_bless_adds_it() {
    let t = TempDir::new("missing");
    let p = t.write("grad.md", format!("{FIXTURE}\n```python\nprint(a.grad * 2)\n```\n"));
    let o = lessonrun(&["check", "--format", "json", s(&p)]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["summary"]["failed"], 1);
    assert_eq!(v["files"][0]["cells"][3]["status"], "missing");
    assert_eq!(lessonrun(&["check", "--bless", s(&p)]).status.code(), Some(0));
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(text.ends_with("```python\nprint(a.grad * 2)\n```\n\n```output\ntensor(12.)\n```\n"), "{text}");
    assert_eq!(lessonrun(&["check", s(&p)]).status.code(), Some(0));
}

#[test]
fn json_report_has_the_documented_shape() {
    let t = TempDir::new("json");
    let p = t.write("grad.md", FIXTURE);
    let o = lessonrun(&["check", "--format", "json", s(&p)]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let cells = v["files"][0]["cells"].as_array().unwrap();
    assert_eq!(v["files"][0]["path"], s(&p));
    assert_eq!(cells.len(), 3);
    assert_eq!(cells[0]["line"], cell_line(1));
    assert_eq!(cells[0]["status"], "pass");
    assert_eq!(cells[0]["actual"], "dy/da: 6.0\ndy/db: 1.0\n");
    assert_eq!(cells[2]["actual"], "NameError: name 'undefined_name' is not defined\n");
    assert_eq!(v["summary"]["passed"], 3);
    assert_eq!(v["summary"]["failed"], 0);
}

#[test]
fn usage_and_io_errors_exit_2() {
    assert_eq!(lessonrun(&["check", "/nonexistent/lessons"]).status.code(), Some(2));
    assert_eq!(lessonrun(&["check", "--no-such-flag"]).status.code(), Some(2));
    assert_eq!(lessonrun(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn every_subcommand_has_help() {
    for sub in ["run", "check", "build", "watch"] {
        let o = lessonrun(&[sub, "--help"]);
        assert_eq!(o.status.code(), Some(0), "{sub}");
        assert!(stdout(&o).contains("Usage: lessonrun"), "{sub}");
    }
}

#[test]
fn run_prints_outputs_and_errors_point_into_the_file() {
    let t = TempDir::new("run");
    let p = t.write("grad.md", FIXTURE);
    let o = lessonrun(&["run", s(&p)]);
    assert_eq!(o.status.code(), Some(1), "a cell raised");
    assert!(stdout(&o).contains("dy/da: 6.0\n"));
    let err = String::from_utf8_lossy(&o.stderr);
    let line = FIXTURE.lines().position(|l| l.contains("print(undefined_name)")).unwrap() + 1;
    assert!(err.contains(&format!("{}:{line}:7", s(&p))), "{err}");
}

#[test]
fn build_writes_pages_with_outputs() {
    let t = TempDir::new("build");
    t.write("grad.md", FIXTURE);
    let out = t.0.join("site");
    let o = lessonrun(&["build", s(&t.0), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(index.contains("href=\"grad.html\""));
    assert!(index.contains("A gradient, checked"));
    let page = std::fs::read_to_string(out.join("grad.html")).unwrap();
    assert!(page.contains("dy/da: 6.0"));
    assert!(page.contains("tensor(30., grad_fn=&lt;SumBackward0&gt;)"), "outputs are escaped");
    assert!(page.contains("<span class=\"error\">NameError: name &#39;undefined_name&#39; is not defined</span>"), "{page}");
    assert!(!page.contains("```output"));
    assert!(page.contains("<math") && page.contains("<mfrac>"), "math becomes MathML at build time");
}

#[test]
fn watch_rebuilds_a_saved_lesson() {
    let t = TempDir::new("watch");
    let p = t.write("grad.md", FIXTURE);
    let out = t.0.join("site");
    let mut child = Command::new(env!("CARGO_BIN_EXE_lessonrun"))
        .args(["watch", s(&p), "--out", s(&out)])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let page = out.join("grad.html");
    let wait_for = |needle: &str| {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            if std::fs::read_to_string(&page).is_ok_and(|h| h.contains(needle)) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    };
    let built = wait_for("dy/da: 6.0");
    // Give the watcher a moment to be registered after the first build.
    std::thread::sleep(Duration::from_millis(300));
    std::fs::write(&p, FIXTURE.replace("print(\"dy/da:\"", "print(\"d(y)/d(a):\"")).unwrap();
    let rebuilt = wait_for("d(y)/d(a): 6.0");
    // A broken lesson does not stop the watcher.
    std::fs::write(&p, "```python\nprint(1 +)\n```\n").unwrap();
    std::thread::sleep(Duration::from_millis(500));
    std::fs::write(&p, FIXTURE.replace("print(\"dy/db:\"", "print(\"again:\"")).unwrap();
    let survived = wait_for("again: 1.0");
    let alive = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let _ = child.wait();
    assert!(built && rebuilt && survived && alive, "built {built}, rebuilt {rebuilt}, survived {survived}, alive {alive}");
}

#[test]
fn huge_allocations_end_their_cell_not_the_process() {
    let t = TempDir::new("huge");
    let p = t.write("huge.md", include_str!("fixtures/huge.md"));
    let o = lessonrun(&["run", s(&p)]);
    assert_eq!(o.status.code(), Some(1), "cells raised, the process did not abort");
    let out = stdout(&o);
    assert_eq!(out.matches("exceeds the limit of 268435456 elements for one tensor in a lesson").count(), 3, "{out}");
    assert_eq!(out.matches("MemoryError").count(), 2, "{out}");
    assert!(out.contains("still alive tensor([3., 3.])"), "{out}");
}

#[test]
fn the_memory_limit_ends_the_cell_and_frees_its_tensors() {
    let t = TempDir::new("memlimit");
    let p = t.write("memory-limit.md", include_str!("fixtures/memory-limit.md"));
    let o = lessonrun(&["run", s(&p)]);
    assert_eq!(o.status.code(), Some(1), "cells raised, the process did not abort");
    let out = stdout(&o);
    // 1000 floats are held; the third 100000-float tensor of the list crosses 1 MiB.
    let msg = "MemoryError: tensors of this lesson would hold 1.1 MiB (this one: 390.6 KiB), \
               over its memory limit of 1 MiB; raise the limit with `memory-limit: 2MiB` in the \
               lesson's front matter or `--memory-limit 2MiB`";
    assert!(out.contains(msg), "{out}");
    assert!(!out.contains("not reached"), "{out}");
    // A MemoryError from the limit cannot be caught; it still ends only its own cell.
    assert!(!out.contains("caught"), "{out}");
    assert_eq!(out.matches("MemoryError").count(), 2, "{out}");
    // The two tensors of the failed cell's list were dropped, or 800 KB more would not fit.
    assert!(out.contains("next cell runs tensor(2.) 1000"), "{out}");

    // The front matter wins over the command line; without it the flag applies.
    let o = lessonrun(&["run", "--memory-limit", "8GiB", s(&p)]);
    assert_eq!(stdout(&o).matches("MemoryError").count(), 2);
    let q = t.write("plain.md", include_str!("fixtures/memory-limit.md").replace("memory-limit: 1MiB", "title: x"));
    let o = lessonrun(&["run", s(&q)]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = lessonrun(&["run", "--memory-limit", "1MiB", s(&q)]);
    assert_eq!(stdout(&o).matches("MemoryError").count(), 2);
    let o = lessonrun(&["run", "--memory-limit", "lots", s(&q)]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn the_recursion_limit_is_cpythons_and_a_flag_changes_it() {
    let t = TempDir::new("reclimit");
    let lesson = "# Recursion\n\n```python\ndef down(n):\n    return 0 if n == 0 else 1 + down(n - 1)\nprint(down(990))\n```\n\n\
                  ```python\nprint(down(5000))\n```\n\n```python\nprint(\"later cells run\")\n```\n";
    let p = t.write("deep.md", lesson);
    // CPython's limit of 1000 frames: 990 nested calls fit, 5000 raise in their own cell.
    let o = lessonrun(&["run", s(&p)]);
    let out = stdout(&o);
    assert!(out.contains("990\n"), "{out}");
    assert!(out.contains("RecursionError: maximum recursion depth exceeded"), "{out}");
    assert!(out.contains("later cells run"), "{out}");
    // Raised, deep recursion runs (the lesson thread's stack holds the maximum, 20000).
    let o = lessonrun(&["run", "--recursion-limit", "20000", s(&p)]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("5000\n"));
    let deeper = t.write("deeper.md", lesson.replace("down(5000)", "down(19990)"));
    let o = lessonrun(&["run", "--recursion-limit", "20000", s(&deeper)]);
    assert!(stdout(&o).contains("19990\n"), "{}", stdout(&o));
    // Lowered, 990 no longer fits; beyond the maximum is a usage error.
    let o = lessonrun(&["run", "--recursion-limit", "100", s(&p)]);
    assert_eq!(stdout(&o).matches("RecursionError").count(), 2, "{}", stdout(&o));
    let o = lessonrun(&["run", "--recursion-limit", "20001", s(&p)]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn a_lesson_cannot_touch_files_and_each_attempt_ends_its_cell_at_its_line() {
    let fixture = include_str!("fixtures/sandbox.md");
    let t = TempDir::new("sandbox");
    // The lesson's folder holds a data file it may read; a secret sits beside that folder,
    // and a symbolic link inside the folder points at it.
    let victim = t.write("lesson/victim.txt", "keep me");
    t.write("lesson/data.txt", "a\nb\n");
    let secret = t.write("secret.txt", "do not read");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&secret, t.0.join("lesson/link.txt")).unwrap();
    let p = t.write("lesson/sandbox.md", fixture);
    let line_of = |needle: &str| fixture.lines().position(|l| l.contains(needle)).unwrap() + 1;

    // run: each cell's output ends with the error, and stderr places each at its line.
    let o = lessonrun(&["run", s(&p)]);
    assert_eq!(o.status.code(), Some(1), "cells raised");
    let out = stdout(&o);
    let err = String::from_utf8_lossy(&o.stderr);
    // `os.remove` forgets only what the lesson saved: the folder's files are read-only.
    assert!(out.contains("sandbox.md:6\nPermissionError: [Errno 13] Permission denied: 'victim.txt': lessons may read files in their folder but not write them"), "{out}");
    // A write is kept in memory: the lesson reads back what it wrote, the disk keeps its file.
    assert!(out.contains("before\noverwritten\n"), "{out}");
    // `subprocess` imports (chapters import it beside numpy), but runs nothing.
    assert!(out.contains("PermissionError: [Errno 13] Permission denied: 'rm': lessons cannot run programs"), "{out}");
    assert!(out.contains("['a', 'b']"), "a file in the lesson's folder is readable: {out}");
    assert!(out.contains("PermissionError: [Errno 13] Permission denied: '../secret.txt': lessons may read only files inside their own folder"), "{out}");
    #[cfg(unix)]
    assert!(out.contains("PermissionError: [Errno 13] Permission denied: 'link.txt': lessons may read only files inside their own folder"), "{out}");
    assert!(!out.contains("do not read"), "the secret leaked: {out}");
    assert!(out.contains("later cells still run"), "{out}");
    for needle in ["os.remove", "run([\"rm\"", "open(\"../secret.txt\")", "open(\"link.txt\")"] {
        assert!(err.contains(&format!("{}:{}:", s(&p), line_of(needle))), "{needle} not placed in: {err}");
    }

    // check (no expectations written): every cell fails at its own fence's line.
    let o = lessonrun(&["check", s(&p)]);
    assert_eq!(o.status.code(), Some(1));
    let report = stdout(&o) + &String::from_utf8_lossy(&o.stderr);
    for needle in ["import os", "print(\"before\")", "from subprocess"] {
        let fence = line_of(needle) - 1;
        assert!(report.contains(&format!("{}:{fence}", s(&p))), "cell at line {fence} not reported: {report}");
    }

    // Nothing was touched, and the lesson itself is unchanged.
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), "do not read");
    assert_eq!(std::fs::read_to_string(&p).unwrap(), fixture);
}

