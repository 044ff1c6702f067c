//! Unit tests under `plot`.

mod colors;
mod png;
mod svg;
mod ticks;

