//! A lesson and its run as an nbformat 4.5 notebook: prose as markdown cells, cells as code
//! cells carrying the outputs lessonrun produced (text, errors, figures as SVG).

use serde_json::{Map, Value, json};

use super::json::{lines, write};
use crate::execute::{CellError, CellRun, LessonRun, OutputItem};
use crate::lesson::{ExpectedStyle, Lesson};
use crate::source::Span;

/// What every lesson has before its first cell and a notebook must do itself.
const SETUP: &str = "import math\nimport torch\nimport torch.nn as nn\nimport torch.nn.functional as F\ntorch.manual_seed(0);";

/// The notebook's JSON text, as Jupyter would save it.
pub fn notebook_json(lesson: &Lesson, run: &LessonRun) -> String {
    write(&to_notebook(lesson, run))
}

/// The lesson as a notebook: markdown and code cells in document order, each code cell with
/// the outputs of `run` (the lesson's own run, index for index with its cells).
pub fn to_notebook(lesson: &Lesson, run: &LessonRun) -> Value {
    let text = lesson.source.text.as_str();
    let mut cells = Vec::new();
    let mut ids = 0;
    let mut next_id = || {
        ids += 1;
        format!("cell-{ids}")
    };
    cells.push(json!({
        "cell_type": "code", "id": next_id(), "execution_count": null, "outputs": [],
        "metadata": {"lessonrun": {"setup": true}, "tags": ["lessonrun-setup"]},
        "source": lines(SETUP),
    }));
    let mut at = front_matter_end(lesson);
    let mut count = 0;
    let empty = CellRun::default();
    for (i, cell) in lesson.cells.iter().enumerate() {
        push_markdown(
            &mut cells,
            &text[at.min(cell.fence.start)..cell.fence.start],
            &mut next_id,
        );
        at = match cell.expected.as_ref().map(|e| &e.style) {
            Some(ExpectedStyle::Block { block, .. }) => block.end,
            _ => cell.fence.end,
        };
        let cr = run.cells.get(i).unwrap_or(&empty);
        let mut meta = Map::new();
        if cell.options.skip {
            meta.insert("skip".into(), Value::Bool(true));
        }
        if let Some(ExpectedStyle::Block { block, body }) = cell.expected.as_ref().map(|e| &e.style)
        {
            let words = text[block.start..body.start]
                .trim()
                .trim_start_matches(['`', '~'])
                .trim_start();
            let words = words.strip_prefix("output").unwrap_or(words).trim();
            if !words.is_empty() {
                meta.insert("output".into(), Value::String(words.to_string()));
            }
        }
        let metadata = if meta.is_empty() {
            json!({})
        } else {
            json!({ "lessonrun": meta })
        };
        let (execution_count, outputs) = if cr.skipped || cell.options.skip {
            (Value::Null, Vec::new())
        } else {
            count += 1;
            (json!(count), outputs(lesson, cell.code, cr, count))
        };
        let code = lesson
            .code(cell)
            .trim_end_matches(['\n', '\r'])
            .replace("\r\n", "\n");
        cells.push(json!({
            "cell_type": "code", "id": next_id(), "execution_count": execution_count,
            "metadata": metadata, "outputs": outputs, "source": lines(&code),
        }));
    }
    push_markdown(&mut cells, &text[at.min(text.len())..], &mut next_id);
    let mut lessonrun = Map::new();
    if let Some(name) = lesson.source.path.file_name() {
        lessonrun.insert(
            "source".into(),
            Value::String(name.to_string_lossy().into_owned()),
        );
    }
    if let Some(fm) = lesson.front_matter {
        lessonrun.insert(
            "front_matter".into(),
            Value::String(text[fm.range()].replace("\r\n", "\n")),
        );
    }
    json!({
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {
                "name": "python", "file_extension": ".py", "mimetype": "text/x-python",
                "codemirror_mode": {"name": "ipython", "version": 3},
                "pygments_lexer": "ipython3", "nbconvert_exporter": "python",
            },
            "title": crate::render::lesson_title(lesson),
            "lessonrun": lessonrun,
        },
        "cells": cells,
    })
}

/// Where the prose starts: after the front matter's closing `---` line, if there is one.
fn front_matter_end(lesson: &Lesson) -> usize {
    let Some(fm) = lesson.front_matter else {
        return 0;
    };
    let text = lesson.source.text.as_str();
    // Past the opening line even when the body is empty (its span then sits on that line).
    let mut at = fm.end.max(text.find('\n').map_or(text.len(), |i| i + 1));
    while at < text.len() {
        let end = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
        if matches!(text[at..end].trim(), "---" | "...") {
            return end;
        }
        at = end;
    }
    text.len()
}

fn push_markdown(cells: &mut Vec<Value>, prose: &str, next_id: &mut impl FnMut() -> String) {
    let prose = prose.replace("\r\n", "\n");
    // Blank lines around the prose separate it from the fences; they are not part of it.
    let prose = prose.trim_end().trim_start_matches(['\n', ' ', '\t']);
    let prose = prose.strip_prefix('\u{feff}').unwrap_or(prose);
    if prose.trim().is_empty() {
        return;
    }
    cells.push(
        json!({"cell_type": "markdown", "id": next_id(), "metadata": {}, "source": lines(prose)}),
    );
}

/// A cell's output items as nbformat outputs, in the order the cell produced them.
fn outputs(lesson: &Lesson, code: Span, cr: &CellRun, count: usize) -> Vec<Value> {
    cr.items
        .iter()
        .enumerate()
        .filter_map(|(k, item)| match item {
            OutputItem::Text(t) if t.is_empty() => None,
            OutputItem::Text(t) => {
                Some(json!({"output_type": "stream", "name": "stdout", "text": lines(t)}))
            }
            OutputItem::Error(e) => Some(error_output(lesson, code, e, count)),
            OutputItem::Figure(f) => {
                let svg = crate::plot::svg::render(f, &format!("fig{count}-{k}"));
                let repr = format!(
                    "<Figure size {}x{} with {} Axes>",
                    g(f.width * 100.0),
                    g(f.height * 100.0),
                    f.axes.len()
                );
                Some(json!({
                    "output_type": "display_data", "metadata": {},
                    "data": {"image/svg+xml": lines(&svg), "text/plain": lines(&repr)},
                }))
            }
        })
        .collect()
}

/// `640`, `612.5`: a size as matplotlib's `%g` prints it in a figure's repr.
fn g(x: f64) -> String {
    let r = (x * 1e6).round() / 1e6;
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r}")
    }
}

/// An error output whose `ename: evalue` is exactly the traceback's last line lessonrun
/// printed, so that import gives back the same expected output.
fn error_output(lesson: &Lesson, code: Span, e: &CellError, count: usize) -> Value {
    let (ename, evalue) = match e.last_line.split_once(": ") {
        Some((name, value)) if !name.contains(char::is_whitespace) => {
            (name.to_string(), value.to_string())
        }
        _ if e.last_line == e.py_type => (e.py_type.clone(), String::new()),
        _ => (e.py_type.clone(), e.message.clone()),
    };
    let first = lesson.source.line_col(code.start).line;
    let in_cell = |s: Span| {
        let at = lesson.source.line_col(s.start).line;
        if s.start >= code.start && s.end <= code.end {
            format!("Cell In[{count}], line {}", at + 1 - first)
        } else {
            format!(
                "{}, line {at}",
                lesson
                    .source
                    .path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            )
        }
    };
    let mut traceback = vec!["Traceback (most recent call last):".to_string()];
    for (function, site) in &e.stack {
        traceback.push(format!("  {}, in {function}", in_cell(*site)));
    }
    if e.stack.is_empty() && e.span != Span::default() {
        traceback.push(format!("  {}", in_cell(e.span)));
    }
    traceback.push(e.last_line.clone());
    json!({"output_type": "error", "ename": ename, "evalue": evalue, "traceback": traceback})
}
