//! Unit tests of `plot::colors`.

use lessonrun::plot::colors::*;

#[test]
fn names_hex_and_grey_levels() {
    assert_eq!(parse("r").unwrap().hex(), "#ff0000");
    assert_eq!(parse("C1").unwrap().hex(), "#ff7f0e");
    assert_eq!(parse("tab:blue").unwrap().hex(), "#1f77b4");
    assert_eq!(parse("orange").unwrap().hex(), "#ffa500");
    assert_eq!(parse("#abc").unwrap().hex(), "#aabbcc");
    assert_eq!(parse("0.5").unwrap().hex(), "#808080");
    assert!(parse("foo").is_none());
    assert!(parse("1.5").is_none());
}

#[test]
fn colormaps_span_their_ends() {
    let v = colormap("viridis").unwrap();
    assert_eq!(v.at(0.0).hex(), "#440154");
    assert_eq!(v.at(1.0).hex(), "#fde725");
    assert_eq!(colormap("gray_r").unwrap().at(0.0).hex(), "#ffffff");
    assert!(colormap("nope").is_none());
}
