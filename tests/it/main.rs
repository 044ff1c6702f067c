//! The one integration-test crate: lessons, CLI behaviour, and data-driven case suites.

mod cli;
mod differential;
mod lang_cases;
mod lang_props;
mod lessons;
mod check_cli;
mod hardening_cli;
mod browser;
mod serve;
mod site;
mod plots;
mod limits_cli;
mod fail_loud;
mod big_work_cli;
mod watch_backstop;
mod notebooks;
mod json_schema;
mod support;
mod unit;
