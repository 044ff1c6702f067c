//! `lessonrun build PATH... --out DIR`: run lessons and write an HTML page for each plus an index,
//! in a worker process so that a lesson that kills its process is reported and the rest built.

use std::path::PathBuf;
use std::process::ExitCode;

use serde::{Deserialize, Serialize};

use crate::check::Status;
use crate::lesson::{LessonPath, discover_all};
use crate::render::IndexEntry;
use crate::site::{Site, SiteError};

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
    /// Internal: build the lessons listed on stdin and write each outcome as a JSON line (the
    /// worker process that `build` runs lessons in, see cmd/worker.rs)
    #[arg(long, hide = true)]
    worker: bool,
}

/// What building one lesson produced, as plain data: it crosses from the worker process.
#[derive(Serialize, Deserialize)]
struct Built {
    /// What to print on stderr for it (diagnostics, errors), already terminal text.
    stderr: String,
    /// `FILE:LINE status` of each cell whose output differs.
    differ: Vec<String>,
    cells: usize,
    /// The index entry of the page written; `None` when the lesson could not be built.
    entry: Option<IndexEntry>,
}

impl super::worker::Failure for Built {
    fn is_failure(&self) -> bool {
        false
    }
}

/// A lesson to build, as the worker is told it.
#[derive(Serialize, Deserialize)]
struct Target {
    path: PathBuf,
    rel: PathBuf,
}

pub(super) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let strict = args.strict;
    let worker = args.worker;
    let args = args.site;
    let paths = super::default_paths(args.paths.clone());
    let found = discover_all(&paths)?;
    let shown = || paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" ");
    if found.lessons.is_empty() && found.refused.is_empty() {
        anyhow::bail!("no lessons found in {}: a lesson is a Markdown (.md) file with ```python cells", shown());
    }
    let mut site = args.site(&paths, args.flags.options())?;
    site.plan(&found.lessons);
    if worker {
        let targets: Vec<Target> = serde_json::from_reader(std::io::stdin().lock())?;
        for (i, t) in targets.into_iter().enumerate() {
            super::worker::test_crash_hook(&t.path);
            let built = build_one(&mut site, &LessonPath { path: t.path, rel: t.rel });
            super::worker::emit(i, Some(&built));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut failed = false;
    for refused in &found.refused {
        anstream::eprintln!("lessonrun: error: {refused}");
        failed = true;
    }
    // Lessons are built in a worker process, so that one that kills its process cannot take
    // the others' pages or the index with it; where no worker can be started, they build here.
    let targets: Vec<Target> = found.lessons.iter().map(|lp| Target { path: lp.path.clone(), rel: lp.rel.clone() }).collect();
    let crashed = |t: &Target, how: &str| Built {
        stderr: format!(
            "lessonrun: error: {}: lessonrun crashed while running this lesson: {how}; the other lessons were still built\n",
            super::terminal_text(&t.path.display().to_string())
        ),
        differ: Vec::new(),
        cells: 0,
        entry: None,
    };
    let outcomes: Vec<Built> = match super::worker::supervise(&targets, 1, false, crashed) {
        Some(outcomes) => outcomes.into_iter().flatten().collect(),
        None => found.lessons.iter().map(|lp| build_one(&mut site, lp)).collect(),
    };
    let (mut built, mut cells) = (0, 0);
    let mut differ = Vec::new();
    for (lp, o) in found.lessons.iter().zip(outcomes) {
        anstream::eprint!("{}", o.stderr);
        match o.entry {
            Some(entry) => {
                built += 1;
                cells += o.cells;
                site.add_entry(&lp.rel, entry);
            }
            None => failed = true,
        }
        differ.extend(o.differ);
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

/// Runs one lesson and writes its page; what to report of it.
fn build_one(site: &mut Site, lp: &LessonPath) -> Built {
    let mut out = Built { stderr: String::new(), differ: Vec::new(), cells: 0, entry: None };
    match site.build_lesson(lp) {
        Ok(o) => {
            out.cells = o.lesson.cells.len();
            out.stderr = super::problems_text(&o.lesson, &o.run, |i| o.report.cells[i].status.is_failure());
            for (cell, r) in o.lesson.cells.iter().zip(&o.report.cells) {
                if r.status.is_failure() {
                    out.differ.push(format!("{}:{} {}", o.lesson.source.path.display(), cell.line, status_word(r.status)));
                }
            }
            out.entry = site.entry(&lp.rel).cloned();
        }
        Err(SiteError::Malformed(diagnostics)) => out.stderr = super::terminal_text(&diagnostics).into_owned(),
        // One lesson that cannot be read or rendered never stops the others or the index.
        // Every other error names the lesson (`SiteError::Lesson`, or `load`'s own).
        Err(e) => out.stderr = format!("lessonrun: error: {e}\n"),
    }
    out
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Fail => "fail: output differs",
        Status::Error => "error: unexpected exception",
        Status::Missing => "missing: no expected output",
        _ => "",
    }
}
