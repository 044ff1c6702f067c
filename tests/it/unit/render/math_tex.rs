//! Unit tests of `render::math_tex`.

use lessonrun::render::math_tex::*;

#[test]
fn breaks_outside_environments_get_one() {
    assert_eq!(prepare_display("a = b \\\\ c = d"), "\\begin{gathered}a = b \\\\ c = d\\end{gathered}");
    assert_eq!(prepare_display("a &= b \\\\ &= d"), "\\begin{aligned}a &= b \\\\ &= d\\end{aligned}");
    let m = "\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}";
    assert_eq!(prepare_display(m), m, "breaks inside an environment are its own");
    assert_eq!(prepare_display("x \\& y"), "x \\& y");
    assert_eq!(prepare_display("\\begin{align} a &= b \\\\ c &= d \\end{align}"), "\\begin{aligned} a &= b \\\\ c &= d \\end{aligned}");
}
