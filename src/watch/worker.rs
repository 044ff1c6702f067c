//! `watch`'s process-level backstop: each lesson's live session (`incremental::Session`) lives
//! in a worker process of its own, which runs the lesson as it is saved and writes its page.
//! If a lesson kills its process anyway (an abort, a stack overflow, the kernel's out-of-memory
//! killer), `watch` reports that lesson as crashed and goes on; its next save starts a new
//! worker. The parent keeps the index.
//!
//! The parent writes one [`Request`] per save as a JSON line on the worker's stdin; the worker
//! answers each run that was not superseded with a [`Report`] line on its stdout, and exits
//! when its stdin closes.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ExitStatus};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::execute::{LessonRun, RunOptions};
use crate::incremental::{CacheLimits, CellSource, Event, Session};
use crate::lesson::{Lesson, LessonPath, discover, load};
use crate::render::IndexEntry;
use crate::site::Site;

/// One save of the lesson, as the worker is told it.
#[derive(Serialize, Deserialize)]
pub struct Request {
    pub generation: u64,
    pub path: PathBuf,
    pub rel: PathBuf,
    /// Forget every cached state first (a data file the lesson may read changed).
    pub fresh: bool,
    /// Load the templates again first (one was edited).
    pub reload_templates: bool,
}

/// What a finished run produced.
#[derive(Serialize, Deserialize)]
pub struct Report {
    pub generation: u64,
    /// What to log of it: `built ...`, or an error naming the lesson.
    pub log: String,
    /// The index entry of the page written, if one was.
    pub entry: Option<IndexEntry>,
    /// The worker asks to be replaced: its memory grew past what its cache explains.
    #[serde(default)]
    pub retire: bool,
}

/// How far a worker's resident memory may grow beyond its first run's, its cache's snapshots
/// aside, before it asks to be replaced. A live session frees the reference cycles its re-runs
/// leave behind (`lang::cycles::collect`), but not those closed only through objects it cannot
/// see into (tuples, bound methods, native objects), so a lesson that makes those and is edited
/// all day could still grow without bound; a fresh worker runs the next save from the top.
const RETIRE_GROWTH: u64 = 32 << 20;

/// A watched lesson's cache: smaller than the live preview's, since each worker holds one
/// lesson for as long as `watch` runs, and the states of superseded cell versions (which only
/// help an undo) get a quarter of it.
const WATCH_CACHE: CacheLimits = CacheLimits { bytes: 64 << 20, entries: 64, superseded_bytes: 16 << 20 };

/// This process's resident set in bytes (Linux; None elsewhere).
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb = status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?;
    kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok().map(|k| k * 1024)
}

/// How the parent starts a worker and names the way one ended (the command line's business).
pub struct WorkerCommand {
    pub spawn: Box<dyn Fn() -> std::io::Result<Child>>,
    pub describe: fn(ExitStatus) -> String,
}

/// What the parent hears from its workers.
pub enum FromWorker {
    Report {
        path: PathBuf,
        id: u64,
        report: Report,
    },
    Exited {
        path: PathBuf,
        id: u64,
        how: String,
    },
}

/// The parent's handle of one lesson's worker. Dropping it closes the worker's stdin, which
/// ends the worker after its current run.
pub struct Worker {
    stdin: ChildStdin,
    pub id: u64,
    pub generation: u64,
}

impl Worker {
    /// Starts a worker for the lesson at `path`; its reports and its end reach `tx`.
    pub fn start<M: Send + 'static>(
        command: &WorkerCommand,
        path: &Path,
        id: u64,
        tx: mpsc::Sender<M>,
        wrap: fn(FromWorker) -> M,
    ) -> std::io::Result<Worker> {
        let mut child = (command.spawn)()?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(std::io::Error::other("the worker has no pipes"));
        };
        let describe = command.describe;
        let path = path.to_path_buf();
        std::thread::Builder::new()
            .name(format!("watch worker {}", path.display()))
            .spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if let Ok(report) = serde_json::from_str::<Report>(&line) {
                        let _ = tx.send(wrap(FromWorker::Report {
                            path: path.clone(),
                            id,
                            report,
                        }));
                    }
                }
                let how = match child.wait() {
                    Ok(status) => describe(status),
                    Err(e) => format!("its process could not be waited for: {e}"),
                };
                let _ = tx.send(wrap(FromWorker::Exited { path, id, how }));
            })?;
        Ok(Worker {
            stdin,
            id,
            generation: 0,
        })
    }

    /// Asks for a run of the lesson as saved now; false if the worker is gone.
    pub fn submit(&mut self, lp: &LessonPath, fresh: bool, reload_templates: bool) -> bool {
        self.generation += 1;
        let request = Request {
            generation: self.generation,
            path: lp.path.clone(),
            rel: lp.rel.clone(),
            fresh,
            reload_templates,
        };
        let Ok(mut line) = serde_json::to_string(&request) else {
            return false;
        };
        line.push('\n');
        self.stdin
            .write_all(line.as_bytes())
            .and_then(|()| self.stdin.flush())
            .is_ok()
    }
}

/// The worker process's loop: runs the lesson of each request on one live session and writes
/// its page into `site`, reporting on `out`, until `input` ends. `paths` are the lesson trees
/// (each page's navigation lists their lessons), `templates` the folder to reload from, and
/// `before_run` a hook called with each lesson loaded (the tests' crash hook).
pub fn serve_requests(
    paths: &[PathBuf],
    templates: Option<&Path>,
    site: Site,
    options: &RunOptions,
    input: impl BufRead,
    before_run: fn(&Lesson),
) {
    let site = Arc::new(Mutex::new(site));
    let latest = Arc::new(AtomicU64::new(0));
    let paths: Arc<[PathBuf]> = paths.into();
    let mut session: Option<Session> = None;
    let base: Arc<Mutex<Option<u64>>> = Arc::new(Mutex::new(None));
    for line in input.lines() {
        let Ok(line) = line else { break };
        let Ok(request) = serde_json::from_str::<Request>(&line) else {
            continue;
        };
        let received = Instant::now();
        latest.store(request.generation, Ordering::Relaxed);
        let lp = LessonPath {
            path: request.path,
            rel: request.rel,
        };
        if request.reload_templates
            && let Err(e) = site
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .reload_templates(templates)
        {
            emit(&Report {
                generation: request.generation,
                log: format!("error: {e}"),
                entry: None,
                retire: false,
            });
            continue;
        }
        let lesson = match load(&lp.path) {
            Ok(l) => l,
            Err(e) => {
                emit(&Report {
                    generation: request.generation,
                    log: format!("error: {}: {e}", lp.path.display()),
                    entry: None,
                    retire: false,
                });
                continue;
            }
        };
        before_run(&lesson);
        let session = match &mut session {
            Some(s) => s,
            None => {
                let mut options = options.clone();
                if let Some(limit) = lesson.memory_limit {
                    options.memory_limit = (limit > 0).then_some(limit);
                }
                match Session::start(lp.path.clone(), options, WATCH_CACHE) {
                    Ok(s) => session.insert(s),
                    Err(e) => {
                        let log = format!(
                            "error: {}: cannot start its session: {e}",
                            lp.path.display()
                        );
                        emit(&Report {
                            generation: request.generation,
                            log,
                            entry: None,
                            retire: false,
                        });
                        continue;
                    }
                }
            }
        };
        let cells = CellSource::of(&lesson);
        let (site, latest, paths, base) = (site.clone(), latest.clone(), paths.clone(), base.clone());
        let generation = request.generation;
        let mut lesson = Some(lesson);
        session.submit(cells, request.fresh, move |e| {
            if let Event::Finished { run, first_run, cached_bytes } = e
                && let Some(lesson) = lesson.take()
                && latest.load(Ordering::Relaxed) == generation
            {
                // Resident memory its cache does not explain, against the first run's.
                let retire = resident_bytes().is_some_and(|rss| {
                    let own = rss.saturating_sub(cached_bytes);
                    let mut base = base.lock().unwrap_or_else(|e| e.into_inner());
                    own > *base.get_or_insert(own) + RETIRE_GROWTH
                });
                let mut site = site.lock().unwrap_or_else(|e| e.into_inner());
                // Titles and order of the other lessons may have changed since the last page.
                if let Ok(all) = discover(&paths) {
                    site.plan(&all);
                }
                let (log, entry) = write_page(&mut site, &lp, lesson, run, first_run, received);
                emit(&Report {
                    generation,
                    log,
                    entry,
                    retire,
                });
            }
        });
    }
}

/// Reports one run to the parent, at once.
fn emit(report: &Report) {
    static OUT: Mutex<()> = Mutex::new(());
    let Ok(line) = serde_json::to_string(report) else {
        return;
    };
    let _guard = OUT.lock();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Writes one lesson's page; what to log of it, naming each cell that differs, and its index
/// entry.
fn write_page(
    site: &mut Site,
    lp: &LessonPath,
    lesson: Lesson,
    run: LessonRun,
    first_run: Option<usize>,
    received: Instant,
) -> (String, Option<IndexEntry>) {
    let cells: Vec<usize> = lesson.cells.iter().map(|c| c.line).collect();
    match site.write_run(lp, lesson, run) {
        Ok(o) => {
            let differ: Vec<String> = o
                .report
                .cells
                .iter()
                .zip(&cells)
                .filter(|(r, _)| r.status.is_failure())
                .map(|(r, line)| {
                    format!(
                        "{}:{line} ({})",
                        lp.path.display(),
                        format!("{:?}", r.status).to_lowercase()
                    )
                })
                .collect();
            let ran = match first_run {
                None => "no cell re-ran".to_string(),
                Some(k) => format!("cells {}..{} ran", k + 1, cells.len()),
            };
            let mut line = format!(
                "built {} -> {} ({} cells, {ran}, {} differ from expected) in {} ms",
                lp.path.display(),
                o.written.display(),
                cells.len(),
                differ.len(),
                received.elapsed().as_millis()
            );
            for d in differ {
                line.push_str(&format!("\n  differs: {d}"));
            }
            (line, site.entry(&lp.rel).cloned())
        }
        Err(e) => (format!("error: {}: {e}", lp.path.display()), None),
    }
}
