//! Unit tests of `render::toc`.

use lessonrun::render::toc::*;
use std::collections::HashMap;
use pulldown_cmark::{CowStr, Event, Tag, TagEnd};
use serde::Serialize;
use pulldown_cmark::Parser;

#[test]
fn slugs_are_stable_and_deduplicated() {
    assert_eq!(slug("The Training Loop"), "the-training-loop");
    assert_eq!(slug("`nn.Linear`: a layer!"), "nnlinear-a-layer");
    assert_eq!(slug("Größe ändern"), "größe-ändern");
    assert_eq!(slug("???"), "section");
    let mut events: Vec<Event> = Parser::new("# A\n\n## Setup\n\ntext\n\n## Setup\n\n### Setup\n").collect();
    let toc = add_heading_ids(&mut events);
    let ids: Vec<&str> = toc.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["a", "setup", "setup-1", "setup-2"]);
    assert_eq!(toc.iter().map(|t| t.level).collect::<Vec<_>>(), [1, 2, 2, 3]);
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    assert!(html.contains("<h2 id=\"setup-1\">Setup<a class=\"anchor\" href=\"#setup-1\""), "{html}");
}
