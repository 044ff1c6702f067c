//! Comparing what cells printed with what the lesson expects, and blessing the difference.

use serde::{Deserialize, Serialize};
use similar::{ChangeTag, InlineChangeMode, InlineChangeOptions, TextDiff};

use crate::execute::LessonRun;
use crate::lesson::{Cell, CompareOptions, Edit, ExpectedStyle, Lesson, apply_edits, bless_edit};

pub mod tolerant;

/// How one cell fared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Output matches the expectation (or the cell printed nothing and expects nothing).
    Pass,
    /// Output differs from the expectation.
    Fail,
    /// Output differs and the cell ended in an uncaught exception.
    Error,
    /// The cell printed something but the lesson has no expected output for it.
    Missing,
    /// `skip` cell: not run.
    Skip,
    /// `ignore` option: run, output not compared.
    Ignored,
}

impl Status {
    pub fn is_failure(self) -> bool {
        matches!(self, Status::Fail | Status::Error | Status::Missing)
    }
}

/// The outcome of one cell.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CellReport {
    /// 1-based line of the cell's opening fence.
    pub line: usize,
    /// 1-based last line of the cell's expectation (or of the cell, when it has none).
    pub end_line: usize,
    pub status: Status,
    pub expected: Option<String>,
    pub actual: String,
    /// Unified diff expected → actual, for failing cells.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// The same diff as hunks with the changed characters of each line marked, for terminals.
    #[serde(skip)]
    pub hunks: Vec<Hunk>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub duration_ms: f64,
}

/// A warning about the lesson's Markdown, or the exception that ended a failing cell, at a
/// place in the file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FileDiagnostic {
    pub severity: Severity,
    pub message: String,
    pub line: usize,
    pub col: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// The outcome of one lesson file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FileReport {
    pub path: String,
    pub cells: Vec<CellReport>,
    /// Why the lesson could not be checked at all (unreadable, not UTF-8); then `cells` is empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub diagnostics: Vec<FileDiagnostic>,
    /// Wall-clock time of loading, running and comparing the lesson.
    pub duration_ms: f64,
}

impl FileReport {
    pub fn count(&self, pred: impl Fn(Status) -> bool) -> usize {
        self.cells.iter().filter(|c| pred(c.status)).count()
    }

    /// The report of a lesson that could not be loaded.
    pub fn unreadable(path: String, error: String) -> FileReport {
        FileReport { path, cells: Vec::new(), error: Some(error), diagnostics: Vec::new(), duration_ms: 0.0 }
    }

    /// Whether anything in the lesson failed: a cell, or the lesson itself.
    pub fn is_failure(&self) -> bool {
        self.error.is_some() || self.cells.iter().any(|c| c.status.is_failure())
    }
}

/// The options a cell's output is compared under: its expectation's, else the lesson's.
fn options_of<'a>(lesson: &'a Lesson, cell: &'a Cell) -> &'a CompareOptions {
    cell.expected.as_ref().map_or(&lesson.defaults, |e| &e.options)
}

/// Compares each cell of `lesson` with its run.
pub fn check_lesson(lesson: &Lesson, run: &LessonRun) -> FileReport {
    let path = lesson.source.path.display().to_string();
    let mut diagnostics: Vec<FileDiagnostic> = lesson
        .warnings
        .iter()
        .map(|w| {
            let at = lesson.source.line_col(w.span().start);
            FileDiagnostic { severity: Severity::Warning, message: w.to_string(), line: at.line, col: at.col }
        })
        .collect();
    let cells = lesson
        .cells
        .iter()
        .zip(&run.cells)
        .map(|(cell, cr)| {
            let actual = cr.text();
            let expected = cell.expected.as_ref();
            let options = options_of(lesson, cell);
            let status = if cr.skipped {
                Status::Skip
            } else if options.ignore {
                Status::Ignored
            } else {
                match expected {
                    Some(e) if outputs_match(&e.text, &actual, &e.options) => Status::Pass,
                    Some(_) if cr.error().is_some() => Status::Error,
                    Some(_) => Status::Fail,
                    None if actual.is_empty() => Status::Pass,
                    None => Status::Missing,
                }
            };
            let (mut diff, mut hunks) = (None, Vec::new());
            if status.is_failure() {
                let exp = expected.map_or("", |e| e.text.as_str());
                let act = normalized(&actual);
                diff = Some(unified_diff(exp, &act, &format!("{path}:{}", cell.line)));
                hunks = diff_hunks(exp, &act);
                if let Some(e) = cr.error() {
                    // An internal error has no place of its own: point at the cell.
                    let at = if e.span.end > 0 { lesson.source.line_col(e.span.start) } else { lesson.source.line_col(cell.fence.start) };
                    diagnostics.push(FileDiagnostic { severity: Severity::Error, message: e.last_line.clone(), line: at.line, col: at.col });
                }
            }
            let end = match expected.map(|e| &e.style) {
                Some(ExpectedStyle::Block { block, .. }) => block.end,
                _ => cell.fence.end,
            };
            CellReport {
                line: cell.line,
                end_line: lesson.source.line_col(end.saturating_sub(1).max(cell.fence.start)).line,
                status,
                expected: expected.map(|e| e.text.clone()),
                actual,
                diff,
                hunks,
                error: cr.error().map(|e| e.last_line.clone()),
                duration_ms: cr.duration.as_secs_f64() * 1e3,
            }
        })
        .collect();
    let duration_ms = run.cells.iter().map(|c| c.duration.as_secs_f64() * 1e3).sum();
    FileReport { path, cells, error: None, diagnostics, duration_ms }
}

/// The lesson's text with every selected expectation that no longer matches rewritten to the
/// actual output, or `None` when nothing changes. Matching cells (within their tolerance, or
/// their ellipses) and ignored cells are left alone, so blessing twice is a no-op and option
/// words on output blocks survive.
pub fn bless(lesson: &Lesson, run: &LessonRun, selected: impl Fn(usize) -> bool) -> Option<String> {
    let text = &lesson.source.text;
    let edits: Vec<Edit> = lesson
        .cells
        .iter()
        .zip(&run.cells)
        .enumerate()
        .filter(|(i, (cell, cr))| selected(*i) && !cr.skipped && !options_of(lesson, cell).ignore)
        .filter_map(|(_, (cell, cr))| {
            let actual = cr.text();
            let unchanged = match &cell.expected {
                Some(e) => outputs_match(&e.text, &actual, &e.options),
                None => actual.is_empty(),
            };
            if unchanged { None } else { bless_edit(text, cell, &actual) }
        })
        .collect();
    if edits.is_empty() { None } else { Some(apply_edits(text, &edits)) }
}

/// A cell's output as an expectation holds it: a final newline is implied, since an output
/// block always ends at a line.
fn normalized(actual: &str) -> String {
    if actual.is_empty() || actual.ends_with('\n') { actual.to_string() } else { format!("{actual}\n") }
}

/// Whether `actual` satisfies `expected` under `options`. Exact by default, except that a
/// memory address in a repr matches any address (see [`mask_addresses`]). `ignore` accepts
/// anything; otherwise both texts become tokens (see [`tokens`]) compared one for one, with
/// numbers within the tolerance, and an ellipsis in the expectation matching any run of tokens.
pub fn outputs_match(expected: &str, actual: &str, options: &CompareOptions) -> bool {
    if options.ignore {
        return true;
    }
    let actual = mask_addresses(&normalized(actual));
    let expected = mask_addresses(&expected.replace("\r\n", "\n"));
    if expected == actual {
        return true;
    }
    if options.is_exact() {
        return false;
    }
    let (e, a) = (tokens(&expected, options, true), tokens(&actual, options, false));
    let tol = options.tolerance.unwrap_or(0.0);
    let eq = |x: &Tok, y: &Tok| match (x, y) {
        (Tok::Num(x), Tok::Num(y)) => x == y || (x.is_nan() && y.is_nan()) || (x - y).abs() <= tol * x.abs().max(y.abs()),
        (Tok::Text(x), Tok::Text(y)) => x == y,
        (Tok::Space, Tok::Space) => true,
        _ => false,
    };
    wildcard_match(&e, &a, eq, options.tolerance)
}

/// Replaces the hex digits of every ` at 0x...` (the address CPython's default repr shows,
/// `<matplotlib.lines.Line2D object at 0x7f3a2c1d5e10>`) with `...`: addresses differ on every
/// run, in PyTorch too, so no expectation can hold one. An expectation already written as
/// `at 0x...` is left as it is.
pub fn mask_addresses(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(" at 0x") {
        let (head, tail) = rest.split_at(i + " at 0x".len());
        out.push_str(head);
        let digits = tail.bytes().take_while(u8::is_ascii_hexdigit).count();
        if digits > 0 {
            out.push_str("...");
        }
        rest = &tail[digits..];
    }
    out.push_str(rest);
    out
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Tok<'a> {
    /// One character, or with a tolerance one word (a run of text between whitespace and numbers).
    Text(&'a str),
    /// A run of whitespace (`normalize-whitespace`).
    Space,
    Num(f64),
    /// `...` in an expectation (`ellipsis`).
    Any,
}

/// Splits an output into the tokens it is compared by.
///
/// Without a tolerance, every character is a token, so an ellipsis can stand for part of a
/// word; `normalize-whitespace` turns each whitespace run into one `Space` and drops it at both
/// ends. With a tolerance, numbers (`-1.5e-3`, `2.`, `nan`) are tokens and the text between them
/// is a sequence of words with the whitespace dropped: printed tensors pad numbers to a common
/// width, so a tolerated change in one number may move spaces.
fn tokens<'a>(s: &'a str, options: &CompareOptions, is_expected: bool) -> Vec<Tok<'a>> {
    let ellipsis = options.ellipsis && is_expected;
    let numbers = options.tolerance.is_some();
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut word_start: Option<usize> = None;
    let mut i = 0;
    let flush = |out: &mut Vec<Tok<'a>>, start: &mut Option<usize>, end: usize| {
        if let Some(st) = start.take() {
            out.push(Tok::Text(&s[st..end]));
        }
    };
    while i < b.len() {
        if ellipsis && b[i..].starts_with(b"...") {
            flush(&mut out, &mut word_start, i);
            if out.last() != Some(&Tok::Any) {
                out.push(Tok::Any);
            }
            i += 3;
            continue;
        }
        if numbers {
            let prev_ident = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
            if let Some(len) = number_len(&b[i..]).filter(|_| !prev_ident)
                && let Ok(v) = s[i..i + len].parse::<f64>()
            {
                flush(&mut out, &mut word_start, i);
                out.push(Tok::Num(v));
                i += len;
                continue;
            }
        }
        let c = s[i..].chars().next().unwrap_or(' ');
        let len = c.len_utf8();
        if c.is_whitespace() && (numbers || options.normalize_whitespace) {
            flush(&mut out, &mut word_start, i);
            if !numbers && !out.is_empty() && out.last() != Some(&Tok::Space) {
                out.push(Tok::Space);
            }
        } else if numbers {
            word_start.get_or_insert(i);
        } else {
            out.push(Tok::Text(&s[i..i + len]));
        }
        i += len;
    }
    flush(&mut out, &mut word_start, b.len());
    if out.last() == Some(&Tok::Space) {
        out.pop();
    }
    out
}

/// Whether `pattern` (with `Any` wildcards) matches all of `text`.
///
/// The pattern is a sequence of segments separated by wildcards; the first is anchored at the
/// start, the last at the end, and each middle one is taken at its leftmost occurrence after the
/// previous one (any later occurrence leaves less text for the rest, so the leftmost is never
/// worse). Occurrences are found by Knuth–Morris–Pratt, so exact matching is linear in both
/// texts. Without a tolerance, tokens compare by equality (no `Num` tokens are made); with
/// one, `eq` is not an equivalence, and segments are found by KMP over token classes instead
/// (`tolerant`).
fn wildcard_match(pattern: &[Tok], text: &[Tok], eq: impl Fn(&Tok, &Tok) -> bool, tolerance: Option<f64>) -> bool {
    let segments: Vec<&[Tok]> = pattern.split(|t| *t == Tok::Any).collect();
    if segments.len() == 1 {
        return pattern.len() == text.len() && pattern.iter().zip(text).all(|(p, t)| eq(p, t));
    }
    let (first, last) = (segments[0], segments[segments.len() - 1]);
    if first.len() + last.len() > text.len()
        || !first.iter().zip(text).all(|(p, t)| eq(p, t))
        || !last.iter().zip(&text[text.len() - last.len()..]).all(|(p, t)| eq(p, t))
    {
        return false;
    }
    let (mut from, end) = (first.len(), text.len() - last.len());
    for seg in &segments[1..segments.len() - 1] {
        let found = match tolerance {
            None => find_kmp(seg, &text[from..end], &eq),
            Some(tol) => tolerant::find(seg, &text[from..end], tol, &eq),
        };
        match found {
            Some(at) => from += at + seg.len(),
            None => return false,
        }
    }
    true
}

/// The first position of `needle` in `hay` (Knuth–Morris–Pratt; `eq` an equivalence).
fn find_kmp(needle: &[Tok], hay: &[Tok], eq: &impl Fn(&Tok, &Tok) -> bool) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    // border[i]: the length of the longest proper prefix of needle[..=i] that is also its suffix.
    let mut border = vec![0usize; needle.len()];
    let mut k = 0;
    for i in 1..needle.len() {
        while k > 0 && !eq(&needle[i], &needle[k]) {
            k = border[k - 1];
        }
        if eq(&needle[i], &needle[k]) {
            k += 1;
        }
        border[i] = k;
    }
    let mut k = 0;
    for (i, t) in hay.iter().enumerate() {
        while k > 0 && !eq(&needle[k], t) {
            k = border[k - 1];
        }
        if eq(&needle[k], t) {
            k += 1;
        }
        if k == needle.len() {
            return Some(i + 1 - k);
        }
    }
    None
}

/// Length of a number starting at the beginning of `b`, if one does.
fn number_len(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    for word in [&b"nan"[..], b"inf"] {
        if b[i..].starts_with(word) && !b.get(i + 3).is_some_and(|c| c.is_ascii_alphanumeric()) {
            return Some(i + 3);
        }
    }
    let digits_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - digits_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    if int_digits == 0 && i - digits_start <= 1 {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'-' || b[j] == b'+') {
            j += 1;
        }
        let exp_start = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j > exp_start {
            i = j;
        }
    }
    Some(i)
}

/// A unified diff from expected to actual under a `file:line` header.
/// `check --engine both`: each cell is checked against its expectation as lessonrun ran it
/// and as PyTorch ran it, and also fails where the two engines printed different text (even
/// when both match through `ellipsis` or `tolerance`). The diff of such a cell is PyTorch's
/// output against lessonrun's; a cell that fails its expectation in PyTorch is marked so.
pub fn compare_engines(lesson: &Lesson, ours: &LessonRun, pytorch: &LessonRun) -> FileReport {
    let mut report = check_lesson(lesson, ours);
    let theirs = check_lesson(lesson, pytorch);
    for ((cell, mine), (pt, cr_pt)) in report.cells.iter_mut().zip(ours.cells.iter()).zip(theirs.cells.iter().zip(&pytorch.cells)) {
        let ours_text = mask_addresses(&normalized(&mine.text()));
        let pt_text = mask_addresses(&normalized(&cr_pt.text()));
        if cell.status == Status::Skip {
            continue;
        }
        if pt_text != ours_text {
            let location = format!("{}:{}", report.path, cell.line);
            let diff = TextDiff::from_lines(&pt_text, &ours_text)
                .unified_diff()
                .context_radius(3)
                .header(&format!("{location} (PyTorch)"), &format!("{location} (lessonrun)"))
                .missing_newline_hint(true)
                .to_string();
            cell.hunks = diff_hunks(&pt_text, &ours_text);
            // Where PyTorch also misses the expectation, its own diff follows.
            cell.diff = Some(if pt.status.is_failure() { format!("{diff}{}", pt.diff.as_deref().unwrap_or("")) } else { diff });
            if !cell.status.is_failure() {
                cell.status = if mine.error().is_some() { Status::Error } else { Status::Fail };
            }
        } else if pt.status.is_failure() && !cell.status.is_failure() {
            cell.status = pt.status;
            cell.diff = pt.diff.clone();
            cell.hunks = pt.hunks.clone();
        }
    }
    report
}

pub fn unified_diff(expected: &str, actual: &str, location: &str) -> String {
    TextDiff::from_lines(expected, actual)
        .unified_diff()
        .context_radius(3)
        .header(&format!("{location} (expected)"), &format!("{location} (actual)"))
        .missing_newline_hint(true)
        .to_string()
}

/// What a line of a diff is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LineTag {
    Context,
    Removed,
    Added,
}

/// One line of a diff as pieces of text, each marked whether it is a changed part of the line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DiffLine {
    pub tag: LineTag,
    /// `(changed, text)`; the line's newline is not included.
    pub segments: Vec<(bool, String)>,
    /// The line is the last of its text and has no newline.
    pub missing_newline: bool,
}

/// A run of changed lines with their context, under a `@@ -a,b +c,d @@` header.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hunk {
    pub header: String,
    pub lines: Vec<DiffLine>,
}

/// The line diff from `old` to `new` in hunks of three lines of context, with the characters
/// that changed inside a replaced line marked (so `7.0` → `6.0` shows the one digit).
pub fn diff_hunks(old: &str, new: &str) -> Vec<Hunk> {
    let diff = TextDiff::from_lines(old, new);
    let mut inline = InlineChangeOptions::new();
    inline.mode(InlineChangeMode::Chars).semantic_cleanup(true);
    diff.grouped_ops(3)
        .iter()
        .filter(|group| !group.is_empty())
        .map(|group| {
            let header = similar::udiff::UnifiedHunkHeader::new(group).to_string();
            let lines = group
                .iter()
                .flat_map(|op| diff.iter_inline_changes_with_options(op, inline))
                .map(|change| {
                    let tag = match change.tag() {
                        ChangeTag::Equal => LineTag::Context,
                        ChangeTag::Delete => LineTag::Removed,
                        ChangeTag::Insert => LineTag::Added,
                    };
                    let mut segments: Vec<(bool, String)> =
                        change.iter_strings_lossy().map(|(emph, text)| (emph, text.into_owned())).collect();
                    if let Some((_, last)) = segments.last_mut()
                        && last.ends_with('\n')
                    {
                        last.pop();
                    }
                    segments.retain(|(_, t)| !t.is_empty());
                    DiffLine { tag, segments, missing_newline: change.missing_newline() }
                })
                .collect();
            Hunk { header, lines }
        })
        .collect()
}
