//! The one integration-test crate: lessons, CLI behaviour, and data-driven case suites.

mod cli;
mod lang_cases;
mod lessons;
mod check_cli;
