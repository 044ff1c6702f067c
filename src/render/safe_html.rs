//! Prose from untrusted contributors made inert for `build --safe-html`: raw HTML is shown as
//! text, and links and images whose URL could run script or smuggle a document (`javascript:`,
//! `data:` and any scheme but a few plain ones) lose their URL and keep their text.

use pulldown_cmark::{Event, Tag, TagEnd};

/// Filters one lesson's prose events in document order (it tracks which links it dropped, so
/// their ends are dropped too).
#[derive(Default)]
pub struct ProseFilter {
    /// For each open link and image, whether its start was dropped.
    open_links: Vec<bool>,
    open_images: Vec<bool>,
}

impl ProseFilter {
    /// The event to render in place of `event`, or `None` to render nothing.
    pub fn filter<'a>(&mut self, event: Event<'a>) -> Option<Event<'a>> {
        match event {
            Event::Html(html) | Event::InlineHtml(html) => Some(Event::Text(html)),
            Event::Start(Tag::Link { ref dest_url, .. }) => {
                let drop = !is_plain_url(dest_url);
                self.open_links.push(drop);
                (!drop).then_some(event)
            }
            Event::Start(Tag::Image { ref dest_url, .. }) => {
                let drop = !is_plain_url(dest_url);
                self.open_images.push(drop);
                (!drop).then_some(event)
            }
            Event::End(TagEnd::Link) => (!self.open_links.pop().unwrap_or(false)).then_some(event),
            Event::End(TagEnd::Image) => {
                (!self.open_images.pop().unwrap_or(false)).then_some(event)
            }
            other => Some(other),
        }
    }
}

/// Whether a link target is relative or uses a scheme that only navigates (http, https, mailto,
/// tel, ftp). Browsers ignore leading spaces and control characters and tabs or newlines inside
/// a scheme, so those are ignored here too before the scheme is read.
pub fn is_plain_url(url: &str) -> bool {
    let cleaned: String = url
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let Some(colon) = cleaned.find(':') else {
        return true;
    };
    let scheme = &cleaned[..colon];
    if scheme.contains(['/', '?', '#']) {
        // The colon is in a path, query or fragment: a relative URL.
        return true;
    }
    matches!(
        scheme.to_ascii_lowercase().as_str(),
        "http" | "https" | "mailto" | "tel" | "ftp"
    )
}
