//! A built site: one HTML page per lesson plus an index, kept up to date lesson by lesson.
//! `config` reads the site's config file, `nav` puts the lessons in reading order.

pub mod config;
pub mod nav;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use config::{ConfigError, SiteConfig};
use nav::NavItem;

use crate::check::{FileReport, Status, check_lesson};
use crate::diagnostic::{Diagnostic, Severity};
use crate::execute::{LessonRun, RunOptions, run_lesson};
use crate::lesson::{Lesson, LessonPath, load, write_atomic};
use crate::render::{IndexEntry, PageContext, RenderError, Renderer, SiteNav, lesson_title};

pub mod manifest;

#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Render(#[from] RenderError),
    /// Building one lesson's page failed: the lesson's path and why (reading it, rendering
    /// its page, writing the page).
    #[error("{}: {source}", path.display())]
    Lesson { path: PathBuf, source: Box<SiteError> },
    /// The lesson's Markdown is too ambiguous to build (see `Lesson::errors`): the rendered
    /// diagnostics, each at its `file:line:col`.
    #[error("{0}")]
    Malformed(String),
}

/// What building one lesson page found.
#[derive(Debug)]
pub struct PageOutcome {
    pub lesson: Lesson,
    pub run: LessonRun,
    pub report: FileReport,
    pub written: PathBuf,
}

/// An output folder and the index entries of the lessons built into it.
pub struct Site {
    out: PathBuf,
    renderer: Renderer,
    options: RunOptions,
    entries: BTreeMap<PathBuf, IndexEntry>,
    /// `--notebooks`: each page gets a notebook beside it (`REL.ipynb`) and links to it.
    notebooks: bool,
    config: SiteConfig,
    title: String,
    /// Every lesson of the site, by relative path (planned up front, so the first page built
    /// already lists the last).
    items: BTreeMap<PathBuf, NavItem>,
    /// The navigation of `items` in reading order, made again only after `items` changed.
    nav: Option<(Vec<PathBuf>, SiteNav)>,
}

/// The site's title when neither `--title` nor the config file names one.
pub const DEFAULT_TITLE: &str = "Lessons";

impl Site {
    pub fn new(out: &Path, templates: Option<&Path>, options: RunOptions) -> Result<Site, SiteError> {
        std::fs::create_dir_all(out)?;
        Ok(Site {
            out: out.to_path_buf(),
            renderer: Renderer::new(templates)?,
            options,
            entries: BTreeMap::new(),
            config: SiteConfig::default(),
            title: DEFAULT_TITLE.to_string(),
            items: BTreeMap::new(),
            nav: None,
            notebooks: false,
        })
    }

    /// The config file's settings; `title` (from `--title`) overrides its title.
    pub fn set_config(&mut self, config: SiteConfig, title: Option<String>) {
        self.title = title.or_else(|| config.title.clone()).unwrap_or_else(|| DEFAULT_TITLE.to_string());
        self.config = config;
        self.nav = None;
    }

    /// Reads every lesson's title and order before any is built, so that each page's sidebar
    /// and prev/next links know the whole site. Unreadable lessons are left to `build_lesson`
    /// to report.
    pub fn plan(&mut self, lessons: &[LessonPath]) {
        for lp in lessons {
            if let Ok(lesson) = load(&lp.path) {
                self.items.insert(lp.rel.clone(), NavItem::of(&lp.rel, &lesson));
            }
        }
        self.nav = None;
    }

    /// Swap in freshly loaded templates (watch mode, after a template was edited).
    pub fn reload_templates(&mut self, templates: Option<&Path>) -> Result<(), SiteError> {
        let safe = self.renderer.safe_html();
        self.renderer = Renderer::new(templates)?;
        self.renderer.set_safe_html(safe);
        Ok(())
    }

    /// `--safe-html`: pages escape raw HTML in prose and drop links that could run script.
    pub fn set_safe_html(&mut self, on: bool) {
        self.renderer.set_safe_html(on);
    }

    /// `--notebooks`: write each lesson's notebook beside its page, and link the page to it.
    pub fn set_notebooks(&mut self, on: bool) {
        self.notebooks = on;
    }

    /// Runs a lesson and writes its page, `rel` with `.md` replaced by `.html`.
    pub fn build_lesson(&mut self, lp: &LessonPath) -> Result<PageOutcome, SiteError> {
        // `load` names the path in its error already.
        let lesson = load(&lp.path)?;
        reject_malformed(&lesson)?;
        let run = run_lesson(&lesson, &self.options);
        self.write_run(lp, lesson, run)
    }

    /// Writes the page of a lesson already run (watch mode runs lessons on their own workers).
    /// Any error but a malformed lesson's (whose diagnostics carry `file:line:col`) names it.
    pub fn write_run(&mut self, lp: &LessonPath, lesson: Lesson, run: LessonRun) -> Result<PageOutcome, SiteError> {
        reject_malformed(&lesson)?;
        self.write_page(lp, lesson, run).map_err(|e| match e {
            SiteError::Malformed(_) | SiteError::Lesson { .. } => e,
            e => SiteError::Lesson { path: lp.path.clone(), source: Box::new(e) },
        })
    }

    fn write_page(&mut self, lp: &LessonPath, lesson: Lesson, run: LessonRun) -> Result<PageOutcome, SiteError> {
        let report = check_lesson(&lesson, &run);
        let rel_html = lp.rel.with_extension("html");
        let item = NavItem::of(&lp.rel, &lesson);
        if self.items.get(&lp.rel) != Some(&item) {
            self.items.insert(lp.rel.clone(), item);
            self.nav = None;
        }
        let href = url_path(&rel_html);
        let source_path = url_path(&lp.rel);
        let source_url = self.config.source_link(&source_path);
        // The notebook is written beside the page, so its href is its file name.
        let notebook_href = self.notebooks.then(|| url_path(Path::new(lp.rel.with_extension("ipynb").file_name().unwrap_or_default())));
        let (_, site_nav) = self.nav.get_or_insert_with(|| make_nav(&self.items, &self.config));
        let page = PageContext {
            site_title: &self.title,
            nav: site_nav,
            href: &href,
            source_path: &source_path,
            source_url: source_url.as_deref(),
            notebook_href: notebook_href.as_deref(),
        };
        let html = self.renderer.lesson_page(&lesson, &run, &report, &page)?;
        let written = self.out.join(&rel_html);
        if let Some(dir) = written.parent() {
            std::fs::create_dir_all(dir)?;
        }
        write_page_file(&written, &html)?;
        if self.notebooks {
            write_page_file(&self.out.join(lp.rel.with_extension("ipynb")), &crate::notebook::notebook_json(&lesson, &run))?;
        }
        self.entries.insert(
            lp.rel.clone(),
            IndexEntry {
                title: lesson_title(&lesson),
                href: url_path(&rel_html),
                passed: report.count(|s| s == Status::Pass),
                failed: report.count(Status::is_failure),
            },
        );
        Ok(PageOutcome { lesson, run, report, written })
    }

    /// Lists a page another process wrote (`build`'s worker) in the index.
    pub fn add_entry(&mut self, rel: &Path, entry: IndexEntry) {
        self.entries.insert(rel.to_path_buf(), entry);
    }

    /// The index entry of the page written for `rel`, if any.
    pub fn entry(&self, rel: &Path) -> Option<&IndexEntry> {
        self.entries.get(rel)
    }

    pub fn remove_lesson(&mut self, rel: &Path) {
        self.entries.remove(rel);
        self.items.remove(rel);
        self.nav = None;
        let _ = std::fs::remove_file(self.out.join(rel.with_extension("html")));
        if self.notebooks {
            let _ = std::fs::remove_file(self.out.join(rel.with_extension("ipynb")));
        }
    }

    /// Removes the pages an earlier build wrote for lessons not among `present` (relative lesson
    /// paths), and records the pages of `present` for the next build; the pages removed.
    pub fn prune_gone(&self, present: &[&Path]) -> Result<Vec<PathBuf>, SiteError> {
        let current = present.iter().map(|rel| rel.with_extension("html")).collect();
        Ok(manifest::prune(&self.out, &current)?)
    }

    /// Writes index.html listing every lesson built so far, in reading order.
    pub fn write_index(&mut self) -> Result<PathBuf, SiteError> {
        let order = self.nav.get_or_insert_with(|| make_nav(&self.items, &self.config)).0.clone();
        let entries: Vec<IndexEntry> = order.iter().filter_map(|rel| self.entries.get(rel).cloned()).collect();
        let html = self.renderer.index_page(&self.title, &entries)?;
        let path = self.out.join("index.html");
        write_atomic(&path, &html)?;
        Ok(path)
    }
}

/// The lessons in reading order, as relative paths, and their navigation.
fn make_nav(items: &BTreeMap<PathBuf, NavItem>, config: &SiteConfig) -> (Vec<PathBuf>, SiteNav) {
    let mut items: Vec<NavItem> = items.values().cloned().collect();
    nav::sort(&mut items, config);
    (items.iter().map(|i| i.rel.clone()).collect(), nav::site_nav(&items))
}

/// A relative file path as a relative URL: every component percent-encoded, so that a lesson
/// named `javascript:x.md` links to `javascript%3Ax.html`, a file, not a script.
pub fn url_path(rel: &Path) -> String {
    let mut out = String::new();
    for (i, part) in rel.components().enumerate() {
        if i > 0 {
            out.push('/');
        }
        for b in part.as_os_str().to_string_lossy().bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// Runs a lesson and compares it with its expectations.
/// Runs a lesson and checks it: what a page shows (tests compare the two with `check`).
pub fn evaluate(lesson: &Lesson, options: &RunOptions) -> (LessonRun, FileReport) {
    let run = run_lesson(lesson, options);
    let report = check_lesson(lesson, &run);
    (run, report)
}

/// A lesson with structural errors (an unclosed fence, say) is never run nor rendered.
fn reject_malformed(lesson: &Lesson) -> Result<(), SiteError> {
    if lesson.errors.is_empty() {
        return Ok(());
    }
    let rendered = lesson.errors.iter().map(|e| {
        Diagnostic { severity: Severity::Error, message: e.to_string(), span: e.span(), notes: vec![] }.render(&lesson.source)
    });
    Err(SiteError::Malformed(rendered.collect()))
}

/// Writes an output file, its path in the error (the lesson's comes from `write_run`).
fn write_page_file(path: &Path, contents: &str) -> std::io::Result<()> {
    write_atomic(path, contents).map_err(|e| std::io::Error::new(e.kind(), format!("cannot write {}: {e}", path.display())))
}
