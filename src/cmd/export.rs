//! `lessonrun export --to ipynb PATH... --out DIR`: run lessons as `build` runs them and write
//! each, with its outputs, as a Jupyter notebook.

use std::path::PathBuf;
use std::process::ExitCode;

use rayon::prelude::*;

use crate::lesson::{discover_all, load, write_atomic};

/// Run lessons and write each as a Jupyter notebook with its outputs
///
/// Each lesson becomes DIR/REL.ipynb (REL its path under the folder given), an nbformat 4.5
/// notebook: prose as markdown cells, cells as code cells with what they printed, the
/// exception that ended them and their figures (SVG). Exit status: 0 written (cells that do
/// not match their expected output are exported as they ran), 2 usage or I/O error, or a
/// lesson too malformed to run.
#[derive(clap::Args, Debug)]
pub(super) struct Args {
    /// The format to write
    #[arg(long, value_enum, default_value_t = Format::Ipynb)]
    to: Format,
    /// Lesson files or folders (searched recursively for *.md) [default: lessons]
    paths: Vec<PathBuf>,
    /// Folder to write the notebooks into
    #[arg(long, short, value_name = "DIR", default_value = "notebooks")]
    out: PathBuf,
    #[command(flatten)]
    flags: super::RunFlags,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// Jupyter notebook (nbformat 4.5)
    Ipynb,
}

pub(super) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let Format::Ipynb = args.to;
    let paths = super::default_paths(args.paths);
    let found = discover_all(&paths)?;
    if found.lessons.is_empty() && found.refused.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        anyhow::bail!(
            "no lessons found in {}: a lesson is a Markdown (.md) file with ```python cells",
            shown.join(" ")
        );
    }
    let mut failed = false;
    for refused in &found.refused {
        anstream::eprintln!("lessonrun: error: {refused}");
        failed = true;
    }
    let options = args.flags.options();
    // Lessons run in parallel (each on its own thread and interpreter); reports keep path order.
    let runs: Vec<_> = found
        .lessons
        .par_iter()
        .map(|lp| {
            let lesson = load(&lp.path)?;
            if !lesson.errors.is_empty() {
                return Ok((lesson, None));
            }
            let (run, report) = crate::site::evaluate(&lesson, &options);
            Ok::<_, std::io::Error>((lesson, Some((run, report))))
        })
        .collect();
    let mut written = 0;
    for (lp, result) in found.lessons.iter().zip(runs) {
        let (lesson, run) = result?;
        let Some((run, report)) = run else {
            failed |= super::report_lesson_errors(&lesson);
            continue;
        };
        super::report_problems(&lesson, &run, |i| report.cells[i].status.is_failure());
        let target = args.out.join(lp.rel.with_extension("ipynb"));
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir)?;
        }
        write_atomic(&target, &crate::notebook::notebook_json(&lesson, &run))
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", target.display()))?;
        written += 1;
    }
    anstream::eprintln!("wrote {written} notebook(s) to {}", args.out.display());
    Ok(if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
