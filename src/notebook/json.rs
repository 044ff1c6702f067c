//! nbformat's JSON conventions: multi-line strings as arrays of lines, files written as
//! Jupyter writes them (keys sorted, one-space indent, a final newline), and parse errors
//! with their line and column.

use serde::Serialize;
use serde_json::Value;

use super::NotebookError;

/// A text as nbformat's `multiline_string`: its lines, each keeping its `\n`.
pub fn lines(text: &str) -> Value {
    Value::Array(
        text.split_inclusive('\n')
            .map(|l| Value::String(l.to_string()))
            .collect(),
    )
}

/// The text of a `multiline_string` (a string or an array of strings), or None for anything else.
pub fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Array(parts) => parts
            .iter()
            .map(|p| p.as_str())
            .collect::<Option<Vec<&str>>>()
            .map(|p| p.concat()),
        _ => None,
    }
}

/// The notebook as Jupyter saves it: `serde_json::Map` keeps keys sorted, as nbformat's
/// writer sorts them, so files diff cleanly against ones Jupyter saved.
pub fn write(nb: &Value) -> String {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(
        &mut out,
        serde_json::ser::PrettyFormatter::with_indent(b" "),
    );
    // Writing a Value into memory cannot fail: its keys are strings and its numbers finite.
    nb.serialize(&mut ser).expect("a JSON value serializes");
    let mut text = String::from_utf8(out).expect("serde_json writes UTF-8");
    text.push('\n');
    text
}

/// Parses a notebook file's text, naming the line and column where malformed JSON stops.
pub fn parse(text: &str) -> Result<Value, NotebookError> {
    serde_json::from_str(text.trim_start_matches('\u{feff}')).map_err(|e| {
        let message = e.to_string();
        // serde_json appends " at line L column C"; the position is reported up front instead.
        let message = message
            .rfind(" at line ")
            .map_or(message.as_str(), |i| &message[..i])
            .to_string();
        NotebookError::Json {
            line: e.line(),
            column: e.column(),
            message,
        }
    })
}
