//! Syntax highlighting of cells at build time, from the interpreter's own lexer, so the colours
//! can never disagree with the language that runs.

use crate::lang::lexer::{Tok, tokenize};
use crate::render::escape_html;

/// Names a reader expects to stand out as built-ins.
const BUILTINS: &[&str] = &[
    "print", "len", "range", "enumerate", "zip", "map", "filter", "sorted", "reversed", "sum", "min", "max", "abs",
    "round", "any", "all", "isinstance", "type", "int", "float", "str", "bool", "list", "tuple", "dict", "set",
    "repr", "format", "super", "iter", "next", "getattr", "setattr", "hasattr",
];

/// `code` as HTML with `<span class="tok-…">` around keywords, names of functions and
/// built-ins, numbers, strings, operators and comments. Code the lexer rejects is returned
/// escaped but uncoloured: a page must render even for a cell with a syntax error.
pub fn highlight_python(code: &str) -> String {
    let Ok(tokens) = tokenize(code, 0) else { return escape_html(code) };
    let mut out = String::with_capacity(code.len() * 2);
    let mut at = 0;
    let mut after_def = false;
    for (i, t) in tokens.iter().enumerate() {
        let (start, end) = (t.span.start.min(code.len()), t.span.end.min(code.len()));
        if start < at || !code.is_char_boundary(start) || !code.is_char_boundary(end) {
            continue;
        }
        gap(&code[at..start], &mut out);
        let text = &code[start..end];
        let next_is_call = matches!(tokens.get(i + 1).map(|n| &n.tok), Some(Tok::Op("(")));
        let class = match &t.tok {
            Tok::Kw(_) => Some("k"),
            Tok::Name(n) if after_def => Some(if n.is_empty() { "n" } else { "f" }),
            Tok::Name(n) if BUILTINS.contains(&n.as_str()) && next_is_call => Some("b"),
            Tok::Name(_) => None,
            Tok::Int(_) | Tok::BigInt(_) | Tok::Float(_) | Tok::Imag(_) => Some("m"),
            Tok::Str(_) => Some("s"),
            Tok::Op(_) => Some("o"),
            Tok::Newline | Tok::Indent | Tok::Dedent | Tok::Eof => None,
        };
        after_def = matches!(t.tok, Tok::Kw("def") | Tok::Kw("class"));
        match class {
            Some(c) if !text.is_empty() => {
                out.push_str(&format!("<span class=\"tok-{c}\">{}</span>", escape_html(text)));
            }
            _ => out.push_str(&escape_html(text)),
        }
        at = end;
    }
    gap(&code[at.min(code.len())..], &mut out);
    out
}

/// Text between tokens: white space, line continuations and comments.
fn gap(text: &str, out: &mut String) {
    let mut rest = text;
    while let Some(hash) = rest.find('#') {
        out.push_str(&escape_html(&rest[..hash]));
        let end = rest[hash..].find('\n').map_or(rest.len(), |i| hash + i);
        out.push_str(&format!("<span class=\"tok-c\">{}</span>", escape_html(&rest[hash..end])));
        rest = &rest[end..];
    }
    out.push_str(&escape_html(rest));
}
