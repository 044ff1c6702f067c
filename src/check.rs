//! Comparing what cells printed with what the lesson expects, and blessing the difference.

use serde::Serialize;
use similar::TextDiff;

use crate::execute::LessonRun;
use crate::lesson::{CompareOptions, Edit, Lesson, apply_edits, bless_edit};

/// How one cell fared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
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
}

impl Status {
    pub fn is_failure(self) -> bool {
        matches!(self, Status::Fail | Status::Error | Status::Missing)
    }
}

/// The outcome of one cell.
#[derive(Clone, Debug, Serialize)]
pub struct CellReport {
    /// 1-based line of the cell's opening fence.
    pub line: usize,
    pub status: Status,
    pub expected: Option<String>,
    pub actual: String,
    /// Unified diff expected → actual, for failing cells.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub duration_ms: f64,
}

/// The outcome of one lesson file.
#[derive(Clone, Debug, Serialize)]
pub struct FileReport {
    pub path: String,
    pub cells: Vec<CellReport>,
}

impl FileReport {
    pub fn count(&self, pred: impl Fn(Status) -> bool) -> usize {
        self.cells.iter().filter(|c| pred(c.status)).count()
    }
}

/// Compares each cell of `lesson` with its run.
pub fn check_lesson(lesson: &Lesson, run: &LessonRun) -> FileReport {
    let path = lesson.source.path.display().to_string();
    let cells = lesson
        .cells
        .iter()
        .zip(&run.cells)
        .map(|(cell, cr)| {
            let actual = cr.text();
            let expected = cell.expected.as_ref();
            let status = if cr.skipped {
                Status::Skip
            } else {
                match expected {
                    Some(e) if outputs_match(&e.text, &actual, &e.options) => Status::Pass,
                    Some(_) if cr.error().is_some() => Status::Error,
                    Some(_) => Status::Fail,
                    None if actual.is_empty() => Status::Pass,
                    None => Status::Missing,
                }
            };
            let diff = status.is_failure().then(|| {
                let exp = expected.map_or("", |e| e.text.as_str());
                unified_diff(exp, &normalized(&actual), &format!("{path}:{}", cell.line))
            });
            CellReport {
                line: cell.line,
                status,
                expected: expected.map(|e| e.text.clone()),
                actual,
                diff,
                error: cr.error().map(|e| e.last_line.clone()),
                duration_ms: cr.duration.as_secs_f64() * 1e3,
            }
        })
        .collect();
    FileReport { path, cells }
}

/// The lesson's text with every expectation that no longer matches rewritten to the actual
/// output, or `None` when nothing changes. Matching cells (within their tolerance) are left
/// alone, so blessing twice is a no-op and option words on output blocks survive.
pub fn bless(lesson: &Lesson, run: &LessonRun) -> Option<String> {
    let text = &lesson.source.text;
    let edits: Vec<Edit> = lesson
        .cells
        .iter()
        .zip(&run.cells)
        .filter(|(_, cr)| !cr.skipped)
        .filter_map(|(cell, cr)| {
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

/// Whether `actual` satisfies `expected` under `options`. Exact by default; with a tolerance,
/// numbers are compared with that relative tolerance and all other text exactly.
pub fn outputs_match(expected: &str, actual: &str, options: &CompareOptions) -> bool {
    let actual = normalized(actual);
    let expected = expected.replace("\r\n", "\n");
    if expected == actual {
        return true;
    }
    match options.tolerance {
        Some(tol) => numbers_match(&expected, &actual, tol),
        None => false,
    }
}

fn numbers_match(expected: &str, actual: &str, tol: f64) -> bool {
    let (e, a) = (split_numbers(expected), split_numbers(actual));
    e.len() == a.len()
        && e.iter().zip(&a).all(|(x, y)| match (x, y) {
            (Piece::Num(x), Piece::Num(y)) => {
                x == y || (x.is_nan() && y.is_nan()) || (x - y).abs() <= tol * x.abs().max(y.abs())
            }
            (Piece::Text(x), Piece::Text(y)) => x.split_whitespace().eq(y.split_whitespace()),
            _ => false,
        })
}

#[derive(Debug)]
enum Piece<'a> {
    Text(&'a str),
    Num(f64),
}

/// Splits text into numbers (`-1.5e-3`, `2.`, `nan`) and the text between them. Printed tensors
/// pad numbers to a common width, so a tolerated change in one number may move spaces: the text
/// between numbers is therefore compared modulo whitespace runs.
fn split_numbers(s: &str) -> Vec<Piece<'_>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let (mut i, mut text_start) = (0, 0);
    while i < b.len() {
        let prev_ident = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        if let Some(len) = number_len(&b[i..]).filter(|_| !prev_ident) {
            let end = i + len;
            if let Ok(v) = s[i..end].parse::<f64>() {
                if text_start < i {
                    out.push(Piece::Text(&s[text_start..i]));
                }
                out.push(Piece::Num(v));
                i = end;
                text_start = end;
                continue;
            }
        }
        i += 1;
    }
    if text_start < b.len() {
        out.push(Piece::Text(&s[text_start..]));
    }
    out
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
pub fn unified_diff(expected: &str, actual: &str, location: &str) -> String {
    TextDiff::from_lines(expected, actual)
        .unified_diff()
        .context_radius(3)
        .header(&format!("{location} (expected)"), &format!("{location} (actual)"))
        .missing_newline_hint(true)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tol(t: f64) -> CompareOptions {
        CompareOptions { tolerance: Some(t) }
    }

    #[test]
    fn exact_by_default() {
        assert!(outputs_match("a 1.0\n", "a 1.0\n", &CompareOptions::default()));
        assert!(outputs_match("a 1.0\n", "a 1.0", &CompareOptions::default()));
        assert!(!outputs_match("a 1.0\n", "a 1.00000001\n", &CompareOptions::default()));
    }

    #[test]
    fn tolerance_on_numbers_only() {
        assert!(outputs_match("loss: 0.3347811460494995\n", "loss: 0.33478114604949956\n", &tol(1e-6)));
        assert!(!outputs_match("loss: 0.33\n", "loss: 0.34\n", &tol(1e-6)));
        assert!(!outputs_match("loss: 0.33\n", "lost: 0.33\n", &tol(1e-6)));
        assert!(outputs_match("tensor([1.0000e-05, 2.0000e+00])\n", "tensor([1.0000e-05, 2.0000e+00])\n", &tol(0.0)));
        assert!(outputs_match("tensor([-1.0001,  2.0000])\n", "tensor([-1.0000,  2.0000])\n", &tol(1e-3)));
        assert!(!outputs_match("step 1\n", "step 2\n", &tol(1e-6)));
        assert!(outputs_match("x nan\n", "x nan\n", &tol(1e-6)));
    }

    #[test]
    fn identifiers_are_not_numbers() {
        let p = split_numbers("x1 = 2.5e-3, Backward0");
        let nums: Vec<f64> = p.iter().filter_map(|p| if let Piece::Num(v) = p { Some(*v) } else { None }).collect();
        assert_eq!(nums, vec![2.5e-3]);
    }

    #[test]
    fn diff_names_the_place() {
        let d = unified_diff("1\n2\n", "1\n3\n", "l.md:4");
        assert!(d.contains("--- l.md:4 (expected)"));
        assert!(d.contains("-2\n+3\n"));
    }
}
