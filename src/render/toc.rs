//! Heading ids, their anchor links and the page's table of contents.
//!
//! Ids are slugs of the heading's text as GitHub makes them (lower case, spaces to `-`,
//! punctuation dropped), so a link to `#training-loop` keeps working when prose around it
//! changes; a repeated slug gets `-1`, `-2`, ... in document order. A heading that already
//! carries an id keeps it as its base.

use std::collections::HashMap;

use pulldown_cmark::{CowStr, Event, Tag, TagEnd};
use serde::Serialize;

/// One entry of the table of contents.
#[derive(Clone, Debug, Serialize)]
pub struct TocEntry {
    /// 1 for `#`, 2 for `##`, ...
    pub level: u8,
    pub id: String,
    /// The heading's text (plain, unescaped).
    pub text: String,
}

/// The slug of a heading's text.
pub fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.trim().chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() || c == '_' || c == '-' {
            out.push(c);
        } else if c.is_whitespace() {
            out.push('-');
        }
    }
    if out.is_empty() { "section".to_string() } else { out }
}

/// Gives every heading an id and an anchor link, and returns the headings in order.
pub fn add_heading_ids(events: &mut Vec<Event<'_>>) -> Vec<TocEntry> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut toc = Vec::new();
    let mut i = 0;
    while i < events.len() {
        let Event::Start(Tag::Heading { level, .. }) = &events[i] else {
            i += 1;
            continue;
        };
        let level = *level;
        let end = (i..events.len()).find(|&j| matches!(events[j], Event::End(TagEnd::Heading(_)))).unwrap_or(events.len());
        let text: String = events[i + 1..end]
            .iter()
            .filter_map(|e| match e {
                Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
                _ => None,
            })
            .collect();
        let base = match &events[i] {
            Event::Start(Tag::Heading { id: Some(id), .. }) => id.to_string(),
            _ => slug(&text),
        };
        let id = match seen.get_mut(&base) {
            Some(n) => {
                *n += 1;
                format!("{base}-{n}")
            }
            None => {
                seen.insert(base.clone(), 0);
                base
            }
        };
        if let Event::Start(Tag::Heading { id: slot, .. }) = &mut events[i] {
            *slot = Some(CowStr::from(id.clone()));
        }
        let anchor = format!(
            "<a class=\"anchor\" href=\"#{}\" aria-label=\"Link to this section\">#</a>",
            super::escape_html(&id)
        );
        events.insert(end, Event::InlineHtml(anchor.into()));
        toc.push(TocEntry { level: level as u8, id, text: text.trim().to_string() });
        i = end + 2;
    }
    toc
}
