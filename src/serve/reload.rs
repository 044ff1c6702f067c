//! Live reload: the script served pages carry (built pages carry none), and the event stream
//! (Server-Sent Events) that tells them which page changed.

use std::io::Write;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::Duration;

const SCRIPT: &str = include_str!("reload.js");

/// The path of the event stream.
pub const EVENTS_PATH: &str = "/__lessonrun/events";

/// A comment line sent this often tells a dead client from a quiet one.
const KEEPALIVE: Duration = Duration::from_secs(15);

/// Changes to one page within this time reach a client as one message: a cell printing in a
/// loop must not flood the page with reloads.
const COALESCE: Duration = Duration::from_millis(30);

/// The clients listening for changes.
#[derive(Default)]
pub struct Hub {
    clients: Vec<Sender<String>>,
}

impl Hub {
    /// Tells every client that the page at `href` changed (`*`: all of them).
    pub fn notify(&mut self, href: &str) {
        self.clients.retain(|c| c.send(href.to_string()).is_ok());
    }

    pub fn subscribe(&mut self) -> Receiver<String> {
        let (tx, rx) = channel();
        self.clients.push(tx);
        rx
    }
}

/// `html` with the live-reload script before `</body>`; `page` names the page for the script
/// when its URL does not (the index served at `/`).
pub fn inject(html: &str, page: &str) -> String {
    let attr = if page.is_empty() {
        String::new()
    } else {
        format!(" data-page=\"{page}\"")
    };
    let tag = format!("<script{attr}>{SCRIPT}</script>\n");
    match html.rfind("</body>") {
        Some(at) => format!("{}{tag}{}", &html[..at], &html[at..]),
        None => format!("{html}{tag}"),
    }
}

/// Writes the event stream to one client until it goes away.
pub fn stream(mut out: Box<dyn Write + Send>, rx: Receiver<String>) {
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nConnection: keep-alive\r\n\r\n: lessonrun\n\n";
    if out
        .write_all(head.as_bytes())
        .and_then(|_| out.flush())
        .is_err()
    {
        return;
    }
    loop {
        let first = match rx.recv_timeout(KEEPALIVE) {
            Ok(h) => h,
            Err(RecvTimeoutError::Timeout) => {
                if out
                    .write_all(b": keepalive\n\n")
                    .and_then(|_| out.flush())
                    .is_err()
                {
                    return;
                }
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => return,
        };
        let mut changed = vec![first];
        if out
            .write_all(format!("data: {}\n\n", changed[0]).as_bytes())
            .and_then(|_| out.flush())
            .is_err()
        {
            return;
        }
        // Later changes within the window are sent once, after it.
        std::thread::sleep(COALESCE);
        changed.clear();
        while let Ok(h) = rx.try_recv() {
            if !changed.contains(&h) {
                changed.push(h);
            }
        }
        for h in changed {
            if out
                .write_all(format!("data: {h}\n\n").as_bytes())
                .and_then(|_| out.flush())
                .is_err()
            {
                return;
            }
        }
    }
}
