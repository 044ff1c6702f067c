//! The process-level backstop of `check`, `build` and `run` (`watch` has its own, in
//! watch/worker.rs): lessons run in a child process, so a lesson
//! that kills its process anyway (an abort, a stack overflow, the kernel's out-of-memory killer)
//! is reported as crashed while every other lesson's result is still reported, in every format.
//!
//! The common case costs one process start: the parent hands every lesson to one child
//! (`lessonrun check --worker`, the same arguments), which streams each lesson's outcome back as
//! a JSON line as soon as it is known. Only if that child dies does the parent run the lessons it
//! had not reported again, one child each, so the lesson that kills its process is found and the
//! others still get their results.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// One line of a worker's stdout: the outcome of the `index`-th lesson it was given (`None`:
/// not run, after --fail-fast).
#[derive(Serialize, Deserialize)]
struct Line<O> {
    index: usize,
    outcome: Option<O>,
}

/// In the worker: reports one lesson's outcome to the parent, at once (a later crash must not
/// take it along). Lessons finish on several threads; the lock keeps lines whole.
pub(super) fn emit<O: Serialize>(index: usize, outcome: Option<&O>) {
    static OUT: Mutex<()> = Mutex::new(());
    let Ok(line) = serde_json::to_string(&Line { index, outcome }) else {
        return;
    };
    let _guard = OUT.lock();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Runs `targets` in worker processes, `jobs` lessons at a time, and returns their outcomes in
/// order (`None`: not run because of `fail_fast`), with `crashed(target, how)` for each lesson
/// whose own process died. `None` when no worker can be started (run them in this process).
pub(super) fn supervise<T, O>(
    targets: &[T],
    jobs: usize,
    fail_fast: bool,
    crashed: impl Fn(&T, &str) -> O + Sync,
) -> Option<Vec<Option<O>>>
where
    T: Serialize + Sync,
    O: DeserializeOwned + Send + Failure,
{
    let exe = std::env::current_exe().ok()?;
    let all: Vec<usize> = (0..targets.len()).collect();
    let mut results: Vec<Option<Option<O>>> = (0..targets.len()).map(|_| None).collect();
    let (lines, _status) = run_worker(&exe, targets, &all).ok()?;
    for (i, outcome) in lines {
        results[i] = Some(outcome);
    }
    let missing: Vec<usize> = (0..targets.len())
        .filter(|&i| results[i].is_none())
        .collect();
    if missing.is_empty() {
        return Some(results.into_iter().map(Option::flatten).collect());
    }
    // The worker died: each lesson it had not reported runs alone, to find the one that kills.
    let failed =
        AtomicBool::new(fail_fast && results.iter().flatten().flatten().any(Failure::is_failure));
    let next = AtomicUsize::new(0);
    let found = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, missing.len()) {
            scope.spawn(|| {
                while let Some(&i) = missing.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let outcome = if fail_fast && failed.load(Ordering::Relaxed) {
                        None
                    } else {
                        match run_worker(&exe, targets, &[i]) {
                            Ok((mut lines, _)) if !lines.is_empty() => lines.swap_remove(0).1,
                            Ok((_, status)) => Some(crashed(&targets[i], &describe(status))),
                            Err(e) => Some(crashed(
                                &targets[i],
                                &format!("its process could not be started: {e}"),
                            )),
                        }
                    };
                    if fail_fast && outcome.as_ref().is_some_and(Failure::is_failure) {
                        failed.store(true, Ordering::Relaxed);
                    }
                    found
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((i, outcome));
                }
            });
        }
    });
    for (i, outcome) in found.into_inner().unwrap_or_else(|e| e.into_inner()) {
        results[i] = Some(outcome);
    }
    Some(results.into_iter().map(Option::flatten).collect())
}

/// Whether an outcome stops a `--fail-fast` run.
pub(super) trait Failure {
    fn is_failure(&self) -> bool;
}

/// The outcomes a worker reported, by index into the targets, and how it ended.
type Reported<O> = (Vec<(usize, Option<O>)>, ExitStatus);

/// Starts a worker on `targets[indices]` with this process's arguments, and collects the
/// outcomes it reported (by index into `targets`) until it exits.
fn run_worker<T: Serialize, O: DeserializeOwned>(
    exe: &Path,
    targets: &[T],
    indices: &[usize],
) -> std::io::Result<Reported<O>> {
    let mut args = std::env::args_os().skip(1);
    let mut child = Command::new(exe)
        .args(args.next())
        // Right after the subcommand, so that a `--` among the paths cannot make it a path.
        .arg("--worker")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let subset: Vec<&T> = indices.iter().map(|&i| &targets[i]).collect();
    let input = serde_json::to_vec(&subset).map_err(std::io::Error::other)?;
    if let Some(mut stdin) = child.stdin.take() {
        // A worker that dies at once closes its stdin; its status says why.
        let _ = stdin.write_all(&input);
    }
    let mut lines = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Ok(Line { index, outcome }) = serde_json::from_str::<Line<O>>(&line)
                && let Some(&i) = indices.get(index)
            {
                lines.push((i, outcome));
            }
        }
    }
    let status = child.wait()?;
    Ok((lines, status))
}

/// Runs this process's command again as a `--worker` child with the terminal as its stdin,
/// stdout and stderr, and waits for it; `None` when the executable cannot be found.
pub(super) fn run_child() -> Option<std::io::Result<ExitStatus>> {
    let exe = std::env::current_exe().ok()?;
    let mut args = std::env::args_os().skip(1);
    Some(Command::new(exe).args(args.next()).arg("--worker").args(args).status())
}

/// How a worker ended, for the crash report: `killed by signal 6 (SIGABRT)`.
pub(super) fn describe(status: ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            let name = match signal {
                4 => "SIGILL, ",
                6 => "SIGABRT, ",
                7 => "SIGBUS, ",
                8 => "SIGFPE, ",
                9 => "SIGKILL, as the out-of-memory killer sends, ",
                11 => "SIGSEGV, ",
                15 => "SIGTERM, ",
                _ => "",
            };
            return format!("its process was killed by a signal ({name}{signal})");
        }
    }
    match status.code() {
        Some(code) => format!("its process exited with status {code} without reporting"),
        None => "its process died".to_string(),
    }
}

/// A test hook: with `LESSONRUN_TEST_CRASH_ON=NAME` in its environment, a worker aborts as it
/// starts on a lesson whose path ends with NAME, as a crash in the interpreter would; this is how
/// the tests make a worker die on purpose. It only ever ends lessonrun's own worker process,
/// which whoever sets its environment can do anyway.
pub(super) fn test_crash_hook(path: &Path) {
    if let Some(name) = std::env::var_os("LESSONRUN_TEST_CRASH_ON")
        && !name.is_empty()
        && path.ends_with(&name)
    {
        eprintln!(
            "lessonrun: LESSONRUN_TEST_CRASH_ON: aborting the worker on {}",
            path.display()
        );
        std::process::abort();
    }
}

/// The same for `watch`, whose worker runs one lesson again and again: with
/// `LESSONRUN_TEST_CRASH_IF=TEXT` in its environment, a worker aborts as it starts a run of a
/// lesson whose text contains TEXT, so that the tests can crash a lesson and then fix it.
pub(super) fn test_crash_hook_text(text: &str) {
    if let Some(marker) = std::env::var("LESSONRUN_TEST_CRASH_IF").ok().filter(|m| !m.is_empty())
        && text.contains(&marker)
    {
        eprintln!("lessonrun: LESSONRUN_TEST_CRASH_IF: aborting the worker");
        std::process::abort();
    }
}
