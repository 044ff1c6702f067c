//! `lessonrun serve` as a reader meets it: pages over HTTP that follow saves, lessons that never
//! hold each other up, and a real headless Chromium watching a page update in place.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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

fn http_get(url: &str, path: &str) -> String {
    let addr = url.trim_start_matches("http://");
    let Ok(s) = TcpStream::connect(addr) else {
        return String::new();
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(30)));
    let mut r = BufReader::new(s);
    let _ = write!(
        r.get_mut(),
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    );
    // Headers, then Content-Length bytes (Chromium's DevTools server keeps the connection open).
    let mut out = String::new();
    let mut length = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return out;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse::<usize>().ok();
        }
        out.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let mut body = Vec::new();
    match length {
        Some(n) => {
            body.resize(n, 0);
            let _ = r.read_exact(&mut body);
        }
        None => {
            let _ = r.read_to_end(&mut body);
        }
    }
    out.push_str(&String::from_utf8_lossy(&body));
    out
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

/// A minimal WebSocket client (RFC 6455, text frames) for the DevTools protocol.
struct Ws {
    s: TcpStream,
    next_id: u64,
}

impl Ws {
    fn connect(ws_url: &str) -> Ws {
        let rest = ws_url.trim_start_matches("ws://");
        let (addr, path) = rest.split_at(rest.find('/').unwrap());
        let mut s = TcpStream::connect(addr).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        .unwrap();
        let mut head = Vec::new();
        let mut b = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            s.read_exact(&mut b).unwrap();
            head.push(b[0]);
        }
        assert!(
            String::from_utf8_lossy(&head).starts_with("HTTP/1.1 101"),
            "websocket handshake"
        );
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        Ws { s, next_id: 1 }
    }

    fn send(&mut self, text: &str) {
        let data = text.as_bytes();
        let mut frame = vec![0x81u8];
        match data.len() {
            n if n < 126 => frame.push(0x80 | n as u8),
            n if n < 65536 => {
                frame.push(0x80 | 126);
                frame.extend((n as u16).to_be_bytes());
            }
            n => {
                frame.push(0x80 | 127);
                frame.extend((n as u64).to_be_bytes());
            }
        }
        let mask = [0x12u8, 0x34, 0x56, 0x78];
        frame.extend(mask);
        frame.extend(data.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.s.write_all(&frame).unwrap();
    }

    fn recv(&mut self) -> String {
        let mut message = Vec::new();
        loop {
            let mut h = [0u8; 2];
            self.s.read_exact(&mut h).unwrap();
            let mut len = (h[1] & 0x7f) as u64;
            if len == 126 {
                let mut l = [0u8; 2];
                self.s.read_exact(&mut l).unwrap();
                len = u16::from_be_bytes(l) as u64;
            } else if len == 127 {
                let mut l = [0u8; 8];
                self.s.read_exact(&mut l).unwrap();
                len = u64::from_be_bytes(l);
            }
            let mut payload = vec![0u8; len as usize];
            self.s.read_exact(&mut payload).unwrap();
            if h[0] & 0x0f == 0x9 || h[0] & 0x0f == 0xa {
                continue; // ping/pong
            }
            message.extend(payload);
            if h[0] & 0x80 != 0 {
                return String::from_utf8_lossy(&message).into_owned();
            }
        }
    }

    /// Sends a DevTools command and returns its result.
    fn call(&mut self, method: &str, params: serde_json::Value) -> serde_json::Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&serde_json::json!({ "id": id, "method": method, "params": params }).to_string());
        loop {
            let msg: serde_json::Value = serde_json::from_str(&self.recv()).unwrap();
            if msg["id"] == id {
                assert!(msg.get("error").is_none(), "{method}: {msg}");
                return msg["result"].clone();
            }
        }
    }

    fn eval(&mut self, expr: &str) -> serde_json::Value {
        self.call(
            "Runtime.evaluate",
            serde_json::json!({ "expression": expr, "returnByValue": true }),
        )["result"]["value"]
            .clone()
    }

    /// Waits (up to 30 s, a bound on a hang) until `expr` is true in the page.
    fn wait_until(&mut self, expr: &str) -> bool {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(30) {
            if self.eval(expr) == serde_json::Value::Bool(true) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::var_os("PATH")?
                .to_str()?
                .split(':')
                .map(|d| Path::new(d).join(name))
                .find(|p| p.is_file())
        })
}

/// A headless Chromium, stopped on drop, and the DevTools address it listens on.
struct Browser {
    child: Child,
    devtools: String,
    _profile: TempDir,
}

impl Browser {
    fn start(exe: &Path) -> Browser {
        let profile = TempDir::new("chromium-profile");
        let mut child = Command::new(exe)
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--remote-debugging-port=0",
                "--window-size=1000,700",
                &format!("--user-data-dir={}", profile.0.display()),
                "about:blank",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let mut devtools = String::new();
        let mut line = String::new();
        while err.read_line(&mut line).unwrap_or(0) > 0 {
            if let Some(at) = line.find("ws://") {
                let ws = line[at..].trim();
                devtools = ws
                    ["ws://".len()..ws["ws://".len()..].find('/').unwrap() + "ws://".len()]
                    .to_string();
                break;
            }
            line.clear();
        }
        assert!(
            !devtools.is_empty(),
            "Chromium printed its DevTools address"
        );
        // Keep reading its stderr so it never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
        Browser {
            child,
            devtools,
            _profile: profile,
        }
    }

    /// The DevTools WebSocket of the first page target.
    fn page(&self) -> Ws {
        let list: serde_json::Value = {
            let body = http_get(&format!("http://{}", self.devtools), "/json/list");
            serde_json::from_str(&body[body.find("\r\n\r\n").unwrap() + 4..]).unwrap()
        };
        let page = list
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["type"] == "page")
            .expect("a page target");
        Ws::connect(page["webSocketDebuggerUrl"].as_str().unwrap())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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
    let p = t.write("tall.md", &lesson("before-edit"));
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
