//! `subprocess`: importable, so a chapter's imports cell runs (d2l's asynchronous-computation
//! chapter imports it beside numpy and os). A lesson may not start programs, so every way of
//! running one raises PermissionError naming the program, as `open` does for writes.

use std::rc::Rc;

use super::{Interpreter, Module, Value};

/// The program an `args` argument names: a string's first word, or a sequence's first item.
fn program(args: Option<&Value>) -> String {
    match args {
        Some(Value::Str(s)) => s.split_whitespace().next().unwrap_or("").to_string(),
        Some(Value::List(l)) => l.borrow().first().map(Value::to_str).unwrap_or_default(),
        Some(Value::Tuple(t)) => t.first().map(Value::to_str).unwrap_or_default(),
        Some(v) => v.to_str(),
        None => String::new(),
    }
}

pub fn install(it: &mut Interpreter) {
    let m = Module::new("subprocess");
    for name in [
        "run",
        "Popen",
        "call",
        "check_call",
        "check_output",
        "getoutput",
        "getstatusoutput",
    ] {
        m.set(
            name,
            Value::builtin(name, |_, args| {
                let prog = program(
                    args.pos
                        .first()
                        .or_else(|| args.kw.iter().find(|(k, _)| &**k == "args").map(|(_, v)| v)),
                );
                Err(super::files::permission_denied(
                    &prog,
                    "lessons cannot run programs",
                ))
            }),
        );
    }
    // The constants lessons pass as `stdout=`/`stderr=`, with CPython's values.
    m.set("PIPE", Value::Int(-1));
    m.set("STDOUT", Value::Int(-2));
    m.set("DEVNULL", Value::Int(-3));
    it.modules
        .insert("subprocess".into(), Value::Module(Rc::new(m)));
}
