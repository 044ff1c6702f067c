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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_pages_that_are_gone_are_removed() {
        let dir = std::env::temp_dir().join(format!("lessonrun-manifest-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        for f in ["a.html", "sub/b.html", "mine.html", "keep.html"] {
            std::fs::write(dir.join(f), "x").unwrap();
        }
        let set = |v: &[&str]| v.iter().map(PathBuf::from).collect::<BTreeSet<_>>();
        assert!(
            prune(&dir, &set(&["a.html", "sub/b.html", "keep.html"]))
                .unwrap()
                .is_empty()
        );
        std::fs::write(
            dir.join(MANIFEST),
            "a.html\nsub/b.html\nkeep.html\n../outside.html\nmine.css\n",
        )
        .unwrap();
        let removed = prune(&dir, &set(&["keep.html"])).unwrap();
        assert_eq!(
            removed,
            vec![PathBuf::from("a.html"), PathBuf::from("sub/b.html")]
        );
        assert!(!dir.join("a.html").exists() && !dir.join("sub/b.html").exists());
        assert!(dir.join("mine.html").exists() && dir.join("keep.html").exists());
        assert_eq!(
            std::fs::read_to_string(dir.join(MANIFEST)).unwrap(),
            "keep.html\n"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
