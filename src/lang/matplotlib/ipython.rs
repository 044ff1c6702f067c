//! `IPython.display` as it behaves outside a notebook kernel (the oracle runs cells in plain
//! Python): `display(*objs)` prints the objects as `print` does, `clear_output` prints a terminal's
//! erase-line sequence.
//! d2l's chapters import it (`from IPython import display`) beside matplotlib.

use std::rc::Rc;

use crate::lang::{Interpreter, Module, Value};

/// Registers `IPython` and `IPython.display`.
pub fn install(interp: &mut Interpreter) {
    let display = Module::new("IPython.display");
    // IPython's `display` prints its objects with `print` when no interactive shell runs.
    display.set(
        "display",
        Value::builtin("display", |it, args| {
            // Its keywords (include=, metadata=, ... and any other) change nothing there.
            let mut parts = Vec::with_capacity(args.pos.len());
            for v in &args.pos {
                parts.push(it.to_str(v)?);
            }
            it.out.push_str(&parts.join(" "));
            it.out.push('\n');
            Ok(Value::None)
        }),
    );
    display.set(
        "clear_output",
        Value::builtin("clear_output", |it, args| {
            let [_wait] = args.bind(&["wait="])?;
            // A terminal's erase-line and carriage return, meant once for stdout and once for
            // stderr; IPython prints both to stdout.
            it.out.push_str("\x1b[2K\r\x1b[2K\r");
            Ok(Value::None)
        }),
    );
    let display = Value::Module(Rc::new(display));
    let pkg = Module::new("IPython");
    pkg.set("display", display.clone());
    interp.register_module("IPython", Value::Module(Rc::new(pkg)));
    interp.register_module("IPython.display", display);
}
