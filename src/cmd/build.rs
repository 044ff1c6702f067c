//! `lessonrun build PATH... --out DIR`: run lessons and write an HTML page for each plus an index.

use std::process::ExitCode;

use crate::lesson::discover_all;
use crate::check::Status;
use crate::site::SiteError;

/// Run lessons and render them to HTML
///
/// Cells whose output differs from the lesson's expected output are listed as FILE:LINE on
/// stderr and marked in their pages.
///
/// Exit status: 0 the site was written (with --strict: and every cell matched), 1 with
/// --strict, the site was written but some cell's output differs (fail, error or missing),
/// 2 usage or I/O error, no cell found, or a lesson that could not be built (the others are
/// still built).
#[derive(clap::Args, Debug)]
pub(super) struct Args {
    #[command(flatten)]
    site: super::SiteArgs,
    /// Exit with status 1 when a cell's output differs from its expected output (the site is
    /// still written)
    #[arg(long)]
    strict: bool,
}

pub(super) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let strict = args.strict;
    let args = args.site;
    let paths = super::default_paths(args.paths.clone());
    let found = discover_all(&paths)?;
    let shown = || paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" ");
    if found.lessons.is_empty() && found.refused.is_empty() {
        anyhow::bail!("no lessons found in {}: a lesson is a Markdown (.md) file with ```python cells", shown());
    }
    let mut site = args.site(&paths, args.flags.options())?;
    site.plan(&found.lessons);
    let mut failed = false;
    for refused in &found.refused {
        anstream::eprintln!("lessonrun: error: {refused}");
        failed = true;
    }
    let (mut built, mut cells) = (0, 0);
    let mut differ = Vec::new();
    for lp in &found.lessons {
        match site.build_lesson(lp) {
            Ok(o) => {
                built += 1;
                cells += o.lesson.cells.len();
                super::report_problems(&o.lesson, &o.run, |i| o.report.cells[i].status.is_failure());
                for (cell, r) in o.lesson.cells.iter().zip(&o.report.cells) {
                    if r.status.is_failure() {
                        differ.push(format!("{}:{} {}", o.lesson.source.path.display(), cell.line, status_word(r.status)));
                    }
                }
            }
            Err(SiteError::Malformed(diagnostics)) => {
                anstream::eprint!("{}", super::terminal_text(&diagnostics));
                failed = true;
            }
            // One lesson that cannot be read or rendered never stops the others or the index.
            // Every other error names the lesson (`SiteError::Lesson`, or `load`'s own).
            Err(e) => {
                anstream::eprintln!("lessonrun: error: {e}");
                failed = true;
            }
        }
    }
    let present: Vec<&std::path::Path> = found.lessons.iter().map(|lp| lp.rel.as_path()).collect();
    for gone in site.prune_gone(&present)? {
        anstream::eprintln!("removed {} (its lesson is gone)", gone.display());
    }
    let index = site.write_index()?;
    anstream::eprintln!("wrote {built} lesson page(s) and {}", index.display());
    if !differ.is_empty() {
        anstream::eprintln!("{} cell(s) differ from their expected output (marked in their pages):", differ.len());
        for d in &differ {
            anstream::eprintln!("  {}", super::terminal_text(d));
        }
    }
    if cells == 0 && !failed {
        anyhow::bail!(
            "no cells found in {built} lesson(s) under {}: a cell is a fenced block whose info string starts with the word `python`",
            shown()
        );
    }
    Ok(if failed {
        ExitCode::from(2)
    } else if strict && !differ.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Fail => "fail: output differs",
        Status::Error => "error: unexpected exception",
        Status::Missing => "missing: no expected output",
        _ => "",
    }
}
