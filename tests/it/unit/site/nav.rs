//! Unit tests of `site::nav`.

use lessonrun::site::nav::*;
use std::cmp::Ordering;
use std::path::{Path, PathBuf};
use lessonrun::site::config::SiteConfig;
use lessonrun::site::url_path;
use lessonrun::lesson::Lesson;
use lessonrun::render::{NavLink, SiteNav, lesson_title};

fn item(rel: &str, order: Option<f64>) -> NavItem {
    NavItem { rel: rel.into(), title: rel.into(), order }
}

#[test]
fn config_then_front_matter_then_file_name() {
    let config = SiteConfig { order: vec!["z.md".into(), "m.md".into()], ..Default::default() };
    let mut items =
        vec![item("b.md", None), item("a.md", None), item("m.md", Some(1.0)), item("y.md", Some(2.0)), item("x.md", Some(1.5)), item("z.md", None)];
    sort(&mut items, &config);
    let rels: Vec<_> = items.iter().map(|i| i.rel.to_str().unwrap()).collect();
    assert_eq!(rels, ["z.md", "m.md", "x.md", "y.md", "a.md", "b.md"]);
    assert_eq!(item("dir/a b.md", None).href(), "dir/a%20b.html");
}
