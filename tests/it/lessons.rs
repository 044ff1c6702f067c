//! Every lesson in lessons/ and tests/conformance/ must check green: their expected outputs come
//! from real PyTorch (torch-oracle), so this is the parity suite.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use lessonrun::check::{FileReport, Status};
use lessonrun::execute::RunOptions;
use lessonrun::lesson::{discover, load};
use lessonrun::site::evaluate;

/// Every lesson under `root`, evaluated on as many threads as the machine has (each lesson runs
/// on its own interpreter thread, as `check --jobs` runs them), reported in discovery order.
/// These suites test parity, not speed: the cell time limit is a ten-minute backstop against a
/// hang instead of the CLI's minute, which a loaded CI machine could hit on the longest
/// training cells.
fn evaluate_all(root: &Path) -> Vec<(String, FileReport)> {
    let lessons = discover(&[root.to_path_buf()]).expect("lesson folder readable");
    let options = RunOptions { cell_time_limit: Some(Duration::from_secs(600)), ..RunOptions::default() };
    let next = AtomicUsize::new(0);
    let done = Mutex::new(Vec::new());
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(lessons.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                while let Some(lp) = lessons.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let lesson = load(&lp.path).expect("lesson readable");
                    let name = lp.path.file_name().unwrap().to_string_lossy().to_string();
                    let (_, report) = evaluate(&lesson, &options);
                    done.lock().unwrap().push((lp.path.clone(), name, report));
                }
            });
        }
    });
    let mut done = done.into_inner().unwrap();
    done.sort_by(|a, b| a.0.cmp(&b.0));
    done.into_iter().map(|(_, name, report)| (name, report)).collect()
}

fn check_tree(dir: &str) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir);
    let reports = evaluate_all(&root);
    assert!(!reports.is_empty(), "no lessons under {dir}");
    let mut failures = Vec::new();
    let (mut passed, mut total) = (0, 0);
    for (_, report) in reports {
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

/// The tutorial corpus: public tutorials pasted verbatim, expected outputs from real PyTorch.
/// Not every cell passes yet; `tests/tutorials/expected-failures.txt` lists the ones that do
/// not (`FILE:LINE  STATUS  CAUSE`), so this test fails both when a listed cell starts to pass
/// (remove its line) and when an unlisted cell fails (a regression).
#[test]
fn tutorials_match_pytorch_except_listed_cells() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/tutorials");
    if !root.is_dir() {
        return;
    }
    let listed_text = std::fs::read_to_string(root.join("expected-failures.txt")).unwrap_or_default();
    let mut listed: Vec<String> = listed_text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    listed.sort();
    let (mut failing, mut total) = (Vec::new(), 0);
    let mut diffs = Vec::new();
    for (name, report) in evaluate_all(&root) {
        for cell in &report.cells {
            total += 1;
            if !matches!(cell.status, Status::Pass | Status::Skip) {
                let key = format!("{name}:{}", cell.line);
                if listed.binary_search(&key).is_err() {
                    diffs.push(format!("{key} {:?}\n{}", cell.status, cell.diff.as_deref().or(cell.error.as_deref()).unwrap_or("")));
                }
                failing.push(key);
            }
        }
    }
    failing.sort();
    let now_passing: Vec<&String> = listed.iter().filter(|k| failing.binary_search(k).is_err()).collect();
    assert!(diffs.is_empty(), "{} tutorial cells fail that expected-failures.txt does not list:\n{}", diffs.len(), diffs.join("\n"));
    assert!(
        now_passing.is_empty(),
        "these cells pass now; remove them from tests/tutorials/expected-failures.txt: {now_passing:?}"
    );
    eprintln!("tutorials: {} of {total} cells match PyTorch", total - failing.len());
}
