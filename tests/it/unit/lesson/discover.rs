//! Unit tests of `lesson::discover`.

use lessonrun::lesson::discover::glob_match;

#[test]
fn globs() {
    assert!(glob_match("lessons/*.md", "lessons/01-a.md"));
    assert!(!glob_match("lessons/*.md", "lessons/sub/01-a.md"));
    assert!(glob_match("lessons/**/*.md", "lessons/01-a.md"));
    assert!(glob_match("lessons/**/*.md", "lessons/x/y/01-a.md"));
    assert!(glob_match("**/0?-*.md", "a/b/03-c.md"));
    assert!(glob_match("l/[0-2][!9]*.md", "l/17.md"));
    assert!(!glob_match("l/[0-2][!9]*.md", "l/19.md"));
    assert!(!glob_match("l/[0-2]*.md", "l/3.md"));
}
