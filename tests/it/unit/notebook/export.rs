//! Unit tests of `notebook::export`.

use lessonrun::notebook::export::*;
use serde_json::{Map, Value, json};
use lessonrun::notebook::json::{lines, write};
use lessonrun::execute::{CellError, CellRun, LessonRun, OutputItem};
use lessonrun::lesson::{ExpectedStyle, Lesson};
use lessonrun::source::Span;
use lessonrun::execute::{RunOptions, run_lesson};
use lessonrun::lesson::parse;
use lessonrun::source::SourceFile;

fn export(text: &str) -> Value {
    let lesson = parse(SourceFile::new("t.md", text));
    let run = run_lesson(&lesson, &RunOptions::default());
    to_notebook(&lesson, &run)
}

fn kinds(nb: &Value) -> Vec<String> {
    nb["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["cell_type"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn prose_and_cells_in_order_with_their_outputs() {
    let nb = export(
        "---\ntitle: T\ntolerance: 1e-6\n---\n# Hi\n\nSome text.\n\n```python\nprint(1)\n```\n\n```output ellipsis\n0\n```\n\nMore.\n\n```python skip\nprint(2)\n```\nEnd.\n",
    );
    assert_eq!(
        kinds(&nb),
        ["code", "markdown", "code", "markdown", "code", "markdown"]
    );
    let cells = nb["cells"].as_array().unwrap();
    assert_eq!(cells[1]["source"], json!(["# Hi\n", "\n", "Some text."]));
    assert_eq!(
        cells[2]["outputs"],
        json!([{"output_type": "stream", "name": "stdout", "text": ["1\n"]}])
    );
    assert_eq!(cells[2]["execution_count"], json!(1));
    assert_eq!(
        cells[2]["metadata"],
        json!({"lessonrun": {"output": "ellipsis"}})
    );
    assert_eq!(cells[3]["source"], json!(["More."]));
    assert_eq!(
        (
            cells[4]["outputs"].clone(),
            cells[4]["execution_count"].clone()
        ),
        (json!([]), Value::Null)
    );
    assert_eq!(cells[4]["metadata"], json!({"lessonrun": {"skip": true}}));
    assert_eq!(
        nb["metadata"]["lessonrun"]["front_matter"],
        json!("title: T\ntolerance: 1e-6\n")
    );
    assert_eq!(nb["metadata"]["kernelspec"]["name"], json!("python3"));
}

#[test]
fn crlf_and_byte_order_mark_leave_no_trace() {
    let nb = export(
        "\u{feff}---\r\nignore: true\r\n---\r\n# T\r\n\r\n```python\r\nprint(1)\r\nprint(2)\r\n```\r\n",
    );
    assert_eq!(
        nb["metadata"]["lessonrun"]["front_matter"],
        json!("ignore: true\n")
    );
    assert_eq!(nb["cells"][1]["source"], json!(["# T"]));
    assert_eq!(nb["cells"][2]["source"], json!(["print(1)\n", "print(2)"]));
}

#[test]
fn an_exception_is_an_error_output_after_what_was_printed() {
    let nb = export("```python\nprint('a')\nx = 1\nundefined_name\n```\n");
    let out = &nb["cells"][1]["outputs"];
    assert_eq!(out[0]["text"], json!(["a\n"]));
    assert_eq!(
        (out[1]["ename"].as_str(), out[1]["evalue"].as_str()),
        (
            Some("NameError"),
            Some("name 'undefined_name' is not defined")
        )
    );
    let tb = out[1]["traceback"].as_array().unwrap();
    assert_eq!(
        tb.last().unwrap(),
        "NameError: name 'undefined_name' is not defined"
    );
    assert!(
        tb.iter()
            .any(|l| l.as_str().unwrap().contains("Cell In[1], line 3")),
        "{tb:?}"
    );
}

#[test]
fn a_figure_is_svg_display_data() {
    let nb = export(
        "```python\nimport matplotlib.pyplot as plt\nplt.plot([1, 2, 3]);\nplt.title('t');\n```\n",
    );
    let out = &nb["cells"][1]["outputs"][0];
    assert_eq!(out["output_type"], json!("display_data"));
    assert!(
        lessonrun::notebook::json::text(&out["data"]["image/svg+xml"])
            .unwrap()
            .starts_with("<svg")
    );
    assert_eq!(
        out["data"]["text/plain"],
        json!(["<Figure size 640x480 with 1 Axes>"])
    );
}
