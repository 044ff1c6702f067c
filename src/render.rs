//! HTML pages from lessons and their runs, through minijinja templates.
//!
//! Prose goes through pulldown-cmark in one pass over the whole lesson (so links, lists and
//! footnotes behave as in any Markdown renderer); each cell's fenced block is replaced by the
//! `cell.html` template filled with its code and the outputs it actually produced, and its
//! expected-output block is dropped (the reader sees what ran, not what was hoped for; a cell
//! whose output differs shows the expectation and the diff beside it).
//!
//! Around the prose: `toc` gives headings ids and lists them, `prose` turns quotes into
//! admonitions, `math_tex` readies display math for math-core, `nav` is the site around the page.

pub mod math_tex;
mod nav;
pub mod prose;
pub mod safe_html;
pub mod toc;

pub use nav::{NavLink, PageContext, SiteNav};
pub use toc::{TocEntry, slug};

use std::path::Path;

use minijinja::{Environment, Value, context};
use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Parser, Tag, TagEnd};
use serde::Serialize;

use crate::check::{FileReport, Status};
use crate::execute::{LessonRun, OutputItem};
use crate::lesson::{ExpectedStyle, Lesson, markdown_options};

/// The default templates, compiled in so the binary works on its own.
const DEFAULT_TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("lesson.html", include_str!("../templates/lesson.html")),
    ("cell.html", include_str!("../templates/cell.html")),
    ("index.html", include_str!("../templates/index.html")),
];

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("cannot read template {path}: {source}")]
    ReadTemplate { path: String, source: std::io::Error },
    #[error("template error: {0:#}")]
    Template(#[from] minijinja::Error),
}

pub type Result<T> = std::result::Result<T, RenderError>;

/// One entry of the index page (also what `build`'s worker process reports of a page).
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct IndexEntry {
    pub title: String,
    pub href: String,
    pub passed: usize,
    pub failed: usize,
}

#[derive(Serialize)]
struct CellView<'a> {
    line: usize,
    /// The code as highlighted HTML (already escaped).
    code_html: String,
    skipped: bool,
    status: Status,
    /// Whether the output differs from the lesson's (fail, error, missing).
    failed: bool,
    /// The label a failing cell carries.
    label: &'static str,
    /// `hide-code`, `hide-output` cell options.
    hide_code: bool,
    hide_output: bool,
    items: Vec<ItemView<'a>>,
    /// The lesson's expected output, shown beside a failing cell's.
    expected: Option<&'a str>,
    /// The diff expected → actual as HTML (escaped), for a failing cell with an expectation.
    diff_html: String,
}

#[derive(Serialize)]
struct ItemView<'a> {
    kind: &'static str,
    /// The text, or for a figure its SVG (made here, so already safe markup).
    text: std::borrow::Cow<'a, str>,
}

pub struct Renderer {
    env: Environment<'static>,
    /// LaTeX to MathML at build time: pages need no script or font download to show math.
    math: Option<math_core::LatexToMathML>,
    /// `--safe-html`: prose is untrusted (see `safe_html`).
    safe_html: bool,
}

impl Renderer {
    /// Templates from `dir` where it has them, the built-in ones otherwise.
    pub fn new(dir: Option<&Path>) -> Result<Renderer> {
        let mut env = Environment::new();
        // minijinja's HTML escaping also escapes `/`, which makes `dy/da` unreadable in the
        // page source; `&`, `<`, `>` and quotes are all HTML needs escaped in text and attributes.
        env.set_formatter(|out, state, value| match value.as_str() {
            Some(s) if !value.is_safe() && matches!(state.auto_escape(), minijinja::AutoEscape::Html) => {
                out.write_str(&escape_html(s)).map_err(|e| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string()))
            }
            _ => minijinja::escape_formatter(out, state, value),
        });
        for (name, default) in DEFAULT_TEMPLATES {
            let source = match dir.map(|d| d.join(name)).filter(|p| p.exists()) {
                Some(path) => std::fs::read_to_string(&path)
                    .map_err(|source| RenderError::ReadTemplate { path: path.display().to_string(), source })?,
                None => default.to_string(),
            };
            env.add_template_owned(name.to_string(), source)?;
        }
        let math = math_core::LatexToMathML::new(math_core::MathCoreConfig::default()).ok();
        Ok(Renderer { env, math, safe_html: false })
    }

    /// Whether raw HTML in prose is escaped and links that could run script are dropped.
    pub fn set_safe_html(&mut self, on: bool) {
        self.safe_html = on;
    }

    pub fn safe_html(&self) -> bool {
        self.safe_html
    }

    /// The HTML page of one lesson, placed in its site by `page`.
    pub fn lesson_page(&self, lesson: &Lesson, run: &LessonRun, report: &FileReport, page: &PageContext<'_>) -> Result<String> {
        let cell_tmpl = self.env.get_template("cell.html")?;
        let mut events = Vec::new();
        let mut skipping = false;
        let mut prose = safe_html::ProseFilter::default();
        for (event, range) in Parser::new_ext(&lesson.source.text, markdown_options()).into_offset_iter() {
            if skipping {
                skipping = !matches!(event, Event::End(TagEnd::CodeBlock));
                continue;
            }
            let Some(event) = (if self.safe_html { prose.filter(event) } else { Some(event) }) else { continue };
            if let Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(_))) = &event {
                let inside = |s: crate::source::Span| s.start <= range.start && range.start < s.end;
                if let Some(i) = lesson.cells.iter().position(|c| inside(c.fence)) {
                    let html = cell_tmpl.render(ser(cell_view(lesson, run, report, i)))?;
                    events.push(Event::Html(html.into()));
                    skipping = true;
                    continue;
                }
                let is_expected = lesson.cells.iter().any(|c| {
                    matches!(c.expected.as_ref().map(|e| &e.style), Some(ExpectedStyle::Block { block, .. }) if inside(*block))
                });
                if is_expected {
                    skipping = true;
                    continue;
                }
            }
            events.push(match event {
                Event::InlineMath(tex) => self.math_html(&tex, false).map_or(Event::InlineMath(tex), |h| Event::InlineHtml(h.into())),
                Event::DisplayMath(tex) => self.math_html(&tex, true).map_or(Event::DisplayMath(tex), |h| Event::InlineHtml(h.into())),
                other => other,
            });
        }
        let toc = toc::add_heading_ids(&mut events);
        prose::admonitions(&mut events);
        let mut body = String::new();
        pulldown_cmark::html::push_html(&mut body, events.into_iter());
        let root = page.root();
        let (prev, next) = page.nav.neighbours(page.href, &root);
        let differ: Vec<_> = lesson
            .cells
            .iter()
            .zip(&report.cells)
            .filter(|(_, r)| r.status.is_failure())
            .map(|(c, r)| context! { line => c.line, status => ser(r.status) })
            .collect();
        Ok(self.env.get_template("lesson.html")?.render(context! {
            title => lesson_title(lesson),
            site_title => page.site_title,
            path => page.source_path,
            source_url => page.source_url,
            notebook_href => page.notebook_href,
            body => Value::from_safe_string(body),
            toc => ser(&toc),
            headings => ser(toc.iter().filter(|h| (2..=3).contains(&h.level)).collect::<Vec<_>>()),
            nav => page.nav.value(),
            sidebar => Value::from_safe_string(page.nav.sidebar_html(page.href, &root)),
            href => page.href,
            root => &root,
            index_href => format!("{root}index.html"),
            prev => ser(prev),
            next => ser(next),
            passed => report.count(|s| s == Status::Pass),
            failed => report.count(Status::is_failure),
            differ => differ,
        })?)
    }

    /// MathML for a formula, or None to leave it as LaTeX source (pulldown-cmark then writes it
    /// escaped inside `<span class="math ...">`, which a page script could still typeset).
    fn math_html(&self, tex: &str, display: bool) -> Option<String> {
        let mode = if display { math_core::MathDisplay::Block } else { math_core::MathDisplay::Inline };
        let tex = if display { std::borrow::Cow::Owned(math_tex::prepare_display(tex)) } else { std::borrow::Cow::Borrowed(tex) };
        let mathml = self.math.as_ref()?.convert_with_local_state(&tex, mode).ok()?.mathml;
        Some(if display { format!("<span class=\"math-display\">{mathml}</span>") } else { mathml })
    }

    /// The index page: `entries` in reading order, under the site's title.
    pub fn index_page(&self, site_title: &str, entries: &[IndexEntry]) -> Result<String> {
        Ok(self.env.get_template("index.html")?.render(context! {
            title => site_title,
            site_title => site_title,
            lessons => ser(entries),
        })?)
    }
}

fn cell_view<'a>(lesson: &'a Lesson, run: &'a LessonRun, report: &FileReport, i: usize) -> CellView<'a> {
    let cell = &lesson.cells[i];
    let cr = &run.cells[i];
    let items = cr
        .items
        .iter()
        .enumerate()
        .map(|(k, item)| match item {
            OutputItem::Text(t) => ItemView { kind: "text", text: t.into() },
            OutputItem::Error(e) => ItemView { kind: "error", text: (&e.last_line).into() },
            OutputItem::Figure(f) => ItemView { kind: "figure", text: crate::plot::svg::render(f, &format!("fig{}-{k}", cell.line)).into() },
        })
        .collect();
    let cell_report = &report.cells[i];
    let failed = cell_report.status.is_failure();
    let label = match cell_report.status {
        Status::Fail => "output differs from the expected output",
        Status::Error => "raised an error the lesson does not expect",
        Status::Missing => "no expected output",
        _ => "",
    };
    CellView {
        line: cell.line,
        code_html: crate::highlight::highlight_python(lesson.code(cell).trim_end_matches('\n')),
        skipped: cr.skipped,
        status: cell_report.status,
        failed,
        label,
        hide_code: cell.options.hide_code,
        // A failing cell always shows what it printed: hiding it would hide the failure.
        hide_output: cell.options.hide_output && !failed,
        items,
        expected: cell.expected.as_ref().filter(|_| failed).map(|e| e.text.as_str()),
        diff_html: if failed { prose::diff_html(&cell_report.hunks) } else { String::new() },
    }
}

/// A serializable value as a template value.
fn ser<T: Serialize>(x: T) -> Value {
    Value::from(minijinja::value::Serde(x))
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The lesson's title: its front matter's `title:`, else the text of its first heading, else
/// its file name.
pub fn lesson_title(lesson: &Lesson) -> String {
    if let Some(title) = &lesson.meta.title {
        return title.clone();
    }
    let mut in_heading = false;
    let mut title = String::new();
    for event in Parser::new_ext(&lesson.source.text, markdown_options()) {
        match event {
            Event::Start(Tag::Heading { level: HeadingLevel::H1 | HeadingLevel::H2, .. }) => in_heading = true,
            Event::End(TagEnd::Heading(_)) if in_heading => break,
            Event::Text(t) | Event::Code(t) if in_heading => title.push_str(&t),
            _ => {}
        }
    }
    if title.trim().is_empty() {
        lesson.source.path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
    } else {
        title.trim().to_string()
    }
}
