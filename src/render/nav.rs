//! Where a page sits in its site, as templates see it: the lessons in reading order (the
//! sidebar), the previous and next lesson, the site's title and the link to the page's source.
//! The order itself is decided by `site::nav`; this is its rendering side.

use std::fmt::Write;

use minijinja::Value;
use serde::Serialize;

/// One lesson as the navigation names it. `href` is relative to the site's root.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NavLink {
    pub title: String,
    pub href: String,
}

/// Every lesson in reading order, with its template value made once (a site of 1,000 lessons
/// hands the same list to 1,000 pages).
#[derive(Clone, Debug)]
pub struct SiteNav {
    links: Vec<NavLink>,
    value: Value,
}

impl SiteNav {
    pub fn new(links: Vec<NavLink>) -> SiteNav {
        let value = super::ser(&links);
        SiteNav { links, value }
    }

    pub fn links(&self) -> &[NavLink] {
        &self.links
    }

    pub(super) fn value(&self) -> Value {
        self.value.clone()
    }

    /// The lessons before and after `href`, their hrefs relative to a page `root` deep.
    pub(super) fn neighbours(&self, href: &str, root: &str) -> (Option<NavLink>, Option<NavLink>) {
        let Some(i) = self.links.iter().position(|l| l.href == href) else { return (None, None) };
        let rel = |l: &NavLink| NavLink { title: l.title.clone(), href: format!("{root}{}", l.href) };
        (i.checked_sub(1).map(|p| rel(&self.links[p])), self.links.get(i + 1).map(rel))
    }

    /// The sidebar's list as HTML (built here rather than looped over in the template: this
    /// is the one part of a page that grows with the site).
    pub(super) fn sidebar_html(&self, href: &str, root: &str) -> String {
        let mut out = String::with_capacity(self.links.len() * 80 + 32);
        out.push_str("<ol class=\"lessons\">\n");
        for l in &self.links {
            let current = if l.href == href { " aria-current=\"page\"" } else { "" };
            let _ = writeln!(
                out,
                "<li><a href=\"{root}{}\"{current}>{}</a></li>",
                super::escape_html(&l.href),
                super::escape_html(&l.title)
            );
        }
        out.push_str("</ol>");
        out
    }
}

/// What a page needs to know of its site besides its lesson.
#[derive(Clone, Copy, Debug)]
pub struct PageContext<'a> {
    /// The site's title (config file or `--title`).
    pub site_title: &'a str,
    pub nav: &'a SiteNav,
    /// This page's href relative to the site's root (`dir/lesson.html`).
    pub href: &'a str,
    /// The lesson's path relative to the folder it was found in (never the build machine's).
    pub source_path: &'a str,
    /// The lesson's source in its repository, when the site's config names one.
    pub source_url: Option<&'a str>,
    /// The lesson's notebook beside the page, when one was written.
    pub notebook_href: Option<&'a str>,
}

impl PageContext<'_> {
    /// `../` once per folder the page is in: prefix of every root-relative href.
    pub fn root(&self) -> String {
        "../".repeat(self.href.matches('/').count())
    }
}
