//! Unit tests under `render`.

mod math_tex;
mod prose;
mod safe_html;
mod toc;

