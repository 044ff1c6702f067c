//! The `lessonrun` binary: parse arguments, hand over to the library, map the outcome to an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    lessonrun::cmd::main()
}
