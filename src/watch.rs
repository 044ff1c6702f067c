//! Rebuilding pages as authors save: a notify loop that never dies on a lesson's errors, with
//! a worker per lesson that re-runs it from its first changed cell.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use notify::{EventKind, RecursiveMode, Watcher};

use crate::execute::{LessonRun, RunOptions};
use crate::incremental::{CacheLimits, CellSource, Event, Session};
use crate::lesson::{Lesson, LessonPath, discover, load};
use crate::site::Site;

/// Editors save in bursts (write, rename, chmod); events this close are one save. Short: a
/// save arriving mid-run merely cancels that run.
const SETTLE: Duration = Duration::from_millis(10);

#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("cannot watch {path}: {source}")]
    Watch { path: String, source: notify::Error },
}

/// What the loop waits for: a file event, or a lesson's worker done with a run.
enum Msg {
    Fs(notify::Result<notify::Event>),
    Done { lp: LessonPath, generation: u64, lesson: Box<Lesson>, run: LessonRun, first_run: Option<usize>, saved_at: Instant },
}

/// Builds every lesson under `paths` into `site`, then watches `paths` (and `templates`) and
/// rebuilds what changes, reporting each build through `log`. Runs until the process is stopped.
/// Each lesson runs on its own worker (`incremental::Session`): a save cancels that lesson's
/// run in progress and re-runs it from its first changed cell; other lessons are not held up.
pub fn watch(paths: &[PathBuf], templates: Option<&Path>, site: &mut Site, options: &RunOptions, log: &mut dyn FnMut(&str)) -> Result<(), WatchError> {
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
    let mut workers = Workers { sessions: HashMap::new(), options: options.clone(), tx };
    // The first build runs after the watches are registered, so a save made while it runs is
    // queued and rebuilt, never lost.
    let first = lessons(paths, log);
    site.plan(&first);
    for lp in &first {
        workers.submit(lp, false, log);
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
            Msg::Done { lp, generation, lesson, run, first_run, saved_at } => {
                if workers.sessions.get(&lp.path).is_some_and(|(_, g)| *g == generation) {
                    write_page(site, &lp, *lesson, run, first_run, saved_at, log);
                    if let Err(e) = site.write_index() {
                        log(&format!("error: {e}"));
                    }
                }
                continue;
            }
            Msg::Fs(first) => collect(first, &mut changed),
        }
        let deadline = Instant::now() + SETTLE;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match rx.recv_timeout(left) {
                Ok(Msg::Fs(more)) => collect(more, &mut changed),
                Ok(done @ Msg::Done { .. }) => {
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
                workers.submit(lp, data_changed, log);
            }
        }
        let now: BTreeSet<PathBuf> = current.iter().map(|l| l.path.clone()).collect();
        for gone in known.difference(&now) {
            workers.sessions.remove(gone);
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

/// A worker per lesson, and the generation of the run each was last given.
struct Workers {
    sessions: HashMap<PathBuf, (Session, u64)>,
    options: RunOptions,
    tx: mpsc::Sender<Msg>,
}

impl Workers {
    fn submit(&mut self, lp: &LessonPath, fresh: bool, log: &mut dyn FnMut(&str)) {
        let saved_at = Instant::now();
        let lesson = match load(&lp.path) {
            Ok(l) => l,
            Err(e) => {
                log(&format!("error: {}: {e}", lp.path.display()));
                return;
            }
        };
        let mut options = self.options.clone();
        if let Some(limit) = lesson.memory_limit {
            options.memory_limit = (limit > 0).then_some(limit);
        }
        let entry = match self.sessions.entry(lp.path.clone()) {
            std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => match Session::start(lp.path.clone(), options, CacheLimits::default()) {
                Ok(s) => v.insert((s, 0)),
                Err(e) => {
                    log(&format!("error: {}: cannot start its worker: {e}", lp.path.display()));
                    return;
                }
            },
        };
        entry.1 += 1;
        let generation = entry.1;
        let cells = lesson.cells.iter().map(|c| CellSource { code: lesson.code(c).to_string(), base: c.code.start, skip: c.options.skip }).collect();
        let tx = self.tx.clone();
        let lp = lp.clone();
        let mut lesson = Some(Box::new(lesson));
        entry.0.submit(cells, fresh, move |e| {
            if let Event::Finished { run, first_run } = e
                && let Some(lesson) = lesson.take()
            {
                let _ = tx.send(Msg::Done { lp: lp.clone(), generation, lesson, run, first_run, saved_at });
            }
        });
    }
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

/// Writes one lesson's page and says how it went, naming each cell that differs.
fn write_page(site: &mut Site, lp: &LessonPath, lesson: Lesson, run: LessonRun, first_run: Option<usize>, saved_at: Instant, log: &mut dyn FnMut(&str)) {
    let cells: Vec<usize> = lesson.cells.iter().map(|c| c.line).collect();
    match site.write_run(lp, lesson, run) {
        Ok(o) => {
            let differ: Vec<String> = o
                .report
                .cells
                .iter()
                .zip(&cells)
                .filter(|(r, _)| r.status.is_failure())
                .map(|(r, line)| format!("{}:{line} ({})", lp.path.display(), format!("{:?}", r.status).to_lowercase()))
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
                saved_at.elapsed().as_millis()
            );
            for d in differ {
                line.push_str(&format!("\n  differs: {d}"));
            }
            log(&line);
        }
        Err(e) => log(&format!("error: {}: {e}", lp.path.display())),
    }
}
