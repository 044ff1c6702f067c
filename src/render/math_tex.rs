//! TeX as lessons write it, made into what math-core typesets: a display formula with `\\` line
//! breaks outside any environment (a multi-line derivation) becomes a `gathered` block, or an
//! `aligned` one when its lines carry `&` alignment points; `align`/`align*` (a top-level
//! environment in LaTeX, written inside `$$` by habit) become `aligned`. Without this, math-core
//! drops the breaks and a derivation runs off the page as one line.

/// The formula to give math-core.
pub fn prepare_display(tex: &str) -> String {
    let tex = tex.replace("\\begin{align*}", "\\begin{aligned}").replace("\\end{align*}", "\\end{aligned}");
    let tex = tex.replace("\\begin{align}", "\\begin{aligned}").replace("\\end{align}", "\\end{aligned}");
    let (breaks, ampersands) = top_level_breaks(&tex);
    if !breaks {
        return tex;
    }
    let env = if ampersands { "aligned" } else { "gathered" };
    format!("\\begin{{{env}}}{}\\end{{{env}}}", tex.trim())
}

/// Whether `tex` has a `\\` outside every `\begin..\end` and brace group, and whether it has an
/// unescaped `&` there.
fn top_level_breaks(tex: &str) -> (bool, bool) {
    let b = tex.as_bytes();
    let (mut envs, mut braces) = (0usize, 0usize);
    let (mut breaks, mut amps) = (false, false);
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' if b.get(i + 1) == Some(&b'\\') => {
                breaks |= envs == 0 && braces == 0;
                i += 2;
                continue;
            }
            b'\\' => {
                let rest = &tex[i + 1..];
                if rest.starts_with("begin") {
                    envs += 1;
                } else if rest.starts_with("end") {
                    envs = envs.saturating_sub(1);
                }
                // Skip the escaped character (`\&`, `\{`) or the command's first letter.
                i += 2;
                continue;
            }
            b'{' => braces += 1,
            b'}' => braces = braces.saturating_sub(1),
            b'&' => amps |= envs == 0 && braces == 0,
            _ => {}
        }
        i += 1;
    }
    (breaks, amps)
}
