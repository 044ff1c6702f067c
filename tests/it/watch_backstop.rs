//! `watch`'s process-level backstop (issue #15): a lesson whose worker process dies is reported
//! as crashed, the other lessons keep being rebuilt, and the next save of the fixed lesson
//! renders normally.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::support::TempDir;

fn lesson(title: &str, code: &str) -> String {
    format!("# {title}\n\n```python\n{code}\n```\n")
}

/// Waits up to 30 s for `ok` to hold.
fn wait_for(mut ok: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

fn contains(path: &Path, needle: &str) -> bool {
    std::fs::read_to_string(path).is_ok_and(|t| t.contains(needle))
}

#[test]
fn watch_reports_a_crashed_lesson_and_keeps_watching() {
    let t = TempDir::new("watchcrash");
    std::fs::create_dir_all(t.join("lessons")).unwrap();
    let good = t.write("lessons/good.md", lesson("Good", "print('good', 1)"));
    // The test hook aborts the worker as it starts a lesson holding this text, as a crash in
    // the interpreter would.
    let crash_text = lesson("Crash", "print('CRASH-HERE')");
    let crash = t.write("lessons/crash.md", &crash_text);
    let out = t.join("site");
    let log = t.join("log.txt");
    let mut child = Command::new(env!("CARGO_BIN_EXE_lessonrun"))
        .args([
            "watch",
            t.join("lessons").to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .env("LESSONRUN_TEST_CRASH_IF", "CRASH-HERE")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let crashed = format!(
        "error: {}: lessonrun crashed while running this lesson: its process was killed by a signal (SIGABRT, 6); still watching",
        crash.display()
    );
    let reported = wait_for(|| contains(&log, &crashed));
    let good_built = wait_for(|| contains(&out.join("good.html"), "good 1"));
    let crash_unchanged = std::fs::read_to_string(&crash).unwrap() == crash_text;
    // Give the watcher a moment to be registered after the first build.
    std::thread::sleep(Duration::from_millis(300));
    // The fixed lesson's next save starts a new worker and renders normally.
    std::fs::write(&crash, lesson("Crash", "print('fixed', 2)")).unwrap();
    let fixed = wait_for(|| contains(&out.join("crash.html"), "fixed 2"));
    // The other lesson is still rebuilt as it is saved.
    std::fs::write(&good, lesson("Good", "print('good', 3)")).unwrap();
    let rebuilt = wait_for(|| contains(&out.join("good.html"), "good 3"));
    let index = wait_for(|| contains(&out.join("index.html"), "crash.html"));
    let alive = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let _ = child.wait();
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        reported && good_built && crash_unchanged && fixed && rebuilt && index && alive,
        "reported {reported}, good built {good_built}, crash.md unchanged {crash_unchanged}, fixed {fixed}, rebuilt {rebuilt}, index {index}, alive {alive}\n{log}"
    );
    assert_eq!(log.matches("lessonrun crashed").count(), 1, "{log}");
}
