//! The host's hardening (issue #15), one test per hole with the reproducer that found it: no
//! write outside the lesson, no read outside the lessons, bless that edits expectation bodies
//! only and never loses an edit, no quiet green, untrusted prose, and a crash that takes no
//! other lesson's result with it. Each asserts the message at its `file:line`, the exit code,
//! and that no byte outside the lesson's expectation changed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::support::TempDir;

fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lessonrun"));
    cmd.args(args)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("LESSONRUN_TEST_CRASH_ON");
    cmd
}

fn lessonrun(args: &[&str]) -> Output {
    command(args).output().unwrap()
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn both(o: &Output) -> String {
    format!("{}{}", out(o), err(o))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A lesson whose one cell prints `printed` (a Python expression) and expects `expected`.
fn one_cell(printed: &str, expected: &str) -> String {
    format!("# L\n\n```python\nprint({printed})\n```\n\n```output\n{expected}\n```\n")
}

/// `text` is `before` + anything + `after`: the bytes outside an expectation were kept.
fn kept_around(text: &str, before: &str, after: &str) {
    assert!(
        text.starts_with(before) && text.ends_with(after),
        "bytes outside the expectation changed:\n{text:?}"
    );
}

/// Runs lessonrun with `args` as process `pid` after `prepare(pid)` ran: a shell reports its
/// id, waits for a line on stdin, then becomes lessonrun with that same id.
#[cfg(unix)]
fn lessonrun_as_known_pid(args: &[&str], prepare: impl FnOnce(u32)) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("read _ && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_lessonrun"))
        .args(args);
    cmd.env("NO_COLOR", "1")
        .env_remove("LESSONRUN_TEST_CRASH_ON");
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    prepare(child.id());
    child.stdin.take().unwrap().write_all(b"go\n").unwrap();
    child.wait_with_output().unwrap()
}

#[cfg(unix)]
#[test]
fn bless_and_build_never_write_through_a_planted_temporary_link() {
    let dir = TempDir::new("planted");
    let victim = dir.write("victim", "precious\n");
    let victim_mode = std::fs::metadata(&victim).unwrap().permissions();
    let lesson = dir.write("a.md", one_cell("2", "1"));
    let site = dir.join("site");
    std::fs::create_dir_all(&site).unwrap();
    // The old temporary names were `.NAME.lessonrun-$PID.tmp`: a link to the victim at every
    // such name lessonrun and the next hundred processes could use.
    let plant = |names: &[&str], pid: u32| {
        for p in pid..pid + 100 {
            for name in names {
                let _ = std::os::unix::fs::symlink(&victim, format!("{name}.lessonrun-{p}.tmp"));
            }
        }
    };
    let planted_lesson = format!("{}/.a.md", dir.0.display());
    let o = lessonrun_as_known_pid(&["check", "--bless", s(&lesson)], |pid| {
        plant(&[&planted_lesson], pid)
    });
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    assert_eq!(
        std::fs::read_to_string(&lesson).unwrap(),
        one_cell("2", "2")
    );
    assert!(std::fs::symlink_metadata(&lesson).unwrap().is_file());
    let (planted_index, planted_page) = (
        format!("{}/.index.html", site.display()),
        format!("{}/.a.html", site.display()),
    );
    let o = lessonrun_as_known_pid(&["build", s(&lesson), "--out", s(&site)], |pid| {
        plant(&[&planted_index, &planted_page], pid)
    });
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    assert!(
        std::fs::read_to_string(site.join("a.html"))
            .unwrap()
            .contains("<html")
    );
    assert!(
        std::fs::symlink_metadata(site.join("index.html"))
            .unwrap()
            .is_file()
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    assert_eq!(
        std::fs::metadata(&victim).unwrap().permissions(),
        victim_mode
    );
    // No temporary file is left behind.
    let leftovers: Vec<String> = std::fs::read_dir(&dir.0)
        .unwrap()
        .chain(std::fs::read_dir(&site).unwrap())
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("lessonrun-tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[cfg(unix)]
#[test]
fn bless_refuses_a_symlinked_or_read_only_lesson_naming_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("refuse");
    let real = dir.write("real.md", one_cell("2", "1"));
    let link = dir.join("link.md");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let o = lessonrun(&["check", "--bless", s(&link)]);
    assert_eq!(o.status.code(), Some(2), "{}", both(&o));
    assert!(
        err(&o).contains(&format!("{} is a symbolic link", s(&link))),
        "{}",
        both(&o)
    );
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read_to_string(&real).unwrap(), one_cell("2", "1"));

    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o444)).unwrap();
    let o = lessonrun(&["check", "--bless", s(&real)]);
    assert_eq!(o.status.code(), Some(2), "{}", both(&o));
    assert!(
        err(&o).contains(&format!("{} is read-only", s(&real))),
        "{}",
        both(&o)
    );
    assert_eq!(std::fs::read_to_string(&real).unwrap(), one_cell("2", "1"));
    assert_eq!(
        std::fs::metadata(&real).unwrap().permissions().mode() & 0o777,
        0o444
    );
}

/// Whether a thread named `lesson` (the one `execute` runs cells on) runs in a descendant of
/// process `pid`: then the lesson file has been read.
#[cfg(target_os = "linux")]
fn lesson_running_under(pid: u32) -> bool {
    let parent_of = |p: &str| -> Option<u32> {
        let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).ok()?;
        stat.rsplit_once(')')?
            .1
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    };
    let procs: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    procs.iter().filter(|p| p.parse::<u32>().is_ok()).any(|p| {
        let mut at = p.parse::<u32>().unwrap();
        let descends = loop {
            if at == pid {
                break true;
            }
            match parent_of(&at.to_string()) {
                Some(parent) if parent > 1 => at = parent,
                _ => break false,
            }
        };
        descends
            && std::fs::read_dir(format!("/proc/{p}/task"))
                .into_iter()
                .flatten()
                .flatten()
                .any(|t| {
                    std::fs::read_to_string(t.path().join("comm"))
                        .is_ok_and(|c| c.trim() == "lesson")
                })
    })
}

#[cfg(target_os = "linux")]
#[test]
fn an_edit_saved_while_bless_runs_is_kept() {
    let dir = TempDir::new("edit-during-bless");
    dir.write("go.txt", "wait");
    // The cell waits for the test's go (lessons may read files beside them), so the edit below
    // lands after the lesson was read and before bless writes.
    let text = "# L\n\n```python\nwhile open('go.txt').read() != 'go':\n    pass\nprint(2)\n```\n\n```output\n1\n```\n";
    let lesson = dir.write("a.md", text);
    let child = command(&["check", "--bless", s(&lesson)])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while !lesson_running_under(child.id()) {
        assert!(start.elapsed().as_secs() < 60, "the lesson never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let edited = format!("{text}\nA paragraph the author saved meanwhile.\n");
    std::fs::write(&lesson, &edited).unwrap();
    dir.write("go.txt", "go");
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", both(&o));
    assert!(
        err(&o).contains(&format!(
            "{} changed on disk while it was being checked",
            s(&lesson)
        )),
        "{}",
        both(&o)
    );
    assert_eq!(std::fs::read_to_string(&lesson).unwrap(), edited);
}

#[cfg(unix)]
#[test]
fn a_lesson_linked_out_of_the_tree_is_neither_built_nor_checked() {
    let dir = TempDir::new("leak");
    let lessons = dir.join("lessons");
    dir.write("lessons/ok.md", one_cell("1", "1"));
    dir.write("lessons/sub/inside.md", one_cell("3", "3"));
    dir.write(
        "outside/secret.md",
        "# Secret\n\nLESSONRUN_SECRET_TOKEN\n\n```python\nprint(1)\n```\n",
    );
    std::os::unix::fs::symlink("/proc/self/environ", lessons.join("leak.md")).unwrap();
    std::os::unix::fs::symlink(dir.join("outside/secret.md"), lessons.join("secret.md")).unwrap();
    // A link to a lesson inside the tree is still a lesson.
    std::os::unix::fs::symlink(lessons.join("sub/inside.md"), lessons.join("alias.md")).unwrap();
    let site = dir.join("site");
    let o = command(&["build", s(&lessons), "--out", s(&site)])
        .env("LESSONRUN_SECRET_TOKEN", "x")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", both(&o));
    for name in ["leak.md", "secret.md"] {
        let path = lessons.join(name);
        assert!(
            err(&o).contains(&format!("{}: a symbolic link to", s(&path))),
            "{name}: {}",
            both(&o)
        );
    }
    assert!(!site.join("leak.html").exists() && !site.join("secret.html").exists());
    assert!(
        site.join("ok.html").exists()
            && site.join("alias.html").exists()
            && site.join("sub/inside.html").exists()
    );
    for entry in walk(&site) {
        let page = std::fs::read_to_string(&entry).unwrap();
        assert!(
            !page.contains("LESSONRUN_SECRET_TOKEN") && !page.contains("Secret"),
            "{}",
            entry.display()
        );
    }
    // check reports them, in every way a shell could name them.
    let glob = format!("{}/*.md", s(&lessons));
    let leak = lessons.join("leak.md");
    for args in [vec![s(&lessons)], vec![glob.as_str()], vec![s(&leak)]] {
        let mut full = vec!["check", "--format", "json"];
        full.extend(args);
        let o = lessonrun(&full);
        assert_eq!(o.status.code(), Some(2), "{full:?}: {}", both(&o));
        let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let files = report["files"].as_array().unwrap();
        let leak_report = files
            .iter()
            .find(|f| f["path"] == s(&leak))
            .unwrap_or_else(|| panic!("{report}"));
        assert!(
            leak_report["error"].as_str().unwrap().contains("outside"),
            "{leak_report}"
        );
        assert!(leak_report["cells"].as_array().unwrap().is_empty());
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.file_type().unwrap().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}

#[test]
fn a_seed_string_bless_never_turns_printed_text_into_code() {
    let dir = TempDir::new("seed");
    let before = "# L\n\n```python\nprint('a\\n\"\"\"\\nprint(42)\\n\"\"\"')\n";
    let after = "```\n\nAfter.\n";
    let lesson = dir.write(
        "a.md",
        format!("{before}\"\"\"\noutput:\nold\n\"\"\"\n{after}"),
    );
    let o = lessonrun(&["check", "--bless", s(&lesson)]);
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    let blessed = std::fs::read_to_string(&lesson).unwrap();
    kept_around(&blessed, before, after);
    assert_eq!(
        blessed,
        format!("{before}'''\noutput:\na\n\"\"\"\nprint(42)\n\"\"\"\n'''\n{after}")
    );
    // Blessed once, the lesson passes, and `print(42)` is still text, not code.
    let o = lessonrun(&["check", "--format", "json", s(&lesson)]);
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        report["files"][0]["cells"][0]["actual"],
        "a\n\"\"\"\nprint(42)\n\"\"\"\n"
    );

    // Text holding both kinds of triple quotes moves to an output block after the cell.
    let lesson = dir.write(
        "b.md",
        format!("{before}\"\"\"\noutput:\nold\n\"\"\"\n{after}")
            .replace("\\n\"\"\"')", "\\n\\'\\'\\'\"\"\"')"),
    );
    let o = lessonrun(&["check", "--bless", s(&lesson)]);
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    let blessed = std::fs::read_to_string(&lesson).unwrap();
    assert!(
        blessed.ends_with("```\n\n```output\na\n\"\"\"\nprint(42)\n'''\"\"\"\n```\n\nAfter.\n"),
        "{blessed}"
    );
    assert_eq!(lessonrun(&["check", s(&lesson)]).status.code(), Some(0));
}

#[test]
fn an_unclosed_fence_is_an_error_at_its_line_and_nothing_is_written() {
    let dir = TempDir::new("unclosed");
    let text = "# L\n\nSome prose.\n\n```python\nprint(1)\n";
    let lesson = dir.write("a.md", text);
    for args in [vec!["check", "--bless"], vec!["check"], vec!["run"]] {
        let mut full = args.clone();
        full.push(s(&lesson));
        let o = lessonrun(&full);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", both(&o));
        assert!(
            both(&o).contains(&format!("{}:5:1", s(&lesson))),
            "{args:?}: {}",
            both(&o)
        );
        assert!(
            both(&o).contains("never closed, so it runs to the end of the file"),
            "{}",
            both(&o)
        );
        assert_eq!(std::fs::read_to_string(&lesson).unwrap(), text);
    }
    let site = dir.join("site");
    let o = lessonrun(&["build", s(&lesson), "--out", s(&site)]);
    assert_eq!(o.status.code(), Some(2), "{}", both(&o));
    assert!(
        err(&o).contains(&format!("{}:5:1", s(&lesson))),
        "{}",
        both(&o)
    );
    assert!(!site.join("a.html").exists());
}

#[test]
fn crlf_lessons_stay_crlf_through_bless() {
    let dir = TempDir::new("crlf");
    let before = "# L\r\n\r\n```python\r\nprint(2)\r\nprint(3)\r\n```\r\n\r\n```output\r\n";
    let after = "```\r\n\r\n```python\r\nprint(4)\r\n```\r\n\r\nEnd.\r\n";
    let lesson = dir.write("a.md", format!("{before}1\r\n{after}"));
    let o = lessonrun(&["check", "--bless", s(&lesson)]);
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    let blessed = std::fs::read_to_string(&lesson).unwrap();
    kept_around(&blessed, before, "```\r\n\r\nEnd.\r\n");
    assert_eq!(
        blessed,
        format!(
            "{before}2\r\n3\r\n```\r\n\r\n```python\r\nprint(4)\r\n```\r\n\r\n```output\r\n4\r\n```\r\n\r\nEnd.\r\n"
        )
    );
    assert!(
        !blessed.replace("\r\n", "").contains(['\r', '\n']),
        "a lone CR or LF: {blessed:?}"
    );
    assert_eq!(lessonrun(&["check", s(&lesson)]).status.code(), Some(0));
}

#[test]
fn nothing_to_check_is_never_green() {
    let dir = TempDir::new("quiet");
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let prose = dir.write("prose/a.md", "# Only prose\n\n```text\nnot a cell\n```\n");
    let site = dir.join("site");
    for args in [
        vec!["check", s(&empty)],
        vec!["build", s(&empty), "--out", s(&site)],
    ] {
        let o = lessonrun(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", both(&o));
        assert!(err(&o).contains("no lessons found in"), "{}", both(&o));
    }
    let o = lessonrun(&["check", "--shard", "2/2", s(&prose)]);
    assert_eq!(o.status.code(), Some(2), "{}", both(&o));
    assert!(err(&o).contains("shard 2/2 has no lesson: only 1 lesson(s) were found"), "{}", both(&o));
    for args in [
        vec!["check", s(&prose)],
        vec!["build", s(&prose), "--out", s(&site)],
        vec!["run", s(&prose)],
    ] {
        let o = lessonrun(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", both(&o));
        assert!(err(&o).contains("no cells found in"), "{}", both(&o));
    }
}

#[test]
fn a_bom_is_read_and_kept_and_ambiguous_files_are_reported_at_their_line() {
    let dir = TempDir::new("bom");
    let lesson = dir.write("bom.md", format!("\u{feff}{}", one_cell("2", "1")));
    let o = lessonrun(&["check", "--bless", s(&lesson)]);
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    assert_eq!(
        std::fs::read_to_string(&lesson).unwrap(),
        format!("\u{feff}{}", one_cell("2", "2"))
    );
    let o = lessonrun(&["check", s(&lesson)]);
    assert_eq!(
        (o.status.code(), out(&o).trim()),
        (Some(0), "1 passed, 0 failed")
    );

    let cases = [
        (
            "unclosed-front-matter.md",
            "---\ntitle: T\nellipsis: true\n\n```python\nprint(1)\n```\n\n```output\n1\n```\n"
                .to_string(),
            "front matter opened here is never closed",
        ),
        (
            "swallowing-front-matter.md",
            "---\ntitle: T\n\n```python\nprint(1)\n```\n\n```output\n1\n```\n\n---\n".to_string(),
            "front matter opened here runs over a code block",
        ),
        (
            "cr-only.md",
            one_cell("1", "1").replace('\n', "\r"),
            "lines end in a lone carriage return",
        ),
    ];
    for (name, text, message) in cases {
        let lesson = dir.write(name, &text);
        let o = lessonrun(&["check", "--bless", s(&lesson)]);
        assert_eq!(o.status.code(), Some(2), "{name}: {}", both(&o));
        assert!(
            out(&o).contains(&format!("{}:1:1: ", s(&lesson))) && out(&o).contains(message),
            "{name}: {}",
            both(&o)
        );
        assert_eq!(std::fs::read_to_string(&lesson).unwrap(), text);
    }
}

#[test]
fn safe_html_escapes_raw_html_and_drops_script_links() {
    let dir = TempDir::new("safe-html");
    let text = "# L\n\n<script>alert('raw')</script>\n\nA [link](javascript:alert(1)), an [entity one](jav&#x09;ascript:alert(2)), \
                <img src=x onerror=alert(3)>, ![pic](data:image/svg+xml;base64,PHN2Zz4=) and [a good one](https://example.org/a).\n\n\
                ```python\nprint('<b>out</b>')\n```\n\n```output\n<b>out</b>\n```\n";
    dir.write("lessons/a.md", text);
    dir.write("lessons/javascript:x.md", one_cell("1", "1"));
    let site = dir.join("site");
    let o = lessonrun(&[
        "build",
        s(&dir.join("lessons")),
        "--out",
        s(&site),
        "--safe-html",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    let page = std::fs::read_to_string(site.join("a.html")).unwrap();
    // The sidebar lists every lesson, `javascript:x.md` too, linked by its encoded path.
    let sidebar = &page[page.find("<nav class=\"sidebar\"").unwrap()..];
    let sidebar = &sidebar[..sidebar.find("</nav>").unwrap()];
    assert!(sidebar.contains("<a href=\"javascript%3Ax.html\">"), "{sidebar}");
    // Sidebar and pager link to that file by its encoded name; prose links are what is checked.
    let page = page.replace(sidebar, "").replace("href=\"javascript%3Ax.html\"", "");
    for raw in [
        "<script>alert",
        "<img src=x",
        "javascript:",
        "data:image",
        "href=\"jav",
    ] {
        assert!(!page.contains(raw), "{raw} in the page:\n{page}");
    }
    for kept in [
        "&lt;script&gt;alert(",
        "&lt;img src=x onerror=alert(3)&gt;",
        "A link, an entity one",
        "href=\"https://example.org/a\"",
        "&lt;b&gt;out&lt;/b&gt;",
    ] {
        assert!(page.contains(kept), "{kept} missing:\n{page}");
    }
    let index = std::fs::read_to_string(site.join("index.html")).unwrap();
    assert!(
        index.contains("href=\"javascript%3Ax.html\"") && !index.contains("href=\"javascript:"),
        "{index}"
    );
    // Without the flag, prose HTML is the author's (trusted) HTML; the file name is encoded anyway.
    let o = lessonrun(&["build", s(&dir.join("lessons")), "--out", s(&site)]);
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    assert!(
        std::fs::read_to_string(site.join("a.html"))
            .unwrap()
            .contains("<script>alert('raw')</script>")
    );
    assert!(
        std::fs::read_to_string(site.join("index.html"))
            .unwrap()
            .contains("href=\"javascript%3Ax.html\"")
    );
    // The site's config file asks for the same as the flag (`safe_html = true`).
    dir.write("lessons/lessonrun.toml", "title = \"Contributed\"\nsafe_html = true\n");
    let o = lessonrun(&["build", s(&dir.join("lessons")), "--out", s(&site)]);
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    let page = std::fs::read_to_string(site.join("a.html")).unwrap();
    assert!(
        page.contains("&lt;script&gt;alert(") && !page.contains("<script>alert") && page.contains("Contributed"),
        "{page}"
    );
    // A value that is not a TOML boolean is an error at its line, not a quiet default.
    dir.write("lessons/lessonrun.toml", "title = \"Contributed\"\nsafe_html = \"yes\"\n");
    let o = lessonrun(&["build", s(&dir.join("lessons")), "--out", s(&site)]);
    assert_eq!(o.status.code(), Some(2), "{}", both(&o));
    assert!(err(&o).contains("lessonrun.toml:2: expected `safe_html = true`"), "{}", err(&o));
}

#[test]
fn run_shows_terminal_control_sequences_instead_of_sending_them() {
    let dir = TempDir::new("run-escapes");
    let lesson = dir.write("a.md", "# L\n\n```python\nprint('\\x1b]0;pwned\\x07\\x1b[2Jcleared\\rover')\nraise ValueError('\\x1b[31mred')\n```\n");
    let o = lessonrun(&["run", s(&lesson)]);
    assert_eq!(o.status.code(), Some(1), "{}", both(&o));
    assert!(
        !o.stdout.contains(&0x1b) && !o.stderr.contains(&0x1b) && !o.stdout.contains(&0x07),
        "{:?}",
        both(&o)
    );
    assert!(
        out(&o).contains("␛]0;pwned␇␛[2Jcleared␍over\n"),
        "{}",
        out(&o)
    );
    assert!(err(&o).contains("ValueError: ␛[31mred"), "{}", err(&o));
    assert!(
        err(&o).contains(&format!("{}:5:", s(&lesson))),
        "{}",
        err(&o)
    );
}

#[test]
fn a_lesson_that_kills_its_process_is_reported_crashed_and_the_others_still_are() {
    let dir = TempDir::new("crash");
    let lessons = dir.join("lessons");
    dir.write("lessons/a.md", one_cell("1", "1"));
    dir.write("lessons/b.md", one_cell("2", "2"));
    dir.write("lessons/crash.md", one_cell("3", "3"));
    dir.write("lessons/d.md", one_cell("4", "5"));
    let crashing = lessons.join("crash.md");
    let d = lessons.join("d.md");
    let check = |format: &str| {
        command(&["check", "--format", format, s(&lessons)])
            .env("LESSONRUN_TEST_CRASH_ON", "crash.md")
            .output()
            .unwrap()
    };

    let o = check("human");
    assert_eq!(o.status.code(), Some(1), "{}", both(&o));
    assert!(out(&o).contains(&format!("CRASH {}: lessonrun crashed while running this lesson: its process was killed by a signal (SIGABRT, 6)", s(&crashing))), "{}", both(&o));
    assert!(
        out(&o).contains(&format!("FAIL {}:3: differs", s(&d))),
        "{}",
        both(&o)
    );
    assert!(
        out(&o).ends_with("2 passed, 1 failed, 1 lesson(s) crashed\n"),
        "{}",
        both(&o)
    );

    let o = check("json");
    assert_eq!(o.status.code(), Some(1), "{}", both(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let files = report["files"].as_array().unwrap();
    assert_eq!(
        files
            .iter()
            .map(|f| f["path"].as_str().unwrap().rsplit('/').next().unwrap())
            .collect::<Vec<_>>(),
        ["a.md", "b.md", "crash.md", "d.md"]
    );
    assert_eq!(files[2]["crashed"], true);
    assert!(files[2]["error"].as_str().unwrap().contains("SIGABRT"));
    assert_eq!(
        (
            files[0]["cells"][0]["status"].as_str(),
            files[3]["cells"][0]["status"].as_str()
        ),
        (Some("pass"), Some("fail"))
    );
    assert_eq!(
        (
            report["summary"]["crashed"].as_u64(),
            report["summary"]["passed"].as_u64()
        ),
        (Some(1), Some(2))
    );

    let o = check("junit");
    let xml = out(&o);
    assert!(
        xml.contains(&format!(
            "<testsuite name=\"{}\" tests=\"1\" failures=\"0\" errors=\"1\"",
            s(&crashing)
        )),
        "{xml}"
    );
    assert!(
        xml.contains("type=\"crashed\"") && xml.contains(&format!("name=\"{}:3\"", s(&d))),
        "{xml}"
    );

    let o = check("github");
    let gh = out(&o);
    assert!(
        gh.contains(&format!(
            "::error file={},title=lessonrun%3A crashed on this lesson::",
            s(&crashing)
        )),
        "{gh}"
    );
    assert!(
        gh.contains(&format!("::error file={},line=3,", s(&d))),
        "{gh}"
    );

    // Without the hook, the same lessons all run, in one worker.
    let o = lessonrun(&["check", s(&lessons)]);
    assert_eq!(
        (o.status.code(), out(&o).lines().last()),
        (Some(1), Some("3 passed, 1 failed")),
        "{}",
        both(&o)
    );
}

#[test]
fn run_reports_a_lesson_that_kills_its_process_as_crashed() {
    let dir = TempDir::new("run-crash");
    let crashing = dir.write("crash.md", one_cell("3", "3"));
    let o = command(&["run", s(&crashing)])
        .env("LESSONRUN_TEST_CRASH_ON", "crash.md")
        .output()
        .unwrap();
    // An exit status, not a signal: `run` itself survived its lesson's process.
    assert_eq!(o.status.code(), Some(2), "{}", both(&o));
    assert!(
        err(&o).contains(&format!(
            "lessonrun: error: {}: lessonrun crashed while running this lesson: its process was killed by a signal (SIGABRT, 6)",
            s(&crashing)
        )),
        "{}",
        both(&o)
    );
    // Without the crash, the child's output and exit status are run's.
    let o = command(&["run", s(&crashing)]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    assert!(out(&o).ends_with(":3\n3\n"), "{}", both(&o));
}

#[test]
fn build_reports_a_lesson_that_kills_its_process_and_builds_the_others() {
    let dir = TempDir::new("build-crash");
    let lessons = dir.join("lessons");
    dir.write("lessons/a.md", one_cell("1", "1"));
    dir.write("lessons/crash.md", one_cell("3", "3"));
    dir.write("lessons/d.md", one_cell("4", "5"));
    let site = dir.join("site");
    let o = command(&["build", s(&lessons), "--out", s(&site)])
        .env("LESSONRUN_TEST_CRASH_ON", "crash.md")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", both(&o));
    assert!(
        err(&o).contains(&format!(
            "lessonrun: error: {}: lessonrun crashed while running this lesson: its process was killed by a signal (SIGABRT, 6)",
            s(&lessons.join("crash.md"))
        )),
        "{}",
        both(&o)
    );
    assert!(err(&o).contains("wrote 2 lesson page(s)"), "{}", both(&o));
    assert!(err(&o).contains(&format!("{}:3 fail", s(&lessons.join("d.md")))), "{}", both(&o));
    assert!(site.join("a.html").exists() && site.join("d.html").exists() && !site.join("crash.html").exists());
    let index = std::fs::read_to_string(site.join("index.html")).unwrap();
    assert!(index.contains("a.html") && index.contains("d.html") && !index.contains("crash.html"), "{index}");
}
