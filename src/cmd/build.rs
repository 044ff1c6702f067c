//! `lessonrun build PATH... --out DIR`: run lessons and write an HTML page for each plus an index.

use std::process::ExitCode;

use crate::lesson::discover_all;
use crate::site::{Site, SiteError};

/// Run lessons and render them to HTML
///
/// Exit status: 0 the site was written, 2 usage or I/O error, no cell found, or a lesson that
/// could not be built (the others are still built).
#[derive(clap::Args, Debug)]
pub(super) struct Args {
    #[command(flatten)]
    site: super::SiteArgs,
}

pub(super) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let args = args.site;
    let paths = super::default_paths(args.paths);
    let found = discover_all(&paths)?;
    let shown = || paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" ");
    if found.lessons.is_empty() && found.refused.is_empty() {
        anyhow::bail!("no lessons found in {}: a lesson is a Markdown (.md) file with ```python cells", shown());
    }
    let mut site = Site::new(&args.out, args.templates.as_deref(), args.flags.options())?;
    site.set_safe_html(args.safe_html);
    site.set_notebooks(args.notebooks);
    let mut failed = false;
    for refused in &found.refused {
        anstream::eprintln!("lessonrun: error: {refused}");
        failed = true;
    }
    let (mut built, mut cells) = (0, 0);
    for lp in &found.lessons {
        match site.build_lesson(lp) {
            Ok(o) => {
                built += 1;
                cells += o.lesson.cells.len();
                super::report_problems(&o.lesson, &o.run, |i| o.report.cells[i].status.is_failure());
            }
            Err(SiteError::Malformed(diagnostics)) => {
                anstream::eprint!("{}", super::terminal_text(&diagnostics));
                failed = true;
            }
            // One lesson that cannot be read or rendered never stops the others or the index.
            Err(e) => {
                // Errors from reading the lesson name it already; others get its path.
                let (path, msg) = (lp.path.display().to_string(), e.to_string());
                let msg = if msg.contains(&path) { msg } else { format!("{path}: {msg}") };
                anstream::eprintln!("lessonrun: error: {msg}");
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
    if cells == 0 && !failed {
        anyhow::bail!(
            "no cells found in {built} lesson(s) under {}: a cell is a fenced block whose info string starts with the word `python`",
            shown()
        );
    }
    Ok(if failed { ExitCode::from(2) } else { ExitCode::SUCCESS })
}
