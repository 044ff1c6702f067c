//! `serve`: a live preview. Each lesson has a worker (`incremental::Session`) that re-runs it
//! from its first changed cell when it is saved; its page is re-rendered from the runs as
//! cells finish and served over HTTP (`http`) with a small script that hears of changes on
//! an event stream and swaps in the parts of the page that changed (`reload`).

mod http;
mod pages;
mod reload;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use notify::{EventKind, RecursiveMode, Watcher};

pub use pages::{Pages, SessionHost, href};

use crate::execute::RunOptions;
use crate::incremental::CacheLimits;
use crate::lesson::{LessonPath, discover};

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot watch {path}: {source}")]
    Watch { path: String, source: notify::Error },
    #[error("cannot listen on {addr}: {message}")]
    Listen { addr: String, message: String },
    #[error("{0}")]
    Render(#[from] crate::render::RenderError),
}

/// What `serve` serves and how.
pub struct Config {
    pub paths: Vec<PathBuf>,
    pub templates: Option<PathBuf>,
    pub options: RunOptions,
    pub host: String,
    /// The first port tried; the next free one is taken if it is in use.
    pub port: u16,
    pub cache: CacheLimits,
}

/// Saves arrive as bursts of events (write, rename, chmod); events this close are one save.
/// Short, since a save that arrives mid-run merely cancels it.
const SETTLE: Duration = Duration::from_millis(5);

/// How many ports after the first one `serve` tries.
const PORT_TRIES: u16 = 100;

/// Serves the lessons under `config.paths` until the process stops. `ready` is told the URL
/// once the server listens; `log` hears one line per event worth telling.
pub fn serve(
    config: Config,
    ready: impl FnOnce(&str),
    log: Arc<dyn Fn(&str) + Send + Sync>,
) -> Result<(), ServeError> {
    let (tx, rx) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        let _ = tx.send(res);
    })
    .map_err(|source| ServeError::Watch {
        path: "(watcher)".into(),
        source,
    })?;
    let mut roots: Vec<&Path> = config.paths.iter().map(PathBuf::as_path).collect();
    roots.extend(config.templates.as_deref());
    for root in roots {
        // A single file is watched through its folder: editors save by renaming a new file
        // over the old one, which a watch on the file itself would lose.
        let (target, mode) = if root.is_dir() {
            (root.to_path_buf(), RecursiveMode::Recursive)
        } else {
            (
                root.parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new("."))
                    .to_path_buf(),
                RecursiveMode::NonRecursive,
            )
        };
        watcher
            .watch(&target, mode)
            .map_err(|source| ServeError::Watch {
                path: target.display().to_string(),
                source,
            })?;
    }
    let mut site_pages = Pages::new(config.templates.as_deref(), log.clone())?;
    match crate::site::SiteConfig::find(&config.paths) {
        Ok(found) => site_pages.set_config(found.map(|(_, c)| c).unwrap_or_default()),
        Err(e) => log(&format!("error: {e}")),
    }
    let pages = Arc::new(Mutex::new(site_pages));
    let server = listen(&config.host, config.port)?;
    let url = format!("http://{}/", server.server_addr());
    let host = SessionHost::new(pages.clone(), config.options.clone(), config.cache);
    let mut known = BTreeSet::new();
    refresh(
        &host,
        &config.paths,
        &mut known,
        &BTreeSet::new(),
        false,
        &log,
    );
    {
        let pages = pages.clone();
        let roots = config.paths.clone();
        std::thread::Builder::new()
            .name("http".into())
            .spawn(move || http::run(server, pages, roots))
            .map_err(|e| ServeError::Listen {
                addr: url.clone(),
                message: e.to_string(),
            })?;
    }
    ready(&url);
    let templates_abs = config
        .templates
        .as_ref()
        .and_then(|t| t.canonicalize().ok());
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
        let template_changed = templates_abs
            .as_ref()
            .is_some_and(|t| changed.iter().any(|p| p.starts_with(t)));
        if template_changed {
            let reloaded = lock(&pages).reload_templates(config.templates.as_deref());
            match reloaded {
                Ok(()) => log("templates reloaded"),
                Err(e) => log(&format!("error: {e}")),
            }
        }
        refresh(
            &host,
            &config.paths,
            &mut known,
            &changed,
            template_changed,
            &log,
        );
    }
}

fn lock(pages: &Mutex<Pages>) -> std::sync::MutexGuard<'_, Pages> {
    pages.lock().unwrap_or_else(|p| p.into_inner())
}

/// Binds `host:port`, or the next free port.
fn listen(host: &str, port: u16) -> Result<tiny_http::Server, ServeError> {
    let mut last = String::new();
    for p in port..port.saturating_add(PORT_TRIES) {
        match tiny_http::Server::http((host, p)) {
            Ok(s) => return Ok(s),
            Err(e) => last = e.to_string(),
        }
    }
    Err(ServeError::Listen {
        addr: format!("{host}:{port}"),
        message: last,
    })
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

/// Re-reads the lessons and submits those that changed (all of them if `all`); a changed file
/// that is not a lesson is a data file: lessons in its folder (or below it) re-run afresh.
fn refresh(
    host: &SessionHost,
    paths: &[PathBuf],
    known: &mut BTreeSet<LessonPath>,
    changed: &BTreeSet<PathBuf>,
    all: bool,
    log: &Arc<dyn Fn(&str) + Send + Sync>,
) {
    let current: BTreeSet<LessonPath> = match discover(paths) {
        Ok(l) => l.into_iter().collect(),
        Err(e) => {
            log(&format!("error: {e}"));
            return;
        }
    };
    let abs: BTreeMap<&LessonPath, PathBuf> = current
        .iter()
        .map(|lp| {
            (
                lp,
                lp.path.canonicalize().unwrap_or_else(|_| lp.path.clone()),
            )
        })
        .collect();
    let lesson_files: BTreeSet<&PathBuf> = abs.values().collect();
    let data_dirs: Vec<&Path> = changed
        .iter()
        .filter(|p| !lesson_files.contains(p) && is_data_file(p))
        .filter_map(|p| p.parent())
        .collect();
    for lp in &current {
        let a = &abs[lp];
        let data_changed = data_dirs
            .iter()
            .any(|d| a.parent().is_some_and(|lf| lf.starts_with(d)));
        if all || data_changed || changed.contains(a) || !known.contains(lp) {
            host.submit(lp, data_changed);
        }
    }
    for gone in known.difference(&current) {
        host.remove(gone);
        log(&format!("removed {}", gone.path.display()));
    }
    *known = current;
}

/// Whether a changed path may be a file a lesson reads: it exists (an editor's temporary file
/// renamed over a lesson does not), is no lesson, and is no editor's backup or swap file.
fn is_data_file(p: &Path) -> bool {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    p.is_file()
        && p.extension().is_none_or(|e| e != "md")
        && !name.starts_with('.')
        && !name.ends_with('~')
        && !name.ends_with(".swp")
        && !name.ends_with(".tmp")
}
