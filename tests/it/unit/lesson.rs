//! Unit tests under `lesson`.

mod discover;
mod parse;
mod rewrite;

