//! The reading order of a site's lessons: those the config's `order` lists first, in its order;
//! then those whose front matter has an `order`, by it; then the rest by file name (so
//! `01-tensors.md`, `02-autograd.md` need no config at all).

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use super::config::SiteConfig;
use super::url_path;
use crate::lesson::Lesson;
use crate::render::{NavLink, SiteNav, lesson_title};

/// A lesson as the navigation knows it.
#[derive(Clone, Debug, PartialEq)]
pub struct NavItem {
    /// Relative to the folder it was found in.
    pub rel: PathBuf,
    pub title: String,
    /// Front matter `order`.
    pub order: Option<f64>,
}

impl NavItem {
    pub fn of(rel: &Path, lesson: &Lesson) -> NavItem {
        NavItem { rel: rel.to_path_buf(), title: lesson_title(lesson), order: lesson.meta.order }
    }

    /// The page's href relative to the site's root.
    pub fn href(&self) -> String {
        url_path(&self.rel.with_extension("html"))
    }
}

/// Sorts `items` into reading order.
pub fn sort(items: &mut [NavItem], config: &SiteConfig) {
    let key = |i: &NavItem| match (config.position(&i.rel), i.order) {
        (Some(p), _) => (0, p as f64),
        (None, Some(o)) => (1, o),
        (None, None) => (2, 0.0),
    };
    items.sort_by(|a, b| {
        let (ka, kb) = (key(a), key(b));
        ka.0.cmp(&kb.0).then(ka.1.partial_cmp(&kb.1).unwrap_or(Ordering::Equal)).then_with(|| a.rel.cmp(&b.rel))
    });
}

/// The navigation of items already in order.
pub fn site_nav(items: &[NavItem]) -> SiteNav {
    SiteNav::new(items.iter().map(|i| NavLink { title: i.title.clone(), href: i.href() }).collect())
}
