//! `lessonrun watch PATH... --out DIR`: build, then rebuild each lesson as it is saved.

use std::process::ExitCode;

use crate::watch::watch;

/// Build lessons, then rebuild each one when it changes
#[derive(clap::Args, Debug)]
pub(super) struct Args {
    #[command(flatten)]
    site: super::SiteArgs,
}

pub(super) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let args = args.site;
    let paths = super::default_paths(args.paths.clone());
    let options = args.flags.options();
    let mut site = args.site(&paths, options.clone())?;
    let mut log = |line: &str| anstream::eprintln!("{line}");
    watch(&paths, args.templates.as_deref(), &mut site, &options, &mut log)?;
    Ok(ExitCode::SUCCESS)
}
