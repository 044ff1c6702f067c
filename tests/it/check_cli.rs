//! `lessonrun check` as CI runs it: parallel and sharded runs, selection by glob and FILE:LINE,
//! every report format read back as its consumer reads it, every comparison option, bless.
//!
//! Fixture outputs are plain Python prints, checked against CPython (`python3`).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use quick_xml::XmlVersion;
use quick_xml::events::Event;

const GRAD: &str = include_str!("fixtures/grad.md");
const OPTIONS: &str = include_str!("fixtures/options.md");

use super::support::TempDir;

fn lessonrun_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lessonrun"));
    cmd.args(args).env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE").env_remove("CLICOLOR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn lessonrun(args: &[&str]) -> Output {
    lessonrun_env(args, &[("NO_COLOR", "1")])
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn both(o: &Output) -> String {
    format!("{}{}", stdout(o), String::from_utf8_lossy(&o.stderr))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", both(o)))
}

/// A lesson whose one cell prints `printed` and expects `expected`.
fn one_cell(printed: &str, expected: &str) -> String {
    format!("# L\n\n```python\nprint({printed:?})\n```\n\n```output\n{expected}\n```\n")
}

/// The 1-based line of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

// ---- options ----------------------------------------------------------------------------------

#[test]
fn every_option_passes_where_exact_comparison_fails() {
    let t = TempDir::new("options");
    let p = t.write("options.md", OPTIONS);
    let o = lessonrun(&["check", "--format", "json", s(&p)]);
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    let v = json(&o);
    let statuses: Vec<&str> = v["files"][0]["cells"].as_array().unwrap().iter().map(|c| c["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["pass", "pass", "pass", "ignored", "pass", "pass"]);
    assert_eq!(v["summary"]["ignored"], 1);

    // Each option taken away makes its cell fail, at its line.
    for (on, off, cell) in [
        ("normalize-whitespace: true", "normalize-whitespace: false", "print(\"a   b\")"),
        ("```output ellipsis", "```output", "for i in range(5):"),
        ("```output tolerance=1e-6", "```output", "print(2 / 3)"),
        ("```output ignore", "```output", "print(\"ignored\""),
    ] {
        let text = OPTIONS.replacen(on, off, 1);
        assert_ne!(text, OPTIONS, "{on}");
        let p = t.write("off.md", &text);
        let o = lessonrun(&["check", s(&p)]);
        assert_eq!(o.status.code(), Some(1), "{on}: {}", both(&o));
        let line = line_of(&text, cell) - 1;
        assert!(stdout(&o).contains(&format!("FAIL {}:{line}:", s(&p))), "{on}: {}", both(&o));
        assert_eq!(stdout(&o).matches("FAIL").count(), 1, "{on}: {}", both(&o));
    }
}

#[test]
fn ellipsis_and_tolerance_still_fail_on_real_differences() {
    let t = TempDir::new("options-fail");
    let text = OPTIONS.replacen("step 4 loss 0.2", "step 4 loss 0.3", 1).replacen("0.6666667", "0.6667", 1);
    let p = t.write("l.md", &text);
    let v = json(&lessonrun(&["check", "--format", "json", s(&p)]));
    let statuses: Vec<&str> = v["files"][0]["cells"].as_array().unwrap().iter().map(|c| c["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["pass", "fail", "fail", "ignored", "pass", "pass"]);
}

#[test]
fn unknown_option_warns_with_its_place() {
    let t = TempDir::new("warn");
    let p = t.write("l.md", "```python\nprint(1)\n```\n\n```output fuzzy\n1\n```\n");
    let o = lessonrun(&["check", "--format", "json", s(&p)]);
    assert_eq!(o.status.code(), Some(0));
    let d = &json(&o)["files"][0]["diagnostics"][0];
    assert_eq!(d["severity"], "warning");
    assert_eq!((d["line"].as_u64(), d["col"].as_u64()), (Some(5), Some(11)));
    assert!(d["message"].as_str().unwrap().contains("fuzzy"));
    let err = String::from_utf8_lossy(&lessonrun(&["check", s(&p)]).stderr).into_owned();
    assert!(err.contains(&format!("{}:5:11", s(&p))), "{err}");
}

// ---- bless ------------------------------------------------------------------------------------

#[test]
fn bless_round_trip_keeps_options_and_matching_cells() {
    let t = TempDir::new("bless-rt");
    // Break the two exactly compared cells; the cells matched through an option still match.
    let broken = OPTIONS.replacen("\nexact\n", "\nexcat\n", 1).replacen("seed 9", "seed 8", 1);
    assert_ne!(broken, OPTIONS);
    let p = t.write("options.md", &broken);
    assert_eq!(lessonrun(&["check", s(&p)]).status.code(), Some(1));
    let o = lessonrun(&["check", "--bless", s(&p)]);
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("(2 cell(s) rewritten)"), "{}", both(&o));
    assert_eq!(std::fs::read_to_string(&p).unwrap(), OPTIONS, "byte for byte");
    // Blessing again changes nothing.
    assert_eq!(lessonrun(&["check", "--bless", s(&p)]).status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&p).unwrap(), OPTIONS);
}

#[test]
fn bless_rewrites_a_block_that_no_longer_matches_keeping_its_words() {
    let t = TempDir::new("bless-opt");
    let p = t.write("l.md", OPTIONS.replacen("0.6666667", "0.7", 1));
    assert_eq!(lessonrun(&["check", "--bless", s(&p)]).status.code(), Some(0));
    let text = std::fs::read_to_string(&p).unwrap();
    assert_eq!(text, OPTIONS.replacen("0.6666667", "0.6666666666666666", 1));
    assert!(text.contains("```output tolerance=1e-6\n0.6666666666666666\n```"));
}

#[test]
fn dry_run_prints_the_change_and_writes_nothing() {
    let t = TempDir::new("dry");
    let broken = GRAD.replacen("dy/da: 6.0", "dy/da: 7.0", 1);
    let p = t.write("grad.md", &broken);
    let before = std::fs::metadata(&p).unwrap().modified().unwrap();
    let o = lessonrun(&["check", "--bless", "--dry-run", s(&p)]);
    assert_eq!(o.status.code(), Some(1), "the lesson still fails");
    let out = stdout(&o);
    assert!(out.contains(&format!("would bless {}\n--- {0} (now)\n+++ {0} (blessed)\n", s(&p))), "{out}");
    assert!(out.contains("-dy/da: 7.0\n+dy/da: 6.0\n"), "{out}");
    assert_eq!(std::fs::read_to_string(&p).unwrap(), broken);
    assert_eq!(std::fs::metadata(&p).unwrap().modified().unwrap(), before);
    assert_eq!(std::fs::read_dir(&t.0).unwrap().count(), 1, "no temporary file left");
    // In JSON the would-be change is a field of the file.
    let v = json(&lessonrun(&["check", "--bless", "--dry-run", "--format", "json", s(&p)]));
    assert!(v["files"][0]["would_bless"].as_str().unwrap().contains("+dy/da: 6.0\n"));
    assert_eq!(std::fs::read_to_string(&p).unwrap(), broken);
    // --dry-run alone is a usage error.
    assert_eq!(lessonrun(&["check", "--dry-run", s(&p)]).status.code(), Some(2));
}

#[test]
fn bless_of_one_cell_leaves_the_others() {
    let t = TempDir::new("bless-one");
    let broken = GRAD.replacen("dy/da: 6.0", "dy/da: 7.0", 1).replacen("tensor(30.", "tensor(31.", 1);
    let p = t.write("grad.md", &broken);
    let line = line_of(&broken, "w = torch.tensor") - 1;
    assert_eq!(lessonrun(&["check", "--bless", &format!("{}:{line}", s(&p))]).status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&p).unwrap(), GRAD.replacen("dy/da: 6.0", "dy/da: 7.0", 1));
}

// ---- selection --------------------------------------------------------------------------------

#[test]
fn file_line_runs_the_cells_before_and_reports_only_that_cell() {
    let t = TempDir::new("line");
    let text = "```python\nx = 40\n```\n\n```python\nprint(x + 2)\n```\n\n```output\n42\n```\n\n```python\nprint('later')\n```\n\n```output\nwrong\n```\n";
    let p = t.write("l.md", text);
    assert_eq!(lessonrun(&["check", s(&p)]).status.code(), Some(1));
    for line in [5, 6, 10, 11] {
        let o = lessonrun(&["check", "--format", "json", &format!("{}:{line}", s(&p))]);
        assert_eq!(o.status.code(), Some(0), "line {line}: {}", both(&o));
        let cells = json(&o)["files"][0]["cells"].as_array().unwrap().clone();
        assert_eq!(cells.len(), 1, "line {line}");
        assert_eq!(cells[0]["line"], 5);
        assert_eq!(cells[0]["actual"], "42\n");
    }
    let o = lessonrun(&["check", &format!("{}:14", s(&p))]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains(&format!("FAIL {}:13:", s(&p))), "{}", both(&o));
    // A line outside every cell is a usage error.
    let o = lessonrun(&["check", &format!("{}:4", s(&p))]);
    assert_eq!(o.status.code(), Some(2), "{}", both(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no cell at this line"));
}

#[test]
fn globs_select_lessons() {
    let t = TempDir::new("glob");
    for name in ["a1.md", "a2.md", "b1.md", "sub/a3.md", "sub/deep/a4.md"] {
        t.write(name, one_cell("x", "x"));
    }
    let paths = |pattern: &str| -> Vec<String> {
        let v = json(&lessonrun(&["check", "--format", "json", &format!("{}/{pattern}", t.path())]));
        v["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap().rsplit_once(t.path()).unwrap().1.to_string()).collect()
    };
    assert_eq!(paths("a*.md"), ["/a1.md", "/a2.md"]);
    assert_eq!(paths("**/a*.md"), ["/a1.md", "/a2.md", "/sub/a3.md", "/sub/deep/a4.md"]);
    assert_eq!(paths("[b]?.md"), ["/b1.md"]);
    assert_eq!(lessonrun(&["check", &format!("{}/z*.md", t.path())]).status.code(), Some(2));
}

#[test]
fn shards_together_run_every_lesson_exactly_once() {
    let t = TempDir::new("shard");
    for i in 0..10 {
        t.write(&format!("l{i:02}.md"), one_cell(&format!("lesson {i}"), &format!("lesson {i}")));
    }
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut sizes = Vec::new();
    for k in 1..=3 {
        let o = lessonrun(&["check", "--format", "json", "--shard", &format!("{k}/3"), t.path()]);
        assert_eq!(o.status.code(), Some(0), "{}", both(&o));
        let v = json(&o);
        let files = v["files"].as_array().unwrap();
        sizes.push(files.len());
        for f in files {
            *seen.entry(f["path"].as_str().unwrap().to_string()).or_default() += 1;
        }
    }
    assert_eq!(seen.len(), 10, "{seen:?}");
    assert!(seen.values().all(|&n| n == 1), "{seen:?}");
    assert_eq!(sizes, [4, 3, 3]);
    // The same shard is the same lessons every time.
    let a = stdout(&lessonrun(&["check", "--shard", "2/3", t.path()]));
    let b = stdout(&lessonrun(&["check", "--shard", "2/3", "--jobs", "1", t.path()]));
    assert_eq!(a, b);
    for bad in ["0/3", "4/3", "x", "1/0"] {
        assert_eq!(lessonrun(&["check", "--shard", bad, t.path()]).status.code(), Some(2), "{bad}");
    }
}

#[test]
fn parallel_reports_are_in_path_order_and_identical_to_serial() {
    let t = TempDir::new("order");
    for i in 0..12 {
        let (printed, expected) = (format!("n {i}"), if i % 3 == 0 { format!("m {i}") } else { format!("n {i}") });
        t.write(&format!("l{i:02}.md"), one_cell(&printed, &expected));
    }
    let serial = lessonrun(&["check", "--jobs", "1", t.path()]);
    let parallel = lessonrun(&["check", "--jobs", "4", t.path()]);
    assert_eq!(serial.status.code(), Some(1));
    assert_eq!(stdout(&serial), stdout(&parallel));
    let out = stdout(&serial);
    let fails: Vec<&str> = out.lines().filter(|l| l.starts_with("FAIL")).map(|l| l.rsplit('/').next().unwrap()).collect();
    assert_eq!(fails, ["l00.md:3: differs from its expected output", "l03.md:3: differs from its expected output", "l06.md:3: differs from its expected output", "l09.md:3: differs from its expected output"]);
    assert_eq!(out.lines().last(), Some("8 passed, 4 failed"));
}

#[test]
fn fail_fast_stops_starting_lessons() {
    let t = TempDir::new("failfast");
    for i in 0..6 {
        t.write(&format!("l{i}.md"), one_cell("a", "b"));
    }
    let o = lessonrun(&["check", "--fail-fast", "--jobs", "1", "--format", "json", t.path()]);
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    assert_eq!(v["files"].as_array().unwrap().len(), 1);
    assert_eq!(v["summary"]["not_run"], 5);
    let o = lessonrun(&["check", "--fail-fast", "--jobs", "1", t.path()]);
    assert_eq!(stdout(&o).lines().last(), Some("0 passed, 1 failed, 5 lesson(s) not run (--fail-fast)"));
    // Without it every lesson runs.
    assert_eq!(json(&lessonrun(&["check", "--format", "json", t.path()]))["summary"]["failed"], 6);
}

#[test]
fn an_unreadable_lesson_is_an_io_error_for_itself_alone() {
    let t = TempDir::new("unreadable");
    t.write("a.md", one_cell("ok", "ok"));
    t.write("b.md", b"# L\n\n\xff\xfe not UTF-8\n");
    t.write("c.md", one_cell("ok", "ok"));
    let o = lessonrun(&["check", t.path()]);
    assert_eq!(o.status.code(), Some(2), "an unreadable lesson is an I/O error: {}", both(&o));
    let out = stdout(&o);
    assert!(out.contains(&format!("ERROR {}/b.md: cannot check this lesson:", t.path())), "{out}");
    assert_eq!(out.lines().last(), Some("2 passed, 0 failed, 1 lesson(s) could not be read"));
    let v = json(&lessonrun(&["check", "--format", "json", t.path()]));
    assert_eq!(v["files"].as_array().unwrap().len(), 3);
    assert!(v["files"][1]["error"].as_str().unwrap().contains("UTF-8"), "{v}");
    assert_eq!(v["summary"]["errors"], 1);
    let junit = parse_xml(&stdout(&lessonrun(&["check", "--format", "junit", t.path()])));
    let suite = &junit.children[1];
    assert_eq!(suite.attr("errors"), "1");
    assert_eq!(suite.children[0].children[0].name, "error");
}

// ---- formats ----------------------------------------------------------------------------------

/// A lesson with one cell of each outcome, printing characters that XML and GitHub's workflow
/// commands must escape.
const OUTCOMES: &str = "# Outcomes\n\n```python\nprint(1 + 1)\n```\n\n```output\n2\n```\n\n\
                        ```python\nprint(\"<&>\\\"' 100% a,b:c\" + chr(27) + \"[0m\")\n```\n\n```output\nnot this\n```\n\n\
                        ```python\nprint(undefined)\n```\n\n```output\n1\n```\n\n\
                        ```python skip\nprint(3)\n```\n\n\
                        ```python\nprint(4)\n```\n\n```output ignore\n5\n```\n\n\
                        ```python\nprint(\"new\")\n```\n";

#[test]
fn json_has_timings_and_diagnostics() {
    let t = TempDir::new("json");
    let p = t.write("o.md", OUTCOMES);
    let o = lessonrun(&["check", "--format", "json", s(&p)]);
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    let f = &v["files"][0];
    let statuses: Vec<&str> = f["cells"].as_array().unwrap().iter().map(|c| c["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["pass", "fail", "error", "skip", "ignored", "missing"]);
    assert_eq!(f["cells"][1]["actual"], "<&>\"' 100% a,b:c\u{1b}[0m\n", "machine formats keep every byte");
    assert!(f["duration_ms"].as_f64().unwrap() >= 0.0);
    assert!(f["cells"][0]["duration_ms"].as_f64().is_some());
    assert!(v["summary"]["duration_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(v["summary"]["passed"], 1);
    assert_eq!(v["summary"]["failed"], 3);
    assert_eq!(v["summary"]["skipped"], 1);
    assert_eq!(v["summary"]["ignored"], 1);
    let line = line_of(OUTCOMES, "print(undefined)");
    let d = &f["diagnostics"][0];
    assert_eq!(d["severity"], "error");
    assert_eq!(d["message"], "NameError: name 'undefined' is not defined");
    assert_eq!((d["line"].as_u64(), d["col"].as_u64()), (Some(line as u64), Some(7)));
}

/// A parsed XML element: name, attributes, children and text (entities resolved).
#[derive(Debug, Default)]
struct Element {
    name: String,
    attrs: BTreeMap<String, String>,
    children: Vec<Element>,
    text: String,
}

impl Element {
    fn attr(&self, k: &str) -> &str {
        self.attrs.get(k).map_or("", String::as_str)
    }
}

/// Parses an XML document as a consumer would, failing on anything not well-formed.
fn parse_xml(xml: &str) -> Element {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack = vec![Element::default()];
    let element = |e: &quick_xml::events::BytesStart| Element {
        name: e.name().into_inner().to_string(),
        attrs: e
            .attributes()
            .map(|a| {
                let a = a.expect("well-formed attribute");
                (a.key.into_inner().to_string(), a.normalized_value(XmlVersion::Implicit1_0).expect("known entities").into_owned())
            })
            .collect(),
        ..Element::default()
    };
    loop {
        match reader.read_event().unwrap_or_else(|e| panic!("not well-formed XML: {e}\n{xml}")) {
            Event::Start(e) => stack.push(element(&e)),
            Event::Empty(e) => stack.last_mut().unwrap().children.push(element(&e)),
            Event::End(_) => {
                let done = stack.pop().unwrap();
                stack.last_mut().unwrap().children.push(done);
            }
            Event::Text(t) => stack.last_mut().unwrap().text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref().unwrap() {
                    Some(c) => c,
                    None => match &*r.xml10_content() {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        other => panic!("unknown entity {other}"),
                    },
                };
                stack.last_mut().unwrap().text.push(c);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(stack.len(), 1, "unclosed elements");
    let mut root = stack.pop().unwrap();
    assert_eq!(root.children.len(), 1, "one root element");
    root.children.pop().unwrap()
}

#[test]
fn junit_is_well_formed_with_a_testcase_per_cell() {
    let t = TempDir::new("junit");
    let p = t.write("o.md", OUTCOMES);
    t.write("p.md", GRAD);
    let o = lessonrun(&["check", "--format", "junit", t.path()]);
    assert_eq!(o.status.code(), Some(1));
    let xml = stdout(&o);
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
    assert!(!xml.chars().any(|c| (c as u32) < 0x20 && !"\t\n\r".contains(c)), "no character XML 1.0 forbids");
    let root = parse_xml(&xml);
    assert_eq!(root.name, "testsuites");
    assert_eq!((root.attr("tests"), root.attr("failures"), root.attr("errors"), root.attr("skipped")), ("9", "2", "1", "2"));
    assert_eq!(root.children.len(), 2, "one testsuite per lesson");
    let suite = &root.children[0];
    assert_eq!(suite.name, "testsuite");
    assert_eq!(suite.attr("name"), s(&p));
    assert_eq!(suite.children.len(), 6, "one testcase per cell");
    let cases = &suite.children;
    assert!(cases.iter().all(|c| c.name == "testcase" && c.attr("classname") == s(&p)));
    assert_eq!(cases[0].attr("name"), format!("{}:3", s(&p)));
    assert_eq!(cases[0].attr("line"), "3");
    assert!(cases[0].children.is_empty(), "a pass has no child");
    let failure = &cases[1].children[0];
    assert_eq!(failure.name, "failure");
    assert!(failure.text.contains("+<&>\"' 100% a,b:c\u{FFFD}[0m\n"), "{}", failure.text);
    assert!(failure.text.contains("-not this\n"));
    assert_eq!(cases[2].children[0].name, "error");
    assert_eq!(cases[2].children[0].attr("message"), "NameError: name 'undefined' is not defined");
    assert_eq!(cases[3].children[0].name, "skipped");
    assert_eq!(cases[4].children[0].name, "skipped");
    assert_eq!(cases[5].children[0].name, "failure");
    assert!(cases.iter().all(|c| c.attr("time").parse::<f64>().is_ok()));
    assert_eq!(root.children[1].attr("failures"), "0");
    assert_eq!(root.children[1].children.len(), 3);
}

/// A workflow command line as the GitHub runner reads it: `::name key=value,...::message`,
/// with `%25`, `%0D`, `%0A` (and in values `%3A`, `%2C`) unescaped.
fn parse_annotation(line: &str) -> (String, BTreeMap<String, String>, String) {
    let unescape = |s: &str| s.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",").replace("%25", "%");
    let rest = line.strip_prefix("::").expect("a workflow command");
    let (head, message) = rest.split_once("::").expect("properties end with ::");
    let (name, props) = head.split_once(' ').unwrap_or((head, ""));
    let props = props
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').expect("key=value");
            (k.to_string(), unescape(v))
        })
        .collect();
    (name.to_string(), props, unescape(message))
}

#[test]
fn github_annotations_point_at_cells_and_are_escaped() {
    let t = TempDir::new("github");
    // A path with the characters a property value must escape.
    let p = t.write("o,u:t.md", OUTCOMES.replacen("```output ignore", "```output ignore fuzzy", 1));
    let o = lessonrun(&["check", "--format", "github", t.path()]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 5, "{out}");
    assert_eq!(lines[4], "1 passed, 3 failed, 1 skipped, 1 ignored");
    let annotations: Vec<_> = lines[..4].iter().map(|l| parse_annotation(l)).collect();
    let (name, props, message) = &annotations[0];
    assert_eq!(name, "warning");
    assert_eq!(props["file"], s(&p));
    assert!(message.contains("fuzzy"));
    let (name, props, message) = &annotations[1];
    assert_eq!(name, "error");
    assert_eq!(props["file"], s(&p));
    assert_eq!(props["line"], line_of(OUTCOMES, "chr(27)").saturating_sub(1).to_string());
    assert_eq!(props["endLine"], (line_of(OUTCOMES, "not this") + 1).to_string());
    assert_eq!(props["title"], "lessonrun: cell output differs");
    assert!(message.contains("-not this\n+<&>\"' 100% a,b:c\u{1b}[0m"), "{message:?}");
    assert!(!lines[1].contains('\n') && lines[1].contains("100%25"));
    assert_eq!(annotations[2].1["title"], "lessonrun: cell raised an error");
    assert!(annotations[2].2.starts_with("NameError: name 'undefined' is not defined\n"));
    assert_eq!(annotations[3].1["title"], "lessonrun: cell has no expected output");
}

#[test]
fn human_diff_highlights_changed_characters_only_in_color() {
    let t = TempDir::new("human");
    let p = t.write("grad.md", GRAD.replacen("dy/da: 6.0", "dy/da: 7.0", 1));
    // NO_COLOR wins even over a forced color.
    let plain = lessonrun_env(&["check", s(&p)], &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]);
    assert!(!stdout(&plain).contains('\u{1b}'), "{}", stdout(&plain));
    assert!(stdout(&plain).contains("@@ -1,2 +1,2 @@\n-dy/da: 7.0\n+dy/da: 6.0\n dy/db: 1.0\n"));
    // Not a terminal: no color either.
    assert!(!stdout(&lessonrun_env(&["check", s(&p)], &[])).contains('\u{1b}'));
    // Forced color (as on a terminal): the changed digit alone is inverted, inside a red or
    // green line.
    let colored = stdout(&lessonrun_env(&["check", s(&p)], &[("CLICOLOR_FORCE", "1")]));
    let removed = colored.lines().find(|l| l.contains("dy/da: ") && l.contains('7')).unwrap();
    let added = colored.lines().find(|l| l.contains("dy/da: ") && l.contains('6')).unwrap();
    // The characters printed while inverse video (SGR 7) is on.
    let inverted = |line: &str| {
        let (mut on, mut out, mut rest) = (false, String::new(), line);
        while let Some(c) = rest.chars().next() {
            if let Some(esc) = rest.strip_prefix("\u{1b}[") {
                let end = esc.find('m').unwrap();
                match &esc[..end] {
                    "7" => on = true,
                    "0" => on = false,
                    _ => {}
                }
                rest = &esc[end + 1..];
            } else {
                if on {
                    out.push(c);
                }
                rest = &rest[c.len_utf8()..];
            }
        }
        out
    };
    assert_eq!(inverted(removed), "7", "{removed:?}");
    assert_eq!(inverted(added), "6", "{added:?}");
    assert!(removed.contains("\u{1b}[31m") && added.contains("\u{1b}[32m"));
    // A cell's own escape sequences are shown, not obeyed.
    let p = t.write("o.md", OUTCOMES);
    let colored = stdout(&lessonrun_env(&["check", s(&p)], &[("CLICOLOR_FORCE", "1")]));
    let line = colored.lines().find(|l| l.contains("100% a,b:c")).unwrap();
    assert!(line.contains("\u{241B}[0m"), "{line:?}");
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(lessonrun(&["check", "/nonexistent/lessons"]).status.code(), Some(2));
    assert_eq!(lessonrun(&["check", "--format", "xml", "lessons"]).status.code(), Some(2));
    assert_eq!(lessonrun(&["check", "--jobs", "many", "lessons"]).status.code(), Some(2));
}

/// A Python that can import torch, for the `--engine pytorch` tests: `$LESSONRUN_PYTHON`, then
/// `python3`. None where there is none; in CI (`CI` set) only an explicit `LESSONRUN_PYTHON`
/// counts, since CI runs without PyTorch. The tests then say they were skipped.
fn python_with_torch() -> Option<String> {
    let explicit = std::env::var("LESSONRUN_PYTHON").ok();
    let fallback = std::env::var_os("CI").is_none().then(|| "python3".to_string());
    let candidates = [explicit, fallback];
    candidates.into_iter().flatten().find(|py| {
        Command::new(py).args(["-c", "import torch"]).output().is_ok_and(|o| o.status.success())
    })
}

#[test]
fn engine_pytorch_agrees_with_the_expected_outputs_of_the_repository() {
    let Some(py) = python_with_torch() else {
        eprintln!("skipped: no Python with torch (set LESSONRUN_PYTHON) for --engine pytorch");
        return;
    };
    let root = env!("CARGO_MANIFEST_DIR");
    let (lessons, conformance) = (format!("{root}/lessons"), format!("{root}/tests/conformance"));
    let o = lessonrun(&["check", "--engine", "pytorch", "--python", &py, &lessons, &conformance]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), String::from_utf8_lossy(&o.stderr));
}

#[test]
fn engine_both_reports_a_wrong_expectation_and_a_cell_where_the_engines_differ() {
    let Some(py) = python_with_torch() else {
        eprintln!("skipped: no Python with torch (set LESSONRUN_PYTHON) for --engine both");
        return;
    };
    let t = TempDir::new("engine-both");
    // Cell 1 agrees everywhere; cell 2's expectation is wrong for both engines; cell 3 prints
    // a set of ints, which lessonrun lists in insertion order and CPython in hash order (a
    // listed divergence).
    let text = "```python\nprint(torch.tensor([1., 2.]) * 2)\n```\n\n```output\ntensor([2., 4.])\n```\n\n\
                ```python\nprint(1 + 1)\n```\n\n```output\n3\n```\n\n\
                ```python\nprint({3, 1, 2})\n```\n";
    let p = t.write("both.md", text);
    let o = lessonrun(&["check", "--engine", "both", "--python", &py, p.to_str().unwrap()]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("1 passed, 2 failed"), "{out}");
    assert!(out.contains("both.md:9"), "the wrong expectation is reported: {out}");
    assert!(out.contains("both.md:17") && out.contains("-{1, 2, 3}") && out.contains("+{3, 1, 2}"), "the engines' difference is reported: {out}");
    // The file is untouched.
    assert_eq!(std::fs::read_to_string(&p).unwrap(), text);
}

#[test]
fn engine_pytorch_without_python_is_a_clear_error() {
    let t = TempDir::new("engine-nopython");
    let p = t.write("a.md", "```python\nprint(1)\n```\n");
    let o = lessonrun(&["check", "--engine", "pytorch", "--python", "/nonexistent/python3", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("cannot start Python `/nonexistent/python3`"), "{err}");
}

#[test]
fn check_finds_nothing_to_check_is_a_usage_error_not_green() {
    let t = TempDir::new("nothing");
    std::fs::create_dir_all(t.0.join("empty")).unwrap();
    let o = lessonrun(&["check", t.0.join("empty").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no lessons found"), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!stdout(&o).contains("0 passed, 0 failed"));
    let p = t.write("prose.md", "# Only prose\n\n```text\nnot a cell\n```\n");
    let o = lessonrun(&["check", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no cells found in 1 lesson(s)"), "{}", String::from_utf8_lossy(&o.stderr));
}
