//! Prose made readable: block quotes that open with a bold **Note**, **Tip**, **Important**,
//! **Warning** or **Caution** (or GitHub's `> [!NOTE]`) become admonitions, and a failing cell's
//! diff becomes HTML.

use pulldown_cmark::{BlockQuoteKind, Event, Tag, TagEnd};

use crate::check::{Hunk, LineTag};

const KINDS: &[&str] = &["note", "tip", "important", "warning", "caution"];

/// Rewrites block quotes that are admonitions into `<blockquote class="admonition KIND">`.
pub fn admonitions(events: &mut [Event<'_>]) {
    // Each open block quote's admonition kind, so its end closes what its start opened.
    let mut open: Vec<bool> = Vec::new();
    for i in 0..events.len() {
        match &events[i] {
            Event::Start(Tag::BlockQuote(kind)) => {
                let kind = match kind {
                    Some(k) => Some(gfm_kind(*k)),
                    None => bold_kind(&events[i + 1..]),
                };
                open.push(kind.is_some());
                if let Some(k) = kind {
                    events[i] = Event::Html(format!("<blockquote class=\"admonition {k}\">\n").into());
                }
            }
            Event::End(TagEnd::BlockQuote(_))
                if open.pop().unwrap_or(false) => {
                    events[i] = Event::Html("</blockquote>\n".into());
                }
            _ => {}
        }
    }
}

fn gfm_kind(k: BlockQuoteKind) -> &'static str {
    match k {
        BlockQuoteKind::Note => "note",
        BlockQuoteKind::Tip => "tip",
        BlockQuoteKind::Important => "important",
        BlockQuoteKind::Warning => "warning",
        BlockQuoteKind::Caution => "caution",
    }
}

/// `> **Note**` or `> **Note:** text`: the quote's first paragraph opens with a bold kind word.
fn bold_kind(rest: &[Event<'_>]) -> Option<&'static str> {
    let [Event::Start(Tag::Paragraph), Event::Start(Tag::Strong), Event::Text(word), ..] = rest else { return None };
    let word = word.trim().trim_end_matches(':').to_ascii_lowercase();
    KINDS.iter().find(|k| **k == word).copied()
}

/// A diff as HTML lines: `-` lines (expected) and `+` lines (this run), the characters that
/// changed within a line marked.
pub fn diff_html(hunks: &[Hunk]) -> String {
    let mut out = String::new();
    for h in hunks {
        // Each line is a block-level span: a newline after it would add an empty line.
        out.push_str(&format!("<span class=\"diff-hunk\">{}</span>", super::escape_html(&h.header)));
        for line in &h.lines {
            let (class, sign) = match line.tag {
                LineTag::Removed => ("diff-del", '-'),
                LineTag::Added => ("diff-ins", '+'),
                LineTag::Context => ("diff-eq", ' '),
            };
            out.push_str(&format!("<span class=\"{class}\">{sign}"));
            for (changed, text) in &line.segments {
                let text = super::escape_html(text);
                if *changed {
                    out.push_str(&format!("<mark>{text}</mark>"));
                } else {
                    out.push_str(&text);
                }
            }
            out.push_str("</span>");
        }
    }
    out
}
