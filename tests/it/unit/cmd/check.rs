//! Unit tests of `cmd::check`.

use lessonrun::cmd::check::*;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use anstyle::{AnsiColor, Effects, Style};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use lessonrun::check::{FileReport, Hunk, LineTag, Status, bless, check_lesson, compare_engines, diff_hunks, unified_diff};
use lessonrun::cmd::Engine;
use lessonrun::pytorch_engine::run_lesson_pytorch;
use lessonrun::execute::{RunOptions, run_lesson};
use lessonrun::lesson::{Lesson, discover, discover_all, discover_glob, is_glob, load, parse, rewrite_lesson};
use lessonrun::source::SourceFile;

#[test]
fn shards_parse() {
    assert_eq!(parse_shard("2/3"), Ok((2, 3)));
    assert!(parse_shard("0/3").is_err());
    assert!(parse_shard("4/3").is_err());
    assert!(parse_shard("3").is_err());
}

#[test]
fn xml_escapes_markup_and_drops_control_characters() {
    assert_eq!(xml_escape("<a href=\"x\">'&'</a>\x1b[0m\n"), "&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;\u{FFFD}[0m\n");
}

#[test]
fn terminal_output_shows_control_characters() {
    assert_eq!(visible("a\x1b[0m\tb"), "a\u{241B}[0m\tb");
    assert_eq!(visible("plain"), "plain");
}

#[test]
fn attributes_keep_newlines() {
    assert_eq!(xml_attr("a\n\tb\""), "a&#10;&#9;b&quot;");
}

#[test]
fn github_escapes() {
    assert_eq!(gh_data("50% a\r\nb::c"), "50%25 a%0D%0Ab::c");
    assert_eq!(gh_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
}
