//! `torch.use_deterministic_algorithms` and its queries. lessonrun's kernels are deterministic
//! whatever the flag says, so the flag is only kept (per lesson thread) to be read back.

use std::cell::Cell;

use super::convert::bool_arg;
use crate::lang::{Exception, Module, Value};

thread_local! {
    /// (mode, warn_only) as last set by the lesson running on this thread.
    static FLAG: Cell<(bool, bool)> = const { Cell::new((false, false)) };
}

/// Clears the flag for a new lesson (PyTorch starts with it off).
pub fn reset() {
    FLAG.with(|f| f.set((false, false)));
}

/// Sets `torch.use_deterministic_algorithms`, `are_deterministic_algorithms_enabled` and
/// `is_deterministic_algorithms_warn_only_enabled` on the `torch` module.
pub fn install(m: &Module) {
    m.set(
        "use_deterministic_algorithms",
        Value::builtin("use_deterministic_algorithms", |_, args| {
            let [mode, warn_only] = args.bind(&["mode", "*", "warn_only="])?;
            let mode = match mode {
                Some(Value::Bool(b)) => b,
                Some(v) => {
                    return Err(Exception::type_error(format!(
                        "use_deterministic_algorithms(): argument 'mode' (position 1) must be bool, not {}",
                        v.type_name()
                    )));
                }
                None => {
                    return Err(Exception::type_error(
                        "use_deterministic_algorithms() missing 1 required positional arguments: \"mode\"",
                    ));
                }
            };
            FLAG.with(|f| f.set((mode, bool_arg(warn_only.as_ref(), false))));
            Ok(Value::None)
        }),
    );
    m.set(
        "are_deterministic_algorithms_enabled",
        Value::builtin("are_deterministic_algorithms_enabled", |_, args| {
            args.no_kwargs()?;
            Ok(Value::Bool(FLAG.with(|f| f.get().0)))
        }),
    );
    m.set(
        "is_deterministic_algorithms_warn_only_enabled",
        Value::builtin(
            "is_deterministic_algorithms_warn_only_enabled",
            |_, args| {
                args.no_kwargs()?;
                Ok(Value::Bool(FLAG.with(|f| f.get().1)))
            },
        ),
    );
}
