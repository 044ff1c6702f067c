//! The HTTP side of `serve` (tiny_http, one thread; event streams get a thread each): pages at
//! the paths `build` writes them to, the index at `/`, the event stream, and other files
//! (images a lesson links to) from the lessons' folders.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tiny_http::{Header, Request, Response, Server};

use super::pages::Pages;
use super::reload;

pub fn run(server: Server, pages: Arc<Mutex<Pages>>, roots: Vec<PathBuf>) {
    for req in server.incoming_requests() {
        handle(req, &pages, &roots);
    }
}

fn lock(pages: &Mutex<Pages>) -> std::sync::MutexGuard<'_, Pages> {
    pages.lock().unwrap_or_else(|p| p.into_inner())
}

fn handle(req: Request, pages: &Mutex<Pages>, roots: &[PathBuf]) {
    let path = decode(req.url().split(['?', '#']).next().unwrap_or("/"));
    if path == reload::EVENTS_PATH {
        let rx = lock(pages).hub.subscribe();
        let out = req.into_writer();
        let _ = std::thread::Builder::new()
            .name("events".into())
            .spawn(move || reload::stream(out, rx));
        return;
    }
    let rel = path.trim_start_matches('/');
    let page = if rel.is_empty() || rel == "index.html" {
        Some(lock(pages).index_html())
    } else if rel.ends_with(".html") {
        lock(pages).page_html(rel)
    } else {
        None
    };
    let response = match page {
        Some(html) => Response::from_data(html.into_bytes())
            .with_header(header("Content-Type", "text/html; charset=utf-8")),
        None => match static_file(roots, rel) {
            Some((bytes, kind)) => {
                Response::from_data(bytes).with_header(header("Content-Type", kind))
            }
            None => Response::from_data(format!("no page at /{rel}\n").into_bytes())
                .with_status_code(404)
                .with_header(header("Content-Type", "text/plain; charset=utf-8")),
        },
    };
    let _ = req.respond(response.with_header(header("Cache-Control", "no-store")));
}

fn header(name: &str, value: &str) -> Header {
    // Both are ASCII constants of this file.
    Header::from_bytes(name.as_bytes(), value.as_bytes())
        .unwrap_or_else(|_| Header::from_bytes(&b"X-Invalid"[..], &b"1"[..]).unwrap())
}

/// `%XX` escapes decoded (paths with spaces or non-ASCII names).
fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) =
                u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A file under one of the lesson folders (never outside them: the path is canonicalised and
/// must stay under the folder), for images and other files the lessons link to.
fn static_file(roots: &[PathBuf], rel: &str) -> Option<(Vec<u8>, &'static str)> {
    if rel.is_empty() || rel.ends_with(".md") {
        return None;
    }
    for root in roots {
        let dir = if root.is_dir() {
            root.as_path()
        } else {
            root.parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
        };
        let Ok(dir) = dir.canonicalize() else {
            continue;
        };
        let Ok(file) = dir.join(rel).canonicalize() else {
            continue;
        };
        if file.starts_with(&dir) && file.is_file() {
            let kind = match file.extension().and_then(|e| e.to_str()).unwrap_or("") {
                "png" => "image/png",
                "jpg" | "jpeg" => "image/jpeg",
                "gif" => "image/gif",
                "svg" => "image/svg+xml",
                "css" => "text/css",
                "txt" | "csv" => "text/plain; charset=utf-8",
                _ => "application/octet-stream",
            };
            return std::fs::read(&file).ok().map(|b| (b, kind));
        }
    }
    None
}
