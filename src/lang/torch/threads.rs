//! `torch.set_num_threads`/`get_num_threads` (and the inter-op count's query): the thread
//! count the engine reproduces PyTorch's summation orders for (tensor::threads), per lesson.

use crate::lang::{Exception, Module, Value};
use crate::tensor::threads;

/// Restores PyTorch's starting count for a new lesson.
pub fn reset() {
    threads::set_num_threads(threads::DEFAULT_THREADS);
}

/// Sets `set_num_threads`, `get_num_threads` and `get_num_interop_threads` on `torch`.
pub fn install(m: &Module) {
    m.set(
        "set_num_threads",
        Value::builtin("set_num_threads", |_, args| {
            if !args.kw.is_empty() {
                return Err(Exception::type_error(
                    "torch.set_num_threads() takes no keyword arguments",
                ));
            }
            let [n] = args.pos.as_slice() else {
                return Err(Exception::type_error(format!(
                    "torch.set_num_threads() takes exactly one argument ({} given)",
                    args.pos.len()
                )));
            };
            match n {
                Value::Int(n) if *n > 0 => {
                    threads::set_num_threads(usize::try_from(*n).unwrap_or(usize::MAX));
                    Ok(Value::None)
                }
                Value::Int(_) | Value::BigInt(_) => Err(Exception::runtime_error(
                    "set_num_threads expects a positive integer",
                )),
                other => Err(Exception::runtime_error(format!(
                    "set_num_threads expects an int, but got {}",
                    other.type_name()
                ))),
            }
        }),
    );
    for (name, count) in [
        ("get_num_threads", threads::num_threads as fn() -> usize),
        ("get_num_interop_threads", || threads::DEFAULT_THREADS),
    ] {
        m.set(
            name,
            Value::builtin(name, move |_, args| {
                if !args.pos.is_empty() || !args.kw.is_empty() {
                    let given = args.pos.len() + args.kw.len();
                    return Err(Exception::type_error(format!(
                        "torch.{name}() takes no arguments ({given} given)"
                    )));
                }
                Ok(Value::Int(count() as i64))
            }),
        );
    }
}
