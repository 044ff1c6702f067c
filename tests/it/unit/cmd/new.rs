//! Unit tests of `cmd::new`.

use lessonrun::cmd::new::*;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use lessonrun::lesson::write_new;

#[test]
fn names_and_titles() {
    assert_eq!(lesson_path(Path::new("a/b")), PathBuf::from("a/b.md"));
    assert_eq!(lesson_path(Path::new("b.MD")), PathBuf::from("b.MD"));
    assert_eq!(
        title(Path::new("lessons/03-training_loop.md")),
        "Training loop"
    );
    assert_eq!(title(Path::new("42.md")), "42");
}
