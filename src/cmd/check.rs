//! `lessonrun check [PATH...]`: run lessons and compare every cell with its expected output.

use std::path::PathBuf;
use std::process::ExitCode;

use anstyle::{AnsiColor, Style};
use serde::Serialize;

use crate::check::{FileReport, Status, bless};
use crate::lesson::{discover, load, write_atomic};
use crate::site::evaluate;

/// Run lessons and compare each cell's output with its expected output
#[derive(clap::Args, Debug)]
pub(super) struct Args {
    /// Lesson files or folders (searched recursively for *.md) [default: lessons]
    paths: Vec<PathBuf>,
    /// Rewrite expected outputs that differ (and add missing ones) in place
    #[arg(long)]
    bless: bool,
    /// Report format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    #[command(flatten)]
    flags: super::RunFlags,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// A diff per failing cell under `file:line`, then `N passed, M failed`
    Human,
    /// One JSON report on stdout
    Json,
}

#[derive(Serialize, Default)]
struct Summary {
    passed: usize,
    failed: usize,
    skipped: usize,
}

#[derive(Serialize)]
struct Report<'a> {
    files: &'a [FileReport],
    summary: &'a Summary,
}

const FAIL: Style = AnsiColor::Red.on_default().bold();
const REMOVED: Style = AnsiColor::Red.on_default();
const ADDED: Style = AnsiColor::Green.on_default();

pub(super) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let paths = super::default_paths(args.paths);
    let lessons = discover(&paths)?;
    let options = args.flags.options();
    let mut files = Vec::new();
    let mut summary = Summary::default();
    let mut io_error = false;
    for lp in &lessons {
        let lesson = match load(&lp.path) {
            Ok(l) => l,
            Err(e) => {
                anstream::eprintln!("lessonrun: error: {e}");
                io_error = true;
                continue;
            }
        };
        let (run, mut report) = evaluate(&lesson, &options);
        if args.bless {
            if let Some(text) = bless(&lesson, &run) {
                if let Err(e) = write_atomic(&lp.path, &text) {
                    anstream::eprintln!("lessonrun: error: cannot write {}: {e}", lp.path.display());
                    io_error = true;
                } else {
                    let n = report.count(Status::is_failure);
                    anstream::eprintln!("blessed {} ({n} cell(s) rewritten)", lp.path.display());
                    let blessed = load(&lp.path)?;
                    report = crate::check::check_lesson(&blessed, &run);
                }
            }
        }
        if args.format == Format::Human {
            print_human(&report);
            super::report_problems(&lesson, &run, |i| report.cells[i].status.is_failure());
        }
        summary.passed += report.count(|s| s == Status::Pass);
        summary.failed += report.count(Status::is_failure);
        summary.skipped += report.count(|s| s == Status::Skip);
        files.push(report);
    }
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&Report { files: &files, summary: &summary })?),
        Format::Human => {
            let skipped = if summary.skipped > 0 { format!(", {} skipped", summary.skipped) } else { String::new() };
            anstream::println!("{} passed, {} failed{skipped}", summary.passed, summary.failed);
        }
    }
    Ok(ExitCode::from(if io_error {
        2
    } else if summary.failed > 0 {
        1
    } else {
        0
    }))
}

fn print_human(report: &FileReport) {
    for cell in report.cells.iter().filter(|c| c.status.is_failure()) {
        let what = match cell.status {
            Status::Missing => "prints output but has no expected output",
            Status::Error => "raised an error and differs from its expected output",
            _ => "differs from its expected output",
        };
        anstream::println!("{FAIL}FAIL{FAIL:#} {}:{}: {what}", report.path, cell.line);
        for line in cell.diff.as_deref().unwrap_or("").lines() {
            let style = if line.starts_with('-') && !line.starts_with("---") {
                REMOVED
            } else if line.starts_with('+') && !line.starts_with("+++") {
                ADDED
            } else {
                Style::new()
            };
            anstream::println!("{style}{line}{style:#}");
        }
    }
}
