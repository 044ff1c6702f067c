//! The served pages: each lesson's latest text and cell runs (filled in as its worker reports),
//! rendered when asked for and only if something changed since; and the host that starts and
//! feeds the per-lesson workers.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::reload::Hub;
use crate::check::{Status, check_lesson};
use crate::execute::{CellRun, LessonRun, RunOptions};
use crate::incremental::{CacheLimits, CellSource, Event, Session};
use crate::lesson::{Lesson, LessonPath, load};
use crate::render::{IndexEntry, PageContext, Renderer, SiteNav, escape_html, lesson_title};
use crate::site::SiteConfig;
use crate::site::nav::{self, NavItem};

/// One lesson's page as it stands.
struct Page {
    /// The lesson's path relative to its folder.
    rel: PathBuf,
    lesson: Result<Lesson, String>,
    run: LessonRun,
    /// The cell running now and since when.
    running: Option<(usize, Instant)>,
    /// Bumped by every save: events of an older run are ignored.
    generation: u64,
    /// The last rendering, while still current.
    html: Option<String>,
    /// When the save being run was seen (for the log).
    saved_at: Instant,
}

/// Every page of the site, the renderer, and the clients waiting for changes.
pub struct Pages {
    renderer: Renderer,
    pages: BTreeMap<String, Page>,
    config: SiteConfig,
    title: String,
    /// The lessons in reading order (hrefs) and their navigation, made again after a lesson
    /// came, went, or changed its title or order.
    nav: Option<(Vec<String>, SiteNav)>,
    pub(super) hub: Hub,
    log: Arc<dyn Fn(&str) + Send + Sync>,
}

impl Pages {
    pub fn new(
        templates: Option<&Path>,
        log: Arc<dyn Fn(&str) + Send + Sync>,
    ) -> Result<Pages, crate::render::RenderError> {
        Ok(Pages {
            renderer: Renderer::new(templates)?,
            pages: BTreeMap::new(),
            config: SiteConfig::default(),
            title: crate::site::DEFAULT_TITLE.to_string(),
            nav: None,
            hub: Hub::default(),
            log,
        })
    }

    pub fn reload_templates(
        &mut self,
        templates: Option<&Path>,
    ) -> Result<(), crate::render::RenderError> {
        self.renderer = Renderer::new(templates)?;
        for p in self.pages.values_mut() {
            p.html = None;
        }
        self.hub.notify("*");
        Ok(())
    }

    /// The site's config file (its title, source links and reading order).
    pub fn set_config(&mut self, config: SiteConfig) {
        self.title = config.title.clone().unwrap_or_else(|| crate::site::DEFAULT_TITLE.to_string());
        self.config = config;
        self.nav = None;
    }

    fn nav_items(&self) -> Vec<(String, NavItem)> {
        let mut items: Vec<NavItem> = self
            .pages
            .values()
            .map(|p| match &p.lesson {
                Ok(l) => NavItem::of(&p.rel, l),
                Err(_) => NavItem { rel: p.rel.clone(), title: p.rel.display().to_string(), order: None },
            })
            .collect();
        nav::sort(&mut items, &self.config);
        items.into_iter().map(|i| (href_of_rel(&i.rel), i)).collect()
    }

    fn make_nav(&mut self) {
        if self.nav.is_none() {
            let items = self.nav_items();
            let order = items.iter().map(|(h, _)| h.clone()).collect();
            let items: Vec<NavItem> = items.into_iter().map(|(_, i)| i).collect();
            self.nav = Some((order, nav::site_nav(&items)));
        }
    }

    /// The page at `href` (`dir/lesson.html`), with the live-reload script.
    pub fn page_html(&mut self, href: &str) -> Option<String> {
        self.make_nav();
        let site_nav = &self.nav.as_ref()?.1;
        let page = self.pages.get_mut(href)?;
        if page.html.is_none() {
            let page_href = crate::site::url_path(&page.rel.with_extension("html"));
            let source_path = crate::site::url_path(&page.rel);
            let source_url = self.config.source_link(&source_path);
            let ctx = PageContext {
                site_title: &self.title,
                nav: site_nav,
                href: &page_href,
                source_path: &source_path,
                source_url: source_url.as_deref(),
                notebook_href: None,
            };
            page.html = Some(render_page(&self.renderer, page, &ctx));
        }
        page.html.clone()
    }

    /// The index page listing every lesson in reading order, with the live-reload script.
    pub fn index_html(&mut self) -> String {
        self.make_nav();
        let order = self.nav.as_ref().map(|n| n.0.clone()).unwrap_or_default();
        let entries: Vec<IndexEntry> = order
            .iter()
            .filter_map(|href| Some((href, self.pages.get(href)?)))
            .map(|(href, p)| match &p.lesson {
                Ok(lesson) => {
                    let report = check_lesson(lesson, &p.run);
                    IndexEntry {
                        title: lesson_title(lesson),
                        href: href.clone(),
                        passed: report.count(|s| s == Status::Pass),
                        failed: report.count(Status::is_failure),
                    }
                }
                Err(_) => IndexEntry {
                    title: href.clone(),
                    href: href.clone(),
                    passed: 0,
                    failed: 0,
                },
            })
            .collect();
        match self.renderer.index_page(&self.title, &entries) {
            Ok(html) => super::reload::inject(&html, "index.html"),
            Err(e) => error_page("index.html", &e.to_string()),
        }
    }

    fn changed(&mut self, href: &str) {
        if let Some(p) = self.pages.get_mut(href) {
            p.html = None;
        }
        self.hub.notify(href);
    }
}

fn render_page(renderer: &Renderer, page: &Page, ctx: &PageContext<'_>) -> String {
    let href_of = |l: &Lesson| l.source.path.display().to_string();
    let lesson = match &page.lesson {
        Ok(l) => l,
        Err(e) => return error_page("", e),
    };
    let report = check_lesson(lesson, &page.run);
    let html = match renderer.lesson_page(lesson, &page.run, &report, ctx) {
        Ok(h) => h,
        Err(e) => return error_page(&href_of(lesson), &e.to_string()),
    };
    let html = match page
        .running
        .and_then(|(i, since)| Some((lesson.cells.get(i)?, since)))
    {
        Some((cell, since)) => mark_running(&html, cell.line, since.elapsed().as_millis()),
        None => html,
    };
    super::reload::inject(&html, "")
}

/// Puts a "running for" line at the top of the running cell (whose element the cell template
/// gives the id `cell-LINE`; a template without it shows no such line).
fn mark_running(html: &str, line: usize, elapsed_ms: u128) -> String {
    let id = format!("id=\"cell-{line}\"");
    let Some(at) = html
        .find(&id)
        .and_then(|i| html[i..].find('>').map(|j| i + j + 1))
    else {
        return html.to_string();
    };
    format!(
        "{}<div class=\"lr-running\" data-lr-elapsed=\"{elapsed_ms}\">running for <span>{:.1}</span> s</div>{}",
        &html[..at],
        elapsed_ms as f64 / 1000.0,
        &html[at..]
    )
}

/// A page saying what went wrong, still live: it recovers when the cause is fixed.
fn error_page(what: &str, message: &str) -> String {
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>error</title></head><body><article><pre class=\"lr-error\">{}{}</pre></article></body></html>",
        if what.is_empty() {
            String::new()
        } else {
            format!("{}: ", escape_html(what))
        },
        escape_html(message)
    );
    super::reload::inject(&html, "")
}

/// Starts a worker per lesson and routes its events to the lesson's page.
pub struct SessionHost {
    pages: Arc<Mutex<Pages>>,
    sessions: Mutex<HashMap<PathBuf, (Session, Option<u64>)>>,
    options: RunOptions,
    limits: CacheLimits,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Where `build` writes a lesson's page, relative to the site: `rel` with `.html`.
pub fn href(lp: &LessonPath) -> String {
    href_of_rel(&lp.rel)
}

fn href_of_rel(rel: &Path) -> String {
    rel.with_extension("html")
        .to_string_lossy()
        .replace('\\', "/")
}

impl SessionHost {
    pub fn new(pages: Arc<Mutex<Pages>>, options: RunOptions, limits: CacheLimits) -> SessionHost {
        SessionHost {
            pages,
            sessions: Mutex::new(HashMap::new()),
            options,
            limits,
        }
    }

    /// Reads the lesson again and has its worker run it, cancelling the run in progress;
    /// `fresh` forgets its cached states (a data file changed).
    pub fn submit(&self, lp: &LessonPath, fresh: bool) {
        let href = href(lp);
        let saved_at = Instant::now();
        let lesson = load(&lp.path).map_err(|e| e.to_string());
        let generation = {
            let mut pages = lock(&self.pages);
            let before = pages.pages.get(&href).and_then(|p| p.lesson.as_ref().ok().map(|l| NavItem::of(&lp.rel, l)));
            let after = lesson.as_ref().ok().map(|l| NavItem::of(&lp.rel, l));
            if before.is_none() || before != after {
                // A lesson came or was renamed: every page's sidebar changes.
                pages.nav = None;
                for p in pages.pages.values_mut() {
                    p.html = None;
                }
                pages.hub.notify("*");
            }
            let page = pages.pages.entry(href.clone()).or_insert_with(|| Page {
                rel: lp.rel.clone(),
                lesson: Err(String::new()),
                run: LessonRun::default(),
                running: None,
                generation: 0,
                html: None,
                saved_at,
            });
            page.generation += 1;
            page.saved_at = saved_at;
            page.running = None;
            if let Ok(l) = &lesson
                && page.run.cells.len() != l.cells.len()
            {
                // Until the new runs arrive, cells keep their old outputs where they can.
                page.run.cells.resize(l.cells.len(), CellRun::default());
            }
            page.lesson = lesson.clone();
            let generation = page.generation;
            pages.changed(&href);
            generation
        };
        let Ok(lesson) = lesson else {
            if let Some((s, _)) = lock(&self.sessions).get(&lp.path) {
                s.cancel();
            }
            return;
        };
        let cells = CellSource::of(&lesson);
        let mut sessions = lock(&self.sessions);
        if sessions
            .get(&lp.path)
            .is_some_and(|(_, limit)| *limit != lesson.memory_limit)
        {
            sessions.remove(&lp.path);
        }
        if !sessions.contains_key(&lp.path) {
            let mut options = self.options.clone();
            if let Some(limit) = lesson.memory_limit {
                options.memory_limit = (limit > 0).then_some(limit);
            }
            match Session::start(lp.path.clone(), options, self.limits) {
                Ok(s) => {
                    sessions.insert(lp.path.clone(), (s, lesson.memory_limit));
                }
                Err(e) => {
                    (lock(&self.pages).log)(&format!(
                        "error: {}: cannot start its worker: {e}",
                        lp.path.display()
                    ));
                    return;
                }
            }
        }
        let pages = self.pages.clone();
        let path = lp.path.clone();
        if let Some((session, _)) = sessions.get(&lp.path) {
            session.submit(cells, fresh, move |e| {
                on_event(&pages, &href, generation, &path, e)
            });
        }
    }

    pub fn remove(&self, lp: &LessonPath) {
        lock(&self.sessions).remove(&lp.path);
        let mut pages = lock(&self.pages);
        pages.pages.remove(&href(lp));
        pages.nav = None;
        for p in pages.pages.values_mut() {
            p.html = None;
        }
        pages.hub.notify("*");
    }
}

fn on_event(pages: &Mutex<Pages>, href: &str, generation: u64, path: &Path, e: Event) {
    let mut pages = lock(pages);
    let Some(page) = pages.pages.get_mut(href) else {
        return;
    };
    if page.generation != generation {
        return;
    }
    let n = page.run.cells.len();
    match e {
        Event::Started { cell } if cell < n => {
            page.running = Some((cell, Instant::now()));
            page.run.cells[cell] = CellRun::default();
        }
        Event::Progress { cell, items, .. } if cell < n => page.run.cells[cell].items = items,
        Event::CellDone { cell, run, reused } if cell < n => {
            if page.running.is_some_and(|(i, _)| i == cell) {
                page.running = None;
            }
            page.run.cells[cell] = run;
            if reused {
                // Reused cells arrive in a burst; the page changes once, at Finished or the
                // first cell that runs.
                return;
            }
        }
        Event::Finished { run, first_run, .. } => {
            page.running = None;
            let took = page.saved_at.elapsed().as_millis();
            let what = match first_run {
                None => "no cell re-ran".to_string(),
                Some(k) => format!("cells {}..{} re-ran", k + 1, run.cells.len()),
            };
            let differ: Vec<String> = match &page.lesson {
                Ok(lesson) => {
                    let report = check_lesson(lesson, &run);
                    report
                        .cells
                        .iter()
                        .zip(&lesson.cells)
                        .filter(|(r, _)| r.status.is_failure())
                        .map(|(_, c)| format!("{}:{}", path.display(), c.line))
                        .collect()
                }
                Err(_) => Vec::new(),
            };
            page.run = run;
            let mut line = format!("updated {} in {took} ms ({what})", path.display());
            if !differ.is_empty() {
                line.push_str(&format!("; differ from expected: {}", differ.join(", ")));
            }
            (pages.log)(&line);
        }
        Event::Cancelled => return,
        _ => return,
    }
    pages.changed(href);
}
