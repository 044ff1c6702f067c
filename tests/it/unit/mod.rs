//! Unit tests of the library's internals, one module per library module (mirroring src/):
//! they live here, not in src/, so that `cargo test` compiles the library once.

#![allow(unused_imports)]
mod check;
mod cmd;
mod diagnostic;
mod highlight;
mod incremental;
mod lang;
mod lesson;
mod notebook;
mod plot;
mod pytorch_engine;
mod render;
mod site;
mod source;
mod tensor;


/// The library keeps no unit tests of its own (see ARCHITECTURE.md): a `#[test]` or
/// `#[cfg(test)]` in `src/` would not run at all, since the library has no test harness.
#[test]
fn the_library_has_no_test_code() {
    fn walk(dir: &std::path::Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("src is readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("source is UTF-8");
                for (i, line) in text.lines().enumerate() {
                    let t = line.trim_start();
                    if t.starts_with("#[test]") || t.starts_with("#[cfg(test)]") {
                        found.push(format!("{}:{}", path.display(), i + 1));
                    }
                }
            }
        }
    }
    let mut found = Vec::new();
    walk(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut found);
    assert!(found.is_empty(), "move these unit tests to tests/it/unit/: {found:?}");
}
