//! `lessonrun watch PATH... --out DIR`: build, then rebuild each lesson as it is saved, each in
//! a worker process of its own (`watch --worker`, see watch/worker.rs).

use std::process::{Command, ExitCode, Stdio};

use crate::watch::watch;
use crate::watch::worker::{WorkerCommand, serve_requests};

/// Build lessons, then rebuild each one when it changes
#[derive(clap::Args, Debug)]
pub(super) struct Args {
    #[command(flatten)]
    site: super::SiteArgs,
    /// Internal: run the lesson of each request read on stdin and write its page, reporting
    /// as JSON lines (the worker process `watch` runs a lesson in)
    #[arg(long, hide = true)]
    worker: bool,
}

pub(super) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let worker = args.worker;
    let args = args.site;
    let paths = super::default_paths(args.paths.clone());
    let options = args.flags.options();
    let mut site = args.site(&paths, options.clone())?;
    if worker {
        let hook = |lesson: &crate::lesson::Lesson| super::worker::test_crash_hook_text(&lesson.source.text);
        serve_requests(&paths, args.templates.as_deref(), site, &options, std::io::stdin().lock(), hook);
        return Ok(ExitCode::SUCCESS);
    }
    let exe = std::env::current_exe()?;
    let command = WorkerCommand {
        // This process's arguments, with `--worker` right after the subcommand, so that a `--`
        // among the paths cannot make it a path.
        spawn: Box::new(move || {
            let mut args = std::env::args_os().skip(1);
            Command::new(&exe)
                .args(args.next())
                .arg("--worker")
                .args(args)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
        }),
        describe: super::worker::describe,
    };
    let mut log = |line: &str| anstream::eprintln!("{line}");
    watch(&paths, args.templates.as_deref(), &mut site, command, &mut log)?;
    Ok(ExitCode::SUCCESS)
}
