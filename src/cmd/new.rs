//! `lessonrun new NAME`: a lesson skeleton that checks green as written.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::lesson::write_new;

/// The skeleton: prose, then cells whose expected outputs were printed by PyTorch 2.15.
const SKELETON: &str = include_str!("scaffold/lesson.md");

/// Write a new lesson skeleton (NAME.md) to start from
///
/// The skeleton passes `lessonrun check` as written: its expected outputs come from real
/// PyTorch. An existing file is never replaced. Exit status: 0 written, 2 the file exists or
/// could not be written.
#[derive(clap::Args, Debug)]
pub(super) struct Args {
    /// The lesson's path; `.md` is added when missing (e.g. lessons/03-training-loop)
    name: PathBuf,
}

pub(super) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let path = lesson_path(&args.name);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    write_lesson(&path)?;
    anstream::eprintln!(
        "wrote {}; check it with `lessonrun check {}`",
        path.display(),
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `NAME` with `.md` unless it already ends so.
pub fn lesson_path(name: &Path) -> PathBuf {
    if name
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("md"))
    {
        name.to_path_buf()
    } else {
        name.with_extension("md")
    }
}

/// Writes the skeleton at `path`, refusing to replace anything there.
pub(super) fn write_lesson(path: &Path) -> anyhow::Result<()> {
    let text = SKELETON
        .replace("{title}", &title(path))
        .replace("{path}", &path.display().to_string());
    match write_new(path, &text) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            anyhow::bail!("{} exists: not overwritten", path.display())
        }
        Err(e) => anyhow::bail!("cannot write {}: {e}", path.display()),
    }
}

/// `lessons/03-training_loop.md` is titled "Training loop": the file name without its order
/// number, words separated by spaces, the first capitalised.
pub fn title(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let words = stem
        .trim_start_matches(|c: char| c.is_ascii_digit() || c == '-' || c == '_')
        .replace(['-', '_'], " ");
    let words = if words.trim().is_empty() {
        stem.clone()
    } else {
        words.trim().to_string()
    };
    let mut chars = words.chars();
    chars.next().map_or_else(
        || "A new lesson".to_string(),
        |c| c.to_uppercase().chain(chars).collect(),
    )
}
