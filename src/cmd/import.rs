//! `lessonrun import NOTEBOOK.ipynb [-o LESSON.md]`: a Jupyter notebook as a lesson.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::lesson::{write_atomic, write_new};

/// Make a lesson from a Jupyter notebook
///
/// Markdown cells become prose, code cells become ```python cells, and what they printed
/// (stdout, a result's text, an error's last line) becomes their expected ```output. IPython
/// magics (`%matplotlib inline`, `%%time`) and shell lines (`!pip install`) are not Python:
/// each is reported with its cell and dropped. Exit status: 0 written, 2 the notebook could
/// not be read or the lesson not written.
#[derive(clap::Args, Debug)]
pub(super) struct Args {
    /// The notebook (.ipynb, nbformat 4)
    notebook: PathBuf,
    /// Where to write the lesson [default: the notebook's name with .md, beside it]
    #[arg(long, short, value_name = "LESSON.md")]
    out: Option<PathBuf>,
    /// Replace the lesson if it exists
    #[arg(long)]
    force: bool,
}

pub(super) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let shown = args.notebook.display().to_string();
    let text = std::fs::read_to_string(&args.notebook)
        .map_err(|e| anyhow::anyhow!("cannot read {shown}: {e}"))?;
    let imported = crate::notebook::from_json(&text).map_err(|e| match e {
        crate::notebook::NotebookError::Json { .. } => anyhow::anyhow!("{shown}:{e}"),
        crate::notebook::NotebookError::Format(m) => anyhow::anyhow!("{shown}: {m}"),
    })?;
    for note in &imported.notes {
        let at = if note.cell == 0 {
            String::new()
        } else {
            format!(" cell {}:", note.cell)
        };
        anstream::eprintln!(
            "{}",
            super::terminal_text(&format!("{shown}:{at} {}", note.message))
        );
    }
    let target = args
        .out
        .unwrap_or_else(|| args.notebook.with_extension("md"));
    let written = if args.force {
        write_atomic(&target, &imported.markdown)
    } else {
        write_new(&target, &imported.markdown)
    };
    match written {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            anyhow::bail!(
                "{} exists: not overwritten (pass --force to replace it)",
                target.display()
            )
        }
        Err(e) => anyhow::bail!("cannot write {}: {e}", target.display()),
    }
    anstream::eprintln!("wrote {}", target.display());
    Ok(ExitCode::SUCCESS)
}
