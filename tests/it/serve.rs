//! `lessonrun serve` as a reader meets it: pages over HTTP that follow saves, lessons that never
//! hold each other up, and a real headless Chromium watching a page update in place.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::browser::{Browser, chromium, http_get};
use super::support::TempDir;

/// A running `lessonrun serve`, stopped on drop.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(dir: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_lessonrun"))
            .args(["serve", dir.to_str().unwrap(), "--port", "0"])
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line.trim().trim_end_matches('/').to_string();
        assert!(
            url.starts_with("http://127.0.0.1:"),
            "serve printed its URL first: {line:?}"
        );
        Server { child, url }
    }

    fn get(&self, path: &str) -> String {
        http_get(&self.url, path)
    }

    /// Waits (up to 30 s, a bound on a hang, not a timing) until the page holds `needle`.
    fn wait_for(&self, path: &str, needle: &str) -> bool {
        self.wait_until(path, |page| page.contains(needle))
    }

    fn wait_until(&self, path: &str, done: impl Fn(&str) -> bool) -> bool {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(30) {
            if done(&self.get(path)) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn served_pages_follow_saves_and_carry_the_reload_script_that_built_pages_lack() {
    let t = TempDir::new("basic");
    let p = t.write(
        "a.md",
        "# A\n\nFirst words.\n\n```python\nx = 2\nprint(x * 21)\n```\n",
    );
    let server = Server::start(&t.0);
    assert!(server.wait_for("/a.html", "42"), "the first run shows");
    let page = server.get("/a.html");
    assert!(
        page.contains("EventSource"),
        "a served page listens for changes"
    );
    assert!(
        server.get("/").contains("href=\"a.html\""),
        "the index links the page where build puts it"
    );
    std::fs::write(
        &p,
        "# A\n\nOther words.\n\n```python\nx = 2\nprint(x * 21)\n```\n",
    )
    .unwrap();
    assert!(
        server.wait_for("/a.html", "Other words."),
        "a prose edit shows"
    );
    std::fs::write(
        &p,
        "# A\n\nOther words.\n\n```python\nx = 2\nprint(x +)\n```\n",
    )
    .unwrap();
    assert!(
        server.wait_for("/a.html", "SyntaxError"),
        "a broken cell shows its error in the page"
    );
    std::fs::write(
        &p,
        "# A\n\nOther words.\n\n```python\nx = 2\nprint(x * 50)\n```\n",
    )
    .unwrap();
    assert!(
        server.wait_for("/a.html", "100"),
        "the page recovers once the cell is fixed"
    );

    let out = t.0.join("site");
    let built = Command::new(env!("CARGO_BIN_EXE_lessonrun"))
        .args(["build", p.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(built.status.success());
    let html = std::fs::read_to_string(out.join("a.html")).unwrap();
    assert!(
        html.contains("100") && !html.contains("<script"),
        "built pages stay script-free"
    );
}

/// What a running cell's element holds (the script names the class too).
const RUNNING: &str = "class=\"lr-running\"";

#[test]
fn a_lesson_stuck_in_a_loop_never_delays_another_and_a_save_cancels_it() {
    let t = TempDir::new("stuck");
    let stuck = t.write(
        "stuck.md",
        "# Stuck\n\n```python\nprint('starting')\nwhile True:\n    pass\n```\n",
    );
    let ok = t.write("ok.md", "# Ok\n\n```python\nprint('one')\n```\n");
    let server = Server::start(&t.0);
    assert!(server.wait_for("/ok.html", "one"));
    assert!(
        server.wait_for("/stuck.html", RUNNING),
        "the stuck cell shows it is running"
    );
    assert!(
        server.get("/stuck.html").contains("starting"),
        "with its output so far"
    );
    for n in ["two", "three"] {
        std::fs::write(&ok, format!("# Ok\n\n```python\nprint('{n}')\n```\n")).unwrap();
        assert!(
            server.wait_for("/ok.html", n),
            "the other lesson updates while one is stuck"
        );
        assert!(
            server.get("/stuck.html").contains(RUNNING),
            "the stuck lesson is still running meanwhile"
        );
    }
    std::fs::write(&stuck, "# Stuck\n\n```python\nprint('free')\n```\n").unwrap();
    assert!(
        server.wait_until("/stuck.html", |p| p.contains("free")
            && !p.contains(RUNNING)),
        "a save cancels the stuck run (its time limit is 60 s)"
    );
}

#[test]
fn a_browser_sees_the_new_output_in_place_and_keeps_its_scroll_position() {
    let Some(exe) = chromium() else {
        assert!(
            std::env::var("CI").is_err(),
            "Chromium is required in CI (.ci/run installs Debian's `chromium`)"
        );
        eprintln!(
            "note: skipping the browser test: no chromium on PATH (apt-get install chromium)"
        );
        return;
    };
    let t = TempDir::new("browser");
    let prose: String = (1..=60)
        .map(|i| format!("Paragraph {i} of prose that makes the page tall.\n\n"))
        .collect();
    let lesson =
        |out: &str| format!("# Scrolling\n\n{prose}```python\nprint('{out}')\n```\n\n{prose}");
    let p = t.write("tall.md", lesson("before-edit"));
    let server = Server::start(&t.0);
    assert!(server.wait_for("/tall.html", "before-edit"));
    let browser = Browser::start(&exe);
    let mut page = browser.page();
    page.call("Page.enable", serde_json::json!({}));
    page.call(
        "Page.navigate",
        serde_json::json!({ "url": format!("{}/tall.html", server.url) }),
    );
    assert!(page.wait_until(
        "document.readyState === 'complete' && document.body.innerText.includes('before-edit')"
    ));
    // A marker a reload would wipe out, and a scroll position to keep.
    page.eval("window.__lessonrunMarker = 'kept'; window.scrollTo(0, 1500); true");
    assert!(
        page.wait_until("window.scrollY === 1500"),
        "the page scrolled"
    );
    // Let the page's event stream connect before saving.
    assert!(
        page.wait_until("document.documentElement.dataset.lrLive === '1'"),
        "the page's event stream is open"
    );
    std::fs::write(&p, lesson("after-edit")).unwrap();
    let updated = page.wait_until("document.body.innerText.includes('after-edit')");
    let marker = page.eval("window.__lessonrunMarker");
    let scroll = page.eval("window.scrollY");
    assert!(
        updated,
        "the page shows the new output without the test reloading it"
    );
    assert_eq!(
        marker,
        serde_json::json!("kept"),
        "the page was not reloaded"
    );
    assert_eq!(
        scroll,
        serde_json::json!(1500),
        "the scroll position survived"
    );
    // A broken cell shows its error in place, and the page recovers when it is fixed.
    std::fs::write(&p, lesson("x").replace("print('x')", "print('broken' +)")).unwrap();
    assert!(
        page.wait_until("document.body.innerText.includes('SyntaxError')"),
        "the error shows in the page"
    );
    std::fs::write(&p, lesson("fixed-again")).unwrap();
    assert!(page.wait_until("document.body.innerText.includes('fixed-again') && !document.body.innerText.includes('SyntaxError')"));
    assert_eq!(
        page.eval("window.__lessonrunMarker"),
        serde_json::json!("kept")
    );
}
