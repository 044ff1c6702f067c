//! Finding cells and expected outputs in a lesson's Markdown (the one pulldown-cmark entry point).

use pulldown_cmark::{CodeBlockKind, Event, MetadataBlockKind, Options, Parser, Tag, TagEnd};

use super::{Cell, CellOptions, CompareOptions, Expected, ExpectedStyle, Lesson, LessonError, PageMeta};
use crate::source::{SourceFile, Span};

/// The pulldown-cmark options every part of lessonrun reads lessons with, so that the renderer
/// and the parser agree on what is a code block.
pub fn markdown_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_MATH
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_GFM
}

/// A fenced block as found in the file.
struct Fence {
    info: String,
    /// Opening fence line start to closing fence line end.
    block: Span,
    body: Span,
    /// Byte offset of the info string's first character.
    info_at: usize,
    indent: usize,
    /// Whether a closing fence line ends the block (CommonMark also ends one at the end of the
    /// file or of its container).
    closed: bool,
}

/// Splits a lesson into cells. Never fails: problems that do not stop a lesson from running are
/// returned as warnings; malformed options are reported and the option ignored.
pub fn parse(source: SourceFile) -> Lesson {
    let (front_matter, fences) = scan(&source.text);
    let mut cells = Vec::new();
    let mut warnings = Vec::new();
    let (defaults, memory_limit, meta) =
        front_matter.map(|span| front_matter_options(&source.text, span, &mut warnings)).unwrap_or_default();
    let errors = structural_errors(&source.text, front_matter, &fences);
    let mut i = 0;
    while i < fences.len() {
        let f = &fences[i];
        i += 1;
        let mut words = f.info.split(|c: char| c.is_whitespace() || c == ',').filter(|w| !w.is_empty());
        let first = words.next();
        if first != Some("python") || f.indent > 3 {
            // Other spellings of Python are not cells (torch-oracle, the reference, runs only
            // `python`), but an author who wrote one most likely meant a cell: say so.
            if let Some(info @ ("py" | "py3" | "python3" | "Python" | "ipython" | "ipython3")) = first
                && f.indent <= 3
            {
                warnings.push(LessonError::NotACell { info: info.to_string(), span: word_span(&source.text, f.info_at, info) });
            }
            continue;
        }
        let mut options = CellOptions::default();
        for w in words {
            match w {
                "skip" => options.skip = true,
                "hide-code" | "hide_code" => options.hide_code = true,
                "hide-output" | "hide_output" => options.hide_output = true,
                _ => warnings.push(LessonError::UnknownCellOption {
                    option: w.to_string(),
                    span: word_span(&source.text, f.info_at, w),
                }),
            }
        }
        let line = source.line_col(f.block.start).line;
        let mut cell = Cell { line, fence: f.block, code: f.body, options, expected: None };

        // An ```output block right after the cell (only blank lines between) is its expectation.
        if let Some(next) = fences.get(i) {
            let gap = &source.text[f.block.end..next.block.start];
            let mut words = next.info.split_whitespace();
            if gap.trim().is_empty() && words.next() == Some("output") {
                let options = compare_options(&source.text, next.info_at, words, &defaults, &mut warnings);
                let text = source.text[next.body.range()].to_string();
                cell.expected = Some(Expected {
                    text,
                    style: ExpectedStyle::Block { block: next.block, body: next.body },
                    options,
                });
                i += 1;
            }
        }
        if cell.expected.is_none()
            && let Some((code_end, mut expected)) = seed_output(&source.text, f.body)
        {
            cell.code = Span::new(f.body.start, code_end);
            expected.options = defaults.clone();
            cell.expected = Some(expected);
        }
        cells.push(cell);
    }
    Lesson { source, cells, defaults, memory_limit, front_matter, meta, warnings, errors }
}

/// What makes the cells of a file ambiguous, so that running or blessing it would guess: a fence
/// never closed (a blessed output would land inside the code), front matter that is not closed or
/// that swallows a code block (its cells and options would silently vanish), CR-only line
/// endings (the whole file one line to the Markdown parser).
fn structural_errors(text: &str, front_matter: Option<Span>, fences: &[Fence]) -> Vec<LessonError> {
    let mut errors = Vec::new();
    if text.contains('\r') && !text.contains('\n') {
        errors.push(LessonError::CrLineEndings { span: Span::new(0, text.find('\r').unwrap_or(0)) });
        return errors;
    }
    let first_line = text.lines().next().unwrap_or("").trim_end();
    let opening = Span::new(0, first_line.len());
    match front_matter {
        Some(body) if text[body.range()].lines().any(|l| l.trim_start().starts_with("```") || l.trim_start().starts_with("~~~")) => {
            errors.push(LessonError::UnclosedFrontMatter { problem: "runs over a code block", span: opening })
        }
        None if first_line == "---" && text.lines().nth(1).is_some_and(looks_like_yaml_key) => {
            errors.push(LessonError::UnclosedFrontMatter { problem: "is never closed", span: opening })
        }
        _ => {}
    }
    for f in fences.iter().filter(|f| !f.closed) {
        let line = &text[f.block.start..];
        let line = line[..line.find('\n').unwrap_or(line.len())].trim_end();
        let marker = line.trim_start();
        let fence: String = marker.chars().take_while(|&c| c == marker.chars().next().unwrap_or('`')).collect();
        let until = if f.block.end >= text.len() { "the end of the file" } else { "the end of its list item or quote" };
        errors.push(LessonError::UnclosedFence { fence, until, span: Span::new(f.block.start, f.block.start + line.len()) });
    }
    errors
}

/// `key: value` (or `key:`) with a YAML-style key: the second line of front matter.
fn looks_like_yaml_key(line: &str) -> bool {
    line.split_once(':').is_some_and(|(key, rest)| {
        !key.is_empty()
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            && (rest.is_empty() || rest.starts_with([' ', '\t']))
    })
}

/// The body of the YAML front matter, if the lesson has one, and every fenced code block, in
/// order, with its spans. Blocks inside block quotes are skipped: their lines carry `>` markers,
/// so they are examples of lessons, not cells.
fn scan(text: &str) -> (Option<Span>, Vec<Fence>) {
    let mut out = Vec::new();
    let mut front_matter = None;
    let mut in_metadata = false;
    for (event, range) in Parser::new_ext(text, markdown_options()).into_offset_iter() {
        match &event {
            // pulldown-cmark also takes a `---` block further down for metadata; front matter
            // is only the one at the very top.
            Event::Start(Tag::MetadataBlock(MetadataBlockKind::YamlStyle)) if text[..range.start].trim_start_matches('\u{feff}').is_empty() => {
                in_metadata = true;
                front_matter = Some(Span::new(range.start, range.start));
            }
            Event::End(TagEnd::MetadataBlock(_)) => in_metadata = false,
            Event::Text(_) if in_metadata => {
                let text = Span::new(range.start, range.end);
                front_matter = Some(match front_matter {
                    Some(s) if s.start != s.end => s.to(text),
                    _ => text,
                });
            }
            _ => {}
        }
        let Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) = event else { continue };
        let line_start = text[..range.start].rfind('\n').map_or(0, |i| i + 1);
        let prefix = &text[line_start..range.start];
        if !prefix.chars().all(|c| c == ' ') {
            continue;
        }
        let opening_end = text[range.start..].find('\n').map_or(text.len(), |i| range.start + i + 1);
        let opening = &text[range.start..opening_end];
        let marker_len = opening.chars().take_while(|&c| c == '`' || c == '~').count();
        let info_at = range.start + marker_len + (opening[marker_len..].len() - opening[marker_len..].trim_start().len());
        // The block's range ends after its closing fence line (or at the end of the file when
        // the fence is never closed, which CommonMark allows).
        let mut block_end = range.end.max(opening_end);
        if text[block_end..].starts_with('\n') {
            block_end += 1;
        } else if text[block_end..].starts_with("\r\n") {
            block_end += 2;
        }
        let last_line_start = text[..block_end].trim_end_matches('\n').rfind('\n').map_or(0, |i| i + 1);
        let last_line = text[last_line_start..block_end].trim();
        let closed = last_line_start >= opening_end
            && last_line.len() >= marker_len
            && last_line.chars().all(|c| c == opening.as_bytes()[0] as char);
        let body_end = if closed { last_line_start } else { block_end };
        out.push(Fence {
            info: info.to_string(),
            block: Span::new(line_start, block_end),
            body: Span::new(opening_end, body_end.max(opening_end)),
            info_at,
            indent: prefix.len(),
            closed,
        });
    }
    (front_matter, out)
}

/// The lesson-wide options of a front matter block: one `key: value` per line, for the
/// comparison keys `tolerance`, `ellipsis`, `normalize-whitespace` and `ignore`, and
/// `memory-limit` (returned second), and the site's `title` and `order` (third). Other keys (an
/// author) belong to other tools and are left alone.
fn front_matter_options(text: &str, body: Span, warnings: &mut Vec<LessonError>) -> (CompareOptions, Option<u64>, PageMeta) {
    let mut options = CompareOptions::default();
    let mut memory_limit = None;
    let mut meta = PageMeta::default();
    let mut at = body.start;
    for line in text[body.range()].split_inclusive('\n') {
        let line_at = at;
        at += line.len();
        if let Some(title) = line.strip_prefix("title:") {
            // A title may hold ` #` ("Lesson #3"), so it is read before comments are cut.
            let title = title.trim().trim_matches(['"', '\'']).trim();
            meta.title = (!title.is_empty()).then(|| title.to_string());
            continue;
        }
        let content = line.split(" #").next().unwrap_or("").trim_end();
        if content.starts_with([' ', '\t', '#']) {
            continue;
        }
        let Some((key, value)) = content.split_once(':') else { continue };
        let (key, value) = (key.trim(), value.trim().trim_matches(['"', '\'']));
        let span = Span::new(line_at, line_at + content.len());
        let bad = |expected| LessonError::BadFrontMatter { key: key.to_string(), value: value.to_string(), expected, span };
        let flag = match key {
            "ellipsis" => &mut options.ellipsis,
            "normalize-whitespace" | "normalize_whitespace" => &mut options.normalize_whitespace,
            "ignore" => &mut options.ignore,
            "tolerance" => {
                match value.parse::<f64>() {
                    Ok(t) if t >= 0.0 && t.is_finite() => options.tolerance = Some(t),
                    _ => warnings.push(bad("write a relative tolerance such as 1e-6")),
                }
                continue;
            }
            "order" => {
                match value.parse::<f64>() {
                    Ok(n) if n.is_finite() => meta.order = Some(n),
                    _ => warnings.push(bad("write a number such as 3 or 2.5")),
                }
                continue;
            }
            "memory-limit" | "memory_limit" => {
                match parse_byte_size(value) {
                    Some(n) => memory_limit = Some(n),
                    None => warnings.push(bad("write a size such as 512MiB or 4GiB (0 or none: no limit)")),
                }
                continue;
            }
            _ => continue,
        };
        match value.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" => *flag = true,
            "false" | "no" | "off" => *flag = false,
            _ => warnings.push(bad("write true or false")),
        }
    }
    (options, memory_limit, meta)
}

/// A size in bytes as lessons and the command line write it: a number with an optional unit
/// (`B`, `KB`/`MB`/`GB` in powers of 1000, `KiB`/`MiB`/`GiB` in powers of 1024; `K`/`M`/`G`
/// alone mean the binary units), e.g. `512MiB`, `1.5 GiB`, `100000000`. `0` and `none` mean
/// no limit and give 0.
pub fn parse_byte_size(text: &str) -> Option<u64> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("none") {
        return Some(0);
    }
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, unit) = (t[..split].trim(), t[split..].trim());
    let n: f64 = number.parse().ok()?;
    let scale: f64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        "k" | "kib" => 1024.0,
        "m" | "mib" => 1024.0 * 1024.0,
        "g" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    let bytes = n * scale;
    (bytes.is_finite() && bytes >= 0.0 && bytes < u64::MAX as f64).then(|| bytes.round() as u64)
}

fn compare_options<'a>(
    text: &str,
    info_at: usize,
    words: impl Iterator<Item = &'a str>,
    defaults: &CompareOptions,
    warnings: &mut Vec<LessonError>,
) -> CompareOptions {
    let mut options = defaults.clone();
    for w in words {
        let span = word_span(text, info_at, w);
        match w {
            "ellipsis" => {
                options.ellipsis = true;
                continue;
            }
            "normalize-whitespace" => {
                options.normalize_whitespace = true;
                continue;
            }
            "ignore" => {
                options.ignore = true;
                continue;
            }
            _ => {}
        }
        match w.split_once('=') {
            Some(("tolerance", value)) => match value.parse::<f64>() {
                Ok(t) if t >= 0.0 && t.is_finite() => options.tolerance = Some(t),
                _ => warnings.push(LessonError::BadTolerance { value: value.to_string(), span }),
            },
            _ => warnings.push(LessonError::UnknownOutputOption { option: w.to_string(), span }),
        }
    }
    options
}

/// The span of `word` within the info string that starts at `info_at`.
fn word_span(text: &str, info_at: usize, word: &str) -> Span {
    let line_end = text[info_at..].find('\n').map_or(text.len(), |i| info_at + i);
    let start = text[info_at..line_end].find(word).map_or(info_at, |i| info_at + i);
    Span::new(start, start + word.len())
}

/// The seed's style of expected output: the cell's last statement is a bare triple-quoted
/// string whose first line is `output:` (after an optional line of dashes). Returns where the
/// code to run ends and the expectation.
fn seed_output(text: &str, body: Span) -> Option<(usize, Expected)> {
    let code = &text[body.range()];
    let trimmed = code.trim_end();
    let quote = ["\"\"\"", "'''"].into_iter().find(|q| trimmed.ends_with(q))?;
    // The opening quotes start a line of their own (a top-level statement).
    let close_at = trimmed.len() - 3;
    let mut open_at = None;
    let mut line_start = 0;
    for line in code[..close_at].split_inclusive('\n') {
        if line.starts_with(quote) {
            open_at = Some(line_start);
        }
        line_start += line.len();
    }
    let open_at = open_at?;
    if open_at == close_at {
        return None;
    }
    let inner = &code[open_at + 3..close_at];
    // Walk the header lines: blank lines, one line of dashes, then `output:`.
    let mut pos = 0;
    let mut seen_dashes = false;
    loop {
        let line_end = inner[pos..].find('\n').map_or(inner.len(), |i| pos + i + 1);
        let line = inner[pos..line_end].trim();
        if line.is_empty() && line_end < inner.len() {
        } else if !seen_dashes && !line.is_empty() && line.chars().all(|c| c == '-') {
            seen_dashes = true;
        } else if line == "output:" {
            pos = line_end;
            break;
        } else {
            return None;
        }
        pos = line_end;
    }
    let out_start = open_at + 3 + pos;
    let closing_inline = !code[..close_at].ends_with('\n');
    let mut expected = code[out_start..close_at].to_string();
    if closing_inline && !expected.is_empty() {
        expected.push('\n');
    }
    Some((
        body.start + open_at,
        Expected {
            text: expected,
            style: ExpectedStyle::SeedString {
                body: Span::new(body.start + out_start.min(close_at), body.start + close_at),
                closing_inline,
            },
            options: CompareOptions::default(),
        },
    ))
}
