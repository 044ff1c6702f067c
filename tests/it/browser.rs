//! A headless Chromium driven over the DevTools protocol (a minimal WebSocket client of our
//! own), for the tests that look at pages as a reader's browser renders them. Those tests'
//! names start with `a_browser_`: `.ci/run` runs them last, once Chromium is installed.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::support::TempDir;

/// A plain HTTP GET (headers and body as one string; empty when nothing answers).
pub fn http_get(url: &str, path: &str) -> String {
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

/// A minimal WebSocket client (RFC 6455, text frames) for the DevTools protocol.
pub struct Ws {
    s: TcpStream,
    next_id: u64,
}

impl Ws {
    pub fn connect(ws_url: &str) -> Ws {
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
    pub fn call(&mut self, method: &str, params: serde_json::Value) -> serde_json::Value {
        match self.try_call(method, params) {
            Ok(result) => result,
            Err(msg) => panic!("{method}: {msg}"),
        }
    }

    /// Sends a DevTools command; its error message, if it answers with one.
    fn try_call(
        &mut self,
        method: &str,
        params: serde_json::Value,
    ) -> Result<serde_json::Value, serde_json::Value> {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&serde_json::json!({ "id": id, "method": method, "params": params }).to_string());
        loop {
            let msg: serde_json::Value = serde_json::from_str(&self.recv()).unwrap();
            if msg["id"] == id {
                return match msg.get("error") {
                    Some(_) => Err(msg),
                    None => Ok(msg["result"].clone()),
                };
            }
        }
    }

    /// Evaluates `expr`, or None when the page is between documents: while a navigation
    /// commits, Chromium answers "Inspected target navigated or closed" or has no context.
    fn try_eval(&mut self, expr: &str) -> Option<serde_json::Value> {
        self.try_call(
            "Runtime.evaluate",
            serde_json::json!({ "expression": expr, "returnByValue": true }),
        )
        .ok()
        .map(|r| r["result"]["value"].clone())
    }

    /// Clicks the element `selector` names; the click may start a navigation, which is why
    /// the evaluation's own answer may be lost and is not asked for.
    pub fn click(&mut self, selector: &str) {
        let expr = format!(
            "document.querySelector({}).click(); true",
            serde_json::Value::String(selector.to_string())
        );
        let _ = self.try_eval(&expr);
    }

    pub fn eval(&mut self, expr: &str) -> serde_json::Value {
        self.call(
            "Runtime.evaluate",
            serde_json::json!({ "expression": expr, "returnByValue": true }),
        )["result"]["value"]
            .clone()
    }

    /// Waits (up to 30 s, a bound on a hang) until `expr` is true in the page.
    pub fn wait_until(&mut self, expr: &str) -> bool {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(30) {
            if self.try_eval(expr) == Some(serde_json::Value::Bool(true)) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

pub fn chromium() -> Option<PathBuf> {
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
pub struct Browser {
    child: Child,
    devtools: String,
    _profile: TempDir,
}

impl Browser {
    pub fn start(exe: &Path) -> Browser {
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
    pub fn page(&self) -> Ws {
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

