//! `lessonrun serve PATH... [--port N] [--host ADDR] [--open]`: a live preview of the lessons.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use crate::serve::{Config, serve};

/// Serve the lessons as pages that update as they are saved, re-running only changed cells
#[derive(clap::Args, Debug)]
pub(super) struct Args {
    /// Lesson files or folders (searched recursively for *.md) [default: lessons]
    paths: Vec<PathBuf>,
    /// Port to listen on; the next free one is taken if it is in use
    #[arg(long, default_value_t = 3000)]
    port: u16,
    /// Address to listen on (the pages run no code of the reader's, but say what they print)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    host: String,
    /// Open the site in the default browser
    #[arg(long)]
    open: bool,
    /// Folder with templates overriding the built-in ones; editing one re-renders every page
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
    #[command(flatten)]
    flags: super::RunFlags,
}

pub(super) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let paths = super::default_paths(args.paths);
    let config = Config {
        paths: paths.clone(),
        templates: args.templates,
        options: args.flags.options(),
        host: args.host,
        port: args.port,
        cache: Default::default(),
    };
    let open = args.open;
    let ready = move |url: &str| {
        anstream::eprintln!(
            "serving {} at {url} (Ctrl-C to stop)",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        // The URL on a line of its own on stdout, for scripts.
        println!("{url}");
        if open {
            let opener = if cfg!(target_os = "macos") {
                "open"
            } else if cfg!(windows) {
                "explorer"
            } else {
                "xdg-open"
            };
            if let Err(e) = std::process::Command::new(opener).arg(url).spawn() {
                anstream::eprintln!("cannot open a browser ({opener}: {e}); open {url} yourself");
            }
        }
    };
    let log: Arc<dyn Fn(&str) + Send + Sync> = Arc::new(|line: &str| anstream::eprintln!("{line}"));
    serve(config, ready, log)?;
    Ok(ExitCode::SUCCESS)
}
