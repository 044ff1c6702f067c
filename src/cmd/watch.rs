//! `lessonrun watch PATH... --out DIR`: build, then rebuild each lesson as it is saved.

use std::process::ExitCode;

use crate::site::Site;
use crate::watch::watch;

/// Build lessons, then rebuild each one when it changes
#[derive(clap::Args, Debug)]
pub(super) struct Args {
    #[command(flatten)]
    site: super::SiteArgs,
}

pub(super) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let args = args.site;
    let paths = super::default_paths(args.paths);
    let options = args.flags.options();
    let mut site = Site::new(&args.out, args.templates.as_deref(), options.clone())?;
    site.set_safe_html(args.safe_html);
    site.set_notebooks(args.notebooks);
    let mut log = |line: &str| anstream::eprintln!("{line}");
    watch(&paths, args.templates.as_deref(), &mut site, &options, &mut log)?;
    Ok(ExitCode::SUCCESS)
}
