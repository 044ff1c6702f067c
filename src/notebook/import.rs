//! A notebook as a lesson: markdown cells as prose, code cells as ```` ```python ```` cells,
//! what they printed as expected ```` ```output ```` blocks. IPython's magics and shell lines
//! are not Python: they are dropped, each reported as a [`Note`].

use serde_json::Value;

use super::NotebookError;
use super::json::{parse, text};

/// A lesson made from a notebook, and what the conversion left out or changed.
#[derive(Debug, PartialEq)]
pub struct Imported {
    pub markdown: String,
    pub notes: Vec<Note>,
}

/// Something the author should know about one notebook cell (1-based, as Jupyter counts).
#[derive(Debug, PartialEq)]
pub struct Note {
    pub cell: usize,
    pub message: String,
}

/// Cell magics whose body is Python: the magic line goes, the body stays.
const PYTHON_CELL_MAGICS: &[&str] = &["time", "timeit", "capture", "prun", "debug"];

/// The lesson a notebook's text makes.
pub fn from_json(json: &str) -> Result<Imported, NotebookError> {
    let nb = parse(json)?;
    let format = |m: &str| NotebookError::Format(m.to_string());
    match nb.get("nbformat").and_then(Value::as_u64) {
        Some(4) => {}
        Some(n) => {
            return Err(NotebookError::Format(format!(
                "this is an nbformat {n} notebook; lessonrun reads nbformat 4 (convert it with `jupyter nbconvert --to notebook --nbformat 4`)"
            )));
        }
        None => {
            return Err(format(
                "not a Jupyter notebook: it has no `nbformat` number",
            ));
        }
    }
    let cells = nb
        .get("cells")
        .and_then(Value::as_array)
        .ok_or_else(|| format("not a Jupyter notebook: it has no `cells` list"))?;
    let mut out = String::new();
    let mut notes = Vec::new();
    if let Some(fm) = nb
        .pointer("/metadata/lessonrun/front_matter")
        .and_then(Value::as_str)
    {
        out.push_str("---\n");
        out.push_str(fm);
        if !fm.is_empty() && !fm.ends_with('\n') {
            out.push('\n');
        }
        out.push_str("---\n\n");
    }
    let language = nb
        .pointer("/metadata/kernelspec/language")
        .or_else(|| nb.pointer("/metadata/language_info/name"))
        .and_then(Value::as_str);
    if let Some(lang) = language.filter(|l| !l.eq_ignore_ascii_case("python")) {
        notes.push(Note { cell: 0, message: format!("the notebook's language is {lang}, not Python: its code cells will not run as lessons") });
    }
    let mut unexecuted = 0;
    for (i, cell) in cells.iter().enumerate() {
        let n = i + 1;
        let mut note = |message: String| notes.push(Note { cell: n, message });
        let source = cell
            .get("source")
            .and_then(text)
            .unwrap_or_default()
            .replace("\r\n", "\n");
        match cell.get("cell_type").and_then(Value::as_str) {
            Some("markdown") => {
                if source.trim().is_empty() {
                    continue;
                }
                out.push_str(&markdown(&source, &mut note));
                out.push_str("\n\n");
            }
            Some("code") => {
                if cell
                    .pointer("/metadata/lessonrun/setup")
                    .and_then(Value::as_bool)
                    == Some(true)
                {
                    continue;
                }
                let Some((code, timed)) = python_code(&source, &mut note) else {
                    continue;
                };
                if code.trim().is_empty() {
                    continue;
                }
                let skip = cell
                    .pointer("/metadata/lessonrun/skip")
                    .and_then(Value::as_bool)
                    == Some(true);
                let outputs = cell
                    .get("outputs")
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                if outputs.is_empty()
                    && cell.get("execution_count").is_none_or(Value::is_null)
                    && !skip
                {
                    unexecuted += 1;
                }
                let fence = fence_for(&code);
                out.push_str(&format!(
                    "{fence}python{}\n{code}",
                    if skip { " skip" } else { "" }
                ));
                if !code.ends_with('\n') {
                    out.push('\n');
                }
                out.push_str(&fence);
                out.push_str("\n\n");
                let mut expected = if skip {
                    String::new()
                } else {
                    printed(outputs, &mut note)
                };
                if timed {
                    // `%%time`'s report is the machine's timing, not the cell's output.
                    expected = expected
                        .split_inclusive('\n')
                        .filter(|l| !l.starts_with("CPU times:") && !l.starts_with("Wall time:"))
                        .collect();
                }
                if !expected.is_empty() {
                    if !expected.ends_with('\n') {
                        expected.push('\n');
                    }
                    let words = cell
                        .pointer("/metadata/lessonrun/output")
                        .and_then(Value::as_str)
                        .map(|w| format!(" {w}"))
                        .unwrap_or_default();
                    let fence = fence_for(&expected);
                    out.push_str(&format!("{fence}output{words}\n{expected}{fence}\n\n"));
                }
            }
            Some("raw") => note("a raw cell is not part of a lesson: dropped".to_string()),
            other => note(format!(
                "unknown cell type {}: dropped",
                other.map_or("(none)".to_string(), |t| format!("`{t}`"))
            )),
        }
    }
    if unexecuted > 0 {
        notes.push(Note {
            cell: 0,
            message: format!(
                "{unexecuted} code cell(s) were never run in the notebook, so they have no expected output: fill them in from PyTorch with `lessonrun check --engine pytorch --bless LESSON.md`"
            ),
        });
    }
    let markdown = out.trim_end().to_string() + "\n";
    Ok(Imported { markdown, notes })
}

/// A markdown cell's text, with ```` ```python ```` examples in it turned into ```` ```py ````
/// blocks: in a lesson such a block would be a cell and run.
fn markdown(source: &str, note: &mut impl FnMut(String)) -> String {
    let mut out = String::new();
    for line in source.split_inclusive('\n') {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let t = &line[indent..];
        let marks = t.len() - t.trim_start_matches(['`', '~']).len();
        if indent <= 3
            && marks >= 3
            && t[marks..]
                .trim_start()
                .split(|c: char| c.is_whitespace() || c == ',')
                .next()
                == Some("python")
        {
            let at = line.len() - t[marks..].trim_start().len();
            out.push_str(&line[..at]);
            out.push_str("py");
            out.push_str(&line[at + "python".len()..]);
            note("a ```python block in its text would run as a cell of the lesson: it is a ```py block now".to_string());
        } else {
            out.push_str(line);
        }
    }
    out.trim_end().to_string()
}

/// The cell's code without IPython's syntax, and whether it was timed by `%%time`; None when
/// the whole cell is not Python (`%%bash`, `%%html`, ...).
fn python_code(source: &str, note: &mut impl FnMut(String)) -> Option<(String, bool)> {
    let mut body = source;
    let mut timed = false;
    let first = source.trim_start_matches(['\n', ' ', '\t']);
    if let Some(magic) = first.strip_prefix("%%") {
        let line = magic.lines().next().unwrap_or("");
        let name = line.split_whitespace().next().unwrap_or("");
        if !PYTHON_CELL_MAGICS.contains(&name) {
            note(format!(
                "the cell magic `%%{}` runs something other than Python: cell dropped",
                line.trim()
            ));
            return None;
        }
        note(format!(
            "dropped the cell magic `%%{}` (lessons are plain Python; the cell's code is kept)",
            line.trim()
        ));
        timed = name == "time";
        body = magic.find('\n').map_or("", |i| &magic[i + 1..]);
    }
    let mut code = String::new();
    for line in body.split_inclusive('\n') {
        let t = line.trim_start();
        if is_ipython_line(t) {
            let indent = &line[..line.len() - t.len()];
            let shown = t.trim_end();
            let kind = if shown.starts_with('!') || shown.contains("= !") || shown.contains("=!") {
                "shell line"
            } else {
                "magic"
            };
            note(format!(
                "dropped the {kind} `{shown}` (lessons are plain Python)"
            ));
            if !indent.is_empty() {
                // A block whose only statement was the magic must still have one.
                code.push_str(&format!("{indent}pass\n"));
            }
        } else {
            code.push_str(line);
        }
    }
    Some((code, timed))
}

/// `%matplotlib inline`, `!pip install torch`, `files = !ls`, `%time f()`: lines IPython
/// rewrites before Python sees them.
fn is_ipython_line(t: &str) -> bool {
    if t.starts_with('%') || t.starts_with('!') {
        return true;
    }
    // `name = !cmd` and `name = %magic`: an assignment whose right side is IPython syntax.
    let Some((lhs, rhs)) = t.split_once('=') else {
        return false;
    };
    let rhs = rhs.trim_start();
    !lhs.is_empty()
        && lhs
            .trim()
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == ',' || c == ' ')
        && (rhs.starts_with('!') && !rhs.starts_with("!=") || rhs.starts_with('%'))
}

/// What the cell printed, as lessonrun shows it: stdout streams, an `execute_result`'s
/// `text/plain` (the value's repr, as a lesson prints its last expression), and an error's
/// `Name: value` line. Figures and other rich outputs are not text a lesson compares.
fn printed(outputs: &[Value], note: &mut impl FnMut(String)) -> String {
    let mut out = String::new();
    let (mut stderr, mut rich) = (false, false);
    for o in outputs {
        match o.get("output_type").and_then(Value::as_str) {
            Some("stream") if o.get("name").and_then(Value::as_str) == Some("stdout") => {
                out.push_str(&o.get("text").and_then(text).unwrap_or_default());
            }
            Some("stream") => stderr = true,
            Some("execute_result") => match o.pointer("/data/text~1plain").and_then(text) {
                Some(t) => {
                    out.push_str(&t);
                    out.push('\n');
                }
                None => rich = true,
            },
            Some("error") => {
                if !out.is_empty() && !out.ends_with('\n') {
                    out.push('\n');
                }
                let name = o
                    .get("ename")
                    .and_then(Value::as_str)
                    .unwrap_or("Exception");
                match o.get("evalue").and_then(Value::as_str).unwrap_or("") {
                    "" => out.push_str(name),
                    value => out.push_str(&format!("{name}: {value}")),
                }
                out.push('\n');
            }
            _ => {}
        }
    }
    if stderr {
        note("its stderr output is not an expected output (lessons compare what is printed to stdout): left out".to_string());
    }
    if rich {
        note("a result with no text/plain form is left out of its expected output".to_string());
    }
    out.replace("\r\n", "\n")
}

/// A fence longer than any backtick run that starts a line of `text`.
fn fence_for(text: &str) -> String {
    let longest = text
        .lines()
        .map(|l| l.trim_start().chars().take_while(|&c| c == '`').count())
        .max()
        .unwrap_or(0);
    "`".repeat((longest + 1).max(3))
}
