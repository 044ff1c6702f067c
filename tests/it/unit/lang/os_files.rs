//! Unit tests of `lang::os_files`.

use lessonrun::lang::os_files::normalise;

#[test]
fn normalised_paths_drop_dots_and_trailing_slashes() {
    assert_eq!(normalise("out/./ckpt/"), "out/ckpt");
    assert_eq!(normalise("./out"), "out");
    assert_eq!(normalise("/tmp//x"), "/tmp/x");
    assert_eq!(normalise("."), "");
}
