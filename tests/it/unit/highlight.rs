//! Unit tests of `highlight`.

use lessonrun::highlight::*;
use lessonrun::lang::lexer::{Tok, tokenize};
use lessonrun::render::escape_html;

#[test]
fn classes_and_text_preserved() {
    let code = "def f(x):  # square\n    return x ** 2 + \"<b>\"\nprint(f(3))\n";
    let html = highlight_python(code);
    assert!(html.contains("<span class=\"tok-k\">def</span> <span class=\"tok-f\">f</span>"));
    assert!(html.contains("<span class=\"tok-c\"># square</span>"));
    assert!(html.contains("<span class=\"tok-s\">&quot;&lt;b&gt;&quot;</span>"));
    assert!(html.contains("<span class=\"tok-b\">print</span>"));
    assert!(html.contains("<span class=\"tok-m\">2</span>"));
    // Stripping the markup gives back the code.
    let text = strip_tags(&html).replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">");
    assert_eq!(text, code);
}

#[test]
fn unlexable_code_is_escaped_plainly() {
    assert_eq!(highlight_python("x = \"<unterminated"), "x = &quot;&lt;unterminated");
}

fn strip_tags(s: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}
