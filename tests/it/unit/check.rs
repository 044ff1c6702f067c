//! Unit tests of `check`.

mod tolerant;

use lessonrun::check::*;
use serde::{Deserialize, Serialize};
use similar::{ChangeTag, InlineChangeMode, InlineChangeOptions, TextDiff};
use lessonrun::execute::LessonRun;
use lessonrun::lesson::{Cell, CompareOptions, Edit, ExpectedStyle, Lesson, apply_edits, bless_edit};

fn opts(f: impl FnOnce(&mut CompareOptions)) -> CompareOptions {
    let mut o = CompareOptions::default();
    f(&mut o);
    o
}

fn tol(t: f64) -> CompareOptions {
    opts(|o| o.tolerance = Some(t))
}

#[test]
fn exact_by_default() {
    assert!(outputs_match("a 1.0\n", "a 1.0\n", &CompareOptions::default()));
    assert!(outputs_match("a 1.0\n", "a 1.0", &CompareOptions::default()));
    assert!(!outputs_match("a 1.0\n", "a 1.00000001\n", &CompareOptions::default()));
    assert!(!outputs_match("a  b\n", "a b\n", &CompareOptions::default()));
}

#[test]
fn tolerance_on_numbers_only() {
    assert!(outputs_match("loss: 0.3347811460494995\n", "loss: 0.33478114604949956\n", &tol(1e-6)));
    assert!(!outputs_match("loss: 0.33\n", "loss: 0.34\n", &tol(1e-6)));
    assert!(!outputs_match("loss: 0.33\n", "lost: 0.33\n", &tol(1e-6)));
    assert!(outputs_match("tensor([1.0000e-05, 2.0000e+00])\n", "tensor([1.0000e-05, 2.0000e+00])\n", &tol(0.0)));
    assert!(outputs_match("tensor([-1.0001,  2.0000])\n", "tensor([-1.0000,  2.0000])\n", &tol(1e-3)));
    assert!(outputs_match("tensor([ 9.9999, 10.0000])\n", "tensor([10.0000, 10.0000])\n", &tol(1e-3)));
    assert!(!outputs_match("step 1\n", "step 2\n", &tol(1e-6)));
    assert!(!outputs_match("a b 1\n", "ab 1\n", &tol(1e-6)), "words stay apart");
    assert!(outputs_match("x nan\n", "x nan\n", &tol(1e-6)));
    assert!(!outputs_match("1 2\n", "1 2 3\n", &tol(1.0)));
}

#[test]
fn normalize_whitespace() {
    let o = opts(|o| o.normalize_whitespace = true);
    assert!(outputs_match("a b\nc\n", "a   b c\n\n", &o));
    assert!(outputs_match("  a\tb", "a b\n", &o));
    assert!(!outputs_match("a b\n", "ab\n", &o));
    assert!(!outputs_match("a b\n", "a c\n", &o));
}

#[test]
fn addresses_in_reprs_match_any_address() {
    let exact = CompareOptions::default();
    let line = "[<matplotlib.lines.Line2D object at 0x7f6c29ff35d0>]\n";
    assert!(outputs_match(line, "[<matplotlib.lines.Line2D object at 0x55d0c1a0>]\n", &exact));
    assert!(outputs_match("<A object at 0x...>\n", "<A object at 0x7f00>\n", &exact));
    assert!(!outputs_match(line, "[<matplotlib.lines.Line2D object at 0x7f6c29ff35d0>, 1]\n", &exact));
    assert!(!outputs_match("<A object at 0x1f>\n", "<B object at 0x1f>\n", &exact));
}

#[test]
fn ellipsis_matches_any_text() {
    let o = opts(|o| o.ellipsis = true);
    assert!(outputs_match("step 0 ...\ndone\n", "step 0 loss 1.5\nstep 1 loss 0.2\ndone\n", &o));
    assert!(outputs_match("tensor([0.1...])\n", "tensor([0.1234, 0.5])\n", &o));
    assert!(outputs_match("...\n", "anything at all\n", &o));
    assert!(outputs_match("a...b\n", "ab\n", &o), "an ellipsis may match nothing");
    assert!(!outputs_match("a...b\n", "a-c\n", &o));
    assert!(!outputs_match("x ...\n", "y 1\n", &o));
    assert!(outputs_match("...x...x\n", "axbxcx\n", &o), "retries after a false start");
    assert!(!outputs_match("...\n", "a\n", &CompareOptions::default()), "only with the option");
    assert!(outputs_match("...aab...\n", "aaab\n", &o), "a segment found after a partial match");
    assert!(outputs_match("ab...ab...ab\n", "abab\nab\n", &o));
    assert!(!outputs_match("ab...ba\n", "aba\n", &o), "anchored ends may not overlap");
    assert!(outputs_match("...abcabd...\n", "abcabcabd\n", &o), "KMP falls back along a border");
}

/// The greedy matcher that backtracked to the last ellipsis took |text| x |segment| steps:
/// minutes here. Segments are now found in linear time.
#[test]
fn ellipsis_matching_is_linear() {
    let o = opts(|o| o.ellipsis = true);
    let text = format!("{}\n", "a".repeat(2_000_000));
    let pattern = format!("...{}b...\n", "a".repeat(20_000));
    assert!(!outputs_match(&pattern, &text, &o));
    let pattern = format!("{}...{}\n", "a".repeat(20_000), "a".repeat(20_000));
    assert!(outputs_match(&pattern, &text, &o));
    let t = opts(|o| {
        o.ellipsis = true;
        o.tolerance = Some(1e-3);
    });
    let numbers = format!("{}\n", "1.0 2.0 ".repeat(200_000));
    assert!(outputs_match(&format!("1.0 ... 2.0001 {}\n", "1.0 2.0 ".repeat(100)), &numbers, &t));
}

#[test]
fn options_combine() {
    let o = opts(|o| {
        o.ellipsis = true;
        o.tolerance = Some(1e-3);
    });
    assert!(outputs_match("loss 0.5\n...\nfinal 0.1000\n", "loss 0.50001\nmore\nfinal 0.10001\n", &o));
    assert!(!outputs_match("loss 0.5\n...\nfinal 0.1\n", "loss 0.5\nfinal 0.2\n", &o));
    let o = opts(|o| {
        o.ellipsis = true;
        o.normalize_whitespace = true;
    });
    assert!(outputs_match("a ... z\n", "a\n b\n  z\n", &o));
}

#[test]
fn ignore_accepts_anything() {
    assert!(outputs_match("1\n", "2\n", &opts(|o| o.ignore = true)));
}

#[test]
fn diff_names_the_place() {
    let d = unified_diff("1\n2\n", "1\n3\n", "l.md:4");
    assert!(d.contains("--- l.md:4 (expected)"));
    assert!(d.contains("-2\n+3\n"));
}

#[test]
fn hunks_mark_changed_characters() {
    let hunks = diff_hunks("a\ndy/da: 7.0\n", "a\ndy/da: 6.0\n");
    assert_eq!(hunks.len(), 1);
    assert_eq!(hunks[0].header, "@@ -1,2 +1,2 @@");
    let lines = &hunks[0].lines;
    assert_eq!(lines[0], DiffLine { tag: LineTag::Context, segments: vec![(false, "a".into())], missing_newline: false });
    assert_eq!(lines[1].tag, LineTag::Removed);
    assert_eq!(lines[1].segments, vec![(false, "dy/da: ".into()), (true, "7".into()), (false, ".0".into())]);
    assert_eq!(lines[2].segments, vec![(false, "dy/da: ".into()), (true, "6".into()), (false, ".0".into())]);
}
