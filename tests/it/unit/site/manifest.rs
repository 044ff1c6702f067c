//! Unit tests of `site::manifest`.

use lessonrun::site::manifest::*;
use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use lessonrun::lesson::write_atomic;

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
