//! `lessonrun watch PATH... --out DIR`: build, then rebuild each lesson as it is saved.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::lesson::discover;
use crate::site::Site;
use crate::watch::{rebuild, watch};

/// Build lessons, then rebuild each one when it changes
#[derive(clap::Args, Debug)]
pub(super) struct Args {
    /// Lesson files or folders (searched recursively for *.md) [default: lessons]
    paths: Vec<PathBuf>,
    /// Folder to write the site into
    #[arg(long, short, value_name = "DIR", default_value = "site")]
    out: PathBuf,
    /// Folder with templates overriding the built-in ones; edits to it rebuild every page
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
    #[command(flatten)]
    flags: super::RunFlags,
}

pub(super) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let paths = super::default_paths(args.paths);
    let mut site = Site::new(&args.out, args.templates.as_deref(), args.flags.options())?;
    let mut log = |line: &str| anstream::eprintln!("{line}");
    for lp in discover(&paths)? {
        rebuild(&mut site, &lp, &mut log);
    }
    site.write_index()?;
    log(&format!("watching {} for changes (Ctrl-C to stop)", paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")));
    watch(&paths, args.templates.as_deref(), &mut site, &mut log)?;
    Ok(ExitCode::SUCCESS)
}
