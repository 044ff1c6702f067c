//! The site's config file, `lessonrun.toml` in a lessons folder (`lessons.toml` is read when
//! there is no `lessonrun.toml`): the site's title, where lessons' sources live online, and the
//! reading order, whether prose is untrusted. Its keys are few and flat, so it is read as the
//! TOML subset they need (`key = "string"`, `key = true`, `key = ["a", "b"]` over one or more
//! lines, `#` comments) rather than
//! through a TOML crate; anything else is an error naming its line.

use std::path::{Path, PathBuf};

/// The names a config file may have, in the order they are looked for.
pub const CONFIG_FILES: &[&str] = &["lessonrun.toml", "lessons.toml"];

#[derive(Clone, Debug, Default, PartialEq)]
pub struct SiteConfig {
    /// `title`: the site's name, on every page and the index.
    pub title: Option<String>,
    /// `source_url`: a URL the lesson's path (relative to its folder) is appended to, for the
    /// page's "source" link, e.g. `https://github.com/me/course/blob/main/lessons/`.
    pub source_url: Option<String>,
    /// `order`: lesson files (relative to the folder) in reading order; lessons not listed
    /// follow, by front matter `order`, then by file name.
    pub order: Vec<String>,
    /// `safe_html`: treat prose as untrusted, as `--safe-html` does (the flag can only turn it
    /// on: a config file in a contributed folder must not weaken what the operator asked for).
    pub safe_html: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("{path}:{line}: {message}")]
pub struct ConfigError {
    pub path: String,
    pub line: usize,
    pub message: String,
}

impl SiteConfig {
    /// The config file in the first folder among `paths` that has one, if any.
    pub fn find(paths: &[PathBuf]) -> Result<Option<(PathBuf, SiteConfig)>, ConfigError> {
        for dir in paths.iter().filter(|p| p.is_dir()) {
            for name in CONFIG_FILES {
                let path = dir.join(name);
                if let Ok(text) = std::fs::read_to_string(&path) {
                    let config = SiteConfig::parse(&text).map_err(|(line, message)| ConfigError {
                        path: path.display().to_string(),
                        line,
                        message,
                    })?;
                    return Ok(Some((path, config)));
                }
            }
        }
        Ok(None)
    }

    /// Reads the file's text; an error is its 1-based line and what is wrong there.
    pub fn parse(text: &str) -> Result<SiteConfig, (usize, String)> {
        let mut config = SiteConfig::default();
        let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
        while let Some((n, line)) = lines.next() {
            let line = strip_comment(line).trim();
            if line.is_empty() {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                return Err((n, format!("expected `key = value`, found `{line}`")));
            };
            let (key, mut value) = (key.trim(), value.trim().to_string());
            if value.starts_with('[') {
                // An array may span lines until its closing bracket.
                while !value.ends_with(']') {
                    let Some((_, more)) = lines.next() else {
                        return Err((n, format!("the array of `{key}` is never closed with `]`")));
                    };
                    value.push(' ');
                    value.push_str(strip_comment(more).trim());
                }
            }
            match key {
                "title" => config.title = Some(string(&value).ok_or((n, expected_string(key)))?),
                "source_url" | "source-url" | "repository" => {
                    config.source_url = Some(string(&value).ok_or((n, expected_string(key)))?)
                }
                "order" => {
                    config.order = array(&value).ok_or((n, "expected `order = [\"a.md\", \"b.md\"]`".to_string()))?
                }
                "safe_html" | "safe-html" => {
                    config.safe_html = boolean(&value).ok_or((n, format!("expected `{key} = true` or `{key} = false`")))?
                }
                _ => return Err((n, format!("unknown key `{key}` (known: title, source_url, order, safe_html)"))),
            }
        }
        Ok(config)
    }

    /// The source link of a lesson at `rel` (a URL path, `/`-separated), if a base is set.
    pub fn source_link(&self, rel_url: &str) -> Option<String> {
        let base = self.source_url.as_deref()?;
        Some(if base.ends_with('/') { format!("{base}{rel_url}") } else { format!("{base}/{rel_url}") })
    }

    /// Where `rel` stands in `order`, if listed.
    pub fn position(&self, rel: &Path) -> Option<usize> {
        let rel = rel.to_string_lossy().replace('\\', "/");
        self.order.iter().position(|o| o.trim_start_matches("./") == rel)
    }
}

fn expected_string(key: &str) -> String {
    format!("expected a quoted string: `{key} = \"...\"`")
}

/// The line without a `#` comment (a `#` inside a quoted string is kept).
fn strip_comment(line: &str) -> &str {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            '\\' if quoted && !escaped => {
                escaped = true;
                continue;
            }
            '"' if !escaped => quoted = !quoted,
            '#' if !quoted => return &line[..i],
            _ => {}
        }
        escaped = false;
    }
    line
}

/// A basic string (`"..."` with `\"`, `\\`, `\n`, `\t` escapes) or a literal one (`'...'`).
fn string(value: &str) -> Option<String> {
    let (s, rest) = string_prefix(value.trim())?;
    rest.trim().is_empty().then_some(s)
}

fn string_prefix(v: &str) -> Option<(String, &str)> {
    if let Some(body) = v.strip_prefix('\'') {
        let end = body.find('\'')?;
        return Some((body[..end].to_string(), &body[end + 1..]));
    }
    let body = v.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &body[i + 1..])),
            '\\' => match chars.next()?.1 {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                c @ ('"' | '\\') => out.push(c),
                _ => return None,
            },
            c => out.push(c),
        }
    }
    None
}

/// TOML's booleans are lower-case words only.
fn boolean(value: &str) -> Option<bool> {
    match value {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// `["a", "b",]`.
fn array(value: &str) -> Option<Vec<String>> {
    let mut rest = value.trim().strip_prefix('[')?.strip_suffix(']')?.trim();
    let mut out = Vec::new();
    while !rest.is_empty() {
        let (s, after) = string_prefix(rest)?;
        out.push(s);
        rest = after.trim_start();
        rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
        if !after.trim_start().starts_with(',') && !rest.is_empty() {
            return None;
        }
    }
    Some(out)
}
