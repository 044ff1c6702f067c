//! Unit tests under `notebook`.

mod export;
mod import;
mod json;

