//! Unit tests of `site::config`.

use lessonrun::site::config::*;
use std::path::{Path, PathBuf};

#[test]
fn keys_strings_arrays_and_errors() {
    let c = SiteConfig::parse(
        "# the course\ntitle = \"Deep learning, #1\"  # comment\nsource_url = 'https://github.com/me/c/blob/main/lessons'\norder = [\n  \"intro.md\", # first\n  \"b/two.md\",\n]\n",
    )
    .unwrap();
    assert_eq!(c.title.as_deref(), Some("Deep learning, #1"));
    assert_eq!(c.order, ["intro.md", "b/two.md"]);
    assert_eq!(c.source_link("b/two.md").as_deref(), Some("https://github.com/me/c/blob/main/lessons/b/two.md"));
    assert_eq!(c.position(Path::new("b/two.md")), Some(1));
    assert_eq!(SiteConfig::parse("titel = \"x\"\n").unwrap_err().0, 1);
    assert_eq!(SiteConfig::parse("\ntitle = x\n").unwrap_err().0, 2);
    assert!(SiteConfig::parse("order = [\"a\"\n").is_err());
    assert!(SiteConfig::parse("order = [\"a\" \"b\"]\n").is_err());
    assert!(!c.safe_html);
    assert!(SiteConfig::parse("safe_html = true # prose from contributors\n").unwrap().safe_html);
    assert!(!SiteConfig::parse("safe_html = false\n").unwrap().safe_html);
    assert_eq!(SiteConfig::parse("\nsafe_html = \"yes\"\n").unwrap_err().0, 2);
    assert!(SiteConfig::parse("safe_html = True\n").is_err());
}
