//! Rebuilding pages as authors save: a notify loop that never dies on a lesson's errors.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use notify::{EventKind, RecursiveMode, Watcher};

use crate::lesson::{LessonPath, discover};
use crate::site::Site;

/// Editors save in bursts (write, rename, chmod); events closer than this are one save.
const SETTLE: Duration = Duration::from_millis(100);

#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("cannot watch {path}: {source}")]
    Watch { path: String, source: notify::Error },
}

/// Builds every lesson under `paths` into `site`, then watches `paths` (and `templates`) and
/// rebuilds what changes, reporting each build through `log`. Runs until the process is stopped.
pub fn watch(paths: &[PathBuf], templates: Option<&Path>, site: &mut Site, log: &mut dyn FnMut(&str)) -> Result<(), WatchError> {
    let (tx, rx) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        let _ = tx.send(res);
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
    // The first build runs after the watches are registered, so a save made while it runs is
    // queued and rebuilt, never lost.
    let first = lessons(paths, log);
    for lp in &first {
        rebuild(site, lp, log);
    }
    if let Err(e) = site.write_index() {
        log(&format!("error: {e}"));
    }
    log(&format!(
        "watching {} for changes (Ctrl-C to stop)",
        paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    ));
    let mut known: BTreeSet<PathBuf> = first.into_iter().map(|l| l.path).collect();
    loop {
        let Ok(first) = rx.recv() else { return Ok(()) };
        let mut changed = BTreeSet::new();
        collect(first, &mut changed);
        while let Ok(more) = rx.recv_timeout(SETTLE) {
            collect(more, &mut changed);
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
        for lp in &current {
            let abs = lp.path.canonicalize().unwrap_or_else(|_| lp.path.clone());
            if template_changed || changed.contains(&abs) || !known.contains(&lp.path) {
                rebuild(site, lp, log);
            }
        }
        let now: BTreeSet<PathBuf> = current.iter().map(|l| l.path.clone()).collect();
        for gone in known.difference(&now) {
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

/// Builds one lesson page and says how it went.
pub fn rebuild(site: &mut Site, lp: &LessonPath, log: &mut dyn FnMut(&str)) {
    let start = std::time::Instant::now();
    match site.build_lesson(lp) {
        Ok(o) => {
            let failed = o.report.count(crate::check::Status::is_failure);
            log(&format!(
                "built {} -> {} ({} cells, {} differ from expected) in {} ms",
                lp.path.display(),
                o.written.display(),
                o.report.cells.len(),
                failed,
                start.elapsed().as_millis()
            ));
        }
        Err(e) => log(&format!("error: {}: {e}", lp.path.display())),
    }
}
