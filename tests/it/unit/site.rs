//! Unit tests under `site`.

mod config;
mod manifest;
mod nav;

