//! Unit tests of `render::prose`.

use lessonrun::render::prose::*;
use pulldown_cmark::{BlockQuoteKind, Event, Tag, TagEnd};
use lessonrun::check::{Hunk, LineTag};
use pulldown_cmark::{Options, Parser};

fn html(md: &str) -> String {
    let mut events: Vec<Event> = Parser::new_ext(md, Options::ENABLE_GFM).collect();
    admonitions(&mut events);
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, events.into_iter());
    out
}

#[test]
fn bold_and_gfm_admonitions() {
    assert!(html("> **Note**\n> Tensors share memory.\n").starts_with("<blockquote class=\"admonition note\">"));
    assert!(html("> **Warning:** in place.\n").starts_with("<blockquote class=\"admonition warning\">"));
    assert!(html("> [!TIP]\n> Try it.\n").starts_with("<blockquote class=\"admonition tip\">"));
    let plain = html("> **Bold** quote\n\n> > nested **Note**\n");
    assert!(!plain.contains("admonition"), "{plain}");
    assert_eq!(plain.matches("<blockquote").count(), plain.matches("</blockquote>").count());
}
