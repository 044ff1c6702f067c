//! Unit tests of `notebook::import`.

use lessonrun::notebook::import::*;
use serde_json::Value;
use lessonrun::notebook::NotebookError;
use lessonrun::notebook::json::{parse, text};
use serde_json::json;

fn import(cells: Value) -> Imported {
    from_json(
        &json!({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells})
            .to_string(),
    )
    .unwrap()
}

#[test]
fn cells_prose_and_expected_outputs() {
    let got = import(json!([
        {"cell_type": "markdown", "metadata": {}, "source": ["# Title\n", "text"]},
        {"cell_type": "code", "metadata": {}, "execution_count": 1, "source": "x = 2\nx * 3", "outputs": [
            {"output_type": "stream", "name": "stdout", "text": ["hi\n"]},
            {"output_type": "stream", "name": "stderr", "text": ["warn\n"]},
            {"output_type": "execute_result", "execution_count": 1, "metadata": {}, "data": {"text/plain": ["6"]}},
        ]},
        {"cell_type": "code", "metadata": {}, "execution_count": 2, "source": "1/0", "outputs": [
            {"output_type": "error", "ename": "ZeroDivisionError", "evalue": "division by zero", "traceback": []},
        ]},
    ]));
    assert_eq!(
        got.markdown,
        "# Title\ntext\n\n```python\nx = 2\nx * 3\n```\n\n```output\nhi\n6\n```\n\n```python\n1/0\n```\n\n```output\nZeroDivisionError: division by zero\n```\n"
    );
    assert_eq!(got.notes.len(), 1);
    assert_eq!(got.notes[0].cell, 2);
}

#[test]
fn magics_and_shell_lines_are_dropped_and_reported() {
    let got = import(json!([
        {"cell_type": "code", "metadata": {}, "execution_count": 1, "outputs": [], "source": "%matplotlib inline\n!pip install torch\nfiles = !ls\nif True:\n    %time f()\nx = 1"},
        {"cell_type": "code", "metadata": {}, "execution_count": 2, "source": "%%time\nprint(1)", "outputs": [
            {"output_type": "stream", "name": "stdout", "text": ["1\n", "CPU times: user 1 ms\n", "Wall time: 2 ms\n"]},
        ]},
        {"cell_type": "code", "metadata": {}, "execution_count": 3, "outputs": [], "source": "%%bash\nls"},
    ]));
    assert_eq!(
        got.markdown,
        "```python\nif True:\n    pass\nx = 1\n```\n\n```python\nprint(1)\n```\n\n```output\n1\n```\n"
    );
    let cells: Vec<usize> = got.notes.iter().map(|n| n.cell).collect();
    assert_eq!(cells, [1, 1, 1, 1, 2, 3]);
    assert!(
        got.notes[1]
            .message
            .contains("shell line `!pip install torch`"),
        "{:?}",
        got.notes
    );
}

#[test]
fn python_fences_in_prose_are_not_cells() {
    let got = import(
        json!([{"cell_type": "markdown", "metadata": {}, "source": "Example:\n```python\nx\n```"}]),
    );
    assert_eq!(got.markdown, "Example:\n```py\nx\n```\n");
    assert_eq!(got.notes.len(), 1);
}

#[test]
fn lessonrun_metadata_comes_back() {
    let got = from_json(&json!({"nbformat": 4, "nbformat_minor": 5, "metadata": {"lessonrun": {"front_matter": "title: T\n"}}, "cells": [
        {"cell_type": "code", "metadata": {"lessonrun": {"setup": true}}, "execution_count": null, "outputs": [], "source": "import torch"},
        {"cell_type": "code", "metadata": {"lessonrun": {"skip": true}}, "execution_count": null, "outputs": [], "source": "loop()"},
        {"cell_type": "code", "metadata": {"lessonrun": {"output": "tolerance=1e-6"}}, "execution_count": 1, "outputs": [
            {"output_type": "stream", "name": "stdout", "text": "0.1\n"}], "source": "print(0.1)"},
    ]}).to_string()).unwrap();
    assert_eq!(
        got.markdown,
        "---\ntitle: T\n---\n\n```python skip\nloop()\n```\n\n```python\nprint(0.1)\n```\n\n```output tolerance=1e-6\n0.1\n```\n"
    );
    assert!(got.notes.is_empty(), "{:?}", got.notes);
}

#[test]
fn not_a_v4_notebook() {
    assert!(
        matches!(from_json("{\"nbformat\": 3, \"worksheets\": []}"), Err(NotebookError::Format(m)) if m.contains("nbformat 3"))
    );
    assert!(matches!(
        from_json("[1, 2"),
        Err(NotebookError::Json { line: 1, .. })
    ));
}
