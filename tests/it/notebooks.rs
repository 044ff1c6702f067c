//! Notebooks in and out: exported notebooks are valid nbformat 4.5 (checked against the
//! official schema file, and by Python's `nbformat.validate` where it is installed), a lesson
//! survives export then import and still checks green, `import` reports what it drops and never
//! overwrites a lesson, and `new`/`init` write skeletons that check green and replace nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use lessonrun::check::check_lesson;
use lessonrun::execute::{RunOptions, run_lesson};
use lessonrun::lesson::{load, parse};
use lessonrun::notebook::{from_json, notebook_json};
use lessonrun::source::SourceFile;
use serde_json::Value;

use super::json_schema;
use super::support::TempDir;

fn lessonrun(args: &[&str]) -> Output {
    lessonrun_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

fn lessonrun_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lessonrun"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Lessons of the repository whose outputs came from PyTorch: the tutorials, and conformance
/// lessons with figures (matplotlib), errors, a data file, prints of every kind.
fn sample_lessons() -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(repo("lessons"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    paths.sort();
    for name in [
        "matplotlib",
        "errors",
        "data-files",
        "python-basics",
        "nn-module-tree",
        "autograd",
    ] {
        paths.push(repo(&format!("tests/conformance/{name}.md")));
    }
    paths
}

fn schema() -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(repo("tests/data/nbformat.v4.5.schema.json")).unwrap(),
    )
    .unwrap()
}

/// Exports the sample lessons with the CLI into a temporary folder; returns it and the notebooks.
fn exported() -> (TempDir, Vec<PathBuf>) {
    let dir = TempDir::new("nb-export");
    let mut args: Vec<String> = vec![
        "export".into(),
        "--to".into(),
        "ipynb".into(),
        "--out".into(),
        dir.path().into(),
    ];
    args.extend(sample_lessons().iter().map(|p| p.display().to_string()));
    let o = lessonrun(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mut notebooks = Vec::new();
    let mut stack = vec![dir.0.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "ipynb") {
                notebooks.push(p);
            }
        }
    }
    notebooks.sort();
    assert_eq!(notebooks.len(), sample_lessons().len(), "{notebooks:?}");
    (dir, notebooks)
}

#[test]
fn exported_notebooks_are_valid_against_the_nbformat_schema() {
    let schema = schema();
    // The schema's own slips (`item` for `items` under `authors`, and two properties of
    // `jupyter` metadata written beside `properties`) are unknown keywords, which draft 4 and
    // nbformat's validator ignore; any other keyword would be one this validator skips.
    assert_eq!(
        json_schema::unsupported_keywords(&schema),
        ["item", "outputs_hidden", "source_hidden"],
        "the schema uses keywords the test validator does not check"
    );
    let (_dir, notebooks) = exported();
    let mut outputs = std::collections::BTreeSet::new();
    for nb in &notebooks {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(nb).unwrap()).unwrap();
        let errors = json_schema::validate(&schema, &v);
        assert!(errors.is_empty(), "{}: {errors:#?}", nb.display());
        for cell in v["cells"].as_array().unwrap() {
            for o in cell["outputs"].as_array().into_iter().flatten() {
                outputs.insert(o["output_type"].as_str().unwrap().to_string());
            }
        }
    }
    // The samples exercise every kind of output export writes.
    assert_eq!(
        outputs.into_iter().collect::<Vec<_>>(),
        ["display_data", "error", "stream"]
    );
    // And the validator is not blind: a code cell without outputs, a bad id, an unknown key.
    let mut bad: Value =
        serde_json::from_str(&std::fs::read_to_string(&notebooks[0]).unwrap()).unwrap();
    bad["cells"][0].as_object_mut().unwrap().remove("outputs");
    bad["cells"][1]["id"] = Value::String("not an id".into());
    bad["extra"] = Value::Bool(true);
    assert_eq!(
        json_schema::validate(&schema, &bad).len(),
        3,
        "{:#?}",
        json_schema::validate(&schema, &bad)
    );
}

/// A Python that can import nbformat: `$LESSONRUN_PYTHON`, then `python3`.
fn python_with_nbformat() -> Option<String> {
    [
        std::env::var("LESSONRUN_PYTHON").ok(),
        Some("python3".to_string()),
    ]
    .into_iter()
    .flatten()
    .find(|py| {
        Command::new(py)
            .args(["-c", "import nbformat"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

#[test]
fn exported_notebooks_pass_nbformat_validate() {
    let Some(py) = python_with_nbformat() else {
        eprintln!(
            "skipped: no Python with nbformat (set LESSONRUN_PYTHON to one with `pip install nbformat`)"
        );
        return;
    };
    let (_dir, notebooks) = exported();
    let script = "import json, sys, nbformat\n\
        for path in sys.argv[1:]:\n    \
            nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)\n    \
            assert (nb.nbformat, nb.nbformat_minor) == (4, 5), path\n    \
            nbformat.validate(nb)\n\
        print('valid', len(sys.argv) - 1)\n";
    // Warnings (a missing cell id, say) are errors too.
    let o = Command::new(&py)
        .args(["-W", "error", "-c"])
        .arg(script)
        .args(&notebooks)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        format!("valid {}", notebooks.len())
    );
}

#[test]
fn import_of_export_checks_green() {
    let (mut figures, mut errors) = (0, 0);
    for path in sample_lessons() {
        let lesson = load(&path).unwrap();
        let run = run_lesson(&lesson, &RunOptions::default());
        let json = notebook_json(&lesson, &run);
        figures += json.matches("\"image/svg+xml\"").count();
        errors += json.matches("\"output_type\": \"error\"").count();
        let imported = from_json(&json).unwrap();
        assert!(
            imported.notes.is_empty(),
            "{}: {:?}",
            path.display(),
            imported.notes
        );
        // Read as if in the original's place, so that its data files are found.
        let back = parse(SourceFile::new(&path, imported.markdown.as_str()));
        assert!(
            back.errors.is_empty() && back.warnings.is_empty(),
            "{}: {:?} {:?}",
            path.display(),
            back.errors,
            back.warnings
        );
        assert_eq!(back.cells.len(), lesson.cells.len(), "{}", path.display());
        let report = check_lesson(&back, &run_lesson(&back, &RunOptions::default()));
        let failing: Vec<_> = report
            .cells
            .iter()
            .filter(|c| c.status.is_failure())
            .collect();
        assert!(
            failing.is_empty(),
            "{}:\n{}\n{failing:#?}",
            path.display(),
            imported.markdown
        );
        assert!(
            back.cells.iter().filter(|c| c.expected.is_some()).count() > 0,
            "{}",
            path.display()
        );
    }
    assert!(
        figures > 0 && errors > 0,
        "the samples have figures ({figures}) and error cells ({errors})"
    );
}

#[test]
fn export_then_import_then_check_on_the_command_line() {
    let dir = TempDir::new("nb-cli");
    let lesson = dir.write(
        "plots.md",
        std::fs::read_to_string(repo("tests/conformance/matplotlib.md")).unwrap(),
    );
    let o = lessonrun(&[
        "export",
        "--to",
        "ipynb",
        "--out",
        dir.path(),
        lesson.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    std::fs::remove_file(&lesson).unwrap();
    let o = lessonrun(&["import", dir.join("plots.ipynb").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("plots.md"), "{}", stderr(&o));
    let o = lessonrun(&["check", lesson.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        stderr(&o)
    );
}

const JUPYTER_NOTEBOOK: &str = r##"{
 "cells": [
  {"cell_type": "markdown", "id": "a", "metadata": {}, "source": ["# From Jupyter\n", "Some prose."]},
  {"cell_type": "code", "execution_count": 1, "id": "b", "metadata": {}, "outputs": [],
   "source": ["%matplotlib inline\n", "!pip install torch\n", "import torch\n", "_ = torch.manual_seed(0)"]},
  {"cell_type": "code", "execution_count": 2, "id": "c", "metadata": {}, "outputs": [
    {"name": "stdout", "output_type": "stream", "text": ["tensor([1., 2.])\n"]},
    {"data": {"text/plain": ["3.0"]}, "execution_count": 2, "metadata": {}, "output_type": "execute_result"}],
   "source": ["%%time\n", "x = torch.tensor([1.0, 2.0])\n", "print(x)\n", "x.sum().item()"]}
 ],
 "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
 "nbformat": 4,
 "nbformat_minor": 5
}
"##;

#[test]
fn import_reports_magics_refuses_to_overwrite_and_names_bad_json_positions() {
    let dir = TempDir::new("nb-import");
    let nb = dir.write("intro.ipynb", JUPYTER_NOTEBOOK);
    let o = lessonrun(&["import", nb.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    for dropped in [
        "cell 2: dropped the magic `%matplotlib inline`",
        "cell 2: dropped the shell line `!pip install torch`",
        "cell 3: dropped the cell magic `%%time`",
    ] {
        assert!(err.contains(dropped), "{dropped}: {err}");
    }
    let lesson = dir.join("intro.md");
    let text = std::fs::read_to_string(&lesson).unwrap();
    assert!(
        text.starts_with("# From Jupyter\nSome prose.\n\n```python\nimport torch\n"),
        "{text}"
    );
    assert!(
        text.contains("```output\ntensor([1., 2.])\n3.0\n```"),
        "{text}"
    );
    let o = lessonrun(&["check", lesson.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        stderr(&o)
    );

    // An existing lesson is kept unless --force says otherwise.
    std::fs::write(&lesson, "mine\n").unwrap();
    let o = lessonrun(&["import", nb.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("exists: not overwritten (pass --force"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read_to_string(&lesson).unwrap(), "mine\n");
    let other = dir.join("other.md");
    let o = lessonrun(&[
        "import",
        nb.to_str().unwrap(),
        "-o",
        other.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = lessonrun(&["import", "--force", nb.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(&lesson).unwrap(),
        std::fs::read_to_string(&other).unwrap()
    );

    let broken = dir.write(
        "broken.ipynb",
        "{\n \"cells\": [\n  {\"cell_type\": \"code\",}\n ]\n}\n",
    );
    let o = lessonrun(&["import", broken.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("broken.ipynb:3:24: not valid JSON: trailing comma"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.join("broken.md").exists());
}

#[test]
fn build_with_notebooks_links_each_page_to_its_notebook() {
    let dir = TempDir::new("nb-build");
    let lessons = dir.join("lessons");
    std::fs::create_dir_all(lessons.join("part 2")).unwrap();
    std::fs::copy(
        repo("tests/conformance/errors.md"),
        lessons.join("part 2/errors.md"),
    )
    .unwrap();
    let out = dir.join("site");
    let o = lessonrun(&[
        "build",
        lessons.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--notebooks",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = std::fs::read_to_string(out.join("part 2/errors.html")).unwrap();
    assert!(page.contains("href=\"errors.ipynb\""), "{page}");
    let nb: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("part 2/errors.ipynb")).unwrap())
            .unwrap();
    assert!(json_schema::validate(&schema(), &nb).is_empty());
    // Without the flag, no notebook and no link.
    let plain = dir.join("plain");
    let o = lessonrun(&[
        "build",
        lessons.to_str().unwrap(),
        "--out",
        plain.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        !std::fs::read_to_string(plain.join("part 2/errors.html"))
            .unwrap()
            .contains(".ipynb")
    );
    assert!(!plain.join("part 2/errors.ipynb").exists());
}

#[test]
fn new_writes_a_lesson_that_checks_green_and_never_replaces_one() {
    let dir = TempDir::new("nb-new");
    let o = lessonrun_in(&dir.0, &["new", "lessons/03-training_loop"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let path = dir.join("lessons/03-training_loop.md");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("# Training loop\n"), "{text}");
    let lesson = parse(SourceFile::new(&path, text.as_str()));
    assert!(
        lesson.cells.len() >= 2 && lesson.cells.iter().all(|c| c.expected.is_some()),
        "{text}"
    );
    let o = lessonrun_in(&dir.0, &["check", "lessons/03-training_loop.md"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        stderr(&o)
    );
    std::fs::write(&path, "edited\n").unwrap();
    let o = lessonrun_in(&dir.0, &["new", "lessons/03-training_loop.md"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("exists: not overwritten"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "edited\n");
}

#[test]
fn init_sets_up_lessons_config_and_workflow_and_keeps_what_exists() {
    let dir = TempDir::new("nb-init");
    let o = lessonrun(&["init", dir.path(), "--title", "Deep \"learning\""]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let workflow = std::fs::read_to_string(dir.join(".github/workflows/lessons.yml")).unwrap();
    for needed in [
        "actions/cache@",
        "lessonrun check --format github lessons",
        "actions/upload-pages-artifact@",
        "actions/deploy-pages@",
        "pages: write",
        "cargo install --locked lessonrun@",
    ] {
        assert!(workflow.contains(needed), "{needed}: {workflow}");
    }
    assert!(
        std::fs::read_to_string(dir.join("lessons/lessonrun.toml"))
            .unwrap()
            .contains("title = \"Deep \\\"learning\\\"\"")
    );
    let o = lessonrun_in(&dir.0, &["check", "lessons"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        stderr(&o)
    );
    // The site reads the config init wrote: its title is on the page.
    let o = lessonrun_in(&dir.0, &["build", "lessons", "--out", "site"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = std::fs::read_to_string(dir.join("site/01-first-lesson.html")).unwrap();
    assert!(page.contains("Deep &quot;learning&quot;") || page.contains("Deep \"learning\""), "{page}");
    // A second init keeps every file as the author left it.
    std::fs::write(dir.join("lessons/lessonrun.toml"), "title = \"mine\"\n").unwrap();
    let o = lessonrun_in(&dir.0, &["init"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stderr(&o).matches("kept ").count(), 3, "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(dir.join("lessons/lessonrun.toml")).unwrap(),
        "title = \"mine\"\n"
    );
}

#[test]
fn the_skeleton_prints_what_pytorch_prints() {
    let Some(py) = std::env::var("LESSONRUN_PYTHON").ok().filter(|py| {
        Command::new(py)
            .args(["-c", "import torch"])
            .output()
            .is_ok_and(|o| o.status.success())
    }) else {
        eprintln!(
            "skipped: no Python with torch (set LESSONRUN_PYTHON) to check the skeleton against PyTorch"
        );
        return;
    };
    let dir = TempDir::new("nb-skeleton");
    assert_eq!(
        lessonrun_in(&dir.0, &["new", "first"]).status.code(),
        Some(0)
    );
    let o = lessonrun_in(
        &dir.0,
        &["check", "--engine", "both", "--python", &py, "first.md"],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        stderr(&o)
    );
}
