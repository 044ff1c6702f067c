//! The command line: argument parsing and dispatch; one file per subcommand.

mod build;
pub mod check;
mod export;
mod import;
mod init;
pub mod new;
mod run;
mod serve;
mod watch;
mod worker;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::diagnostic::{Diagnostic, Severity};
use crate::execute::{LessonRun, RunOptions};
use crate::lesson::Lesson;

/// Runs Markdown lessons with PyTorch-style Python cells, checks their outputs and renders them.
#[derive(Parser, Debug)]
#[command(name = "lessonrun", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    Run(run::Args),
    Check(check::Args),
    Build(build::Args),
    Watch(watch::Args),
    Serve(serve::Args),
    Export(export::Args),
    Import(import::Args),
    New(new::Args),
    Init(init::Args),
}

/// Which interpreter runs a lesson's cells.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Engine {
    /// lessonrun's own interpreter and autograd engine
    #[default]
    Lessonrun,
    /// real CPython with PyTorch (see --python)
    Pytorch,
    /// both, reporting every cell where they differ
    Both,
}

/// Which interpreter runs the cells: lessonrun's, real PyTorch, or both side by side.
#[derive(clap::Args, Debug, Clone)]
struct EngineFlags {
    /// Run cells in lessonrun, in real CPython with PyTorch, or in both (reporting every cell
    /// where they differ)
    #[arg(long, value_enum, default_value_t = Engine::Lessonrun)]
    engine: Engine,
    /// The Python with torch installed, for --engine pytorch/both [default: $LESSONRUN_PYTHON, else python3]
    #[arg(long, value_name = "PATH")]
    python: Option<std::path::PathBuf>,
}

impl EngineFlags {
    fn python(&self) -> std::path::PathBuf {
        crate::pytorch_engine::python_path(self.python.as_deref())
    }
}

/// Flags every subcommand that runs lessons shares.
#[derive(clap::Args, Debug, Clone)]
struct RunFlags {
    /// Seconds one cell may run before it is stopped (0: no limit)
    #[arg(long, value_name = "SECS", default_value_t = 60.0, value_parser = seconds)]
    cell_timeout: f64,
    /// Seconds a whole lesson may run before its remaining cells are stopped, e.g. for CI
    /// (0: no limit)
    #[arg(long, value_name = "SECS", default_value_t = 0.0, value_parser = seconds)]
    lesson_timeout: f64,
    /// Bytes a lesson may hold (its Python values and tensors together), e.g. 512MiB or 8GiB
    /// (0: no limit); a lesson's front matter `memory-limit` may lower it, never raise it
    #[arg(long, value_name = "SIZE", default_value = "2GiB", value_parser = byte_size)]
    memory_limit: u64,
    /// How deep Python calls may nest before RecursionError (CPython's default; at most 20000,
    /// what the lesson thread's stack holds)
    #[arg(long, value_name = "N", default_value_t = crate::lang::interp::RECURSION_LIMIT, value_parser = recursion_limit)]
    recursion_limit: usize,
}

fn recursion_limit(text: &str) -> Result<usize, String> {
    let max = crate::lang::interp::MAX_RECURSION_LIMIT;
    match text.parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(format!("`{text}` is not a recursion limit: write a number from 1 to {max}")),
    }
}

/// The longest time limit accepted: a year (longer is surely a typo, and would overflow clocks).
const MAX_SECONDS: f64 = 365.0 * 24.0 * 3600.0;

fn seconds(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && (0.0..=MAX_SECONDS).contains(&x) => Ok(x),
        _ => Err(format!("`{text}` is not a time limit: write seconds from 0 (no limit) to {MAX_SECONDS}")),
    }
}

fn byte_size(text: &str) -> Result<u64, String> {
    crate::lesson::parse_byte_size(text).ok_or_else(|| format!("`{text}` is not a size: write e.g. 512MiB, 4GiB or 0 for no limit"))
}

impl RunFlags {
    fn options(&self) -> RunOptions {
        let limit = |secs: f64| (secs > 0.0).then(|| Duration::from_secs_f64(secs));
        RunOptions {
            cell_time_limit: limit(self.cell_timeout),
            lesson_time_limit: limit(self.lesson_timeout),
            memory_limit: (self.memory_limit > 0).then_some(self.memory_limit),
            recursion_limit: self.recursion_limit,
            ..RunOptions::default()
        }
    }
}

/// Exit codes: 0 success, 1 a cell failed, 2 usage or I/O error.
pub fn main() -> ExitCode {
    crate::alloc::keep_freed_pages();
    crate::alloc::no_huge_pages();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let result = match cli.command {
        Command::Run(args) => run::run(args),
        Command::Check(args) => check::run(args),
        Command::Build(args) => build::run(args),
        Command::Watch(args) => watch::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Export(args) => export::run(args),
        Command::Import(args) => import::run(args),
        Command::New(args) => new::run(args),
        Command::Init(args) => init::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            anstream::eprintln!("lessonrun: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// What `build` and `watch` share: the lessons, the output folder, the templates.
#[derive(clap::Args, Debug, Clone)]
struct SiteArgs {
    /// Lesson files or folders (searched recursively for *.md) [default: lessons]
    paths: Vec<PathBuf>,
    /// Folder to write the site into
    #[arg(long, short, value_name = "DIR", default_value = "site")]
    out: PathBuf,
    /// Folder with templates overriding the built-in ones (base.html, lesson.html, cell.html,
    /// index.html); in watch mode, editing one rebuilds every page
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
    /// Treat prose as untrusted (a site built from outside contributions): raw HTML is shown
    /// as text, and links and images to anything but http(s), mailto, tel or ftp URLs (such
    /// as javascript: and data:) keep their text and lose their target
    #[arg(long)]
    safe_html: bool,
    /// Also write each lesson as a Jupyter notebook beside its page (REL.ipynb, as `export`
    /// writes it) and link the page to it
    #[arg(long)]
    notebooks: bool,
    /// The site's title, on every page and the index [default: the config file's `title`, else
    /// "Lessons"]. The config file is `lessonrun.toml` (or `lessons.toml`) in the first lessons
    /// folder given; see the README for its keys
    #[arg(long, value_name = "TEXT")]
    title: Option<String>,
    #[command(flatten)]
    flags: RunFlags,
}

impl SiteArgs {
    /// A site writing to `--out`, with the config file of the lessons folder and `--title`.
    fn site(&self, paths: &[PathBuf], options: RunOptions) -> anyhow::Result<crate::site::Site> {
        let mut site = crate::site::Site::new(&self.out, self.templates.as_deref(), options)?;
        site.set_notebooks(self.notebooks);
        let config = crate::site::SiteConfig::find(paths)?.map(|(_, c)| c).unwrap_or_default();
        site.set_safe_html(self.safe_html || config.safe_html);
        site.set_config(config, self.title.clone());
        Ok(site)
    }
}

fn default_paths(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    if paths.is_empty() { vec![PathBuf::from("lessons")] } else { paths }
}

/// Prints the lesson's warnings, and a diagnostic for each cell that ended in an error and
/// that `show` selects (by cell index).
fn report_problems(lesson: &Lesson, run: &LessonRun, show: impl Fn(usize) -> bool) {
    anstream::eprint!("{}", problems_text(lesson, run, show));
}

/// What [`report_problems`] prints, with control characters from the lesson made visible.
fn problems_text(lesson: &Lesson, run: &LessonRun, show: impl Fn(usize) -> bool) -> String {
    let mut out = String::new();
    for w in &lesson.warnings {
        let d = Diagnostic { severity: Severity::Warning, message: w.to_string(), span: w.span(), notes: vec![] };
        out.push_str(&terminal_text(&d.render(&lesson.source)));
    }
    for (i, cr) in run.cells.iter().enumerate() {
        let Some(e) = cr.error() else { continue };
        if !show(i) {
            continue;
        }
        let mut notes: Vec<String> =
            // The `<module>` frame is the cell itself, already named below.
            e.stack.iter().filter(|(f, _)| f != "<module>").map(|(f, s)| format!("called from {} at {}", f, lesson.source.location(s.start))).collect();
        notes.push(format!("in the cell at {}:{}", lesson.source.path.display(), lesson.cells[i].line));
        let d = Diagnostic { severity: Severity::Error, message: e.last_line.clone(), span: e.span, notes };
        out.push_str(&terminal_text(&d.render(&lesson.source)));
    }
    out
}

/// Prints the problems that stop a lesson from running (`Lesson::errors`); whether it had any.
fn report_lesson_errors(lesson: &Lesson) -> bool {
    for e in &lesson.errors {
        let d = Diagnostic { severity: Severity::Error, message: e.to_string(), span: e.span(), notes: vec![] };
        anstream::eprint!("{}", terminal_text(&d.render(&lesson.source)));
    }
    !lesson.errors.is_empty()
}

/// Text from a lesson (what a cell printed, a line of its source) made safe for a terminal:
/// control characters other than newline and tab, which could move the cursor, retitle the
/// window or hide text, are shown as their Unicode control pictures (`\x1b` as `␛`).
fn terminal_text(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() && c != '\t' && c != '\n') {
        return text.into();
    }
    text.chars()
        .map(|c| match c {
            '\t' | '\n' => c,
            '\u{7f}' => '\u{2421}',
            c if (c as u32) < 0x20 => char::from_u32(0x2400 + c as u32).unwrap_or('\u{FFFD}'),
            c if c.is_control() => '\u{FFFD}',
            c => c,
        })
        .collect::<String>()
        .into()
}
