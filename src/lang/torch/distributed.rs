//! `torch.distributed` and `torch.nn.parallel.DistributedDataParallel` as one process sees
//! them with no process group: importable (training scripts import them at the top and take
//! the single-process branch), and each call that needs a group raises PyTorch's own error.
//! `init_process_group` reads its rendezvous from the environment, which a lesson's is not
//! (`os.environ` is empty), so it fails as PyTorch does without `RANK`.

use std::rc::Rc;

use super::class;
use crate::lang::{Exception, Module, Value};

const NO_GROUP: &str =
    "Default process group has not been initialized, please make sure to call init_process_group.";

fn no_group(name: &'static str) -> Value {
    Value::builtin(name, |_, _| Err(Exception::value_error(NO_GROUP)))
}

/// Installs `torch.distributed` into `torch` and `DistributedDataParallel` into `parallel`
/// (`torch.nn.parallel`); returns the modules to register for import.
pub fn install(torch: &Module, parallel: &Module) -> Vec<(&'static str, Value)> {
    let d = Module::new("torch.distributed");
    d.set(
        "is_available",
        Value::builtin("is_available", |_, _| Ok(Value::Bool(true))),
    );
    d.set(
        "is_initialized",
        Value::builtin("is_initialized", |_, _| Ok(Value::Bool(false))),
    );
    d.set("init_process_group", Value::builtin("init_process_group", |_, _| {
        Err(Exception::value_error(
            "Error initializing torch.distributed using env:// rendezvous: environment variable RANK expected, but not set",
        ))
    }));
    d.set(
        "destroy_process_group",
        Value::builtin("destroy_process_group", |_, _| {
            Err(Exception::new(
                "AssertionError",
                "Process group cannot be None",
            ))
        }),
    );
    for name in [
        "get_rank",
        "get_world_size",
        "barrier",
        "all_reduce",
        "broadcast",
    ] {
        d.set(name, no_group(name));
    }
    let d = Value::Module(Rc::new(d));
    torch.set("distributed", d.clone());
    parallel.set(
        "DistributedDataParallel",
        class(
            "DistributedDataParallel",
            "torch.nn.parallel.distributed",
            |_, _| Err(Exception::value_error(NO_GROUP)),
        ),
    );
    vec![("torch.distributed", d)]
}
