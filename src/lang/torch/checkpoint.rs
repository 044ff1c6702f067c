//! `torch.utils.checkpoint`: `checkpoint` and `checkpoint_sequential`. Checkpointing trades
//! memory for a second forward pass during backward; the recomputed values are the first
//! pass's (PyTorch restores the generator's state for it), so here the function simply runs
//! once with its graph kept, which gives the same outputs and gradients. What differs is
//! listed in docs/divergences.md: the reentrant variant's output `grad_fn` is PyTorch's
//! `CheckpointFunctionBackward`, here the function's own last node.

use std::rc::Rc;

use super::convert::as_tensor;
use crate::lang::ast::Name;
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor;

type R<T> = Result<T, Exception>;

/// The keyword arguments `checkpoint` itself takes (the rest go to the function).
const OWN: &[&str] = &[
    "use_reentrant",
    "preserve_rng_state",
    "context_fn",
    "determinism_check",
    "debug",
];

/// Registers `torch.utils.checkpoint` and sets it on `utils`.
pub fn install(interp: &mut Interpreter, utils: &Module) {
    let m = Module::new("torch.utils.checkpoint");
    m.set("checkpoint", Value::builtin("checkpoint", checkpoint));
    m.set(
        "checkpoint_sequential",
        Value::builtin("checkpoint_sequential", checkpoint_sequential),
    );
    let m = Value::Module(Rc::new(m));
    utils.set("checkpoint", m.clone());
    interp.register_module("torch.utils.checkpoint", m);
}

/// `use_reentrant`: None (PyTorch warns on stderr and takes the reentrant variant) or a bool.
fn reentrant(interp: &mut Interpreter, args: &Args) -> R<bool> {
    match args
        .kw
        .iter()
        .find(|(k, _)| &**k == "use_reentrant")
        .map(|(_, v)| v)
    {
        None | Some(Value::None) => Ok(true),
        Some(v) => interp.truthy(v),
    }
}

/// Runs `f(*args, **kwargs)`; the reentrant variant runs it without recording a graph when no
/// tensor argument requires grad (its outputs then do not require grad, and parameters used
/// inside get no gradient, as in PyTorch).
fn run(
    interp: &mut Interpreter,
    f: &Value,
    pos: Vec<Value>,
    kw: Vec<(Name, Value)>,
    reentrant: bool,
) -> R<Value> {
    let any_grad = pos
        .iter()
        .any(|v| as_tensor(v).is_some_and(|t| t.requires_grad()));
    let mut call = Args::new("checkpoint", pos);
    call.kw = kw;
    if reentrant && !any_grad && tensor::is_grad_enabled() {
        let prev = tensor::set_grad_enabled(false);
        let out = interp.call(f, call);
        tensor::set_grad_enabled(prev);
        return out;
    }
    interp.call(f, call)
}

/// `checkpoint(function, *args, use_reentrant=None, **kwargs)`.
fn checkpoint(interp: &mut Interpreter, args: Args) -> R<Value> {
    let Some(f) = args.pos.first().cloned() else {
        return Err(Exception::type_error(
            "checkpoint() missing 1 required positional argument: 'function'",
        ));
    };
    let reentrant = reentrant(interp, &args)?;
    let extra: Vec<_> = args
        .kw
        .iter()
        .filter(|(k, _)| !OWN.contains(&&**k))
        .cloned()
        .collect();
    if reentrant && !extra.is_empty() {
        let names: Vec<&str> = extra.iter().map(|(k, _)| &**k).collect();
        return Err(Exception::value_error(format!(
            "Unexpected keyword arguments: {}",
            names.join(",")
        )));
    }
    run(interp, &f, args.pos[1..].to_vec(), extra, reentrant)
}

/// `checkpoint_sequential(functions, segments, input, use_reentrant=None)`: the functions (a
/// `Sequential`'s children or a list) in `segments` parts of `len // segments`, every part
/// but the last through `checkpoint`, the rest run as they are (PyTorch's split).
fn checkpoint_sequential(interp: &mut Interpreter, args: Args) -> R<Value> {
    let [functions, segments, input, _reentrant, _rng] = args.bind(&[
        "functions",
        "segments",
        "input",
        "use_reentrant=",
        "preserve_rng_state=",
    ])?;
    let (Some(functions), Some(segments), Some(input)) = (functions, segments, input) else {
        return Err(Exception::type_error(
            "checkpoint_sequential() missing required arguments: 'functions', 'segments' and 'input'",
        ));
    };
    let segments = segments.expect_int("segments")?.max(1) as usize;
    let reentrant = reentrant(interp, &args)?;
    let items = match interp.get_attr(&functions, "children") {
        Ok(children) => {
            let it = interp.call(&children, Args::new("children", Vec::new()))?;
            interp.iterate(&it)?
        }
        Err(_) => interp.iterate(&functions)?,
    };
    let size = items.len() / segments;
    let mut x = input;
    let mut next = 0;
    for _ in 0..segments.saturating_sub(1) {
        let part = &items[next..next + size];
        next += size;
        let any_grad = as_tensor(&x).is_some_and(|t| t.requires_grad());
        let off = reentrant && !any_grad && tensor::is_grad_enabled();
        let prev = tensor::set_grad_enabled(!off && tensor::is_grad_enabled());
        let mut out = Ok(x.clone());
        for f in part {
            out = out.and_then(|v| interp.call(f, Args::new("checkpoint", vec![v])));
        }
        tensor::set_grad_enabled(prev);
        x = out?;
    }
    for f in &items[next..] {
        x = interp.call(f, Args::new("checkpoint_sequential", vec![x]))?;
    }
    Ok(x)
}
