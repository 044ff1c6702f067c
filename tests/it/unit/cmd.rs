//! Unit tests under `cmd`.

mod check;
mod new;

