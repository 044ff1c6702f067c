//! Fuzzes the Markdown side: parsing a lesson, computing bless edits and applying them must
//! never panic, and every cell's span must lie inside the text on char boundaries.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lessonrun::lesson::{apply_edits, bless_edit, parse};
use lessonrun::source::SourceFile;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let lesson = parse(SourceFile::new("fuzz.md", text));
    let mut edits = Vec::new();
    for cell in &lesson.cells {
        let code = lesson.code(cell);
        assert!(text.contains(code));
        if let Some(e) = bless_edit(text, cell, "out\n") {
            edits.push(e);
        }
    }
    let _ = apply_edits(text, &edits);
});
