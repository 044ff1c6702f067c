//! Plots end to end: a figure is an output item in its place among the prints, `check`
//! compares only text (and any address in a repr matches), `build` draws figures as inline SVG
//! with axes, ticks and titles, and `savefig` is refused as file writes are.

use std::process::{Command, Output};

use lessonrun::execute::{OutputItem, RunOptions, run_lesson};
use lessonrun::lesson::parse;
use lessonrun::source::SourceFile;

use super::support::TempDir;

fn lessonrun(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lessonrun")).args(args).env("NO_COLOR", "1").output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A loss curve with a title and labels, then an MNIST-like grid of images. The expected
/// output of the first cell is what matplotlib printed, its own address included.
const LESSON: &str = "# Plots\n\n\
```python\nimport matplotlib.pyplot as plt\nlosses = [2.3 / (1 + i) for i in range(20)]\n\
plt.figure(figsize=(5, 3))\nplt.title('training loss')\nplt.xlabel('step')\nplt.ylabel('loss')\nplt.plot(losses, label='train')\n```\n\n\
```output\n[<matplotlib.lines.Line2D object at 0x7f0b939f6090>]\n```\n\n\
```python\nprint('before')\nfig, axes = plt.subplots(2, 4, figsize=(6, 3))\nfor i, ax in enumerate(axes.flat):\n    ax.imshow(torch.rand(28, 28), cmap='gray')\n    ax.axis('off')\n    ax.set_title(f'digit {i}')\nplt.show()\nprint('after')\n```\n\n\
```output\nbefore\nafter\n```\n";

#[test]
fn a_figure_keeps_its_place_among_the_prints() {
    let lesson = parse(SourceFile::new("plots.md", LESSON));
    let run = run_lesson(&lesson, &RunOptions::default());
    let kinds: Vec<&str> = run.cells[1]
        .items
        .iter()
        .map(|i| match i {
            OutputItem::Text(_) => "text",
            OutputItem::Figure(_) => "figure",
            OutputItem::Error(_) => "error",
        })
        .collect();
    assert_eq!(kinds, ["text", "figure", "text"], "{:?}", run.cells[1].items);
    assert_eq!(run.cells[1].text(), "before\nafter\n", "figures are not text");
    assert!(
        matches!(run.cells[0].items.last(), Some(OutputItem::Figure(f)) if f.axes[0].title == "training loss"),
        "a figure left open shows when its cell ends"
    );
}

#[test]
fn check_compares_text_only_and_any_address_matches() {
    let t = TempDir::new("check");
    let p = t.write_str("plots.md", LESSON);
    let o = lessonrun(&["check", &p]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), String::from_utf8_lossy(&o.stderr));
}

#[test]
fn build_draws_figures_as_inline_svg_with_axes_and_titles() {
    let t = TempDir::new("build");
    t.write_str("plots.md", LESSON);
    let out = t.0.join("site");
    let o = lessonrun(&["build", t.0.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let page = std::fs::read_to_string(out.join("plots.html")).unwrap();
    let svgs: Vec<&str> =
        page.split("<svg ").skip(1).map(|s| &s[..s.find("</svg>").expect("closed svg") + 6]).collect();
    assert_eq!(svgs.len(), 2, "one figure per cell");
    let curve = format!("<svg {}", svgs[0]);
    for needle in [">training loss</text>", ">step</text>", ">loss</text>", "stroke=\"#1f77b4\"", "class=\"axes\""] {
        assert!(curve.contains(needle), "{needle} in {curve}");
    }
    // The x ticks of 20 steps on a 5-inch figure: matplotlib puts them at 0, 2.5, 5, ...
    for tick in [">0.0</text>", ">2.5</text>", ">17.5</text>"] {
        assert!(curve.contains(tick), "tick {tick} in {curve}");
    }
    let grid = format!("<svg {}", svgs[1]);
    assert_eq!(grid.matches("<image ").count(), 8, "eight images");
    assert!(grid.contains("href=\"data:image/png;base64,"));
    assert!(grid.contains(">digit 7</text>"));
    for svg in [&curve, &grid] {
        let mut reader = quick_xml::Reader::from_str(svg);
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("the SVG is not well-formed XML: {e}\n{svg}"),
            }
        }
        assert!(!svg.contains("<script") && !svg.contains("onload"), "no scripts in figures");
    }
}

#[test]
fn savefig_is_refused_like_a_file_write() {
    let t = TempDir::new("savefig");
    let p = t.write_str(
        "save.md",
        "```python\nimport matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.savefig('loss.png')\n```\n",
    );
    let o = lessonrun(&["check", &p]);
    let out = stdout(&o);
    assert!(
        out.contains("PermissionError: [Errno 13] Permission denied: 'loss.png': lessons cannot write files"),
        "{out}"
    );
    assert!(!t.0.join("loss.png").exists());
}
