//! `lessonrun run FILE`: run one lesson and print each cell's output as a terminal would.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::execute::run_lesson;
use crate::lesson::load;

/// Run a lesson and print what each cell prints
#[derive(clap::Args, Debug)]
pub(super) struct Args {
    /// The lesson (a Markdown file)
    file: PathBuf,
    #[command(flatten)]
    flags: super::RunFlags,
}

pub(super) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let lesson = load(&args.file)?;
    let run = run_lesson(&lesson, &args.flags.options());
    let mut failed = false;
    for (cell, cr) in lesson.cells.iter().zip(&run.cells) {
        let header = if cr.skipped { " (skipped)" } else { "" };
        anstream::println!("── {}:{}{header}", lesson.source.path.display(), cell.line);
        let text = cr.text();
        anstream::print!("{text}");
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
