//! The list of pages a build wrote (`.lessonrun-pages` in the output folder), so that the next
//! build can remove the pages of lessons that are gone without touching any other file there.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use crate::lesson::write_atomic;

/// The manifest's file name inside the output folder.
pub const MANIFEST: &str = ".lessonrun-pages";

/// Pages (relative `.html` paths) listed by the previous build in `out`; an unreadable or
/// missing manifest lists none, so a first build removes nothing.
fn previous(out: &Path) -> BTreeSet<PathBuf> {
    let Ok(text) = std::fs::read_to_string(out.join(MANIFEST)) else {
        return BTreeSet::new();
    };
    text.lines()
        .map(PathBuf::from)
        .filter(|p| is_page_path(p))
        .collect()
}

/// Only plain relative paths to `.html` files are ever removed: a hand-edited manifest cannot
/// point outside the output folder or at anything but a page.
fn is_page_path(rel: &Path) -> bool {
    rel.extension().is_some_and(|e| e == "html")
        && rel.components().all(|c| matches!(c, Component::Normal(_)))
        && rel != Path::new("index.html")
}

/// Removes the pages the previous build listed that `current` no longer has, then lists
/// `current`. Links and folders are left alone; the removed pages are returned.
pub fn prune(out: &Path, current: &BTreeSet<PathBuf>) -> std::io::Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    for rel in previous(out).difference(current) {
        let page = out.join(rel);
        if std::fs::symlink_metadata(&page).is_ok_and(|m| m.is_file()) {
            std::fs::remove_file(&page)?;
            removed.push(rel.clone());
        }
    }
    let mut text = String::new();
    for rel in current.iter().filter(|p| is_page_path(p)) {
        // A path that is not UTF-8 cannot be listed faithfully; its page is never pruned.
        if let Some(s) = rel.to_str().filter(|s| !s.contains('\n')) {
            text.push_str(s);
            text.push('\n');
        }
    }
    write_atomic(&out.join(MANIFEST), &text)?;
    Ok(removed)
}
