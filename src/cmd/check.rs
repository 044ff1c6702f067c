//! `lessonrun check [PATH...]`: run lessons in parallel and compare every cell with its expected
//! output; report for people (colored diffs), for programs (JSON) and for CI (JUnit, GitHub).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anstyle::{AnsiColor, Effects, Style};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::check::{FileReport, Hunk, LineTag, Status, bless, check_lesson, compare_engines, diff_hunks, unified_diff};
use super::Engine;
use crate::pytorch_engine::run_lesson_pytorch;
use crate::execute::{RunOptions, run_lesson};
use crate::lesson::{Lesson, discover, discover_all, discover_glob, is_glob, load, parse, rewrite_lesson};
use crate::source::SourceFile;

/// Run lessons and compare each cell's output with its expected output
///
/// Exit status: 0 every cell passed; 1 a cell failed or raised an error, or a lesson's run
/// crashed; 2 a usage error (no lessons, a FILE:LINE naming no cell, bad flags), a lesson that
/// could not be read or parsed (the others are still checked), or an I/O error while blessing.
#[derive(clap::Args, Debug)]
pub(super) struct Args {
    /// Lesson files, folders (searched recursively for *.md), glob patterns (quoted, e.g.
    /// 'lessons/**/0*.md') or FILE:LINE for one cell (the cells before it still run) [default: lessons]
    paths: Vec<String>,
    /// Rewrite expected outputs that differ (and add missing ones) in place
    #[arg(long)]
    bless: bool,
    /// With --bless: print the diff of what would change and write nothing
    #[arg(long, requires = "bless")]
    dry_run: bool,
    /// Report format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Lessons run at the same time [default: the number of CPUs]
    #[arg(long, short, value_name = "N")]
    jobs: Option<usize>,
    /// Stop starting lessons after the first one that fails
    #[arg(long)]
    fail_fast: bool,
    /// Check only the K-th of N equal parts of the lessons (1-based), for CI matrices
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    shard: Option<(usize, usize)>,
    #[command(flatten)]
    flags: super::RunFlags,
    #[command(flatten)]
    engine: super::EngineFlags,
    /// Internal: check the lessons listed on stdin and write each outcome as a JSON line (the
    /// worker process that `check` runs lessons in, see cmd/worker.rs)
    #[arg(long, hide = true)]
    worker: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// A colored diff per failing cell under `file:line`, then `N passed, M failed`
    Human,
    /// One JSON report on stdout
    Json,
    /// JUnit XML on stdout: one testsuite per lesson, one testcase per cell
    Junit,
    /// GitHub Actions `::error` annotations on stdout, then the summary
    Github,
}

pub fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let bad = || format!("`{s}` is not a shard: write K/N with 1 <= K <= N, e.g. 2/3");
    let (k, n) = s.split_once('/').ok_or_else(bad)?;
    let (k, n) = (k.trim().parse::<usize>().map_err(|_| bad())?, n.trim().parse::<usize>().map_err(|_| bad())?);
    if k == 0 || n == 0 || k > n {
        return Err(bad());
    }
    Ok((k, n))
}

/// One lesson to check, and which of its cells (by a line inside them; all when `None`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct Target {
    path: PathBuf,
    lines: Option<BTreeSet<usize>>,
    /// Why discovery would not read this file (a link out of the folder given).
    refused: Option<String>,
}

/// Resolves path arguments to lesson files, sorted and deduplicated: a file or folder as is, a
/// glob by matching, `FILE:LINE` to that file with one cell selected.
fn targets(args: &[String]) -> anyhow::Result<Vec<Target>> {
    let mut found: BTreeMap<PathBuf, Option<BTreeSet<usize>>> = BTreeMap::new();
    let mut refused: BTreeMap<PathBuf, String> = BTreeMap::new();
    let mut add = |path: PathBuf, line: Option<usize>| {
        let entry = found.entry(path).or_insert_with(|| line.map(|_| BTreeSet::new()));
        match (entry, line) {
            (Some(lines), Some(l)) => {
                lines.insert(l);
            }
            (entry, None) => *entry = None,
            (None, Some(_)) => {}
        }
    };
    let args = if args.is_empty() { vec!["lessons".to_string()] } else { args.to_vec() };
    for arg in &args {
        let as_path = Path::new(arg);
        if as_path.exists() || as_path.is_symlink() {
            let d = discover_all(&[as_path.to_path_buf()])?;
            for lp in d.lessons {
                add(lp.path, None);
            }
            refused.extend(d.refused.into_iter().map(|r| (r.path, r.reason)));
        } else if let Some((file, line)) = arg.rsplit_once(':').and_then(|(f, l)| Some((f, l.parse::<usize>().ok()?)))
            && Path::new(file).is_file()
        {
            match discover_all(&[PathBuf::from(file)])?.refused.pop() {
                Some(r) => {
                    refused.insert(r.path, r.reason);
                }
                None => {
                    no_cell_at(file, line)?;
                    add(PathBuf::from(file), Some(line))
                }
            }
        } else if is_glob(arg) {
            let matched = discover_glob(arg)?;
            if matched.lessons.is_empty() && matched.refused.is_empty() {
                anyhow::bail!("no lesson matches `{arg}`");
            }
            for lp in matched.lessons {
                add(lp.path, None);
            }
            refused.extend(matched.refused.into_iter().map(|r| (r.path, r.reason)));
        } else {
            // Let discover name the I/O error (no such file or folder).
            discover(&[as_path.to_path_buf()])?;
        }
    }
    let mut targets: Vec<Target> = found.into_iter().map(|(path, lines)| Target { path, lines, refused: None }).collect();
    targets.extend(refused.into_iter().map(|(path, why)| Target { path, lines: None, refused: Some(why) }));
    targets.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(targets)
}

/// The change `--bless --dry-run` did not write: a unified diff of the lesson file, and the
/// same as hunks for the terminal.
#[derive(Serialize, Deserialize)]
struct WouldBless {
    diff: String,
    hunks: Vec<Hunk>,
}

/// What checking one lesson produced: plain data, since it crosses from the worker process.
#[derive(Serialize, Deserialize)]
pub(super) struct Outcome {
    report: FileReport,
    /// The report's cells' hunks, which its JSON form leaves out.
    hunks: Vec<Vec<Hunk>>,
    /// The lesson's warnings and its failing cells' errors, rendered for stderr.
    problems: String,
    /// With `--bless --dry-run`: what the bless would change.
    would_bless: Option<WouldBless>,
    /// Cells rewritten by `--bless`.
    blessed: usize,
    /// An I/O error while blessing, or a FILE:LINE naming no cell.
    fatal: Option<String>,
    /// The process running the lesson died (see cmd/worker.rs); `report.error` says how.
    crashed: bool,
}

impl super::worker::Failure for Outcome {
    fn is_failure(&self) -> bool {
        self.report.is_failure()
    }
}

impl Outcome {
    fn not_checked(report: FileReport, fatal: Option<String>) -> Outcome {
        Outcome { report, hunks: Vec::new(), problems: String::new(), would_bless: None, blessed: 0, fatal, crashed: false }
    }

    /// The outcome of a lesson whose worker process died running it.
    pub(super) fn crashed(target: &Target, how: &str) -> Outcome {
        let message = format!(
            "lessonrun crashed while running this lesson: {how}. The other lessons were still checked. \
             This is a lessonrun bug or a limit of the system (memory): please report it with the lesson"
        );
        Outcome { crashed: true, ..Outcome::not_checked(FileReport::unreadable(target.path.display().to_string(), message), None) }
    }

    /// The report's hunks moved out for the wire, and back (see `hunks`).
    fn pack(&mut self) -> &Outcome {
        self.hunks = self.report.cells.iter_mut().map(|c| std::mem::take(&mut c.hunks)).collect();
        self
    }

    fn unpack(mut self) -> Outcome {
        for (c, h) in self.report.cells.iter_mut().zip(std::mem::take(&mut self.hunks)) {
            c.hunks = h;
        }
        self
    }
}

/// Loads, runs, compares and (with --bless) rewrites one lesson.
fn check_one(target: &Target, args: &Args, options: &RunOptions) -> Outcome {
    let start = Instant::now();
    let path = target.path.display().to_string();
    let not_checked = Outcome::not_checked;
    if let Some(why) = &target.refused {
        return not_checked(FileReport::unreadable(path, why.clone()), None);
    }
    if args.worker {
        super::worker::test_crash_hook(&target.path);
    }
    let lesson = match load(&target.path) {
        Ok(l) => l,
        Err(e) => return not_checked(FileReport::unreadable(path, e.to_string()), None),
    };
    if !lesson.errors.is_empty() {
        return not_checked(malformed(&lesson), None);
    }
    // FILE:LINE: the cells up to the last one named run (later ones cannot matter); only the
    // named ones are reported and blessed.
    let mut selected: Option<BTreeSet<usize>> = None;
    for &line in target.lines.iter().flatten() {
        let Some(i) = cell_at(&lesson, line) else {
            let msg = format!("{path}:{line}: no cell at this line");
            return not_checked(FileReport::unreadable(path, msg.clone()), Some(msg));
        };
        selected.get_or_insert_with(BTreeSet::new).insert(i);
    }
    let is_selected = |i: usize| selected.as_ref().is_none_or(|s| s.contains(&i));
    let mut lesson = lesson;
    if let Some(&last) = selected.as_ref().and_then(|s| s.last()) {
        lesson.cells.truncate(last + 1);
    }
    let pytorch = match args.engine.engine {
        Engine::Lessonrun => None,
        Engine::Pytorch | Engine::Both => match run_lesson_pytorch(&lesson, &args.engine.python()) {
            Ok(run) => Some(run),
            Err(e) => {
                let msg = format!("{path}: PyTorch could not run this lesson: {e}");
                return not_checked(FileReport::unreadable(path, msg.clone()), Some(msg));
            }
        },
    };
    let (run, mut report) = match (args.engine.engine, pytorch) {
        (Engine::Both, Some(pt)) => {
            let ours = run_lesson(&lesson, options);
            let report = compare_engines(&lesson, &ours, &pt);
            (ours, report)
        }
        (_, Some(pt)) => {
            let report = check_lesson(&lesson, &pt);
            (pt, report)
        }
        (_, None) => {
            let run = run_lesson(&lesson, options);
            let report = check_lesson(&lesson, &run);
            (run, report)
        }
    };
    let (mut would_bless, mut blessed, mut fatal) = (None, 0, None);
    if args.bless
        && let Some(text) = bless(&lesson, &run, is_selected)
    {
        if args.dry_run {
            let diff = unified_diff(&lesson.source.text, &text, &path);
            would_bless = Some(WouldBless { hunks: diff_hunks(&lesson.source.text, &text), diff });
        } else if let Err(e) = rewrite_lesson(&lesson.source, &text) {
            fatal = Some(e.to_string());
        } else {
            blessed = report.cells.iter().enumerate().filter(|(i, c)| is_selected(*i) && c.status.is_failure()).count();
            report = check_lesson(&parse(SourceFile::new(&target.path, text)), &run);
        }
    }
    if selected.is_some() {
        let mut i = 0;
        report.cells.retain(|_| {
            i += 1;
            is_selected(i - 1)
        });
    }
    report.duration_ms = start.elapsed().as_secs_f64() * 1e3;
    let problems = super::problems_text(&lesson, &run, |i| {
        report.cells.iter().any(|c| c.line == lesson.cells[i].line && c.status.is_failure())
    });
    Outcome { report, hunks: Vec::new(), problems, would_bless, blessed, fatal, crashed: false }
}

/// The report of a lesson whose Markdown is too ambiguous to run or bless: each problem at its
/// `file:line:col`, in the error and as diagnostics.
fn malformed(lesson: &Lesson) -> FileReport {
    let path = lesson.source.path.display().to_string();
    let message = lesson.errors.iter().map(|e| format!("{}: {e}", lesson.source.location(e.span().start))).collect::<Vec<_>>().join("; ");
    let mut report = FileReport::unreadable(path, message);
    for e in &lesson.errors {
        let at = lesson.source.line_col(e.span().start);
        report.diagnostics.push(crate::check::FileDiagnostic { severity: crate::check::Severity::Error, message: e.to_string(), line: at.line, col: at.col });
    }
    report
}

/// The cell that a line of the lesson falls in: from its opening fence to the end of its
/// expected output block.
fn cell_at(lesson: &Lesson, line: usize) -> Option<usize> {
    let i = lesson.cells.iter().rposition(|c| c.line <= line)?;
    let cell = &lesson.cells[i];
    let end = match cell.expected.as_ref().map(|e| &e.style) {
        Some(crate::lesson::ExpectedStyle::Block { block, .. }) => block.end,
        _ => cell.fence.end,
    };
    (line <= lesson.source.line_col(end.saturating_sub(1)).line).then_some(i)
}

#[derive(Serialize, Default)]
struct Summary {
    passed: usize,
    failed: usize,
    skipped: usize,
    ignored: usize,
    /// Lessons that could not be read.
    errors: usize,
    lessons: usize,
    /// Lessons not started because of --fail-fast.
    not_run: usize,
    /// Lessons whose process died running them.
    crashed: usize,
    duration_ms: f64,
}

#[derive(Serialize)]
struct JsonFile<'a> {
    #[serde(flatten)]
    report: &'a FileReport,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    crashed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    would_bless: Option<&'a str>,
}

#[derive(Serialize)]
struct Report<'a> {
    files: Vec<JsonFile<'a>>,
    summary: &'a Summary,
}

pub(super) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let options = args.flags.options();
    let jobs = args.jobs.filter(|&j| j > 0).unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if args.worker {
        let targets: Vec<Target> = serde_json::from_reader(std::io::stdin().lock())?;
        check_all(&targets, &args, &options, jobs, &|i, outcome| super::worker::emit(i, outcome.map(Outcome::pack)))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut targets = targets(&args.paths)?;
    if targets.is_empty() {
        let paths = if args.paths.is_empty() { "lessons".to_string() } else { args.paths.join(" ") };
        anyhow::bail!("no lessons found in {paths}: a lesson is a Markdown (.md) file with ```python cells");
    }
    if let Some((k, n)) = args.shard {
        let found = targets.len();
        targets = targets.into_iter().enumerate().filter(|(i, _)| i % n == k - 1).map(|(_, t)| t).collect();
        if targets.is_empty() {
            anyhow::bail!("shard {k}/{n} has no lesson: only {found} lesson(s) were found, so at most {found} shards have work");
        }
    }
    // Lessons run in a worker process, so that one that kills its process cannot take the
    // others' results with it; where no worker can be started, they run here.
    let outcomes: Vec<Option<Outcome>> = match super::worker::supervise(&targets, jobs, args.fail_fast, Outcome::crashed) {
        Some(outcomes) => outcomes.into_iter().map(|o| o.map(Outcome::unpack)).collect(),
        None => check_all(&targets, &args, &options, jobs, &|_, _| {})?,
    };

    let mut summary = Summary { not_run: outcomes.iter().filter(|o| o.is_none()).count(), ..Summary::default() };
    let outcomes: Vec<Outcome> = outcomes.into_iter().flatten().collect();
    for o in &outcomes {
        let r = &o.report;
        summary.lessons += 1;
        summary.passed += r.count(|s| s == Status::Pass);
        summary.failed += r.count(Status::is_failure);
        summary.skipped += r.count(|s| s == Status::Skip);
        summary.ignored += r.count(|s| s == Status::Ignored);
        summary.errors += usize::from(r.error.is_some() && o.fatal.is_none() && !o.crashed);
        summary.crashed += usize::from(o.crashed);
    }
    summary.duration_ms = started.elapsed().as_secs_f64() * 1e3;
    let cells: usize = outcomes.iter().map(|o| o.report.cells.len()).sum();
    let all_read = outcomes.iter().all(|o| o.report.error.is_none() && o.fatal.is_none());
    if cells == 0 && all_read && summary.not_run == 0 {
        // The warnings say why, e.g. a ```py block that is not a cell.
        for o in &outcomes {
            anstream::eprint!("{}", o.problems);
        }
        anyhow::bail!(
            "no cells found in {} lesson(s): a cell is a fenced block whose info string starts with the word `python`",
            summary.lessons
        );
    }

    // Only the human report goes through anstream (colors for a terminal, stripped otherwise):
    // the machine formats are written as they are, byte for byte. A reader that stops early
    // (`| head`) is not an error.
    match write_report(args.format, &outcomes, &summary) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other?,
    }
    let mut fatal = false;
    for o in &outcomes {
        if let Some(msg) = &o.fatal {
            anstream::eprintln!("lessonrun: error: {msg}");
            fatal = true;
        }
        if o.blessed > 0 {
            anstream::eprintln!("blessed {} ({} cell(s) rewritten)", o.report.path, o.blessed);
        }
        if o.would_bless.is_some() && args.format != Format::Human {
            anstream::eprintln!("would bless {}", o.report.path);
        }
    }
    // A lesson that cannot be read is an I/O error (exit 2), though the other lessons are
    // still checked and reported.
    Ok(ExitCode::from(if fatal || summary.errors > 0 {
        2
    } else if summary.failed > 0 || summary.crashed > 0 {
        1
    } else {
        0
    }))
}

/// A usage error when `FILE:LINE` names no cell, found before anything runs or prints. A lesson
/// that cannot be read or parsed passes here: checking it reports why, at its place.
fn no_cell_at(file: &str, line: usize) -> anyhow::Result<()> {
    let Ok(lesson) = load(Path::new(file)) else { return Ok(()) };
    if !lesson.errors.is_empty() || cell_at(&lesson, line).is_some() {
        return Ok(());
    }
    let lines: Vec<String> = lesson.cells.iter().map(|c| c.line.to_string()).collect();
    match lines.as_slice() {
        [] => anyhow::bail!("{file}:{line}: no cell at this line: {file} has no cells"),
        _ => anyhow::bail!("{file}:{line}: no cell at this line: {file} has cells at lines {}", lines.join(", ")),
    }
}

/// Checks `targets` on `jobs` threads, telling `done` of each outcome as it comes (`None`: not
/// run, after `--fail-fast` stopped the run); the outcomes in the order of `targets`.
fn check_all(
    targets: &[Target],
    args: &Args,
    options: &RunOptions,
    jobs: usize,
    done: &(dyn Fn(usize, Option<&mut Outcome>) + Sync),
) -> anyhow::Result<Vec<Option<Outcome>>> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs).build()?;
    let stop = AtomicBool::new(false);
    let progress = Progress::new(targets.len());
    let outcomes = pool.install(|| {
        targets
            .par_iter()
            .enumerate()
            .map(|(i, t)| {
                if stop.load(Ordering::Relaxed) {
                    done(i, None);
                    return None;
                }
                let mut outcome = check_one(t, args, options);
                if args.fail_fast && outcome.report.is_failure() {
                    stop.store(true, Ordering::Relaxed);
                }
                progress.tick(&outcome.report.path);
                done(i, Some(&mut outcome));
                Some(outcome)
            })
            .collect()
    });
    progress.finish();
    Ok(outcomes)
}

fn write_report(format: Format, outcomes: &[Outcome], summary: &Summary) -> std::io::Result<()> {
    if format == Format::Human {
        let mut out = anstream::stdout().lock();
        write_human(&mut out, outcomes, summary)?;
        return out.flush();
    }
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            let files = outcomes.iter().map(|o| JsonFile { report: &o.report, crashed: o.crashed, would_bless: o.would_bless.as_ref().map(|w| w.diff.as_str()) }).collect();
            serde_json::to_writer_pretty(&mut out, &Report { files, summary })?;
            writeln!(out)?;
        }
        Format::Junit => out.write_all(junit(outcomes, summary).as_bytes())?,
        Format::Github | Format::Human => {
            out.write_all(github(outcomes).as_bytes())?;
            writeln!(out, "{}", summary_line(summary))?;
        }
    }
    out.flush()
}

fn summary_line(s: &Summary) -> String {
    let mut line = format!("{} passed, {} failed", s.passed, s.failed);
    for (n, what) in [(s.skipped, "skipped"), (s.ignored, "ignored")] {
        if n > 0 {
            line.push_str(&format!(", {n} {what}"));
        }
    }
    if s.errors > 0 {
        line.push_str(&format!(", {} lesson(s) could not be read", s.errors));
    }
    if s.crashed > 0 {
        line.push_str(&format!(", {} lesson(s) crashed", s.crashed));
    }
    if s.not_run > 0 {
        line.push_str(&format!(", {} lesson(s) not run (--fail-fast)", s.not_run));
    }
    line
}

const FAIL: Style = AnsiColor::Red.on_default().effects(Effects::BOLD);
const REMOVED: Style = AnsiColor::Red.on_default();
const ADDED: Style = AnsiColor::Green.on_default();
const REMOVED_CHANGE: Style = AnsiColor::Red.on_default().effects(Effects::BOLD.insert(Effects::INVERT));
const ADDED_CHANGE: Style = AnsiColor::Green.on_default().effects(Effects::BOLD.insert(Effects::INVERT));
const HEADER: Style = AnsiColor::Cyan.on_default();
const BOLD: Style = Style::new().effects(Effects::BOLD);

/// The human report: per failing cell its `file:line`, what went wrong and a diff with the
/// changed characters highlighted; diagnostics on stderr; the summary line last. anstream drops
/// the colors when stdout is not a terminal or NO_COLOR is set.
fn write_human(out: &mut impl Write, outcomes: &[Outcome], summary: &Summary) -> std::io::Result<()> {
    for o in outcomes {
        let r = &o.report;
        if let Some(e) = &r.error {
            if o.crashed {
                writeln!(out, "{FAIL}CRASH{FAIL:#} {}: {e}", r.path)?;
            } else if o.fatal.is_none() {
                writeln!(out, "{FAIL}ERROR{FAIL:#} {}: cannot check this lesson: {e}", r.path)?;
            }
            continue;
        }
        for cell in r.cells.iter().filter(|c| c.status.is_failure()) {
            let what = match cell.status {
                Status::Missing => "prints output but has no expected output",
                Status::Error => "raised an error and differs from its expected output",
                _ => "differs from its expected output",
            };
            writeln!(out, "{FAIL}FAIL{FAIL:#} {}:{}: {what}", r.path, cell.line)?;
            let location = format!("{}:{}", r.path, cell.line);
            write_diff(out, &location, &location, &cell.hunks, ("expected", "actual"))?;
        }
        anstream::eprint!("{}", o.problems);
        if let Some(w) = &o.would_bless {
            writeln!(out, "{BOLD}would bless{BOLD:#} {}", r.path)?;
            write_diff(out, &r.path, &r.path, &w.hunks, ("now", "blessed"))?;
        }
    }
    writeln!(out, "{}", summary_line(summary))
}

fn write_diff(out: &mut impl Write, old: &str, new: &str, hunks: &[Hunk], labels: (&str, &str)) -> std::io::Result<()> {
    writeln!(out, "{REMOVED}--- {old} ({}){REMOVED:#}", labels.0)?;
    writeln!(out, "{ADDED}+++ {new} ({}){ADDED:#}", labels.1)?;
    for hunk in hunks {
        writeln!(out, "{HEADER}{}{HEADER:#}", hunk.header)?;
        for line in &hunk.lines {
            let (sign, plain, changed) = match line.tag {
                LineTag::Context => (' ', Style::new(), Style::new()),
                LineTag::Removed => ('-', REMOVED, REMOVED_CHANGE),
                LineTag::Added => ('+', ADDED, ADDED_CHANGE),
            };
            write!(out, "{plain}{sign}{plain:#}")?;
            for (emph, text) in &line.segments {
                let style = if *emph { changed } else { plain };
                write!(out, "{style}{}{style:#}", visible(text))?;
            }
            writeln!(out)?;
            if line.missing_newline {
                writeln!(out, "\\ No newline at end of file")?;
            }
        }
    }
    Ok(())
}

/// A line of a cell's output made safe for a terminal (see [`super::terminal_text`]).
pub fn visible(text: &str) -> std::borrow::Cow<'_, str> {
    super::terminal_text(text)
}

/// A one-line `[done/total]` counter on stderr, only when stderr is a terminal and the run
/// takes long enough to be worth watching; redrawn at most ten times a second.
struct Progress {
    total: usize,
    done: AtomicUsize,
    enabled: bool,
    start: Instant,
    last_draw: Mutex<Option<Instant>>,
}

impl Progress {
    fn new(total: usize) -> Progress {
        let enabled = total > 1 && std::io::stderr().is_terminal();
        Progress { total, done: AtomicUsize::new(0), enabled, start: Instant::now(), last_draw: Mutex::new(None) }
    }

    fn tick(&self, path: &str) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if !self.enabled || self.start.elapsed() < Duration::from_millis(300) {
            return;
        }
        let Ok(mut last) = self.last_draw.lock() else { return };
        if last.is_some_and(|t| t.elapsed() < Duration::from_millis(100)) {
            return;
        }
        *last = Some(Instant::now());
        let name: String = path.chars().rev().take(60).collect::<Vec<_>>().into_iter().rev().collect();
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K[{done}/{}] {name}", self.total);
        let _ = err.flush();
    }

    fn finish(&self) {
        if self.last_draw.lock().is_ok_and(|l| l.is_some()) {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
    }
}

/// Text made safe for XML character data and attribute values: the five markup characters
/// escaped, and characters XML 1.0 cannot hold at all (most control characters) replaced by
/// U+FFFD, so a cell that prints `\x1b` still gives a well-formed report.
pub fn xml_escape(s: &str) -> String {
    escape_xml(s, false)
}

/// [`xml_escape`] for attribute values, where a parser would turn a raw newline or tab into a
/// space: those are written as character references.
pub fn xml_attr(s: &str) -> String {
    escape_xml(s, true)
}

fn escape_xml(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\t' if attribute => out.push_str("&#9;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\r' if attribute => out.push_str("&#13;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn seconds(ms: f64) -> String {
    format!("{:.3}", ms / 1e3)
}

/// JUnit XML as Jenkins, GitLab and the GitHub test reporters read it: one testsuite per lesson
/// (named by its path), one testcase per cell (named `path:line`); a failing cell has a
/// `<failure>` (an `<error>` when it raised) holding the diff, skipped and ignored cells a
/// `<skipped>`; a lesson that could not be read is a testsuite with one erroring testcase.
fn junit(outcomes: &[Outcome], summary: &Summary) -> String {
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let errors = |r: &FileReport| r.count(|s| s == Status::Error) + usize::from(r.error.is_some());
    let failures = |r: &FileReport| r.count(|s| matches!(s, Status::Fail | Status::Missing));
    let skipped = |r: &FileReport| r.count(|s| matches!(s, Status::Skip | Status::Ignored));
    let tests = |r: &FileReport| r.cells.len().max(usize::from(r.error.is_some()));
    let reports = || outcomes.iter().map(|o| &o.report);
    x.push_str(&format!(
        "<testsuites name=\"lessonrun\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\">\n",
        reports().map(tests).sum::<usize>(),
        reports().map(failures).sum::<usize>(),
        reports().map(errors).sum::<usize>(),
        reports().map(skipped).sum::<usize>(),
        seconds(summary.duration_ms),
    ));
    for o in outcomes {
        let r = &o.report;
        let path = xml_attr(&r.path);
        x.push_str(&format!(
            "  <testsuite name=\"{path}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\" file=\"{path}\">\n",
            tests(r),
            failures(r),
            errors(r),
            skipped(r),
            seconds(r.duration_ms),
        ));
        if let Some(e) = &r.error {
            x.push_str(&format!(
                "    <testcase name=\"{path}\" classname=\"{path}\" file=\"{path}\" time=\"0.000\">\n      <error message=\"{}\" type=\"{}\"/>\n    </testcase>\n",
                xml_attr(e),
                if o.crashed { "crashed" } else { "unreadable" }
            ));
        }
        for c in &r.cells {
            x.push_str(&format!(
                "    <testcase name=\"{path}:{line}\" classname=\"{path}\" file=\"{path}\" line=\"{line}\" time=\"{}\"",
                seconds(c.duration_ms),
                line = c.line
            ));
            let (tag, message) = match c.status {
                Status::Pass => {
                    x.push_str("/>\n");
                    continue;
                }
                Status::Skip => ("skipped", "skip: not run".to_string()),
                Status::Ignored => ("skipped", "ignore: run, output not compared".to_string()),
                Status::Missing => ("failure", "prints output but has no expected output".to_string()),
                Status::Fail => ("failure", "differs from its expected output".to_string()),
                Status::Error => ("error", c.error.clone().unwrap_or_else(|| "raised an error".to_string())),
            };
            x.push_str(">\n");
            match &c.diff {
                Some(diff) if tag != "skipped" => x.push_str(&format!(
                    "      <{tag} message=\"{}\" type=\"{}\">{}</{tag}>\n",
                    xml_attr(&message),
                    status_name(c.status),
                    xml_escape(diff)
                )),
                _ => x.push_str(&format!("      <{tag} message=\"{}\"/>\n", xml_attr(&message))),
            }
            x.push_str("    </testcase>\n");
        }
        x.push_str("  </testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    x
}

fn status_name(s: Status) -> &'static str {
    match s {
        Status::Pass => "pass",
        Status::Fail => "fail",
        Status::Error => "error",
        Status::Missing => "missing",
        Status::Skip => "skip",
        Status::Ignored => "ignored",
    }
}

/// A workflow command's message, escaped as the GitHub runner unescapes it.
pub fn gh_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// A workflow command's property value (`file=`, `title=`): also `:` and `,` escaped.
pub fn gh_property(s: &str) -> String {
    gh_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub Actions annotations: an `::error` per failing cell spanning the cell and its expected
/// output (the message is the diff), an `::error` per unreadable lesson, a `::warning` per
/// lesson warning.
fn github(outcomes: &[Outcome]) -> String {
    let mut s = String::new();
    for o in outcomes {
        let r = &o.report;
        let file = gh_property(&r.path);
        if let Some(e) = &r.error {
            let title = if o.crashed { "lessonrun: crashed on this lesson" } else { "lessonrun: lesson not checked" };
            s.push_str(&format!("::error file={file},title={}::{}\n", gh_property(title), gh_data(e)));
        }
        for d in &r.diagnostics {
            if d.severity == crate::check::Severity::Warning {
                s.push_str(&format!("::warning file={file},line={},col={}::{}\n", d.line, d.col, gh_data(&d.message)));
            }
        }
        for c in r.cells.iter().filter(|c| c.status.is_failure()) {
            let title = match c.status {
                Status::Missing => "lessonrun: cell has no expected output",
                Status::Error => "lessonrun: cell raised an error",
                _ => "lessonrun: cell output differs",
            };
            let mut message = String::new();
            if let Some(e) = &c.error {
                message.push_str(e);
                message.push('\n');
            }
            message.push_str(c.diff.as_deref().unwrap_or(""));
            s.push_str(&format!(
                "::error file={file},line={},endLine={},title={}::{}\n",
                c.line,
                c.end_line,
                gh_property(title),
                gh_data(message.trim_end())
            ));
        }
    }
    s
}
