//! Every lesson in lessons/ and tests/conformance/ must check green: their expected outputs come
//! from real PyTorch (torch-oracle), so this is the parity suite.

use std::path::PathBuf;

use lessonrun::check::Status;
use lessonrun::execute::RunOptions;
use lessonrun::lesson::{discover, load};
use lessonrun::site::evaluate;

fn check_tree(dir: &str) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir);
    let lessons = discover(&[root]).expect("lesson folder readable");
    assert!(!lessons.is_empty(), "no lessons under {dir}");
    let mut failures = Vec::new();
    let (mut passed, mut total) = (0, 0);
    for lp in lessons {
        let lesson = load(&lp.path).expect("lesson readable");
        let (_, report) = evaluate(&lesson, &RunOptions::default());
        for cell in &report.cells {
            total += 1;
            match cell.status {
                Status::Pass | Status::Skip => passed += 1,
                _ => failures.push(format!("{}:{} {:?}\n{}", report.path, cell.line, cell.status, cell.diff.as_deref().unwrap_or(""))),
            }
        }
    }
    assert!(failures.is_empty(), "{} of {total} cells differ from PyTorch:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(passed, total);
}

#[test]
fn lessons_match_pytorch() {
    check_tree("lessons");
}

#[test]
fn conformance_lessons_match_pytorch() {
    check_tree("tests/conformance");
}
