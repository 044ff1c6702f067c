//! Unit tests of `lang::unicodedata`.

use lessonrun::lang::unicodedata::*;
use std::rc::Rc;
use lessonrun::lang::unicodedata_tables::{CATEGORY_NAMES, CATEGORY_RUNS, COMBINING_RUNS, DECOMPOSITIONS};
use lessonrun::lang::{Exception, Interpreter, Module, Value};

#[test]
fn tutport5_nfd_splits_accents_and_orders_marks() {
    assert_eq!(nfd("Ślusàrski"), "S\u{301}lusa\u{300}rski");
    // U+1E69 (s with dot below and dot above): below (220) before above (230).
    assert_eq!(nfd("\u{1E69}"), "s\u{323}\u{307}");
    assert_eq!(nfd("s\u{307}\u{323}"), "s\u{323}\u{307}");
    assert_eq!(nfd("\u{AC01}"), "\u{1100}\u{1161}\u{11A8}");
    assert_eq!(category('\u{301}'), "Mn");
    assert_eq!(category('a'), "Ll");
    assert_eq!(category('Ś'), "Lu");
    assert_eq!(category(' '), "Zs");
    assert_eq!(category('\u{10FFFF}'), "Cn");
    assert_eq!(combining('\u{301}'), 230);
}
