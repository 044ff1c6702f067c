//! `--engine pytorch`: runs a lesson's cells in real CPython with PyTorch instead of lessonrun's
//! interpreter, under the same lesson rules, so an author can get expected outputs from PyTorch
//! itself and see where lessonrun differs. One long-lived Python process per lesson runs
//! `pytorch_driver.py` (embedded in the binary) and speaks one JSON object per line.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;

use serde::Deserialize;

use crate::execute::{CellError, CellRun, LessonRun, OutputItem};
use crate::lesson::Lesson;
use crate::source::Span;

const DRIVER: &str = include_str!("pytorch_driver.py");

/// Why PyTorch could not run a lesson.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("cannot start Python `{python}`: {source}; name one with --python PATH or LESSONRUN_PYTHON")]
    Spawn { python: String, source: std::io::Error },
    #[error("{0}")]
    Fatal(String),
    #[error("the Python driver stopped unexpectedly{0}")]
    Protocol(String),
}

/// The Python to run: `--python`, else `LESSONRUN_PYTHON`, else `python3`.
pub fn python_path(flag: Option<&Path>) -> PathBuf {
    flag.map(Path::to_path_buf)
        .or_else(|| std::env::var_os("LESSONRUN_PYTHON").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("python3"))
}

#[derive(Deserialize)]
pub struct Reply {
    #[serde(default)]
    ready: Option<String>,
    #[serde(default)]
    fatal: Option<String>,
    #[serde(default)]
    output: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

/// A running driver process.
struct Driver {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Driver {
    fn start(python: &Path, folder: &Path) -> Result<Driver, EngineError> {
        let mut child = Command::new(python)
            .arg("-u")
            .arg("-c")
            .arg(DRIVER)
            .current_dir(folder)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|source| EngineError::Spawn { python: python.display().to_string(), source })?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(EngineError::Protocol(": no pipes".into()));
        };
        let mut d = Driver { child, stdin, stdout: BufReader::new(stdout) };
        let hello = d.read()?;
        if let Some(f) = hello.fatal {
            return Err(EngineError::Fatal(f));
        }
        if hello.ready.is_none() {
            return Err(EngineError::Protocol(" before saying it was ready".into()));
        }
        Ok(d)
    }

    fn read(&mut self) -> Result<Reply, EngineError> {
        let mut line = String::new();
        match self.stdout.read_line(&mut line) {
            Ok(0) | Err(_) => Err(EngineError::Protocol(" (is this Python 3 with torch installed?)".into())),
            Ok(_) => serde_json::from_str(&line).map_err(|e| EngineError::Protocol(format!(": {e}"))),
        }
    }

    fn run(&mut self, code: &str) -> Result<Reply, EngineError> {
        let msg = serde_json::json!({ "code": code }).to_string();
        writeln!(self.stdin, "{msg}").map_err(|e| EngineError::Protocol(format!(": {e}")))?;
        self.stdin.flush().map_err(|e| EngineError::Protocol(format!(": {e}")))?;
        self.read()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Turns one driver reply into a cell's run: the printed text, then the error's last line
/// placed at the cell's code (Python's own line numbers refer to the cell, not the file).
pub fn cell_run(reply: Reply, span: Span, started: Instant) -> CellRun {
    let mut items = Vec::new();
    if let Some(out) = reply.output.filter(|o| !o.is_empty()) {
        items.push(OutputItem::Text(out));
    }
    if let Some(last) = reply.error {
        let (py_type, message) = match last.split_once(": ") {
            Some((t, m)) => (t.to_string(), m.to_string()),
            None => (last.clone(), String::new()),
        };
        items.push(OutputItem::Error(CellError { py_type, message, last_line: last, span, stack: Vec::new() }));
    }
    CellRun { items, skipped: false, duration: started.elapsed() }
}

/// Runs `lesson`'s cells in PyTorch, with the lesson's folder as the working directory.
pub fn run_lesson_pytorch(lesson: &Lesson, python: &Path) -> Result<LessonRun, EngineError> {
    let folder = match lesson.source.path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut driver = Driver::start(python, &folder)?;
    let mut cells = Vec::with_capacity(lesson.cells.len());
    for cell in &lesson.cells {
        if cell.options.skip {
            cells.push(CellRun { skipped: true, ..CellRun::default() });
            continue;
        }
        let started = Instant::now();
        let reply = driver.run(lesson.code(cell))?;
        cells.push(cell_run(reply, cell.code, started));
    }
    Ok(LessonRun { cells })
}
