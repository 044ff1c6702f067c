//! Unit tests of `render::safe_html`.

use lessonrun::render::safe_html::*;
use pulldown_cmark::{Event, Tag, TagEnd};

#[test]
fn schemes() {
    for ok in [
        "https://a.org/x",
        "x.html",
        "#top",
        "../a/b:c.html",
        "mailto:a@b.c",
        "?q=a:b",
    ] {
        assert!(is_plain_url(ok), "{ok}");
    }
    for bad in [
        "javascript:alert(1)",
        " JavaScript:x",
        "java\tscript:x",
        "data:text/html,<b>",
        "vbscript:x",
        "\u{1}javascript:x",
    ] {
        assert!(!is_plain_url(bad), "{bad:?}");
    }
}
