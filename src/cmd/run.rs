//! `lessonrun run FILE`: run one lesson and print each cell's output as a terminal would.

use std::path::PathBuf;
use std::process::ExitCode;

use super::Engine;
use crate::execute::{LessonRun, run_lesson};
use crate::lesson::{discover_all, load};
use crate::pytorch_engine::run_lesson_pytorch;

/// Run a lesson and print what each cell prints
#[derive(clap::Args, Debug)]
pub(super) struct Args {
    /// The lesson (a Markdown file)
    file: PathBuf,
    #[command(flatten)]
    flags: super::RunFlags,
    #[command(flatten)]
    engine: super::EngineFlags,
    /// Internal: run the lesson in this process (the child `run` starts, see [`run`])
    #[arg(long, hide = true)]
    worker: bool,
}

/// Runs the lesson in a child process (`run --worker`, the same arguments) whose output goes
/// straight to the terminal, so that a lesson that kills its process anyway (an abort, a stack
/// overflow, the out-of-memory killer) is reported as crashed, with how, instead of taking
/// `run` down with a bare signal; where no child can be started, it runs here.
pub(super) fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.worker {
        super::worker::test_crash_hook(&args.file);
        return run_here(args);
    }
    match super::worker::run_child() {
        Some(Ok(status)) if status.code().is_some() => Ok(ExitCode::from(status.code().map_or(2, |c| c as u8))),
        Some(Ok(status)) => {
            anstream::eprintln!(
                "lessonrun: error: {}: lessonrun crashed while running this lesson: {}; please report it with the lesson",
                super::terminal_text(&args.file.display().to_string()),
                super::worker::describe(status)
            );
            Ok(ExitCode::from(2))
        }
        Some(Err(_)) | None => run_here(args),
    }
}

fn run_here(args: Args) -> anyhow::Result<ExitCode> {
    if let Some(refused) = discover_all(std::slice::from_ref(&args.file))?.refused.pop() {
        anyhow::bail!("{refused}");
    }
    let lesson = load(&args.file)?;
    if super::report_lesson_errors(&lesson) {
        return Ok(ExitCode::from(2));
    }
    if lesson.cells.is_empty() {
        super::report_problems(&lesson, &LessonRun::default(), |_| false);
        anyhow::bail!(
            "no cells found in {}: a cell is a fenced block whose info string starts with the word `python`",
            args.file.display()
        );
    }
    let run = match args.engine.engine {
        Engine::Lessonrun => run_lesson(&lesson, &args.flags.options()),
        Engine::Pytorch => run_lesson_pytorch(&lesson, &args.engine.python())?,
        Engine::Both => anyhow::bail!("`run` shows one engine's output: use --engine lessonrun or pytorch (check --engine both compares them)"),
    };
    let mut failed = false;
    for (cell, cr) in lesson.cells.iter().zip(&run.cells) {
        let header = if cr.skipped { " (skipped)" } else { "" };
        anstream::println!("── {}:{}{header}", super::terminal_text(&lesson.source.path.display().to_string()), cell.line);
        // What a cell prints reaches the terminal with its control characters made visible, as
        // in check's diffs: a lesson must not be able to drive the reader's terminal.
        let text = cr.text();
        anstream::print!("{}", super::terminal_text(&text));
        // An error line (or `print(..., end="")`) leaves the line open; close it, so the next
        // header, or a diagnostic on stderr, starts on its own line.
        if !text.is_empty() && !text.ends_with('\n') {
            anstream::println!();
        }
        failed |= cr.error().is_some();
    }
    super::report_problems(&lesson, &run, |_| true);
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
