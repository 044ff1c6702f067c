//! `lessonrun init [DIR]`: a lessons folder with a first lesson, a config file and a GitHub
//! Actions workflow that checks the lessons and publishes the site to GitHub Pages.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::lesson::write_new;

const CONFIG: &str = include_str!("scaffold/lessonrun.toml");
const WORKFLOW: &str = include_str!("scaffold/lessons.yml");

/// Set up a repository of lessons: lessons/ with its site config, and a GitHub Actions workflow
///
/// Writes lessons/01-first-lesson.md (a skeleton that passes `lessonrun check`),
/// lessons/lessonrun.toml (the site's title), and .github/workflows/lessons.yml, which caches the lessonrun binary, runs
/// `lessonrun check --format github` on every push and pull request, and publishes the built
/// site (pages and notebooks) to GitHub Pages from the default branch. Files that exist are
/// kept, never overwritten. Exit status: 0 done, 2 a file could not be written.
#[derive(clap::Args, Debug)]
pub(super) struct Args {
    /// The repository's folder
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// The site's title [default: the folder's name]
    #[arg(long)]
    title: Option<String>,
    /// The shell command by which the workflow installs lessonrun
    #[arg(long, value_name = "COMMAND", default_value = concat!("cargo install --locked lessonrun@", env!("CARGO_PKG_VERSION")))]
    install: String,
}

pub(super) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let title = args.title.clone().unwrap_or_else(|| folder_name(&args.dir));
    let lesson = args.dir.join("lessons").join("01-first-lesson.md");
    std::fs::create_dir_all(args.dir.join("lessons"))?;
    if lesson.exists() {
        kept(&lesson);
    } else {
        super::new::write_lesson(&lesson)?;
        anstream::eprintln!("wrote {}", lesson.display());
    }
    // TOML and YAML strings: quotes and backslashes escaped.
    let quoted = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    write_file(
        &args.dir.join("lessons").join("lessonrun.toml"),
        &CONFIG.replace("{title}", &quoted(&title)),
    )?;
    write_file(
        &args.dir.join(".github/workflows/lessons.yml"),
        &WORKFLOW.replace("{install}", &quoted(&args.install)),
    )?;
    anstream::eprintln!(
        "check the lessons with `lessonrun check lessons`, build the site with `lessonrun build lessons --out site --notebooks`"
    );
    Ok(ExitCode::SUCCESS)
}

fn write_file(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    match write_new(path, text) {
        Ok(()) => {
            anstream::eprintln!("wrote {}", path.display());
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            kept(path);
            Ok(())
        }
        Err(e) => anyhow::bail!("cannot write {}: {e}", path.display()),
    }
}

fn kept(path: &Path) {
    anstream::eprintln!("kept {} (it exists)", path.display());
}

fn folder_name(dir: &Path) -> String {
    let name = std::fs::canonicalize(dir)
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()));
    name.filter(|n| !n.is_empty())
        .unwrap_or_else(|| "Lessons".to_string())
}
