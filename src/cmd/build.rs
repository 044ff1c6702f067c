//! `lessonrun build PATH... --out DIR`: run lessons and write an HTML page for each plus an index.

use std::process::ExitCode;

use crate::lesson::discover;
use crate::site::Site;

/// Run lessons and render them to HTML
#[derive(clap::Args, Debug)]
pub(super) struct Args {
    #[command(flatten)]
    site: super::SiteArgs,
}

pub(super) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let args = args.site;
    let paths = super::default_paths(args.paths);
    let lessons = discover(&paths)?;
    let mut site = Site::new(&args.out, args.templates.as_deref(), args.flags.options())?;
    for lp in &lessons {
        let o = site.build_lesson(lp)?;
        super::report_problems(&o.lesson, &o.run, |i| o.report.cells[i].status.is_failure());
    }
    let index = site.write_index()?;
    anstream::eprintln!("wrote {} lesson page(s) and {}", lessons.len(), index.display());
    Ok(ExitCode::SUCCESS)
}
