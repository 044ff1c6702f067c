//! Rebuilding pages as authors save: a notify loop that never dies on a lesson's errors, with
//! a worker process per lesson that re-runs it from its first changed cell (`worker`), so that
//! not even a lesson that kills its process stops the others.

pub mod worker;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use notify::{EventKind, RecursiveMode, Watcher};

use crate::lesson::{LessonPath, discover};
use crate::site::Site;

use worker::{FromWorker, Worker, WorkerCommand};

/// Editors save in bursts (write, rename, chmod); events this close are one save. Short: a
/// save arriving mid-run merely cancels that run.
const SETTLE: Duration = Duration::from_millis(10);

#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("cannot watch {path}: {source}")]
    Watch { path: String, source: notify::Error },
}

/// What the loop waits for: a file event, or news from a lesson's worker.
enum Msg {
    Fs(notify::Result<notify::Event>),
    Worker(FromWorker),
}

/// Builds every lesson under `paths` into `site`, then watches `paths` (and `templates`) and
/// rebuilds what changes, reporting each build through `log`. Runs until the process is stopped.
/// Each lesson runs in its own worker process (started by `command`, see `worker`), which
/// writes its page: a save cancels that lesson's run in progress and re-runs it from its first
/// changed cell; other lessons are not held up, and a worker that dies is reported as a crash
/// of its lesson, whose next save starts a new one.
pub fn watch(paths: &[PathBuf], templates: Option<&Path>, site: &mut Site, command: WorkerCommand, log: &mut dyn FnMut(&str)) -> Result<(), WatchError> {
    let (tx, rx) = mpsc::channel();
    let fs_tx = tx.clone();
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        let _ = fs_tx.send(Msg::Fs(res));
    })
    .map_err(|source| WatchError::Watch { path: "(watcher)".into(), source })?;
    let mut roots: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    roots.extend(templates);
    for root in roots {
        // A single file is watched through its folder: editors save by renaming a new file
        // over the old one, which a watch on the file itself would lose.
        let (target, mode) = if root.is_dir() {
            (root.to_path_buf(), RecursiveMode::Recursive)
        } else {
            (root.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf(), RecursiveMode::NonRecursive)
        };
        watcher
            .watch(&target, mode)
            .map_err(|source| WatchError::Watch { path: target.display().to_string(), source })?;
    }
    let templates_abs = templates.and_then(|t| t.canonicalize().ok());
    let mut workers = Workers { workers: HashMap::new(), command, next_id: 0, tx };
    // The first build runs after the watches are registered, so a save made while it runs is
    // queued and rebuilt, never lost.
    let first = lessons(paths, log);
    site.plan(&first);
    for lp in &first {
        workers.submit(lp, false, false, log);
    }
    log(&format!(
        "watching {} for changes (Ctrl-C to stop)",
        paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    ));
    let mut known: BTreeSet<PathBuf> = first.into_iter().map(|l| l.path).collect();
    loop {
        let Ok(msg) = rx.recv() else { return Ok(()) };
        let mut changed = BTreeSet::new();
        match msg {
            Msg::Worker(FromWorker::Report { path, id, report }) => {
                let Some(w) = workers.workers.get(&path) else { continue };
                let current = w.id == id && w.generation == report.generation;
                if report.retire && w.id == id {
                    // Its memory grew past what its cache explains (cycles that re-runs left
                    // behind): let it go; the lesson's next save starts a fresh worker.
                    workers.workers.remove(&path);
                }
                if current {
                    log(&report.log);
                    if let Some(entry) = report.entry
                        && let Some(lp) = first_lesson(paths, &path)
                    {
                        site.plan(std::slice::from_ref(&lp));
                        site.add_entry(&lp.rel, entry);
                        if let Err(e) = site.write_index() {
                            log(&format!("error: {e}"));
                        }
                    }
                }
                continue;
            }
            Msg::Worker(FromWorker::Exited { path, id, how }) => {
                // A worker ends on its own only by dying; one the loop let go is not reported.
                if workers.workers.get(&path).is_some_and(|w| w.id == id) {
                    workers.workers.remove(&path);
                    log(&format!(
                        "error: {}: lessonrun crashed while running this lesson: {how}; still watching (its next save runs it afresh)",
                        path.display()
                    ));
                }
                continue;
            }
            Msg::Fs(first) => collect(first, &mut changed),
        }
        let deadline = Instant::now() + SETTLE;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match rx.recv_timeout(left) {
                Ok(Msg::Fs(more)) => collect(more, &mut changed),
                Ok(done @ Msg::Worker(_)) => {
                    // Handled after this burst: re-send to ourselves.
                    let _ = workers.tx.send(done);
                    break;
                }
                Err(_) => break,
            }
        }
        if changed.is_empty() {
            continue;
        }
        let template_changed = templates_abs.as_ref().is_some_and(|t| changed.iter().any(|p| p.starts_with(t)));
        if template_changed && let Err(e) = site.reload_templates(templates) {
            log(&format!("error: {e}"));
            continue;
        }
        let current = lessons(paths, log);
        let lesson_files: BTreeSet<PathBuf> = current.iter().map(|lp| lp.path.canonicalize().unwrap_or_else(|_| lp.path.clone())).collect();
        let data_dirs: Vec<PathBuf> =
            changed.iter().filter(|p| !lesson_files.contains(*p) && is_data_file(p)).filter_map(|p| p.parent().map(Path::to_path_buf)).collect();
        for lp in &current {
            let abs = lp.path.canonicalize().unwrap_or_else(|_| lp.path.clone());
            let data_changed = data_dirs.iter().any(|d| abs.parent().is_some_and(|f| f.starts_with(d)));
            if template_changed || data_changed || changed.contains(&abs) || !known.contains(&lp.path) {
                workers.submit(lp, data_changed, template_changed, log);
            }
        }
        let now: BTreeSet<PathBuf> = current.iter().map(|l| l.path.clone()).collect();
        for gone in known.difference(&now) {
            workers.workers.remove(gone);
            if let Some(lp) = lessons_rel(paths, gone) {
                site.remove_lesson(&lp);
                log(&format!("removed {}", gone.display()));
            }
        }
        known = now;
        if let Err(e) = site.write_index() {
            log(&format!("error: {e}"));
        }
    }
}

/// A worker process per lesson, by path.
struct Workers {
    workers: HashMap<PathBuf, Worker>,
    command: WorkerCommand,
    next_id: u64,
    tx: mpsc::Sender<Msg>,
}

impl Workers {
    /// Asks the lesson's worker (started if it has none, or again if it is gone) to run it.
    fn submit(&mut self, lp: &LessonPath, fresh: bool, reload_templates: bool, log: &mut dyn FnMut(&str)) {
        for _ in 0..2 {
            let worker = match self.workers.entry(lp.path.clone()) {
                std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
                std::collections::hash_map::Entry::Vacant(v) => {
                    self.next_id += 1;
                    match Worker::start(&self.command, &lp.path, self.next_id, self.tx.clone(), Msg::Worker) {
                        Ok(w) => v.insert(w),
                        Err(e) => {
                            log(&format!("error: {}: cannot start its worker: {e}", lp.path.display()));
                            return;
                        }
                    }
                }
            };
            if worker.submit(lp, fresh, reload_templates) {
                return;
            }
            // Its worker died and the loop has not heard yet: start another.
            self.workers.remove(&lp.path);
        }
    }
}

/// The lesson at `path` as found under one of `paths`.
fn first_lesson(paths: &[PathBuf], path: &Path) -> Option<LessonPath> {
    discover(paths).ok()?.into_iter().find(|lp| lp.path == path)
}

/// Whether a changed path may be a file a lesson reads (not a lesson, an editor's temporary,
/// backup or swap file).
fn is_data_file(p: &Path) -> bool {
    let name = p.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    p.is_file() && p.extension().is_none_or(|e| e != "md") && !name.starts_with('.') && !name.ends_with('~') && !name.ends_with(".swp") && !name.ends_with(".tmp")
}

fn collect(event: notify::Result<notify::Event>, changed: &mut BTreeSet<PathBuf>) {
    let Ok(event) = event else { return };
    if matches!(event.kind, EventKind::Access(_)) {
        return;
    }
    for p in event.paths {
        changed.insert(p.canonicalize().unwrap_or(p));
    }
}

fn lessons(paths: &[PathBuf], log: &mut dyn FnMut(&str)) -> Vec<LessonPath> {
    discover(paths).unwrap_or_else(|e| {
        log(&format!("error: {e}"));
        Vec::new()
    })
}

/// The site-relative path a vanished lesson had.
fn lessons_rel(paths: &[PathBuf], gone: &Path) -> Option<PathBuf> {
    paths.iter().find_map(|root| gone.strip_prefix(root).ok().map(Path::to_path_buf)).or_else(|| gone.file_name().map(PathBuf::from))
}
